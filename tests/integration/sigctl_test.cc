// sigctl as a subprocess against a live sigd subprocess: each command, its --json output parsed
// and checked, and the exit status contract (0 done, 1 call failed, 2 usage).

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/sigd_process.h"
#include "testing/subprocess.h"
#include "testing/ws_client.h"

namespace sig {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "test-token";

class SigctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sigd = testing::SigdProcess::Start(SIGD_BINARY, {std::string("--admin_token=") + kToken});
    ASSERT_TRUE(sigd.ok()) << sigd.status();
    sigd_.emplace(*std::move(sigd));
  }

  std::vector<std::string> Args(std::vector<std::string> command, bool with_token = true) const {
    std::vector<std::string> args = {SIGCTL_BINARY,
                                     "--addr=127.0.0.1:" + std::to_string(sigd_->admin_port()),
                                     "--timeout=10s"};
    if (with_token) args.push_back(std::string("--token=") + kToken);
    args.insert(args.end(), command.begin(), command.end());
    return args;
  }

  testing::Subprocess::Result Run(std::vector<std::string> command, bool with_token = true) {
    auto child = testing::Subprocess::Start(Args(std::move(command), with_token));
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return {};
    auto result = child->Finish(testing::kWait);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : testing::Subprocess::Result{};
  }

  // Runs a --json command that must succeed and returns its parsed output.
  boost::json::value Json(std::vector<std::string> command) {
    command.insert(command.begin(), "--json");
    auto result = Run(std::move(command));
    EXPECT_EQ(result.exit_code, 0) << result.out;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(result.out, ec);
    EXPECT_FALSE(ec) << result.out;
    return value;
  }

  std::unique_ptr<testing::WsClient> LoggedIn(std::string_view name) {
    auto client = testing::WsClient::Connect(sigd_->port(), "/");
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    EXPECT_TRUE((*client)->Login(name, "ops").ok());
    return *std::move(client);
  }

  std::optional<testing::SigdProcess> sigd_;
};

TEST_F(SigctlTest, PeersAndPeer) {
  auto alice = LoggedIn("alice");
  auto bob = LoggedIn("bob");
  const boost::json::value peers = Json({"peers", "--page_size=1"});  // walks every page
  const auto& list = peers.at("peers").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("name").as_string(), "alice");
  EXPECT_EQ(list[1].at("name").as_string(), "bob");
  EXPECT_EQ(list[0].at("realm").as_string(), "td/ops");
  EXPECT_EQ(list[0].at("protocol").as_string(), "PROTOCOL_TD");

  const boost::json::value peer = Json({"peer", "td/ops", "bob"});
  EXPECT_EQ(peer.at("name").as_string(), "bob");
  EXPECT_THAT(std::string(peer.at("remote_address").as_string()), HasSubstr("127.0.0.1:"));

  auto table = Run({"peers", "--prefix=al"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, HasSubstr("alice"));
  EXPECT_THAT(table.out, ::testing::Not(HasSubstr("bob")));

  auto missing = Run({"peer", "td/ops", "nobody"});
  EXPECT_EQ(missing.exit_code, 1);
}

TEST_F(SigctlTest, KickClosesThePeer) {
  auto alice = LoggedIn("alice");
  auto bob = LoggedIn("bob");
  const boost::json::value kicked = Json({"kick", "td/ops", "bob", "--code=4003", "--reason=bye"});
  EXPECT_EQ(kicked.at("code").as_int64(), 4003);
  auto code = bob->WaitClose();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 4003);
  EXPECT_TRUE(alice->ReadType("peer_disconnected").ok());
}

TEST_F(SigctlTest, StatsAndHealth) {
  auto alice = LoggedIn("alice");
  const boost::json::value stats = Json({"stats"});
  EXPECT_EQ(stats.at("phase").as_string(), "SERVING_PHASE_SERVING");
  EXPECT_EQ(stats.at("peers_by_protocol").at("td").as_string(), "1");  // uint64 is a JSON string
  const boost::json::value health = Json({"health"});
  EXPECT_EQ(health.at("status").as_string(), "SERVING");
  auto unknown = Run({"health", "--service=no.such.Service"});
  EXPECT_EQ(unknown.exit_code, 1);  // NOT_FOUND
}

