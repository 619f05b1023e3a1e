#include "edge/join.h"

#include <memory>
#include <string>
#include <utility>

#include "core/log.h"

namespace sig::edge {

void JoinOnConnection(Connection& connection, core::Router& router, core::ClaimRequest request,
                      absl::AnyInvocable<void(core::ClaimResult) &&> on_claimed) {
  auto done = [&connection, &router, alive = request.peer, realm = std::string(request.realm),
               name = std::string(request.name), conn_id = request.conn_id,
               on_claimed = std::move(on_claimed)](core::ClaimResult result) mutable {
                // Holding the session keeps `connection` valid until Dispatch has taken the work.
                std::shared_ptr<core::Peer> session = alive.lock();
                if (session == nullptr) {
                  if (result.outcome == core::ClaimOutcome::kClaimed) {
                    router.Leave(realm, name, conn_id, core::LeaveNotice::kEveryone);
                  }
                  return;
                }
                connection.Dispatch([result = std::move(result),
                                     on_claimed = std::move(on_claimed)]() mutable {
                  std::move(on_claimed)(std::move(result));
                });
              };
  router.Join(std::move(request), std::move(done));
}

void LogJoined(const Connection& connection, core::Protocol protocol, std::string_view realm,
               std::string_view name) {
  if (!core::LogEnabled(core::LogLevel::kDebug)) return;
  core::Log(core::LogLevel::kDebug, "login",
            {{"conn", connection.id()},
             {"protocol", core::kProtocolNames[core::ProtocolIndex(protocol)]},
             {"realm", realm},
             {"name", name}});
}

}  // namespace sig::edge
