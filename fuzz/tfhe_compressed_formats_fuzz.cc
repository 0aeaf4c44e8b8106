// libFuzzer target: the input is handed to every parser of the 128-bit and compressed ciphertext
// formats (tfhe/squashed_noise.h, tfhe/compressed_ciphertext_list.h: SquashedNoiseFheUint,
// SquashedNoiseFheBool, CompressedCiphertextList, CompressedSquashedNoiseCiphertextList) and of the
// uncompressed PublishedServerKey (tfhe/published_server_key.h) and the CompressedXofKeySet
// (tfhe/xof_key_set.h). Whatever parses must serialize to exactly the input bytes; every LWE of an
// accepted list is unpacked (and the 128-bit blocks decrypted with a fixed key of the right
// dimension) without crashing; an accepted keyset has its masks regenerated
// (tfhe/xof_key_set_expansion.h) and an accepted published key its Fourier bootstrapping keys
// converted back (tfhe/fourier_conversion.h). Any crash, sanitizer report, leak or broken round
// trip is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "tfhe/compressed_ciphertext_list.h"
#include "tfhe/fourier_conversion.h"
#include "tfhe/published_server_key.h"
#include "tfhe/squashed_noise.h"
#include "tfhe/xof_key_set.h"
#include "tfhe/xof_key_set_expansion.h"

namespace kms::tfhe {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

template <typename T, typename ParseFn, typename SerializeFn>
std::optional<T> RoundTrip(ByteSpan data, ParseFn parse, SerializeFn serialize) {
  auto parsed = parse(data, kDefaultSizeLimit);
  if (!parsed.ok()) return std::nullopt;
  auto again = serialize(*parsed);
  Check(again.ok());
  Check(again->size() == data.size() && std::equal(data.begin(), data.end(), again->begin()));
  return std::move(*parsed);
}

// A fixed 0/1 key of `n` words (bounded so the fuzzer's RSS stays small).
std::vector<u128> FixedKey(size_t n) {
  std::vector<u128> key(n);
  for (size_t i = 0; i < n; ++i) key[i] = (i * 7 + 3) % 5 == 0;
  return key;
}

// Unpacking every LWE of a list is bounded by the list's own size except for the zero padding of
// the last body; cap the work per input.
constexpr uint64_t kMaxUnpackedWords = uint64_t{1} << 20;
constexpr uint64_t kMaxExpandedBytes = uint64_t{1} << 26;

void FuzzOne(ByteSpan data) {
  if (auto keyset = RoundTrip<CompressedXofKeySet>(data, ParseCompressedXofKeySet,
                                                   SerializeCompressedXofKeySet)) {
    Check(keyset->compressed_public_key.tag == keyset->compressed_server_key.tag);
    // Mask regeneration from the keyset stream, its output capped (libFuzzer's RSS limit).
    auto expanded = ExpandCompressedXofKeySet(*keyset, kMaxExpandedBytes);
    Check(!expanded.ok() || expanded->public_key.key.lwe_dimension() ==
                                keyset->compressed_public_key.key.lwe_dimension());
  }
  if (auto key = RoundTrip<PublishedServerKey>(data, ParsePublishedServerKey,
                                               SerializePublishedServerKey)) {
    Check(key->key_switching_key.output_lwe_size == key->small_lwe_dimension() + 1);
    // Back to the standard domain: as large as the Fourier words the input holds.
    auto bsk = FromFourierBootstrapKey(key->bootstrapping_key);
    Check(!bsk.ok() || bsk->polynomial_size == key->bootstrapping_key.polynomial_size);
    if (key->noise_squashing_key) (void)FromFourier128BootstrapKey(key->noise_squashing_key->bsk);
  }
  if (auto ct = RoundTrip<SquashedNoiseFheUint>(data, ParseSquashedNoiseFheUint,
                                                SerializeSquashedNoiseFheUint)) {
    const auto key = FixedKey(ct->packed_blocks[0].ct.lwe_dimension());
    (void)DecryptSquashedNoiseFheUint(key, *ct);
  }
  if (auto ct = RoundTrip<SquashedNoiseFheBool>(data, ParseSquashedNoiseFheBool,
                                                SerializeSquashedNoiseFheBool)) {
    const auto key = FixedKey(ct->block.ct.lwe_dimension());
    (void)DecryptSquashedNoiseFheBool(key, *ct);
  }
  if (auto list = RoundTrip<CompressedCiphertextList>(data, ParseCompressedCiphertextList,
                                                      SerializeCompressedCiphertextList)) {
    const auto& glwes = list->modulus_switched_glwe_ciphertext_list;
    if (!glwes.empty() && (glwes[0].glwe_dimension + 1) * glwes[0].polynomial_size * list->len() <=
                              kMaxUnpackedWords) {
      for (uint64_t i = 0; i < list->len(); ++i) {
        auto lwe = UnpackStorageLwe(*list, i);
        Check(lwe.ok());
        Check(lwe->lwe_dimension() == glwes[0].glwe_dimension * glwes[0].polynomial_size);
        (void)BlindRotationInput(*lwe, glwes[0].polynomial_size);
      }
      Check(!UnpackStorageLwe(*list, list->len()).ok());
    }
  }
  if (auto list = RoundTrip<CompressedSquashedNoiseCiphertextList>(
          data, ParseCompressedSquashedNoiseCiphertextList,
          SerializeCompressedSquashedNoiseCiphertextList)) {
    const auto& glwes = list->glwe_ciphertext_list;
    if (!glwes.empty() && (glwes[0].glwe_dimension + 1) * glwes[0].polynomial_size * list->len() <=
                              kMaxUnpackedWords) {
      const auto key = FixedKey(glwes[0].glwe_dimension * glwes[0].polynomial_size);
      for (uint64_t i = 0; i < list->info.size(); ++i) {
        if (list->info[i].kind == DataKind::Kind::kUnsigned) {
          auto v = GetSquashedNoiseFheUint(*list, i);
          if (v.ok()) {
            Check(SerializeSquashedNoiseFheUint(*v).ok());
            (void)DecryptSquashedNoiseFheUint(key, *v);
          }
        } else if (list->info[i].kind == DataKind::Kind::kBoolean) {
          // Lists holding strings are not cross-checked, so a slot may fall outside the list.
          auto v = GetSquashedNoiseFheBool(*list, i);
          if (v.ok()) Check(SerializeSquashedNoiseFheBool(*v).ok());
        }
      }
    }
  }
}

}  // namespace
}  // namespace kms::tfhe

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kms::tfhe::FuzzOne(kms::ByteSpan(data, size));
  return 0;
}
