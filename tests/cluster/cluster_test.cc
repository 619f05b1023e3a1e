// Several sigd processes on one throw-away redis-server: peers on different nodes must not be
// able to tell (issue "Scale-out"). Real processes, real sockets, loopback only.
#include <signal.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "auth/jwt_verifier.h"
#include "auth/key_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/promtool.h"
#include "testing/redis_server.h"
#include "testing/sigd_process.h"
#include "testing/tcp_proxy.h"
#include "testing/ws_client.h"

namespace sig {
namespace {

std::string Str(const boost::json::value& v, std::string_view key) {
  const auto* field = v.as_object().if_contains(key);
  return field != nullptr && field->is_string() ? std::string(field->as_string()) : std::string();
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    auto proxy = testing::TcpProxy::Start(static_cast<std::uint16_t>(redis_->port()));
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    for (int i = 0; i < 3; ++i) {
      std::vector<std::string> args = {"--bus_lease=2s", "--allow_discovery",
                                       "--expire_timeout=2s", "--concurrent_limit=3"};
      if (i < 2) {
        args.push_back("--redis_addr=" + redis_->address());
      } else {
        args.push_back("--redis_addr=127.0.0.1:" + std::to_string(proxy_->port()));
        args.push_back("--admin_addr=");
      }
      auto node = testing::SigdProcess::Start(SIGD_BINARY, args);
      ASSERT_TRUE(node.ok()) << node.status();
      nodes_.push_back(std::make_unique<testing::SigdProcess>(*std::move(node)));
    }
  }

  // A failed test shows what each node logged (a sanitizer's report included).
  void TearDown() override {
    if (!HasFailure()) return;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      std::cerr << "---- node " << i << " log (" << nodes_[i]->log_path() << ")\n"
                << nodes_[i]->Log();
    }
  }

