#include "edge/admission.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sig::edge {
namespace {

namespace http = boost::beast::http;
using Phase = core::Lifecycle::Phase;

HttpRequest Upgrade(std::string target) {
  HttpRequest request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::sec_websocket_version, "13");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  return request;
}

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionPolicy Policy(Phase phase = Phase::kServing) {
    return AdmissionPolicy{"/peerjs/peerjs", phase, &origins_, absl::UnixEpoch()};
  }
  std::vector<std::string> origins_;
};

TEST_F(AdmissionTest, ChoosesTheProtocolByPath) {
  EXPECT_EQ(AdmitUpgrade(Upgrade("/peerjs/peerjs?key=k&id=a&token=t"), Policy()).protocol,
            sig::v1::PROTOCOL_PEERJS);
  EXPECT_EQ(AdmitUpgrade(Upgrade("/"), Policy()).protocol, sig::v1::PROTOCOL_TD);
  EXPECT_EQ(AdmitUpgrade(Upgrade("/peerjs/peerjsx"), Policy()).protocol, sig::v1::PROTOCOL_TD);
  EXPECT_TRUE(AdmitUpgrade(Upgrade("/"), Policy()).admitted());
}

TEST_F(AdmissionTest, RefusesWhileNotServing) {
  const UpgradeDecision draining = AdmitUpgrade(Upgrade("/"), Policy(Phase::kDraining));
  EXPECT_EQ(draining.refusal, core::LoginRejection::kDraining);
  EXPECT_EQ(draining.status, http::status::service_unavailable);
  EXPECT_EQ(AdmitUpgrade(Upgrade("/"), Policy(Phase::kStopping)).refusal, core::LoginRejection::kShuttingDown);
}

TEST_F(AdmissionTest, RefusesAnOriginOutsideTheAllowList) {
  origins_ = {"https://app.example"};
  HttpRequest request = Upgrade("/");
  EXPECT_TRUE(AdmitUpgrade(request, Policy()).admitted());  // no Origin: not a browser
  request.set(http::field::origin, "https://app.example");
  EXPECT_TRUE(AdmitUpgrade(request, Policy()).admitted());
  request.set(http::field::origin, "https://evil.example");
  const UpgradeDecision refused = AdmitUpgrade(request, Policy());
  EXPECT_EQ(refused.refusal, core::LoginRejection::kOrigin);
  EXPECT_EQ(refused.status, http::status::forbidden);
}

TEST_F(AdmissionTest, RefusesAMalformedHandshake) {
  HttpRequest request = Upgrade("/");
  request.set(http::field::sec_websocket_key, "short");
  const UpgradeDecision refused = AdmitUpgrade(request, Policy());
  EXPECT_EQ(refused.refusal, core::LoginRejection::kBadHandshake);
  EXPECT_EQ(refused.status, http::status::bad_request);
}

}  // namespace
}  // namespace sig::edge
