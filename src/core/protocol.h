#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sig/v1/envelope.pb.h"

namespace sig::core {

// A wire protocol, as everything names it: the envelope's, the admin API's, the counters'.
using Protocol = sig::v1::Protocol;

// Every protocol sigd speaks, in the order counters and listings give them. Code that needs
// one value per protocol iterates this and indexes with ProtocolIndex, never by hand.
inline constexpr std::array<Protocol, 2> kProtocols = {sig::v1::PROTOCOL_TD,
                                                       sig::v1::PROTOCOL_PEERJS};

// Their names in metrics labels, page tokens and /health, in the same order.
inline constexpr std::array<std::string_view, kProtocols.size()> kProtocolNames = {"td", "peerjs"};

// `p`'s position in kProtocols; p must be one of them.
constexpr std::size_t ProtocolIndex(Protocol p) {
  for (std::size_t i = 0; i < kProtocols.size(); ++i) {
    if (kProtocols[i] == p) return i;
  }
  return 0;
}

constexpr std::string_view ProtocolName(Protocol p) { return kProtocolNames[ProtocolIndex(p)]; }

// The prefix of every realm of each protocol, in kProtocols' order: a td room "lobby" is the
// realm "td/lobby", a PeerJS key "k" the realm "peerjs/k". Names are unique per realm.
inline constexpr std::array<std::string_view, kProtocols.size()> kRealmPrefixes = {"td/",
                                                                                    "peerjs/"};

// The realm of `p`'s namespace `space` (a td room, a PeerJS key).
inline std::string RealmOf(Protocol p, std::string_view space) {
  std::string realm(kRealmPrefixes[ProtocolIndex(p)]);
  realm.append(space);
  return realm;
}

// The protocol whose realm `realm` is, if any.
inline std::optional<Protocol> ProtocolOfRealm(std::string_view realm) {
  for (std::size_t i = 0; i < kProtocols.size(); ++i) {
    if (realm.starts_with(kRealmPrefixes[i])) return kProtocols[i];
  }
  return std::nullopt;
}

}  // namespace sig::core
