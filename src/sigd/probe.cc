#include "sigd/probe.h"

#include <cstdio>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "edge/host_port.h"

namespace sig::sigd {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using error_code = boost::system::error_code;

// Writes the request and reads the answer on `stream`, all within the io_context's run.
template <class Stream>
void Exchange(Stream& stream, http::request<http::empty_body>& request, beast::flat_buffer& buffer,
              http::response<http::string_body>& response, error_code& result) {
  http::async_write(stream, request, [&](error_code ec, std::size_t) {
    if (ec) {
      result = ec;
      return;
    }
    http::async_read(stream, buffer, response, [&](error_code read_ec, std::size_t) {
      result = read_ec;
    });
  });
}

}  // namespace

int Probe(const std::string& host, std::uint16_t port, bool tls, absl::Duration timeout) {
  error_code ec;
  net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    std::fprintf(stderr, "sigd --probe: bad host %s\n", host.c_str());
    return 1;
  }
  if (address.is_unspecified()) address = net::ip::address_v4::loopback();
  const std::string where = edge::JoinHostPort(address.to_string(), port);

  net::io_context io(1);
  net::ssl::context tls_context(net::ssl::context::tls_client);
  tls_context.set_verify_mode(net::ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> tls_stream(io, tls_context);
  beast::tcp_stream& tcp = beast::get_lowest_layer(tls_stream);
  tcp.expires_after(absl::ToChronoNanoseconds(timeout));

  http::request<http::empty_body> request{http::verb::get, "/health", 11};
  request.set(http::field::host, where);
  request.set(http::field::user_agent, "sigd-probe");
  request.keep_alive(false);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  error_code result = net::error::would_block;
  tcp.async_connect({address, port}, [&](error_code connect_ec) {
    if (connect_ec) {
      result = connect_ec;
      return;
    }
    if (!tls) {
      Exchange(tcp, request, buffer, response, result);
      return;
    }
    tls_stream.async_handshake(net::ssl::stream_base::client, [&](error_code handshake_ec) {
      if (handshake_ec) {
        result = handshake_ec;
        return;
      }
      Exchange(tls_stream, request, buffer, response, result);
    });
  });
  io.run();
  if (result) {
    std::printf("sigd --probe: %s%s: %s\n", tls ? "https://" : "http://", where.c_str(),
                result.message().c_str());
    return 1;
  }
  std::printf("sigd --probe: %s%s/health: %d %s\n", tls ? "https://" : "http://", where.c_str(),
              response.result_int(), std::string(response.reason()).c_str());
  return response.result() == http::status::ok ? 0 : 1;
}

}  // namespace sig::sigd
