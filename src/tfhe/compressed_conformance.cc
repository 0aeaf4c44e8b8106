#include "tfhe/compressed_conformance.h"

#include <string>

#include "tfhe/codec_internal.h"

namespace kms::tfhe {
namespace {

using internal::Cat;

// The first mismatch, as "not conformant with the parameter set: <what>".
class Checker {
 public:
  void Expect(bool condition, const std::string& what) {
    if (!condition && status_.ok()) {
      status_ = absl::InvalidArgumentError(Cat("not conformant with the parameter set: ", what));
    }
  }
  void Equal(uint64_t actual, uint64_t expected, const std::string& field) {
    Expect(actual == expected, Cat(field, " is ", actual, ", expected ", expected));
  }
  const absl::Status& status() const { return status_; }

 private:
  absl::Status status_;
};

void CheckSquashedBlock(Checker& c, const SquashedNoiseCiphertext& b,
                        const NoiseSquashingParameters& p, const std::string& field) {
  c.Equal(b.ct.lwe_dimension(), p.glwe_dimension * p.polynomial_size, field + ".ct dimension");
  c.Expect(b.ct.modulus == p.ciphertext_modulus, field + ".ct.ciphertext_modulus differs");
  c.Equal(b.message_modulus, p.message_modulus, field + ".message_modulus");
  c.Equal(b.carry_modulus, p.carry_modulus, field + ".carry_modulus");
  const uint64_t max_degree = p.message_modulus * p.carry_modulus - 1;
  c.Expect(b.degree <= max_degree, Cat(field, ".degree ", b.degree, " exceeds ", max_degree));
}

template <typename Scalar>
void CheckGlwes(Checker& c,
                const std::vector<CompressedModulusSwitchedGlweCiphertext<Scalar>>& list,
                uint64_t glwe_dimension, uint64_t polynomial_size, uint64_t log_modulus,
                const CiphertextModulus& modulus) {
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& g = list[i];
    const std::string field = Cat("glwe[", i, "]");
    c.Equal(g.glwe_dimension, glwe_dimension, field + ".glwe_dimension");
    c.Equal(g.polynomial_size, polynomial_size, field + ".polynomial_size");
    c.Equal(g.packed_integers.log_modulus, log_modulus, field + ".log_modulus");
    c.Expect(g.uncompressed_ciphertext_modulus == modulus,
             field + ".uncompressed_ciphertext_modulus differs");
  }
}

}  // namespace

absl::Status CheckConformance(const SquashedNoiseFheUint& ct,
                              const NoiseSquashingParameters& params, size_t block_count) {
  Checker c;
  c.Equal(ct.original_block_count, block_count, "original_block_count");
  for (size_t i = 0; i < ct.packed_blocks.size(); ++i) {
    CheckSquashedBlock(c, ct.packed_blocks[i], params, Cat("packed_blocks[", i, "]"));
  }
  return c.status();
}

absl::Status CheckConformance(const SquashedNoiseFheBool& ct,
                              const NoiseSquashingParameters& params) {
  Checker c;
  CheckSquashedBlock(c, ct.block, params, "ciphertext");
  return c.status();
}

absl::Status CheckConformance(const CompressedSquashedNoiseCiphertextList& list,
                              const NoiseSquashingCompressionParameters& params) {
  Checker c;
  if (list.glwe_ciphertext_list.empty()) return c.status();
  CheckGlwes(c, list.glwe_ciphertext_list, params.packing_ks_glwe_dimension,
             params.packing_ks_polynomial_size, 128, params.ciphertext_modulus);
  c.Expect(list.meta.has_value(), "meta is missing");
  if (list.meta) {
    c.Equal(list.meta->lwe_per_glwe, params.lwe_per_glwe, "meta.lwe_per_glwe");
    c.Equal(list.meta->message_modulus, params.message_modulus, "meta.message_modulus");
    c.Equal(list.meta->carry_modulus, params.carry_modulus, "meta.carry_modulus");
  }
  return c.status();
}

absl::Status CheckConformance(const CompressedCiphertextList& list,
                              const CompressionParameters& params,
                              const ClassicPBSParameters& pbs) {
  Checker c;
  if (list.modulus_switched_glwe_ciphertext_list.empty()) return c.status();
  CheckGlwes(c, list.modulus_switched_glwe_ciphertext_list, params.packing_ks_glwe_dimension,
             params.packing_ks_polynomial_size, params.storage_log_modulus, pbs.ciphertext_modulus);
  c.Expect(list.meta.has_value(), "meta is missing");
  if (list.meta) {
    const CompressedCiphertextListMeta& m = *list.meta;
    c.Equal(m.lwe_per_glwe, params.lwe_per_glwe, "meta.lwe_per_glwe");
    c.Expect(m.ciphertext_modulus == pbs.ciphertext_modulus, "meta.ciphertext_modulus differs");
    c.Equal(m.message_modulus, pbs.message_modulus, "meta.message_modulus");
    c.Equal(m.carry_modulus, pbs.carry_modulus, "meta.carry_modulus");
    const bool big = pbs.encryption_key_choice == EncryptionKeyChoice::kBig;
    const AtomicPatternKind ap{AtomicPatternKind::Kind::kStandard,
                               big ? PBSOrder::kKeyswitchBootstrap : PBSOrder::kBootstrapKeyswitch};
    c.Expect(m.atomic_pattern == ap, "meta.atomic_pattern differs");
  }
  return c.status();
}

}  // namespace kms::tfhe
