#include "bus/redis_connection.h"

#include <arpa/inet.h>

#include <utility>

#include <boost/asio/post.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "absl/strings/numbers.h"
#include "core/strings.h"
#include "absl/time/clock.h"

namespace sig::bus {
namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

Clock::duration ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

RedisReply RedisReply::From(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = reply.type == REDIS_REPLY_STRING   ? Type::kString
                 : reply.type == REDIS_REPLY_STATUS ? Type::kStatus
                                                    : Type::kError;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Type::kInteger;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Type::kArray;
      out.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) {
        out.elements.push_back(From(*reply.element[i]));
      }
      break;
    default:
      out.type = Type::kNil;
      break;
  }
  return out;
}

absl::StatusOr<RedisAddress> RedisAddress::Parse(std::string_view text) {
  RedisAddress address;
  if (text.starts_with('/')) {
    address.unix_path = std::string(text);
    return address;
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(
        core::StrCat("a Redis address is host:port or a unix socket path, not \"", text, "\""));
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  address.host = std::string(host);
  if (!absl::SimpleAtoi(absl::string_view(text.data() + colon + 1, text.size() - colon - 1), &address.port) || address.port <= 0 ||
      address.port > 65535) {
    return absl::InvalidArgumentError(core::StrCat("bad port in Redis address \"", text, "\""));
  }
  if (!IsIpLiteral(address.host)) {
    return absl::InvalidArgumentError(
        core::StrCat("a Redis host must be an IP address (", address.host,
                     " would need a blocking DNS lookup)"));
  }
  return address;
}

struct RedisConnection::Pending {
  ReplyCallback done;
};

std::shared_ptr<RedisConnection> RedisConnection::Create(net::any_io_executor executor,
                                                         Options options) {
  return std::shared_ptr<RedisConnection>(new RedisConnection(std::move(executor),
                                                              std::move(options)));
}

RedisConnection::RedisConnection(net::any_io_executor executor, Options options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      socket_(executor_),
      deadline_(executor_) {}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    context->ev.data = nullptr;  // no hook may reach this object any more
    context_ = nullptr;
    if (socket_.is_open()) socket_.release();
    redisAsyncFree(context);
  }
}

void RedisConnection::Connect(absl::AnyInvocable<void(absl::Status) &&> done) {
  connect_done_ = std::move(done);
  const RedisAddress& address = options_.address;
  redisAsyncContext* context = address.unix_path.empty()
                                   ? redisAsyncConnect(address.host.c_str(), address.port)
                                   : redisAsyncConnectUnix(address.unix_path.c_str());
  if (context == nullptr) {
    ReportDown(absl::ResourceExhaustedError("hiredis could not allocate a context"));
    return;
  }
  if (context->err != 0) {
    absl::Status status = absl::UnavailableError(core::StrCat("redis connect: ", context->errstr));
    redisAsyncFree(context);
    ReportDown(std::move(status));
    return;
  }
  context_ = context;
  // Before the hooks: setting the connect callback already asks for a write wait.
  boost::system::error_code assigned;
  socket_.assign(context->c.fd, assigned);
  if (assigned) {
    Fail(absl::InternalError(core::StrCat("redis connect: ", assigned.message())));
    return;
  }
  context->ev.data = this;
  context->ev.addRead = &RedisConnection::AddRead;
  context->ev.delRead = &RedisConnection::DelRead;
  context->ev.addWrite = &RedisConnection::AddWrite;
  context->ev.delWrite = &RedisConnection::DelWrite;
  context->ev.cleanup = &RedisConnection::Cleanup;
  redisAsyncSetConnectCallback(context, &RedisConnection::OnConnected);
  redisAsyncSetDisconnectCallback(context, &RedisConnection::OnDisconnected);
  if ((context->c.flags & REDIS_CONNECTED) != 0) {
    // A unix socket connects at once, and hiredis 0.14.1 then never calls the connect callback.
    net::post(executor_, [self = shared_from_this()] {
      if (self->context_ != nullptr && !self->down_ && !self->connected_) {
        OnConnected(self->context_, REDIS_OK);
      }
    });
  }
  // The connect completes when the socket is writable (the connect callback's write wait).
  Want(this, Direction::kWrite, true);
  deadline_armed_ = true;
  deadline_.expires_after(ToChrono(options_.connect_timeout));
  deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->deadline_armed_ = false;
    if (self->down_) return;
    if (!self->connected_) {
      if (!ec) self->Fail(absl::DeadlineExceededError("redis connect timed out"));
      return;
    }
    self->ArmDeadline();  // connected (OnConnected cancelled this wait): commands' deadlines now
  });
}

