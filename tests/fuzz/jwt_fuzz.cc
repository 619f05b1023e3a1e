// libFuzzer: the token verifier (auth::JwtVerifier) on arbitrary bytes, with three keys of the
// three algorithms. Oracle: a token it accepts is one of the tokens minted here (the seed
// corpus holds them), since nothing else can carry a valid MAC or signature; and an accepted
// token's identity is the one it was minted with.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt_verifier.h"
#include "auth/key_set.h"

namespace {

// Far in the future, so the seeds stay valid whenever the fuzzer runs.
constexpr std::string_view kClaims[] = {
    R"({"sub":"alice","room":"lobby","aud":"sigd","exp":4102444800})",
    R"({"sub":"bob","room":"","exp":4102444800,"nbf":1,"iat":1,"aud":["x","sigd"]})",
};

struct Fixture {
  std::unique_ptr<sig::auth::JwtVerifier> verifier;
  std::vector<std::string> minted;
};

const Fixture& Get() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    std::vector<std::unique_ptr<sig::auth::VerificationKey>> keys;
    keys.push_back(*sig::auth::VerificationKey::Hmac("k1", "fuzz-secret-of-at-least-32-bytes!!"));
    keys.push_back(*sig::auth::VerificationKey::Hmac("k2", "another-fuzz-secret-of-32-bytes!!!"));
    for (std::string_view claims : kClaims) {
      for (const auto& key : keys) f->minted.push_back(sig::auth::MintHs256(*key, claims));
    }
    sig::auth::JwtOptions options;
    options.audience = "sigd";
    f->verifier = std::make_unique<sig::auth::JwtVerifier>(
        options, sig::auth::KeySet::Of(std::move(keys)));
    return f;
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Fixture& f = Get();
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const sig::auth::Verification v =
      f.verifier->Verify(token, absl::FromUnixSeconds(1'800'000'000));
  if (!v.ok()) return 0;
  for (std::size_t i = 0; i < f.minted.size(); ++i) {
    if (f.minted[i] != token) continue;
    const std::string_view sub = i < 2 ? "alice" : "bob";
    if (v.identity.subject != sub) __builtin_trap();
    return 0;
  }
  __builtin_trap();  // accepted a token nobody minted
}
