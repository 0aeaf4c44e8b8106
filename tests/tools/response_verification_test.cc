#include "client/response_verification.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "client/progress.h"
#include "client/request_id.h"
#include "crypto/secp256k1_signer.h"

namespace kms::client {
namespace {

// A response signed the way service-spec §2 says a party signs it.
struct Signed {
  v1::PublicDecryptionRequest request;
  v1::PublicDecryptionResponse response;
};

Signed MakeSigned(const crypto::SigningKey& key, uint64_t value) {
  Signed s;
  s.request.set_request_id(RandomRequestId());
  s.request.set_key_id(RandomRequestId());
  *s.request.mutable_domain() = DefaultClientDomain();
  v1::TypedCiphertext* ct = s.request.add_ciphertexts();
  ct->set_ciphertext("ct-bytes");
  ct->set_fhe_type("euint64");
  const crypto::Digest handle = CiphertextHandle(AsBytes(std::string("ct-bytes")));
  ct->set_external_handle(std::string(handle.begin(), handle.end()));

  lwe::TypedPlaintext p = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint64, value);
  s.response.set_request_id(s.request.request_id());
  s.response.set_key_id(s.request.key_id());
  v1::TypedPlaintext* out = s.response.add_plaintexts();
  out->set_fhe_type("euint64");
  out->set_value(p.ToString());
  out->set_value_le(std::string(p.value_le.begin(), p.value_le.end()));
  s.response.add_ct_handles(ct->external_handle());
  Bytes extra;
  Append(extra, *IdToDigest(s.request.request_id(), "r"));
  Append(extra, *IdToDigest(s.request.key_id(), "k"));
  const crypto::Digest digest =
      crypto::Eip712Digest(*DomainFromProto(s.request.domain()),
                           crypto::PublicDecryptVerification(std::vector<crypto::Digest>{handle},
                                                             AbiEncodePlaintexts({p}), extra));
  const crypto::Signature65 sig = key.SignDigest(digest);
  s.response.set_signature(std::string(sig.begin(), sig.end()));
  s.response.set_signer_address(key.verification_key().EthereumAddressChecksummed());
  return s;
}

TEST(VerifyPublicDecryption, AcceptsTheSignersAnswer) {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  Signed s = MakeSigned(key, 42);
  EXPECT_TRUE(VerifyPublicDecryption(s.request, s.response,
                                     key.verification_key().EthereumAddressChecksummed())
                  .ok());
}

TEST(VerifyPublicDecryption, RejectsAnotherSigner) {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  crypto::SigningKey other = crypto::SigningKey::Generate();
  Signed s = MakeSigned(key, 42);
  absl::Status st = VerifyPublicDecryption(s.request, s.response,
                                           other.verification_key().EthereumAddressChecksummed());
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
}

TEST(VerifyPublicDecryption, RejectsAChangedPlaintextWithoutNamingIt) {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  Signed s = MakeSigned(key, 98765432123);
  lwe::TypedPlaintext p = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint64, 98765432124);
  s.response.mutable_plaintexts(0)->set_value_le(std::string(p.value_le.begin(), p.value_le.end()));
  absl::Status st = VerifyPublicDecryption(s.request, s.response,
                                           key.verification_key().EthereumAddressChecksummed());
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message().find("98765432124"), absl::string_view::npos);
}

TEST(VerifyPublicDecryption, RejectsMalformedAnswers) {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  const std::string addr = key.verification_key().EthereumAddressChecksummed();
  Signed s = MakeSigned(key, 7);
  Signed wrong_id = s;
  wrong_id.response.set_request_id(RandomRequestId());
  EXPECT_EQ(VerifyPublicDecryption(wrong_id.request, wrong_id.response, addr).code(),
            absl::StatusCode::kInvalidArgument);
  Signed short_sig = s;
  short_sig.response.set_signature("abc");
  EXPECT_EQ(VerifyPublicDecryption(short_sig.request, short_sig.response, addr).message(),
            "public decryption.signature: expected 65 bytes r||s||v, got 3");
  Signed wrong_type = s;
  wrong_type.response.mutable_plaintexts(0)->set_fhe_type("euint8");
  EXPECT_FALSE(VerifyPublicDecryption(wrong_type.request, wrong_type.response, addr).ok());
  Signed other_handle = s;
  other_handle.response.set_ct_handles(0, std::string(32, 'x'));
  EXPECT_FALSE(VerifyPublicDecryption(other_handle.request, other_handle.response, addr).ok());
}

// A response to a request without external handles, signed by the party over `handle` for its
// one ciphertext: a party that answers for another ciphertext signs its own handle correctly,
// so only comparing with the handle derived from the request's ciphertext catches it.
Signed SignedWithoutExternalHandle(const crypto::SigningKey& key, const std::string& handle) {
  Signed s = MakeSigned(key, 7);
  s.request.mutable_ciphertexts(0)->clear_external_handle();
  s.response.set_ct_handles(0, handle);
  crypto::Digest h{};
  std::copy(handle.begin(), handle.begin() + std::min<size_t>(32, handle.size()), h.begin());
  Bytes extra;
  Append(extra, *IdToDigest(s.request.request_id(), "r"));
  Append(extra, *IdToDigest(s.request.key_id(), "k"));
  lwe::TypedPlaintext p = *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint64, 7);
  const crypto::Digest digest =
      crypto::Eip712Digest(*DomainFromProto(s.request.domain()),
                           crypto::PublicDecryptVerification(std::vector<crypto::Digest>{h},
                                                             AbiEncodePlaintexts({p}), extra));
  const crypto::Signature65 sig = key.SignDigest(digest);
  s.response.set_signature(std::string(sig.begin(), sig.end()));
  return s;
}

