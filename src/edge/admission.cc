#include "edge/admission.h"

#include <utility>

#include "absl/status/status.h"
#include "core/strings.h"
#include "edge/json_frame.h"
#include "edge/query.h"
#include "edge/upgrade_request.h"

namespace sig::edge {
namespace {

namespace http = boost::beast::http;

UpgradeDecision Refuse(UpgradeDecision decision, core::LoginRejection reason, http::status status,
                       std::string body) {
  decision.refusal = reason;
  decision.status = status;
  decision.body = std::move(body);
  return decision;
}

bool OriginAllowed(const std::vector<std::string>* allowed, std::string_view origin) {
  // Browsers always send Origin; a request without one is not from a web page, which is what
  // an allow-list guards against, so it passes.
  if (allowed == nullptr || allowed->empty() || origin.empty()) return true;
  for (const std::string& entry : *allowed) {
    if (entry == origin) return true;
  }
  return false;
}

}  // namespace

UpgradeDecision AdmitUpgrade(const HttpRequest& request, const AdmissionPolicy& policy) {
  UpgradeDecision decision;
  const std::string_view target(request.target().data(), request.target().size());
  decision.protocol = TargetPath(target) == policy.peerjs_path ? sig::v1::PROTOCOL_PEERJS
                                                               : sig::v1::PROTOCOL_TD;
  switch (policy.phase) {
    case core::Lifecycle::Phase::kServing:
      break;
    case core::Lifecycle::Phase::kDraining:
      return Refuse(std::move(decision), core::LoginRejection::kDraining, http::status::service_unavailable,
                    R"({"error":"draining"})");
    case core::Lifecycle::Phase::kStopping:
      return Refuse(std::move(decision), core::LoginRejection::kShuttingDown, http::status::service_unavailable,
                    R"({"error":"shutting down"})");
  }
  if (!OriginAllowed(policy.allowed_origins, HeaderValue(request, http::field::origin))) {
    return Refuse(std::move(decision), core::LoginRejection::kOrigin, http::status::forbidden,
                  R"({"error":"origin not allowed"})");
  }
  if (absl::Status s = CheckUpgradeRequest(request); !s.ok()) {
    return Refuse(std::move(decision), core::LoginRejection::kBadHandshake, http::status::bad_request,
                  core::StrCat(R"({"error":)", JsonFrame::Quote(core::ToStd(s.message())), "}"));
  }
  return decision;
}

}  // namespace sig::edge
