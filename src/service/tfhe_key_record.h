// File: service/tfhe_key_record.h
//
// What a party keeps in its private vault for a tfhe-rs keyset (service/parameter_set.h):
//   centralized  FhePrivateKey/<key_id>: the tfhe-rs ClientKey (safe_serialize) in the clear
//   threshold    FheKeyInfo/<key_id>: this party's mpc::TfheKeyShare, the Shamir shares that
//                decryption needs (the noise-squashing GLWE key as LWE and the noise-squashing
//                compression key as LWE)
// with the parameter set's name and the digests of the three public objects (PublicKey,
// ServerKey, CompressedXofKeySet), checked against the public vault at boot.
//
// Binary layout, integers little-endian:
//   "KMSTKEY1" ‖ u8 kind (1 ClientKey, 2 key share) ‖ u8 flags (bit 0 insecure, bit 1 made by the
//   insecure dealer) ‖ u8 name length ‖ name ‖ 3 × 32-byte digests ‖ payload
//   kind 1: u64 n ‖ n bytes of the ClientKey
//   kind 2: u64 a ‖ a shares ‖ u64 b ‖ b shares; a share is 4 × 16 bytes (its Gr128
//           coefficients); a is the set's k_s·N_s, b its k_sc·N_sc (0 without that key)
// Parsing checks every length, flag and name against the known sets before anything is
// allocated; DATA_LOSS names the problem. Serialized records are SecretBytes; temporary copies
// of secrets are zeroed.
#ifndef KMS_SERVICE_TFHE_KEY_RECORD_H_
#define KMS_SERVICE_TFHE_KEY_RECORD_H_

#include <optional>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/secure_zero.h"
#include "mpc/tfhe_decryption.h"
#include "service/parameter_set.h"
#include "tfhe/client_key.h"

namespace kms::service {

struct TfheKeyRecord {
  const tfhe::NamedKeysetParameters* params = nullptr;
  bool insecure = false;
  crypto::Digest public_key_digest{};
  crypto::Digest server_key_digest{};
  crypto::Digest compressed_keyset_digest{};
  // Exactly one of the two.
  std::optional<tfhe::ClientKey> client_key;
  std::optional<mpc::TfheKeyShare> share;
};

absl::StatusOr<crypto::SecretBytes> SerializeTfheKeyRecord(const TfheKeyRecord& record);
absl::StatusOr<TfheKeyRecord> ParseTfheKeyRecord(ByteSpan data);
// Whether `data` starts like a TfheKeyRecord (the magic), to tell it from a phase-1 record.
bool IsTfheKeyRecord(ByteSpan data);

}  // namespace kms::service

#endif  // KMS_SERVICE_TFHE_KEY_RECORD_H_
