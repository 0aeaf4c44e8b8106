// File: service/tfhe_ciphertext.h
//
// The tfhe-rs ciphertexts that decryption requests carry under a tfhe-rs keyset, in the four
// formats of the reference's CiphertextFormat (interop-tfhe.md §2.3), each a tfhe-rs
// safe_serialize blob:
//   0 SmallCompressed  CompressedCiphertextList holding one value
//   1 SmallExpanded    FheUint / FheBool under the compute key
//   2 BigCompressed    CompressedSquashedNoiseCiphertextList holding one value (production)
//   3 BigExpanded      SquashedNoiseFheUint / SquashedNoiseFheBool
// and how a party turns them into the 128-bit LWE blocks that mpc/tfhe_decryption.h decrypts:
//   - on the RPC thread, before a request is accepted, CheckTfheCiphertext: the Big formats are
//     converted in full (cheap), the Small ones checked for their type, block count, moduli and
//     dimensions against the keyset's parameters;
//   - in the work, TfheDecryptionInputs: the Small formats are decompressed (SmallCompressed)
//     and squashed with the published noise-squashing key (tfhe::ComputeKeys from the public
//     ServerKey), which costs a bootstrap per block pair; the Big formats only sample-extracted.
// Every error is INVALID_ARGUMENT and names what is wrong (the caller prefixes the field).
//
// Trust: the Big formats are decrypted as given, so only admitted callers may send them
// (ciphertext_admission.h; mpc/tfhe_decryption.h explains the attack). The Small formats get
// fresh noise from the squash's bootstrap whatever the input.
#ifndef KMS_SERVICE_TFHE_CIPHERTEXT_H_
#define KMS_SERVICE_TFHE_CIPHERTEXT_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/hash.h"
#include "lwe/fhe_type.h"
#include "mpc/tfhe_decryption.h"
#include "tfhe/ciphertext.h"
#include "tfhe/compressed_ciphertext_list.h"
#include "tfhe/keyset.h"
#include "tfhe/squashed_noise.h"

namespace kms::service {

enum class CiphertextFormat : int32_t {
  kSmallCompressed = 0,
  kSmallExpanded = 1,
  kBigCompressed = 2,
  kBigExpanded = 3,
};
std::string_view CiphertextFormatName(CiphertextFormat format);
// "0 (SmallCompressed), 1 (SmallExpanded), 2 (BigCompressed), 3 (BigExpanded)".
std::string_view CiphertextFormatList();

struct TfheCiphertext {
  CiphertextFormat format = CiphertextFormat::kBigCompressed;
  lwe::FheType type = lwe::FheType::kEbool;
  std::variant<tfhe::CompressedCiphertextList, tfhe::FheUint, tfhe::FheBool,
               tfhe::CompressedSquashedNoiseCiphertextList, tfhe::SquashedNoiseFheUint,
               tfhe::SquashedNoiseFheBool>
      value;
  // SHAKE256("_HANDLE_" ‖ bytes): the default handle, and what binds the session id to the bytes.
  crypto::Digest content{};

  bool small() const {
    return format == CiphertextFormat::kSmallCompressed ||
           format == CiphertextFormat::kSmallExpanded;
  }
};

// Parses `bytes` as a ciphertext of `format` (the request's int32) holding a `type`.
absl::StatusOr<TfheCiphertext> ParseTfheCiphertext(int32_t format, lwe::FheType type,
                                                   ByteSpan bytes);

// The quick checks above; `key` holds the party's shares (or the whole key in centralized mode).
absl::Status CheckTfheCiphertext(const TfheCiphertext& ct, const mpc::TfheKeyShare& key,
                                 const tfhe::KeysetParameters& params);

// CheckTfheCiphertext of each of `cts`, errors prefixed "ciphertexts[i].ciphertext: ".
absl::Status CheckTfheCiphertexts(std::span<const TfheCiphertext* const> cts,
                                  const mpc::TfheKeyShare& key,
                                  const tfhe::KeysetParameters& params);

// True when one of `cts` is in a Small format (its decryption needs the ComputeKeys).
bool NeedsComputeKeys(std::span<const TfheCiphertext> cts);

// The decryption inputs of `cts`, errors prefixed "ciphertexts[i]: ". `compute` may be null
// when !NeedsComputeKeys(cts).
absl::StatusOr<std::vector<mpc::TfheDecryptionInput>> TfheDecryptionInputs(
    std::span<const TfheCiphertext> cts, const mpc::TfheKeyShare& key,
    const tfhe::ComputeKeys* compute);

// The 128-bit LWE blocks a value of `type` becomes (tfhe::PackedBlockBits: 2 radix blocks each,
// 1 for ebool) under a keyset whose blocks hold log2(message_modulus) bits: what a request's
// work is proportional to.
uint64_t TfheLweBlockCount(lwe::FheType type, uint64_t message_modulus);

}  // namespace kms::service

#endif  // KMS_SERVICE_TFHE_CIPHERTEXT_H_