TEST_F(SigctlTest, WatchPrintsJoinAndLeave) {
  auto watch = testing::Subprocess::Start(Args({"--json", "watch", "--count=2"}));
  ASSERT_TRUE(watch.ok()) << watch.status();
  auto ready = watch->ReadStderrLine(testing::kWait);
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(*ready, "sigctl: watching");
  {
    auto carol = LoggedIn("carol");
    ASSERT_TRUE(carol->Close().ok());
  }
  auto result = watch->Finish(testing::kWait);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  std::vector<boost::json::value> events;
  std::size_t start = 0;
  for (std::size_t end; (end = result->out.find('\n', start)) != std::string::npos; start = end + 1) {
    events.push_back(boost::json::parse(result->out.substr(start, end - start)));
  }
  ASSERT_EQ(events.size(), 2u) << result->out;
  EXPECT_EQ(events[0].at("kind").as_string(), "KIND_JOINED");
  EXPECT_EQ(events[0].at("name").as_string(), "carol");
  EXPECT_EQ(events[1].at("kind").as_string(), "KIND_LEFT");
}

TEST_F(SigctlTest, DrainThenHealthFails) {
  auto alice = LoggedIn("alice");
  const boost::json::value drained = Json({"drain", "--grace=100ms"});
  EXPECT_EQ(drained.at("connections").as_string(), "1");
  auto code = alice->WaitClose();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1012);
  auto health = Run({"health"});
  EXPECT_EQ(health.exit_code, 1);
  EXPECT_THAT(health.out, HasSubstr("NOT_SERVING"));
  auto again = Run({"drain"});
  EXPECT_EQ(again.exit_code, 1);  // FAILED_PRECONDITION
}

TEST_F(SigctlTest, UndrainRoomsAndStatsForPeople) {
  auto alice = LoggedIn("alice");
  auto bob = LoggedIn("bob");
  auto stats = Run({"stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.out;
  EXPECT_THAT(stats.out, HasSubstr("phase        serving\n"));
  EXPECT_THAT(stats.out, ::testing::ContainsRegex("uptime       [0-9]+s\n"));
  EXPECT_THAT(stats.out, HasSubstr("logins\n  td "));
  // Nothing was refused or dropped: those sections are left out.
  EXPECT_THAT(stats.out, ::testing::Not(HasSubstr("login rejections")));
  EXPECT_THAT(stats.out, ::testing::Not(HasSubstr("relay failures")));

  auto rooms = Run({"rooms"});
  ASSERT_EQ(rooms.exit_code, 0) << rooms.out;
  EXPECT_THAT(rooms.out, ::testing::ContainsRegex("td/ops +td +2 +1\n"));

  EXPECT_EQ(Run({"undrain"}).exit_code, 1);  // not draining: FAILED_PRECONDITION
  ASSERT_EQ(Run({"drain", "--grace=1h"}).exit_code, 0);
  EXPECT_THAT(Run({"stats"}).out, HasSubstr("phase        draining\n"));
  auto undrain = Run({"undrain"});
  EXPECT_EQ(undrain.exit_code, 0) << undrain.out;
  EXPECT_EQ(undrain.out, "serving again\n");
  EXPECT_EQ(Run({"health"}).exit_code, 0);
  EXPECT_EQ(Run({"undrain", "--node=1", "--all"}).exit_code, 2);
}

TEST_F(SigctlTest, ExitStatusContract) {
  EXPECT_EQ(Run({"stats"}, /*with_token=*/false).exit_code, 1);  // UNAUTHENTICATED
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Run({"--no_such_option", "stats"}).exit_code, 2);
  EXPECT_EQ(Run({"peer", "td/ops"}).exit_code, 2);  // missing NAME
  EXPECT_EQ(Run({"drain", "--grace=soon"}).exit_code, 2);
  EXPECT_EQ(Run({"stats"}).exit_code, 0);
}

TEST_F(SigctlTest, AddressAndTokenFromTheEnvironment) {
  // ctest runs each test in its own process, so the environment change stays here.
  ASSERT_EQ(setenv("SIGCTL_ADDR", ("127.0.0.1:" + std::to_string(sigd_->admin_port())).c_str(), 1), 0);
  ASSERT_EQ(setenv("SIGCTL_TOKEN", kToken, 1), 0);
  // stats needs the token; health would pass without it.
  auto child = testing::Subprocess::Start({SIGCTL_BINARY, "--timeout=10s", "stats"});
  ASSERT_TRUE(child.ok());
  auto result = child->Finish(testing::kWait);
  unsetenv("SIGCTL_ADDR");
  unsetenv("SIGCTL_TOKEN");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_THAT(result->out, HasSubstr("phase        serving\n"));
}

TEST(SigctlNoServerTest, UnreachableServerFailsWithinTheDeadline) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto child = testing::Subprocess::Start(
      {SIGCTL_BINARY, "--addr=127.0.0.1:1", "--timeout=2s", "stats"});
  ASSERT_TRUE(child.ok());
  auto result = child->Finish(testing::kWait);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1);
}

}  // namespace
}  // namespace sig

