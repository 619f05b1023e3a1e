#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/peer_filter.h"

namespace sig::admin {

// Where a walk of ListPeers stands: after connection `conn_id` of node `node` (node 0: a node
// alone, or a walk of one node). Peers are walked in (node, conn_id) order.
struct PagePosition {
  std::uint64_t node = 0;
  std::uint64_t conn_id = 0;
};

// ListPeers page tokens: opaque to clients, they carry the position and a fingerprint of the
// filter, so a token reused with another filter is refused rather than silently walking a
// different set.
std::string EncodePageToken(PagePosition after, const core::PeerFilter& filter);

// InvalidArgument for a token that is malformed or was issued for another filter.
absl::StatusOr<PagePosition> DecodePageToken(std::string_view token,
                                             const core::PeerFilter& filter);

}  // namespace sig::admin
