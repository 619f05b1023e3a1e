#include "auth/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>
#include <vector>

#include "core/strings.h"
#include "absl/time/time.h"
#include "auth/key_set.h"
#include "gtest/gtest.h"

namespace sig::auth {
namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::string B64(std::string_view s) { return EncodeBase64Url(s); }

// A freshly generated key pair: "rsa" (2048 bits) or "ec" (P-256).
struct KeyPair {
  EVP_PKEY* pkey = nullptr;
  explicit KeyPair(bool rsa) {
    pkey = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  }
  ~KeyPair() { EVP_PKEY_free(pkey); }
  std::string PublicPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, pkey);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return pem;
  }
  // The JWS signature of `signed_part`: PKCS#1 v1.5 for RSA, raw R || S for EC.
  std::string Sign(std::string_view signed_part) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t length = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
    const auto* data = reinterpret_cast<const unsigned char*>(signed_part.data());
    EVP_DigestSign(ctx, nullptr, &length, data, signed_part.size());
    std::string sig(length, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &length, data,
                   signed_part.size());
    sig.resize(length);
    EVP_MD_CTX_free(ctx);
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return sig;
    const auto* der = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(ecdsa);
    return raw;
  }
};

class JwtVerifierTest : public ::testing::Test {
 protected:
  JwtVerifierTest() {
    std::vector<std::unique_ptr<VerificationKey>> keys;
    keys.push_back(*VerificationKey::Hmac("k1", std::string(kSecret)));
    keys.push_back(*VerificationKey::Public("r1", Algorithm::kRs256, rsa_.PublicPem()));
    keys.push_back(*VerificationKey::Public("e1", Algorithm::kEs256, ec_.PublicPem()));
    JwtOptions options;
    options.audience = "sigd";
    verifier_ = std::make_unique<JwtVerifier>(options, KeySet::Of(std::move(keys)));
  }

  static std::string Claims(std::string_view extra = "") {
    return core::StrCat(R"({"sub":"alice","room":"lobby","aud":"sigd","exp":)",
                        absl::ToUnixSeconds(kNow) + 600, extra, "}");
  }
  // header.payload.signature, HS256 under kSecret unless the header says otherwise.
  static std::string Hs(std::string_view header, std::string_view claims,
                        std::string_view secret = kSecret) {
    const std::string signed_part = core::StrCat(B64(header), ".", B64(claims));
    auto key = VerificationKey::Hmac("x", std::string(secret));
    return core::StrCat(signed_part, ".", B64((*key)->Sign(signed_part)));
  }
  static std::string Signed(const KeyPair& pair, std::string_view header, std::string_view claims) {
    const std::string signed_part = core::StrCat(B64(header), ".", B64(claims));
    return core::StrCat(signed_part, ".", B64(pair.Sign(signed_part)));
  }
  TokenFailure Check(std::string_view token) const { return verifier_->Verify(token, kNow).failure; }

  KeyPair rsa_{true};
  KeyPair ec_{false};
  std::unique_ptr<JwtVerifier> verifier_;
};

constexpr std::string_view kHs = R"({"alg":"HS256","typ":"JWT","kid":"k1"})";

TEST_F(JwtVerifierTest, AGoodTokenOfEachAlgorithmProvesItsSubjectAndRoom) {
  const Verification hs = verifier_->Verify(Hs(kHs, Claims(R"(,"iat":1799999990)")), kNow);
  ASSERT_TRUE(hs.ok()) << core::Name(hs.failure);
  EXPECT_EQ(hs.identity.subject, "alice");
  EXPECT_EQ(hs.identity.room, "lobby");
  EXPECT_EQ(hs.identity.expires, kNow + absl::Seconds(600));
  EXPECT_EQ(hs.identity.issued, absl::FromUnixSeconds(1799999990));
  EXPECT_EQ(Check(Signed(rsa_, R"({"alg":"RS256","kid":"r1"})", Claims())), TokenFailure::kNone);
  EXPECT_EQ(Check(Signed(ec_, R"({"alg":"ES256","kid":"e1"})", Claims())), TokenFailure::kNone);
  // aud as an array naming us.
  EXPECT_EQ(Check(Hs(kHs, core::StrCat(R"({"sub":"a","room":"r","aud":["x","sigd"],"exp":)",
                                       absl::ToUnixSeconds(kNow), "}"))),
            TokenFailure::kNone);
}

