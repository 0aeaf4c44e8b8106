// File: tfhe/client_key.h
//
// `high_level_api::ClientKey` in the tfhe-rs 1.4.0-alpha.3 format (interop-tfhe.md §3.6;
// interop-tfhe-1.4.md §1.4): the compute secret keys (GLWE key, whose flattening is the "big"
// LWE key, and the small LWE key) with their PBS parameters, and the optional dedicated compact
// public-key secret, compression, noise-squashing and noise-squashing-compression secrets.
//
// Layout: ClientKey[1] → IntegerClientKey[6]{ key: integer::ClientKey[0] → shortint
// ClientKey[1] → AtomicPatternClientKey[0]::Standard(StandardAtomicPatternClientKey[0]{
// glwe_secret_key, lwe_secret_key, parameters: PBSParameters, wopbs_parameters: Option }),
// dedicated_compact_private_key: Option<(integer::CompactPrivateKey[0] →
// shortint::CompactPrivateKey[0]{key, parameters}, ShortintKeySwitchingParameters)>,
// compression_key: Option<integer[0] → shortint CompressionPrivateKeys[0]{post_packing_ks_key,
// params}>, noise_squashing_private_key: Option<integer[0] → shortint[0]{key, params}>,
// noise_squashing_compression_private_key: Option<integer[0] → shortint[0]{key, params}>,
// cpk_re_randomization_ksk_params: Option }, tag.
//
// Checked on parse and serialize: every secret key has the length its parameters give (k·N,
// n, n̂, the compression and noise-squashing GLWE sizes) and its polynomial size. The key bits
// themselves are not checked to be binary.
//
// tfhe-rs 1.7.0 ClientKeys are read too (IntegerClientKey V8): the compression parameters are
// CompressionParameters[1]::Classic(ClassicCompressionParameters[0]{the same fields}), the
// re-randomization field is Option<ReRandomizationParameters[0]: 0
// LegacyDedicatedCPKWithKeySwitch{rerand_ksk_params} | 1 DerivedCPKWithoutKeySwitch>, and a last
// field dedicated_oprf_private_key: Option<integer::OprfPrivateKey[0] → shortint[0] →
// AtomicPatternOprfPrivateKey[0]::Standard(LweSecretKey)> follows. `format` records which form
// was read, so that a parsed key re-serializes to itself; new keys are written in the 1.4 form,
// and ToTfhe14Format converts a 1.7 key (dropping the OPRF key, which 1.4 has no field for).
//
// Secret: the key vectors are zeroed when the ClientKey is destroyed; SerializeClientKey
// returns a zeroing buffer. Never log a ClientKey.
#ifndef KMS_TFHE_CLIENT_KEY_H_
#define KMS_TFHE_CLIENT_KEY_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bytes.h"
#include "crypto/secure_zero.h"
#include "tfhe/codec.h"
#include "tfhe/entities.h"
#include "tfhe/parameters.h"

namespace kms::tfhe {

struct ClientKey {
  // The tfhe-rs form: IntegerClientKey V6 (1.4.0-alpha.3, what we write) or V8 (1.7.0).
  using Format = TfheFormat;
  Format format = Format::kTfhe14;

  // shortint StandardAtomicPatternClientKey.
  GlweSecretKey<uint64_t> glwe_secret_key;
  LweSecretKey<uint64_t> lwe_secret_key;
  ClassicPBSParameters parameters;
  std::optional<WopbsParameters> wopbs_parameters;

  // The secret of a dedicated compact public key (n̂ bits) and how to key-switch from it.
  struct CompactPrivateKey {
    LweSecretKey<uint64_t> key;
    CompactPublicKeyEncryptionParameters parameters;
    ShortintKeySwitchingParameters ksk_parameters;
    bool operator==(const CompactPrivateKey&) const = default;
  };
  std::optional<CompactPrivateKey> dedicated_compact_private_key;

  struct CompressionPrivateKey {
    GlweSecretKey<uint64_t> post_packing_ks_key;
    CompressionParameters params;
    bool operator==(const CompressionPrivateKey&) const = default;
  };
  std::optional<CompressionPrivateKey> compression_key;

  struct NoiseSquashingPrivateKey {
    GlweSecretKey<u128> post_noise_squashing_secret_key;
    NoiseSquashingParameters params;
    bool operator==(const NoiseSquashingPrivateKey&) const = default;
  };
  std::optional<NoiseSquashingPrivateKey> noise_squashing_private_key;

  struct NoiseSquashingCompressionPrivateKey {
    GlweSecretKey<u128> post_packing_ks_key;
    NoiseSquashingCompressionParameters params;
    bool operator==(const NoiseSquashingCompressionPrivateKey&) const = default;
  };
  std::optional<NoiseSquashingCompressionPrivateKey> noise_squashing_compression_private_key;

  // 1.4: the dedicated re-randomization KSK parameters; 1.7: LegacyDedicatedCPKWithKeySwitch.
  std::optional<ShortintKeySwitchingParameters> cpk_re_randomization_ksk_params;
  // 1.7 only: ReRandomizationParameters::DerivedCPKWithoutKeySwitch (then the field above is
  // empty).
  bool cpk_re_randomization_derived_cpk = false;
  // 1.7 only: the OPRF secret (AtomicPatternOprfPrivateKey::Standard, n bits).
  std::optional<LweSecretKey<uint64_t>> dedicated_oprf_private_key;

  std::vector<uint8_t> tag;

  bool operator==(const ClientKey&) const = default;
};
void Convert(Codec& c, ClientKey& v);

absl::StatusOr<ClientKey> ParseClientKey(ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<crypto::SecretBytes> SerializeClientKey(const ClientKey& key);
// Zeroes every secret key of `key` in place (before its memory is given back).
void ZeroClientKeySecrets(ClientKey& key);

// The same key in the tfhe-rs 1.4.0-alpha.3 form (IntegerClientKey V6): the OPRF secret is
// dropped; InvalidArgument for DerivedCPKWithoutKeySwitch re-randomization, which 1.4 cannot
// express.
absl::StatusOr<ClientKey> ToTfhe14Format(const ClientKey& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_CLIENT_KEY_H_
