#include "bus/node_lease.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bus/keys.h"

namespace sig::bus {
namespace {

std::string RandomToken() {
  std::random_device device;
  return absl::StrCat(absl::Hex(device(), absl::kZeroPad8), absl::Hex(device(), absl::kZeroPad8),
                      absl::Hex(device(), absl::kZeroPad8), absl::Hex(device(), absl::kZeroPad8));
}

}  // namespace

std::shared_ptr<NodeLease> NodeLease::Create(boost::asio::any_io_executor executor,
                                             std::shared_ptr<RedisLink> link, std::uint64_t node,
                                             absl::Duration lease) {
  return std::shared_ptr<NodeLease>(
      new NodeLease(std::move(executor), std::move(link), node, lease));
}

NodeLease::NodeLease(boost::asio::any_io_executor executor, std::shared_ptr<RedisLink> link,
                     std::uint64_t node, absl::Duration lease)
    : link_(std::move(link)),
      key_(NodeKey(node)),
      lease_(lease),
      token_(RandomToken()),
      tick_timer_(executor),
      fence_timer_(executor) {}

void NodeLease::Start() {
  stopped_ = false;
  Tick();
}

void NodeLease::OnLinkUp() {
  if (stopped_ || held_) return;
  tick_timer_.cancel();  // its wait ends with operation_aborted; Tick arms it again
  Tick();
}

void NodeLease::Stop() {
  stopped_ = true;
  tick_timer_.cancel();
  fence_timer_.cancel();
  if (!held_) return;
  held_ = false;
  // Owner-checked: a lease already taken by nobody else is deleted, nothing else.
  link_->Command({"EVAL",
                  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
                  "end return 0",
                  "1", key_, token_},
                 [](RedisConnection::Reply) {});
}

void NodeLease::Tick() {
  if (stopped_) return;
  const Clock::time_point sent = Clock::now();
  const std::string ms = std::to_string(absl::ToInt64Milliseconds(lease_));
  auto self = shared_from_this();
  if (held_) {
    link_->RunScript(Scripts::RefreshLease(), {key_}, {token_, ms},
                     [self, sent](RedisConnection::Reply reply) {
                       if (!reply.ok() || reply->type != RedisReply::Type::kInteger) {
                         return;  // no answer: the fence timer decides
                       }
                       if (reply->integer == 1) {
                         self->Renewed(sent);
                         return;
                       }
                       // Redis answers but the lease is gone before its time: Redis lost it (a
                       // restart without persistence). Take it again at once; the directory
                       // then claims its names again (OnHeld).
                       // The fence timer keeps running: if the lease cannot be taken again in
                       // time, the node still stops before its names could be served twice.
                       self->held_ = false;
                       self->Tick();
                     });
  } else {
    // Taken afresh: after a fence, or at start. SET NX, so a lease of another incarnation of
    // this node id (a 64-bit random, so a bug or an operator's copy) is never overwritten.
    link_->Command({"SET", key_, token_, "NX", "PX", ms},
                   [self, sent](RedisConnection::Reply reply) {
                     if (reply.ok() && reply->type == RedisReply::Type::kStatus) {
                       self->held_ = true;
                       self->Renewed(sent);
                       if (self->on_held_) self->on_held_();
                     }
                   });
  }
  tick_timer_.expires_after(absl::ToChronoNanoseconds(lease_ / 5));
  tick_timer_.async_wait([self](boost::system::error_code ec) {
    if (!ec) self->Tick();
  });
}

void NodeLease::Renewed(Clock::time_point sent) {
  if (stopped_ || !held_ || sent <= last_renewed_send_) return;  // an older answer
  last_renewed_send_ = sent;
  ArmFence();
}

void NodeLease::ArmFence() {
  fence_timer_.expires_at(last_renewed_send_ + absl::ToChronoNanoseconds(lease_ - lease_ / 5));
  fence_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped_) return;  // aborted: renewed since, or stopped
    self->held_ = false;
    if (self->on_fenced_) self->on_fenced_();
  });
}

}  // namespace sig::bus
