#include "edge/auth_failure_limit.h"

#include <algorithm>
#include <vector>

namespace sig::edge {

std::string_view AuthFailureLimit::Host(std::string_view address) {
  // "[v6]" or "[v6]:port" (a proxy may name an address without its port).
  if (!address.empty() && address.front() == '[') {
    return address.substr(1, std::min(address.find(']'), address.size()) - 1);
  }
  const std::size_t colon = address.rfind(':');
  std::string_view host = colon == std::string_view::npos ? address : address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

bool AuthFailureLimit::Allowed(std::string_view address, absl::Time now) {
  core::MutexLock lock(&mu_);
  auto it = buckets_.find(Host(address));
  return it == buckets_.end() || it->second.HasToken(now);
}

void AuthFailureLimit::Failed(std::string_view address, absl::Time now) {
  const std::string host(Host(address));
  core::MutexLock lock(&mu_);
  if (buckets_.size() >= kMaxAddresses && !buckets_.contains(host)) {
    // Forget addresses whose buckets have refilled: they are as if never seen.
    std::vector<std::string> refilled;
    for (auto& [key, bucket] : buckets_) {
      if (bucket.Full(now)) refilled.push_back(key);
    }
    for (const std::string& key : refilled) buckets_.erase(key);
    if (buckets_.size() >= kMaxAddresses) return;  // every tracked address is failing: keep them
  }
  buckets_.try_emplace(host, burst_, refill_, now).first->second.TryTake(now);
}

}  // namespace sig::edge