  // A td client logged in as `name` in `room` on node `node`. A node refuses logins (1013,
  // "unavailable") until it holds its lease in Redis, so the first login is retried until then.
  // `success`, when given, gets the login_success.
  std::unique_ptr<testing::WsClient> LoggedIn(int node, std::string_view name,
                                              std::string_view room = "r",
                                              boost::json::value* success = nullptr) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    for (;;) {
      auto client = testing::WsClient::Connect(nodes_[static_cast<std::size_t>(node)]->port());
      EXPECT_TRUE(client.ok()) << client.status();
      if (!client.ok()) return nullptr;
      auto reply = (*client)->Login(name, room);
      if (reply.ok()) {
        if (success != nullptr) *success = *std::move(reply);
        return *std::move(client);
      }
      const bool not_ready = absl::StrContains(reply.status().message(), "unavailable");
      if (!not_ready || absl::Now() > deadline) {
        ADD_FAILURE() << name << ": " << reply.status();
        return nullptr;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // alice on node 0 and bob on node 1, in room "r"; alice has heard that bob joined.
  void AliceAndBob() {
    alice_ = LoggedIn(0, "alice");
    ASSERT_NE(alice_, nullptr);
    bob_ = LoggedIn(1, "bob");
    ASSERT_NE(bob_, nullptr);
    auto joined = alice_->ReadType("peer_connected");
    ASSERT_TRUE(joined.ok()) << joined.status();
    EXPECT_EQ(Str(*joined, "peer"), "bob");
  }

  // A PeerJS client with `id` and `token` on node `node`, once it has its OPEN (retried while
  // the node has no lease yet). `first` gets the first frame when it is not OPEN.
  std::unique_ptr<testing::WsClient> PeerJs(int node, std::string_view id,
                                            std::string_view token = "t",
                                            std::string* first = nullptr) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    for (;;) {
      auto client = testing::WsClient::Connect(
          nodes_[static_cast<std::size_t>(node)]->port(),
          absl::StrCat("/peerjs/peerjs?key=peerjs&id=", std::string(id), "&token=", std::string(token)));
      EXPECT_TRUE(client.ok()) << client.status();
      if (!client.ok()) return nullptr;
      auto open = (*client)->Read();
      EXPECT_TRUE(open.ok()) << open.status();
      if (!open.ok()) return nullptr;
      if (*open == R"({"type":"OPEN"})") return *std::move(client);
      if (!absl::StrContains(*open, "unavailable") || absl::Now() > deadline) {
        if (first != nullptr) {
          *first = *open;
        } else {
          ADD_FAILURE() << id << ": " << *open;
        }
        return nullptr;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // sigctl run against node `node`'s admin API (real gRPC calls): its exit code and stdout.
  testing::Subprocess::Result Sigctl(int node, std::vector<std::string> args) {
    args.insert(args.begin(),
                {SIGCTL_BINARY,
                 "--addr=127.0.0.1:" +
                     std::to_string(nodes_[static_cast<std::size_t>(node)]->admin_port()),
                 "--timeout=5s"});
    auto child = testing::Subprocess::Start(args);
    if (!child.ok()) return {-1, child.status().ToString(), ""};
    auto result = child->Finish(absl::Seconds(10));
    if (!result.ok()) return {-1, result.status().ToString(), ""};
    return *result;
  }

  // What `sigctl health --service=<service>` says of node `node`.
  std::string GrpcHealth(int node, std::string_view service) {
    return std::string(absl::StripTrailingAsciiWhitespace(
        Sigctl(node, {"health", "--service=" + std::string(service)}).out));
  }

  // A login as `name` on node `node` is answered with `error` and closed with `code`.
  void ExpectRefused(int node, std::string_view name, std::string_view error,
                     std::uint16_t code) {
    auto client = testing::WsClient::Connect(nodes_[static_cast<std::size_t>(node)]->port());
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE((*client)->Send(absl::StrCat(R"({"type":"login","room":"r","name":")",
                                             std::string(name), "\"}")).ok());
    auto reply = (*client)->ReadJson();
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(Str(*reply, "error"), error);
    auto closed = (*client)->WaitClose();
    ASSERT_TRUE(closed.ok());
    EXPECT_EQ(*closed, code);
  }

  std::unique_ptr<testing::RedisServer> redis_;
  // Between node 2 and Redis, so that a test can cut that node off alone.
  std::unique_ptr<testing::TcpProxy> proxy_;
  // Nodes 0 and 1 serve the admin API; node 2 has none (it still answers the others' surveys).
  std::vector<std::unique_ptr<testing::SigdProcess>> nodes_;
  std::unique_ptr<testing::WsClient> alice_;
  std::unique_ptr<testing::WsClient> bob_;
};

TEST_F(ClusterTest, NamesAreUniqueAcrossNodesAndRoomsSpanThem) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  auto health = testing::HttpGet(nodes_[1]->port(), "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  EXPECT_THAT(health->body, ::testing::HasSubstr(R"("bus":"up")"));
  EXPECT_EQ(GrpcHealth(1, ""), "SERVING");
  EXPECT_EQ(GrpcHealth(1, "sig.bus"), "SERVING");

  // alice is taken on the other node too.
  ExpectRefused(1, "alice", "name_taken", 4000);
}

// The admin API of any node answers for the cluster: it surveys the others over the bus.
TEST_F(ClusterTest, AnyNodesAdminApiSeesAndActsOnEveryNode) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  // carol's node has no admin listener of its own; it answers the surveys all the same.
  auto carol = LoggedIn(2, "carol");
  ASSERT_NE(carol, nullptr);
  auto peers = Sigctl(0, {"--json", "peers"});
  ASSERT_EQ(peers.exit_code, 0) << peers.out;
  std::vector<std::string> names;
  std::set<std::string> on_nodes;
  const boost::json::value listing = boost::json::parse(peers.out);
  for (const auto& peer : listing.at("peers").as_array()) {
    names.emplace_back(peer.at("name").as_string());
    on_nodes.insert(std::string(peer.at("node").as_string()));
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("alice", "bob", "carol"));
  EXPECT_EQ(on_nodes.size(), 3u);
  // Paging walks every node, one peer a page.
  auto paged = Sigctl(1, {"--json", "peers", "--page_size=1"});
  ASSERT_EQ(paged.exit_code, 0) << paged.out;
  EXPECT_EQ(boost::json::parse(paged.out).at("peers").as_array().size(), 3u);

  auto nodes = Sigctl(1, {"--json", "nodes"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.out;
  const boost::json::value listed = boost::json::parse(nodes.out);
  ASSERT_EQ(listed.at("nodes").as_array().size(), 3u);
  for (const auto& node : listed.at("nodes").as_array()) {
    EXPECT_EQ(node.at("bus").as_string(), "up");
    EXPECT_EQ(node.at("peers").as_string(), "1");
    EXPECT_TRUE(std::string(node.at("address").as_string()).starts_with("127.0.0.1:"));
  }

  auto found = Sigctl(0, {"--json", "peer", "td/r", "bob"});
  ASSERT_EQ(found.exit_code, 0) << found.out;
  EXPECT_EQ(boost::json::parse(found.out).at("name").as_string(), "bob");
  auto found_carol = Sigctl(1, {"--json", "peer", "td/r", "carol"});
  ASSERT_EQ(found_carol.exit_code, 0) << found_carol.out;
  EXPECT_EQ(boost::json::parse(found_carol.out).at("name").as_string(), "carol");
  // A kick through node 0 closes bob's socket on node 1, and alice hears that he left.
  auto kicked = Sigctl(0, {"kick", "td/r", "bob", "--code=4002"});
  ASSERT_EQ(kicked.exit_code, 0) << kicked.out;
  auto code = bob_->WaitClose();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 4002);
  ASSERT_TRUE(alice_->ReadType("peer_disconnected").ok());
  EXPECT_NE(Sigctl(0, {"peer", "td/r", "bob"}).exit_code, 0);

  // A node that does not answer is named, and the others still are.
  nodes_[1]->Signal(SIGSTOP);
  auto partial = Sigctl(0, {"--json", "peers"});
  nodes_[1]->Signal(SIGCONT);
  ASSERT_EQ(partial.exit_code, 0) << partial.out;
  const boost::json::value page = boost::json::parse(partial.out);
  EXPECT_EQ(page.at("peers").as_array().size(), 2u);
}

// WatchEvents on any node streams every node's joins and leaves (each naming its node); with
// --local only the asked node's.
TEST_F(ClusterTest, WatchEventsSeesEveryNode) {
  LoggedIn(0, "warmup-0");
  LoggedIn(1, "warmup-1");
  LoggedIn(2, "warmup-2");
  auto watch = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {
        SIGCTL_BINARY, "--addr=127.0.0.1:" + std::to_string(nodes_[0]->admin_port()),
        "--timeout=10s", "--json", "watch", "--prefix=w"};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::Subprocess::Start(args);
  };
  auto everywhere = watch({"--count=6"});
  ASSERT_TRUE(everywhere.ok()) << everywhere.status();
  auto local = watch({"--count=2", "--local"});
  ASSERT_TRUE(local.ok()) << local.status();
  for (auto* w : {&*everywhere, &*local}) {
    auto ready = w->ReadStderrLine(absl::Seconds(10));
    ASSERT_TRUE(ready.ok()) << ready.status();
    ASSERT_EQ(*ready, "sigctl: watching");
  }
  {
    auto bob = LoggedIn(1, "wbob");
    ASSERT_NE(bob, nullptr);
    ASSERT_TRUE(bob->Close().ok());
  }
  {
    auto carol = LoggedIn(2, "wcarol");
    ASSERT_NE(carol, nullptr);
    ASSERT_TRUE(carol->Close().ok());
  }
  {
    auto alice = LoggedIn(0, "walice");
    ASSERT_NE(alice, nullptr);
    ASSERT_TRUE(alice->Close().ok());
  }
  auto lines = [](const std::string& out) {
    std::vector<std::string> seen;
    std::size_t start = 0;
    for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
      const boost::json::value event = boost::json::parse(out.substr(start, end - start));
      seen.push_back(absl::StrCat(event.at("kind").as_string().c_str(), " ",
                                  event.at("name").as_string().c_str(), " ",
                                  event.at("node").as_string() == "0" ? "0" : "n"));
    }
    return seen;
  };
  auto all = everywhere->Finish(absl::Seconds(15));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->exit_code, 0);
  // Each node's events in their order; between nodes, Redis sets the order (the events reach
  // the watching node on one channel, in the order the nodes published them).
  const std::vector<std::string> seen = lines(all->out);
  auto of = [&](const std::string& name) {
    std::vector<std::string> out;
    for (const std::string& line : seen) {
      if (absl::StrContains(line, absl::StrCat(" ", name, " "))) out.push_back(line);
    }
    return out;
  };
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_THAT(of("wbob"), ::testing::ElementsAre("KIND_JOINED wbob n", "KIND_LEFT wbob n"));
  EXPECT_THAT(of("wcarol"), ::testing::ElementsAre("KIND_JOINED wcarol n", "KIND_LEFT wcarol n"));
  EXPECT_THAT(of("walice"), ::testing::ElementsAre("KIND_JOINED walice 0", "KIND_LEFT walice 0"));
  auto mine = local->Finish(absl::Seconds(15));
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(mine->exit_code, 0);
  EXPECT_THAT(lines(mine->out),
              ::testing::ElementsAre("KIND_JOINED walice 0", "KIND_LEFT walice 0"));
}

