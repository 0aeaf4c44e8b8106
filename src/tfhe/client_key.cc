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

// 1.7's Option<ReRandomizationParameters[0]>: 0 LegacyDedicatedCPKWithKeySwitch{rerand_ksk_params}
// | 1 DerivedCPKWithoutKeySwitch, kept in the two fields of ClientKey.
void ConvertReRandomizationParameters(Codec& c, ClientKey& v) {
  Codec::Scope scope(c, "cpk_re_randomization_params");
  bool present =
      v.cpk_re_randomization_ksk_params.has_value() || v.cpk_re_randomization_derived_cpk;
  c.Require(!(v.cpk_re_randomization_ksk_params && v.cpk_re_randomization_derived_cpk), "",
            "either dedicated key-switching parameters or a derived CPK, not both");
  uint8_t flag = present ? 1 : 0;
  c.U8(flag, "");
  if (!c.ok()) return;
  if (flag > 1) {
    c.Fail("", internal::Cat("invalid Option tag ", flag));
    return;
  }
  if (c.reading()) {
    v.cpk_re_randomization_ksk_params.reset();
    v.cpk_re_randomization_derived_cpk = false;
  }
  if (flag == 0) return;
  c.VersionTag(0, "");
  uint32_t kind = v.cpk_re_randomization_derived_cpk ? 1 : 0;
  c.Variant(kind, 2, "variant");
  if (!c.ok()) return;
  if (kind == 1) {
    if (c.reading()) v.cpk_re_randomization_derived_cpk = true;
    return;
  }
  if (c.reading()) v.cpk_re_randomization_ksk_params.emplace();
  Codec::Scope legacy(c, "LegacyDedicatedCPKWithKeySwitch");
  Convert(c, *v.cpk_re_randomization_ksk_params, "rerand_ksk_params");
}

}  // namespace

void Convert(Codec& c, ClientKey& v) {
  c.VersionTag(1, "");
  {
    Codec::Scope integer_client_key(c, "key");
    // IntegerClientKey: 6 in tfhe-rs 1.4.0-alpha.3, 8 in 1.7.0 (7 is a 1.5/1.6 form, refused).
    if (!internal::FormatVersionTag(c, v.format, 6, 8)) return;
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
    const bool v17 = v.format == ClientKey::Format::kTfhe17;
    c.Option(v.compression_key, "compression_key",
             [v17](Codec& c, ClientKey::CompressionPrivateKey& k) {
               if (!v17) {
                 ConvertPackingPrivateKey(c, k);
                 return;
               }
               // 1.7: params = CompressionParameters[1]::Classic(ClassicCompressionParameters[0]).
               c.VersionTag(0, "");
               Codec::Scope shortint(c, "key");
               c.VersionTag(0, "");
               Convert(c, k.post_packing_ks_key, "post_packing_ks_key");
               {
                 Codec::Scope params(c, "params");
                 c.VersionTag(1, "");
                 uint32_t kind = 0;  // 0 Classic, 1 MultiBit
                 c.Variant(kind, 2, "variant");
                 if (!c.ok()) return;
                 if (kind != 0) {
                   c.Fail("variant", "multi-bit compression parameters are not supported");
                   return;
                 }
                 Convert(c, k.params, "Classic");
               }
               if (c.ok()) {
                 RequireGlweShape(c, k.post_packing_ks_key, k.params.packing_ks_glwe_dimension,
                                  k.params.packing_ks_polynomial_size, "post_packing_ks_key");
               }
             });
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
    if (!v17) {
      c.Require(!v.cpk_re_randomization_derived_cpk && !v.dedicated_oprf_private_key,
                "cpk_re_randomization_ksk_params",
                "a derived re-randomization CPK and the OPRF key exist only in tfhe-rs 1.7");
      c.Option(v.cpk_re_randomization_ksk_params, "cpk_re_randomization_ksk_params",
               [](Codec& c, ShortintKeySwitchingParameters& p) { Convert(c, p, ""); });
    } else {
      ConvertReRandomizationParameters(c, v);
      c.Option(v.dedicated_oprf_private_key, "dedicated_oprf_private_key",
               [](Codec& c, LweSecretKey<uint64_t>& k) {
                 c.VersionTag(0, "");  // integer::OprfPrivateKey
                 Codec::Scope shortint(c, "0");
                 c.VersionTag(0, "");  // shortint::OprfPrivateKey
                 Codec::Scope ap(c, "0");
                 c.VersionTag(0, "");  // AtomicPatternOprfPrivateKey
                 if (!internal::StandardAtomicPattern(c)) return;
                 Convert(c, k, "Standard");
               });
      if (c.ok() && v.dedicated_oprf_private_key) {
        RequireLweLength(c, *v.dedicated_oprf_private_key, v.parameters.lwe_dimension,
                         "dedicated_oprf_private_key");
      }
    }
  }
  ConvertTaggedBytes(c, v.tag, "tag");
}

absl::StatusOr<ClientKey> ToTfhe14Format(const ClientKey& key) {
  if (key.cpk_re_randomization_derived_cpk) {
    return absl::InvalidArgumentError(
        "a derived re-randomization CPK (tfhe-rs 1.7) has no tfhe-rs 1.4 form");
  }
  ClientKey out = key;
  out.format = ClientKey::Format::kTfhe14;
  out.dedicated_oprf_private_key.reset();
  return out;
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

void ZeroClientKeySecrets(ClientKey& key) {
  crypto::SecureZero(key.lwe_secret_key.data);
  crypto::SecureZero(key.glwe_secret_key.data);
  if (key.dedicated_compact_private_key) {
    crypto::SecureZero(key.dedicated_compact_private_key->key.data);
  }
  if (key.compression_key) crypto::SecureZero(key.compression_key->post_packing_ks_key.data);
  if (key.noise_squashing_private_key) {
    crypto::SecureZero(key.noise_squashing_private_key->post_noise_squashing_secret_key.data);
  }
  if (key.noise_squashing_compression_private_key) {
    crypto::SecureZero(key.noise_squashing_compression_private_key->post_packing_ks_key.data);
  }
}

}  // namespace kms::tfhe
