#include "crypto/prf.h"

#include <cassert>
#include <vector>

#include "crypto/secure_zero.h"

namespace kms::crypto {
namespace {

using U128 = unsigned __int128;

// B_tweak = "PRSS_KEY" || u64le(tweak), as a little-endian u128.
U128 LabelBlock(PrfKind kind) {
  static constexpr char kLabel[] = "PRSS_KEY";
  uint64_t label = 0;
  for (int i = 7; i >= 0; --i) label = label << 8 | static_cast<uint8_t>(kLabel[i]);
  return static_cast<U128>(static_cast<uint64_t>(kind)) << 64 | label;
}

// keys[k] = AES_{r_A}(AES_{r_A}(u128le(sid)) XOR B_k) for k = 0 (psi), 1 (chi), 2 (phi), with
// `master` keyed with r_A.
void DeriveKeys(const Aes128& master, SessionId sid, AesKey (&keys)[3]) {
  U128 chain = sid;
  master.EncryptU128(&chain, &chain, 1);
  U128 blocks[3];
  for (int k = 0; k < 3; ++k) blocks[k] = chain ^ LabelBlock(static_cast<PrfKind>(k));
  master.EncryptU128(blocks, blocks, 3);
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < 16; ++i) keys[k][i] = static_cast<uint8_t>(blocks[k] >> (8 * i));
  }
  SecureZero(&chain, sizeof(chain));
  SecureZero(blocks, sizeof(blocks));
}

}  // namespace

AesKey DerivePrssPrfKey(const AesKey& r_a, PrfKind kind, SessionId sid) {
  AesKey keys[3];
  DeriveKeys(Aes128(r_a), sid, keys);
  const AesKey out = keys[static_cast<int>(kind)];
  SecureZero(keys, sizeof(keys));
  return out;
}

PrssPrf::PrssPrf(const AesKey& r_a, SessionId sid) : PrssPrf(Aes128(r_a), sid) {}

PrssPrf::PrssPrf(const Aes128& r_a_cipher, SessionId sid) {
  AesKey keys[3];
  DeriveKeys(r_a_cipher, sid, keys);
  psi_.SetKey(keys[static_cast<int>(PrfKind::kPsi)]);
  chi_.SetKey(keys[static_cast<int>(PrfKind::kChi)]);
  phi_.SetKey(keys[static_cast<int>(PrfKind::kPhi)]);
  SecureZero(keys, sizeof(keys));
}

void PrssPrf::Psi(uint64_t ctr0, size_t count, int degree, U128* out) const {
  for (size_t k = 0; k < count; ++k)
    for (int i = 0; i < degree; ++i)
      out[k * degree + i] = static_cast<U128>(ctr0 + k) | static_cast<U128>(i) << 112;
  psi_.EncryptU128(out, out, count * static_cast<size_t>(degree));
}

void PrssPrf::Chi(uint64_t ctr0, size_t count, int degree, int j, U128* out) const {
  for (size_t k = 0; k < count; ++k)
    for (int i = 0; i < degree; ++i)
      out[k * degree + i] =
          static_cast<U128>(ctr0 + k) | static_cast<U128>(j) << 104 | static_cast<U128>(i) << 112;
  chi_.EncryptU128(out, out, count * static_cast<size_t>(degree));
}

void PrssPrf::Phi(uint64_t ctr0, size_t count, U128 bd1, U128* out) const {
  assert(bd1 > 0 && bd1 <= static_cast<U128>(1) << 126);
  for (size_t k = 0; k < count; ++k) out[k] = static_cast<U128>(ctr0 + k);
  phi_.EncryptU128(out, out, count);
  const U128 range = 2 * bd1;
  const bool pow2 = (range & (range - 1)) == 0;
  for (size_t k = 0; k < count; ++k) {
    U128 r = pow2 ? (out[k] & (range - 1)) : (out[k] % range);
    out[k] = r - bd1;  // wraps to two's complement for negative values
  }
}

}  // namespace kms::crypto
