#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bus/redis_connection.h"
#include "gtest/gtest.h"
#include "testing/redis_server.h"

namespace sig::testing {

// A throw-away redis-server per test, an io_context run on the test's thread, and helpers that
// wait for replies with deadlines.
class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = *std::move(server);
  }

  bus::RedisConnection::Options Options() {
    bus::RedisConnection::Options options;
    options.address = *bus::RedisAddress::Parse(redis_->address());
    return options;
  }

  // Runs the io_context until `done` holds or `timeout` passes; false on the deadline.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    io_.restart();
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::shared_ptr<bus::RedisConnection> Connected(bus::RedisConnection::Options options) {
    auto connection = bus::RedisConnection::Create(io_.get_executor(), std::move(options));
    std::optional<absl::Status> status;
    connection->Connect([&](absl::Status s) { status = std::move(s); });
    EXPECT_TRUE(RunUntil([&] { return status.has_value(); }));
    EXPECT_TRUE(status.has_value() && status->ok()) << (status ? status->ToString() : "");
    return connection;
  }

  bus::RedisConnection::Reply Run(bus::RedisConnection& connection, std::vector<std::string> argv) {
    std::optional<bus::RedisConnection::Reply> reply;
    connection.Command(std::move(argv), [&](bus::RedisConnection::Reply r) { reply = std::move(r); });
    EXPECT_TRUE(RunUntil([&] { return reply.has_value(); }));
    return reply.value_or(absl::DeadlineExceededError("no reply"));
  }

  std::unique_ptr<RedisServer> redis_;
  boost::asio::io_context io_;
};

}  // namespace sig::testing
