#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sig::testing {

// Default bound on every wait in the tests: long enough for a loaded 2-core CI machine, short
// enough that a hang fails the test instead of the CI run.
inline constexpr absl::Duration kWait = absl::Seconds(10);

// A blocking WebSocket client over loopback for integration tests. Every operation has a
// deadline. A read that times out stays pending and the next Read picks it up, so short polls
// are safe; any other operation that times out leaves the client unusable.
// A close frame from the server ends reads with status Aborted; WaitClose() returns its code.
class WsClient {
 public:
  static absl::StatusOr<std::unique_ptr<WsClient>> Connect(std::uint16_t port,
                                                           std::string_view target = "/",
                                                           int receive_buffer_bytes = 0);
  // The same to another loopback address, such as "::1", with `headers` added to the upgrade.
  static absl::StatusOr<std::unique_ptr<WsClient>> ConnectTo(
      std::string_view address, std::uint16_t port, std::string_view target = "/",
      int receive_buffer_bytes = 0,
      const std::vector<std::pair<std::string, std::string>>& headers = {});
  ~WsClient();

  absl::Status Send(std::string_view text, absl::Duration timeout = kWait);
  absl::Status SendBinary(std::string_view bytes, absl::Duration timeout = kWait);
  // Sends `text` as one message in `fragments` WebSocket frames of about equal size.
  absl::Status SendFragmented(std::string_view text, int fragments, absl::Duration timeout = kWait);

  // The next text message.
  absl::StatusOr<std::string> Read(absl::Duration timeout = kWait);
  // The next message, parsed.
  absl::StatusOr<boost::json::value> ReadJson(absl::Duration timeout = kWait);
  // Reads messages until one has "type" == `type`; others are skipped (bounded by the timeout).
  absl::StatusOr<boost::json::value> ReadType(std::string_view type, absl::Duration timeout = kWait);
  // Reads and discards messages until the server closes; returns the close code (1005 when the
  // close frame had none, 1006 when the TCP connection ended without one).
  absl::StatusOr<std::uint16_t> WaitClose(absl::Duration timeout = kWait);

  // Sends a login and waits for login_success (an error otherwise).
  absl::StatusOr<boost::json::value> Login(std::string_view name, std::string_view room = {});

  // Starts a clean close handshake and waits for it.
  absl::Status Close(absl::Duration timeout = kWait);
  // Drops the TCP connection with no close frame.
  void Abort();

  // The client's own TCP port (0 once closed).
  std::uint16_t local_port() const;

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::uint16_t close_code_ = 0;
};

// One HTTP/1.1 request on a fresh connection.
struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};
absl::StatusOr<HttpReply> HttpRequest(
    std::uint16_t port, std::string_view method, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    absl::Duration timeout = kWait);
// The same to another loopback address, such as "::1".
absl::StatusOr<HttpReply> HttpRequestTo(
    std::string_view address, std::uint16_t port, std::string_view method, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    absl::Duration timeout = kWait);
absl::StatusOr<HttpReply> HttpGet(std::uint16_t port, std::string_view target,
                                  absl::Duration timeout = kWait);

// A field of a parsed message as a string ("" if absent or not a string).
std::string Str(const boost::json::value& message, std::string_view key);

}  // namespace sig::testing
