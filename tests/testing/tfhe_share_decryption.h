// What a coprocessor and the parties do with a tfhe-rs keyset, for the tests that check a
// keyset made by the service or a protocol: two u8 in a compact list (encrypted by node-tfhe or by
// us) are expanded with the published ServerKey's casting key, added, squashed and compressed
// into a CompressedSquashedNoiseCiphertextList (BigCompressed); the parties' key shares then
// decrypt it through user-decryption shares reconstructed as a client does. The shares' masks
// come from a dealt PRSS (testing/prss_fixture.h). RequestFormats gives one value in each of
// the four formats a decryption request carries (service/tfhe_ciphertext.h).
#ifndef KMS_TESTS_TESTING_TFHE_SHARE_DECRYPTION_H_
#define KMS_TESTS_TESTING_TFHE_SHARE_DECRYPTION_H_

#include <array>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/status_macros.h"
#include "mpc/tfhe_decryption.h"
#include "testing/prss_fixture.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/compressed_ciphertext_list.h"
#include "tfhe/compression.h"
#include "tfhe/expansion.h"
#include "tfhe/keyset.h"
#include "tfhe/noise_squashing.h"
#include "tfhe/server_key.h"
#include "tfhe/squashed_noise.h"

namespace kms::testing {

// Values 0 and 1 of `list` (u8 each) added under `keys`, squashed and compressed, as the bytes a
// request would carry, parsed back.
inline absl::StatusOr<tfhe::CompressedSquashedNoiseCiphertextList> SquashedCompressedSum(
    const tfhe::ComputeKeys& keys, const tfhe::CompactCiphertextList& list) {
  if (!keys.casting_key || !keys.noise_squashing_key || !keys.noise_squashing_compression_key) {
    return absl::FailedPreconditionError("the keyset lacks a casting or squashing key");
  }
  KMS_ASSIGN_OR_RETURN(auto expanded,
                       tfhe::ExpandCompactList(keys.server_key, *keys.casting_key, list));
  KMS_ASSIGN_OR_RETURN(tfhe::FheUint a, expanded.GetFheUint(0, 4));
  KMS_ASSIGN_OR_RETURN(tfhe::FheUint b, expanded.GetFheUint(1, 4));
  KMS_ASSIGN_OR_RETURN(tfhe::FheUint sum, tfhe::AddFheUint(keys.server_key, a, b));
  KMS_ASSIGN_OR_RETURN(auto squashed,
                       tfhe::SquashFheUint(keys.server_key, *keys.noise_squashing_key, sum));
  const std::vector<tfhe::DataKind> info = {{tfhe::DataKind::Kind::kUnsigned, 4}};
  KMS_ASSIGN_OR_RETURN(auto compressed,
                       tfhe::CompressSquashedNoiseCiphertexts(*keys.noise_squashing_compression_key,
                                                              squashed.packed_blocks, info));
  KMS_ASSIGN_OR_RETURN(Bytes wire,
                       tfhe::SerializeCompressedSquashedNoiseCiphertextList(compressed));
  return tfhe::ParseCompressedSquashedNoiseCiphertextList(wire);
}

// One value as the bytes of a request in each format, indexed by CiphertextFormat:
// SmallCompressed, SmallExpanded, BigCompressed, BigExpanded.
struct RequestFormats {
  lwe::FheType type = lwe::FheType::kEbool;
  std::array<Bytes, 4> bytes;
};

// What a coprocessor sends for the radix value `value` (type `type`) or, with `boolean`, the
// FheBool `boolean_value`: compressed with the compression key, as is, squashed and compressed,
// squashed.
inline absl::StatusOr<RequestFormats> InRequestFormats(const tfhe::ComputeKeys& keys,
                                                       lwe::FheType type,
                                                       const tfhe::FheUint* value,
                                                       const tfhe::FheBool* boolean_value) {
  if (!keys.compression_key || !keys.noise_squashing_key || !keys.noise_squashing_compression_key) {
    return absl::FailedPreconditionError("the keyset lacks a compression or squashing key");
  }
  RequestFormats out;
  out.type = type;
  std::vector<tfhe::ShortintCiphertext> blocks;
  std::vector<tfhe::SquashedNoiseCiphertext> squashed;
  std::vector<tfhe::DataKind> info;
  if (boolean_value != nullptr) {
    blocks = {boolean_value->block};
    info = {{tfhe::DataKind::Kind::kBoolean, 1}};
    KMS_ASSIGN_OR_RETURN(out.bytes[1], tfhe::SerializeFheBool(*boolean_value));
    KMS_ASSIGN_OR_RETURN(
        tfhe::SquashedNoiseCiphertext block,
        tfhe::SquashNoise(keys.server_key, *keys.noise_squashing_key, boolean_value->block));
    squashed = {block};
    tfhe::SquashedNoiseFheBool big{block, {}, {}};
    KMS_ASSIGN_OR_RETURN(out.bytes[3], tfhe::SerializeSquashedNoiseFheBool(big));
  } else {
    blocks = value->blocks;
    info = {{tfhe::DataKind::Kind::kUnsigned, value->blocks.size()}};
    KMS_ASSIGN_OR_RETURN(out.bytes[1], tfhe::SerializeFheUint(*value));
    KMS_ASSIGN_OR_RETURN(tfhe::SquashedNoiseFheUint big,
                         tfhe::SquashFheUint(keys.server_key, *keys.noise_squashing_key, *value));
    squashed = big.packed_blocks;
    KMS_ASSIGN_OR_RETURN(out.bytes[3], tfhe::SerializeSquashedNoiseFheUint(big));
  }
  KMS_ASSIGN_OR_RETURN(tfhe::CompressedCiphertextList small,
                       tfhe::CompressCiphertexts(*keys.compression_key, blocks, info));
  KMS_ASSIGN_OR_RETURN(out.bytes[0], tfhe::SerializeCompressedCiphertextList(small));
  KMS_ASSIGN_OR_RETURN(tfhe::CompressedSquashedNoiseCiphertextList big_list,
                       tfhe::CompressSquashedNoiseCiphertexts(*keys.noise_squashing_compression_key,
                                                              squashed, info));
  KMS_ASSIGN_OR_RETURN(out.bytes[2],
                       tfhe::SerializeCompressedSquashedNoiseCiphertextList(big_list));
  return out;
}

// The euint8 sum of values 0 and 1 of `list` (u8 each) in the four formats.
inline absl::StatusOr<RequestFormats> SumInRequestFormats(const tfhe::ComputeKeys& keys,
                                                          const tfhe::CompactCiphertextList& list) {
  if (!keys.casting_key) return absl::FailedPreconditionError("the keyset lacks a casting key");
  KMS_ASSIGN_OR_RETURN(auto expanded,
                       tfhe::ExpandCompactList(keys.server_key, *keys.casting_key, list));
  KMS_ASSIGN_OR_RETURN(tfhe::FheUint a, expanded.GetFheUint(0, 4));
  KMS_ASSIGN_OR_RETURN(tfhe::FheUint b, expanded.GetFheUint(1, 4));
  KMS_ASSIGN_OR_RETURN(tfhe::FheUint sum, tfhe::AddFheUint(keys.server_key, a, b));
  return InRequestFormats(keys, lwe::FheType::kEuint8, &sum, nullptr);
}

// Value `index` of `list` (a boolean) in the four formats.
inline absl::StatusOr<RequestFormats> BoolInRequestFormats(const tfhe::ComputeKeys& keys,
                                                           const tfhe::CompactCiphertextList& list,
                                                           size_t index) {
  if (!keys.casting_key) return absl::FailedPreconditionError("the keyset lacks a casting key");
  KMS_ASSIGN_OR_RETURN(auto expanded,
                       tfhe::ExpandCompactList(keys.server_key, *keys.casting_key, list));
  KMS_ASSIGN_OR_RETURN(tfhe::FheBool b, expanded.GetFheBool(index));
  return InRequestFormats(keys, lwe::FheType::kEbool, nullptr, &b);
}

// Value 0 of `ct` as a euint8, from the user-decryption shares of the parties whose key shares
// are given (shares[p] is party p + 1's; a null entry is a party that does not answer).
inline absl::StatusOr<lwe::TypedPlaintext> DecryptWithShares(
    const std::vector<const mpc::TfheKeyShare*>& shares, int t,
    const tfhe::CompressedSquashedNoiseCiphertextList& ct) {
  const int n = static_cast<int>(shares.size());
  const auto prss = DealtPrssSetups(n, t);
  const std::vector<mpc::SessionId> sids = {4711};
  std::optional<mpc::TfheDecryptionInput> input;
  std::vector<std::optional<std::vector<mpc::Share>>> answers(n);
  for (int p = 0; p < n; ++p) {
    if (shares[p] == nullptr) continue;
    KMS_ASSIGN_OR_RETURN(
        mpc::TfheDecryptionInput in,
        mpc::TfheInputFromCompressedSquashed(*shares[p], lwe::FheType::kEuint8, ct, 0));
    KMS_ASSIGN_OR_RETURN(
        auto s, mpc::TfheUserDecryptionShares(*shares[p], prss[p], sids,
                                              std::span<const mpc::TfheDecryptionInput>(&in, 1)));
    answers[p] = s[0];
    input = std::move(in);
  }
  if (!input) return absl::InvalidArgumentError("no party answered");
  return mpc::ReconstructTfheUserDecryption(*input, t, answers);
}

}  // namespace kms::testing

#endif  // KMS_TESTS_TESTING_TFHE_SHARE_DECRYPTION_H_
