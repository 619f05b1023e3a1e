#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/peer_filter.h"

namespace sig::admin {

// ListPeers page tokens: opaque to clients, they carry the last connection id returned and a
// fingerprint of the filter, so a token reused with another filter is refused rather than
// silently walking a different set.
std::string EncodePageToken(std::uint64_t after_conn_id, const core::PeerFilter& filter);

// The connection id to continue after. InvalidArgument for a token that is malformed or was
// issued for another filter.
absl::StatusOr<std::uint64_t> DecodePageToken(std::string_view token,
                                              const core::PeerFilter& filter);

}  // namespace sig::admin
