// What an application does against a KMS in the end-to-end tests: fresh request ids, plaintexts
// of every type, encryption under the downloaded public key, public- and user-decryption
// requests, and the user's side of user decryption (client/user_decryption.h).
#ifndef KMS_TESTS_E2E_KMS_TEST_CLIENT_H_
#define KMS_TESTS_E2E_KMS_TEST_CLIENT_H_

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "client/user_decryption.h"
#include "crypto/hybrid_encryption.h"
#include "crypto/random.h"
#include "crypto/secp256k1_signer.h"
#include "lwe/formats.h"
#include "lwe/typed_ciphertext.h"
#include "proto/kms_service.pb.h"

namespace kms::e2e {

inline std::string RandomId() {
  std::array<uint8_t, 32> b;
  crypto::OsRandom(b);
  return ToHex(b);
}

inline crypto::Digest IdBytes(const std::string& hex) {
  crypto::Digest d{};
  auto b = FromHex(hex);
  if (b.ok() && b->size() == d.size()) std::copy(b->begin(), b->end(), d.begin());
  return d;
}

inline std::vector<lwe::TypedPlaintext> ValuesOfEveryType() {
  using lwe::FheType;
  using lwe::TypedPlaintext;
  return {
      *TypedPlaintext::FromU64(FheType::kEbool, 1),
      *TypedPlaintext::FromU64(FheType::kEuint4, 9),
      *TypedPlaintext::FromU64(FheType::kEuint8, 200),
      *TypedPlaintext::FromU64(FheType::kEuint16, 54321),
      *TypedPlaintext::FromU64(FheType::kEuint32, 4000000000u),
      *TypedPlaintext::FromU64(FheType::kEuint64, 0xfedcba9876543210ull),
      *TypedPlaintext::FromString(FheType::kEuint128, "0x0123456789abcdef0123456789abcdef"),
      *TypedPlaintext::FromString(FheType::kEuint160, "0xcccccccccccccccccccccccccccccccccccccccc"),
      *TypedPlaintext::FromString(
          FheType::kEuint256, "0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"),
  };
}

// Encrypts every value under the public key bytes a KeyGen returned; kms.v1 ciphertexts.
inline std::vector<kms::v1::TypedCiphertext> Encrypt(
    const std::string& public_key, const std::vector<lwe::TypedPlaintext>& values) {
  std::vector<kms::v1::TypedCiphertext> out;
  auto pk = lwe::ParseCompactPublicKey(AsBytes(public_key));
  EXPECT_TRUE(pk.ok()) << pk.status();
  if (!pk.ok()) return out;
  crypto::AesCtrRng rng;
  for (const auto& v : values) {
    auto ct = lwe::EncryptTyped(*pk, v, rng);
    EXPECT_TRUE(ct.ok()) << ct.status();
    auto bytes = lwe::SerializeTypedCiphertext(*ct);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    kms::v1::TypedCiphertext c;
    c.set_ciphertext(std::string(bytes->begin(), bytes->end()));
    c.set_fhe_type(lwe::FheTypeName(v.type));
    out.push_back(std::move(c));
  }
  return out;
}

inline kms::v1::PublicDecryptionRequest PublicDecryptionRequest(
    const std::string& key_id, const std::vector<kms::v1::TypedCiphertext>& cts) {
  kms::v1::PublicDecryptionRequest req;
  req.set_request_id(RandomId());
  req.set_key_id(key_id);
  for (const auto& c : cts) *req.add_ciphertexts() = c;
  req.set_extra_data("e2e");
  return req;
}

inline std::vector<lwe::TypedPlaintext> Plaintexts(const kms::v1::PublicDecryptionResponse& r) {
  std::vector<lwe::TypedPlaintext> out;
  for (const auto& p : r.plaintexts()) {
    auto type = lwe::FheTypeFromName(p.fhe_type());
    EXPECT_TRUE(type.ok());
    auto v = lwe::TypedPlaintext::FromLeBytes(*type, AsBytes(p.value_le()));
    EXPECT_TRUE(v.ok()) << v.status();
    if (v.ok()) out.push_back(*v);
  }
  return out;
}

// A user: X25519 key pair and an Ethereum address.
struct TestUser {
  crypto::X25519Kem kem;
  crypto::KemKeyPair keys = kem.GenerateKeyPair();
  crypto::SigningKey wallet = crypto::SigningKey::Generate();

  kms::v1::UserDecryptionRequest Request(const std::string& key_id,
                                         const std::vector<kms::v1::TypedCiphertext>& cts) const {
    kms::v1::UserDecryptionRequest req;
    req.set_request_id(RandomId());
    req.set_key_id(key_id);
    for (const auto& c : cts) *req.add_ciphertexts() = c;
    req.set_enc_key(std::string(keys.public_key.begin(), keys.public_key.end()));
    req.set_client_address(wallet.verification_key().EthereumAddressChecksummed());
    req.set_extra_data("user-e2e");
    return req;
  }

  // The client's description of `req` (server default domain).
  client::UserDecryptionRequestInfo Info(const kms::v1::UserDecryptionRequest& req) const {
    client::UserDecryptionRequestInfo info;
    info.request_id = IdBytes(req.request_id());
    info.key_id = IdBytes(req.key_id());
    for (const auto& c : req.ciphertexts()) {
      info.handles.push_back(c.external_handle().empty()
                                 ? crypto::HashElement(crypto::kDsepHandle, AsBytes(c.ciphertext()))
                                 : IdBytes(ToHex(AsBytes(c.external_handle()))));
      info.types.push_back(*lwe::FheTypeFromName(c.fhe_type()));
    }
    info.enc_key = keys.public_key;
    info.client_address = wallet.verification_key().EthereumAddress();
    info.domain.name = "KMS";
    info.domain.version = "1";
    info.extra_data.assign(req.extra_data().begin(), req.extra_data().end());
    return info;
  }
};

}  // namespace kms::e2e

#endif  // KMS_TESTS_E2E_KMS_TEST_CLIENT_H_
