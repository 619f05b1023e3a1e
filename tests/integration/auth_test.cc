// Logins with access tokens (auth on) over real loopback sockets, both protocols: the token
// table, the order of the checks, replacement by a newer login, and a key reload while peers
// are connected.

#include <memory>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "auth/jwt_verifier.h"
#include "auth/key_set.h"
#include "auth/turn_credentials.h"
#include "core/strings.h"
#include "gtest/gtest.h"
#include "testing/labels.h"
#include "testing/test_server.h"

namespace sig {
namespace {

constexpr std::string_view kSecret = "an HS256 secret of at least 32 bytes";
constexpr std::string_view kTurnSecret = "the coturn static-auth-secret";

std::unique_ptr<auth::VerificationKey> Key(std::string kid, std::string_view secret = kSecret) {
  return *auth::VerificationKey::Hmac(std::move(kid), std::string(secret));
}

std::shared_ptr<const auth::KeySet> Keys(std::vector<std::string> kids) {
  std::vector<std::unique_ptr<auth::VerificationKey>> keys;
  for (std::string& kid : kids) keys.push_back(Key(std::move(kid)));
  return auth::KeySet::Of(std::move(keys));
}

// header.payload.signature with the HS256 MAC under kSecret, whatever the header says.
std::string Token(std::string_view header, std::string_view claims) {
  const std::string signed_part =
      core::StrCat(auth::EncodeBase64Url(header), ".", auth::EncodeBase64Url(claims));
  return core::StrCat(signed_part, ".", auth::EncodeBase64Url(Key("x")->Sign(signed_part)));
}

class AuthTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    auth::JwtOptions options;
    options.audience = "sigd";
    jwt_ = std::make_unique<auth::JwtVerifier>(options, Keys({"k1"}));
    verifier_ = jwt_.get();
    limits_.auth_failure_burst = 100;  // the tables fail many logins from 127.0.0.1
    peerjs_.key = "lobby";  // a PeerJS token's room is the key
    peerjs_.allow_discovery = true;
    turn_issuer_ = std::make_unique<auth::TurnIssuer>(auth::TurnIssuer::Options{
        std::string(kTurnSecret), {"turn:127.0.0.1:3478?transport=udp"}, absl::Minutes(10)});
    turn_ = turn_issuer_.get();
    StartServer();
  }

