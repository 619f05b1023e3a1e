#include "core/router.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/envelope.h"

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

// A copy of the envelope's frame, for envelopes that arrive const from the bus. Its receive time
// was read on another process's clock, so the relay latency of this node does not measure it.
Frame FrameCopyOf(const sig::v1::Envelope& envelope) {
  return MakeFrame(envelope.frame(), TypeOf(envelope));
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
    std::shared_ptr<Peer> joined = peer.lock();
    holds_.Take(realm, name, [&](std::string_view, const Frame& frame) {
      if (joined) joined->Deliver(frame);
    });
  });
}

void Router::Leave(std::string_view realm, std::string_view name, std::uint64_t conn_id,
                   LeaveNotice notice) {
  directory_.Release(realm, name, conn_id, notice);
}

void Router::OnMembershipChange(const MembershipChange& change,
                                std::span<const std::shared_ptr<Peer>> others) {
  if (!change.remote) Publish(change);
  const bool joined = change.kind == MembershipChange::Kind::kJoined;
  if (!joined) holds_.DropFrom(change.realm, change.name);
  if (change.takeover) return;
  bus_.Announce(change);
  if (change.notices == nullptr || others.empty()) return;
  if (!joined && !change.remote && change.notice == LeaveNotice::kOtherNodesOnly) return;
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
        // Frames this node held for the name before it heard of the claim go first: taken
        // under the hold store's lock, which OnClaimedElsewhere's hand-over takes too. With
        // nothing held on the node the lock is skipped: this sender's own earlier holds
        // happened before this relay (a session's frames are routed one after another), and
        // another sender's hold that races this relay sends its frame itself once it sees the
        // claim (Route's hold callback).
        if (envelope.hold_if_absent() && holds_.held_frames() != 0) {
          HandOverHeld(envelope.realm(), envelope.to(), holder.node);
        }
        if (std::optional<RelayFailure> failure = bus_.SendToNode(holder.node, envelope)) {
          sender.RelayFailed(*failure, envelope.to());
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
            // The target may have been claimed since the lookup, here or on another node; the
            // claim's Take (or hand-over) waits for this lock, so sending here keeps the frame
            // from being stranded.
            Holder now = directory_.Lookup(envelope.realm(), envelope.to());
            if (now.peer != nullptr) {
              now.peer->Deliver(frame);
              return true;
            }
            if (now.node == kNoNode) return false;
            if (std::optional<RelayFailure> failure = bus_.SendToNode(
                    now.node,
                    HeldEnvelope(envelope.realm(), envelope.from(), envelope.to(), frame))) {
              sender.RelayFailed(*failure, envelope.to());
            }
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

void Router::OnClaimedElsewhere(std::string_view realm, std::string_view name, NodeId node) {
  HandOverHeld(realm, name, node);
}

void Router::HandOverHeld(std::string_view realm, std::string_view name, NodeId node) {
  holds_.Take(realm, name, [&](std::string_view from, const Frame& frame) {
    // A frame the bus cannot take now is lost, as any frame in flight when the bus goes
    // (at-most-once, cluster-design.md 1.3); its sender still hears nothing back, as it would
    // not from a peer that got it.
    bus_.SendToNode(node, HeldEnvelope(realm, from, name, frame));
  });
}

sig::v1::Envelope Router::HeldEnvelope(std::string_view realm, std::string_view from,
                                       std::string_view to, const Frame& frame) {
  sig::v1::Envelope envelope =
      MakeEnvelope(sig::v1::ROUTE_DIRECT, realm, from, to, {}, frame->type, frame->bytes);
  envelope.set_hold_if_absent(true);
  return envelope;
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
  Holder holder = directory_.Lookup(envelope.realm(), envelope.to());
  if (holder.peer != nullptr) {
    holder.peer->Deliver(FrameCopyOf(envelope));
    return;
  }
  // The sender's node found the target here. It may have left since: the frame is dropped
  // (at-most-once, cluster-design.md 1.3). Or its claim is not complete here yet: the claim's
  // announcement can reach the sender's node, and its frames come back, before the claim's own
  // reply reaches this one. So a PeerJS frame waits here, as for any absent id: the claim's Take
  // delivers it after OPEN, or it expires (without an EXPIRE: the sender is not here to tell).
  if (!envelope.hold_if_absent()) return;
  holds_.Hold(envelope.realm(), envelope.from(), envelope.to(), FrameCopyOf(envelope),
              /*notices=*/nullptr, [&](const Frame& frame) {
                Holder now = directory_.Lookup(envelope.realm(), envelope.to());
                if (now.peer == nullptr) return false;
                now.peer->Deliver(frame);
                return true;
              });
}

void Router::OnRealm(const sig::v1::Envelope& envelope) {
  Fanout(envelope.realm(), envelope.from(), FrameCopyOf(envelope));
}

void Router::OnMembership(const MembershipChange& change) {
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
