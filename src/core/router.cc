#include "core/router.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sig::core {
namespace {

// The envelope's message type number; one out of range (from a node of another version) is
// counted as "other".
FrameType TypeOf(const sig::v1::Envelope& envelope) {
  return envelope.frame_type() < kMaxFrameTypes ? static_cast<FrameType>(envelope.frame_type())
                                                : kOtherFrameType;
}

// Moves the envelope's frame out; the envelope's frame is empty afterwards.
Frame FrameOf(sig::v1::Envelope& envelope) {
  return MakeFrame(std::move(*envelope.mutable_frame()), TypeOf(envelope), envelope.received_ns());
}

// A copy of the envelope's frame, for envelopes that arrive const from the bus.
Frame FrameCopyOf(const sig::v1::Envelope& envelope) {
  return MakeFrame(envelope.frame(), TypeOf(envelope), envelope.received_ns());
}

}  // namespace

Router::Router(const Clock& clock, Directory& directory, HoldStore& holds, Bus& bus,
               EventHub* events)
    : clock_(clock), directory_(directory), holds_(holds), bus_(bus), events_(events) {
  directory_.SetSink(this);
  bus_.SetSink(this);
}

void Router::Join(ClaimRequest request, ClaimDone done) {
  std::string realm(request.realm);
  std::string name(request.name);
  std::weak_ptr<Peer> peer = request.peer;
  directory_.Claim(std::move(request), [this, realm = std::move(realm), name = std::move(name),
                                        peer = std::move(peer), done = std::move(done)](
                                           ClaimResult result) mutable {
    const bool claimed = result.outcome == ClaimOutcome::kClaimed;
    std::move(done)(std::move(result));
    if (!claimed) return;
    // After `done`, so a PeerJS OPEN goes out before the frames held for the new holder.
    std::vector<Frame> held = holds_.Take(realm, name);
    if (held.empty()) return;
    if (auto joined = peer.lock()) {
      for (Frame& frame : held) joined->Deliver(std::move(frame));
    }
  });
}

void Router::Leave(std::string_view realm, std::string_view name, std::uint64_t conn_id) {
  directory_.Release(realm, name, conn_id);
}

void Router::OnMembershipChange(const MembershipChange& change,
                                std::span<const std::shared_ptr<Peer>> others) {
  Publish(change);
  const bool joined = change.kind == MembershipChange::Kind::kJoined;
  if (!joined) holds_.DropFrom(change.realm, change.name);
  if (change.takeover) return;
  bus_.Announce(change);
  if (change.notices == nullptr || others.empty()) return;
  const Frame frame =
      joined ? change.notices->PeerJoined(change.name) : change.notices->PeerLeft(change.name);
  if (frame == nullptr) return;
  for (const std::shared_ptr<Peer>& other : others) other->Deliver(frame);
}

void Router::Route(sig::v1::Envelope& envelope, Peer& sender, const NoticeEncoder* notices) {
  switch (envelope.route()) {
    case sig::v1::ROUTE_DIRECT: {
      Holder holder = directory_.Lookup(envelope.realm(), envelope.to());
      if (holder.peer != nullptr) {
        holder.peer->Deliver(FrameOf(envelope));
        return;
      }
      if (holder.node != kNoNode) {
        if (!bus_.SendToNode(holder.node, envelope)) {
          sender.RelayFailed(RelayFailure::kTargetNotFound, envelope.to());
        }
        return;
      }
      if (!envelope.hold_if_absent()) {
        sender.RelayFailed(RelayFailure::kTargetNotFound, envelope.to());
        return;
      }
      const HoldStore::HoldOutcome outcome = holds_.Hold(
          envelope.realm(), envelope.from(), envelope.to(), FrameOf(envelope), notices,
          [&](const Frame& frame) {
            // The target may have been claimed since the lookup; its claim's Take waits for
            // this lock, so delivering here keeps the frame from being stranded.
            Holder now = directory_.Lookup(envelope.realm(), envelope.to());
            if (now.peer == nullptr) return false;
            now.peer->Deliver(frame);
            return true;
          });
      if (outcome == HoldStore::HoldOutcome::kOverLimit) {
        sender.RelayFailed(RelayFailure::kHoldLimit, envelope.to());
      }
      return;
    }
    case sig::v1::ROUTE_BROADCAST: {
      bus_.PublishToRealm(envelope);
      Fanout(envelope.realm(), envelope.from(), FrameOf(envelope));
      return;
    }
    default:
      return;  // the edge never sends an envelope without a route
  }
}

void Router::Fanout(std::string_view realm, std::string_view except, const Frame& frame) const {
  directory_.ForEachLocalMember(realm, [&](std::string_view name, Peer& peer) {
    if (name != except) peer.Deliver(frame);
  });
}

void Router::ExpireHeld(absl::Time now, absl::Duration timeout) {
  holds_.Expire(now, timeout,
                [&](std::string_view realm, std::string_view absent, std::string_view sender,
                    const NoticeEncoder& notices) {
                  Holder holder = directory_.Lookup(realm, sender);
                  if (holder.peer == nullptr) return;
                  if (Frame frame = notices.Expired(absent, sender)) holder.peer->Deliver(frame);
                });
}

void Router::OnDirect(const sig::v1::Envelope& envelope) {
  // The sender's node found the target here; it may have left since, and then the frame is
  // dropped (at-most-once, cluster-design.md 1.3).
  Holder holder = directory_.Lookup(envelope.realm(), envelope.to());
  if (holder.peer != nullptr) holder.peer->Deliver(FrameCopyOf(envelope));
}

void Router::OnRealm(const sig::v1::Envelope& envelope) {
  Fanout(envelope.realm(), envelope.from(), FrameCopyOf(envelope));
}

void Router::OnMembership(const MembershipChange& change) {
  Publish(change);
  if (change.notices == nullptr) return;
  const Frame frame = change.kind == MembershipChange::Kind::kJoined
                          ? change.notices->PeerJoined(change.name)
                          : change.notices->PeerLeft(change.name);
  if (frame != nullptr) Fanout(change.realm, change.name, frame);
}

void Router::Publish(const MembershipChange& change) const {
  if (events_ == nullptr || events_->watchers() == 0) return;
  PeerEvent event;
  event.kind = change.kind == MembershipChange::Kind::kJoined ? PeerEvent::Kind::kJoined
                                                              : PeerEvent::Kind::kLeft;
  event.protocol = change.protocol;
  event.realm = std::string(change.realm);
  event.name = std::string(change.name);
  event.conn_id = change.conn_id;
  event.at = clock_.Now();
  events_->Publish(event);
}

}  // namespace sig::core
