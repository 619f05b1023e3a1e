#include "bus/cluster.h"

#include <random>
#include <utility>

#include <boost/asio/post.hpp>

#include "absl/time/clock.h"

#include "bus/keys.h"
#include "bus/node_lease.h"
#include "bus/redis_bus.h"
#include "bus/redis_directory.h"
#include "bus/redis_link.h"
#include "bus/scripts.h"

namespace sig::bus {
namespace {

// A random id for this process's life: a restarted process never mistakes its earlier life's
// names for its own.
core::NodeId NewNodeId() {
  std::random_device device;
  std::uniform_int_distribution<core::NodeId> id(1, (core::NodeId{1} << 62));
  return id(device);
}

}  // namespace

Cluster::Cluster(Options options)
    : options_(std::move(options)),
      node_(NewNodeId()),
      work_(io_.get_executor()),
      sweep_timer_(io_) {
  RedisLink::Options link_options;
  link_options.address = options_.address;
  link_options.password = options_.password;
  link_ = RedisLink::Create(io_.get_executor(), link_options);
  lease_ = NodeLease::Create(io_.get_executor(), link_, node_, options_.lease);
  directory_owned_ = std::make_unique<RedisDirectory>(io_.get_executor(), link_, node_);
  bus_owned_ = std::make_unique<RedisBus>(io_.get_executor(), link_, node_, options_.window);
  directory_ = directory_owned_.get();
  bus_ = bus_owned_.get();

  const std::string own_channel = NodeKey(node_);
  link_->OnMessage([this, own_channel](std::string_view channel, std::string_view payload) {
    if (channel == own_channel) {
      bus_->OnNodeMessage(payload);
      return;
    }
    if (channel == kControlChannel) {
      bus_->OnControlMessage(payload);
      return;
    }
    if (channel == kEventsChannel) {
      bus_->OnEventMessage(payload);
      return;
    }
    const std::string realm = RealmOfChannel(channel);
    if (realm.empty()) return;
    if (payload.starts_with("B\t")) {
      bus_->OnRealmBroadcast(payload);
    } else {
      directory_->OnRealmMessage(realm, payload);
    }
  });
  link_->OnUp([this] {
    bus_->SetUp(true);
    lease_->OnLinkUp();
  });
  link_->OnDown([this](absl::Status) { bus_->SetUp(false); });
  lease_->OnHeld([this] {
    // The directory first: once the bus says up, logins must work.
    directory_->SetLeaseHeld(true);
    bus_->SetLease(RedisBus::Lease::kHeld);
    // Nothing at the first take; after Redis lost the lease, every name held here.
    directory_->Reclaim(options_.lease);
    // Listed, so that survivors reap this node's names if it dies.
    link_->Command({"HSET", std::string(kNodesKey), std::to_string(node_),
                    std::to_string(absl::ToUnixMillis(absl::Now()))},
                   [](RedisConnection::Reply) {});
  });
  lease_->OnFenced([this] {
    bus_->SetLease(RedisBus::Lease::kFenced);
    directory_->SetLeaseHeld(false);
    directory_->CloseAllFenced();
  });
  link_->Subscribe(own_channel);
  link_->Subscribe(std::string(kControlChannel));
}

Cluster::~Cluster() { Stop(); }

void Cluster::Sweep() {
  if (link_->up()) {
    bus_->Probe();
    bus_->RefreshWatch();
    link_->Command({"HKEYS", std::string(kNodesKey)}, [this](RedisConnection::Reply reply) {
      if (!reply.ok() || reply->type != RedisReply::Type::kArray) return;
      bus_->SetNodes(reply->elements.size());
      const std::string self = std::to_string(node_);
      for (const RedisReply& node : reply->elements) {
        if (node.str != self) Reap(node.str);
      }
    });
  }
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Sweep();
  });
}

void Cluster::Reap(std::string node) {
  constexpr int kChunk = 500;
  link_->RunScript(Scripts::Reap(), {}, {node, std::to_string(kChunk)},
                   [this, node](RedisConnection::Reply reply) mutable {
                     // A full chunk: more may be left; the rest goes on at once.
                     if (!reply.ok() || reply->integer <= 0) return;
                     bus_->CountReaped(static_cast<std::uint64_t>(reply->integer));
                     if (reply->integer == kChunk) Reap(std::move(node));
                   });
}

std::unique_ptr<core::Directory> Cluster::TakeDirectory() { return std::move(directory_owned_); }
std::unique_ptr<core::Bus> Cluster::TakeBus() { return std::move(bus_owned_); }

void Cluster::Start() {
  boost::asio::post(io_, [this] {
    link_->Start();
    lease_->Start();
    Sweep();
  });
  thread_ = std::thread([this] { io_.run(); });
}

void Cluster::Stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    lease_->Stop();  // sends the owner-checked DEL of the lease
    // Give the DEL a moment to leave before the link closes; then let the thread finish.
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(100));
    sweep_timer_.cancel();
    timer->async_wait([this, timer](boost::system::error_code) {
      link_->Stop();
      work_.reset();
      io_.stop();
    });
  });
  thread_.join();
}

}  // namespace sig::bus
