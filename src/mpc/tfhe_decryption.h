// File: mpc/tfhe_decryption.h
//
// Threshold decryption of tfhe-rs ciphertexts by noise flooding (crypto-spec B §2.11
// NoiseFloodSmall, B §5; interop-tfhe.md §3.10; interop-kms-client.md §2.3–§2.5). Every input
// format becomes a list of 128-bit LWE blocks under one of two shared secrets:
//   BigExpanded     SquashedNoiseFheUint / SquashedNoiseFheBool: the blocks as they are, under
//                   the noise-squashing GLWE key seen as LWE (k_s·N_s coefficients)
//   BigCompressed   CompressedSquashedNoiseCiphertextList value j: its blocks sample-extracted,
//                   under the noise-squashing compression key as LWE (k_sc·N_sc)
//   SmallExpanded   FheUint / FheBool: squashed locally with the PUBLIC noise-squashing key
//                   (pairs packed as tfhe-rs does), then as BigExpanded
//   SmallCompressed CompressedCiphertextList value j: decompressed, then squashed
// Each block holds lo + message·hi (FheUint pairs, packing factor 2; an odd last block and an
// FheBool block alone, packing factor 1) at Δ = 2^127 / (message·carry).
//
// For each block (a, b) party i computes p_i = b − Σ_j a_j·s_{j,i} + Mask.Next(B_SnS = 2^70)
// locally (Bd1 = 2^110), so the opened value is Δ·m + e + E with |E| < 2·C(n,t)·2^110.
//  - TfhePublicDecrypt: one asynchronous robust open of every block of a batch, then the §2.11
//    decode rule (w = log2(message·carry), s = 128 − (w + 1)) and little-endian recomposition
//    (block k at bit Σ_{l<k} bits_l, tfhe-rs BlockRecomposer).
//  - TfheUserDecryptionShares: no interaction; the masked shares packed four blocks per ring
//    element (as mpc/decryption.h), reported with the packing factor (2 for integers, 1 for
//    FheBool, interop-kms-client.md §2.5).
//  - ReconstructTfheUserDecryption: what the client does (robust sync reconstruction, decode,
//    recompose), for tests and tools.
// Robust open guarantee: with at most t bad parties (wrong, garbage or missing shares) every
// honest party opens the right values. With more, the open either fails (ABORTED / UNAVAILABLE)
// or yields a value that is not a scalar, whose padding bit is set, or that exceeds the block's
// bits or the type's width — all ABORTED here. A coalition of more than t that forges a
// consistent codeword of a different plaintext is beyond any threshold scheme and undetectable.
//
// Validation happens before any work: InvalidArgument naming the ciphertext, the block and the
// field (dimension, moduli, modulus, degree, block count per fhe type).
//
// Trust: a Big (already squashed) block is decrypted as given, and the flooding hides noise only
// up to B_SnS = 2^70. A caller who may submit arbitrary 128-bit LWE blocks learns key bits: with
// a = 2^125·e_j and b = 0 the opened value is −2^125·s_j + E, |E| < 2^121, which decodes to s_j.
// Big inputs must therefore come from a producer the KMS trusts (the coprocessors, as in the
// reference), never from an arbitrary requester; the Small formats are safe from any caller,
// since the squash's bootstrap gives its output fresh noise whatever the input. The service
// must enforce this when it wires these functions in.
//
// InsecureDealTfheKeyShares is for tests and tools only: it reads the whole secret from a
// ClientKey and Shamir-shares it; shares it makes are marked insecure.
#ifndef KMS_MPC_TFHE_DECRYPTION_H_
#define KMS_MPC_TFHE_DECRYPTION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "crypto/secure_zero.h"
#include "lwe/fhe_type.h"
#include "lwe/typed_plaintext.h"
#include "mpc/preprocessing.h"
#include "mpc/prss.h"
#include "mpc/session.h"
#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/compressed_ciphertext_list.h"
#include "tfhe/decompression.h"
#include "tfhe/noise_squashing.h"
#include "tfhe/server_key.h"
#include "tfhe/squashed_noise.h"

