#include "bus/redis_connection.h"

#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/bus/redis_test.h"

namespace sig::bus {
namespace {

using ::testing::ElementsAre;
using Type = RedisReply::Type;

TEST(RedisAddressTest, ParsesIpPortsAndUnixPaths) {
  auto v4 = RedisAddress::Parse("127.0.0.1:6379");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 6379);
  auto v6 = RedisAddress::Parse("[::1]:7000");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  auto unix_socket = RedisAddress::Parse("/run/redis/redis.sock");
  ASSERT_TRUE(unix_socket.ok());
  EXPECT_EQ(unix_socket->unix_path, "/run/redis/redis.sock");
  for (const char* bad : {"localhost:6379", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
                          "127.0.0.1:65536", "127.0.0.1:x", ""}) {
    EXPECT_FALSE(RedisAddress::Parse(bad).ok()) << bad;
  }
}

using RedisConnectionTest = testing::RedisTest;

TEST_F(RedisConnectionTest, CommandsReturnEveryKindOfReply) {
  auto connection = Connected(Options());
  const std::string binary("a\0b\r\n", 5);
  auto set = Run(*connection, {"SET", "key", binary});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->type, Type::kStatus);
  EXPECT_EQ(set->str, "OK");
  auto get = Run(*connection, {"GET", "key"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->type, Type::kString);
  EXPECT_EQ(get->str, binary);
  EXPECT_EQ(Run(*connection, {"GET", "missing"})->type, Type::kNil);
  EXPECT_EQ(Run(*connection, {"INCRBY", "n", "41"})->integer, 41);
  auto error = Run(*connection, {"INCR", "key"});
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->type, Type::kError);
  auto array = Run(*connection, {"EVAL", "return {1, 'two', {3}}", "0"});
  ASSERT_TRUE(array.ok());
  ASSERT_EQ(array->type, Type::kArray);
  ASSERT_EQ(array->elements.size(), 3u);
  EXPECT_EQ(array->elements[1].str, "two");
  EXPECT_EQ(array->elements[2].elements[0].integer, 3);
}

TEST_F(RedisConnectionTest, PipelinedRepliesComeInOrder) {
  auto connection = Connected(Options());
  std::vector<std::int64_t> got;
  for (int i = 0; i < 200; ++i) {
    connection->Command({"INCR", "counter"}, [&](RedisConnection::Reply r) {
      got.push_back(r.ok() ? r->integer : -1);
    });
  }
  ASSERT_TRUE(RunUntil([&] { return got.size() == 200; }));
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], static_cast<std::int64_t>(i + 1));
  EXPECT_EQ(connection->in_flight(), 0u);
}

TEST_F(RedisConnectionTest, ASubscriberGetsWhatIsPublished) {
  auto publisher = Connected(Options());
  auto subscriber = Connected(Options());
  std::vector<std::string> messages;
  subscriber->OnMessage([&](std::string_view channel, std::string_view payload) {
    messages.push_back(std::string(channel) + "=" + std::string(payload));
  });
  subscriber->Subscribe({"sig:node:1", "sig:ctl"});
  // PUBLISH answers how many subscribers got it: 1 once the subscription is in place.
  std::int64_t receivers = 0;
  ASSERT_TRUE(RunUntil([&] {
    auto reply = Run(*publisher, {"PUBLISH", "sig:node:1", std::string("x\0y", 3)});
    receivers = reply.ok() ? reply->integer : -1;
    return receivers == 1;
  }));
  ASSERT_TRUE(RunUntil([&] { return !messages.empty(); }));
  EXPECT_EQ(messages.front(), std::string("sig:node:1=x\0y", 14));
  EXPECT_EQ(Run(*publisher, {"PUBLISH", "sig:node:2", "nobody"})->integer, 0);
}

TEST_F(RedisConnectionTest, ConnectingWhereNothingListensFails) {
  auto options = Options();
  ASSERT_TRUE(redis_->Kill().ok());
  auto connection = RedisConnection::Create(io_.get_executor(), options);
  std::optional<absl::Status> status;
  connection->Connect([&](absl::Status s) { status = std::move(s); });
  ASSERT_TRUE(RunUntil([&] { return status.has_value(); }));
  EXPECT_EQ(status->code(), absl::StatusCode::kUnavailable) << *status;
  EXPECT_FALSE(connection->connected());
}

