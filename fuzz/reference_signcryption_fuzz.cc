// libFuzzer target: arbitrary bytes as every parser of outside bytes in the reference (kms
// v0.12.8) signcryption profile (src/crypto/reference_signcryption.h): the request's enc_key, the
// user's stored decapsulation key, a response's bincode(UserDecryptionResponsePayload) (what a
// wallet receives from the relayer), its verification key, a signcrypted ciphertext (bincode
// HybridKemCt), the signcrypted SigncryptionPayload and the share vector inside it. An accepted
// input must re-encode to exactly itself; a signcrypted ciphertext must never unsigncrypt under a
// fixed key (no fuzzer can forge the inner signature). Any crash, sanitizer report or broken
// property is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "crypto/ml_kem.h"
#include "crypto/reference_signcryption.h"

namespace kms::crypto::reference {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Fixed {
  MlKemKeyPair user;
  UserEncKey key;
  SigningKey signer;
};

Fixed MakeFixed() {
  const MlKem kem(kMlKem512);
  Bytes seed(64, 7);
  MlKemKeyPair user = *kem.KeyGenFromSeed(seed);
  UserEncKey key = *ParseUserEncKey(*EncodeUserEncKey(kMlKem512, user.encapsulation_key));
  Bytes secret(32, 1);
  return Fixed{std::move(user), std::move(key), *SigningKey::FromBytes(secret)};
}

}  // namespace
}  // namespace kms::crypto::reference

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kms;
  using namespace kms::crypto::reference;
  static const Fixed fixed = MakeFixed();
  const ByteSpan in(data, size);

  if (auto key = ParseUserEncKey(in); key.ok()) {
    Check(key->encoded == Bytes(in.begin(), in.end()));
    const bool legacy = key->params == &crypto::kMlKem1024 && size == 8 + 1568;
    Check((legacy ? EncodeLegacyUserEncKey(key->ek) : EncodeUserEncKey(*key->params, key->ek))
              .value() == key->encoded);
  }
  (void)ParseUserDecKey(in);
  if (auto vk = ParsePublicSigKey(in); vk.ok() && size == kPublicSigKeySize) {
    Check(EncodePublicSigKey(*vk) == Bytes(in.begin(), in.end()));
  }
  if (auto p = ParseUserDecryptionPayload(in); p.ok()) {
    Check(EncodeUserDecryptionPayload(*p) == Bytes(in.begin(), in.end()));
  }
  if (auto ct = ParseHybridKemCt(in); ct.ok()) {
    Check(EncodeHybridKemCt(*ct) == Bytes(in.begin(), in.end()));
    Check(!Unsigncrypt(fixed.user.decapsulation_key, fixed.key, crypto::EthAddress{},
                       fixed.signer.verification_key(), in)
               .ok());
  }
  if (auto sp = ParseSigncryptionPayload(in); sp.ok()) {
    Check(EncodeSigncryptionPayload(sp->plaintext, sp->fhe_type, sp->link) ==
          Bytes(in.begin(), in.end()));
  }
  if (auto polys = ParseResiduePolys(in, 64); polys.ok()) {
    Check(EncodeResiduePolys(*polys) == Bytes(in.begin(), in.end()));
  }
  return 0;
}