TEST_F(JwtVerifierTest, TimesAreCheckedWithTheLeeway) {
  const auto at = [](absl::Duration d) { return absl::ToUnixSeconds(kNow + d); };
  auto token = [&](std::string_view claims) { return Hs(kHs, claims); };
  const std::string base = R"({"sub":"a","room":"r","aud":"sigd",)";
  EXPECT_EQ(Check(token(core::StrCat(base, R"("exp":)", at(-absl::Seconds(30)), "}"))),
            TokenFailure::kNone);  // expired within the leeway
  EXPECT_EQ(Check(token(core::StrCat(base, R"("exp":)", at(-absl::Seconds(31)), "}"))),
            TokenFailure::kExpired);
  EXPECT_EQ(Check(token(core::StrCat(base, R"("exp":)", at(absl::Hours(1)), R"(,"nbf":)",
                                     at(absl::Seconds(30)), "}"))),
            TokenFailure::kNone);
  EXPECT_EQ(Check(token(core::StrCat(base, R"("exp":)", at(absl::Hours(1)), R"(,"nbf":)",
                                     at(absl::Seconds(31)), "}"))),
            TokenFailure::kNotYetValid);
}

TEST_F(JwtVerifierTest, TheTokenTable) {
  const std::string good = Hs(kHs, Claims());
  const std::string exp = core::StrCat(absl::ToUnixSeconds(kNow) + 600);
  struct Case {
    std::string name;
    std::string token;
    TokenFailure want;
  };
  const std::vector<Case> cases = {
      {"empty", "", TokenFailure::kMissing},
      {"oversized", Hs(kHs, Claims(core::StrCat(R"(,"pad":")", std::string(2100, 'x'), "\""))),
       TokenFailure::kTooLarge},
      {"two parts", good.substr(0, good.rfind('.')), TokenFailure::kMalformed},
      {"four parts", good + ".x", TokenFailure::kMalformed},
      {"padded signature", good + "=", TokenFailure::kMalformed},
      {"standard alphabet", Hs(R"({"alg":"HS256","kid":"k1","x":"??>"})", Claims()),
       TokenFailure::kNone},  // base64url of this header has '-' or '_'; the control case
      {"header not JSON", core::StrCat(B64("{alg"), good.substr(good.find('.'))),
       TokenFailure::kMalformed},
      {"unknown kid", Hs(R"({"alg":"HS256","kid":"k9"})", Claims()), TokenFailure::kUnknownKey},
      {"no kid with three keys", Hs(R"({"alg":"HS256"})", Claims()), TokenFailure::kUnknownKey},
      {"kid not a string", Hs(R"({"alg":"HS256","kid":1})", Claims()), TokenFailure::kMalformed},
      {"HS512", Hs(R"({"alg":"HS512","kid":"k1"})", Claims()), TokenFailure::kAlgorithm},
      {"none", core::StrCat(B64(R"({"alg":"none","kid":"k1"})"), ".", B64(Claims()), "."),
       TokenFailure::kMalformed},  // an empty signature is not base64url of anything
      {"none, signed", Hs(R"({"alg":"none","kid":"k1"})", Claims()), TokenFailure::kAlgorithm},
      {"lower-case hs256", Hs(R"({"alg":"hs256","kid":"k1"})", Claims()), TokenFailure::kAlgorithm},
      {"RS256 header on an HS256 kid", Hs(R"({"alg":"RS256","kid":"k1"})", Claims()),
       TokenFailure::kAlgorithm},
      {"HS256 header on an RS256 kid (the public key as secret)",
       Hs(R"({"alg":"HS256","kid":"r1"})", Claims(), rsa_.PublicPem()), TokenFailure::kAlgorithm},
      {"crit", Hs(R"({"alg":"HS256","kid":"k1","crit":["x"]})", Claims()), TokenFailure::kAlgorithm},
      {"typ at+jwt", Hs(R"({"alg":"HS256","kid":"k1","typ":"at+jwt"})", Claims()),
       TokenFailure::kAlgorithm},
      {"wrong secret", Hs(kHs, Claims(), "another secret of thirty-two bytes!"),
       TokenFailure::kSignature},
      {"tampered payload",
       core::StrCat(good.substr(0, good.find('.') + 1),
                    B64(core::StrCat(R"({"sub":"mallory","room":"lobby","aud":"sigd","exp":)", exp, "}")),
                    good.substr(good.rfind('.'))),
       TokenFailure::kSignature},
      {"ES256 signature on RS256 kid", Signed(ec_, R"({"alg":"RS256","kid":"r1"})", Claims()),
       TokenFailure::kSignature},
      {"no sub", Hs(kHs, core::StrCat(R"({"room":"r","aud":"sigd","exp":)", exp, "}")),
       TokenFailure::kClaims},
      {"empty sub", Hs(kHs, core::StrCat(R"({"sub":"","room":"r","aud":"sigd","exp":)", exp, "}")),
       TokenFailure::kClaims},
 {"empty room (td's default room)", Hs(kHs, core::StrCat(R"({"sub":"a","room":"","aud":"sigd","exp":)", exp, "}")),
       TokenFailure::kNone},
      {"no room", Hs(kHs, core::StrCat(R"({"sub":"a","aud":"sigd","exp":)", exp, "}")),
       TokenFailure::kClaims},
      {"no exp", Hs(kHs, R"({"sub":"a","room":"r","aud":"sigd"})"), TokenFailure::kClaims},
      {"exp as a string", Hs(kHs, core::StrCat(R"({"sub":"a","room":"r","aud":"sigd","exp":")", exp, "\"}")),
       TokenFailure::kClaims},
      {"exp fractional", Hs(kHs, core::StrCat(R"({"sub":"a","room":"r","aud":"sigd","exp":)", exp, ".5}")),
       TokenFailure::kClaims},
      {"nbf as a string", Hs(kHs, Claims(R"(,"nbf":"0")")), TokenFailure::kClaims},
      {"payload an array", Hs(kHs, "[1]"), TokenFailure::kMalformed},
      {"wrong audience", Hs(kHs, core::StrCat(R"({"sub":"a","room":"r","aud":"other","exp":)", exp, "}")),
       TokenFailure::kAudience},
      {"no audience", Hs(kHs, core::StrCat(R"({"sub":"a","room":"r","exp":)", exp, "}")),
       TokenFailure::kAudience},
      {"aud a number", Hs(kHs, core::StrCat(R"({"sub":"a","room":"r","aud":7,"exp":)", exp, "}")),
       TokenFailure::kClaims},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(core::Name(Check(c.token)), core::Name(c.want)) << c.name;
  }
}