namespace sig {
namespace {

using testing::RunToEnd;

void WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// What sigd answers a td login with `token`: login_success, or the error's code.
std::string LoginWith(std::uint16_t port, std::string_view token) {
  auto client = testing::WsClient::Connect(port);
  if (!client.ok()) return "no connection";
  if (!(*client)->Send(std::string(R"({"type":"login","room":"lobby","token":")") +
                       std::string(token) + R"("})")
           .ok()) {
    return "not sent";
  }
  auto reply = (*client)->ReadJson();
  if (!reply.ok()) return "no reply";
  const std::string type = testing::Str(*reply, "type");
  return type == "error" ? testing::Str(*reply, "error") : type;
}

// An operator mints a token with sigctl from the keys file sigd reads, rotates the file, and
// makes every node read it with sigctl keys reload.
TEST(SigctlAuthTest, TokenMintAndKeysReload) {
  const std::string file = ::testing::TempDir() + "/sigctl-keys.txt";
  WriteFile(file, "k1 HS256 the-first-secret-of-at-least-32-bytes\n");
  auto sigd = testing::SigdProcess::Start(SIGD_BINARY, {"--jwt_keys_file=" + file});
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  const std::string addr = "--addr=127.0.0.1:" + std::to_string(sigd->admin_port());
  auto mint = [&](std::string_view kid) {
    return RunToEnd({SIGCTL_BINARY, "token", "mint", "--keys_file=" + file,
                     "--kid=" + std::string(kid), "--sub=alice", "--room=lobby", "--ttl=5m"});
  };
  const testing::Subprocess::Result k1 = mint("k1");
  ASSERT_EQ(k1.exit_code, 0);
  const std::string token = k1.out.substr(0, k1.out.find('\n'));
  EXPECT_EQ(LoginWith(sigd->port(), token), "login_success");
  EXPECT_EQ(mint("k9").exit_code, 1);  // no such key

  WriteFile(file, "k2 HS256 the-second-secret-of-at-least-32-bytes\n");
  const testing::Subprocess::Result reloaded = RunToEnd({SIGCTL_BINARY, addr, "keys", "reload"});
  EXPECT_EQ(reloaded.exit_code, 0);
  EXPECT_EQ(reloaded.out, "keys in use: k2\n");
  EXPECT_EQ(LoginWith(sigd->port(), token), "invalid_token");
  const testing::Subprocess::Result k2 = mint("k2");
  EXPECT_EQ(LoginWith(sigd->port(), k2.out.substr(0, k2.out.find('\n'))), "login_success");

  // A file that does not load: the call fails and the keys stay.
  WriteFile(file, "k3 HS256 short\n");
  EXPECT_EQ(RunToEnd({SIGCTL_BINARY, addr, "keys", "reload"}).exit_code, 1);
  EXPECT_EQ(LoginWith(sigd->port(), k2.out.substr(0, k2.out.find('\n'))), "login_success");
  sigd->Signal(SIGTERM);
  EXPECT_TRUE(sigd->Wait(testing::kWait).ok());
}

// The README's backend example: a token minted with nothing but Node's crypto logs in.
TEST(SigctlAuthTest, TheNodeBackendExampleMintsTokensSigdAccepts) {
  const std::string secret = "the-example-secret-of-at-least-32-bytes";
  const std::string file = ::testing::TempDir() + "/example-keys.txt";
  WriteFile(file, "k1 HS256 " + secret + "\n");
  auto sigd = testing::SigdProcess::Start(SIGD_BINARY, {"--jwt_keys_file=" + file});
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  const testing::Subprocess::Result minted =
      RunToEnd({SIG_NODE_BINARY, SIG_EXAMPLES_DIR "/mint-token.mjs", "--kid", "k1", "--secret",
                secret, "--sub", "alice", "--room", "lobby"});
  ASSERT_EQ(minted.exit_code, 0);
  EXPECT_EQ(LoginWith(sigd->port(), minted.out.substr(0, minted.out.find('\n'))), "login_success");
  const testing::Subprocess::Result wrong =
      RunToEnd({SIG_NODE_BINARY, SIG_EXAMPLES_DIR "/mint-token.mjs", "--kid", "k1", "--secret",
                "not-the-secret-sigd-has-of-32-bytes", "--sub", "alice", "--room", "lobby"});
  EXPECT_EQ(LoginWith(sigd->port(), wrong.out.substr(0, wrong.out.find('\n'))), "invalid_token");
  sigd->Signal(SIGTERM);
  EXPECT_TRUE(sigd->Wait(testing::kWait).ok());
}

TEST_F(SigctlTest, KeysReloadWithAuthOffFails) {
  const testing::Subprocess::Result result = Run({"keys", "reload"});
  EXPECT_EQ(result.exit_code, 1);
}

}  // namespace
}  // namespace sig
