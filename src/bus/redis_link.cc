#include "bus/redis_link.h"

#include <algorithm>
#include <utility>

#include <boost/asio/post.hpp>

namespace sig::bus {

namespace net = boost::asio;

std::shared_ptr<RedisLink> RedisLink::Create(net::any_io_executor executor, Options options) {
  return std::shared_ptr<RedisLink>(new RedisLink(std::move(executor), std::move(options)));
}

RedisLink::RedisLink(net::any_io_executor executor, Options options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      retry_timer_(executor_),
      random_(std::random_device{}()),
      backoff_(options_.backoff_min),
      channels_{std::string(kAnchorChannel)} {}

RedisConnection::Options RedisLink::ConnectionOptions() const {
  RedisConnection::Options options;
  options.address = options_.address;
  options.password = options_.password;
  options.connect_timeout = options_.connect_timeout;
  options.command_timeout = options_.command_timeout;
  return options;
}

void RedisLink::Start() {
  stopped_ = false;
  Connect();
}

void RedisLink::Stop() {
  stopped_ = true;
  ++generation_;
  retry_timer_.cancel();
  if (commands_) commands_->Close();
  if (subscriber_) subscriber_->Close();
  commands_.reset();
  subscriber_.reset();
  up_ = false;
}

void RedisLink::Connect() {
  const std::uint64_t generation = ++generation_;
  connected_ = 0;
  commands_ = RedisConnection::Create(executor_, ConnectionOptions());
  subscriber_ = RedisConnection::Create(executor_, ConnectionOptions());
  // The handler is looked up at each message, so OnMessage may be set or changed at any time.
  subscriber_->OnMessage([weak = weak_from_this()](std::string_view channel,
                                                   std::string_view payload) {
    if (auto self = weak.lock(); self && self->on_message_) self->on_message_(channel, payload);
  });
  subscriber_->OnSubscribed([weak = weak_from_this(), generation](std::string_view channel) {
    auto self = weak.lock();
    if (!self || generation != self->generation_) return;
    const std::string name(channel);
    self->confirmed_.insert(name);
    auto it = self->waiting_.find(name);
    if (it == self->waiting_.end()) return;
    std::vector<std::function<void()>> waiting = std::move(it->second);
    self->waiting_.erase(it);
    for (auto& confirmed : waiting) confirmed();
  });
  subscriber_->OnUnsubscribed([weak = weak_from_this(), generation](std::string_view channel) {
    auto self = weak.lock();
    if (!self || generation != self->generation_) return;
    const std::string name(channel);
    self->unsubscribing_.erase(name);
    if (self->up_ && self->channels_.contains(name)) self->subscriber_->Subscribe({name});
  });
  for (const auto& connection : {commands_, subscriber_}) {
    connection->OnDown([weak = weak_from_this(), generation](absl::Status status) {
      if (auto self = weak.lock()) self->Reset(generation, std::move(status));
    });
    connection->Connect([weak = weak_from_this(), generation](absl::Status status) {
      auto self = weak.lock();
      if (!self) return;
      if (!status.ok()) {
        self->Reset(generation, std::move(status));
        return;
      }
      self->OnConnected(generation);
    });
  }
}

void RedisLink::OnConnected(std::uint64_t generation) {
  if (generation != generation_ || stopped_) return;
  if (++connected_ < 2) return;
  std::vector<std::string> channels{std::string(kAnchorChannel)};
  for (const std::string& channel : channels_) {
    if (channel != kAnchorChannel) channels.push_back(channel);
  }
  subscriber_->Subscribe(channels);
  up_ = true;
  backoff_ = options_.backoff_min;
  if (ever_up_) ++reconnects_;
  ever_up_ = true;
  if (on_up_) on_up_();
}

void RedisLink::Reset(std::uint64_t generation, absl::Status status) {
  if (generation != generation_ || stopped_) return;
  ++generation_;  // the other connection's callbacks now belong to a dead attempt
  const bool was_up = up_;
  up_ = false;
  confirmed_.clear();
  unsubscribing_.clear();
  if (commands_) commands_->Close();
  if (subscriber_) subscriber_->Close();
  commands_.reset();
  subscriber_.reset();
  // Equal jitter: half the step fixed, half random, so nodes that lost Redis together do not
  // all come back at the same instant.
  const std::int64_t step_ms = absl::ToInt64Milliseconds(backoff_);
  std::uniform_int_distribution<std::int64_t> jitter(step_ms / 2, std::max<std::int64_t>(step_ms, 1));
  const auto wait = std::chrono::milliseconds(jitter(random_));
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  retry_timer_.expires_after(wait);
  retry_timer_.async_wait([weak = weak_from_this(), generation = generation_](
                              boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopped_ || generation != self->generation_) return;
    self->Connect();
  });
  if (was_up && on_down_) on_down_(std::move(status));
}

bool RedisLink::RefuseWhileDown(RedisConnection::ReplyCallback& done) {
  if (up_) return false;
  net::post(executor_, [done = std::move(done)]() mutable {
    std::move(done)(absl::UnavailableError("redis is unreachable"));
  });
  return true;
}

void RedisLink::Command(std::vector<std::string> argv, RedisConnection::ReplyCallback done) {
  if (RefuseWhileDown(done)) return;
  commands_->Command(std::move(argv), std::move(done));
}

void RedisLink::RunScript(const Script& script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args,
                          RedisConnection::ReplyCallback done) {
  if (RefuseWhileDown(done)) return;
  script.Run(*commands_, keys, args, std::move(done));
}

void RedisLink::Subscribe(const std::string& channel, std::function<void()> confirmed) {
  if (confirmed) {
    if (up_ && confirmed_.contains(channel)) {
      net::post(executor_, std::move(confirmed));
    } else {
      waiting_[channel].push_back(std::move(confirmed));
    }
  }
  if (!channels_.insert(channel).second) return;
  channel_count_.store(channels_.size(), std::memory_order_relaxed);
  if (up_ && !unsubscribing_.contains(channel)) subscriber_->Subscribe({channel});
}

void RedisLink::Unsubscribe(const std::string& channel) {
  if (channel == kAnchorChannel || waiting_.contains(channel)) return;
  if (channels_.erase(channel) == 0) return;
  channel_count_.store(channels_.size(), std::memory_order_relaxed);
  confirmed_.erase(channel);
  if (up_ && unsubscribing_.insert(channel).second) subscriber_->Unsubscribe({channel});
}

}  // namespace sig::bus
