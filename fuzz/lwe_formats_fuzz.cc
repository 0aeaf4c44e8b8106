// libFuzzer target: the input is handed to every parser of the lwe layer's binary formats
// (src/lwe/formats.h) and to the text parsers of typed values. Whatever parses must serialize
// again to something that parses to the same object, and must survive expansion and
// decryption with a fixed key. Any crash, sanitizer report or broken round trip is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/random.h"
#include "lwe/encryption.h"
#include "lwe/formats.h"
#include "lwe/typed_ciphertext.h"
#include "lwe/typed_plaintext.h"

namespace kms::lwe {
namespace {

// A round-trip mismatch is a bug like a crash: abort so libFuzzer keeps the input.
void Check(bool condition) {
  if (!condition) std::abort();
}

// One fixed key per parameter set, made once.
const SecretKey& KeyFor(const LweParameters& params) {
  static const SecretKey* const kTest = [] {
    crypto::AesCtrRng rng(crypto::AesKey{1}, 0);
    return new SecretKey(SecretKey::Generate(TestParameters(), rng));
  }();
  static const SecretKey* const kDefault = [] {
    crypto::AesCtrRng rng(crypto::AesKey{2}, 0);
    return new SecretKey(SecretKey::Generate(DefaultParameters(), rng));
  }();
  return params.name == "test" ? *kTest : *kDefault;
}

void ExerciseList(const CompactCiphertextList& list) {
  Check(ValidateCompactCiphertextList(list).ok());
  const SecretKey& key = KeyFor(*list.params);
  const size_t last = list.bodies.size() - 1;
  const LweCiphertext ct = ExpandBlock(list, last);
  Check(DecryptPhase(key, ct) == DecryptBlockPhase(key, list, last));
  (void)DecodeBlock(DecryptPhase(key, ct), *list.params);
}

void FuzzOne(ByteSpan data) {
  if (auto pk = ParseCompactPublicKey(data); pk.ok()) {
    auto again = SerializeCompactPublicKey(*pk);
    Check(again.ok());
    auto back = ParseCompactPublicKey(*again);
    Check(back.ok() && back->seed == pk->seed && back->body == pk->body && back->mask == pk->mask);
  }
  if (auto sk = ParseSecretKey(data); sk.ok()) {
    auto again = SerializeSecretKey(*sk);
    Check(again.ok());
    auto back = ParseSecretKey(again->span());
    Check(back.ok() && back->dimension() == sk->dimension() &&
          std::equal(back->bits().begin(), back->bits().end(), sk->bits().begin()));
  }
  if (auto list = ParseCompactCiphertextList(data); list.ok()) {
    ExerciseList(*list);
    auto again = SerializeCompactCiphertextList(*list);
    Check(again.ok());
    auto back = ParseCompactCiphertextList(*again);
    Check(back.ok() && back->mask == list->mask && back->bodies == list->bodies);
  }
  if (auto typed = ParseTypedCiphertext(data); typed.ok()) {
    ExerciseList(typed->list);
    // A wrong width is an error, never a crash.
    auto value = DecryptTyped(KeyFor(*typed->list.params), *typed);
    if (value.ok()) {
      Check(value->type == typed->type);
      (void)value->ToString();
    }
    auto again = SerializeTypedCiphertext(*typed);
    Check(again.ok());
    auto back = ParseTypedCiphertext(*again);
    Check(back.ok() && back->type == typed->type && back->list.bodies == typed->list.bodies);
  }
  if (auto typed = ParseTypedCiphertextList(data); typed.ok()) {
    ExerciseList(typed->list);
    auto values = DecryptTypedList(KeyFor(*typed->list.params), *typed);
    if (values.ok()) Check(values->size() == typed->types.size());
    auto again = SerializeTypedCiphertextList(*typed);
    Check(again.ok());
    auto back = ParseTypedCiphertextList(*again);
    Check(back.ok() && back->types == typed->types && back->list.bodies == typed->list.bodies);
  }

  // The text parsers: parameter set and type names, and typed values as decimal / hex strings.
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  (void)ParametersByName(text);
  (void)FheTypeFromName(text);
  for (FheType type : kAllFheTypes) {
    if (auto p = TypedPlaintext::FromString(type, text); p.ok()) {
      auto back = TypedPlaintext::FromString(type, p->ToString());
      Check(back.ok() && *back == *p);
      auto blocks =
          TypedPlaintext::FromBlocks(type, p->ToBlocks(TestParameters()), TestParameters());
      Check(blocks.ok() && *blocks == *p);
    }
    (void)TypedPlaintext::FromLeBytes(type, data.first(std::min<size_t>(data.size(), 32)));
  }
}

}  // namespace
}  // namespace kms::lwe

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kms::lwe::FuzzOne(kms::ByteSpan(data, size));
  return 0;
}
