#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "dialect.h"

namespace sig::bench {

// One simulated peer: connects from a chosen source address, upgrades, logs in, then reads
// until the end and writes whatever it is given, one write in flight. Runs on one io_context
// thread; every member function must be called there.
class LoadConnection : public std::enable_shared_from_this<LoadConnection> {
 public:
  // Told about one connection's progress, on its thread.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnLogin(LoadConnection& connection) = 0;
    virtual void OnMessage(LoadConnection& connection, std::string_view frame) = 0;
    // Exactly once per started connection: it failed before logging in, or ended after.
    virtual void OnEnd(LoadConnection& connection) = 0;
  };

  LoadConnection(boost::asio::io_context& io, const Dialect& dialect, Handler& handler,
                 std::size_t index, std::size_t worker, std::string id, std::string room);

  void Start(const boost::asio::ip::tcp::endpoint& server,
             const boost::asio::ip::address& source);
  void Send(std::string frame);
  // A clean close handshake; OnEnd follows.
  void Close();

  std::size_t index() const { return index_; }
  std::size_t worker() const { return worker_; }
  const std::string& id() const { return id_; }
  bool logged_in() const { return logged_in_; }
  // Why it ended, for the failure summary ("" while running or after a clean end).
  const std::string& failure() const { return failure_; }

 private:
  void OnConnect(const boost::system::error_code& ec);
  void OnHandshake(const boost::system::error_code& ec);
  void DoRead();
  void OnRead(const boost::system::error_code& ec, std::size_t bytes);
  void DoWrite();
  void End(std::string_view failure);

  // A socket bound to the io_context's own executor, under Beast's WebSocket stream, which has
  // its own handshake timer: beast::tcp_stream's per-operation timer checks and type-erased
  // executor copies were about a tenth of the load core in td login runs (perf), and the load's
  // core is what limits those runs.
  using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                  boost::asio::io_context::executor_type>;
  boost::beast::websocket::stream<Socket> ws_;
  boost::beast::flat_buffer buffer_;
  const Dialect& dialect_;
  Handler& handler_;
  const std::size_t index_;
  const std::size_t worker_;
  const std::string id_;
  const std::string room_;
  std::string host_;
  std::deque<std::string> outbox_;
  std::string failure_;
  bool writing_ = false;
  bool logged_in_ = false;
  bool closing_ = false;
  bool ended_ = false;
};

}  // namespace sig::bench