namespace kms::mpc {

// B_SwitchSquash: the bound of the squashed ciphertexts' noise, the flooding mask's Bd.
inline constexpr algebra::Z128 kSwitchSquashNoiseBound = algebra::Z128{1} << 70;

// True when B_SnS·(1 + 2·C(n,t)·2^40) < 2^122 (crypto-spec B §2.11), so the flooded phase of a
// 4-bit block (Δ/2 = 2^122) still decodes; false as well when C(n,t) > 2047 (PRSS refuses it).
bool TfheFloodingBudgetHolds(int n, int t);

// Which shared secret a block is under.
enum class TfheKeyKind { kNoiseSquashing, kNoiseSquashingCompression };

// One party's shares of the two 128-bit decryption secrets, with the public parameters that
// ciphertexts are checked against.
struct TfheKeyShare {
  TfheKeyShare() = default;
  TfheKeyShare(const TfheKeyShare&) = default;
  TfheKeyShare(TfheKeyShare&&) = default;
  // Assignments zero the shares they replace first: a defaulted assignment would free or shrink
  // the old buffers with the shares still in them.
  TfheKeyShare& operator=(const TfheKeyShare& o) {
    if (this != &o) {
      Wipe();
      Assign(o);
    }
    return *this;
  }
  TfheKeyShare& operator=(TfheKeyShare&& o) noexcept {
    if (this != &o) {
      Wipe();
      Assign(std::move(o));
    }
    return *this;
  }
  ~TfheKeyShare() { Wipe(); }  // key shares never outlive their owner

  // My shares of the noise-squashing GLWE key as LWE (k_s·N_s bits).
  std::vector<Share> sns_key;
  tfhe::NoiseSquashingParameters sns_params;
  // My shares of the noise-squashing compression key as LWE (k_sc·N_sc bits); empty and nullopt
  // when the key set has no BigCompressed support.
  std::vector<Share> sns_compression_key;
  std::optional<tfhe::NoiseSquashingCompressionParameters> sns_compression_params;
  bool insecure_dealer = false;

  uint64_t sns_lwe_dimension() const {
    return sns_params.glwe_dimension * sns_params.polynomial_size;
  }
  uint64_t sns_compression_lwe_dimension() const {
    return sns_compression_params ? sns_compression_params->packing_ks_glwe_dimension *
                                        sns_compression_params->packing_ks_polynomial_size
                                  : 0;
  }

