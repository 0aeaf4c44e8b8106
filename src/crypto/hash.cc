#include "crypto/hash.h"

#include <openssl/evp.h>

#include <cassert>
#include <stdexcept>

namespace kms::crypto {
namespace {
EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }
}  // namespace

Shake256::Shake256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(Ctx(ctx_), EVP_shake256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL: cannot initialise SHAKE-256");
}

Shake256::~Shake256() { EVP_MD_CTX_free(Ctx(ctx_)); }

Shake256& Shake256::Update(ByteSpan data) {
  EVP_DigestUpdate(Ctx(ctx_), data.data(), data.size());
  return *this;
}

Shake256& Shake256::UpdateU64Le(uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return Update(ByteSpan(b, 8));
}

Shake256& Shake256::UpdateU128Le(unsigned __int128 v) {
  uint8_t b[16];
  for (int i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return Update(ByteSpan(b, 16));
}

void Shake256::Finish(std::span<uint8_t> out) {
  EVP_DigestFinalXOF(Ctx(ctx_), out.data(), out.size());
}

Digest Shake256::Finish32() {
  Digest d;
  Finish(d);
  return d;
}

Digest HashElement(Dsep dsep, ByteSpan message) {
  assert(dsep.size() == 8);
  return Shake256().Update(dsep).Update(message).Finish32();
}

Digest HashList(Dsep dsep, std::initializer_list<ByteSpan> elements) {
  assert(dsep.size() == 8);
  Shake256 h;
  h.Update(kDsepHashList).Update(dsep).UpdateU64Le(elements.size());
  for (ByteSpan e : elements) h.Update(e);
  return h.Finish32();
}

Digest HashList(Dsep dsep, std::span<const Bytes> elements) {
  assert(dsep.size() == 8);
  Shake256 h;
  h.Update(kDsepHashList).Update(dsep).UpdateU64Le(elements.size());
  for (const Bytes& e : elements) h.Update(e);
  return h.Finish32();
}

Digest Commit(uint64_t role, unsigned __int128 session_id, uint64_t round, ByteSpan message,
              std::span<const uint8_t, 16> opening) {
  return Shake256()
      .Update(kDsepCommitment)
      .UpdateU64Le(role)
      .UpdateU128Le(session_id)
      .UpdateU64Le(round)
      .Update(message)
      .Update(ByteSpan(opening.data(), opening.size()))
      .Finish32();
}

}  // namespace kms::crypto
