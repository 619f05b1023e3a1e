#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <set>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/base/thread_annotations.h"
#include "core/bus.h"
#include "core/mutex.h"

namespace sig::bus {

class RedisLink;

// The bus of a cluster node on Redis pub/sub (cluster-design.md 2): a frame for a peer on
// another node is published on that node's channel ("D" + the envelope), a broadcast on the
// realm's channel ("B\t<origin nid>\t" + the envelope; the origin skips its own). Joins and
// leaves are announced by the directory's scripts, so Announce has nothing to do.
//
// Send and publish may be called from any thread: the envelope is encoded there and handed to
// the bus's executor. At-most-once: a frame sent while Redis is away is refused, one in flight
// when it goes is lost. hiredis buffers without bound, so what is in flight (handed over, not yet
// answered by Redis) is bounded in frames and bytes; past either a frame is refused (kBusFull),
// so a slow Redis costs a bounded amount of memory.
class RedisBus final : public core::Bus {
 public:
  struct Window {
    std::size_t max_frames = 10000;
    std::size_t max_bytes = 8 * 1024 * 1024;
  };

  RedisBus(boost::asio::any_io_executor executor, std::shared_ptr<RedisLink> link,
           core::NodeId node, Window window);

  void SetSink(core::BusSink* sink) override { sink_ = sink; }
  std::optional<core::RelayFailure> SendToNode(core::NodeId node,
                                               const sig::v1::Envelope& envelope) override;
  void PublishToRealm(const sig::v1::Envelope& envelope) override;
  void Announce(const core::MembershipChange&) override {}

  // What arrives on this node's channel, and a broadcast on a realm's. On the executor.
  void OnNodeMessage(std::string_view payload);
  void OnRealmBroadcast(std::string_view payload);

  State state() const override;
  Counters counters() const override;
  void SetStateListener(StateListener listener) override;
  void SetSurveyHandler(SurveyHandler handler) override;
  // Watching: subscribes to sig:events (once; subscriptions stay) and sets sig:watching.
  void StartWatching(absl::AnyInvocable<void() &&> told) override;
  void StopWatching() override;
  bool Watched() const override;
  void MarkWatched() override { NoteWatched(); }
  // "E\t<nid>\t<event>" on sig:events; dropped when nobody watches, the bus is not up or the
  // in-flight window is full.
  void PublishEvent(std::string event) override;
  void SetEventHandler(EventHandler handler) override;
  // A message on sig:events. On the executor.
  void OnEventMessage(std::string_view payload);
  // Every sweep: keeps sig:watching while this node watches, and reads whether anyone does.
  // On the executor.
  void RefreshWatch();
  // Surveys go out on the control channel ("S\t<id>\t<asking nid>\t<target nid or 0>\t<op>\t"
  // question); answers come back on the asking node's channel ("R\t<id>\t<nid>\t" answer). This
  // node answers its own at once. The nodes asked are those listed in sig:nodes.
  void Survey(std::string op, std::string question, core::NodeId target, absl::Duration timeout,
              SurveyDone done) override;
  core::NodeId node() const override { return node_; }
  // A message on the control channel. On the executor.
  void OnControlMessage(std::string_view payload);

  // Whether Redis is reachable, and where the node's lease stands; set by the cluster, on the
  // executor. The bus is up only with both: until the lease is taken logins are refused, so a
  // load balancer must not see the node ready.
  enum class Lease : std::uint8_t { kNotYet, kHeld, kFenced };
  void SetUp(bool up);
  void SetLease(Lease lease);
  // Nodes listed in Redis, as the cluster's sweep last read them.
  void SetNodes(std::size_t nodes) { nodes_.store(nodes, std::memory_order_relaxed); }
  // Names this node's sweep freed from dead nodes.
  void CountReaped(std::uint64_t names) { reaped_.fetch_add(names, std::memory_order_relaxed); }
  // Publishes a lag probe ("P\t<steady clock ns>") on this node's own channel. On the
  // executor.
  void Probe();

 private:
  // Takes room for one frame of `bytes` in the window, or refuses (and counts it).
  std::optional<core::RelayFailure> Reserve(std::size_t bytes);
  // Publishes a frame Reserve made room for; `direct`: on a node's channel.
  void Publish(std::string channel, std::string payload, bool direct);
  // Sets sig:watching, which each node's sweep reads. On the executor.
  void AnnounceWatch();
  // Someone watches: forward this node's events for the next 3 s.
  void NoteWatched();
  // Counts one publish round trip of `nanos`. On the executor.
  void RecordRoundTrip(std::int64_t nanos);
  // Tells the listener if state() is not what it last heard.
  void NotifyState();

  struct PendingSurvey {
    std::set<core::NodeId> waiting;
    SurveyAnswers answers;
    SurveyDone done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  // This node's handler's answer to `op`; none without a handler (the node then stays missing).
  std::optional<std::string> Answer(std::string_view op, std::string_view question);
  void RecordAnswer(std::uint64_t id, core::NodeId node, std::string answer);
  void CompleteSurvey(std::uint64_t id);

  boost::asio::any_io_executor executor_;
  std::shared_ptr<RedisLink> link_;
  const core::NodeId node_;
  const std::string origin_;  // "B\t<nid>\t"
  const Window window_;
  core::BusSink* sink_ = nullptr;
  std::atomic<bool> up_{false};
  std::atomic<Lease> lease_{Lease::kNotYet};
  bool ever_up_ = false;  // on the executor
  std::atomic<std::size_t> in_flight_frames_{0};
  std::atomic<std::size_t> in_flight_bytes_{0};
  std::atomic<std::size_t> nodes_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> unheard_{0};
  std::atomic<std::uint64_t> dropped_down_{0};
  std::atomic<std::uint64_t> dropped_full_{0};
  std::atomic<std::uint64_t> publish_failures_{0};
  std::atomic<std::uint64_t> reaped_{0};
  // Written on the executor only; atomics for the scrape's reads.
  std::array<std::atomic<std::uint64_t>, std::tuple_size_v<decltype(Counters::round_trips)>>
      round_trips_{};
  std::atomic<std::uint64_t> round_trip_ns_{0};
  std::atomic<std::int64_t> probe_sent_ns_{0};  // 0: no probe on its way
  std::atomic<std::int64_t> lag_ns_{0};
  core::Mutex listener_mu_;
  StateListener listener_ ABSL_GUARDED_BY(listener_mu_);
  std::optional<State> told_ ABSL_GUARDED_BY(listener_mu_);
  std::optional<State> logged_ ABSL_GUARDED_BY(listener_mu_);  // the state last logged
  std::atomic<bool> watching_{false};
  std::atomic<std::int64_t> watched_until_ns_{0};  // steady clock
  core::Mutex event_mu_;
  EventHandler event_handler_ ABSL_GUARDED_BY(event_mu_);
  core::Mutex handler_mu_;
  SurveyHandler handler_ ABSL_GUARDED_BY(handler_mu_);
  // On the executor.
  std::uint64_t last_survey_ = 0;
  std::map<std::uint64_t, PendingSurvey> surveys_;
};

}  // namespace sig::bus
