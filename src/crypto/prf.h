// File: crypto/prf.h
//
// The AES-128 PRFs behind PRSS, PRZS and the decryption mask (crypto-spec B §2.5). For one set
// A with agreed key r_A and session sid, three AES keys, one per PRF (tweak 0 psi, 1 chi, 2 phi):
//   K_tweak = AES_{r_A}( AES_{r_A}(u128le(sid)) XOR B_tweak ),  B_tweak = "PRSS_KEY" ||
//   u64le(tweak)
// i.e. the CBC-MAC under r_A of the two blocks u128le(sid) || B_tweak.
// Block encodings (a block is read and written as a little-endian u128):
//   psi(ctr)[i]    = AES_psi(ctr | i << 112)              ctr < 2^112, i = extension index
//   chi(ctr, j)[i] = AES_chi(ctr | j << 104 | i << 112)   ctr < 2^104, j = 1..t
//   phi_Bd1(ctr)   = -Bd1 + (AES_phi(ctr) mod 2*Bd1)      ctr < 2^120, a signed value
// Outputs are raw u128 values; the mpc layer turns them into ring elements (truncating to the
// low 64 bits for Z/2^64). Batched calls amortise the key and loop overhead.
//
// Why the keys are derived, not XORed (crypto-spec A.5; the reference uses r_A XOR tweak XOR
// u128le(sid)): with XOR, the phi key under sid S was the psi key under S XOR 2 (and the chi key
// under S the psi key under S XOR 1), so one session's flooding masks could be another session's
// PRSS randomness, and every key was a known offset of r_A (a related-key setting AES is not
// designed for). The derivation must be a PRF of r_A over the pair (tweak, sid), which does not
// fit in one 16-byte block next to a 128-bit sid; hence two blocks:
//  - fixed-length CBC-MAC with a PRP is a PRF (Bellare-Kilian-Rogaway), so the keys of all
//    (sid, tweak) pairs are independent-looking; keys under one sid are pairwise distinct (AES is
//    a permutation), and no relation between keys of different sids can be computed without r_A;
//  - it rests on the assumption the PRSS already makes (AES is a PRF), with no new primitive;
//  - it is cheap: four AES blocks on top of the three key schedules the XOR version needed, as
//    mpc::PrssSetup keeps r_A's key schedule (measured ~0.32 us per set against ~0.23 us for
//    XOR, ~160 us per session at 13 parties; crypto_bench BM_PrssPrfKeySetup*). SHAKE-256
//    through OpenSSL costs ~2.5 us per call here, ~3.7 ms per session for 495 sets x 3 keys, and
//    sessions are short: a public decryption is one session, a user decryption one per
//    ciphertext.
// Key derivation runs once per session and set (PrssState's constructor), never per block.
// AES_{r_A} is used for nothing else, and always on exactly two blocks ending in a "PRSS_KEY"
// block; a new use of r_A needs another label block. Known-answer vectors are in
// tests/crypto/prf_test.cc, computed by tests/crypto/kat/prss_prf_kat.py.
#ifndef KMS_CRYPTO_PRF_H_
#define KMS_CRYPTO_PRF_H_

#include <cstddef>
#include <cstdint>

#include "crypto/aes128.h"
#include "crypto/session_id.h"

namespace kms::crypto {

// The three PRFs, by their tweak in the key derivation.
enum class PrfKind : uint8_t { kPsi = 0, kChi = 1, kPhi = 2 };

// K_kind for set key r_A in session sid (formula above). PrssPrf derives its keys this way; this
// one-key form is for tests and tools. The result is a secret: zero it after use.
AesKey DerivePrssPrfKey(const AesKey& r_a, PrfKind kind, SessionId sid);

class PrssPrf {
 public:
  // Derives the three keys of set key r_A for session sid (once per session and set).
  PrssPrf(const AesKey& r_a, SessionId sid);
  // The same with r_A's key schedule already expanded (mpc::PrssSetup keeps one per set, so a
  // session pays three key schedules per set, not four).
  PrssPrf(const Aes128& r_a_cipher, SessionId sid);

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