// GetStats sums every node's counters; Drain reaches one other node by id, or every node.
TEST_F(ClusterTest, StatsAndDrainReachEveryNode) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  auto carol = LoggedIn(2, "carol");
  ASSERT_NE(carol, nullptr);
  auto stats = Sigctl(0, {"--json", "stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.out;
  const boost::json::value summed = boost::json::parse(stats.out);
  EXPECT_EQ(summed.at("nodes").as_array().size(), 3u);
  EXPECT_EQ(summed.at("peers_by_protocol").at("td").as_string(), "3");
  EXPECT_EQ(summed.at("logins_by_protocol").at("td").as_string(), "3");
  auto local = Sigctl(0, {"--json", "stats", "--local"});
  ASSERT_EQ(local.exit_code, 0) << local.out;
  EXPECT_EQ(boost::json::parse(local.out).at("peers_by_protocol").at("td").as_string(), "1");
  // One room over three nodes: its members summed, its nodes counted.
  auto rooms = Sigctl(0, {"--json", "rooms"});
  ASSERT_EQ(rooms.exit_code, 0) << rooms.out;
  const boost::json::value room = boost::json::parse(rooms.out).at("rooms").at(0);
  EXPECT_EQ(room.at("realm").as_string(), "td/r");
  EXPECT_EQ(room.at("members").as_string(), "3");
  EXPECT_EQ(room.at("nodes").as_int64(), 3);
  auto local_rooms = Sigctl(0, {"--json", "rooms", "--local"});
  ASSERT_EQ(local_rooms.exit_code, 0) << local_rooms.out;
  EXPECT_EQ(boost::json::parse(local_rooms.out).at("rooms").at(0).at("members").as_string(), "1");

  // Node 2 (no admin listener of its own) drained through node 1, by the id `nodes` gives.
  auto nodes = Sigctl(1, {"--json", "nodes"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.out;
  std::string node2;
  std::set<std::string> others;
  const boost::json::value listed = boost::json::parse(nodes.out);
  for (const auto& node : listed.at("nodes").as_array()) {
    const std::string id(node.at("id").as_string());
    if (absl::EndsWith(std::string(node.at("address").as_string()),
                       absl::StrCat(":", nodes_[2]->port()))) {
      node2 = id;
    } else {
      others.insert(id);
    }
  }
  ASSERT_FALSE(node2.empty()) << nodes.out;
  auto drained = Sigctl(1, {"--json", "drain", "--grace=0s", "--node=" + node2});
  ASSERT_EQ(drained.exit_code, 0) << drained.out;
  EXPECT_EQ(boost::json::parse(drained.out).at("drained_nodes").as_array().at(0).as_string(), node2);
  auto code = carol->WaitClose();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1012);
  EXPECT_EQ(Sigctl(0, {"drain", "--node=12345"}).exit_code, 1);  // no such node

  // Every node: the two still serving begin draining; alice and bob keep their grace.
  auto all = Sigctl(0, {"--json", "drain", "--all", "--grace=30s"});
  ASSERT_EQ(all.exit_code, 0) << all.out;
  std::set<std::string> began;
  const boost::json::value answered = boost::json::parse(all.out);
  for (const auto& id : answered.at("drained_nodes").as_array()) {
    began.insert(std::string(id.as_string()));
  }
  EXPECT_EQ(began, others);
  for (int node = 0; node < 2; ++node) {
    auto health = testing::HttpGet(nodes_[static_cast<std::size_t>(node)]->port(), "/health");
    ASSERT_TRUE(health.ok());
    EXPECT_EQ(health->status, 503) << node;
  }
  EXPECT_TRUE(alice_->Send(R"({"type":"offer","target":"bob"})").ok());
  EXPECT_TRUE(bob_->ReadType("offer").ok());

  // And back: every node serves again; alice and bob were never closed.
  auto undrained = Sigctl(0, {"--json", "undrain", "--all"});
  ASSERT_EQ(undrained.exit_code, 0) << undrained.out;
  EXPECT_EQ(boost::json::parse(undrained.out).at("undrained_nodes").as_array().size(), 3u);
  for (int node = 0; node < 3; ++node) {
    auto health = testing::HttpGet(nodes_[static_cast<std::size_t>(node)]->port(), "/health");
    ASSERT_TRUE(health.ok());
    EXPECT_EQ(health->status, 200) << node;
  }
  EXPECT_TRUE(alice_->Send(R"({"type":"offer","target":"bob"})").ok());
  EXPECT_TRUE(bob_->ReadType("offer").ok());
}

// A cluster node's /metrics adds the bus's series, and still passes the real promtool.
TEST_F(ClusterTest, BusMetricsCountWhatCrossesNodes) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  ASSERT_TRUE(alice_->Send(R"({"type":"offer","target":"bob"})").ok());
  ASSERT_TRUE(bob_->ReadType("offer").ok());
  std::string text;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {  // the node count is read by a sweep, once a second
    auto metrics = testing::HttpGet(nodes_[0]->port(), "/metrics");
    ASSERT_TRUE(metrics.ok());
    text = metrics->body;
  } while (!absl::StrContains(text, "sig_cluster_nodes 3") && absl::Now() < deadline);
  EXPECT_THAT(text, ::testing::HasSubstr("sig_cluster_nodes 3"));
  EXPECT_THAT(text, ::testing::HasSubstr(R"(sig_bus_frames_total{direction="sent"} 1)"));
  EXPECT_THAT(text, ::testing::HasSubstr(R"(sig_bus_dropped_total{reason="full"} 0)"));
  EXPECT_THAT(text, ::testing::HasSubstr("sig_bus_in_flight_frames 0"));
  EXPECT_THAT(text, ::testing::HasSubstr("sig_bus_round_trip_seconds_count 1"));
  EXPECT_THAT(text, ::testing::HasSubstr("sig_bus_publish_failures_total 0"));
  EXPECT_THAT(text, ::testing::ContainsRegex("sig_bus_lag_seconds [0-9.e-]+"));
  EXPECT_THAT(text, ::testing::HasSubstr("sig_bus_reaped_names_total 0"));
  // The anchor, the node's own channel, the cluster's, and alice's room.
  EXPECT_THAT(text, ::testing::HasSubstr("sig_bus_channels 4"));
  const absl::Status checked = testing::PromtoolCheck(text);
  EXPECT_TRUE(checked.ok()) << checked;
  // alice gone, node 0 has nobody in the room and leaves its channel.
  ASSERT_TRUE(alice_->Close().ok());
  do {
    auto metrics = testing::HttpGet(nodes_[0]->port(), "/metrics");
    ASSERT_TRUE(metrics.ok());
    text = metrics->body;
  } while (!absl::StrContains(text, "sig_bus_channels 3") && absl::Now() < deadline);
  EXPECT_THAT(text, ::testing::HasSubstr("sig_bus_channels 3"));
}

// A node's probe goes through Redis back to it every second; a lag that grows while Redis is
// frozen is what an alert can see before frames are lost. And the survivor that reaps a dead
// node's names counts them.
TEST_F(ClusterTest, BusMetricsShowLagAndReaps) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  auto metric = [&](int node, absl::string_view name) {
    auto metrics = testing::HttpGet(nodes_[static_cast<std::size_t>(node)]->port(), "/metrics");
    double value = -1;
    if (!metrics.ok()) return value;
    for (absl::string_view line : absl::StrSplit(metrics->body, '\n')) {
      if (absl::ConsumePrefix(&line, name) && absl::ConsumePrefix(&line, " ")) {
        EXPECT_TRUE(absl::SimpleAtod(line, &value)) << line;
      }
    }
    return value;
  };
  // Node 2's link frozen for 1.2 s (less than fencing takes): its lag shows it.
  auto carol = LoggedIn(2, "carol");
  ASSERT_NE(carol, nullptr);
  proxy_->Freeze();
  absl::SleepFor(absl::Milliseconds(1200));
  EXPECT_GE(metric(2, "sig_bus_lag_seconds"), 0.1);
  proxy_->Thaw();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (metric(2, "sig_bus_lag_seconds") >= 0.1 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_LT(metric(2, "sig_bus_lag_seconds"), 0.1);

  nodes_[1]->Signal(SIGKILL);
  ASSERT_TRUE(nodes_[1]->Wait(absl::Seconds(5)).ok());
  ASSERT_TRUE(alice_->ReadType("peer_disconnected", absl::Seconds(15)).ok());
  // bob's one name, freed by node 0 or node 2, whichever swept first.
  double reaped = 0;
  while (absl::Now() < deadline + absl::Seconds(5)) {
    reaped = metric(0, "sig_bus_reaped_names_total") + metric(2, "sig_bus_reaped_names_total");
    if (reaped >= 1) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(reaped, 1);
}

TEST_F(ClusterTest, TheNewcomersListHoldsMembersOfEveryNode) {
  auto alice = LoggedIn(0, "alice");
  ASSERT_NE(alice, nullptr);
  auto carol = LoggedIn(0, "carol");
  ASSERT_NE(carol, nullptr);
  boost::json::value success;
  auto bob = LoggedIn(1, "bob", "r", &success);
  ASSERT_NE(bob, nullptr);
  std::vector<std::string> clients;
  for (const auto& c : success.as_object().at("clients").as_array()) {
    clients.emplace_back(c.as_string());
  }
  EXPECT_THAT(clients, ::testing::UnorderedElementsAre("alice", "carol", "bob"));
}

TEST_F(ClusterTest, RelaysAndBroadcastsCrossNodes) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  auto& alice = alice_;
  auto& bob = bob_;

  ASSERT_TRUE(bob->Send(R"({"type":"offer","target":"alice","sdp":"v=0"})").ok());
  auto offer = alice->ReadType("offer");
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(Str(*offer, "from"), "bob");
  EXPECT_EQ(Str(*offer, "sdp"), "v=0");

  // In order per (sender, target).
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(alice->Send(absl::StrCat(R"({"type":"candidate","target":"bob","n":)", i, "}")).ok());
  }
  for (int i = 0; i < 20; ++i) {
    auto candidate = bob->ReadType("candidate");
    ASSERT_TRUE(candidate.ok()) << i << ": " << candidate.status();
    EXPECT_EQ(candidate->as_object().at("n").as_int64(), i);
  }

  ASSERT_TRUE(alice->Send(R"({"type":"page_opened","page":"/x"})").ok());
  auto opened = bob->ReadType("page_opened");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(Str(*opened, "from"), "alice");

  ASSERT_TRUE(alice->Send(R"({"type":"offer","target":"nobody"})").ok());
  auto missing = alice->ReadType("error");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(Str(*missing, "error"), "target_not_found");
}

