// libFuzzer target: the input is handed to every parser of the tfhe layer (tfhe-rs 1.4 blobs:
// ClientKey, CompactPublicKey, CompressedCompactPublicKey, CompactCiphertextList, FheUint,
// FheBool, CompressedServerKey). Whatever parses must serialize to exactly the input bytes (the
// encoding is canonical: nothing is normalized or dropped) and radix ciphertexts must survive
// decryption with a fixed key. Any crash, sanitizer report, leak or broken round trip is a bug.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "tfhe/ciphertext.h"
#include "tfhe/client_key.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/compact_ciphertext_list.h"
#include "tfhe/compact_public_key.h"
#include "tfhe/compressed_server_key.h"
#include "tfhe/conformance.h"
#include "tfhe/mask_regeneration.h"

namespace kms::tfhe {
namespace {

// A round-trip mismatch is a bug like a crash: abort so libFuzzer keeps the input.
void Check(bool condition) {
  if (!condition) std::abort();
}

// Deterministic bytes for encryption (a counter; the fuzzer needs reproducibility, not secrecy).
class FixedRng final : public algebra::RandomSource {
 public:
  void Fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = static_cast<uint8_t>(counter_++ * 0x9d);
  }

 private:
  uint64_t counter_ = 1;
};

// A fixed key of the kms-test shape (n = 1, k = 1, N = 256, message 4, carry 4) so that parsed
// kms-test ciphertexts reach the decryption code.
const ClientKey& FixedKey() {
  static const ClientKey* const key = [] {
    auto* k = new ClientKey;
    k->parameters.lwe_dimension = 1;
    k->parameters.glwe_dimension = 1;
    k->parameters.polynomial_size = 256;
    k->parameters.message_modulus = 4;
    k->parameters.carry_modulus = 4;
    k->glwe_secret_key.polynomial_size = 256;
    k->glwe_secret_key.data.resize(256);
    for (size_t i = 0; i < 256; ++i) k->glwe_secret_key.data[i] = (i * 7 + 3) % 5 == 0;
    k->lwe_secret_key.data = {1};
    return k;
  }();
  return *key;
}

template <typename T, typename ParseFn, typename SerializeFn>
const T* RoundTrip(ByteSpan data, ParseFn parse, SerializeFn serialize, std::optional<T>& out) {
  auto parsed = parse(data, kDefaultSizeLimit);
  if (!parsed.ok()) return nullptr;
  auto again = serialize(*parsed);
  Check(again.ok());
  Check(again->size() == data.size() && std::equal(data.begin(), data.end(), again->begin()));
  out = std::move(*parsed);
  return &*out;
}

void FuzzOne(ByteSpan data) {
  {
    std::optional<ClientKey> v;
    const ClientKey* key = RoundTrip(
        data, ParseClientKey,
        [](const ClientKey& k) -> absl::StatusOr<Bytes> {
          auto s = SerializeClientKey(k);
          if (!s.ok()) return s.status();
          return Bytes(s->span().begin(), s->span().end());
        },
        v);
    if (key != nullptr) {
      // Any parsed key encrypts; with noise below Δ/2 (at least 2^46 here) it decrypts back,
      // whatever its key words (the phase does not depend on them).
      FixedRng rng;
      auto ct = EncryptFheUint(*key, 0x2d, 3, rng);
      const auto& noise = key->parameters.encryption_key_choice == EncryptionKeyChoice::kBig
                              ? key->parameters.glwe_noise_distribution
                              : key->parameters.lwe_noise_distribution;
      if (ct.ok() && noise.bound_log2 <= 40) {
        auto value = DecryptFheUint(*key, *ct);
        Check(value.ok());
        const uint64_t bits = std::countr_zero(key->parameters.message_modulus) * 3;
        const u128 mask = bits >= 128 ? ~u128{0} : (u128{1} << bits) - 1;
        Check(*value == (u128{0x2d} & mask));
      }
    }
  }
  {
    std::optional<CompactPublicKey> v;
    RoundTrip(data, ParseCompactPublicKey, SerializeCompactPublicKey, v);
  }
  {
    std::optional<CompressedCompactPublicKey> v;
    if (const auto* key = RoundTrip(data, ParseCompressedCompactPublicKey,
                                    SerializeCompressedCompactPublicKey, v)) {
      // Mask regeneration of an accepted key always gives a serializable CPK.
      auto cpk = DecompressCompactPublicKey(*key);
      Check(!cpk.ok() || SerializeCompactPublicKey(*cpk).ok());
    }
  }
  {
    std::optional<CompactCiphertextList> v;
    if (const auto* list =
            RoundTrip(data, ParseCompactCiphertextList, SerializeCompactCiphertextList, v)) {
      Check(list->ct_list.data.size() ==
            list->ct_list.mask_count() * list->ct_list.lwe_dimension() +
                list->ct_list.lwe_ciphertext_count);
    }
  }
  {
    std::optional<FheUint> v;
    if (const auto* ct = RoundTrip(data, ParseFheUint, SerializeFheUint, v)) {
      (void)DecryptFheUint(FixedKey(), *ct);
      (void)CheckConformance(*ct, FixedKey().parameters, ct->blocks.size());
    }
  }
  {
    std::optional<FheBool> v;
    if (const auto* ct = RoundTrip(data, ParseFheBool, SerializeFheBool, v)) {
      (void)DecryptFheBool(FixedKey(), *ct);
      (void)CheckConformance(*ct, FixedKey().parameters);
    }
  }
  {
    std::optional<CompressedServerKey> v;
    if (const auto* key =
            RoundTrip(data, ParseCompressedServerKey, SerializeCompressedServerKey, v)) {
      Check(key->small_lwe_dimension() + 1 == key->key_switching_key.output_lwe_size);
      (void)CheckConformance(*key, FixedKey());
      // Mask regeneration, when the result stays small (libFuzzer's RSS limit; the 2 GiB limit
      // of DecompressX itself is tested in tfhe_mask_regeneration_test).
      constexpr uint64_t kMaxWords = uint64_t{1} << 22;
      const auto& ksk = key->key_switching_key;
      if (ksk.output_lwe_size <= kMaxWords && ksk.data.size() * ksk.output_lwe_size <= kMaxWords) {
        auto full = DecompressKeySwitchingKey(ksk);
        Check(!full.ok() || full->input_lwe_dimension() == ksk.input_lwe_dimension());
      }
      const auto& ggsw = key->bootstrapping_key.ggsw_list;
      if (ggsw.glwe_size <= kMaxWords && ggsw.data.size() * ggsw.glwe_size <= kMaxWords) {
        (void)DecompressBootstrapKey(key->bootstrapping_key);
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