void RedisConnection::Command(std::vector<std::string> argv, ReplyCallback done) {
  if (context_ == nullptr || down_) {
    net::post(executor_, [done = std::move(done)]() mutable {
      std::move(done)(absl::UnavailableError("redis connection is down"));
    });
    return;
  }
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const std::string& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* pending = new Pending{std::move(done)};
  ++in_hiredis_;
  const int rc = redisAsyncCommandArgv(context_, &RedisConnection::OnReply, pending,
                                       static_cast<int>(args.size()), args.data(), lengths.data());
  --in_hiredis_;
  if (rc != REDIS_OK) {
    ReplyCallback failed = std::move(pending->done);
    delete pending;
    net::post(executor_, [failed = std::move(failed)]() mutable {
      std::move(failed)(absl::UnavailableError("redis connection is closing"));
    });
    return;
  }
  in_flight_.push_back(Clock::now());
  if (connected_) ArmDeadline();
}

void RedisConnection::Subscribe(const std::vector<std::string>& channels) {
  SubscriptionCommand("SUBSCRIBE", channels);
}

void RedisConnection::Unsubscribe(const std::vector<std::string>& channels) {
  SubscriptionCommand("UNSUBSCRIBE", channels);
}

void RedisConnection::SubscriptionCommand(std::string_view command,
                                          const std::vector<std::string>& channels) {
  if (context_ == nullptr || down_ || channels.empty()) return;
  std::vector<const char*> args{command.data()};
  std::vector<std::size_t> lengths{command.size()};
  for (const std::string& channel : channels) {
    args.push_back(channel.data());
    lengths.push_back(channel.size());
  }
  ++in_hiredis_;
  redisAsyncCommandArgv(context_, &RedisConnection::OnSubscription, this,
                        static_cast<int>(args.size()), args.data(), lengths.data());
  --in_hiredis_;
}

void RedisConnection::Close() { Fail(absl::CancelledError("redis connection closed")); }

void RedisConnection::Arm(Direction direction) {
  const auto d = static_cast<std::size_t>(direction);
  if (armed_[d] || context_ == nullptr || !want_[d]) return;
  armed_[d] = true;
  socket_.async_wait(direction == Direction::kRead ? net::posix::descriptor_base::wait_read
                                                   : net::posix::descriptor_base::wait_write,
                     [self = shared_from_this(), direction, d](boost::system::error_code ec) {
                       self->armed_[d] = false;
                       if (ec || self->context_ == nullptr || !self->want_[d]) return;
                       ++self->in_hiredis_;
                       if (direction == Direction::kRead) {
                         redisAsyncHandleRead(self->context_);
                       } else {
                         redisAsyncHandleWrite(self->context_);
                       }
                       --self->in_hiredis_;
                       self->Arm(direction);  // hiredis asks once and wants it until it says not
                     });
}

void RedisConnection::Want(void* data, Direction direction, bool want) {
  if (data == nullptr) return;
  auto* self = static_cast<RedisConnection*>(data);
  self->want_[static_cast<std::size_t>(direction)] = want;
  if (want) self->Arm(direction);
}

void RedisConnection::ArmDeadline() {
  if (deadline_armed_ || in_flight_.empty() || down_) return;
  deadline_armed_ = true;
  deadline_.expires_at(in_flight_.front() + ToChrono(options_.command_timeout));
  deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->deadline_armed_ = false;
    if (ec || self->down_ || self->in_flight_.empty()) return;
    if (Clock::now() - self->in_flight_.front() >= ToChrono(self->options_.command_timeout)) {
      self->Fail(absl::DeadlineExceededError("redis did not answer in time"));
      return;
    }
    self->ArmDeadline();
  });
}

void RedisConnection::Fail(absl::Status status) {
  if (in_hiredis_ > 0) {
    net::post(executor_, [self = shared_from_this(), status = std::move(status)]() mutable {
      self->Fail(std::move(status));
    });
    return;
  }
  if (down_reason_.ok()) down_reason_ = status;
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    // Fails the commands in flight (their callbacks get no reply) and runs the disconnect
    // callback if the connection was up; Cleanup clears context_.
    redisAsyncFree(context);
  }
  ReportDown(std::move(status));
}

