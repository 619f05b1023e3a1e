// sigd's log lines as an operator reads them: JSON with ts, level, msg and fields when
// LOG_FORMAT=json, the levels LOG_LEVEL selects, an audit line per admin call, a line per
// connection at debug, and never a secret or a token.

#include <signal.h>

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <grpcpp/grpcpp.h>

#include "auth/jwt_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sig/admin/v1/admin.grpc.pb.h"
#include "testing/sigd_process.h"
#include "testing/ws_client.h"

namespace sig {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<boost::json::object> JsonLines(const std::string& text) {
  std::vector<boost::json::object> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    boost::system::error_code ec;
    boost::json::value line = boost::json::parse(text.substr(start, end - start), ec);
    EXPECT_FALSE(ec) << "not JSON: " << text.substr(start, end - start);
    if (!ec && line.is_object()) lines.push_back(line.as_object());
  }
  return lines;
}

// The lines whose msg is `msg`.
std::vector<boost::json::object> WithMsg(const std::vector<boost::json::object>& lines,
                                         std::string_view msg) {
  std::vector<boost::json::object> out;
  for (const auto& line : lines) {
    if (line.at("msg").as_string() == msg) out.push_back(line);
  }
  return out;
}

TEST(LoggingTest, JsonLinesAtDebugCarryConnectionsLoginsAndAdminCallsButNoSecret) {
  const std::string token = "admin-s3cret-token";
  auto sigd = testing::SigdProcess::Start(
      SIGD_BINARY, {"--log_format=json", "--log_level=debug", "--admin_token=" + token});
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  {
    auto alice = testing::WsClient::Connect(sigd->port());
    ASSERT_TRUE(alice.ok());
    ASSERT_TRUE((*alice)->Login("alice", "lobby").ok());
    ASSERT_TRUE((*alice)->Close().ok());
  }
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(sigd->admin_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = admin::v1::SignalAdmin::NewStub(channel);
  for (bool with_token : {true, false}) {
    grpc::ClientContext context;
    if (with_token) context.AddMetadata("authorization", "Bearer " + token);
    admin::v1::Stats stats;
    (void)stub->GetStats(&context, {}, &stats);
  }
  sigd->Signal(SIGTERM);
  auto result = sigd->Finish(testing::kWait);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->err, Not(HasSubstr(token)));

  const std::vector<boost::json::object> lines = JsonLines(result->err);
  ASSERT_FALSE(lines.empty());
  for (const auto& line : lines) {
    EXPECT_TRUE(line.contains("ts") && line.contains("level") && line.contains("msg"));
  }
  const auto start = WithMsg(lines, "sigd starting");
  ASSERT_EQ(start.size(), 1u);
  EXPECT_THAT(std::string(start[0].at("settings").as_string()), HasSubstr("admin_token=(set)"));
  EXPECT_THAT(std::string(start[0].at("settings").as_string()), HasSubstr("log_level=debug"));

  const auto opened = WithMsg(lines, "connection opened");
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_THAT(std::string(opened[0].at("remote").as_string()), HasSubstr("127.0.0.1:"));
  const auto login = WithMsg(lines, "login");
  ASSERT_EQ(login.size(), 1u);
  EXPECT_EQ(login[0].at("realm").as_string(), "td/lobby");
  EXPECT_EQ(login[0].at("name").as_string(), "alice");
  const auto closed = WithMsg(lines, "connection closed");
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].at("closed_by").as_string(), "client");
  EXPECT_EQ(closed[0].at("reason").as_string(), "client_close");
  EXPECT_EQ(closed[0].at("level").as_string(), "debug");
  EXPECT_EQ(closed[0].at("frames_in").as_int64(), 1);  // the login
  EXPECT_EQ(closed[0].at("conn"), opened[0].at("conn"));

  const auto audit = WithMsg(lines, "admin call");
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].at("method").as_string(), "GetStats");
  EXPECT_EQ(audit[0].at("outcome").as_string(), "OK");
  EXPECT_EQ(audit[1].at("outcome").as_string(), "UNAUTHENTICATED");
  EXPECT_THAT(std::string(audit[1].at("caller").as_string()), HasSubstr("127.0.0.1"));
  EXPECT_EQ(WithMsg(lines, "shutting down: closing every connection with 1001").size(), 1u);
}

TEST(LoggingTest, InfoLeavesConnectionsOutAndTextIsTheDefault) {
  auto sigd = testing::SigdProcess::Start(SIGD_BINARY, {});
  ASSERT_TRUE(sigd.ok()) << sigd.status();
  {
    auto alice = testing::WsClient::Connect(sigd->port());
    ASSERT_TRUE(alice.ok());
    ASSERT_TRUE((*alice)->Login("alice").ok());
  }
  sigd->Signal(SIGTERM);
  auto result = sigd->Finish(testing::kWait);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->err, HasSubstr(" I sigd starting version="));
  EXPECT_THAT(result->err, HasSubstr(" I listening on 127.0.0.1:"));
  EXPECT_THAT(result->err, Not(HasSubstr("connection opened")));
  EXPECT_THAT(result->err, Not(HasSubstr("login")));
}

}  // namespace
}  // namespace sig
