#include "crypto/keccak.h"

#include <cryptopp/keccak.h>

namespace kms::crypto {

Digest Keccak256(ByteSpan data) { return Keccak256({data}); }

Digest Keccak256(std::initializer_list<ByteSpan> parts) {
  // Keccak_256 keeps its 200-byte state inline, so a fresh object per call costs nothing
  // beyond the permutation itself and keeps the function free of shared state.
  CryptoPP::Keccak_256 keccak;
  for (ByteSpan part : parts) {
    if (!part.empty()) keccak.Update(part.data(), part.size());
  }
  Digest digest;
  static_assert(CryptoPP::Keccak_256::DIGESTSIZE == sizeof(Digest));
  keccak.Final(digest.data());
  return digest;
}

}  // namespace kms::crypto
