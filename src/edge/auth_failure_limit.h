#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "core/string_map.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "core/token_bucket.h"

namespace sig::edge {

// Bounds how fast one client address may try tokens (auth on): each address may fail `burst`
// logins at once, then one per `refill`; past that, its logins are closed with 1008 before
// their token is even checked, until the bucket refills. A guesser is slowed to the refill
// rate, and never costs a verification per attempt. Thread-safe, sharded by address; at most
// kMaxAddresses addresses are tracked, those whose buckets have refilled being forgotten first.
class AuthFailureLimit {
 public:
  static constexpr std::size_t kMaxAddresses = 1 << 16;

  AuthFailureLimit(std::uint32_t burst, absl::Duration refill) : burst_(burst), refill_(refill) {}

  // Whether `address` ("ip:port" or "[ip]:port"; the port is ignored) may try a token now.
  bool Allowed(std::string_view address, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // `address` presented a bad token.
  void Failed(std::string_view address, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  // The address part of "ip:port" / "[ip]:port".
  static std::string_view Host(std::string_view address);

 private:
  const std::uint32_t burst_;
  const absl::Duration refill_;
  core::Mutex mu_;
  core::StringMap<core::TokenBucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sig::edge
