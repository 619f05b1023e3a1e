// sigd at its descriptor limit (prlimit --nofile), as a subprocess: with more connections
// waiting than it can accept, it pauses accepting instead of spinning on EMFILE, counts the
// failures, logs once per episode, and serves again once descriptors are free.

#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/subprocess.h"
#include "testing/ws_client.h"

namespace sig {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// The value of an unlabelled series in a Prometheus text scrape, or -1.
double Series(const std::string& scrape, const std::string& name) {
  const std::string head = "\n" + name + " ";
  const auto at = scrape.find(head);
  double value = -1;
  if (at == std::string::npos) return value;
  const auto start = at + head.size();
  (void)absl::SimpleAtod(scrape.substr(start, scrape.find('\n', start) - start), &value);
  return value;
}

TEST(FdLimitTest, AcceptPausesAtTheDescriptorLimitAndRecovers) {
#ifdef SIG_SANITIZED_SIGD
  // A sanitized sigd cannot run out of descriptors: UBSan's vptr check probes memory through a
  // pipe, which then cannot be opened, and reports a false error on Boost.System's next
  // error-code check (seen here). The ci workflow runs this test on the plain build.
  GTEST_SKIP() << "needs an unsanitized sigd";
#endif
  auto child = testing::Subprocess::Start({"/usr/bin/prlimit", "--nofile=64", SIGD_BINARY,
                                           "--host=127.0.0.1", "--port=0", "--admin_addr=",
                                           "--threads=1"});
  ASSERT_TRUE(child.ok()) << child.status();
  auto line = child->ReadStdoutLine(testing::kWait);
  ASSERT_TRUE(line.ok()) << line.status();
  std::uint32_t port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &port)) << *line;

  // Half-sent requests: each is handed to sigd (it spoke first) and holds a descriptor there.
  net::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 100; ++i) {
    auto socket = std::make_unique<tcp::socket>(io);
    socket->connect({net::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)});
    net::write(*socket, net::buffer(std::string("GET /health HTTP/1.1\r\n")));
    held.push_back(std::move(socket));
  }
  // sigd is out of descriptors for about a second with connections waiting to be accepted.
  absl::SleepFor(absl::Seconds(1));
  held.clear();  // sigd reads their ends and frees its descriptors

  std::string scrape;
  ASSERT_TRUE(testing::Eventually([&] {
    auto reply = testing::HttpGet(static_cast<std::uint16_t>(port), "/metrics", absl::Seconds(1));
    if (reply.ok() && reply->status == 200) scrape = reply->body;
    return !scrape.empty();
  })) << "sigd did not serve again";
  const double failures = Series(scrape, "sig_accept_failures_total");
  EXPECT_GT(failures, 0);
  // With a 100 ms pause about 10 per second; spinning made hundreds of thousands.
  EXPECT_LT(failures, 100);

  child->Signal(SIGTERM);
  ASSERT_TRUE(child->Wait(testing::kWait).ok());
  int accept_lines = 0;
  for (auto err = child->ReadStderrLine(absl::Seconds(1)); err.ok();
       err = child->ReadStderrLine(absl::Seconds(1))) {
    if (absl::StrContains(*err, "accept")) ++accept_lines;
  }
  // One line when an episode starts and one when it ends. A descriptor freed for a moment ends
  // an episode (seen once in CI: two episodes, four lines); spinning logged every failure.
  EXPECT_GE(accept_lines, 1);
  EXPECT_LE(accept_lines, 10);
}

}  // namespace
}  // namespace sig
