// The PeerJS HTTP API and CORS, as peerjs-server 1.0.2 serves them (docs: PeerJS protocol, 3).

#include <string>

#include <boost/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/test_server.h"

namespace sig {
namespace {

using ::testing::MatchesRegex;

constexpr char kUuid[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

class PeerJsHttpTest : public testing::ServerTest {};

TEST_F(PeerJsHttpTest, IdIsABareUuidUnderEveryKeyAndTheSeedsShortPath) {
  StartServer();
  for (const char* target : {"/peerjs/peerjs/id", "/peerjs/anykey/id",
                             "/peerjs/id?ts=17953928076640.11&version=1.5.5"}) {
    auto reply = testing::HttpGet(server_->port(), target);
    ASSERT_TRUE(reply.ok()) << target;
    EXPECT_EQ(reply->status, 200) << target;
    EXPECT_EQ(reply->content_type, "text/html; charset=utf-8");
    EXPECT_THAT(reply->body, MatchesRegex(kUuid)) << target;
    EXPECT_EQ(reply->body.size(), 36u);
  }
}

TEST_F(PeerJsHttpTest, PeersIs401UnlessDiscoveryIsAllowed) {
  StartServer();
  auto reply = testing::HttpGet(server_->port(), "/peerjs/peerjs/peers");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 401);
  EXPECT_EQ(reply->body, "Unauthorized");
  reply = testing::HttpGet(server_->port(), "/peerjs/peers");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 401);
}

TEST_F(PeerJsHttpTest, PeersListsConnectedIdsInRegistrationOrder) {
  peerjs_.allow_discovery = true;
  StartServer();
  auto empty = testing::HttpGet(server_->port(), "/peerjs/peerjs/peers");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->body, "[]");
  auto one = OpenPeerJs("one");
  auto two = OpenPeerJs("two");
  auto three = OpenPeerJs("three");
  ASSERT_TRUE(one && two && three);
  for (const char* target : {"/peerjs/peerjs/peers", "/peerjs/peers"}) {
    auto reply = testing::HttpGet(server_->port(), target);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->content_type, "application/json; charset=utf-8");
    EXPECT_EQ(reply->body, R"(["one","two","three"])") << target;
  }
}

TEST_F(PeerJsHttpTest, RootAndHealthAreHealthChecksAndPrefixServesAppJson) {
  StartServer();
  auto td = LoggedIn("td-peer");
  auto pj1 = OpenPeerJs("pj-1");
  auto pj2 = OpenPeerJs("pj-2");
  ASSERT_TRUE(td && pj1 && pj2);
  for (const char* target : {"/", "/health"}) {
    auto reply = testing::HttpGet(server_->port(), target);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 200);
    const boost::json::value health = boost::json::parse(reply->body);
    EXPECT_EQ(health.at("status").as_string(), "healthy");
    EXPECT_EQ(health.at("clientCount").as_int64(), 3);
    EXPECT_EQ(health.at("peers").at("td").as_int64(), 1);
    EXPECT_EQ(health.at("peers").at("peerjs").as_int64(), 2);
  }
  auto app = testing::HttpGet(server_->port(), "/peerjs");
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->status, 200);
  EXPECT_EQ(app->body,
            R"({"name":"PeerJS Server","description":"A server side element to broker connections between PeerJS clients.","website":"https://peerjs.com/"})");
}

TEST_F(PeerJsHttpTest, CorsReflectsOriginWithVaryAndAnswersPreflight) {
  StartServer();
  auto with_origin = testing::HttpRequest(server_->port(), "GET", "/peerjs/peerjs/id",
                                          {{"Origin", "https://app.example"}});
  ASSERT_TRUE(with_origin.ok());
  EXPECT_EQ(with_origin->Header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(with_origin->Header("vary"), "Origin");
  auto without = testing::HttpGet(server_->port(), "/peerjs/peerjs/id");
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without->Header("access-control-allow-origin"), "");
  EXPECT_EQ(without->Header("vary"), "Origin");
  auto preflight = testing::HttpRequest(
      server_->port(), "OPTIONS", "/peerjs/peerjs/id",
      {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"},
       {"Access-Control-Request-Headers", "x-custom"}});
  ASSERT_TRUE(preflight.ok());
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->Header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(preflight->Header("access-control-allow-methods"), "GET,HEAD,PUT,PATCH,POST,DELETE");
  EXPECT_EQ(preflight->Header("access-control-allow-headers"), "x-custom");
  EXPECT_EQ(preflight->Header("vary"), "Origin, Access-Control-Request-Headers");
}

TEST_F(PeerJsHttpTest, CorsAllowListSendsAllowOriginOnlyForListedOrigins) {
  peerjs_.cors_origins = {"https://good.example"};
  StartServer();
  auto good = testing::HttpRequest(server_->port(), "GET", "/peerjs/peerjs/id",
                                   {{"Origin", "https://good.example"}});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->Header("access-control-allow-origin"), "https://good.example");
  auto bad = testing::HttpRequest(server_->port(), "GET", "/peerjs/peerjs/id",
                                  {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 200);
  EXPECT_EQ(bad->Header("access-control-allow-origin"), "");
}

TEST_F(PeerJsHttpTest, CustomPrefixAndKey) {
  peerjs_.path_prefix = edge::PeerJsOptions::NormalizePrefix("/myapp/");
  peerjs_.key = "k1";
  StartServer();
  auto id = testing::HttpGet(server_->port(), "/myapp/k1/id");
  ASSERT_TRUE(id.ok());
  EXPECT_THAT(id->body, MatchesRegex(kUuid));
  auto ws = Connect("/myapp/peerjs?key=k1&id=a&token=t");
  ASSERT_TRUE(ws);
  auto open = ws->Read();
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(*open, R"({"type":"OPEN"})");
  EXPECT_EQ(edge::PeerJsOptions::NormalizePrefix("/"), "");
  EXPECT_EQ(edge::PeerJsOptions::NormalizePrefix("x"), "/x");
}

}  // namespace
}  // namespace sig
