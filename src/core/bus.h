#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/directory.h"
#include "core/outcome.h"
#include "sig/v1/envelope.pb.h"

namespace sig::core {

// What other nodes send this one. Implemented by the Router; called on the bus's thread.
class BusSink {
 public:
  virtual ~BusSink() = default;
  // A ROUTE_DIRECT envelope for a peer connected to this node.
  virtual void OnDirect(const sig::v1::Envelope& envelope) = 0;
  // A ROUTE_BROADCAST envelope for this node's members of its realm.
  virtual void OnRealm(const sig::v1::Envelope& envelope) = 0;
  // A peer joined or left a realm on another node; this node tells its own members.
  virtual void OnMembership(const MembershipChange& change) = 0;
};

// How frames and announcements reach the other nodes of a cluster. The in-memory LocalBus is a
// node alone (there is nobody to reach); the Redis bus (src/bus) publishes on per-node and
// per-realm channels. Thread-safe; nothing here blocks on the network.
class Bus {
 public:
  // How the bus stands: a node alone has none (kDisabled); a cluster node's is up, down (Redis
  // unreachable: no logins, no relays to other nodes) or fenced (its lease may have run out: its
  // peers were closed, no logins until it holds its lease again).
  enum class State : std::uint8_t { kDisabled, kUp, kDown, kFenced };
  static constexpr std::array<std::string_view, 4> kStateNames = {"disabled", "up", "down",
                                                                   "fenced"};
  static constexpr std::string_view Name(State s) { return kStateNames[static_cast<std::size_t>(s)]; }
  // Whether logins can be taken: a node alone, or a cluster node whose bus is up.
  static constexpr bool Accepting(State s) { return s == State::kDisabled || s == State::kUp; }

  // Upper bounds (seconds) of the publish round-trip histogram; +Inf is implied.
  static constexpr std::array<double, 10> kRoundTripBuckets = {
      50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 100e-3, 1.0};

  // What a cluster's bus has done, for /metrics. Each a snapshot, consistent per field only.
  struct Counters {
    std::uint64_t reconnects = 0;    // times the link to Redis came back after going down
    std::uint64_t sent = 0;          // frames handed to Redis for other nodes
    std::uint64_t received = 0;      // frames other nodes sent this one
    std::uint64_t unheard = 0;       // sent to a node that no longer listens (it is gone)
    std::uint64_t dropped_down = 0;  // refused while the bus was down or fenced
    std::uint64_t dropped_full = 0;  // refused because the in-flight window was full
    std::size_t in_flight_frames = 0;
    std::size_t in_flight_bytes = 0;
    std::size_t nodes = 0;           // nodes listed in Redis, this one included
    std::uint64_t publish_failures = 0;  // frames Redis answered with an error, or lost with the link
    std::uint64_t reaped = 0;        // names this node freed from nodes whose lease had run out
    std::size_t channels = 0;        // Redis channels this node follows (its own, rooms, ...)
    // Publish round trips (a frame handed to Redis until Redis answered), non-cumulative counts
    // per kRoundTripBuckets bound plus +Inf, and their sum.
    std::array<std::uint64_t, kRoundTripBuckets.size() + 1> round_trips{};
    double round_trip_seconds = 0;
    // How long the last probe took through Redis back to this node's subscription, or how long
    // the probe in flight has been waiting, if longer: what a frame from another node waits.
    double lag_seconds = 0;
  };

  virtual ~Bus() = default;

  // Any thread.
  virtual State state() const = 0;
  // Any thread. A node alone counts nothing.
  virtual Counters counters() const { return {}; }

  // `listener` hears every change of state(), on the bus's thread; it must not block. Replaces
  // the one set before; an empty one clears it, and once that call returns the old listener is
  // not running and will not run. A node alone never changes state.
  using StateListener = absl::AnyInvocable<void(State)>;
  virtual void SetStateListener(StateListener /*listener*/) {}

