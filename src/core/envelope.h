#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/frame.h"
#include "sig/v1/envelope.pb.h"

namespace sig::core {

// Fills `envelope` as a message from `from` in `realm` carrying the already-encoded `frame` of
// message type `type`, numbered `frame_type` by its protocol; `to` is empty for a broadcast. `received_ns` is core::MonotonicNanos() when the frame was read.
// The strings the envelope already holds are assigned to, not reallocated, so one envelope
// refilled for every message costs no allocation of its own (see ThreadEnvelope).
inline void SetEnvelope(sig::v1::Envelope& envelope, sig::v1::Route route, std::string_view realm,
                        std::string_view from, std::string_view to, std::string_view type,
                        FrameType frame_type, std::string frame, std::int64_t received_ns = 0) {
  envelope.set_route(route);
  envelope.mutable_realm()->assign(realm);
  envelope.mutable_from()->assign(from);
  envelope.mutable_to()->assign(to);
  envelope.mutable_type()->assign(type);
  envelope.set_frame_type(frame_type);
  *envelope.mutable_frame() = std::move(frame);
  envelope.set_hold_if_absent(false);
  envelope.set_received_ns(received_ns);
}

// A new envelope filled by SetEnvelope.
inline sig::v1::Envelope MakeEnvelope(sig::v1::Route route, std::string_view realm,
                                      std::string_view from, std::string_view to,
                                      std::string_view type, FrameType frame_type,
                                      std::string frame, std::int64_t received_ns = 0) {
  sig::v1::Envelope envelope;
  SetEnvelope(envelope, route, realm, from, to, type, frame_type, std::move(frame), received_ns);
  return envelope;
}

// This thread's envelope for the relay path, refilled with SetEnvelope for each message and
// handed to Router::Route, which takes only its frame. Saves the five string allocations (and
// frees) a fresh envelope costs per relayed message. Safe because nothing Route calls reads
// another message on this thread before it returns: Peer::Deliver never runs a read handler.
inline sig::v1::Envelope& ThreadEnvelope() {
  static thread_local sig::v1::Envelope envelope;
  return envelope;
}

}  // namespace sig::core
