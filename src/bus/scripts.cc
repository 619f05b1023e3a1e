#include "bus/scripts.h"

#include <openssl/sha.h>

#include <utility>

namespace sig::bus {
namespace {

std::string Sha1Hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA_DIGEST_LENGTH);
  for (const unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

constexpr std::string_view kClaim = R"lua(
if redis.call('EXISTS', 'sig:node:' .. ARGV[1]) == 0 then return {'fenced'} end
local entry = KEYS[1] .. '\t' .. KEYS[2] .. '\t' .. ARGV[7] .. '\t' .. ARGV[4]
local owner = redis.call('GET', KEYS[1])
local replaced = ''
if owner then
  local nid, conn, token = string.match(owner, '^(%d+)|(%d+)|(.*)$')
  if redis.call('EXISTS', 'sig:node:' .. nid) == 1 then
    -- A token digest may carry an issue time after '|': an older one takes nothing over.
    local have, have_at = string.match(token, '^([^|]*)|?(%d*)$')
    local want, want_at = string.match(ARGV[3], '^([^|]*)|?(%d*)$')
    if ARGV[3] == '' or have ~= want or
       (have_at ~= '' and want_at ~= '' and tonumber(want_at) < tonumber(have_at)) then
      return {'taken', owner}
    end
    replaced = owner
    if nid ~= ARGV[1] then redis.call('SREM', 'sig:node:' .. nid .. ':names', entry) end
  else
    redis.call('SREM', 'sig:node:' .. nid .. ':names', entry)
    redis.call('HDEL', KEYS[2], ARGV[4])
    redis.call('PUBLISH', ARGV[7], 'L\t' .. nid .. '\t' .. conn .. '\t' .. ARGV[4])
  end
end
if replaced == '' and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then return {'full'} end
local value = ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3]
redis.call('SET', KEYS[1], value)
redis.call('HSET', KEYS[2], ARGV[4], value)
redis.call('SADD', KEYS[3], entry)
if replaced == '' then
  redis.call('PUBLISH', ARGV[7], 'J\t' .. ARGV[1] .. '\t' .. ARGV[2] .. '\t' .. ARGV[4])
else
  redis.call('PUBLISH', ARGV[7], 'T\t' .. ARGV[1] .. '\t' .. ARGV[2] .. '\t' .. ARGV[4])
end
local reply = {'claimed', replaced}
if ARGV[6] == '1' then
  for _, field in ipairs(redis.call('HGETALL', KEYS[2])) do reply[#reply + 1] = field end
end
return reply
)lua";

constexpr std::string_view kRelease = R"lua(
local owner = redis.call('GET', KEYS[1])
if not owner or string.sub(owner, 1, #ARGV[1] + #ARGV[2] + 2) ~= ARGV[1] .. '|' .. ARGV[2] .. '|' then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[3])
redis.call('SREM', KEYS[3], KEYS[1] .. '\t' .. KEYS[2] .. '\t' .. ARGV[4] .. '\t' .. ARGV[3])
redis.call('PUBLISH', ARGV[4], 'L\t' .. ARGV[1] .. '\t' .. ARGV[2] .. '\t' .. ARGV[3])
return 1
)lua";

constexpr std::string_view kRefreshLease = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua";

constexpr std::string_view kReap = R"lua(
local nid = ARGV[1]
if redis.call('EXISTS', 'sig:node:' .. nid) == 1 then return -1 end
local set = 'sig:node:' .. nid .. ':names'
local entries = redis.call('SPOP', set, tonumber(ARGV[2]))
for _, entry in ipairs(entries) do
  local name_key, members_key, channel, name =
      string.match(entry, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$')
  if name_key then
    local owner = redis.call('GET', name_key)
    if owner and string.sub(owner, 1, #nid + 1) == nid .. '|' then
      local conn = string.match(owner, '^%d+|(%d+)|')
      redis.call('DEL', name_key)
      redis.call('HDEL', members_key, name)
      redis.call('PUBLISH', channel, 'L\t' .. nid .. '\t' .. conn .. '\t' .. name)
    end
  end
end
if redis.call('SCARD', set) == 0 then redis.call('HDEL', 'sig:nodes', nid) end
return #entries
)lua";

}  // namespace

Script::Script(std::string_view source) : source_(source), sha1_(Sha1Hex(source)) {}

void Script::Run(RedisConnection& connection, const std::vector<std::string>& keys,
                 const std::vector<std::string>& args, RedisConnection::ReplyCallback done) const {
  auto command = [&](std::string verb, std::string body) {
    std::vector<std::string> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.push_back(std::move(verb));
    argv.push_back(std::move(body));
    argv.push_back(std::to_string(keys.size()));
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  connection.Command(
      command("EVALSHA", sha1_),
      [connection = connection.shared_from_this(), retry = command("EVAL", source_),
       done = std::move(done)](RedisConnection::Reply reply) mutable {
        if (reply.ok() && reply->type == RedisReply::Type::kError &&
            reply->str.starts_with("NOSCRIPT")) {
          connection->Command(std::move(retry), std::move(done));
          return;
        }
        std::move(done)(std::move(reply));
      });
}

const Script& Scripts::Claim() {
  static const Script script(kClaim);
  return script;
}

const Script& Scripts::Release() {
  static const Script script(kRelease);
  return script;
}

const Script& Scripts::Reap() {
  static const Script script(kReap);
  return script;
}

const Script& Scripts::RefreshLease() {
  static const Script script(kRefreshLease);
  return script;
}

}  // namespace sig::bus
