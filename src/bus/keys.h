#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sig::bus {

// Redis keys and channels of the cluster (cluster-design.md 2). Realms and names are
// percent-encoded in them (`{`, `}`, `|`, `%`, and bytes below 0x21 or at 0x7f), so what users
// choose can never break a hash tag or a separator.
std::string EncodeKeyPart(std::string_view part);
// The realm whose channel is `channel`; empty if it is not a realm's channel.
std::string RealmOfChannel(std::string_view channel);

// sig:node:<nid>: the node's lease (its incarnation token, PX the lease); also the channel of
// frames for that node.
std::string NodeKey(std::uint64_t node);
// sig:node:<nid>:names: "realm\tname" of every name the node holds (the reaper's index).
std::string NodeNamesKey(std::uint64_t node);
// sig:nodes: node id -> what the node says of itself.
inline constexpr std::string_view kNodesKey = "sig:nodes";
// Every node listens here: surveys of the admin plane.
inline constexpr std::string_view kControlChannel = "sig:ctl";
// Nodes with cluster-wide WatchEvents listen here for the other nodes' events.
inline constexpr std::string_view kEventsChannel = "sig:events";
// Exists (PX 3 s, refreshed every second) while some node watches events cluster-wide.
inline constexpr std::string_view kWatchingKey = "sig:watching";
// sig:{<realm>}:n:<name>: the name's owner, "nid|conn|tokenhash".
std::string NameKey(std::string_view realm, std::string_view name);
// sig:{<realm>}:m: the realm's members, name -> owner.
std::string MembersKey(std::string_view realm);
// sig:{<realm>}:ch: the realm's joins, leaves and broadcasts.
std::string RealmChannel(std::string_view realm);

}  // namespace sig::bus
