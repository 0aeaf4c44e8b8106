#include "crypto/prf.h"

#include <cassert>
#include <vector>

#include "crypto/secure_zero.h"

namespace kms::crypto {
namespace {

using U128 = unsigned __int128;

AesKey DeriveKey(const AesKey& r_a, uint8_t tweak, SessionId sid) {
  AesKey k = r_a;
  k[0] ^= tweak;
  for (int i = 0; i < 16; ++i) k[i] ^= static_cast<uint8_t>(sid >> (8 * i));
  return k;
}

}  // namespace

PrssPrf::PrssPrf(const AesKey& r_a, SessionId sid) {
  AesKey k = DeriveKey(r_a, 0, sid);
  psi_.SetKey(k);
  k = DeriveKey(r_a, 1, sid);
  chi_.SetKey(k);
  k = DeriveKey(r_a, 2, sid);
  phi_.SetKey(k);
  SecureZero(k.data(), k.size());
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