TEST(VerifyPublicDecryption, ChecksDerivedHandlesWithoutExternalHandle) {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  const std::string addr = key.verification_key().EthereumAddressChecksummed();
  const crypto::Digest derived = CiphertextHandle(AsBytes(std::string("ct-bytes")));
  Signed good = SignedWithoutExternalHandle(key, std::string(derived.begin(), derived.end()));
  EXPECT_TRUE(VerifyPublicDecryption(good.request, good.response, addr).ok());
  // Changed: signed, but for another ciphertext.
  Signed changed = SignedWithoutExternalHandle(key, std::string(32, 'x'));
  absl::Status s = VerifyPublicDecryption(changed.request, changed.response, addr);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("response.ct_handles[0]"), std::string::npos) << s;
  EXPECT_NE(s.message().find("derived from the request's ciphertext"), std::string::npos) << s;
  // Missing: an empty handle, or no handles at all.
  Signed missing = SignedWithoutExternalHandle(key, "");
  s = VerifyPublicDecryption(missing.request, missing.response, addr);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("response.ct_handles[0]: missing"), std::string::npos) << s;
  Signed none = good;
  none.response.clear_ct_handles();
  s = VerifyPublicDecryption(none.request, none.response, addr);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("response.ct_handles"), std::string::npos) << s;
}

TEST(VerifyKeyGenResult, ChecksDigestAndSignature) {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  v1::KeyGenResult r;
  const std::string id = RandomRequestId();
  r.set_request_id(id);
  r.set_key_id(id);
  r.set_public_key("public key bytes");
  const crypto::Digest digest = PublicKeyDigest(AsBytes(r.public_key()));
  r.set_public_key_digest(std::string(digest.begin(), digest.end()));
  r.set_fhe_parameter("default");
  const v1::Eip712Domain domain = DefaultClientDomain();
  const crypto::Digest to_sign =
      crypto::Eip712Digest(*DomainFromProto(domain),
                           crypto::KeygenVerification(*IdToDigest(id, "r"), *IdToDigest(id, "k"),
                                                      digest, "default", false));
  const crypto::Signature65 sig = key.SignDigest(to_sign);
  r.set_signature(std::string(sig.begin(), sig.end()));
  const std::string addr = key.verification_key().EthereumAddressChecksummed();
  EXPECT_TRUE(VerifyKeyGenResult(id, r, domain, addr).ok());
  v1::KeyGenResult tampered = r;
  tampered.set_public_key("other key bytes");
  EXPECT_EQ(VerifyKeyGenResult(id, tampered, domain, addr).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(VerifyKeyGenResult(RandomRequestId(), r, domain, addr).ok());
  // The parameter set name and the insecure mark are signed.
  v1::KeyGenResult renamed = r;
  renamed.set_fhe_parameter("test");
  renamed.set_insecure(true);
  EXPECT_EQ(VerifyKeyGenResult(id, renamed, domain, addr).code(),
            absl::StatusCode::kPermissionDenied);
  v1::KeyGenResult marked = r;
  marked.set_insecure(true);
  EXPECT_EQ(VerifyKeyGenResult(id, marked, domain, addr).code(),
            absl::StatusCode::kPermissionDenied);
  // A test key claiming to be secure is refused before the signature is even looked at.
  v1::KeyGenResult unmarked = renamed;
  unmarked.set_insecure(false);
  absl::Status s = VerifyKeyGenResult(id, unmarked, domain, addr);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("result.insecure"), std::string::npos) << s;
}

TEST(DomainFromProto, ValidatesLengths) {
  v1::Eip712Domain d;
  d.set_name("KMS");
  d.set_chain_id("123");
  EXPECT_EQ(DomainFromProto(d).status().message(), "domain.chain_id: expected 32 bytes, got 3");
  d.clear_chain_id();
  d.set_verifying_contract("0x1234");
  EXPECT_FALSE(DomainFromProto(d).ok());
}

TEST(ProgressLine, Formats) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ProgressLine("PRSS setup", 4, {"a", "b", "c", "d"}, milliseconds(3200)),
            "PRSS setup: waiting for 4 parties\u2026 3.2 s");
  EXPECT_EQ(ProgressLine("keygen", 4, {"party 3"}, milliseconds(41000)),
            "keygen: waiting for 1 of 4 parties: party 3\u2026 41.0 s");
  EXPECT_EQ(FormatSeconds(milliseconds(1234)), "1.2 s");
  EXPECT_EQ(FormatDuration(milliseconds(85)), "85 ms");
  EXPECT_EQ(FormatDuration(milliseconds(12400)), "12.4 s");
}

}  // namespace
}  // namespace kms::client