 private:
  void Wipe() {
    crypto::SecureZero(sns_key);
    crypto::SecureZero(sns_compression_key);
  }
  template <typename Other>
  void Assign(Other&& o) {
    sns_key = std::forward<Other>(o).sns_key;
    sns_params = o.sns_params;
    sns_compression_key = std::forward<Other>(o).sns_compression_key;
    sns_compression_params = o.sns_compression_params;
    insecure_dealer = o.insecure_dealer;
  }
};

// INSECURE (tests, tools): the noise-squashing secret (and the noise-squashing compression
// secret when the key has one) of `key`, Shamir-shared to n parties with threshold t. Element p
// is party p + 1's share. InvalidArgument without a noise-squashing secret or for bad (n, t).
absl::StatusOr<std::vector<TfheKeyShare>> InsecureDealTfheKeyShares(const tfhe::ClientKey& key,
                                                                    int n, int t,
                                                                    algebra::RandomSource& rng);

// Centralized mode: the whole noise-squashing secret (and its compression secret when the key
// has one) of `key` as a degree-0 "sharing", which the functions below take like a party's
// shares. InvalidArgument without a noise-squashing secret.
absl::StatusOr<TfheKeyShare> TfheWholeKey(const tfhe::ClientKey& key);

// One ciphertext as 128-bit LWE blocks plus what decoding needs.
struct TfheDecryptionInput {
  lwe::FheType type = lwe::FheType::kEbool;
  TfheKeyKind key = TfheKeyKind::kNoiseSquashing;
  uint64_t message_modulus = 0;
  uint64_t carry_modulus = 0;
  // Radix blocks per LWE block (2 for FheUint, 1 for FheBool): the user decryption response's
  // packing_factor.
  uint32_t packing_factor = 2;
  std::vector<tfhe::LweCiphertext128> blocks;
  std::vector<uint32_t> block_bits;  // plaintext bits of each block, least significant first
};

// BigExpanded. The SquashedNoiseFheUint must hold exactly FheTypeBits(type) bits
// (original_block_count·log2(message)).
absl::StatusOr<TfheDecryptionInput> TfheInputFromSquashed(const TfheKeyShare& key,
                                                          lwe::FheType type,
                                                          const tfhe::SquashedNoiseFheUint& ct);
absl::StatusOr<TfheDecryptionInput> TfheInputFromSquashed(const TfheKeyShare& key,
                                                          const tfhe::SquashedNoiseFheBool& ct);
// BigCompressed: value `index` of the list (Unsigned of FheTypeBits(type) bits, or Boolean for
// kEbool).
absl::StatusOr<TfheDecryptionInput> TfheInputFromCompressedSquashed(
    const TfheKeyShare& key, lwe::FheType type,
    const tfhe::CompressedSquashedNoiseCiphertextList& list, uint64_t index);
// SmallExpanded: squashed with the public noise-squashing key (`squash_key`, made from the
// published 128-bit bootstrapping key) and the compute server key.
absl::StatusOr<TfheDecryptionInput> TfheInputFromSmall(const TfheKeyShare& key, lwe::FheType type,
                                                       const tfhe::FheUint& ct,
                                                       const tfhe::ServerKey& server_key,
                                                       const tfhe::NoiseSquashingKey& squash_key);
absl::StatusOr<TfheDecryptionInput> TfheInputFromSmall(const TfheKeyShare& key,
                                                       const tfhe::FheBool& ct,
                                                       const tfhe::ServerKey& server_key,
                                                       const tfhe::NoiseSquashingKey& squash_key);
// SmallCompressed: value `index` decompressed with `decompression_key`, then squashed.
absl::StatusOr<TfheDecryptionInput> TfheInputFromCompressedSmall(
    const TfheKeyShare& key, lwe::FheType type, const tfhe::CompressedCiphertextList& list,
    uint64_t index, const tfhe::DecompressionKey64& decompression_key,
    const tfhe::ServerKey& server_key, const tfhe::NoiseSquashingKey& squash_key);

// Checks `input` against `key`: a known type, the key it names present, every block of that
// key's LWE dimension at the native modulus, the key's moduli, the block count and bits of the
// type. The TfheInputFrom* functions return only inputs that pass.
absl::Status ValidateTfheInput(const TfheDecryptionInput& input, const TfheKeyShare& key);

// b − ⟨a, s_i⟩ + Mask.Next(B_SnS) for every block of every input, in order.
// REQUIRES: ValidateTfheInput(input, key) for each input.
std::vector<Share> TfheMaskedPartialDecryptions(const TfheKeyShare& key, PrssState<Share>& prss,
                                                std::span<const TfheDecryptionInput> inputs);

// Decrypts a batch on one asynchronous session whose id all parties derived from the request.
// Validates every input first (INVALID_ARGUMENT), and the (n, t) flooding budget
// (FAILED_PRECONDITION).
absl::StatusOr<std::vector<lwe::TypedPlaintext>> TfhePublicDecrypt(
    Session& session, const TfheKeyShare& key, const PrssSetup& prss,
    std::span<const TfheDecryptionInput> inputs);

// My packed masked shares of each input (outer index: input); `session_ids[i]` is the id derived
// for input i. ceil(blocks / 4) ring elements each.
absl::StatusOr<std::vector<std::vector<Share>>> TfheUserDecryptionShares(
    const TfheKeyShare& key, const PrssSetup& prss, std::span<const SessionId> session_ids,
    std::span<const TfheDecryptionInput> inputs);

// The §2.11 decode of opened (or reconstructed) block values and the recomposition into `type`.
// ABORTED when a value is not a scalar, its padding bit is set, a block exceeds its bits or the
// value the type's width. `block_bits` and the moduli as in TfheDecryptionInput.
absl::StatusOr<lwe::TypedPlaintext> DecodeTfheBlocks(lwe::FheType type,
                                                     std::span<const Share> opened,
                                                     std::span<const uint32_t> block_bits,
                                                     uint64_t message_modulus,
                                                     uint64_t carry_modulus);

// Centralized mode, with `whole` from TfheWholeKey: the plaintexts of `inputs` (no flooding:
// only the plaintext leaves), and for user decryption Δ·m of each block packed four per ring
// element (never the phase, whose noise depends on the key). Errors as TfhePublicDecrypt, and
// ABORTED when a block does not decode (a malformed ciphertext).
absl::StatusOr<std::vector<lwe::TypedPlaintext>> TfheCentralDecrypt(
    const TfheKeyShare& whole, std::span<const TfheDecryptionInput> inputs);
absl::StatusOr<std::vector<std::vector<Share>>> TfheCentralUserDecryption(
    const TfheKeyShare& whole, std::span<const TfheDecryptionInput> inputs);

// Client side (tests, tools): party p's packed shares are shares[p] (std::nullopt for a party
// that sent nothing), n = shares.size(), degree t; robust synchronous reconstruction (up to t
// wrong or missing), then DecodeTfheBlocks with the input's metadata. ABORTED on a decoding
// failure, UNAVAILABLE when too few shares came.
absl::StatusOr<lwe::TypedPlaintext> ReconstructTfheUserDecryption(
    const TfheDecryptionInput& input, int t,
    std::span<const std::optional<std::vector<Share>>> shares);

}  // namespace kms::mpc

#endif  // KMS_MPC_TFHE_DECRYPTION_H_