  std::int64_t Now(absl::Duration d = absl::ZeroDuration()) {
    return absl::ToUnixSeconds(clock_.Now() + d);
  }
  // A good token for `sub` in `room` (td's room, or the PeerJS key), with `extra` claims.
  std::string Good(std::string_view sub, std::string_view room, std::string_view kid = "k1",
                   std::string_view extra = "") {
    return Token(core::StrCat(R"({"alg":"HS256","typ":"JWT","kid":")", kid, R"("})"),
                 core::StrCat(R"({"sub":")", sub, R"(","room":")", room,
                              R"(","aud":"sigd","exp":)", Now(absl::Minutes(10)), extra, "}"));
  }

  // The table: each token, what td answers (error code, close code) and what PeerJS answers.
  struct Row {
    std::string name;
    std::string token;
    bool expired;  // token_expired / 4004 / "Token expired"; else invalid_token / 4003
  };
  std::vector<Row> Table() {
    const std::string hs = R"({"alg":"HS256","kid":"k1"})";
    const std::string claims = core::StrCat(R"({"sub":"alice","room":"lobby","aud":"sigd","exp":)",
                                            Now(absl::Minutes(10)));
    const std::string good = Good("alice", "lobby");
    const std::string exp = core::StrCat(Now(absl::Minutes(10)));
    return {
        {"missing", "", false},
        {"expired", Token(hs, core::StrCat(R"({"sub":"alice","room":"lobby","aud":"sigd","exp":)",
                                            Now(-absl::Minutes(5)), "}")),
         true},
        {"not yet valid", Token(hs, core::StrCat(claims, R"(,"nbf":)", Now(absl::Minutes(5)), "}")),
         true},
        {"wrong audience", Token(hs, core::StrCat(R"({"sub":"alice","room":"lobby","aud":"x","exp":)",
                                                  exp, "}")),
         false},
        {"unknown kid", Good("alice", "lobby", "k9"), false},
        {"HS512", Token(R"({"alg":"HS512","kid":"k1"})", claims + "}"), false},
        {"none", Token(R"({"alg":"none","kid":"k1"})", claims + "}"), false},
        {"hs256", Token(R"({"alg":"hs256","kid":"k1"})", claims + "}"), false},
        {"RS256 header on an HS256 kid", Token(R"({"alg":"RS256","kid":"k1"})", claims + "}"), false},
        {"tampered payload",
         core::StrCat(good.substr(0, good.find('.') + 1),
                      auth::EncodeBase64Url(core::StrCat(
                          R"({"sub":"alice","room":"lobby","aud":"sigd","exp":)", exp, ",\"x\":1}")),
                      good.substr(good.rfind('.'))),
         false},
        {"bad padding", good + "=", false},
        {"oversized", Good("alice", "lobby", "k1", core::StrCat(R"(,"pad":")", std::string(2100, 'p'), "\"")),
         false},
        {"missing claims", Token(hs, R"({"sub":"alice","room":"lobby"})"), false},
        {"exp as a string", Token(hs, core::StrCat(R"({"sub":"alice","room":"lobby","aud":"sigd","exp":")",
                                                   exp, "\"}")),
         false},
        {"sub mismatch", Good("mallory", "lobby"), false},
        {"room mismatch", Good("alice", "elsewhere"), false},
    };
  }

  void ExpectTdRefused(std::string_view login, std::string_view error, std::uint16_t code,
                       std::string_view label) {
    auto c = Connect();
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->Send(login).ok());
    auto reply = c->ReadJson();
    ASSERT_TRUE(reply.ok()) << label << ": " << reply.status();
    EXPECT_EQ(testing::Str(*reply, "type"), "error") << label;
    EXPECT_EQ(testing::Str(*reply, "error"), error) << label;
    auto closed = c->WaitClose();
    ASSERT_TRUE(closed.ok()) << label;
    EXPECT_EQ(*closed, code) << label;
  }
  std::unique_ptr<testing::WsClient> TdLogin(std::string_view login) {
    auto c = Connect();
    if (!c) return nullptr;
    EXPECT_TRUE(c->Send(login).ok());
    auto reply = c->ReadJson();
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok() || testing::Str(*reply, "type") != "login_success") {
      ADD_FAILURE() << login << " -> " << (reply.ok() ? boost::json::serialize(*reply) : std::string());
      return nullptr;
    }
    return c;
  }
  static std::string TdLoginText(std::string_view name, std::string_view room,
                                 std::string_view token) {
    std::string out = R"({"type":"login")";
    if (!name.empty()) out += core::StrCat(R"(,"name":")", name, "\"");
    if (!room.empty()) out += core::StrCat(R"(,"room":")", room, "\"");
    return core::StrCat(out, R"(,"token":")", token, R"("})");
  }

  std::uint64_t AuthFailures(core::Protocol p, std::string_view reason) {
    return node_->stats.auth_failures(core::ProtocolIndex(p),
                                      testing::LabelIndex(core::Stats::kTokenFailures, reason));
  }

  std::unique_ptr<auth::JwtVerifier> jwt_;
  std::unique_ptr<auth::TurnIssuer> turn_issuer_;
};

