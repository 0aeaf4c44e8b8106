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

  std::optional<ShortintKeySwitchingParameters> cpk_re_randomization_ksk_params;

  std::vector<uint8_t> tag;

  bool operator==(const ClientKey&) const = default;
};
void Convert(Codec& c, ClientKey& v);

absl::StatusOr<ClientKey> ParseClientKey(ByteSpan data, uint64_t size_limit = kDefaultSizeLimit);
absl::StatusOr<crypto::SecretBytes> SerializeClientKey(const ClientKey& key);

}  // namespace kms::tfhe

#endif  // KMS_TFHE_CLIENT_KEY_H_