// Two logins into one room on two nodes at the same moment: each node hears of the other's
// peer, whichever of the claim's reply and the other's announcement reaches it first. (Found by
// the cluster benchmark: one pair in four could not reach each other.)
TEST_F(ClusterTest, LoginsRacingOnTwoNodesSeeEachOther) {
  LoggedIn(0, "warmup-0");  // both nodes hold their lease before the race
  LoggedIn(1, "warmup-1");
  constexpr int kRooms = 40;
  std::vector<std::unique_ptr<testing::WsClient>> peers;
  for (int i = 0; i < 2 * kRooms; ++i) {
    auto client = testing::WsClient::Connect(nodes_[static_cast<std::size_t>(i % 2)]->port());
    ASSERT_TRUE(client.ok()) << client.status();
    peers.push_back(*std::move(client));
  }
  for (int i = 0; i < 2 * kRooms; ++i) {
    ASSERT_TRUE(peers[static_cast<std::size_t>(i)]
                    ->Send(absl::StrCat(R"({"type":"login","name":"p)", i % 2, R"(","room":"race)",
                                        i / 2, "\"}"))
                    .ok());
  }
  // Each peer knows its partner as td promises: in its login_success's clients, or by a
  // peer_connected that follows (the announcement crosses Redis, so it may come after the
  // partner's own login_success). Only then does it send.
  for (int i = 0; i < 2 * kRooms; ++i) {
    auto& peer = peers[static_cast<std::size_t>(i)];
    auto success = peer->ReadType("login_success");
    ASSERT_TRUE(success.ok()) << i << ": " << success.status();
    const std::string partner = absl::StrCat("p", 1 - i % 2);
    bool listed = false;
    for (const auto& client : success->at("clients").as_array()) {
      listed = listed || client.as_string() == partner;
    }
    if (!listed) {
      auto joined = peer->ReadType("peer_connected");
      ASSERT_TRUE(joined.ok()) << i << ": " << joined.status();
      EXPECT_EQ(Str(*joined, "peer"), partner) << i;
    }
  }
  for (int i = 0; i < 2 * kRooms; ++i) {
    ASSERT_TRUE(peers[static_cast<std::size_t>(i)]
                    ->Send(absl::StrCat(R"({"type":"offer","target":"p)", 1 - i % 2, "\"}"))
                    .ok());
  }
  for (int i = 0; i < 2 * kRooms; ++i) {
    auto offer = peers[static_cast<std::size_t>(i)]->ReadJson();
    ASSERT_TRUE(offer.ok()) << i << ": " << offer.status();
    EXPECT_EQ(Str(*offer, "type"), "offer") << i << ": " << boost::json::serialize(*offer);
  }
}