TEST_F(AuthTest, TdTheTokenTable) {
  for (const Row& row : Table()) {
    ExpectTdRefused(TdLoginText("alice", "lobby", row.token),
                    row.expired ? "token_expired" : "invalid_token", row.expired ? 4004 : 4003,
                    row.name);
  }
  // No token at all.
  ExpectTdRefused(R"({"type":"login","name":"alice","room":"lobby"})", "invalid_token", 4003,
                  "no token member");
  const auto td = sig::v1::PROTOCOL_TD;
  EXPECT_EQ(AuthFailures(td, "missing"), 2u);
  EXPECT_EQ(AuthFailures(td, "expired"), 1u);
  EXPECT_EQ(AuthFailures(td, "not_yet_valid"), 1u);
  EXPECT_EQ(AuthFailures(td, "mismatch"), 2u);
  EXPECT_EQ(AuthFailures(td, "algorithm"), 4u);  // HS512, none, hs256, RS256 header
  // And the good one logs in; the name may be left out, and is the token's sub then.
  auto alice = TdLogin(TdLoginText("alice", "lobby", Good("alice", "lobby")));
  ASSERT_TRUE(alice);
  auto bob = Connect();
  ASSERT_TRUE(bob->Send(TdLoginText("", "lobby", Good("bob", "lobby"))).ok());
  auto reply = bob->ReadJson();
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(testing::Str(*reply, "type"), "login_success");
  EXPECT_EQ(testing::Str(*reply, "id"), "bob");
}

// Name syntax, then the token, then the match, then name taken: a client without a good token
// learns nothing about who is online.
TEST_F(AuthTest, TdChecksInOrder) {
  auto alice = TdLogin(TdLoginText("alice", "lobby", Good("alice", "lobby")));
  ASSERT_TRUE(alice);
  ExpectTdRefused(TdLoginText("bad\\u0000name", "lobby", "x"), "invalid_name", 4001, "syntax first");
  ExpectTdRefused(TdLoginText("alice", "lobby", "garbage"), "invalid_token", 4003,
                  "a taken name with a bad token");
  ExpectTdRefused(TdLoginText("alice", "lobby", Good("mallory", "lobby")), "invalid_token", 4003,
                  "a taken name with someone else's token");
}

// A second login with a valid token for the same subject takes the name over: the first
// session is closed with 4005, and the room hears no leave or join.
TEST_F(AuthTest, TdANewerLoginReplacesTheSession) {
  auto alice = TdLogin(TdLoginText("alice", "lobby", Good("alice", "lobby")));
  ASSERT_TRUE(alice);
  auto bob = TdLogin(TdLoginText("bob", "lobby", Good("bob", "lobby")));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(alice->ReadType("peer_connected").ok());
  auto again = TdLogin(TdLoginText("alice", "lobby", Good("alice", "lobby", "k1", R"(,"iat":1)")));
  ASSERT_TRUE(again);
  auto closed = alice->WaitClose();
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(*closed, 4005);
  ASSERT_TRUE(bob->Send(R"({"type":"offer","target":"alice","sdp":"x"})").ok());
  auto offer = again->ReadType("offer");
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(testing::Str(*offer, "from"), "bob");
  ExpectPongNext(*bob);  // no peer_disconnected, no peer_connected for the takeover
}