void RedisConnection::ReportDown(absl::Status status) {
  if (down_) return;
  down_ = true;
  connected_ = false;
  deadline_.cancel();
  if (!down_reason_.ok()) status = down_reason_;
  if (connect_done_) {
    net::post(executor_, [done = std::move(connect_done_), status]() mutable {
      std::move(done)(status);
    });
    connect_done_ = nullptr;
    return;  // it never came up: the connect's caller hears, not the down handler
  }
  if (on_down_) {
    net::post(executor_, [handler = on_down_, status] { handler(status); });
  }
}

void RedisConnection::AddRead(void* data) { Want(data, Direction::kRead, true); }
void RedisConnection::DelRead(void* data) { Want(data, Direction::kRead, false); }
void RedisConnection::AddWrite(void* data) { Want(data, Direction::kWrite, true); }
void RedisConnection::DelWrite(void* data) { Want(data, Direction::kWrite, false); }

void RedisConnection::Cleanup(void* data) {
  if (data == nullptr) return;
  auto* self = static_cast<RedisConnection*>(data);
  self->want_ = {false, false};
  self->context_ = nullptr;
  // hiredis closes the descriptor itself, after this hook.
  if (self->socket_.is_open()) {
    boost::system::error_code ignored;
    self->socket_.cancel(ignored);
    self->socket_.release();
  }
}

void RedisConnection::OnConnected(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->ev.data);
  if (self == nullptr) return;
  if (status != REDIS_OK) {
    // hiredis frees the context when this returns.
    self->ReportDown(absl::UnavailableError(core::StrCat("redis connect: ", context->errstr)));
    return;
  }
  self->connected_ = true;
  self->deadline_.cancel();
  // TCP only: on a unix socket hiredis 0.14.1 fails the TCP options and marks the context broken.
  if (self->options_.address.unix_path.empty()) redisEnableKeepAlive(&self->context_->c);
  auto done = std::move(self->connect_done_);
  self->connect_done_ = nullptr;
  if (self->options_.password.empty()) {
    net::post(self->executor_,
              [done = std::move(done)]() mutable { std::move(done)(absl::OkStatus()); });
    return;
  }
  self->Command({"AUTH", self->options_.password},
                [self = self->shared_from_this(), done = std::move(done)](Reply reply) mutable {
                  if (reply.ok() && reply->type == RedisReply::Type::kError) {
                    reply = absl::PermissionDeniedError(core::StrCat("redis AUTH: ", reply->str));
                  }
                  if (!reply.ok()) {
                    self->Fail(reply.status());
                    // Fail reported to the down handler; the connect's caller hears here.
                    std::move(done)(reply.status());
                    return;
                  }
                  std::move(done)(absl::OkStatus());
                });
}

void RedisConnection::OnDisconnected(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->ev.data);
  if (self == nullptr) return;
  self->ReportDown(status == REDIS_OK
                       ? absl::CancelledError("redis connection closed")
                       : absl::UnavailableError(core::StrCat("redis connection lost: ",
                                                             context->errstr)));
}

void RedisConnection::OnReply(redisAsyncContext* context, void* reply, void* privdata) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  auto* self = static_cast<RedisConnection*>(context->ev.data);
  if (self != nullptr && !self->in_flight_.empty()) self->in_flight_.pop_front();
  Reply result = reply == nullptr
                     ? Reply(absl::UnavailableError("redis connection lost"))
                     : Reply(RedisReply::From(*static_cast<const redisReply*>(reply)));
  // Run outside hiredis: the callback may close the connection or issue commands.
  if (self != nullptr) {
    net::post(self->executor_, [done = std::move(pending->done), result = std::move(result)]() mutable {
      std::move(done)(std::move(result));
    });
  } else {
    std::move(pending->done)(std::move(result));
  }
}

void RedisConnection::OnSubscription(redisAsyncContext* context, void* reply, void* privdata) {
  auto* self = static_cast<RedisConnection*>(privdata);
  if (reply == nullptr || self == nullptr || context->ev.data == nullptr) return;
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return;
  const redisReply* kind = r->element[0];
  if (kind->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) return;
  const std::string_view what(kind->str, kind->len);
  const std::string_view channel(r->element[1]->str, r->element[1]->len);
  if (what == "subscribe") {
    if (self->on_subscribed_) self->on_subscribed_(channel);
    return;
  }
  if (what == "unsubscribe") {
    if (self->on_unsubscribed_) self->on_unsubscribed_(channel);
    return;
  }
  if (what == "message" && self->on_message_) {
    self->on_message_(channel, std::string_view(r->element[2]->str, r->element[2]->len));
  }
}

}  // namespace sig::bus