TEST_F(ClusterTest, ALeaveReachesTheOtherNodeAndFreesTheName) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  auto& alice = alice_;
  auto& bob = bob_;
  ASSERT_TRUE(bob->Close().ok());
  auto left = alice->ReadType("peer_disconnected");
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(Str(*left, "peer"), "bob");
  // The name is free cluster-wide: bob comes back on the other node.
  auto again = LoggedIn(0, "bob");
  ASSERT_NE(again, nullptr);
  auto rejoined = alice->ReadType("peer_connected");
  ASSERT_TRUE(rejoined.ok());
  EXPECT_EQ(Str(*rejoined, "peer"), "bob");
}

// A node killed with SIGKILL: once its lease (2 s here) runs out, a survivor reaps its names,
// so its peers' room-mates hear of each leave once, and the names are free again.
TEST_F(ClusterTest, ANodeKilledFreesItsNamesAndItsPeersLeaveOnce) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  nodes_[1]->Signal(SIGKILL);
  ASSERT_TRUE(nodes_[1]->Wait(absl::Seconds(5)).ok());
  auto left = alice_->ReadType("peer_disconnected", absl::Seconds(15));
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(Str(*left, "peer"), "bob");
  auto again = LoggedIn(0, "bob");
  ASSERT_NE(again, nullptr);
  // Nothing else reached alice in between: one leave, then the new bob's join.
  auto next = alice_->ReadJson();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(Str(*next, "type"), "peer_connected");
  EXPECT_EQ(Str(*next, "peer"), "bob");
}

// A node that stops closes its peers with 1001 and tells none of them that the others left
// (their calls may go on peer to peer while they reconnect elsewhere); the other nodes' peers
// are told each leave once.
TEST_F(ClusterTest, ANodeThatStopsTellsOnlyTheOtherNodesItsPeersLeft) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  auto carol = LoggedIn(1, "carol");
  ASSERT_NE(carol, nullptr);
  for (auto* peer : {alice_.get(), bob_.get()}) {
    auto joined = peer->ReadType("peer_connected");
    ASSERT_TRUE(joined.ok()) << joined.status();
    EXPECT_EQ(Str(*joined, "peer"), "carol");
  }
  nodes_[1]->Signal(SIGTERM);
  for (auto* peer : {bob_.get(), carol.get()}) {
    for (;;) {
      absl::StatusOr<std::string> text = peer->Read();
      if (!text.ok()) break;
      ADD_FAILURE() << "a peer of the stopping node was sent " << *text;
    }
    EXPECT_EQ(peer->WaitClose().value_or(0), 1001);
  }
  std::set<std::string> left;
  for (int i = 0; i < 2; ++i) {
    auto gone = alice_->ReadType("peer_disconnected");
    ASSERT_TRUE(gone.ok()) << gone.status();
    left.insert(Str(*gone, "peer"));
  }
  EXPECT_EQ(left, (std::set<std::string>{"bob", "carol"}));
  auto status = nodes_[1]->Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

