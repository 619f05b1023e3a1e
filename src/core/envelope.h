#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sig/v1/envelope.pb.h"

namespace sig::core {

// An envelope from `from` in `realm` carrying the already-encoded `frame`; `to` is empty for a
// broadcast. `received_ns` is core::MonotonicNanos() when the frame was read.
inline sig::v1::Envelope MakeEnvelope(sig::v1::Route route, std::string_view realm,
                                      std::string_view from, std::string_view to,
                                      std::string type, std::string frame,
                                      std::int64_t received_ns = 0) {
  sig::v1::Envelope envelope;
  envelope.set_route(route);
  envelope.set_realm(std::string(realm));
  envelope.set_from(std::string(from));
  envelope.set_to(std::string(to));
  envelope.set_type(std::move(type));
  envelope.set_frame(std::move(frame));
  envelope.set_received_ns(received_ns);
  return envelope;
}

}  // namespace sig::core