// "Newer" is the token's issue time: a still-valid token issued before the session's own cannot
// take the name back (two devices of one user do not evict each other forever).
TEST_F(AuthTest, AnOlderTokenCannotTakeTheNameBack) {
  auto alice = TdLogin(TdLoginText("alice", "lobby", Good("alice", "lobby", "k1", R"(,"iat":100)")));
  ASSERT_TRUE(alice);
  ExpectTdRefused(TdLoginText("alice", "lobby", Good("alice", "lobby", "k1", R"(,"iat":50)")),
                  "name_taken", 4000, "older token");
  auto newer = TdLogin(TdLoginText("alice", "lobby", Good("alice", "lobby", "k1", R"(,"iat":200)")));
  ASSERT_TRUE(newer);
  EXPECT_EQ(alice->WaitClose().value_or(0), 4005);
  // PeerJS alike: ID-TAKEN for the older one.
  auto bob = ConnectPeerJs(core::StrCat("key=lobby&id=bob&token=",
                                        Good("bob", "lobby", "k1", R"(,"iat":100)")));
  ASSERT_EQ(bob->Read().value_or(""), R"({"type":"OPEN"})");
  auto older = ConnectPeerJs(core::StrCat("key=lobby&id=bob&token=",
                                          Good("bob", "lobby", "k1", R"(,"iat":99)")));
  EXPECT_EQ(older->Read().value_or(""), R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");
}

TEST_F(AuthTest, PeerJsTheTokenTable) {
  for (const Row& row : Table()) {
    if (row.token.empty()) continue;  // no token is peerjs-server's missing-parameters case
    auto c = ConnectPeerJs(core::StrCat("key=lobby&id=alice&token=", row.token));
    ASSERT_TRUE(c);
    auto got = c->Read();
    ASSERT_TRUE(got.ok()) << row.name;
    EXPECT_EQ(*got, row.expired ? R"({"type":"ERROR","payload":{"msg":"Token expired"}})"
                                : R"({"type":"ERROR","payload":{"msg":"Invalid token provided"}})")
        << row.name;
    auto closed = c->WaitClose();
    ASSERT_TRUE(closed.ok()) << row.name;
  }
  EXPECT_EQ(AuthFailures(sig::v1::PROTOCOL_PEERJS, "mismatch"), 2u);
  EXPECT_EQ(AuthFailures(sig::v1::PROTOCOL_PEERJS, "too_large"), 1u);
  auto alice = ConnectPeerJs(core::StrCat("key=lobby&id=alice&token=", Good("alice", "lobby")));
  auto open = alice->Read();
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(*open, R"({"type":"OPEN"})");
  // A newer login for alice: the old socket is closed with 4005.
  auto again = ConnectPeerJs(core::StrCat("key=lobby&id=alice&token=",
                                          Good("alice", "lobby", "k1", R"(,"iat":2)")));
  ASSERT_TRUE(again);
  ASSERT_EQ(again->Read().value_or(""), R"({"type":"OPEN"})");
  auto closed = alice->WaitClose();
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(*closed, 4005);
}

// With TURN configured, login_success carries a coturn REST credential for the name, which an
// independent HMAC over the username reproduces.
TEST_F(AuthTest, TdLoginSuccessCarriesTurnCredentials) {
  auto alice = Connect();
  ASSERT_TRUE(alice->Send(TdLoginText("alice", "lobby", Good("alice", "lobby"))).ok());
  auto reply = alice->ReadJson();
  ASSERT_TRUE(reply.ok());
  const auto& servers = reply->at("iceServers").as_array();
  ASSERT_EQ(servers.size(), 1u);
  const std::string username(servers[0].at("username").as_string());
  const std::int64_t expires = reply->at("iceServersExpireAt").as_int64();
  EXPECT_EQ(username, core::StrCat(expires, ":alice"));
  EXPECT_EQ(expires, Now(absl::Minutes(10)));
  EXPECT_EQ(servers[0].at("credential").as_string(), auth::TurnPassword(kTurnSecret, username));
  EXPECT_EQ(servers[0].at("urls").as_array()[0].as_string(), "turn:127.0.0.1:3478?transport=udp");
}

TEST_F(AuthTest, TurnCredentialsOverHttpNeedABearerToken) {
  auto none = testing::HttpGet(server_->port(), "/turn-credentials");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->Header("www-authenticate"), R"(Bearer error="invalid_token")");
  auto bad = testing::HttpRequest(server_->port(), "GET", "/turn-credentials",
                                  {{"Authorization", "Bearer " + Good("alice", "lobby") + "x"}});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 401);
  auto good = testing::HttpRequest(server_->port(), "GET", "/turn-credentials",
                                   {{"Authorization", "Bearer " + Good("alice", "lobby")}});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->status, 200);
  EXPECT_EQ(good->Header("cache-control"), "no-store");
  const boost::json::value body = boost::json::parse(good->body);
  const std::string username(body.at("username").as_string());
  EXPECT_EQ(username, core::StrCat(Now(absl::Minutes(10)), ":alice"));
  EXPECT_EQ(body.at("password").as_string(), auth::TurnPassword(kTurnSecret, username));
  EXPECT_EQ(body.at("ttl").as_int64(), 600);
  EXPECT_EQ(body.at("uris").as_array().size(), 1u);
  EXPECT_EQ(body.at("iceServers").as_array()[0].at("credential").as_string(),
            body.at("password").as_string());
  // The token may ride in the query instead, so that a plain GET needs no preflight.
  auto query = testing::HttpGet(server_->port(), "/turn-credentials?token=" + Good("bob", "x"));
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->status, 200);
  // A page on another origin asks first.
  auto preflight = testing::HttpRequest(
      server_->port(), "OPTIONS", "/turn-credentials",
      {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"},
       {"Access-Control-Request-Headers", "authorization"}});
  ASSERT_TRUE(preflight.ok());
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->Header("access-control-allow-headers"), "authorization");
  EXPECT_EQ(preflight->Header("access-control-allow-origin"), "https://app.example");
}

