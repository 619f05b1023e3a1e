#include "edge/http_session.h"

#include <algorithm>
#include <array>
#include <vector>
#include <memory>
#include <optional>
#include <type_traits>
#include <string>
#include <utility>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/time/time.h"
#include "edge/admission.h"
#include "edge/client_address.h"
#include "edge/http_router.h"
#include "edge/peerjs_protocol.h"
#include "edge/td_protocol.h"
#include "edge/ws_session.h"

namespace sig::edge {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using error_code = boost::system::error_code;

using Request = HttpRequest;
using Response = HttpResponse;

constexpr std::string_view kJson = "application/json";

std::unique_ptr<Protocol> MakeTdProtocol(Connection& connection, EdgeContext& state,
                                         std::string_view) {
  return std::make_unique<TdProtocol>(connection, state);
}

std::unique_ptr<Protocol> MakePeerJsProtocol(Connection& connection, EdgeContext& state,
                                             std::string_view target) {
  return std::make_unique<PeerJsProtocol>(connection, state, target);
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One HTTP connection over Stream: HttpStream, or TlsStream when the server speaks TLS
// (the handshake comes first, within the same http_timeout).
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  HttpSession(Socket&& socket, EdgeContext& state, HttpRole role = HttpRole::kPublic)
    requires(!kTls)
      : stream_(std::move(socket)), state_(state), role_(role) {}
  // OpenSSL's stream keeps Beast's type-erased tcp_stream: its state cannot move to another
  // transport type later anyway (ws_session.cc).
  HttpSession(Socket&& socket, EdgeContext& state)
    requires(kTls)
      : stream_(net::ip::tcp::socket(std::move(socket)), *state.tls), state_(state) {}

  void Run() {
    error_code ec;
    const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (ec) return;  // gone before it was served
    client_ = ClientAddress{peer.address(), peer.port()};
    peer_trusted_ = state_.trusted_proxies.Contains(peer.address());
    // A trusted proxy that speaks the PROXY protocol sends its header before anything else,
    // TLS included; anyone else's first bytes are theirs (a header from them is not read as one).
    if (role_ == HttpRole::kPublic && state_.proxy_protocol && peer_trusted_) {
      ReadProxyHeader();
      return;
    }
    Begin();
  }

 private:
  // Reads the PROXY protocol v2 header exactly (its length is in its fixed part), so that no
  // byte of what follows is consumed; a connection whose header is bad is closed unanswered.
  void ReadProxyHeader() {
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.expires_after(absl::ToChronoNanoseconds(state_.limits.http_timeout));
    net::async_read(lowest, net::buffer(proxy_fixed_),
                    [self = this->shared_from_this()](error_code ec, std::size_t) {
                      if (ec) return self->ProxyHeaderFailed(ec);
                      const absl::StatusOr<std::size_t> body =
                          ProxyHeaderV2::BodyBytes(self->proxy_fixed_);
                      if (!body.ok()) return self->ProxyHeaderFailed({});
                      self->proxy_body_.resize(*body);
                      net::async_read(beast::get_lowest_layer(self->stream_),
                                      net::buffer(self->proxy_body_),
                                      [self](error_code body_ec, std::size_t) {
                                        self->OnProxyBody(body_ec);
                                      });
                    });
  }

  void OnProxyBody(error_code ec) {
    if (ec) return ProxyHeaderFailed(ec);
    const absl::StatusOr<std::optional<ClientAddress>> source =
        ProxyHeaderV2::Source(proxy_fixed_, proxy_body_);
    if (!source.ok()) return ProxyHeaderFailed({});
    if (*source) client_ = **source;
    std::vector<std::uint8_t>().swap(proxy_body_);
    Begin();
  }

  void ProxyHeaderFailed(error_code ec) {
    if (ec == beast::error::timeout) state_.stats.CountHttpTimeout();
    if (!ec) state_.stats.CountProxyHeaderFailure();
  }

  void Begin() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(
          absl::ToChronoNanoseconds(state_.limits.http_timeout));
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (ec == beast::error::timeout) {
                                  self->state_.stats.CountHttpTimeout();
                                }
                                if (ec) {
                                  self->state_.stats.CountTlsHandshakeFailure();
                                  return;  // not TLS, or gave up
                                }
                                self->DoRead();
                              });
    } else {
      DoRead();
    }
  }

  // Ends our side of the connection: a TCP half-close, or TLS close_notify.
  void CloseSend() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(
          absl::ToChronoNanoseconds(state_.limits.close_timeout));
      stream_.async_shutdown([self = this->shared_from_this()](error_code) {});
    } else {
      error_code ignored;
      stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    }
  }

  void DoRead() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_.limits.max_http_header_bytes));
    parser_->body_limit(state_.limits.max_http_header_bytes);
    beast::get_lowest_layer(stream_).expires_after(
        absl::ToChronoNanoseconds(state_.limits.http_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, this->shared_from_this()));
  }

  void OnRead(error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) {
      CloseSend();
      return;
    }
    if (ec == http::error::header_limit || ec == http::error::body_limit) {
      Reply(HttpRouter::MakeResponse(http::status::request_header_fields_too_large, R"({"error":"too large"})",
                         kJson, parser_->get()),
            /*close=*/true);
      return;
    }
    if (ec == beast::error::timeout) state_.stats.CountHttpTimeout();
    if (ec) return;  // timeout, reset, malformed request: nothing sensible to answer

    Request request = parser_->release();
    request_client_ = RequestClient(request);
    if (role_ == HttpRole::kMetrics) {
      Reply(HttpRouter(state_, request_client_.ToString()).RouteMetricsListener(request),
            !request.keep_alive());
      return;
    }
    if (beast::websocket::is_upgrade(request)) {
      const UpgradeDecision decision = AdmitUpgrade(
          request, AdmissionPolicy{state_.peerjs.WebSocketPath(), state_.lifecycle.phase(),
                                   &state_.allowed_origins, state_.clock.Now()});
      const core::Protocol protocol = decision.protocol;
      if (!decision.admitted()) {
        state_.stats.CountRejection(protocol, *decision.refusal);
        state_.refusals.Refused(*decision.refusal, state_.clock.Now());
        Reply(HttpRouter::MakeResponse(decision.status, decision.body, kJson, request), true);
        return;
      }
      // Refused before the upgrade, so a full server spends no WebSocket state on the attempt.
      std::optional<SessionSlot> slot;
      switch (state_.TryAdmitSession(ClientKey(), slot)) {
        case EdgeContext::Admission::kAdmitted:
          state_.refusals.Admitted(state_.clock.Now());
          break;
        case EdgeContext::Admission::kServerFull:
          state_.stats.CountRejection(protocol, core::LoginRejection::kMaxConnections);
          state_.refusals.Refused(core::LoginRejection::kMaxConnections, state_.clock.Now());
          Reply(HttpRouter::MakeResponse(http::status::service_unavailable,
                                         R"({"error":"too many connections"})", kJson, request),
                true);
          return;
        case EdgeContext::Admission::kAddressFull:
          state_.stats.CountRejection(protocol, core::LoginRejection::kMaxConnectionsPerIp);
          state_.refusals.Refused(core::LoginRejection::kMaxConnectionsPerIp, state_.clock.Now());
          Reply(HttpRouter::MakeResponse(http::status::service_unavailable,
                                         R"({"error":"too many connections from this address"})",
                                         kJson, request),
                true);
          return;
      }
      StartWsSession(std::move(stream_), std::move(request), state_, *std::move(slot),
                     request_client_.ToString(),
                     protocol == sig::v1::PROTOCOL_PEERJS ? &MakePeerJsProtocol
                                                                : &MakeTdProtocol);
      return;
    }
    HttpRouter router(state_, request_client_.ToString());
    if (std::optional<HttpRouter::PeerListQuery> query = router.PeerListOf(request)) {
      if (query->refusal) {
        Reply(*std::move(query->refusal), !request.keep_alive());
        return;
      }
      // Every node's peers: a cluster's directory reads them from Redis, so the answer comes
      // later, on any thread, and is written from this session's executor.
      auto pending = std::make_shared<Request>(std::move(request));
      state_.node.directory->ListNames(
          query->realm, [self = this->shared_from_this(),
                   pending](absl::StatusOr<std::vector<std::string>> names) mutable {
            auto executor = self->stream_.get_executor();
            net::post(executor, [self = std::move(self), pending = std::move(pending),
                                 names = std::move(names)] {
              self->Reply(HttpRouter(self->state_, {}).PeerList(*pending, names),
                          !pending->keep_alive());
            });
          });
      return;
    }
    Reply(router.Route(request), !request.keep_alive());
  }

  // Who `request` is for: the connection's client, or, from a trusted proxy, the client its
  // Forwarded or X-Forwarded-For names.
  ClientAddress RequestClient(const Request& request) const {
    if (!peer_trusted_) return client_;
    const auto joined = [&request](std::string_view name) {
      std::string values;
      const auto [first, last] = request.equal_range(beast::string_view(name.data(), name.size()));
      for (auto it = first; it != last; ++it) {
        if (!values.empty()) values += ',';
        values.append(it->value().data(), it->value().size());
      }
      return values;
    };
    return ForwardedClient(joined("Forwarded"), joined("X-Forwarded-For"), state_.trusted_proxies)
        .value_or(client_);
  }

  // The client's address as max_connections_per_ip counts it.
  AddressLimit::Key ClientKey() const { return AddressLimit::KeyOf(request_client_.ip); }

  void Reply(Response response, bool close) {
    auto shared = std::make_shared<Response>(std::move(response));
    http::async_write(stream_, *shared,
                      [self = this->shared_from_this(), shared, close](error_code ec,
                                                                       std::size_t) {
                        if (ec) return;
                        if (close) {
                          self->CloseSend();
                          return;
                        }
                        self->DoRead();
                      });
  }

  Stream stream_;
  EdgeContext& state_;
  const HttpRole role_ = HttpRole::kPublic;
  ClientAddress client_;          // the socket's peer, or who its PROXY header names
  ClientAddress request_client_;  // the request being served's (RequestClient)
  bool peer_trusted_ = false;     // the socket's peer is in TRUSTED_PROXIES
  std::array<std::uint8_t, ProxyHeaderV2::kFixedBytes> proxy_fixed_{};
  std::vector<std::uint8_t> proxy_body_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void StartHttpSession(Socket socket, EdgeContext& state, HttpRole role) {
  if (role == HttpRole::kMetrics) {
    std::make_shared<HttpSession<HttpStream>>(std::move(socket), state, role)->Run();
  } else if (state.tls != nullptr) {
    std::make_shared<HttpSession<TlsStream>>(std::move(socket), state)->Run();
  } else {
    std::make_shared<HttpSession<HttpStream>>(std::move(socket), state)->Run();
  }
}

}  // namespace sig::edge
