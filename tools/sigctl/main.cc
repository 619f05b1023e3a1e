// sigctl: the operator's command line for sigd's gRPC admin API.
//
//   sigctl [--addr host:port] [--token T] [--timeout 5s] [--json] <command> [args]
//
// Exit status: 0 done; 1 the call failed (its gRPC status is printed) or health is not
// SERVING; 2 usage error.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "auth/jwt_verifier.h"
#include "auth/key_set.h"
#include "core/stats.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "sig/admin/v1/admin.grpc.pb.h"

namespace {

namespace v1 = sig::admin::v1;
using google::protobuf::util::TimeUtil;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

constexpr std::string_view kUsageText = R"(usage: sigctl [options] <command> [args]

commands:
  peers  [--protocol td|peerjs] [--realm R] [--prefix P] [--page_size N]
                                        list registered peers (every page)
  peer   REALM NAME                     one peer, e.g. sigctl peer td/lobby alice
  kick   REALM NAME [--code C] [--reason TEXT]
                                        close a peer's WebSocket (default code 4002)
  stats  [--local]                      counters since start, summed over a cluster's nodes
                                        (--local: the asked node's alone)
  health [--service NAME]               grpc.health.v1 status ("" = overall)
  watch  [--protocol P] [--realm R] [--prefix P] [--count N] [--local]
                                        stream joins, leaves and kicks (one line each), of
                                        every node of a cluster (--local: the asked node's)
  drain  [--grace 30s] [--node ID | --all]
                                        refuse new peers; close the rest with 1012 after grace
                                        (--node: another node of the cluster; --all: every node)
  undrain [--node ID | --all]           end a drain: admit new peers again, keep the rest open
  rooms  [--local] [--page_size N]      rooms (td rooms, PeerJS keys) with member counts, every
                                        node's members counted (--local: the asked node's)
  nodes                                 the cluster's nodes (REDIS_ADDR set), as each describes
                                        itself; those that did not answer on stderr
  keys reload [--local]                 read JWT_KEYS_FILE again on every node (--local: the
                                        asked node); prints the key ids in use
  token mint --keys_file F --kid K --sub NAME --room ROOM [--ttl 10m] [--aud A]
                                        print an HS256 login token signed with key K of the
                                        keys file F (offline: no call to sigd)

options (each may also come from the environment):
  --addr host:port   admin address (SIGCTL_ADDR, default 127.0.0.1:50051)
  --token T          bearer token (SIGCTL_TOKEN)
  --timeout D        deadline of each call, e.g. 5s (default 5s; for watch: how long to watch,
                     default 1h)
  --json             print JSON (watch: one object per line) instead of a table
)";

// The command line: options anywhere, `--name value` or `--name=value`, then positionals.
// Hand-rolled because absl::ParseCommandLine exits with status 1 on a bad flag, and sigctl
// promises 2 for usage errors.
struct Args {
  std::map<std::string, std::string, std::less<>> options;
  std::vector<std::string> positional;
  std::string error;
};

Args Parse(int argc, char** argv) {
  static const std::map<std::string_view, bool> kKnown = {
      // name -> takes a value
      {"addr", true},   {"token", true},     {"timeout", true}, {"json", false},
      {"protocol", true}, {"realm", true},   {"prefix", true},  {"page_size", true},
      {"code", true},   {"reason", true},    {"service", true}, {"count", true},
      {"grace", true},  {"help", false},     {"local", false},  {"node", true},
      {"all", false},   {"keys_file", true}, {"kid", true},     {"sub", true},
      {"room", true},   {"ttl", true},       {"aud", true}};
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 3 || !arg.starts_with("--")) {
      args.positional.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(2);
    std::string_view name = arg.substr(0, arg.find('='));
    const auto known = kKnown.find(name);
    if (known == kKnown.end()) {
      args.error = absl::StrFormat("unknown option --%s", std::string(name));
      return args;
    }
    std::string value;
    if (arg.size() > name.size()) {
      value = std::string(arg.substr(name.size() + 1));
    } else if (known->second) {
      if (i + 1 >= argc) {
        args.error = absl::StrFormat("--%s needs a value", std::string(name));
        return args;
      }
      value = argv[++i];
    } else {
      value = "true";
    }
    args.options[std::string(name)] = value;
  }
  return args;
}