// The next message that is not a keep-alive, failing the test on a peer_disconnected: a Redis
// restart must not make peers seem to leave.
absl::StatusOr<boost::json::value> NextOf(testing::WsClient& client, std::string_view type) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    auto message = client.ReadJson(deadline - absl::Now());
    if (!message.ok()) return message.status();
    const std::string got = Str(*message, "type");
    if (got == "peer_disconnected") return absl::InternalError("a spurious peer_disconnected");
    if (got == type) return message;
  }
  return absl::DeadlineExceededError(std::string(type));
}

// Redis restarted without persistence, briefly (well within the lease): nobody is
// disconnected; the nodes take their leases and claim their names again, and relays resume.
TEST_F(ClusterTest, ARedisRestartDisconnectsNobody) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  ASSERT_TRUE(redis_->Restart().ok());
  // Relays work again once both nodes are back (bob's frames may be lost while they are not).
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool delivered = false;
  while (!delivered && absl::Now() < deadline) {
    ASSERT_TRUE(bob_->Send(R"({"type":"offer","target":"alice"})").ok());
    auto offer = alice_->ReadJson(absl::Milliseconds(200));
    if (offer.ok()) {
      ASSERT_NE(Str(*offer, "type"), "peer_disconnected");
      delivered = Str(*offer, "type") == "offer";
    }
  }
  ASSERT_TRUE(delivered);
  // Relays resume from the nodes' caches before alice's node has claimed her name again in
  // Redis (until then another node could take it: the design's window); its log says when.
  while (nodes_[0]->Log().find("names claimed again") == std::string::npos &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_THAT(nodes_[0]->Log(), ::testing::HasSubstr("names claimed again claimed=1 lost=0"));
  EXPECT_THAT(nodes_[0]->Log(), ::testing::HasSubstr("W cluster bus down"));
  // alice's name was claimed again: another node refuses it.
  bool refused = false;
  while (!refused && absl::Now() < deadline) {
    auto thief = testing::WsClient::Connect(nodes_[1]->port());
    ASSERT_TRUE(thief.ok());
    ASSERT_TRUE((*thief)->Send(R"({"type":"login","name":"alice","room":"r"})").ok());
    auto reply = (*thief)->ReadJson();
    ASSERT_TRUE(reply.ok());
    ASSERT_NE(Str(*reply, "type"), "login_success") << "alice was free after the restart";
    refused = Str(*reply, "error") == "name_taken";
  }
  EXPECT_TRUE(refused);
  // And both are still there for each other.
  ASSERT_TRUE(alice_->Send(R"({"type":"answer","target":"bob"})").ok());
  EXPECT_TRUE(NextOf(*bob_, "answer").ok());
}