  // Surveys (cluster-design.md 6): a question put to every live node, this one included, for the
  // admin plane, which gives both questions and answers their meaning; the bus only carries
  // them. A node alone has no other node to ask: it answers for itself without a survey.
  //
  // What answers surveys on this node; runs on the bus's thread and must not block for long.
  // Set and cleared as SetStateListener's listener. A node without one does not answer, and
  // the asking node lists it as missing.
  using SurveyHandler = absl::AnyInvocable<std::string(std::string_view op, std::string_view question)>;
  virtual void SetSurveyHandler(SurveyHandler /*handler*/) {}
  struct SurveyAnswers {
    std::vector<std::pair<NodeId, std::string>> answers;  // by node
    std::vector<NodeId> missing;                          // nodes that did not answer in time
  };
  using SurveyDone = absl::AnyInvocable<void(absl::StatusOr<SurveyAnswers>) &&>;
  // Asks every live node `op` with `question`; `target`, when not kNoNode, names the one node
  // that must answer (the others are not asked). `done` runs once, on any thread, when all have
  // answered or `timeout` has passed; Unavailable when the bus is not up.
  virtual void Survey(std::string /*op*/, std::string /*question*/, NodeId /*target*/,
                      absl::Duration /*timeout*/, SurveyDone done) {
    std::move(done)(absl::FailedPreconditionError("not a node of a cluster"));
  }
  // Cluster-wide WatchEvents (the admin plane gives the events their meaning; the bus carries
  // them). While any node watches, every node hands its own events to PublishEvent and they
  // reach the watching nodes' EventHandler.
  //
  // This node has cluster watchers: the bus subscribes to the other nodes' events and keeps
  // telling the nodes (that join later, too) that someone watches, until StopWatching. `ready`
  // runs (on the bus's thread) once the subscription holds, or could not be made. Any thread.
  virtual void StartWatching(absl::AnyInvocable<void() &&> told) { std::move(told)(); }
  virtual void StopWatching() {}
  // Some node has begun watching (its survey reached this one): forward this node's events from
  // now on; the bus keeps doing so while any node watches. Any thread.
  virtual void MarkWatched() {}
  // Whether some node watches, so that this node's events are worth publishing. Any thread.
  virtual bool Watched() const { return false; }
  // A serialized event of this node, for the watching nodes; dropped when nobody watches or the
  // bus cannot take it. Any thread; never blocks.
  virtual void PublishEvent(std::string /*event*/) {}
  // Other nodes' events, while this node watches; on the bus's thread. Set and cleared as
  // SetStateListener's listener.
  using EventHandler = absl::AnyInvocable<void(NodeId node, std::string_view event)>;
  virtual void SetEventHandler(EventHandler /*handler*/) {}

  // This node's id in its cluster; kNoNode alone.
  virtual NodeId node() const { return kNoNode; }

  // Must be set, once, before the first frame arrives; it must outlive the bus's use.
  virtual void SetSink(BusSink* sink) = 0;

  // Hands a ROUTE_DIRECT envelope to `node`, whose peer holds envelope.to(), or says why it
  // cannot (kBusDown, kBusFull): the relay failed.
  virtual std::optional<RelayFailure> SendToNode(NodeId node,
                                                 const sig::v1::Envelope& envelope) = 0;

  // Hands a ROUTE_BROADCAST envelope to the other nodes with members in its realm. One the bus
  // cannot take is counted (Counters) and not sent to other nodes.
  virtual void PublishToRealm(const sig::v1::Envelope& envelope) = 0;

  // Tells the other nodes with members in the realm that a local peer joined or left.
  virtual void Announce(const MembershipChange& change) = 0;
};

// A node alone: no other node to reach, so nothing is ever sent or heard.
class LocalBus final : public Bus {
 public:
  State state() const override { return State::kDisabled; }
  void SetSink(BusSink*) override {}
  std::optional<RelayFailure> SendToNode(NodeId, const sig::v1::Envelope&) override {
    return RelayFailure::kTargetNotFound;  // no other node holds anything
  }
  void PublishToRealm(const sig::v1::Envelope&) override {}
  void Announce(const MembershipChange&) override {}
};

}  // namespace sig::core