// Every one-character change of a good token is refused: the base64url is canonical and the
// signature covers the rest.
TEST_F(JwtVerifierTest, NoOneCharacterChangeIsAccepted) {
  const std::string good = Hs(kHs, Claims());
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/";
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (char c : alphabet) {
      if (c == good[i]) continue;
      std::string altered = good;
      altered[i] = c;
      EXPECT_FALSE(verifier_->Verify(altered, kNow).ok()) << altered;
    }
  }
}

TEST_F(JwtVerifierTest, AReplacedKeySetTakesEffect) {
  const std::string token = Hs(kHs, Claims());
  ASSERT_EQ(Check(token), TokenFailure::kNone);
  std::vector<std::unique_ptr<VerificationKey>> keys;
  keys.push_back(*VerificationKey::Hmac("k2", std::string(kSecret)));
  verifier_->Replace(KeySet::Of(std::move(keys)));
  EXPECT_EQ(Check(token), TokenFailure::kUnknownKey);
}

TEST(KeySetTest, ParsesTheKeysFileAndSaysWhatIsWrong) {
  auto set = KeySet::Parse(
      "# comment\n\nk1 HS256 0123456789abcdef0123456789abcdef\nk2\tHS256\t" + std::string(40, 'z') + "\n",
      "");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 2u);
  EXPECT_NE((*set)->Find("k2"), nullptr);
  EXPECT_EQ((*set)->Find(""), nullptr);  // two keys: a token must name one

  auto short_secret = KeySet::Parse("k1 HS256 tooshort", "");
  ASSERT_FALSE(short_secret.ok());
  EXPECT_NE(short_secret.status().message().find("line 1"), std::string_view::npos);
  EXPECT_EQ(short_secret.status().message().find("tooshort"), std::string_view::npos);
  EXPECT_FALSE(KeySet::Parse("k1 HS512 0123456789abcdef0123456789abcdef", "").ok());
  EXPECT_FALSE(KeySet::Parse("k1 HS256", "").ok());
  EXPECT_FALSE(KeySet::Parse("k1 HS256 0123456789abcdef0123456789abcdef\n"
                             "k1 HS256 0123456789abcdef0123456789abcdef", "").ok());
  EXPECT_FALSE(KeySet::Parse("r1 RS256 /nonexistent.pem", "").ok());
  // An EC key offered as RS256, and a small RSA key, are refused.
  KeyPair ec(false);
  EXPECT_FALSE(VerificationKey::Public("x", Algorithm::kRs256, ec.PublicPem()).ok());
  EVP_PKEY* small = EVP_RSA_gen(1024);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, small);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  EXPECT_FALSE(VerificationKey::Public("x", Algorithm::kRs256,
                                       std::string(data, static_cast<std::size_t>(length))).ok());
  BIO_free(bio);
  EVP_PKEY_free(small);
}

TEST(Base64UrlTest, OnlyTheCanonicalSpellingDecodes) {
  std::string out;
  EXPECT_TRUE(DecodeBase64Url("YWI", &out));
  EXPECT_EQ(out, "ab");
  EXPECT_FALSE(DecodeBase64Url("YWI=", &out));  // padded
  EXPECT_FALSE(DecodeBase64Url("YWJ", &out));   // non-zero trailing bits
  EXPECT_FALSE(DecodeBase64Url("YW I", &out));
  EXPECT_FALSE(DecodeBase64Url("Y+I", &out));   // the standard alphabet
  EXPECT_FALSE(DecodeBase64Url("", &out));
}

}  // namespace
}  // namespace sig::auth
