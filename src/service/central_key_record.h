// File: service/central_key_record.h
//
// What a centralized server stores at PRIV/FhePrivateKey/<key_id>: the LWE secret key in the
// clear (centralized mode only; a threshold party stores FheKeyInfo shares instead), the digest of
// its public key (checked against PUB/PublicKey/<key_id> at boot) and whether the key came from
// InsecureKeyGen. Binary layout, integers little-endian:
//
//   "KMSCKEY1" ‖ u8 insecure (0 or 1) ‖ public key digest (32) ‖ u64 n ‖ n bytes of
//   lwe::SerializeSecretKey (kms.lwe.v1.LweSecretKey)
//
// Parsing checks every length and the flag, and the secret-key bytes with lwe::ParseSecretKey;
// DATA_LOSS names the problem. Temporary copies of the key are zeroed.
#ifndef KMS_SERVICE_CENTRAL_KEY_RECORD_H_
#define KMS_SERVICE_CENTRAL_KEY_RECORD_H_

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/secure_zero.h"
#include "lwe/secret_key.h"

namespace kms::service {

struct CentralKeyRecord {
  lwe::SecretKey secret_key;
  crypto::Digest public_key_digest{};
  bool insecure = false;
};

absl::StatusOr<crypto::SecretBytes> SerializeCentralKeyRecord(const CentralKeyRecord& record);
absl::StatusOr<CentralKeyRecord> ParseCentralKeyRecord(ByteSpan data);

}  // namespace kms::service

#endif  // KMS_SERVICE_CENTRAL_KEY_RECORD_H_