// "serving", "draining", "stopping".
std::string PhaseName(v1::ServingPhase phase) {
  return absl::AsciiStrToLower(v1::ServingPhase_Name(phase).substr(sizeof("SERVING_PHASE_") - 1));
}

// Two units at most, for people: "42s", "12m5s", "3h12m", "2d3h".
std::string HumanDuration(absl::Duration d) {
  const std::int64_t s = absl::ToInt64Seconds(d);
  if (s < 60) return absl::StrFormat("%ds", s);
  if (s < 3600) return absl::StrFormat("%dm%ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%dm", s / 3600, s % 3600 / 60);
  return absl::StrFormat("%dd%dh", s / 86400, s % 86400 / 3600);
}

class Cli {
 public:
  explicit Cli(Args args) : args_(std::move(args)) {}

  int Run() {
    if (!args_.error.empty()) return Usage(args_.error);
    if (Has("help")) {
      std::cout << kUsageText;
      return kOk;
    }
    if (args_.positional.empty()) return Usage("no command");
    json_ = Has("json");
    const std::string command = args_.positional[0];
    if (command == "token") return Token();  // offline: no channel
    const std::string addr = Option("addr", Env("SIGCTL_ADDR", "127.0.0.1:50051"));
    token_ = Option("token", Env("SIGCTL_TOKEN", ""));
    auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
    admin_ = v1::SignalAdmin::NewStub(channel);
    health_ = grpc::health::v1::Health::NewStub(channel);

    const absl::Duration default_timeout =
        command == "watch" ? absl::Hours(1) : absl::Seconds(5);
    if (!Duration("timeout", default_timeout, &timeout_)) return kUsage;

    if (command == "peers") return Peers();
    if (command == "peer") return Peer();
    if (command == "kick") return Kick();
    if (command == "stats") return Stats();
    if (command == "health") return Health();
    if (command == "watch") return Watch();
    if (command == "drain") return Drain();
    if (command == "undrain") return Undrain();
    if (command == "rooms") return Rooms();
    if (command == "nodes") return Nodes();
    if (command == "keys") return Keys();
    return Usage("unknown command " + command);
  }

