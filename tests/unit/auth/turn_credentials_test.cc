#include "auth/turn_credentials.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sig::auth {
namespace {

// The vector of auth-turn.md, computed alike by openssl, Node and Python.
TEST(TurnCredentialsTest, ThePasswordIsCoturnsRestScheme) {
  EXPECT_EQ(TurnPassword("s3cret-for-tests", "1795400000:alice"), "0s2DYqlq2G7LCTxYLNjCuW+vIuI=");
}

TEST(TurnCredentialsTest, MintsForTheTtlAndSwapsTheSecret) {
  TurnIssuer issuer({"s3cret-for-tests", {"turn:127.0.0.1:3478?transport=udp"}, absl::Hours(1)});
  const absl::Time now = absl::FromUnixSeconds(1795396400) + absl::Milliseconds(400);
  const TurnCredential c = issuer.Mint("alice", now);
  EXPECT_EQ(c.username, "1795400000:alice");
  EXPECT_EQ(c.password, "0s2DYqlq2G7LCTxYLNjCuW+vIuI=");
  EXPECT_EQ(c.expires, absl::FromUnixSeconds(1795400000));
  EXPECT_EQ(issuer.IceServersJson(c),
            R"([{"urls":["turn:127.0.0.1:3478?transport=udp"],"username":"1795400000:alice",)"
            R"("credential":"0s2DYqlq2G7LCTxYLNjCuW+vIuI="}])");
  EXPECT_EQ(issuer.RestJson(c).find(R"({"username":"1795400000:alice","password":"0s2D)"), 0u);
  issuer.ReplaceSecret("another secret");
  EXPECT_NE(issuer.Mint("alice", now).password, c.password);
}

TEST(TurnCredentialsTest, UrisMustBeTurnOrTurns) {
  std::vector<std::string> uris;
  std::string error;
  EXPECT_TRUE(ParseTurnUris("turn:a:3478?transport=udp, turns:a:443?transport=tcp", &uris, &error));
  EXPECT_EQ(uris.size(), 2u);
  EXPECT_FALSE(ParseTurnUris("stun:a:3478", &uris, &error));
  EXPECT_FALSE(ParseTurnUris("", &uris, &error));
}

}  // namespace
}  // namespace sig::auth
