// sigd's configuration as an operator sets it: every flag listed by --help is also read from
// its environment variable (checked through --check_config), and the admin settings take effect
// from the environment in a running sigd.

#include <signal.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fstream>

#include "auth/jwt_verifier.h"
#include "auth/key_set.h"
#include "auth/turn_credentials.h"
#include "core/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/sigd_process.h"
#include "testing/subprocess.h"
#include "testing/ws_client.h"

namespace sig {
namespace {

using ::testing::HasSubstr;

using testing::RunToEnd;

// The flags sigd --help lists ("  --name (NAME)...").
std::set<std::string> SigdFlags() {
  const testing::Subprocess::Result help = RunToEnd({SIGD_BINARY, "--help"});
  std::set<std::string> flags;
  std::istringstream lines(help.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("  --") || line.find(" (") == std::string::npos) continue;
    flags.insert(line.substr(4, line.find(' ', 4) - 4));
  }
  return flags;
}

struct EnvCase {
  std::string value;                  // a valid value that is not the default
  std::string printed;                // how --check_config prints it
  std::vector<std::string> with = {}; // other NAME=value the value needs
};

// One entry per flag: a flag added to sigd without one fails the test below.
const std::map<std::string, EnvCase>& Cases() {
  static const auto* cases = new std::map<std::string, EnvCase>{
      {"admin_addr", {"127.0.0.1:50052", "127.0.0.1:50052"}},
      {"admin_token", {"s3cret-token", "(set)"}},
      {"alive_timeout", {"91s", "1m31s"}},
      {"allow_discovery", {"true", "true"}},
      {"allowed_origins", {"https://a.example,https://b.example", "https://a.example,https://b.example"}},
      {"api_key", {"other", "other"}},
      {"auth_failure_burst", {"11", "11"}},
      {"auth_failure_refill", {"7s", "7s"}},
      {"bad_frame_burst", {"11", "11"}},
      {"bad_frame_refill", {"2s", "2s"}},
      {"close_timeout", {"6s", "6s"}},
      {"concurrent_limit", {"5001", "5001"}},
      {"cors_origins", {"https://c.example", "https://c.example"}},
      {"bus_lease", {"11s", "11s"}},
      {"drain_grace", {"31s", "31s"}},
      {"expire_timeout", {"6s", "6s"}},
      {"held_max_bytes", {"67108865", "67108865"}},
      {"held_max_bytes_per_sender", {"262145", "262145"}},
      {"held_max_bytes_per_target", {"262145", "262145"}},
      {"held_max_frames", {"100001", "100001"}},
      {"held_max_frames_per_sender", {"65", "65"}},
      {"held_max_frames_per_target", {"65", "65"}},
      {"host", {"127.0.0.2", "127.0.0.2"}},
      {"jwt_audience", {"sigd", "sigd"}},
      {"jwt_keys_file", {SIG_TEST_DATA_DIR "/jwt/keys.txt", SIG_TEST_DATA_DIR "/jwt/keys.txt"}},
      {"jwt_leeway", {"10s", "10s"}},
      {"jwt_max_bytes", {"4096", "4096"}},
      {"http_timeout", {"31s", "31s"}},
      {"max_connections", {"100001", "100001"}},
      {"max_connections_per_ip", {"257", "257"}},
      {"max_frame_bytes", {"65537", "65537"}},
      {"max_json_depth", {"65", "65"}},
      {"log_format", {"json", "json"}},
      {"log_level", {"debug", "debug"}},
      {"max_name_chars", {"65", "65"}},
      {"metrics_addr", {"127.0.0.1:9091", "127.0.0.1:9091"}},
      {"path_prefix", {"/signal", "/signal"}},
      {"ping_interval", {"31s", "31s"}},
      {"proxy_protocol", {"true", "true", {"TRUSTED_PROXIES=10.0.0.1"}}},
      {"port", {"8081", "8081"}},
      {"rate_limit_burst", {"501", "501"}},
      {"redis_addr", {"127.0.0.1:6390", "127.0.0.1:6390"}},
      {"redis_password", {"pw", "(set)"}},
      {"rate_limit_grace", {"11s", "11s"}},
      {"rate_limit_per_second", {"201", "201"}},
      {"send_queue_max_bytes", {"1048577", "1048577"}},
      {"send_queue_max_frames", {"1025", "1025"}},
      {"shutdown_grace", {"6s", "6s"}},
      {"threads", {"3", "3"}},
      {"turn_public", {"true", "true"}},
      {"turn_secret", {"s3cret", "(set)", {"TURN_URIS=turn:127.0.0.1:3478"}}},
      {"turn_secret_file", {SIG_TEST_DATA_DIR "/jwt/keys.txt", SIG_TEST_DATA_DIR "/jwt/keys.txt",
                            {"TURN_URIS=turn:127.0.0.1:3478"}}},
      {"turn_ttl", {"2h", "2h"}},
      {"turn_uris", {"turn:127.0.0.1:3478", "turn:127.0.0.1:3478", {"TURN_SECRET=s3cret"}}},
      {"trusted_proxies", {"10.0.0.0/8,fd00::/8", "10.0.0.0/8,fd00::/8"}},
      {"tls_cert", {"/etc/sigd/cert.pem", "/etc/sigd/cert.pem", {"TLS_KEY=/etc/sigd/key.pem"}}},
      {"tls_key", {"/etc/sigd/key.pem", "/etc/sigd/key.pem", {"TLS_CERT=/etc/sigd/cert.pem"}}},
  };
  return *cases;
}

std::string EnvName(std::string flag) {
  for (char& c : flag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return flag;
}

// Sets NAME=value for the life of the object.
class ScopedEnv {
 public:
  explicit ScopedEnv(std::vector<std::string> assignments) {
    for (const std::string& a : assignments) {
      const auto eq = a.find('=');
      names_.push_back(a.substr(0, eq));
      setenv(names_.back().c_str(), a.substr(eq + 1).c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const std::string& name : names_) unsetenv(name.c_str());
  }

 private:
  std::vector<std::string> names_;
};

TEST(ConfigTest, EveryFlagIsReadFromItsEnvironmentVariable) {
  const std::set<std::string> flags = SigdFlags();
  ASSERT_GT(flags.size(), 20u) << "could not read --help";
  for (const std::string& flag : flags) {
    if (flag == "check_config" || flag == "probe") continue;  // modes, not settings
    SCOPED_TRACE(flag);
    auto it = Cases().find(flag);
    ASSERT_NE(it, Cases().end()) << "no test value for --" << flag;
    std::vector<std::string> env = it->second.with;
    env.push_back(EnvName(flag) + "=" + it->second.value);
    ScopedEnv scoped(env);
    const testing::Subprocess::Result result = RunToEnd({SIGD_BINARY, "--check_config"});
    EXPECT_EQ(result.exit_code, 0) << result.out;
    EXPECT_THAT("\n" + result.out, HasSubstr("\n" + flag + "=" + it->second.printed + "\n"))
        << result.out;
  }
  // Every case is a flag sigd has: none is left over from a flag that was removed or renamed.
  for (const auto& [flag, unused] : Cases()) EXPECT_TRUE(flags.contains(flag)) << flag;
}

TEST(ConfigTest, CheckConfigNeverPrintsASecret) {
  ScopedEnv scoped({"ADMIN_TOKEN=s3cret-token"});
  const testing::Subprocess::Result result = RunToEnd({SIGD_BINARY, "--check_config"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("s3cret")));
}

// Every invalid value, from the environment or the command line, exits 2 with a message that
// names it as written and says what was expected.
TEST(ConfigTest, InvalidValuesExitTwoSayingWhatIsExpected) {
  struct Case {
    std::vector<std::string> env;
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"EXPIRE_TIMEOUT=5000"}, {}, "sigd: EXPIRE_TIMEOUT=5000: a duration needs a unit, e.g. 5s\n"},
      {{}, {"--drain_grace=soon"}, "sigd: --drain_grace=soon: expected a duration such as 500ms, 5s, 2m or 1h\n"},
      {{}, {"--port=70000"}, "sigd: --port=70000: a port is 0 to 65535\n"},
      {{"PORT=-1"}, {}, "sigd: PORT=-1: a port is 0 to 65535\n"},
      {{}, {"--max_frame_bytes", "lots"}, "sigd: --max_frame_bytes=lots: expected a whole number\n"},
      {{}, {"--max_connections=0"}, "sigd: --max_connections=0: must be positive\n"},
      {{}, {"--threads=-2"}, "sigd: --threads=-2: must not be negative (0: one per core)\n"},
      {{"ALLOW_DISCOVERY=maybe"}, {}, "sigd: ALLOW_DISCOVERY=maybe: expected true or false\n"},
      {{}, {"--turn_ttl=48h"}, "sigd: --turn_ttl=48h: must be between 1m and 24h\n"},
      {{"TRUSTED_PROXIES=10.0.0.0/33"}, {}, "sigd: TRUSTED_PROXIES=10.0.0.0/33: 10.0.0.0/33: the prefix length is 0 to 32\n"},
      {{"LOG_LEVEL=verbose"}, {}, "sigd: LOG_LEVEL=verbose: expected debug, info, warn or error\n"},
      {{}, {"--log_format=xml"}, "sigd: --log_format=xml: expected text or json\n"},
      {{}, {"--proxy_protocol"}, "sigd: --proxy_protocol=true: needs trusted_proxies, the proxies that send it\n"},
      {{}, {"--metrics_addr=localhost:9090"}, "sigd: --metrics_addr=localhost:9090: the host must be an IP address\n"},
      {{}, {"--bogus=1"}, "sigd: unknown flag --bogus (sigd --help lists them)\n"},
      {{}, {"serve"}, "sigd: unexpected argument serve: every setting is a --flag (sigd --help)\n"},
      {{}, {"--port"}, "sigd: --port needs a value: expected a whole number\n"},
      // The command line wins over the environment, also when it is the bad one.
      {{"PING_INTERVAL=5s"}, {"--ping_interval=0s"}, "sigd: --ping_interval=0s: must be positive\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    ScopedEnv scoped(c.env);
    std::vector<std::string> argv = {SIGD_BINARY, "--check_config"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const testing::Subprocess::Result result = RunToEnd(argv);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err, c.message);
  }
}

TEST(ConfigTest, HelpGroupsSigdsOwnFlagsAndVersionNamesTheCommit) {
  const testing::Subprocess::Result help = RunToEnd({SIGD_BINARY, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* group : {"\nListener:\n", "\nLimits:\n", "\nPeerJS:\n", "\nTLS:\n",
                            "\nAdmin:\n", "\nCluster:\n", "\nLogin tokens and TURN:\n",
                            "\nLogging:\n"}) {
    EXPECT_THAT(help.out, HasSubstr(group));
  }
  EXPECT_THAT(help.out, HasSubstr("  --port (PORT), default 8080\n"));
  // Every flag is in a group, and nothing of Abseil's or of the build machine shows.
  EXPECT_THAT(help.out, ::testing::Not(HasSubstr("\nOther:")));
  EXPECT_THAT(help.out, ::testing::Not(HasSubstr("flagfile")));
  EXPECT_THAT(help.out, ::testing::Not(HasSubstr(".cc")));
  EXPECT_THAT(help.out, ::testing::Not(HasSubstr("absl")));
  const testing::Subprocess::Result version = RunToEnd({SIGD_BINARY, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, ::testing::MatchesRegex("sigd [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit ([0-9a-f]+|unknown)\\)\n"));
}

TEST(ConfigTest, ASecretInAnInvalidValueIsNotPrinted) {
  const testing::Subprocess::Result result =
      RunToEnd({SIGD_BINARY, "--turn_secret=hunter2", "--turn_uris=bogus"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--turn_uris=bogus"));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("hunter2")));
}

// A keys file that does not load is a startup error that names the line, never the secret.
TEST(ConfigTest, ABadKeysFileExitsTwo) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/bad-keys.txt";
  {
    std::ofstream out(path);
    out << "k1 HS256 short-secret\n";
  }
  auto child = testing::Subprocess::Start({SIGD_BINARY, "--check_config", "--jwt_keys_file=" + path});
  ASSERT_TRUE(child.ok());
  auto error = child->ReadStderrLine(testing::kWait);
  ASSERT_TRUE(error.ok()) << error.status();
  EXPECT_THAT(*error, HasSubstr("line 1"));
  EXPECT_THAT(*error, ::testing::Not(HasSubstr("short-secret")));
  auto result = child->Finish(testing::kWait);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 2);
  EXPECT_EQ(RunToEnd({SIGD_BINARY, "--check_config", "--jwt_keys_file=/nonexistent"}).exit_code, 2);
}

// SIGHUP reads the keys file again: a key added works at once, a key removed stops working,
// and a file that no longer loads keeps the keys as they were.
TEST(ConfigTest, SighupReloadsTheKeys) {
  const std::string path = ::testing::TempDir() + "/reload-keys.txt";
  const auto write = [&](std::string_view text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  };
  const std::string k1 = "k1 HS256 the-first-secret-of-at-least-32-bytes\n";
  const std::string k2 = "k2 HS256 the-second-secret-of-at-least-32-bytes\n";
  write(k1);
  auto sigd = testing::SigdProcess::Start(SIGD_BINARY, {"--jwt_keys_file=" + path});
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  const auto login = [&](std::string_view kid, std::string_view secret) -> std::string {
    auto key = auth::VerificationKey::Hmac(std::string(kid), std::string(secret));
    const std::string token = auth::MintHs256(
        **key, core::StrCat(R"({"sub":"alice","room":"","exp":)",
                            absl::ToUnixSeconds(absl::Now() + absl::Minutes(5)), "}"));
    auto client = testing::WsClient::Connect(sigd->port());
    if (!client.ok()) return "no connection";
    if (!(*client)->Send(core::StrCat(R"({"type":"login","token":")", token, R"("})")).ok()) {
      return "not sent";
    }
    auto reply = (*client)->ReadJson();
    if (!reply.ok()) return "no reply";
    const std::string type = testing::Str(*reply, "type");
    return type == "error" ? testing::Str(*reply, "error") : type;
  };
  EXPECT_EQ(login("k1", "the-first-secret-of-at-least-32-bytes"), "login_success");
  EXPECT_EQ(login("k2", "the-second-secret-of-at-least-32-bytes"), "invalid_token");
  write(k2);
  sigd->Signal(SIGHUP);
  std::string second;
  for (const absl::Time deadline = absl::Now() + testing::kWait; absl::Now() < deadline;) {
    second = login("k2", "the-second-secret-of-at-least-32-bytes");
    if (second == "login_success") break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(second, "login_success");
  EXPECT_EQ(login("k1", "the-first-secret-of-at-least-32-bytes"), "invalid_token");
  write("k3 HS256 too-short\n");
  sigd->Signal(SIGHUP);
  absl::SleepFor(absl::Milliseconds(200));  // a reload that fails changes nothing to wait for
  EXPECT_EQ(login("k2", "the-second-secret-of-at-least-32-bytes"), "login_success");
  sigd->Signal(SIGTERM);
  EXPECT_TRUE(sigd->Wait(testing::kWait).ok());
}

// SIGHUP reads TURN_SECRET_FILE again: the credentials of later logins are under the new
// secret (the rotation's switch), those of a file that does not read stay under the old one.
TEST(ConfigTest, SighupReloadsTheTurnSecret) {
  const std::string path = ::testing::TempDir() + "/turn-secret.txt";
  const auto write = [&](std::string_view text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  };
  write("the-old-secret\n");
  auto sigd = testing::SigdProcess::Start(
      SIGD_BINARY, {"--turn_secret_file=" + path, "--turn_uris=turn:127.0.0.1:3478"});
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  // The credential a fresh login gets, checked against `secret`.
  std::int64_t n = 0;
  const auto under = [&](std::string_view secret) {
    auto client = testing::WsClient::Connect(sigd->port());
    if (!client.ok()) return false;
    auto reply = (*client)->Login(core::StrCat("p", ++n));
    if (!reply.ok()) return false;
    const auto& server = reply->at("iceServers").as_array()[0];
    const std::string username(server.at("username").as_string());
    return server.at("credential").as_string() == auth::TurnPassword(secret, username);
  };
  EXPECT_TRUE(under("the-old-secret"));
  write("the-new-secret\n");
  sigd->Signal(SIGHUP);
  bool switched = false;
  for (const absl::Time deadline = absl::Now() + testing::kWait; !switched && absl::Now() < deadline;) {
    switched = under("the-new-secret");
    if (!switched) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(switched);
  write("");
  sigd->Signal(SIGHUP);
  absl::SleepFor(absl::Milliseconds(200));  // a reload that fails changes nothing to wait for
  EXPECT_TRUE(under("the-new-secret"));
  sigd->Signal(SIGTERM);
  EXPECT_TRUE(sigd->Wait(testing::kWait).ok());
}

// ADMIN_TOKEN from the environment protects the running admin API.
TEST(ConfigTest, AdminTokenFromTheEnvironmentIsRequired) {
  std::optional<testing::SigdProcess> sigd;
  {
    ScopedEnv scoped({"ADMIN_TOKEN=env-token"});
    auto started = testing::SigdProcess::Start(SIGD_BINARY);
    ASSERT_TRUE(started.ok()) << started.status();
    sigd.emplace(*std::move(started));
  }
  const std::string addr = "--addr=127.0.0.1:" + std::to_string(sigd->admin_port());
  const testing::Subprocess::Result without = RunToEnd({SIGCTL_BINARY, addr, "stats"});
  EXPECT_EQ(without.exit_code, 1);
  const testing::Subprocess::Result with = RunToEnd({SIGCTL_BINARY, addr, "--token=env-token", "stats"});
  EXPECT_EQ(with.exit_code, 0) << with.out;
  sigd->Signal(SIGTERM);
  EXPECT_TRUE(sigd->Wait(testing::kWait).ok());
}

// ADMIN_ADDR= (empty) turns the admin API off: sigd starts and prints no admin listener.
TEST(ConfigTest, EmptyAdminAddrFromTheEnvironmentTurnsTheAdminOff) {
  ScopedEnv scoped({"ADMIN_ADDR="});
  auto child = testing::Subprocess::Start({SIGD_BINARY, "--host=127.0.0.1", "--port=0"});
  ASSERT_TRUE(child.ok()) << child.status();
  auto first = child->ReadStdoutLine(testing::kWait);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(*first, HasSubstr("sigd listening on"));
  // Stopping it flushes stdout: no admin line was ever written.
  child->Signal(SIGTERM);
  auto rest = child->Finish(testing::kWait);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->exit_code, 0);
  EXPECT_THAT(rest->out, ::testing::Not(HasSubstr("admin listening")));
}

// A second sigd on a taken admin address fails to start (gRPC's SO_REUSEPORT would have let it
// share the port, each admin call reaching either process).
TEST(ConfigTest, ATakenAdminAddressIsAStartupError) {
  auto first = testing::SigdProcess::Start(SIGD_BINARY, {});
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = "127.0.0.1:" + std::to_string(first->admin_port());
  const testing::Subprocess::Result second =
      RunToEnd({SIGD_BINARY, "--host=127.0.0.1", "--port=0", "--admin_addr=" + taken});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("cannot serve the admin API on " + taken));
  first->Signal(SIGTERM);
  EXPECT_TRUE(first->Wait(testing::kWait).ok());
}

// sigd --probe, the container health check: it reads the configuration the server reads (PORT,
// HOST, TLS_CERT) and asks that server's /health, in plain HTTP or TLS.
TEST(ConfigTest, ProbeAsksTheServerItsConfigurationDescribes) {
  auto plain = testing::SigdProcess::Start(SIGD_BINARY, {});
  ASSERT_TRUE(plain.ok()) << plain.status();
  const std::string port = "--port=" + std::to_string(plain->port());
  const testing::Subprocess::Result up = RunToEnd({SIGD_BINARY, "--probe", port});
  EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_THAT(up.out, HasSubstr("/health: 200 OK"));
  {
    ScopedEnv env({"PORT=" + std::to_string(plain->port()), "HOST=127.0.0.1"});
    EXPECT_EQ(RunToEnd({SIGD_BINARY, "--probe"}).exit_code, 0);
  }

  const std::string cert = SIG_TEST_DATA_DIR "/tls/cert.pem";
  const std::string key = SIG_TEST_DATA_DIR "/tls/key.pem";
  auto tls = testing::SigdProcess::Start(SIGD_BINARY, {"--tls_cert=" + cert, "--tls_key=" + key});
  ASSERT_TRUE(tls.ok()) << tls.status();
  const testing::Subprocess::Result secure = RunToEnd(
      {SIGD_BINARY, "--probe", "--port=" + std::to_string(tls->port()), "--tls_cert=" + cert,
       "--tls_key=" + key});
  EXPECT_EQ(secure.exit_code, 0) << secure.out << secure.err;
  EXPECT_THAT(secure.out, HasSubstr("https://127.0.0.1:"));
  // Plain HTTP to the TLS port gets no answer: the probe follows the configuration, or fails.
  EXPECT_EQ(RunToEnd({SIGD_BINARY, "--probe", "--port=" + std::to_string(tls->port())}).exit_code, 1);

  // Draining answers 503: unhealthy, so a load balancer stops sending peers.
  const testing::Subprocess::Result drain =
      RunToEnd({SIGCTL_BINARY, "--addr=127.0.0.1:" + std::to_string(plain->admin_port()), "drain"});
  ASSERT_EQ(drain.exit_code, 0) << drain.out << drain.err;
  const testing::Subprocess::Result draining = RunToEnd({SIGD_BINARY, "--probe", port});
  EXPECT_EQ(draining.exit_code, 1);
  EXPECT_THAT(draining.out, HasSubstr("503"));
  plain->Signal(SIGTERM);
  ASSERT_TRUE(plain->Wait(testing::kWait).ok());
  EXPECT_EQ(RunToEnd({SIGD_BINARY, "--probe", port}).exit_code, 1);  // nothing listens
  tls->Signal(SIGTERM);
  EXPECT_TRUE(tls->Wait(testing::kWait).ok());
}

}  // namespace
}  // namespace sig
