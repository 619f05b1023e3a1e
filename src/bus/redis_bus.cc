#include "bus/redis_bus.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "bus/keys.h"
#include "bus/redis_link.h"
#include "core/log.h"

namespace sig::bus {
namespace {

std::int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RedisBus::RedisBus(boost::asio::any_io_executor executor, std::shared_ptr<RedisLink> link,
                   core::NodeId node, Window window)
    : executor_(std::move(executor)),
      link_(std::move(link)),
      node_(node),
      origin_("B\t" + std::to_string(node) + "\t"),
      window_(window) {}

core::Bus::State RedisBus::state() const {
  const Lease lease = lease_.load(std::memory_order_relaxed);
  if (lease == Lease::kFenced) return State::kFenced;
  return up_.load(std::memory_order_relaxed) && lease == Lease::kHeld ? State::kUp : State::kDown;
}

core::Bus::Counters RedisBus::counters() const {
  Counters c;
  c.reconnects = reconnects_.load(std::memory_order_relaxed);
  c.sent = sent_.load(std::memory_order_relaxed);
  c.received = received_.load(std::memory_order_relaxed);
  c.unheard = unheard_.load(std::memory_order_relaxed);
  c.dropped_down = dropped_down_.load(std::memory_order_relaxed);
  c.dropped_full = dropped_full_.load(std::memory_order_relaxed);
  c.in_flight_frames = in_flight_frames_.load(std::memory_order_relaxed);
  c.in_flight_bytes = in_flight_bytes_.load(std::memory_order_relaxed);
  c.nodes = nodes_.load(std::memory_order_relaxed);
  c.publish_failures = publish_failures_.load(std::memory_order_relaxed);
  c.reaped = reaped_.load(std::memory_order_relaxed);
  c.channels = link_->subscriptions();
  for (std::size_t b = 0; b < c.round_trips.size(); ++b) {
    c.round_trips[b] = round_trips_[b].load(std::memory_order_relaxed);
  }
  c.round_trip_seconds = static_cast<double>(round_trip_ns_.load(std::memory_order_relaxed)) / 1e9;
  std::int64_t lag = lag_ns_.load(std::memory_order_relaxed);
  if (const std::int64_t sent = probe_sent_ns_.load(std::memory_order_relaxed); sent != 0) {
    lag = std::max(lag, SteadyNanos() - sent);
  }
  c.lag_seconds = static_cast<double>(lag) / 1e9;
  return c;
}

void RedisBus::Probe() {
  // One probe a sweep, whatever happened to the last: a lost one is then outlived by the next.
  // probe_sent_ns_ keeps the oldest one not yet seen back.
  const std::int64_t now = SteadyNanos();
  std::int64_t none = 0;
  probe_sent_ns_.compare_exchange_strong(none, now, std::memory_order_relaxed);
  link_->Command({"PUBLISH", NodeKey(node_), absl::StrCat("P\t", now)},
                 [](RedisConnection::Reply) {});
}

void RedisBus::RecordRoundTrip(std::int64_t nanos) {
  const double seconds = static_cast<double>(nanos) / 1e9;
  const auto& bounds = kRoundTripBuckets;
  const std::size_t b = static_cast<std::size_t>(
      std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  round_trips_[b].fetch_add(1, std::memory_order_relaxed);
  round_trip_ns_.fetch_add(static_cast<std::uint64_t>(nanos), std::memory_order_relaxed);
}

void RedisBus::SetUp(bool up) {
  const bool was_up = up_.exchange(up, std::memory_order_relaxed);
  if (up && !was_up) {
    if (ever_up_) reconnects_.fetch_add(1, std::memory_order_relaxed);
    ever_up_ = true;
  }
  NotifyState();
}

void RedisBus::SetLease(Lease lease) {
  lease_.store(lease, std::memory_order_relaxed);
  NotifyState();
}

void RedisBus::SetStateListener(StateListener listener) {
  core::MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
  told_.reset();
}

void RedisBus::NotifyState() {
  core::MutexLock lock(&listener_mu_);
  const State now = state();
  if (logged_ != now) {
    // Each change once: up after start or an outage, down (logins refused), fenced (peers
    // closed before the lease could run out). Down before the first up is only the start.
    const bool starting = !logged_.has_value() && now == State::kDown;
    logged_ = now;
    if (!starting) {
      core::Log(now == State::kUp     ? core::LogLevel::kInfo
                : now == State::kDown ? core::LogLevel::kWarning
                                      : core::LogLevel::kError,
                "cluster bus " + std::string(Name(now)));
    }
  }
  if (!listener_ || told_ == now) return;
  told_ = now;
  listener_(now);
}

std::optional<core::RelayFailure> RedisBus::Reserve(std::size_t bytes) {
  if (state() != State::kUp) {
    dropped_down_.fetch_add(1, std::memory_order_relaxed);
    return core::RelayFailure::kBusDown;
  }
  // Taken first and given back on refusal, so the bounds hold exactly across threads.
  const std::size_t frames = in_flight_frames_.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::size_t total = in_flight_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  if (frames > window_.max_frames || total > window_.max_bytes) {
    in_flight_frames_.fetch_sub(1, std::memory_order_relaxed);
    in_flight_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
    dropped_full_.fetch_add(1, std::memory_order_relaxed);
    return core::RelayFailure::kBusFull;
  }
  return std::nullopt;
}

void RedisBus::Publish(std::string channel, std::string payload, bool direct) {
  const std::size_t bytes = payload.size();
  // The window is given back when Redis answers, or when the command fails (the link went down
  // or was stopped: every command in flight is answered then).
  boost::asio::post(executor_, [this, channel = std::move(channel), payload = std::move(payload),
                                bytes, direct]() mutable {
    link_->Command({"PUBLISH", std::move(channel), std::move(payload)},
                   [this, bytes, direct, issued = SteadyNanos()](RedisConnection::Reply reply) {
                     in_flight_frames_.fetch_sub(1, std::memory_order_relaxed);
                     in_flight_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
                     if (!reply.ok() || reply->type == RedisReply::Type::kError) {
                       publish_failures_.fetch_add(1, std::memory_order_relaxed);
                       return;
                     }
                     RecordRoundTrip(SteadyNanos() - issued);
                     sent_.fetch_add(1, std::memory_order_relaxed);
                     // Nobody listens on a node's channel once the node is gone.
                     if (direct && reply->integer == 0) {
                       unheard_.fetch_add(1, std::memory_order_relaxed);
                     }
                   });
  });
}

std::optional<core::RelayFailure> RedisBus::SendToNode(core::NodeId node,
                                                       const sig::v1::Envelope& envelope) {
  std::string payload = "D";
  envelope.AppendToString(&payload);
  if (std::optional<core::RelayFailure> refused = Reserve(payload.size())) return refused;
  Publish(NodeKey(node), std::move(payload), /*direct=*/true);
  return std::nullopt;
}

void RedisBus::PublishToRealm(const sig::v1::Envelope& envelope) {
  std::string payload = origin_;
  envelope.AppendToString(&payload);
  if (Reserve(payload.size())) return;
  Publish(RealmChannel(envelope.realm()), std::move(payload), /*direct=*/false);
}

void RedisBus::SetSurveyHandler(SurveyHandler handler) {
  core::MutexLock lock(&handler_mu_);
  handler_ = std::move(handler);
}

std::optional<std::string> RedisBus::Answer(std::string_view op, std::string_view question) {
  core::MutexLock lock(&handler_mu_);
  if (!handler_) return std::nullopt;
  return handler_(op, question);
}

void RedisBus::Survey(std::string op, std::string question, core::NodeId target,
                      absl::Duration timeout, SurveyDone done) {
  boost::asio::post(executor_, [this, op = std::move(op), question = std::move(question), target,
                                timeout, done = std::move(done)]() mutable {
    if (state() != State::kUp) {
      std::move(done)(absl::UnavailableError("the cluster's bus is down"));
      return;
    }
    const std::uint64_t id = ++last_survey_;
    link_->Command({"HKEYS", std::string(kNodesKey)},
                   [this, id, op = std::move(op), question = std::move(question), target, timeout,
                    done = std::move(done)](RedisConnection::Reply reply) mutable {
                     if (!reply.ok() || reply->type != RedisReply::Type::kArray) {
                       std::move(done)(absl::UnavailableError("the cluster's nodes cannot be read"));
                       return;
                     }
                     std::set<core::NodeId> nodes{node_};
                     for (const RedisReply& entry : reply->elements) {
                       core::NodeId n = 0;
                       if (absl::SimpleAtoi(entry.str, &n)) nodes.insert(n);
                     }
                     if (target != core::kNoNode) {
                       if (!nodes.contains(target)) {
                         std::move(done)(absl::NotFoundError(
                             absl::StrCat("no node ", target, " in the cluster")));
                         return;
                       }
                       nodes = {target};
                     }
                     PendingSurvey& survey = surveys_[id];
                     survey.waiting = std::move(nodes);
                     survey.done = std::move(done);
                     survey.timer = std::make_unique<boost::asio::steady_timer>(
                         executor_, absl::ToChronoNanoseconds(timeout));
                     survey.timer->async_wait([this, id](boost::system::error_code ec) {
                       if (!ec) CompleteSurvey(id);
                     });
                     const bool ask_self = survey.waiting.contains(node_);
                     if (survey.waiting.size() > (ask_self ? 1u : 0u)) {
                       link_->Command({"PUBLISH", std::string(kControlChannel),
                                       absl::StrCat("S\t", id, "\t", node_, "\t", target, "\t",
                                                    op, "\t", question)},
                                      [](RedisConnection::Reply) {});
                     }
                     if (!ask_self) return;
                     if (std::optional<std::string> answer = Answer(op, question)) {
                       RecordAnswer(id, node_, *std::move(answer));
                     }
                   });
  });
}

void RedisBus::StartWatching(absl::AnyInvocable<void() &&> told) {
  watching_.store(true, std::memory_order_relaxed);
  boost::asio::post(executor_, [this, told = std::move(told)]() mutable {
    if (state() != State::kUp) {
      std::move(told)();
      return;
    }
    AnnounceWatch();
    auto shared = std::make_shared<absl::AnyInvocable<void() &&>>(std::move(told));
    link_->Subscribe(std::string(kEventsChannel), [shared] { std::move(*shared)(); });
  });
}

void RedisBus::StopWatching() {
  watching_.store(false, std::memory_order_relaxed);
  boost::asio::post(executor_, [this] {
    // A watch begun since keeps the channel.
    if (!watching_.load(std::memory_order_relaxed)) link_->Unsubscribe(std::string(kEventsChannel));
  });
}

void RedisBus::AnnounceWatch() {
  link_->Command({"SET", std::string(kWatchingKey), "1", "PX", "3000"},
                 [](RedisConnection::Reply) {});
}

void RedisBus::NoteWatched() {
  watched_until_ns_.store(SteadyNanos() + 3'000'000'000, std::memory_order_relaxed);
}

bool RedisBus::Watched() const {
  return SteadyNanos() < watched_until_ns_.load(std::memory_order_relaxed);
}

void RedisBus::RefreshWatch() {
  if (watching_.load(std::memory_order_relaxed)) AnnounceWatch();
  link_->Command({"EXISTS", std::string(kWatchingKey)}, [this](RedisConnection::Reply reply) {
    if (reply.ok() && reply->type == RedisReply::Type::kInteger && reply->integer == 1) {
      NoteWatched();
    }
  });
}

void RedisBus::PublishEvent(std::string event) {
  if (!Watched() || state() != State::kUp ||
      in_flight_frames_.load(std::memory_order_relaxed) >= window_.max_frames) {
    return;
  }
  boost::asio::post(executor_, [this, event = std::move(event)] {
    link_->Command({"PUBLISH", std::string(kEventsChannel), absl::StrCat("E\t", node_, "\t", event)},
                   [](RedisConnection::Reply) {});
  });
}

void RedisBus::SetEventHandler(EventHandler handler) {
  core::MutexLock lock(&event_mu_);
  event_handler_ = std::move(handler);
}

void RedisBus::OnEventMessage(std::string_view payload) {
  if (!watching_.load(std::memory_order_relaxed) || !payload.starts_with("E\t")) return;
  const std::size_t tab = payload.find('\t', 2);
  core::NodeId from = 0;
  if (tab == std::string_view::npos ||
      !absl::SimpleAtoi(absl::string_view(payload.data() + 2, tab - 2), &from) || from == node_) {
    return;
  }
  core::MutexLock lock(&event_mu_);
  if (event_handler_) event_handler_(from, payload.substr(tab + 1));
}

void RedisBus::OnControlMessage(std::string_view payload) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(payload.data(), payload.size()), absl::MaxSplits('\t', 5));
  std::uint64_t id = 0;
  core::NodeId from = 0;
  core::NodeId target = 0;
  if (parts.size() != 6 || parts[0] != "S" || !absl::SimpleAtoi(parts[1], &id) ||
      !absl::SimpleAtoi(parts[2], &from) || !absl::SimpleAtoi(parts[3], &target)) {
    return;
  }
  if (from == node_ || (target != core::kNoNode && target != node_)) return;
  std::optional<std::string> answer = Answer(std::string_view(parts[4].data(), parts[4].size()),
                                             std::string_view(parts[5].data(), parts[5].size()));
  if (!answer) return;  // nothing here answers surveys: the asking node lists this one as missing
  link_->Command({"PUBLISH", NodeKey(from), absl::StrCat("R\t", id, "\t", node_, "\t", *answer)},
                 [](RedisConnection::Reply) {});
}

void RedisBus::RecordAnswer(std::uint64_t id, core::NodeId node, std::string answer) {
  auto it = surveys_.find(id);
  if (it == surveys_.end() || it->second.waiting.erase(node) == 0) return;  // late, or twice
  it->second.answers.answers.emplace_back(node, std::move(answer));
  if (it->second.waiting.empty()) CompleteSurvey(id);
}

void RedisBus::CompleteSurvey(std::uint64_t id) {
  auto it = surveys_.find(id);
  if (it == surveys_.end()) return;
  PendingSurvey survey = std::move(it->second);
  surveys_.erase(it);
  survey.timer->cancel();
  survey.answers.missing.assign(survey.waiting.begin(), survey.waiting.end());
  std::sort(survey.answers.answers.begin(), survey.answers.answers.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::move(survey.done)(std::move(survey.answers));
}

void RedisBus::OnNodeMessage(std::string_view payload) {
  if (payload.starts_with("P\t")) {
    std::int64_t sent = 0;
    if (!absl::SimpleAtoi(absl::string_view(payload.data() + 2, payload.size() - 2), &sent)) return;
    lag_ns_.store(SteadyNanos() - sent, std::memory_order_relaxed);
    // Probes arrive in order: those sent before this one are back or lost.
    std::int64_t oldest = probe_sent_ns_.load(std::memory_order_relaxed);
    if (oldest != 0 && oldest <= sent) {
      probe_sent_ns_.compare_exchange_strong(oldest, 0, std::memory_order_relaxed);
    }
    return;
  }
  if (payload.starts_with("R\t")) {
    const std::vector<absl::string_view> parts = absl::StrSplit(
        absl::string_view(payload.data(), payload.size()), absl::MaxSplits('\t', 3));
    std::uint64_t id = 0;
    core::NodeId node = 0;
    if (parts.size() == 4 && absl::SimpleAtoi(parts[1], &id) && absl::SimpleAtoi(parts[2], &node)) {
      RecordAnswer(id, node, std::string(parts[3]));
    }
    return;
  }
  if (sink_ == nullptr || !payload.starts_with('D')) return;
  sig::v1::Envelope envelope;
  payload.remove_prefix(1);
  if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  if (envelope.route() != sig::v1::ROUTE_DIRECT) return;
  received_.fetch_add(1, std::memory_order_relaxed);
  sink_->OnDirect(envelope);
}

void RedisBus::OnRealmBroadcast(std::string_view payload) {
  if (sink_ == nullptr || !payload.starts_with("B\t")) return;
  if (payload.starts_with(origin_)) return;  // this node's own: delivered here already
  const std::size_t tab = payload.find('\t', 2);
  if (tab == std::string_view::npos) return;
  payload.remove_prefix(tab + 1);
  sig::v1::Envelope envelope;
  if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
  if (envelope.route() != sig::v1::ROUTE_BROADCAST) return;
  received_.fetch_add(1, std::memory_order_relaxed);
  sink_->OnRealm(envelope);
}

}  // namespace sig::bus
