#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/stats.h"

namespace sig::core {

// Which peers an admin listing or event watch is about. Empty fields match everything.
struct PeerFilter {
  std::optional<Protocol> protocol;
  std::string realm;        // exact: "td/<room>" or "peerjs/<key>"
  std::string name_prefix;  // byte prefix of the name
  // Events only: those of this node, not those other nodes of a cluster forwarded.
  bool this_node_only = false;

  bool Matches(Protocol p, std::string_view realm_name, std::string_view name) const {
    return (!protocol || *protocol == p) && (realm.empty() || realm == realm_name) &&
           name.substr(0, name_prefix.size()) == name_prefix;
  }
};

}  // namespace sig::core
