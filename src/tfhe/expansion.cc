#include "tfhe/expansion.h"

#include <utility>

#include "common/status_macros.h"
#include "tfhe/codec_internal.h"
#include "tfhe/keyswitch.h"

namespace kms::tfhe {

absl::StatusOr<CastingKey> DecompressCastingKey(const CompressedServerKey& key) {
  if (!key.cpk_key_switching_key_material.has_value()) {
    return absl::InvalidArgumentError(
        "CompressedServerKey.cpk_key_switching_key_material: absent (the key has no casting key)");
  }
  const CompressedKeySwitchingKeyMaterial& m = *key.cpk_key_switching_key_material;
  CastingKey out;
  KMS_ASSIGN_OR_RETURN(out.key_switching_key, DecompressKeySwitchingKey(m.key_switching_key));
  out.cast_rshift = m.cast_rshift;
  out.destination_key = m.destination_key;
  return out;
}

absl::StatusOr<std::vector<uint64_t>> CompactListLwe(const CompactCiphertextList& list, size_t i) {
  const LweCompactCiphertextList& l = list.ct_list;
  const size_t n = l.lwe_dimension();
  if (n == 0 || i >= l.lwe_ciphertext_count ||
      l.data.size() != l.mask_count() * n + l.lwe_ciphertext_count) {
    return absl::InvalidArgumentError(internal::Cat("CompactCiphertextList: no LWE ", i,
                                                    " in a list of ", l.lwe_ciphertext_count,
                                                    " (or an inconsistent data length)"));
  }
  std::vector<uint64_t> out(n + 1);
  // X^shift·M, negacyclic: coefficient k is M[k − shift] for k >= shift, −M[k − shift + n̂]
  // below.
  const uint64_t* mask = l.data.data() + (i / n) * n;
  const size_t shift = i % n;
  for (size_t k = 0; k < n; ++k) {
    out[k] = k >= shift ? mask[k - shift] : 0 - mask[k - shift + n];
  }
  out[n] = l.data[l.mask_count() * n + i];
  return out;
}

absl::StatusOr<std::vector<ShortintCiphertext>> CastAndApplyLookupTables(
    const ServerKey& server_key, const CastingKey& casting_key, std::span<const uint64_t> lwe,
    std::span<const LookupTable<uint64_t>* const> luts) {
  if (casting_key.cast_rshift != 0) {
    return absl::UnimplementedError("casting key: cast_rshift other than 0");
  }
  if (server_key.pbs_order != PBSOrder::kKeyswitchBootstrap) {
    return absl::UnimplementedError("casting into a BootstrapKeyswitch server key");
  }
  const bool to_small = casting_key.destination_key == EncryptionKeyChoice::kSmall;
  const size_t out_dim =
      to_small ? server_key.small_lwe_dimension() : server_key.big_lwe_dimension();
  const LweKeyswitchKey& ksk = casting_key.key_switching_key;
  if (ksk.output_lwe_size != out_dim + 1) {
    return absl::InvalidArgumentError(internal::Cat("casting key: output LWE size ",
                                                    ksk.output_lwe_size,
                                                    ", the destination key has ", out_dim + 1));
  }
  std::vector<uint64_t> keyswitched(out_dim + 1);
  KMS_RETURN_IF_ERROR(KeyswitchLweChecked(ksk, lwe, keyswitched));

  std::vector<ShortintCiphertext> out;
  out.reserve(luts.size());
  for (const LookupTable<uint64_t>* lut : luts) {
    ShortintCiphertext block;
    block.message_modulus = server_key.message_modulus;
    block.carry_modulus = server_key.carry_modulus;
    block.atomic_pattern.kind = AtomicPatternKind::Kind::kStandard;
    block.atomic_pattern.pbs_order = server_key.pbs_order;
    block.ct.modulus = ksk.modulus;
    if (to_small) {
      // Under the small key of a KeyswitchBootstrap key: the PBS alone lands on the big key.
      block.ct.data.assign(server_key.big_lwe_dimension() + 1, 0);
      KMS_RETURN_IF_ERROR(ProgrammableBootstrap64(
          server_key.bootstrapping_key, server_key.modulus_switch, keyswitched, *lut, block.ct.data,
          server_key.drift_key ? &*server_key.drift_key : nullptr));
      block.degree = lut->degree;
      block.noise_level = 1;
    } else {
      // Already under the big key: the full KS-PBS (degree and noise level set by it).
      block.ct.data = keyswitched;
      KMS_RETURN_IF_ERROR(ApplyLookupTable(server_key, block, *lut));
    }
    out.push_back(std::move(block));
  }
  return out;
}

absl::StatusOr<std::vector<ShortintCiphertext>> ExpandCompactListBlocks(
    const ServerKey& server_key, const CastingKey& casting_key, const CompactCiphertextList& list) {
  if (list.expansion_kind.kind != ExpansionKind::Kind::kRequiresCasting) {
    return absl::InvalidArgumentError(
        "CompactCiphertextList.expansion_kind: NoCasting lists are expanded without a casting key");
  }
  if (list.message_modulus != server_key.message_modulus ||
      list.carry_modulus != server_key.carry_modulus) {
    return absl::InvalidArgumentError(
        "CompactCiphertextList: message / carry moduli differ from the server key's");
  }
  const uint64_t msg = server_key.message_modulus;
  const uint64_t carry = server_key.carry_modulus;
  // tfhe-rs IntegerUnpackingToShortintCastingModeHelper.
  const LookupTable<uint64_t> msg_lut =
      GenerateLookupTable(server_key, [msg](uint64_t x) { return x % msg; });
  const LookupTable<uint64_t> carry_lut =
      GenerateLookupTable(server_key, [msg, carry](uint64_t x) { return (x / carry) % msg; });
  const LookupTable<uint64_t> msg_bool_lut =
      GenerateLookupTable(server_key, [msg](uint64_t x) { return uint64_t{x % msg != 0}; });
  const LookupTable<uint64_t> carry_bool_lut = GenerateLookupTable(
      server_key, [msg, carry](uint64_t x) { return uint64_t{(x / carry) % msg != 0}; });

  std::vector<bool> is_bool;  // per block of the stream
  for (size_t v = 0; v < list.info.size(); ++v) {
    const DataKind& kind = list.info[v];
    switch (kind.kind) {
      case DataKind::Kind::kBoolean:
        is_bool.push_back(true);
        break;
      case DataKind::Kind::kUnsigned:
      case DataKind::Kind::kSigned:
        if (kind.block_count > list.ct_list.lwe_ciphertext_count * 2) {
          return absl::InvalidArgumentError(internal::Cat("CompactCiphertextList.info[", v,
                                                          "]: more blocks than the list holds"));
        }
        is_bool.insert(is_bool.end(), kind.block_count, false);
        break;
      case DataKind::Kind::kString:
        return absl::UnimplementedError(
            internal::Cat("CompactCiphertextList.info[", v, "]: String values"));
    }
  }
  const bool packed = list.is_packed();
  const size_t lwe_count = packed ? (is_bool.size() + 1) / 2 : is_bool.size();
  if (lwe_count != list.ct_list.lwe_ciphertext_count) {
    return absl::InvalidArgumentError(internal::Cat(
        "CompactCiphertextList: info announces ", is_bool.size(), " blocks, the list holds ",
        list.ct_list.lwe_ciphertext_count, packed ? " packed LWEs" : " LWEs"));
  }

  std::vector<ShortintCiphertext> blocks;
  blocks.reserve(is_bool.size());
  for (size_t i = 0; i < lwe_count; ++i) {
    KMS_ASSIGN_OR_RETURN(std::vector<uint64_t> lwe, CompactListLwe(list, i));
    const LookupTable<uint64_t>* luts[2];
    size_t lut_count = 0;
    if (packed) {
      luts[lut_count++] = is_bool[2 * i] ? &msg_bool_lut : &msg_lut;
      if (2 * i + 1 < is_bool.size()) {
        luts[lut_count++] = is_bool[2 * i + 1] ? &carry_bool_lut : &carry_lut;
      }
    } else {
      luts[lut_count++] = is_bool[i] ? &msg_bool_lut : &msg_lut;
    }
    KMS_ASSIGN_OR_RETURN(
        std::vector<ShortintCiphertext> out,
        CastAndApplyLookupTables(server_key, casting_key, lwe, std::span(luts, lut_count)));
    for (ShortintCiphertext& b : out) blocks.push_back(std::move(b));
  }
  return blocks;
}

absl::StatusOr<CompactCiphertextListExpander> ExpandCompactList(const ServerKey& server_key,
                                                                const CastingKey& casting_key,
                                                                const CompactCiphertextList& list) {
  CompactCiphertextListExpander out;
  KMS_ASSIGN_OR_RETURN(out.blocks, ExpandCompactListBlocks(server_key, casting_key, list));
  out.info = list.info;
  out.tag = list.tag;
  return out;
}

namespace {
// The first block of value `index` (the blocks of the values before it, in push order).
absl::StatusOr<size_t> FirstBlock(const CompactCiphertextListExpander& e, size_t index) {
  if (index >= e.info.size()) {
    return absl::InvalidArgumentError(
        internal::Cat("expander: no value ", index, " in a list of ", e.info.size()));
  }
  size_t start = 0;
  for (size_t v = 0; v < index; ++v) {
    start += e.info[v].kind == DataKind::Kind::kBoolean ? 1 : e.info[v].block_count;
  }
  return start;
}
}  // namespace

absl::StatusOr<FheUint> CompactCiphertextListExpander::GetFheUint(size_t index,
                                                                  size_t num_blocks) const {
  KMS_ASSIGN_OR_RETURN(size_t start, FirstBlock(*this, index));
  const DataKind& kind = info[index];
  if (kind.kind != DataKind::Kind::kUnsigned) {
    return absl::InvalidArgumentError(
        internal::Cat("expander: value ", index, " is not an unsigned integer"));
  }
  if (num_blocks != 0 && kind.block_count != num_blocks) {
    return absl::InvalidArgumentError(internal::Cat(
        "expander: value ", index, " has ", kind.block_count, " blocks, expected ", num_blocks));
  }
  if (start + kind.block_count > blocks.size()) {
    return absl::InvalidArgumentError("expander: fewer blocks than info announces");
  }
  FheUint out;
  out.blocks.assign(blocks.begin() + start, blocks.begin() + start + kind.block_count);
  out.tag = tag;
  return out;
}

absl::StatusOr<FheBool> CompactCiphertextListExpander::GetFheBool(size_t index) const {
  KMS_ASSIGN_OR_RETURN(size_t start, FirstBlock(*this, index));
  if (info[index].kind != DataKind::Kind::kBoolean) {
    return absl::InvalidArgumentError(
        internal::Cat("expander: value ", index, " is not a Boolean"));
  }
  if (start >= blocks.size()) {
    return absl::InvalidArgumentError("expander: fewer blocks than info announces");
  }
  FheBool out;
  out.block = blocks[start];
  out.tag = tag;
  return out;
}

}  // namespace kms::tfhe
