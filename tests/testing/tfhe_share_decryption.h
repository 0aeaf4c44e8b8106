// What a coprocessor and the parties do with a tfhe-rs keyset, for the tests that check a
// keyset made by the service or a protocol: two u8 in a compact list (encrypted by node-tfhe or by
// us) are expanded with the published ServerKey's casting key, added, squashed and compressed
// into a CompressedSquashedNoiseCiphertextList (BigCompressed); the parties' key shares then
// decrypt it through user-decryption shares reconstructed as a client does. The shares' masks
// come from a dealt PRSS (testing/prss_fixture.h).
#ifndef KMS_TESTS_TESTING_TFHE_SHARE_DECRYPTION_H_
#define KMS_TESTS_TESTING_TFHE_SHARE_DECRYPTION_H_

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
