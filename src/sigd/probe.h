#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace sig::sigd {

// `sigd --probe`: GET /health from the sigd that the same configuration (HOST, PORT, TLS_CERT)
// describes, for container health checks and supervisors. A wildcard host is probed on
// loopback; TLS is spoken when the listener speaks it (the certificate is not verified: the
// probe asks whether this process serves, not who it is). Prints the answer's status line and
// returns the exit status: 0 for 200, 1 otherwise (503 while draining, no answer).
int Probe(const std::string& host, std::uint16_t port, bool tls, absl::Duration timeout);

}  // namespace sig::sigd
