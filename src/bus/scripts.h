#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bus/redis_connection.h"

namespace sig::bus {

// A Lua script run by its SHA-1 (EVALSHA), and sent whole (EVAL, which also caches it) when
// Redis answers NOSCRIPT: after a restart it has forgotten every script.
class Script {
 public:
  explicit Script(std::string_view source);

  void Run(RedisConnection& connection, const std::vector<std::string>& keys,
           const std::vector<std::string>& args, RedisConnection::ReplyCallback done) const;

  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;  // lower-case hex, as Redis names scripts
};

// The scripts for everything that must not race (cluster-design.md 1.2). Owners are
// "nid|conn|tokenhash"; announcements on a realm's channel are "J\t<nid>\t<conn>\t<name>",
// "L\t<nid>\t<conn>\t<name>" and, when a name changes hands on a same-token takeover,
// "T\t<new nid>\t<new conn>\t<name>" (names hold no TAB: they are refused at login). A node's names
// set lists "<name key>\t<members key>\t<channel>\t<name>", all the reaper needs.
struct Scripts {
  // Claims a name. KEYS: name key, members key, own node's names key. ARGV: own nid, conn,
  // token hash (empty: none; "hash|issued" refuses a takeover by an older issue time), name, max members, "1" to list the realm's members, the realm's
  // channel. Replies {"claimed", replaced owner or "", [name, owner]...}, {"taken", owner},
  // {"full"}, or {"fenced"} when the node's own lease is gone. An owner whose node's lease is
  // gone is replaced, and its leave announced.
  static const Script& Claim();
  // Releases a name if (nid, conn) still owns it. KEYS: name key, members key, own node's names
  // key. ARGV: nid, conn, name, the realm's channel. Replies 1, or 0 if not the owner.
  static const Script& Release();
  // Frees up to ARGV[2] names of the node ARGV[1] if its lease is gone, announcing each leave;
  // forgets the node (sig:nodes) once none is left. Replies how many it took, or -1 when the
  // node is alive. Idempotent: any node may run it, any number of times.
  static const Script& Reap();
  // Extends the node's lease if it is still this incarnation's. KEYS: node key. ARGV: token,
  // lease in ms. Replies 1, or 0 when the lease was lost.
  static const Script& RefreshLease();
};

}  // namespace sig::bus