// Redis gone for longer than the lease: each node fences itself before its lease can run out,
// closing its peers with 1012, so no name is ever served by two nodes.
TEST_F(ClusterTest, ANodeCutOffFromRedisClosesItsPeers) {
  ASSERT_NO_FATAL_FAILURE(AliceAndBob());
  ASSERT_TRUE(redis_->Kill().ok());
  auto alice_code = alice_->WaitClose(absl::Seconds(10));
  ASSERT_TRUE(alice_code.ok()) << alice_code.status();
  EXPECT_EQ(*alice_code, 1012);
  auto bob_code = bob_->WaitClose(absl::Seconds(10));
  ASSERT_TRUE(bob_code.ok()) << bob_code.status();
  EXPECT_EQ(*bob_code, 1012);
  // New logins are refused while the node has no lease, and its readiness says why.
  ExpectRefused(0, "carol", "unavailable", 1013);
  auto health = testing::HttpGet(nodes_[0]->port(), "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 503);
  EXPECT_THAT(health->body, ::testing::HasSubstr(R"("status":"bus_fenced")"));
  EXPECT_THAT(health->body, ::testing::HasSubstr(R"("bus":"fenced")"));
  auto metrics = testing::HttpGet(nodes_[0]->port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body, ::testing::HasSubstr(R"(sig_bus_state{state="fenced"} 1)"));
  // gRPC health as load balancers read it: not ready, bus down, admin alive.
  EXPECT_EQ(GrpcHealth(0, ""), "NOT_SERVING");
  EXPECT_EQ(GrpcHealth(0, "sig.bus"), "NOT_SERVING");
  EXPECT_EQ(GrpcHealth(0, "sig.admin.v1.SignalAdmin"), "SERVING");
  // Stats still answer, for this node alone, while the cluster cannot be asked.
  auto stats = Sigctl(0, {"--json", "stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.out;
  EXPECT_EQ(boost::json::parse(stats.out).at("nodes").as_array().size(), 1u);
}

// One node cut off from Redis while Redis and the other nodes carry on (a partition: its
// connection stays open and silent). It fences itself before its lease can run out, so its
// peer's socket is closed before the name is free anywhere else: a name is never served by two
// nodes. The others reap its names once the lease is gone, and the room hears each leave once.
// Reconnected, the node serves again, and the names it lost stay with their new holders.
TEST_F(ClusterTest, ANodeCutOffAloneIsFencedBeforeItsNamesAreFree) {
  auto alice = LoggedIn(0, "alice");
  ASSERT_NE(alice, nullptr);
  auto carol = LoggedIn(2, "carol");
  ASSERT_NE(carol, nullptr);
  ASSERT_TRUE(alice->ReadType("peer_connected").ok());
  proxy_->Freeze();
  // Claim carol on node 0 as soon as it can be had; by then the old carol must be closed.
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  std::unique_ptr<testing::WsClient> usurper;
  while (usurper == nullptr && absl::Now() < deadline) {
    auto client = testing::WsClient::Connect(nodes_[0]->port());
    ASSERT_TRUE(client.ok());
    auto reply = (*client)->Login("carol", "r");
    if (reply.ok()) {
      usurper = *std::move(client);
    } else {
      ASSERT_THAT(reply.status().message(), ::testing::HasSubstr("name_taken"));
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  ASSERT_NE(usurper, nullptr) << "carol was never freed";
  // Already in carol's socket when the name became free: no wait beyond delivery.
  auto code = carol->WaitClose(absl::Milliseconds(100));
  ASSERT_TRUE(code.ok()) << "the name was free while its holder was still served: "
                         << code.status();
  EXPECT_EQ(*code, 1012);
  // alice heard carol leave once, then the new carol join.
  auto left = alice->ReadJson();
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(Str(*left, "type"), "peer_disconnected");
  auto joined = alice->ReadJson();
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(Str(*joined, "type"), "peer_connected");
  EXPECT_EQ(Str(*joined, "peer"), "carol");

  proxy_->Thaw();
  // Node 2 serves again (a login there works once it holds a new lease); carol stays taken.
  auto dave = LoggedIn(2, "dave");
  ASSERT_NE(dave, nullptr);
  ExpectRefused(2, "carol", "name_taken", 4000);
  auto health = testing::HttpGet(nodes_[2]->port(), "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  auto heard = alice->ReadType("peer_connected");
  ASSERT_TRUE(heard.ok()) << heard.status();
  EXPECT_EQ(Str(*heard, "peer"), "dave");
}

// PeerJS across nodes (cluster-design.md 1.4): ids unique per key, relays with src rewritten,
// concurrent_limit counted over every node.
TEST_F(ClusterTest, PeerJsIdsAreUniqueAndRelaysCrossNodes) {
  auto p1 = PeerJs(0, "p1");
  ASSERT_NE(p1, nullptr);
  auto p2 = PeerJs(1, "p2");
  ASSERT_NE(p2, nullptr);
  ASSERT_TRUE(p1->Send(R"({"type":"OFFER","dst":"p2","payload":{"sdp":"x"}})").ok());
  auto offer = p2->Read();
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(*offer, R"({"type":"OFFER","src":"p1","dst":"p2","payload":{"sdp":"x"}})");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(p2->Send(absl::StrCat(R"({"type":"CANDIDATE","dst":"p1","payload":)", i, "}")).ok());
  }
  for (int i = 0; i < 20; ++i) {
    auto candidate = p1->Read();
    ASSERT_TRUE(candidate.ok()) << i << ": " << candidate.status();
    EXPECT_EQ(*candidate, absl::StrCat(R"({"type":"CANDIDATE","src":"p2","dst":"p1","payload":)", i, "}"));
  }

  std::string refused;
  EXPECT_EQ(PeerJs(1, "p1", "another-token", &refused), nullptr);
  EXPECT_EQ(refused, R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");

  // --concurrent_limit=3 over both nodes: p1, p2 and p3 fill the key.
  auto p3 = PeerJs(0, "p3");
  ASSERT_NE(p3, nullptr);
  EXPECT_EQ(PeerJs(1, "p4", "t", &refused), nullptr);
  EXPECT_EQ(refused, R"({"type":"ERROR","payload":{"msg":"Server has reached its concurrent user limit"}})");

  // The peer list names every node's peers, on a node with none of its own too.
  p3.reset();
  auto node2 = testing::SigdProcess::Start(SIGD_BINARY, {"--redis_addr=" + redis_->address(),
                                                         "--bus_lease=2s", "--allow_discovery"});
  ASSERT_TRUE(node2.ok()) << node2.status();
  std::vector<std::string> ids;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    auto peers = testing::HttpGet(node2->port(), "/peerjs/peerjs/peers");
    ASSERT_TRUE(peers.ok());
    if (peers->status != 200) continue;
    ids.clear();
    const boost::json::value list = boost::json::parse(peers->body);
    for (const auto& id : list.as_array()) ids.emplace_back(id.as_string());
  } while (ids.size() != 2 && absl::Now() < deadline);
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("p1", "p2"));
}

// The same id with the same token on another node is a reconnect: the new socket gets OPEN and
// the frames, the old one is closed rather than orphaned (peerjs-server's quirk, which a
// single node already fixes).
TEST_F(ClusterTest, APeerJsReconnectOnAnotherNodeTakesItsIdOver) {
  auto p1 = PeerJs(0, "p1", "same");
  ASSERT_NE(p1, nullptr);
  auto p2 = PeerJs(0, "p2");
  ASSERT_NE(p2, nullptr);
  auto again = PeerJs(1, "p1", "same");
  ASSERT_NE(again, nullptr);
  auto closed = p1->WaitClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(*closed, 1000);
  ASSERT_TRUE(p2->Send(R"({"type":"OFFER","dst":"p1","payload":1})").ok());
  auto offer = again->Read();
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(*offer, R"({"type":"OFFER","src":"p2","dst":"p1","payload":1})");
  // The old connection's leave did not free the id: it is still taken, by the new one.
  std::string refused;
  EXPECT_EQ(PeerJs(0, "p1", "other", &refused), nullptr);
  EXPECT_THAT(refused, ::testing::HasSubstr("ID-TAKEN"));
}

// Frames for an id nobody holds wait on the sender's node; when the id logs in on another node
// they follow its OPEN there, in order, and the sender hears no EXPIRE. For an id that never
// comes, the sender gets one EXPIRE after expire_timeout (2 s here).
TEST_F(ClusterTest, PeerJsFramesForAnAbsentIdFollowItToAnotherNodeOrExpireOnce) {
  auto p1 = PeerJs(0, "p1");
  ASSERT_NE(p1, nullptr);
  ASSERT_TRUE(p1->Send(R"({"type":"OFFER","dst":"late","payload":1})").ok());
  ASSERT_TRUE(p1->Send(R"({"type":"CANDIDATE","dst":"late","payload":2})").ok());
  ASSERT_TRUE(p1->Send(R"({"type":"OFFER","dst":"ghost","payload":3})").ok());
  absl::SleepFor(absl::Milliseconds(300));
  auto late = PeerJs(1, "late");
  ASSERT_NE(late, nullptr);
  auto offer = late->Read();
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(*offer, R"({"type":"OFFER","src":"p1","dst":"late","payload":1})");
  auto candidate = late->Read();
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  EXPECT_EQ(*candidate, R"({"type":"CANDIDATE","src":"p1","dst":"late","payload":2})");
  // Once past the timeout: ghost's EXPIRE, and none for late.
  auto expire = p1->Read(absl::Seconds(10));
  ASSERT_TRUE(expire.ok()) << expire.status();
  EXPECT_EQ(*expire, R"({"type":"EXPIRE","src":"ghost","dst":"p1"})");
  EXPECT_FALSE(p1->Read(absl::Seconds(3)).ok());
}

// Signed-token logins on two nodes of a cluster: a login with a valid token for a name held on
// another node takes it over there (the old socket closed with 4005), as on one node.
class AuthClusterTest : public ::testing::Test {
 protected:
  static constexpr const char* kSecret = "test-secret-of-at-least-thirty-two-bytes";

  void SetUp() override {
    auto redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    keys_file_ = ::testing::TempDir() + "/cluster-keys-" + std::to_string(getpid()) + ".txt";
    WriteKeys(absl::StrCat("k1 HS256 ", kSecret, "\n"));
    for (int i = 0; i < 2; ++i) {
      auto node = testing::SigdProcess::Start(
          SIGD_BINARY, {"--bus_lease=2s", "--redis_addr=" + redis_->address(),
                        "--jwt_keys_file=" + keys_file_});
      ASSERT_TRUE(node.ok()) << node.status();
      nodes_.push_back(std::make_unique<testing::SigdProcess>(*std::move(node)));
    }
  }

  void WriteKeys(std::string_view text) {
    std::ofstream out(keys_file_, std::ios::trunc);
    out << text;
  }

  std::string Token(std::string_view sub, int iat, std::string_view kid = "k1") {
    auto key = auth::VerificationKey::Hmac(std::string(kid), std::string(kSecret));
    return auth::MintHs256(**key, absl::StrCat(R"({"sub":")", std::string(sub),
                                               R"(","room":"r","iat":)", iat, R"(,"exp":)",
                                               absl::ToUnixSeconds(absl::Now()) + 300, "}"));
  }

  // Logged in on `node` with a token for `name` (retried while the node has no lease yet).
  std::unique_ptr<testing::WsClient> LoggedIn(int node, std::string_view name, int iat = 1,
                                              std::string_view kid = "k1") {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    for (;;) {
      auto client = testing::WsClient::Connect(nodes_[static_cast<std::size_t>(node)]->port());
      EXPECT_TRUE(client.ok()) << client.status();
      if (!client.ok()) return nullptr;
      EXPECT_TRUE((*client)
                      ->Send(absl::StrCat(R"({"type":"login","room":"r","token":")",
                                          Token(name, iat, kid), R"("})"))
                      .ok());
      auto reply = (*client)->ReadJson();
      if (reply.ok() && Str(*reply, "type") == "login_success") return *std::move(client);
      if (!reply.ok() || Str(*reply, "error") != "unavailable" || absl::Now() > deadline) {
        ADD_FAILURE() << name << ": " << (reply.ok() ? boost::json::serialize(*reply) : "no reply");
        return nullptr;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::unique_ptr<testing::RedisServer> redis_;
  std::vector<std::unique_ptr<testing::SigdProcess>> nodes_;
  std::string keys_file_;
};

// sigctl keys reload on one node makes every node read its keys file again.
TEST_F(AuthClusterTest, KeysReloadReachesEveryNode) {
  ASSERT_NE(LoggedIn(1, "alice"), nullptr);  // both nodes up
  WriteKeys(absl::StrCat("k2 HS256 ", kSecret, "\n"));
  auto child = testing::Subprocess::Start(
      {SIGCTL_BINARY, "--addr=127.0.0.1:" + std::to_string(nodes_[0]->admin_port()), "--json",
       "keys", "reload"});
  ASSERT_TRUE(child.ok());
  auto result = child->Finish(absl::Seconds(10));
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->exit_code, 0) << result->out;
  const boost::json::value reply = boost::json::parse(result->out);
  EXPECT_EQ(reply.at("reloaded_nodes").as_array().size(), 2u) << result->out;
  EXPECT_EQ(reply.at("kids").as_array()[0].as_string(), "k2");
  // Node 1 was not asked, and takes k2 and refuses k1 all the same.
  ASSERT_NE(LoggedIn(1, "bob", 1, "k2"), nullptr);
  auto refused = testing::WsClient::Connect(nodes_[1]->port());
  ASSERT_TRUE(refused.ok());
  ASSERT_TRUE((*refused)->Send(absl::StrCat(R"({"type":"login","room":"r","token":")",
                                            Token("carol", 1, "k1"), R"("})")).ok());
  auto error = (*refused)->ReadJson();
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(Str(*error, "error"), "invalid_token");
}

TEST_F(AuthClusterTest, ANewerLoginOnAnotherNodeReplacesTheSession) {
  auto alice = LoggedIn(0, "alice");
  ASSERT_NE(alice, nullptr);
  auto bob = LoggedIn(1, "bob");
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(alice->ReadType("peer_connected").ok());
  auto again = LoggedIn(1, "alice", 2);
  ASSERT_NE(again, nullptr);
  auto closed = alice->WaitClose();
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(*closed, 4005);
  // The first token (issued earlier) cannot take the name back, on either node.
  auto older = testing::WsClient::Connect(nodes_[0]->port());
  ASSERT_TRUE(older.ok());
  ASSERT_TRUE((*older)->Send(absl::StrCat(R"({"type":"login","room":"r","token":")",
                                          Token("alice", 1), R"("})")).ok());
  auto taken = (*older)->ReadJson();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(Str(*taken, "error"), "name_taken");
  ASSERT_TRUE(bob->Send(R"({"type":"offer","target":"alice"})").ok());
  auto offer = again->ReadType("offer");
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(Str(*offer, "from"), "bob");
  // No leave or join was told for the takeover: bob's next message is his pong.
  ASSERT_TRUE(bob->Send(R"({"type":"ping"})").ok());
  auto next = bob->ReadJson();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(Str(*next, "type"), "pong");
}

}  // namespace
}  // namespace sig
