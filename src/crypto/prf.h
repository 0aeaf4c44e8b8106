// File: crypto/prf.h
//
// The AES-128 PRFs behind PRSS, PRZS and the decryption mask (crypto-spec B §2.5). For one set
// A with agreed key r_A and session sid, three AES keys:
//   psi key = r_A XOR u128le(sid);  chi key = (r_A, byte0 ^= 1) XOR u128le(sid);
//   phi key = (r_A, byte0 ^= 2) XOR u128le(sid).
// Block encodings (a block is read and written as a little-endian u128):
//   psi(ctr)[i]    = AES_psi(ctr | i << 112)              ctr < 2^112, i = extension index
//   chi(ctr, j)[i] = AES_chi(ctr | j << 104 | i << 112)   ctr < 2^104, j = 1..t
//   phi_Bd1(ctr)   = -Bd1 + (AES_phi(ctr) mod 2*Bd1)      ctr < 2^120, a signed value
// Outputs are raw u128 values; the mpc layer turns them into ring elements (truncating to the
// low 64 bits for Z/2^64). Batched calls amortise the key and loop overhead.
#ifndef KMS_CRYPTO_PRF_H_
#define KMS_CRYPTO_PRF_H_

#include <cstddef>
#include <cstdint>

#include "crypto/aes128.h"
#include "crypto/session_id.h"

namespace kms::crypto {

class PrssPrf {
 public:
  PrssPrf(const AesKey& r_a, SessionId sid);

  // out[k * degree + i] = psi(ctr0 + k)[i] for k < count, i < degree.
  void Psi(uint64_t ctr0, size_t count, int degree, unsigned __int128* out) const;
  // out[k * degree + i] = chi(ctr0 + k, j)[i].
  void Chi(uint64_t ctr0, size_t count, int degree, int j, unsigned __int128* out) const;
  // out[k] = phi_bd1(ctr0 + k) as a two's-complement u128. REQUIRES: 0 < bd1 <= 2^126.
  void Phi(uint64_t ctr0, size_t count, unsigned __int128 bd1, unsigned __int128* out) const;

 private:
  Aes128 psi_, chi_, phi_;
};

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_PRF_H_
