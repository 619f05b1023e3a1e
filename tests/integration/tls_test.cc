// TLS (https:// and wss://) with a self-signed certificate for localhost and 127.0.0.1
// (tests/data/tls, test-only, valid until 2126). The client trusts exactly that certificate and
// checks the host name, as a browser would. The same routes and both protocols work over TLS,
// and a plain-text client gets nowhere.

#include <sys/socket.h>
#include <sys/time.h>

#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/eventually.h"
#include "testing/test_server.h"

namespace sig {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

constexpr const char* kCert = SIG_TEST_DATA_DIR "/tls/cert.pem";
constexpr const char* kKey = SIG_TEST_DATA_DIR "/tls/key.pem";

class TlsTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    tls_cert_file_ = kCert;
    tls_key_file_ = kKey;
    StartServer();
    client_tls_.load_verify_file(kCert);
    client_tls_.set_verify_mode(ssl::verify_peer);
  }

  // A verified TLS connection to the server; every read on it gives up after testing::kWait.
  std::unique_ptr<beast::ssl_stream<tcp::socket>> Connect() {
    auto stream = std::make_unique<beast::ssl_stream<tcp::socket>>(io_, client_tls_);
    stream->next_layer().connect({net::ip::make_address("127.0.0.1"), server_->port()});
    const timeval tv{static_cast<time_t>(absl::ToInt64Seconds(testing::kWait)), 0};
    setsockopt(stream->next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    stream->set_verify_callback(ssl::host_name_verification("localhost"));
    stream->handshake(ssl::stream_base::client);
    return stream;
  }

  using Wss = websocket::stream<beast::ssl_stream<tcp::socket>>;
  std::unique_ptr<Wss> ConnectWs(const std::string& target) {
    auto ws = std::make_unique<Wss>(std::move(*Connect()));
    ws->handshake("localhost", target);
    return ws;
  }

  static boost::json::value ReadJson(Wss& ws) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return boost::json::parse(beast::buffers_to_string(buffer.data()));
  }

  http::response<http::string_body> HttpsGet(std::string_view target) {
    auto stream = Connect();
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "localhost");
    http::write(*stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(*stream, buffer, response);
    return response;
  }

  net::io_context io_;
  ssl::context client_tls_{ssl::context::tls_client};
};

TEST_F(TlsTest, HttpsServesHealth) {
  const http::response<http::string_body> response = HttpsGet("/health");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(boost::json::parse(response.body()).at("status").as_string(), "healthy");
}

TEST_F(TlsTest, TdPeersRelayOverWss) {
  auto a = ConnectWs("/");
  auto b = ConnectWs("/");
  a->write(net::buffer(std::string(R"({"type":"login","name":"a"})")));
  EXPECT_EQ(ReadJson(*a).at("type").as_string(), "login_success");
  b->write(net::buffer(std::string(R"({"type":"login","name":"b"})")));
  EXPECT_EQ(ReadJson(*b).at("type").as_string(), "login_success");
  EXPECT_EQ(ReadJson(*a).at("type").as_string(), "peer_connected");
  a->write(net::buffer(std::string(R"({"type":"offer","target":"b","sdp":"v=0"})")));
  const auto offer = ReadJson(*b);
  EXPECT_EQ(offer.at("from").as_string(), "a");
  EXPECT_EQ(offer.at("sdp").as_string(), "v=0");
  b->close(websocket::close_code::normal);
  EXPECT_EQ(ReadJson(*a).at("type").as_string(), "peer_disconnected");
}

TEST_F(TlsTest, PeerJsOpensOverWss) {
  auto ws = ConnectWs("/peerjs/peerjs?key=peerjs&id=tls-peer&token=t1");
  EXPECT_EQ(ReadJson(*ws).at("type").as_string(), "OPEN");
}

TEST_F(TlsTest, PlainHttpToTheTlsPortGetsNoAnswerAndIsCounted) {
  EXPECT_THAT(HttpsGet("/metrics").body(),
              ::testing::HasSubstr("sig_tls_handshake_failures_total 0\n"));
  auto reply = testing::HttpGet(server_->port(), "/health");
  EXPECT_FALSE(reply.ok() && reply->status == 200);
  EXPECT_TRUE(testing::Eventually([&] {
    return HttpsGet("/metrics").body().find("sig_tls_handshake_failures_total 1\n") !=
           std::string::npos;
  }));
}

}  // namespace
}  // namespace sig
