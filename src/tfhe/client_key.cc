#include "tfhe/client_key.h"

#include "tfhe/codec_internal.h"
#include "tfhe/safe_serialize.h"

namespace kms::tfhe {
namespace {

// `key` holds a k-polynomial GLWE key of the given shape.
template <typename Scalar>
void RequireGlweShape(Codec& c, const GlweSecretKey<Scalar>& key, uint64_t glwe_dimension,
                      uint64_t polynomial_size, std::string_view field) {
  c.Require(key.polynomial_size == polynomial_size &&
                u128{key.data.size()} == u128{glwe_dimension} * polynomial_size,
            field,
            internal::Cat("GLWE key of ", key.data.size(), " words with polynomial size ",
                          key.polynomial_size, ", parameters say ", glwe_dimension, " x ",
                          polynomial_size));
}

// integer::CompressionPrivateKeys and integer::NoiseSquashingCompressionPrivateKey: the same
// layout (versioned integer and shortint wrappers around a packing GLWE key and its parameters).
template <typename Key>
void ConvertPackingPrivateKey(Codec& c, Key& k) {
  c.VersionTag(0, "");
  Codec::Scope shortint(c, "key");
  c.VersionTag(0, "");
  Convert(c, k.post_packing_ks_key, "post_packing_ks_key");
  Convert(c, k.params, "params");
  if (c.ok()) {
    RequireGlweShape(c, k.post_packing_ks_key, k.params.packing_ks_glwe_dimension,
                     k.params.packing_ks_polynomial_size, "post_packing_ks_key");
  }
}

void RequireLweLength(Codec& c, const LweSecretKey<uint64_t>& key, uint64_t dimension,
                      std::string_view field) {
  c.Require(key.data.size() == dimension, field,
            internal::Cat("LWE key of ", key.data.size(), " bits, parameters say ", dimension));
}

void ConvertStandardAtomicPattern(Codec& c, ClientKey& v) {
  Codec::Scope shortint(c, "key");  // integer::ClientKey.key
  c.VersionTag(1, "");              // shortint ClientKey (GenericClientKey)
  Codec::Scope ap(c, "atomic_pattern");
  c.VersionTag(0, "");
  if (!internal::StandardAtomicPattern(c)) return;
  Codec::Scope standard(c, "Standard");
  c.VersionTag(0, "");
  Convert(c, v.glwe_secret_key, "glwe_secret_key");
  Convert(c, v.lwe_secret_key, "lwe_secret_key");
  ConvertPBSParameters(c, v.parameters, "parameters");
  c.Option(v.wopbs_parameters, "wopbs_parameters",
           [](Codec& c, WopbsParameters& p) { Convert(c, p, ""); });
  if (!c.ok()) return;
  RequireGlweShape(c, v.glwe_secret_key, v.parameters.glwe_dimension, v.parameters.polynomial_size,
                   "glwe_secret_key");
  RequireLweLength(c, v.lwe_secret_key, v.parameters.lwe_dimension, "lwe_secret_key");
}

}  // namespace

void Convert(Codec& c, ClientKey& v) {
  c.VersionTag(1, "");
  {
    Codec::Scope integer_client_key(c, "key");
    c.VersionTag(6, "");  // IntegerClientKey, tfhe-rs 1.4 (1.7: 8)
    {
      Codec::Scope integer(c, "key");
      c.VersionTag(0, "");  // integer::ClientKey
      ConvertStandardAtomicPattern(c, v);
    }
    c.Option(v.dedicated_compact_private_key, "dedicated_compact_private_key",
             [](Codec& c, ClientKey::CompactPrivateKey& k) {
               {
                 Codec::Scope integer(c, "0");
                 c.VersionTag(0, "");  // integer::CompactPrivateKey
                 Codec::Scope shortint(c, "key");
                 c.VersionTag(0, "");  // shortint::CompactPrivateKey
                 Convert(c, k.key, "key");
                 Convert(c, k.parameters, "parameters");
                 if (c.ok()) {
                   RequireLweLength(c, k.key, k.parameters.encryption_lwe_dimension, "key");
                 }
               }
               Convert(c, k.ksk_parameters, "1");
             });
    c.Option(v.compression_key, "compression_key",
             ConvertPackingPrivateKey<ClientKey::CompressionPrivateKey>);
    c.Option(v.noise_squashing_private_key, "noise_squashing_private_key",
             [](Codec& c, ClientKey::NoiseSquashingPrivateKey& k) {
               c.VersionTag(0, "");  // integer::NoiseSquashingPrivateKey
               Codec::Scope shortint(c, "key");
               c.VersionTag(0, "");
               Convert(c, k.post_noise_squashing_secret_key, "post_noise_squashing_secret_key");
               Convert(c, k.params, "params");
               if (c.ok()) {
                 RequireGlweShape(c, k.post_noise_squashing_secret_key, k.params.glwe_dimension,
                                  k.params.polynomial_size, "post_noise_squashing_secret_key");
               }
             });
    c.Option(v.noise_squashing_compression_private_key, "noise_squashing_compression_private_key",
             ConvertPackingPrivateKey<ClientKey::NoiseSquashingCompressionPrivateKey>);
    c.Option(v.cpk_re_randomization_ksk_params, "cpk_re_randomization_ksk_params",
             [](Codec& c, ShortintKeySwitchingParameters& p) { Convert(c, p, ""); });
  }
  ConvertTaggedBytes(c, v.tag, "tag");
}

absl::StatusOr<ClientKey> ParseClientKey(ByteSpan data, uint64_t size_limit) {
  return SafeDeserialize<ClientKey>(data, kClientKeyName, size_limit);
}

absl::StatusOr<crypto::SecretBytes> SerializeClientKey(const ClientKey& key) {
  KMS_ASSIGN_OR_RETURN(Bytes bytes, SafeSerialize(key, kClientKeyName));
  crypto::SecretBytes out(bytes);
  crypto::SecureZero(bytes);
  return out;
}

}  // namespace kms::tfhe
