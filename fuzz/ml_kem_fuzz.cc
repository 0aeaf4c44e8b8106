// libFuzzer target: arbitrary bytes as the untrusted inputs of ML-KEM (src/crypto/ml_kem.h). The
// first byte picks the parameter set (bit 0: ML-KEM-512 or ML-KEM-1024); the rest is tried as
//   - an encapsulation key (what a server receives in a user decryption request): the §7.2 check
//     and Encaps must agree, and an accepted key gives a ciphertext of the right size;
//   - a ciphertext for a fixed key (what our client receives): it decapsulates exactly when its
//     length is right, to the honest shared secret for the honest ciphertext and otherwise to the
//     implicit-rejection key J(z ‖ c), computed here with the independent SHAKE256 of hash.h;
//   - a decapsulation key with the honest ciphertext: the §7.3 check and Decaps must agree;
//   - with at least 96 bytes, a seed (64) and a message (32) for KeyGen and Encaps, whose
//     ciphertext must decapsulate to the same shared secret.
// Any crash, sanitizer report or broken property is a bug.
//
// The fixed keys are those of record 2 of tests/crypto/ml_kem_kat/noble_vectors.txt (its seed is
// SHAKE256 of a label), so the seed corpus fuzz/corpus/ml_kem_fuzz/ holds that record's ek, dk and
// ct behind their parameter-set byte.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "crypto/hash.h"
#include "crypto/ml_kem.h"

namespace kms::crypto {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Fixed {
  MlKem kem;
  MlKemKeyPair keys;
  MlKemEncapsulation encapsulation;
};

Fixed MakeFixed(const MlKemParameters& params) {
  const std::string set(params.name);
  Bytes seed(64), m(32);
  Shake256().Update("kms ML-KEM KAT seed " + set + " 2").Finish(seed);
  Shake256().Update("kms ML-KEM KAT message " + set + " 2").Finish(m);
  MlKem kem(params);
  auto keys = kem.KeyGenFromSeed(seed);
  Check(keys.ok());
  auto enc = kem.EncapsWithMessage(keys->encapsulation_key, m);
  Check(enc.ok());
  return Fixed{kem, std::move(*keys), std::move(*enc)};
}

const Fixed& FixedFor(bool ml_kem_1024) {
  static const Fixed* const k512 = new Fixed(MakeFixed(kMlKem512));
  static const Fixed* const k1024 = new Fixed(MakeFixed(kMlKem1024));
  return ml_kem_1024 ? *k1024 : *k512;
}

bool SameBytes(ByteSpan a, ByteSpan b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

void FuzzOne(ByteSpan data) {
  if (data.empty()) return;
  const Fixed& fixed = FixedFor(data[0] & 1);
  const MlKem& kem = fixed.kem;
  const MlKemParameters& p = kem.params();
  const ByteSpan input = data.subspan(1);
  const ByteSpan dk = fixed.keys.decapsulation_key.span();

  // As an encapsulation key.
  {
    const bool valid = kem.CheckEncapsulationKey(input).ok();
    auto enc = kem.EncapsWithMessage(input, ByteSpan(dk).first(32));
    Check(enc.ok() == valid);
    if (valid) Check(input.size() == p.encapsulation_key_size);
    if (enc.ok())
      Check(enc->ciphertext.size() == p.ciphertext_size && enc->shared_secret.size() == 32);
  }

  // As a ciphertext for the fixed key.
  {
    auto key = kem.Decaps(dk, input);
    Check(key.ok() == (input.size() == p.ciphertext_size));
    if (key.ok()) {
      Check(key->size() == 32);
      if (SameBytes(input, fixed.encapsulation.ciphertext)) {
        Check(SameBytes(key->span(), fixed.encapsulation.shared_secret.span()));
      } else {
        const Digest j = Shake256().Update(dk.last(32)).Update(input).Finish32();
        Check(SameBytes(key->span(), j));
      }
    }
  }

  // As a decapsulation key.
  {
    const bool valid = kem.CheckDecapsulationKey(input).ok();
    auto key = kem.Decaps(input, fixed.encapsulation.ciphertext);
    Check(key.ok() == valid);
    if (SameBytes(input, dk))
      Check(key.ok() && SameBytes(key->span(), fixed.encapsulation.shared_secret.span()));
  }

  // As a seed and a message.
  if (input.size() >= 96) {
    auto keys = kem.KeyGenFromSeed(input.first(64));
    Check(keys.ok());
    Check(kem.CheckEncapsulationKey(keys->encapsulation_key).ok());
    Check(kem.CheckDecapsulationKey(keys->decapsulation_key.span()).ok());
    auto enc = kem.EncapsWithMessage(keys->encapsulation_key, input.subspan(64, 32));
    Check(enc.ok());
    auto key = kem.Decaps(keys->decapsulation_key.span(), enc->ciphertext);
    Check(key.ok() && SameBytes(key->span(), enc->shared_secret.span()));
  }
}

}  // namespace
}  // namespace kms::crypto

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kms::crypto::FuzzOne(kms::ByteSpan(data, size));
  return 0;
}
