#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "core/bus.h"
#include "core/clock.h"
#include "core/directory.h"
#include "core/events.h"
#include "core/hold_store.h"
#include "core/outcome.h"
#include "core/peer.h"
#include "sig/v1/envelope.pb.h"

namespace sig::core {

// Routing: gets an encoded frame to its recipients, on this node (Peer::Deliver) or through the
// bus to the node that holds them, and tells realms of joins and leaves. Asks the directory who
// holds a name; keeps frames for absent PeerJS peers in the hold store. Knows nothing of JSON or
// sockets. Thread-safe; holds no lock of its own.
class Router final : public MembershipSink, public BusSink {
 public:
  // `events`, when given, hears every join and leave. All must outlive the router.
  Router(const Clock& clock, Directory& directory, HoldStore& holds, Bus& bus,
         EventHub* events = nullptr);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Claims the request's name in its realm and announces it (the directory decides; see
  // Directory::Claim). `done` runs exactly once, on any thread, possibly before Join returns;
  // after it, the frames held for the name are delivered to the new holder, in order.
  void Join(ClaimRequest request, ClaimDone done);

  // Gives up `name` in `realm` if connection `conn_id` still holds it, and announces the
  // departure as `notice` says. Frames it left held for absent peers are dropped: nobody would
  // answer them. Idempotent, so every close path may call it.
  void Leave(std::string_view realm, std::string_view name, std::uint64_t conn_id,
             LeaveNotice notice);

  // Delivers `envelope.frame` as `envelope.route` says: ROUTE_DIRECT to the peer named `to`,
  // ROUTE_BROADCAST to everyone in `realm` but `from`. With hold_if_absent, a frame for an
  // absent `to` is held instead, and `notices` encodes the EXPIRE that ExpireHeld sends. A
  // direct frame that cannot be delivered is reported to `sender` (Peer::RelayFailed), now or,
  // when another node decides, later. Takes the frame out of `envelope` and leaves its other
  // fields as they were, so a caller may refill the same envelope for its next message
  // (core::ThreadEnvelope).
  void Route(sig::v1::Envelope& envelope, Peer& sender, const NoticeEncoder* notices = nullptr);

  // Drops every hold older than `timeout` at `now`, telling each sender that is still
  // connected, once per (sender, target), with NoticeEncoder::Expired.
  void ExpireHeld(absl::Time now, absl::Duration timeout);

  // MembershipSink: a claim or release decided by the directory.
  void OnMembershipChange(const MembershipChange& change,
                          std::span<const std::shared_ptr<Peer>> others) override;
  // The frames held here for `name` go to the node that claimed it, in order.
  void OnClaimedElsewhere(std::string_view realm, std::string_view name, NodeId node) override;

  // BusSink: what other nodes send this one.
  void OnDirect(const sig::v1::Envelope& envelope) override;
  void OnRealm(const sig::v1::Envelope& envelope) override;
  void OnMembership(const MembershipChange& change) override;

 private:
  // Delivers `frame` to every local member of `realm` but `except`.
  void Fanout(std::string_view realm, std::string_view except, const Frame& frame) const;
  void Publish(const MembershipChange& change) const;
  // Sends the frames held for `name` to `node`, whose peer holds it now, in the order they came.
  void HandOverHeld(std::string_view realm, std::string_view name, NodeId node);
  // A held frame as a ROUTE_DIRECT envelope for the bus.
  static sig::v1::Envelope HeldEnvelope(std::string_view realm, std::string_view from,
                                        std::string_view to, const Frame& frame);

  const Clock& clock_;
  Directory& directory_;
  HoldStore& holds_;
  Bus& bus_;
  EventHub* const events_;
};

}  // namespace sig::core
