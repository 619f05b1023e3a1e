// Shutdown: every peer gets close 1001, in-process and for the real sigd on SIGTERM/SIGINT,
// and the process exits 0.

#include <signal.h>
#include <sys/wait.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/sigd_process.h"
#include "testing/test_server.h"

namespace sig {
namespace {

class TdShutdownTest : public testing::ServerTest {};

TEST_F(TdShutdownTest, InProcessShutdownCloses1001AndRefusesNewUpgrades) {
  StartServer();
  auto a = LoggedIn("a");
  auto unnamed = Connect();  // not logged in: closed all the same
  ASSERT_TRUE(a && unnamed);
  // Shutdown blocks until peers finish their close handshake, so it runs beside the clients.
  std::thread stopper([this] { server_->Shutdown(); });
  for (auto* c : {a.get(), unnamed.get()}) {
    auto code = c->WaitClose();
    EXPECT_TRUE(code.ok()) << code.status();
    if (code.ok()) {
      EXPECT_EQ(*code, 1001);
    }
  }
  stopper.join();
  EXPECT_FALSE(testing::WsClient::Connect(server_->port()).ok());
}

// Every peer of the room is being closed: none is told that the others left (a notice racing
// its own close would end calls that go on peer to peer while sigd restarts).
TEST_F(TdShutdownTest, NoPeerHearsTheOthersLeaveWhenTheServerStops) {
  StartServer();
  constexpr std::size_t kPeers = 16;
  std::vector<std::unique_ptr<testing::WsClient>> peers;
  for (std::size_t i = 0; i < kPeers; ++i) {
    peers.push_back(LoggedIn(absl::StrCat("p", i), "call"));
    ASSERT_NE(peers.back(), nullptr);
  }
  for (std::size_t i = 0; i < kPeers; ++i) {
    for (std::size_t joined = i + 1; joined < kPeers; ++joined) {
      ASSERT_TRUE(peers[i]->ReadType("peer_connected").ok()) << "p" << i;
    }
  }
  std::thread stopper([this] { server_->Shutdown(); });
  for (std::size_t i = 0; i < kPeers; ++i) {
    for (;;) {
      absl::StatusOr<std::string> text = peers[i]->Read();
      if (!text.ok()) {
        EXPECT_TRUE(absl::IsAborted(text.status())) << text.status();  // the close, not a timeout
        break;
      }
      ADD_FAILURE() << "p" << i << " was sent " << *text;
    }
  }
  stopper.join();
}

void ExpectSignalClosesAllAndExitsZero(int signal) {
  auto sigd = testing::SigdProcess::Start(SIGD_BINARY);
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  std::vector<std::unique_ptr<testing::WsClient>> clients;
  for (const char* name : {"a", "b", "c"}) {
    auto c = testing::WsClient::Connect(sigd->port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Login(name).ok());
    clients.push_back(std::move(*c));
  }
  sigd->Signal(signal);
  for (auto& c : clients) {
    auto code = c->WaitClose();
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 1001);
  }
  auto status = sigd->Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(SigdProcessTest, SigtermClosesEveryPeer1001AndExitsZero) {
  ExpectSignalClosesAllAndExitsZero(SIGTERM);
}

TEST(SigdProcessTest, SigintClosesEveryPeer1001AndExitsZero) {
  ExpectSignalClosesAllAndExitsZero(SIGINT);
}

// Runs sigd with `env` (NAME=value, may be null) and `flag`, and returns its exit status.
int ExitStatusOfSigd(const char* env, const char* flag) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (env != nullptr) putenv(const_cast<char*>(env));
    execl(SIGD_BINARY, SIGD_BINARY, "--port=0", "--host=127.0.0.1", "--admin_addr=", flag,
          nullptr);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(SigdProcessTest, ConfigurationFromEnvironmentAndFlags) {
  // A bad value is refused with exit status 2 rather than ignored; so is half a TLS setup. A
  // TLS key that cannot be loaded fails the start (1).
  EXPECT_EQ(ExitStatusOfSigd("PING_INTERVAL=not-a-duration", "--threads=1"), 2);
  EXPECT_EQ(ExitStatusOfSigd("TLS_CERT=" SIG_TEST_DATA_DIR "/tls/cert.pem", "--threads=1"), 2);
  EXPECT_EQ(ExitStatusOfSigd(nullptr, "--rate_limit_per_second=-1"), 2);
  EXPECT_EQ(ExitStatusOfSigd("TLS_CERT=" SIG_TEST_DATA_DIR "/tls/cert.pem",
                             "--tls_key=" SIG_TEST_DATA_DIR "/tls/missing.pem"),
            1);

  // A flag wins over the environment: MAX_NAME_CHARS=4 would refuse "longname".
  setenv("MAX_NAME_CHARS", "4", 1);
  auto sigd = testing::SigdProcess::Start(SIGD_BINARY, {"--max_name_chars=8"});
  unsetenv("MAX_NAME_CHARS");
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  auto c = testing::WsClient::Connect(sigd->port());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->Login("longname").ok());
  ASSERT_TRUE((*c)->Close().ok());
  sigd->Signal(SIGTERM);
  EXPECT_TRUE(sigd->Wait(absl::Seconds(10)).ok());
}

}  // namespace
}  // namespace sig
