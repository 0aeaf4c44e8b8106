// File: service/ciphertext_admission.h
//
// Which ciphertexts a party decrypts: the configured admission policy ([admission], config.h).
// Threshold LWE decryption with noise flooding hides the key only for well-formed ciphertexts. A
// crafted one, e.g. body 0 and one mask coefficient Δ, decrypts to a bit of the secret key, so a
// party must only decrypt ciphertexts someone it trusts vouches for:
//
//   trusted-callers (default)  every ciphertext of a caller allowed to decrypt is admitted: the
//                    callers holding the role `decrypt` vouch for the ciphertexts' provenance
//                    (the reference's model, where only the connector calls and it decrypts only
//                    ciphertexts whose digests the coprocessors committed on chain).
//   attested         each ciphertext carries signatures of `required` distinct configured
//                    producers over EIP-712 CiphertextAttestation{keyId, handle, fheType,
//                    ciphertextFormat, ciphertextDigest} (crypto/ciphertext_attestation.h, which
//                    also defines the extra_data encoding that carries them). The request must
//                    give each ciphertext's external_handle: it is the attested handle, and the
//                    one the parties then sign in the decryption result.
//   open             every ciphertext is decrypted: development only; the key is then
//                    extractable by anyone who can decrypt (the start-up log and every health
//                    report say so).
//
// Admit runs before the request id is reserved or the rate limiter charged, so a refused
// request changes nothing. Refusals:
//   INVALID_ARGUMENT  "extra_data: ..." (malformed encoding, or attestations for another number
//                     of ciphertexts than the request holds)
//   PERMISSION_DENIED "ciphertexts[i]: ..." naming the first refused ciphertext and why: no
//                     external_handle, no attestation, more signatures than producers, a
//                     malformed signature, a signature that recovers to an address that is not a
//                     configured producer (another key signed, or the signed key id, handle,
//                     type, format or ciphertext bytes differ from the request's), or too few
//                     distinct producers.
//
// Thread safety: immutable after construction; Admit may run concurrently.
#ifndef KMS_SERVICE_CIPHERTEXT_ADMISSION_H_
#define KMS_SERVICE_CIPHERTEXT_ADMISSION_H_

#include <string>

#include "absl/status/status.h"
#include "crypto/eip712.h"
#include "proto/kms_service.pb.h"
#include "service/config.h"
#include "service/request_id.h"

namespace kms::service {

class CiphertextAdmission {
 public:
  // REQUIRES: `config` passed ValidateConfig (attested: producers distinct, 1 <= required <=
  // producers.size()).
  explicit CiphertextAdmission(AdmissionConfig config);

  // OK when every ciphertext of the request is admitted; otherwise the errors above. Checks only
  // admission: the ciphertexts were parsed and validated before (ParseCiphertexts).
  absl::Status Admit(const Id32& key_id,
                     const google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext>& cts,
                     const std::string& extra_data) const;

  AdmissionPolicy policy() const { return config_.policy; }

  // One line for the health report and the logs, starting with the policy name, e.g.
  //   "attested: 2 of 3 producers (0xAb…, …) sign each ciphertext"
  //   "open: INSECURE, any ciphertext is decrypted; the key is extractable by anyone who can
  //    decrypt (development only)"
  std::string Describe() const;

 private:
  absl::Status AdmitAttested(
      const Id32& key_id, const google::protobuf::RepeatedPtrField<kms::v1::TypedCiphertext>& cts,
      const std::string& extra_data) const;

  AdmissionConfig config_;
  crypto::Eip712Domain domain_;
};

// CiphertextAdmission(config).Describe().
std::string DescribeAdmission(const AdmissionConfig& config);

}  // namespace kms::service

#endif  // KMS_SERVICE_CIPHERTEXT_ADMISSION_H_