 private:
  static std::string Env(const char* name, std::string fallback) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : fallback;
  }
  bool Has(std::string_view name) const { return args_.options.contains(name); }
  std::string Option(std::string_view name, std::string fallback = "") const {
    auto it = args_.options.find(name);
    return it == args_.options.end() ? fallback : it->second;
  }

  int Usage(std::string_view problem) const {
    std::cerr << "sigctl: " << problem << "\n\n" << kUsageText;
    return kUsage;
  }

  bool Duration(std::string_view name, absl::Duration fallback, absl::Duration* out) const {
    *out = fallback;
    if (!Has(name)) return true;
    if (!absl::ParseDuration(Option(name), out) || *out < absl::ZeroDuration()) {
      Usage(absl::StrFormat("--%s wants a duration such as 5s", std::string(name)));
      return false;
    }
    return true;
  }

  bool Number(std::string_view name, std::int64_t fallback, std::int64_t* out) const {
    *out = fallback;
    if (!Has(name)) return true;
    if (!absl::SimpleAtoi(Option(name), out) || *out < 0) {
      Usage(absl::StrFormat("--%s wants a non-negative number", std::string(name)));
      return false;
    }
    return true;
  }

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout_));
    if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
    return context;
  }

  static int Failed(const grpc::Status& status) {
    const auto& names = sig::core::Stats::kGrpcCodeNames;
    const auto code = static_cast<std::size_t>(status.error_code());
    std::cerr << "sigctl: " << (code < names.size() ? names[code] : "UNKNOWN") << ": "
              << status.error_message() << "\n";
    return kFailed;
  }

  static std::string Json(const google::protobuf::Message& message) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    std::string out;
    (void)google::protobuf::util::MessageToJsonString(message, &out, options);
    return out;
  }

  static std::string_view ProtocolName(sig::v1::Protocol p) {
    return p == sig::v1::PROTOCOL_TD ? "td" : p == sig::v1::PROTOCOL_PEERJS ? "peerjs" : "?";
  }

  bool Filter(v1::PeerFilter* filter) const {
    const std::string protocol = Option("protocol");
    if (protocol == "td") {
      filter->set_protocol(sig::v1::PROTOCOL_TD);
    } else if (protocol == "peerjs") {
      filter->set_protocol(sig::v1::PROTOCOL_PEERJS);
    } else if (!protocol.empty()) {
      Usage("--protocol is td or peerjs");
      return false;
    }
    filter->set_realm(Option("realm"));
    filter->set_name_prefix(Option("prefix"));
    return true;
  }

  bool Positionals(std::size_t n, std::string_view what) const {
    if (args_.positional.size() == n + 1) return true;
    Usage(absl::StrFormat("%s wants %s", args_.positional[0], std::string(what)));
    return false;
  }

  static void PrintPeerTable(const std::vector<const v1::Peer*>& peers) {
    std::printf("%-7s %-24s %-24s %-22s %-20s %9s %9s %6s\n", "PROTO", "REALM", "NAME", "REMOTE",
                "CONNECTED", "FRAMES_IN", "FRAMES_OUT", "QUEUE");
    for (const v1::Peer* p : peers) {
      const absl::Time connected = absl::FromUnixSeconds(p->connected_at().seconds());
      std::printf("%-7s %-24s %-24s %-22s %-20s %9llu %9llu %6u\n",
                  std::string(ProtocolName(p->protocol())).c_str(), p->realm().c_str(),
                  p->name().c_str(), p->remote_address().c_str(),
                  absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", connected, absl::UTCTimeZone()).c_str(),
                  static_cast<unsigned long long>(p->frames_received()),
                  static_cast<unsigned long long>(p->frames_sent()), p->send_queue_depth());
    }
  }

  // Calls the paged listing `rpc` from `request`'s page on until the last, the items of every
  // page gathered in `all`. A node that did not answer is reported on stderr (`missing`: what
  // the listing lacks for it), not in `all`.
  template <typename Request, typename Response>
  grpc::Status EveryPage(grpc::Status (v1::SignalAdmin::Stub::*rpc)(grpc::ClientContext*,
                                                                   const Request&, Response*),
                         Request& request, Response& all, std::string_view missing) {
    do {
      Response page;
      grpc::Status status = (admin_.get()->*rpc)(Context().get(), request, &page);
      if (!status.ok()) return status;
      for (std::uint64_t node : page.incomplete_nodes()) {
        std::cerr << "sigctl: node " << node << " did not answer; " << missing << "\n";
      }
      request.set_page_token(page.next_page_token());
      page.clear_incomplete_nodes();
      page.clear_next_page_token();
      all.MergeFrom(page);
    } while (!request.page_token().empty());
    return grpc::Status::OK;
  }

  int Peers() {
    v1::ListPeersRequest request;
    if (!Positionals(0, "no arguments") || !Filter(request.mutable_filter())) return kUsage;
    std::int64_t page_size = 0;
    if (!Number("page_size", 0, &page_size)) return kUsage;
    request.set_page_size(static_cast<std::int32_t>(page_size));
    v1::ListPeersResponse all;
    grpc::Status status =
        EveryPage(&v1::SignalAdmin::Stub::ListPeers, request, all, "its peers are missing");
    if (!status.ok()) return Failed(status);
    if (json_) {
      std::cout << Json(all) << "\n";
    } else {
      std::vector<const v1::Peer*> rows;
      for (const auto& peer : all.peers()) rows.push_back(&peer);
      PrintPeerTable(rows);
    }
    return kOk;
  }

  int Keys() {
    if (!Positionals(1, "reload") || args_.positional[1] != "reload") {
      return Usage("keys wants reload");
    }
    v1::ReloadKeysRequest request;
    if (Has("local")) request.set_scope(v1::SCOPE_LOCAL);
    v1::ReloadKeysResponse response;
    grpc::Status status = admin_->ReloadKeys(Context().get(), request, &response);
    for (std::uint64_t missing : response.incomplete_nodes()) {
      std::cerr << "sigctl: node " << missing << " did not answer; it may not have reloaded\n";
    }
    if (!status.ok()) return Failed(status);
    if (json_) {
      std::cout << Json(response) << "\n";
    } else {
      std::printf("keys in use:");
      for (const std::string& kid : response.kids()) std::printf(" %s", kid.c_str());
      std::printf("\n");
    }
    return kOk;
  }

  // An HS256 token for tests and operators: the secret comes from the keys file sigd reads, so
  // the host that mints is one that could verify.
  int Token() {
    if (!Positionals(1, "mint") || args_.positional[1] != "mint") return Usage("token wants mint");
    for (const char* required : {"keys_file", "kid", "sub", "room"}) {
      if (!Has(required)) return Usage(absl::StrFormat("token mint wants --%s", required));
    }
    absl::Duration ttl;
    if (!Duration("ttl", absl::Minutes(10), &ttl)) return kUsage;
    absl::StatusOr<std::shared_ptr<const sig::auth::KeySet>> keys =
        sig::auth::KeySet::Load(Option("keys_file"));
    if (!keys.ok()) {
      std::cerr << "sigctl: " << keys.status().message() << "\n";
      return kFailed;
    }
    const sig::auth::VerificationKey* key = (*keys)->Find(Option("kid"));
    if (key == nullptr || key->algorithm() != sig::auth::Algorithm::kHs256) {
      std::cerr << "sigctl: no HS256 key " << Option("kid") << " in " << Option("keys_file")
                << " (RS256 and ES256 tokens are minted by their identity provider)\n";
      return kFailed;
    }
    const absl::Time now = absl::Now();
    boost::json::object claims{{"sub", Option("sub")},
                               {"room", Option("room")},
                               {"iat", absl::ToUnixSeconds(now)},
                               {"exp", absl::ToUnixSeconds(now + ttl)}};
    if (Has("aud")) claims["aud"] = Option("aud");
    std::cout << sig::auth::MintHs256(*key, boost::json::serialize(claims)) << "\n";
    return kOk;
  }

  int Nodes() {
    if (!Positionals(0, "no arguments")) return kUsage;
    v1::ListNodesResponse response;
    grpc::Status status = admin_->ListNodes(Context().get(), v1::ListNodesRequest(), &response);
    if (!status.ok()) return Failed(status);
    for (std::uint64_t node : response.incomplete_nodes()) {
      std::cerr << "sigctl: node " << node << " did not answer\n";
    }
    if (json_) {
      std::cout << Json(response) << "\n";
      return kOk;
    }
    std::printf("%-20s %-22s %-22s %-8s %-8s %-7s %8s %8s\n", "ID", "ADDRESS", "ADMIN", "VERSION",
                "UPTIME", "BUS", "CONNS", "PEERS");
    for (const v1::Node& node : response.nodes()) {
      const absl::Duration uptime = absl::Seconds(node.uptime().seconds());
      std::printf("%-20llu %-22s %-22s %-8s %-8s %-7s %8llu %8llu\n",
                  static_cast<unsigned long long>(node.id()), node.address().c_str(),
                  node.admin_address().c_str(), node.version().c_str(),
                  HumanDuration(uptime).c_str(), node.bus().c_str(),
                  static_cast<unsigned long long>(node.connections()),
                  static_cast<unsigned long long>(node.peers()));
    }
    return kOk;
  }

  int Peer() {
    if (!Positionals(2, "REALM NAME")) return kUsage;
    v1::GetPeerRequest request;
    request.set_realm(args_.positional[1]);
    request.set_name(args_.positional[2]);
    v1::Peer peer;
    grpc::Status status = admin_->GetPeer(Context().get(), request, &peer);
    if (!status.ok()) return Failed(status);
    if (json_) {
      std::cout << Json(peer) << "\n";
    } else {
      PrintPeerTable({&peer});
    }
    return kOk;
  }

  int Kick() {
    if (!Positionals(2, "REALM NAME")) return kUsage;
    std::int64_t code = 0;
    if (!Number("code", 0, &code)) return kUsage;
    v1::DisconnectPeerRequest request;
    request.set_realm(args_.positional[1]);
    request.set_name(args_.positional[2]);
    request.set_code(static_cast<std::uint32_t>(code));
    request.set_reason(Option("reason"));
    v1::DisconnectPeerResponse response;
    grpc::Status status = admin_->DisconnectPeer(Context().get(), request, &response);
    if (!status.ok()) return Failed(status);
    if (json_) {
      std::cout << Json(response) << "\n";
    } else {
      std::printf("closed %s in %s with %u\n", response.peer().name().c_str(),
                  response.peer().realm().c_str(), response.code());
    }
    return kOk;
  }

  int Stats() {
    if (!Positionals(0, "no arguments")) return kUsage;
    v1::GetStatsRequest request;
    if (Has("local")) request.set_scope(v1::SCOPE_LOCAL);
    v1::Stats stats;
    grpc::Status status = admin_->GetStats(Context().get(), request, &stats);
    if (!status.ok()) return Failed(status);
    for (std::uint64_t node : stats.incomplete_nodes()) {
      std::cerr << "sigctl: node " << node << " did not answer; its counts are missing\n";
    }
    if (json_) {
      std::cout << Json(stats) << "\n";
      return kOk;
    }
    std::printf("version      %s\nphase        %s\nuptime       %s\nconnections  %llu\n",
                stats.version().c_str(), std::string(PhaseName(stats.phase())).c_str(),
                HumanDuration(absl::Seconds(stats.uptime().seconds())).c_str(),
                static_cast<unsigned long long>(stats.connections()));
    if (stats.nodes_size() > 0) std::printf("nodes        %d (summed)\n", stats.nodes_size());
    // A section whose counts are all zero is left out.
    const auto section = [](const char* title,
                            const google::protobuf::Map<std::string, std::uint64_t>& values) {
      std::map<std::string, std::uint64_t> sorted;
      for (const auto& [key, value] : values) {
        if (value != 0) sorted.emplace(key, value);
      }
      if (sorted.empty()) return;
      std::printf("%s\n", title);
      for (const auto& [key, value] : sorted) {
        std::printf("  %-24s %llu\n", key.c_str(), static_cast<unsigned long long>(value));
      }
    };
    section("peers", stats.peers_by_protocol());
    section("logins", stats.logins_by_protocol());
    section("frames received", stats.frames_received_by_type());
    section("frames sent", stats.frames_sent_by_type());
    section("login rejections", stats.login_rejections_by_reason());
    section("bad frames", stats.bad_frames_by_reason());
    section("relay failures", stats.relay_failures_by_reason());
    section("closes", stats.closes_by_code());
    std::printf("bytes        %llu in, %llu out\nqueue overflows %llu\nheld frames  %llu\n",
                static_cast<unsigned long long>(stats.bytes_received()),
                static_cast<unsigned long long>(stats.bytes_sent()),
                static_cast<unsigned long long>(stats.send_queue_overflows()),
                static_cast<unsigned long long>(stats.held_frames()));
    return kOk;
  }

  int Health() {
    if (!Positionals(0, "no arguments")) return kUsage;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(Option("service"));
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health_->Check(Context().get(), request, &response);
    if (!status.ok()) return Failed(status);
    if (json_) {
      std::cout << Json(response) << "\n";
    } else {
      std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
                << "\n";
    }
    return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kOk : kFailed;
  }

  int Watch() {
    v1::WatchEventsRequest request;
    if (!Positionals(0, "no arguments") || !Filter(request.mutable_filter())) return kUsage;
    if (Has("local")) request.set_scope(v1::SCOPE_LOCAL);
    std::int64_t count = 0;
    if (!Number("count", 0, &count)) return kUsage;
    auto context = Context();
    auto reader = admin_->WatchEvents(context.get(), request);
    // The server sends headers once subscribed: from here on no event is missed. Scripts (and
    // tests) can wait for this line before causing events.
    reader->WaitForInitialMetadata();
    std::cerr << "sigctl: watching" << std::endl;
    v1::PeerEvent event;
    std::int64_t seen = 0;
    while ((count == 0 || seen < count) && reader->Read(&event)) {
      ++seen;
      if (json_) {
        std::cout << Json(event) << std::endl;
        continue;
      }
      const absl::Time at = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(event.time()));
      std::string line = absl::StrFormat(
          "%s %-7s %-6s %s %s", absl::FormatTime("%H:%M:%E3S", at, absl::UTCTimeZone()),
          std::string(v1::PeerEvent::Kind_Name(event.kind()).substr(5)),
          std::string(ProtocolName(event.protocol())), event.realm(), event.name());
      if (event.kind() == v1::PeerEvent::KIND_KICKED) {
        line += absl::StrFormat(" code=%d reason=%s", event.close_code(), event.reason());
      }
      if (event.node() != 0) line += absl::StrFormat(" node=%d", event.node());
      if (event.dropped_before() != 0) {
        line += absl::StrFormat(" (%d earlier events dropped)", event.dropped_before());
      }
      std::cout << line << std::endl;
    }
    if (count != 0 && seen >= count) {
      context->TryCancel();
      return kOk;
    }
    grpc::Status status = reader->Finish();
    // Watching until --timeout is the normal way for an open-ended watch to end.
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return kOk;
    return status.ok() ? kOk : Failed(status);
  }

  // --node ID or --all into a Drain or Undrain request; false after a usage error.
  template <typename Request>
  bool NodeTarget(Request& request) {
    std::int64_t node = 0;
    if (!Number("node", 0, &node)) return false;
    if (node != 0 && Has("all")) {
      Usage("--node and --all exclude each other");
      return false;
    }
    request.set_node(static_cast<std::uint64_t>(node));
    if (Has("all")) request.set_scope(v1::SCOPE_CLUSTER);
    return true;
  }

  int Undrain() {
    v1::UndrainRequest request;
    if (!Positionals(0, "no arguments") || !NodeTarget(request)) return kUsage;
    v1::UndrainResponse response;
    grpc::Status status = admin_->Undrain(Context().get(), request, &response);
    for (std::uint64_t missing : response.incomplete_nodes()) {
      std::cerr << "sigctl: node " << missing << " did not answer; it may still be draining\n";
    }
    if (!status.ok()) return Failed(status);
    if (json_) {
      std::cout << Json(response) << "\n";
    } else {
      std::printf("serving again\n");
    }
    return kOk;
  }

  int Rooms() {
    if (!Positionals(0, "no arguments")) return kUsage;
    v1::ListRoomsRequest request;
    if (Has("local")) request.set_scope(v1::SCOPE_LOCAL);
    std::int64_t page_size = 0;
    if (!Number("page_size", 0, &page_size)) return kUsage;
    request.set_page_size(static_cast<std::int32_t>(page_size));
    v1::ListRoomsResponse all;
    grpc::Status status =
        EveryPage(&v1::SignalAdmin::Stub::ListRooms, request, all, "its members are missing");
    if (!status.ok()) return Failed(status);
    if (json_) {
      std::cout << Json(all) << "\n";
      return kOk;
    }
    std::printf("%-40s %-8s %8s %6s\n", "ROOM", "PROTOCOL", "MEMBERS", "NODES");
    for (const v1::Room& room : all.rooms()) {
      std::printf("%-40s %-8s %8llu %6u\n", room.realm().c_str(),
                  std::string(ProtocolName(room.protocol())).c_str(),
                  static_cast<unsigned long long>(room.members()), room.nodes());
    }
    return kOk;
  }

  int Drain() {
    if (!Positionals(0, "no arguments")) return kUsage;
    v1::DrainRequest request;
    if (Has("grace")) {
      absl::Duration grace;
      if (!Duration("grace", absl::ZeroDuration(), &grace)) return kUsage;
      *request.mutable_grace() = TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(grace));
    }
    if (!NodeTarget(request)) return kUsage;
    v1::DrainResponse response;
    grpc::Status status = admin_->Drain(Context().get(), request, &response);
    if (!status.ok()) return Failed(status);
    for (std::uint64_t missing : response.incomplete_nodes()) {
      std::cerr << "sigctl: node " << missing << " did not answer; it may not be draining\n";
    }
    if (json_) {
      std::cout << Json(response) << "\n";
    } else {
      std::printf("draining: %llu connections will be closed with 1012 at %s\n",
                  static_cast<unsigned long long>(response.connections()),
                  TimeUtil::ToString(response.close_at()).c_str());
    }
    return kOk;
  }

  Args args_;
  bool json_ = false;
  std::string token_;
  absl::Duration timeout_;
  std::unique_ptr<v1::SignalAdmin::Stub> admin_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace

int main(int argc, char** argv) { return Cli(Parse(argc, argv)).Run(); }