// With auth on, the PeerJS peer list is for bearers of a token for that key only.
TEST_F(AuthTest, ThePeerListNeedsATokenForItsKey) {
  auto alice = ConnectPeerJs(core::StrCat("key=lobby&id=alice&token=", Good("alice", "lobby")));
  ASSERT_EQ(alice->Read().value_or(""), R"({"type":"OPEN"})");
  auto none = testing::HttpGet(server_->port(), "/peerjs/lobby/peers");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 401);
  auto other = testing::HttpRequest(server_->port(), "GET", "/peerjs/lobby/peers",
                                    {{"Authorization", "Bearer " + Good("bob", "elsewhere")}});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 401);
  auto mine = testing::HttpRequest(server_->port(), "GET", "/peerjs/lobby/peers",
                                   {{"Authorization", "Bearer " + Good("bob", "lobby")}});
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->status, 200);
  EXPECT_EQ(mine->body, R"(["alice"])");
}

// One address may fail ten logins at once, then one per 6 s; past that its logins are closed
// with 1008 unchecked, even with a good token, until the budget refills.
TEST_F(AuthTest, RepeatedFailuresFromOneAddressAreClosedWith1008) {
  server_->Shutdown();
  limits_.auth_failure_burst = 10;
  StartServer();
  for (int i = 0; i < 10; ++i) {
    ExpectTdRefused(TdLoginText("alice", "lobby", "bad"), "invalid_token", 4003, "within budget");
  }
  ExpectTdRefused(TdLoginText("alice", "lobby", Good("alice", "lobby")), "auth_blocked", 1008,
                  "over budget, even with a good token");
  auto peerjs = ConnectPeerJs(core::StrCat("key=lobby&id=bob&token=", Good("bob", "lobby")));
  EXPECT_EQ(peerjs->Read().value_or(""),
            R"({"type":"ERROR","payload":{"msg":"Too many failed logins"}})");
  EXPECT_EQ(peerjs->WaitClose().value_or(0), 1008);
  clock_.Advance(absl::Seconds(6));  // one more try
  auto alice = TdLogin(TdLoginText("alice", "lobby", Good("alice", "lobby")));
  EXPECT_TRUE(alice);
  EXPECT_EQ(node_->stats.rejections(core::ProtocolIndex(sig::v1::PROTOCOL_TD),
                                    testing::LabelIndex(core::Stats::kRejections, "auth_blocked")),
            1u);
}