TEST_F(RedisConnectionTest, ALostServerFailsCommandsInFlightAndReportsDown) {
  auto connection = Connected(Options());
  std::optional<absl::Status> down;
  connection->OnDown([&](absl::Status s) { down = std::move(s); });
  // BLPOP waits in Redis, so its reply is still owed when the server dies.
  std::optional<RedisConnection::Reply> reply;
  connection->Command({"BLPOP", "never", "0"}, [&](RedisConnection::Reply r) { reply = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return connection->in_flight() == 1; }));
  io_.poll();
  ASSERT_TRUE(redis_->Kill().ok());
  ASSERT_TRUE(RunUntil([&] { return down.has_value() && reply.has_value(); }));
  EXPECT_EQ(down->code(), absl::StatusCode::kUnavailable) << *down;
  EXPECT_EQ(reply->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(connection->connected());
  auto after = Run(*connection, {"PING"});
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(RedisConnectionTest, AnUnansweredCommandFailsTheConnectionAtItsDeadline) {
  auto pauser = Connected(Options());
  auto options = Options();
  options.command_timeout = absl::Milliseconds(200);
  auto connection = Connected(options);
  std::optional<absl::Status> down;
  connection->OnDown([&](absl::Status s) { down = std::move(s); });
  ASSERT_EQ(Run(*pauser, {"CLIENT", "PAUSE", "1500", "ALL"})->str, "OK");
  std::optional<RedisConnection::Reply> reply;
  connection->Command({"GET", "x"}, [&](RedisConnection::Reply r) { reply = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return down.has_value() && reply.has_value(); }));
  EXPECT_EQ(down->code(), absl::StatusCode::kDeadlineExceeded) << *down;
  EXPECT_FALSE(reply->ok());
}

TEST_F(RedisConnectionTest, ClosingFailsWhatIsInFlight) {
  auto connection = Connected(Options());
  std::optional<RedisConnection::Reply> reply;
  connection->Command({"BLPOP", "never", "0"}, [&](RedisConnection::Reply r) { reply = std::move(r); });
  connection->Close();
  ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }));
  EXPECT_EQ(reply->status().code(), absl::StatusCode::kUnavailable);
  connection->Close();  // idempotent
}

class RedisAuthTest : public testing::RedisTest {
 protected:
  void SetUp() override {
    auto server = testing::RedisServer::Start({"--requirepass", "sesame"});
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = *std::move(server);
  }
};

TEST_F(RedisAuthTest, APasswordIsSentFirstAndAWrongOneRefused) {
  auto options = Options();
  options.password = "wrong";
  auto refused = RedisConnection::Create(io_.get_executor(), options);
  std::optional<absl::Status> status;
  refused->Connect([&](absl::Status s) { status = std::move(s); });
  ASSERT_TRUE(RunUntil([&] { return status.has_value(); }));
  EXPECT_EQ(status->code(), absl::StatusCode::kPermissionDenied) << *status;

  options.password = "sesame";
  auto connection = Connected(options);
  EXPECT_EQ(Run(*connection, {"PING"})->str, "PONG");
}

// A unix socket connects at once, before hiredis has any connect callback to call (0.14.1 then
// never calls it): REDIS_ADDR=/path/redis.sock must work as a host:port does.
class RedisUnixSocketTest : public testing::RedisTest {
 protected:
  void SetUp() override {
    path_ = "/tmp/sig-redis-test-" + std::to_string(getpid()) + ".sock";
    auto server = testing::RedisServer::Start({"--unixsocket", path_});
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = *std::move(server);
  }
  std::string path_;
};

TEST_F(RedisUnixSocketTest, ConnectsAndAuthenticatesOverAUnixSocket) {
  auto options = Options();
  options.address = *RedisAddress::Parse(path_);
  auto connection = Connected(options);
  EXPECT_EQ(Run(*connection, {"PING"})->str, "PONG");
}

}  // namespace
}  // namespace sig::bus