// Bad tokens on the HTTP endpoints spend the same per-address budget as logins, and are counted
// by endpoint; over budget, those endpoints answer 429 unchecked, and logins 1008.
TEST_F(AuthTest, BadTokensOverHttpSpendTheLoginBudget) {
  server_->Shutdown();
  limits_.auth_failure_burst = 3;
  StartServer();
  const auto get = [this](std::string_view target, const std::string& token) {
    auto reply = testing::HttpRequest(server_->port(), "GET", target,
                                      {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : testing::HttpReply{};
  };
  EXPECT_EQ(get("/turn-credentials", "nonsense").status, 401);
  EXPECT_EQ(get("/turn-credentials", Good("alice", "lobby") + "x").status, 401);
  EXPECT_EQ(get("/peerjs/lobby/peers", Good("bob", "elsewhere")).status, 401);
  using Endpoint = core::Stats::HttpAuthEndpoint;
  const auto failures = [this](Endpoint e, std::string_view reason) {
    return node_->stats.http_auth_failures(static_cast<std::size_t>(e),
                                           testing::LabelIndex(core::Stats::kTokenFailures, reason));
  };
  EXPECT_EQ(failures(Endpoint::kTurnCredentials, "malformed"), 1u);
  EXPECT_EQ(failures(Endpoint::kTurnCredentials, "signature"), 1u);
  EXPECT_EQ(failures(Endpoint::kPeerList, "mismatch"), 1u);

  // Over budget: refused before the token is looked at, good or not.
  const testing::HttpReply turn = get("/turn-credentials", Good("alice", "lobby"));
  EXPECT_EQ(turn.status, 429);
  EXPECT_EQ(turn.Header("retry-after"), "6");
  // A page on another origin can read the refusal, as it reads every PeerJS answer.
  auto peers = testing::HttpRequest(server_->port(), "GET", "/peerjs/lobby/peers",
                                    {{"Authorization", "Bearer " + Good("bob", "lobby")},
                                     {"Origin", "https://app.example"}});
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(peers->status, 429);
  EXPECT_EQ(peers->Header("access-control-allow-origin"), "https://app.example");
  ExpectTdRefused(TdLoginText("alice", "lobby", Good("alice", "lobby")), "auth_blocked", 1008,
                  "the HTTP failures spent the login budget too");
  EXPECT_EQ(node_->stats.http_auth_failures(static_cast<std::size_t>(Endpoint::kTurnCredentials),
                                            core::Stats::kHttpAuthBlocked),
            1u);
  auto metrics = testing::HttpGet(server_->port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find(
                R"(sig_http_auth_failures_total{endpoint="peer_list",reason="mismatch"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics->body.find(
                R"(sig_http_auth_failures_total{endpoint="turn_credentials",reason="auth_blocked"} 1)"),
            std::string::npos);
  EXPECT_EQ(metrics->body.find(R"(endpoint="turn_credentials",reason="mismatch")"),
            std::string::npos);  // cannot occur: a TURN credential is for any valid token

  clock_.Advance(absl::Seconds(6));  // one more try
  EXPECT_EQ(get("/turn-credentials", Good("alice", "lobby")).status, 200);
}

// A reload that adds k2 and removes k1: connected peers stay, logins with k1 stop, with k2 work.
TEST_F(AuthTest, AReloadAddsAndRemovesKeysWhilePeersStay) {
  auto alice = TdLogin(TdLoginText("alice", "lobby", Good("alice", "lobby", "k1")));
  ASSERT_TRUE(alice);
  jwt_->Replace(Keys({"k2"}));
  ExpectTdRefused(TdLoginText("bob", "lobby", Good("bob", "lobby", "k1")), "invalid_token", 4003,
                  "k1 removed");
  auto bob = TdLogin(TdLoginText("bob", "lobby", Good("bob", "lobby", "k2")));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(alice->ReadType("peer_connected").ok());
  ExpectPongNext(*alice);
}

}  // namespace
}  // namespace sig

namespace sig {
namespace {

// TURN without auth: GET /turn-credentials is 404 unless the operator made it public.
class PublicTurnTest : public testing::ServerTest {
 protected:
  void Start(bool is_public) {
    issuer_ = std::make_unique<auth::TurnIssuer>(auth::TurnIssuer::Options{
        std::string(kTurnSecret), {"turn:127.0.0.1:3478"}, absl::Minutes(10)});
    turn_ = issuer_.get();
    turn_public_ = is_public;
    StartServer();
  }
  std::unique_ptr<auth::TurnIssuer> issuer_;
};

TEST_F(PublicTurnTest, HiddenUnlessPublic) {
  Start(false);
  auto hidden = testing::HttpGet(server_->port(), "/turn-credentials");
  ASSERT_TRUE(hidden.ok());
  EXPECT_EQ(hidden->status, 404);
}

TEST_F(PublicTurnTest, AnyoneGetsThemWhenPublic) {
  Start(true);
  auto got = testing::HttpGet(server_->port(), "/turn-credentials");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, 200);
  const boost::json::value body = boost::json::parse(got->body);
  EXPECT_TRUE(std::string(body.at("username").as_string()).ends_with(":anonymous"));
}

}  // namespace
}  // namespace sig
