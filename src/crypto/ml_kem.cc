#include "crypto/ml_kem.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>

#include "crypto/ml_kem_internal.h"
#include "crypto/random.h"

// The code follows FIPS 203 top-down: the FIPS 202 functions (§4.1), the sampling algorithms
// (§4.2.2), the NTT (§4.3), K-PKE (§5) and ML-KEM (§6, §7). Algorithm numbers are the standard's.
// Polynomials hold coefficients fully reduced to [0, q) in uint16_t; every operation keeps them
// there with the constant-time helpers of ml_kem_internal.h.

namespace kms::crypto {
namespace {

using namespace ml_kem_internal;  // NOLINT: the arithmetic vocabulary of this file

constexpr int kMaxK = 4;
constexpr size_t kPolyBytes = 384;  // ByteEncode12 of one polynomial
constexpr size_t kSymBytes = 32;    // rho, sigma, r, m, h, z, K
constexpr size_t kXofBlock = 168;   // SHAKE128 rate
constexpr size_t kMaxCiphertextSize = 1568;

using Poly = std::array<uint16_t, kN>;
using PolyVec = std::array<Poly, kMaxK>;

// Zeroes the referenced objects when the scope ends, whichever way it ends.
template <typename... T>
class WipeOnExit {
 public:
  explicit WipeOnExit(T&... objects) : objects_(objects...) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() {
    std::apply([](auto&... o) { (SecureZero(&o, sizeof(o)), ...); }, objects_);
  }

 private:
  std::tuple<T&...> objects_;
};

// Hides a value from the optimiser, so that a mask computed from it is not turned back into a
// branch (the compiler may not reason "mask is 0 or all ones, so branch on it").
inline uint32_t ValueBarrier(uint32_t x) {
  asm volatile("" : "+r"(x));
  return x;
}

// ---------------------------------------------------------------------------------------------
// §4.1 H, G, J, PRF and XOF over OpenSSL's EVP.

struct Sha3Algorithms {
  EVP_MD* sha3_256;
  EVP_MD* sha3_512;
  EVP_MD* shake128;
  EVP_MD* shake256;
};

// Fetched once: EVP_sha3_256() and friends would fetch the implementation again on every
// EVP_DigestInit, which costs more than hashing a few hundred bytes.
const Sha3Algorithms& Algorithms() {
  static const Sha3Algorithms* const kAlgorithms = [] {
    auto* a = new Sha3Algorithms{
        EVP_MD_fetch(nullptr, "SHA3-256", nullptr), EVP_MD_fetch(nullptr, "SHA3-512", nullptr),
        EVP_MD_fetch(nullptr, "SHAKE128", nullptr), EVP_MD_fetch(nullptr, "SHAKE256", nullptr)};
    if (a->sha3_256 == nullptr || a->sha3_512 == nullptr || a->shake128 == nullptr ||
        a->shake256 == nullptr)
      throw std::runtime_error("OpenSSL: SHA3-256, SHA3-512, SHAKE128 or SHAKE256 unavailable");
    return a;
  }();
  return *kAlgorithms;
}

// One EVP context, reused for every hash of one ML-KEM operation. Not thread-safe.
class Sha3 {
 public:
  Sha3() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) throw std::runtime_error("OpenSSL: cannot allocate a digest context");
  }
  ~Sha3() { EVP_MD_CTX_free(ctx_); }  // the SHA-3 provider cleanses its state when freed
  Sha3(const Sha3&) = delete;
  Sha3& operator=(const Sha3&) = delete;

  // H(s) = SHA3-256(s).
  void H(ByteSpan s, std::span<uint8_t, 32> out) { Run(Algorithms().sha3_256, {s}, out, false); }
  // G(a ‖ b) = SHA3-512(a ‖ b).
  void G(ByteSpan a, ByteSpan b, std::span<uint8_t, 64> out) {
    Run(Algorithms().sha3_512, {a, b}, out, false);
  }
  // J(z ‖ c) = SHAKE256(z ‖ c, 32 bytes).
  void J(ByteSpan z, ByteSpan c, std::span<uint8_t, 32> out) {
    Run(Algorithms().shake256, {z, c}, out, true);
  }
  // PRF_eta(s, b) = SHAKE256(s ‖ b, 64 eta bytes); out.size() is 64 eta.
  void Prf(ByteSpan s, uint8_t b, std::span<uint8_t> out) {
    Run(Algorithms().shake256, {s, ByteSpan(&b, 1)}, out, true);
  }
  // The first out.size() bytes of SHAKE128(rho ‖ a ‖ b). OpenSSL 3.0 can squeeze an XOF only
  // once (EVP_DigestSqueeze came in 3.3), so a caller that needs more starts again, longer.
  void Xof(ByteSpan rho, uint8_t a, uint8_t b, std::span<uint8_t> out) {
    const uint8_t ab[2] = {a, b};
    Run(Algorithms().shake128, {rho, ByteSpan(ab, 2)}, out, true);
  }

 private:
  void Run(const EVP_MD* md, std::initializer_list<ByteSpan> in, std::span<uint8_t> out, bool xof) {
    bool ok = EVP_DigestInit_ex2(ctx_, md, nullptr) == 1;
    for (ByteSpan part : in) ok = ok && EVP_DigestUpdate(ctx_, part.data(), part.size()) == 1;
    ok = ok && (xof ? EVP_DigestFinalXOF(ctx_, out.data(), out.size())
                    : EVP_DigestFinal_ex(ctx_, out.data(), nullptr)) == 1;
    if (!ok) throw std::runtime_error("OpenSSL: SHA-3 computation failed");
  }

  EVP_MD_CTX* ctx_;
};

// ---------------------------------------------------------------------------------------------
// §4.2.1 ByteEncode_d / ByteDecode_d (Algorithms 5, 6): 256 d-bit values, least significant bit
// first. Shifts and masks only; the loop bounds depend on d, which is public.

void ByteEncode(const Poly& f, int d, uint8_t* out) {
  uint32_t acc = 0;
  int bits = 0;
  for (int i = 0; i < kN; ++i) {
    acc |= uint32_t{f[i]} << bits;
    bits += d;
    while (bits >= 8) {
      *out++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}

// ByteDecode_d for d < 12 (values below 2^d, nothing to reduce).
void ByteDecode(const uint8_t* in, int d, Poly& f) {
  const uint32_t mask = (1u << d) - 1;
  uint32_t acc = 0;
  int bits = 0;
  for (int i = 0; i < kN; ++i) {
    while (bits < d) {
      acc |= uint32_t{*in++} << bits;
      bits += 8;
    }
    f[i] = static_cast<uint16_t>(acc & mask);
    acc >>= d;
    bits -= d;
  }
}

// ByteDecode_12, which FIPS 203 defines modulo q: a 12-bit value is below 2q, so one masked
// subtraction reduces it (decapsulation keys are secret, so no branch).
void ByteDecode12(const uint8_t* in, Poly& f) {
  for (int i = 0; i < kN / 2; ++i) {
    const uint32_t b0 = in[3 * i], b1 = in[3 * i + 1], b2 = in[3 * i + 2];
    f[2 * i] = ConditionalSubtractQ(b0 | (b1 & 0x0f) << 8);
    f[2 * i + 1] = ConditionalSubtractQ(b1 >> 4 | b2 << 4);
  }
}

// ---------------------------------------------------------------------------------------------
// §4.3 The number-theoretic transform over Z_q[X]/(X^256 + 1), zeta = 17.

constexpr uint32_t PowModQ(uint32_t base, unsigned e) {
  uint32_t r = 1;
  for (unsigned i = 0; i < e; ++i) r = r * base % kQ;  // compile time only
  return r;
}

constexpr unsigned BitRev7(unsigned i) {
  unsigned r = 0;
  for (int b = 0; b < 7; ++b) r |= ((i >> b) & 1u) << (6 - b);
  return r;
}

// zeta^BitRev7(i) (Algorithms 9, 10) and zeta^(2 BitRev7(i) + 1) (Algorithm 11), computed by
// the compiler from their definitions.
constexpr std::array<uint16_t, 128> kZetas = [] {
  std::array<uint16_t, 128> z{};
  for (unsigned i = 0; i < 128; ++i) z[i] = static_cast<uint16_t>(PowModQ(17, BitRev7(i)));
  return z;
}();
constexpr std::array<uint16_t, 128> kGammas = [] {
  std::array<uint16_t, 128> g{};
  for (unsigned i = 0; i < 128; ++i) g[i] = static_cast<uint16_t>(PowModQ(17, 2 * BitRev7(i) + 1));
  return g;
}();
constexpr uint16_t kNInverse = 3303;  // 128^-1 mod q
static_assert(kZetas[1] == 1729 && kGammas[0] == 17 && (128 * kNInverse) % kQ == 1);

// Algorithm 9.
void Ntt(Poly& f) {
  int i = 1;
  for (int len = 128; len >= 2; len /= 2) {
    for (int start = 0; start < kN; start += 2 * len) {
      const uint16_t zeta = kZetas[i++];
      for (int j = start; j < start + len; ++j) {
        const uint16_t t = MulModQ(zeta, f[j + len]);
        f[j + len] = SubModQ(f[j], t);
        f[j] = AddModQ(f[j], t);
      }
    }
  }
}

// Algorithm 10.
void InverseNtt(Poly& f) {
  int i = 127;
  for (int len = 2; len <= 128; len *= 2) {
    for (int start = 0; start < kN; start += 2 * len) {
      const uint16_t zeta = kZetas[i--];
      for (int j = start; j < start + len; ++j) {
        const uint16_t t = f[j];
        f[j] = AddModQ(t, f[j + len]);
        f[j + len] = MulModQ(zeta, SubModQ(f[j + len], t));
      }
    }
  }
  for (uint16_t& c : f) c = MulModQ(c, kNInverse);
}

// acc += f * g in the NTT domain (Algorithms 11, 12: 128 products in Z_q[X]/(X^2 - gamma_i)).
void MultiplyAccumulateNtt(const Poly& f, const Poly& g, Poly& acc) {
  for (int i = 0; i < kN / 2; ++i) {
    const uint32_t a0 = f[2 * i], a1 = f[2 * i + 1], b0 = g[2 * i], b1 = g[2 * i + 1];
    const uint32_t a1b1 = MulModQ(static_cast<uint16_t>(a1), static_cast<uint16_t>(b1));
    const uint16_t c0 = ReduceModQ(a0 * b0 + a1b1 * kGammas[i]);  // < 2 q^2 < 2^32
    const uint16_t c1 = ReduceModQ(a0 * b1 + a1 * b0);
    acc[2 * i] = AddModQ(acc[2 * i], c0);
    acc[2 * i + 1] = AddModQ(acc[2 * i + 1], c1);
  }
}

void AddTo(Poly& f, const Poly& g) {
  for (int i = 0; i < kN; ++i) f[i] = AddModQ(f[i], g[i]);
}

// ---------------------------------------------------------------------------------------------
// §4.2.2 Sampling.

// Appends to `out` (from position *filled) the 12-bit values of `bytes` below q; true once all
// 256 coefficients are there.
bool RejectionSample(ByteSpan bytes, Poly& out, int* filled) {
  int j = *filled;
  for (size_t i = 0; i + 3 <= bytes.size() && j < kN; i += 3) {
    const uint16_t d1 = static_cast<uint16_t>(bytes[i] | (bytes[i + 1] & 0x0f) << 8);
    const uint16_t d2 = static_cast<uint16_t>(bytes[i + 1] >> 4 | bytes[i + 2] << 4);
    if (d1 < kQ) out[j++] = d1;
    if (d2 < kQ && j < kN) out[j++] = d2;
  }
  *filled = j;
  return j == kN;
}

// Algorithm 7 SampleNTT(rho ‖ a ‖ b). Its input is public (rho is part of ek), so the data-
// dependent rejection loop leaks nothing. Three SHAKE128 blocks (504 bytes, 336 candidates) are
// enough for about 99% of polynomials (256 needed, 81% accepted); otherwise the XOF is run again
// with twice the output and sampling resumes where it stopped, since its output starts the same.
void SampleNtt(Sha3& hash, ByteSpan rho, uint8_t a, uint8_t b, Poly& out) {
  std::array<uint8_t, 3 * kXofBlock> first;
  hash.Xof(rho, a, b, first);
  int filled = 0;
  if (RejectionSample(first, out, &filled)) return;
  Bytes longer;
  size_t used = first.size();
  for (size_t blocks = 6;; blocks *= 2) {
    longer.resize(blocks * kXofBlock);
    hash.Xof(rho, a, b, longer);
    if (RejectionSample(ByteSpan(longer).subspan(used), out, &filled)) return;
    used = longer.size();
  }
}

// Algorithm 8 SamplePolyCBD_eta on 64 eta bytes: f_i = (sum of eta bits) - (sum of the next
// eta bits), centred binomial noise. Bit positions depend only on i; the bits are only added.
void SamplePolyCbd(ByteSpan bytes, int eta, Poly& f) {
  auto bit = [&bytes](int t) { return uint32_t{bytes[t >> 3]} >> (t & 7) & 1u; };
  for (int i = 0; i < kN; ++i) {
    uint32_t x = 0, y = 0;
    for (int j = 0; j < eta; ++j) {
      x += bit(2 * i * eta + j);
      y += bit(2 * i * eta + eta + j);
    }
    f[i] = ConditionalSubtractQ(x + kQ - y);
  }
}

// s = SamplePolyCBD_eta(PRF_eta(seed, nonce)).
void SampleNoise(Sha3& hash, ByteSpan seed, uint8_t nonce, int eta, Poly& f) {
  std::array<uint8_t, 64 * 3> prf;
  WipeOnExit wipe(prf);
  const std::span<uint8_t> bytes = std::span(prf).first(64 * static_cast<size_t>(eta));
  hash.Prf(seed, nonce, bytes);
  SamplePolyCbd(bytes, eta, f);
}

// ---------------------------------------------------------------------------------------------
// §5 K-PKE.

// Algorithm 13 K-PKE.KeyGen(d): writes ek (384k + 32 bytes) and dk_pke (384k bytes).
void PkeKeyGen(const MlKemParameters& p, Sha3& hash, ByteSpan d, uint8_t* ek, uint8_t* dk_pke) {
  const int k = p.k;
  std::array<uint8_t, kSymBytes + 1> d_k;
  std::array<uint8_t, 64> rho_sigma;
  PolyVec s, e;
  Poly a, t;
  WipeOnExit wipe(d_k, rho_sigma, s, e, t);
  std::memcpy(d_k.data(), d.data(), kSymBytes);
  d_k[kSymBytes] = static_cast<uint8_t>(k);  // G(d ‖ k): FIPS 203 separates the parameter sets
  hash.G(d_k, {}, rho_sigma);
  const ByteSpan rho(rho_sigma.data(), kSymBytes), sigma(rho_sigma.data() + kSymBytes, kSymBytes);

  uint8_t nonce = 0;
  for (int i = 0; i < k; ++i) SampleNoise(hash, sigma, nonce++, p.eta1, s[i]);
  for (int i = 0; i < k; ++i) SampleNoise(hash, sigma, nonce++, p.eta1, e[i]);
  for (int i = 0; i < k; ++i) Ntt(s[i]);
  for (int i = 0; i < k; ++i) Ntt(e[i]);

  // t_hat = A_hat s_hat + e_hat with A_hat[i][j] = SampleNTT(rho ‖ j ‖ i), sampled row by row.
  for (int i = 0; i < k; ++i) {
    t = e[i];
    for (int j = 0; j < k; ++j) {
      SampleNtt(hash, rho, static_cast<uint8_t>(j), static_cast<uint8_t>(i), a);
      MultiplyAccumulateNtt(a, s[j], t);
    }
    ByteEncode(t, 12, ek + kPolyBytes * i);
  }
  std::memcpy(ek + kPolyBytes * k, rho.data(), kSymBytes);
  for (int i = 0; i < k; ++i) ByteEncode(s[i], 12, dk_pke + kPolyBytes * i);
}

// Algorithm 14 K-PKE.Encrypt(ek, m, r): writes the ciphertext (32 (du k + dv) bytes).
void PkeEncrypt(const MlKemParameters& p, Sha3& hash, ByteSpan ek, ByteSpan m, ByteSpan r,
                uint8_t* ct) {
  const int k = p.k;
  PolyVec t_hat, y, e1;
  Poly e2, a, acc;
  WipeOnExit wipe(y, e1, e2, acc);
  for (int i = 0; i < k; ++i) ByteDecode12(ek.data() + kPolyBytes * i, t_hat[i]);
  const ByteSpan rho = ek.subspan(kPolyBytes * k, kSymBytes);

  uint8_t nonce = 0;
  for (int i = 0; i < k; ++i) SampleNoise(hash, r, nonce++, p.eta1, y[i]);
  for (int i = 0; i < k; ++i) SampleNoise(hash, r, nonce++, p.eta2, e1[i]);
  SampleNoise(hash, r, nonce++, p.eta2, e2);
  for (int i = 0; i < k; ++i) Ntt(y[i]);

  // u = NTT^-1(A_hat^T y_hat) + e1, where A_hat^T[i][j] = A_hat[j][i] = SampleNTT(rho ‖ i ‖ j).
  const size_t u_bytes = 32 * static_cast<size_t>(p.du);
  for (int i = 0; i < k; ++i) {
    acc.fill(0);
    for (int j = 0; j < k; ++j) {
      SampleNtt(hash, rho, static_cast<uint8_t>(i), static_cast<uint8_t>(j), a);
      MultiplyAccumulateNtt(a, y[j], acc);
    }
    InverseNtt(acc);
    AddTo(acc, e1[i]);
    for (uint16_t& c : acc) c = Compress(c, p.du);
    ByteEncode(acc, p.du, ct + u_bytes * i);
  }

  // v = NTT^-1(t_hat^T y_hat) + e2 + mu, mu = Decompress_1(ByteDecode_1(m)): bit i of m gives
  // coefficient i the value round(q / 2) = 1665, selected with a mask.
  acc.fill(0);
  for (int j = 0; j < k; ++j) MultiplyAccumulateNtt(t_hat[j], y[j], acc);
  InverseNtt(acc);
  AddTo(acc, e2);
  for (int i = 0; i < kN; ++i) {
    const uint32_t bit = uint32_t{m[i / 8]} >> (i % 8) & 1u;
    acc[i] = AddModQ(acc[i], static_cast<uint16_t>((0u - bit) & Decompress(1, 1)));
  }
  for (uint16_t& c : acc) c = Compress(c, p.dv);
  ByteEncode(acc, p.dv, ct + u_bytes * k);
}

// Algorithm 15 K-PKE.Decrypt(dk_pke, c): writes m (32 bytes).
void PkeDecrypt(const MlKemParameters& p, ByteSpan dk_pke, ByteSpan ct, uint8_t* m) {
  const int k = p.k;
  PolyVec u, s_hat;
  Poly w, v;
  WipeOnExit wipe(s_hat, w);
  const size_t u_bytes = 32 * static_cast<size_t>(p.du);
  for (int i = 0; i < k; ++i) {
    ByteDecode(ct.data() + u_bytes * i, p.du, u[i]);
    for (uint16_t& c : u[i]) c = Decompress(c, p.du);
    Ntt(u[i]);
  }
  ByteDecode(ct.data() + u_bytes * k, p.dv, v);
  for (uint16_t& c : v) c = Decompress(c, p.dv);
  for (int i = 0; i < k; ++i) ByteDecode12(dk_pke.data() + kPolyBytes * i, s_hat[i]);

  // w = v - NTT^-1(s_hat^T NTT(u)); m = ByteEncode_1(Compress_1(w)).
  w.fill(0);
  for (int i = 0; i < k; ++i) MultiplyAccumulateNtt(s_hat[i], u[i], w);
  InverseNtt(w);
  for (int i = 0; i < kN; ++i) w[i] = Compress(SubModQ(v[i], w[i]), 1);
  ByteEncode(w, 1, m);
}

// ---------------------------------------------------------------------------------------------
// §6 ML-KEM internal algorithms (inputs already checked).

// Algorithm 16 ML-KEM.KeyGen_internal(d, z): dk = dk_pke ‖ ek ‖ H(ek) ‖ z.
MlKemKeyPair KeyGenInternal(const MlKemParameters& p, ByteSpan d, ByteSpan z) {
  Sha3 hash;
  MlKemKeyPair out;
  out.encapsulation_key.resize(p.encapsulation_key_size);
  out.decapsulation_key = SecretBytes(p.decapsulation_key_size);
  uint8_t* dk = out.decapsulation_key.data();
  const size_t pke = kPolyBytes * static_cast<size_t>(p.k);
  PkeKeyGen(p, hash, d, out.encapsulation_key.data(), dk);
  std::memcpy(dk + pke, out.encapsulation_key.data(), p.encapsulation_key_size);
  hash.H(out.encapsulation_key,
         std::span<uint8_t, 32>(dk + pke + p.encapsulation_key_size, kSymBytes));
  std::memcpy(dk + p.decapsulation_key_size - kSymBytes, z.data(), kSymBytes);
  return out;
}

// Algorithm 17 ML-KEM.Encaps_internal(ek, m): (K, r) = G(m ‖ H(ek)), c = K-PKE.Encrypt(ek, m, r).
MlKemEncapsulation EncapsInternal(const MlKemParameters& p, ByteSpan ek, ByteSpan m) {
  Sha3 hash;
  std::array<uint8_t, kSymBytes> h;
  std::array<uint8_t, 64> k_r;
  WipeOnExit wipe(k_r);
  hash.H(ek, h);
  hash.G(m, h, k_r);
  MlKemEncapsulation out;
  out.ciphertext.resize(p.ciphertext_size);
  PkeEncrypt(p, hash, ek, m, ByteSpan(k_r).subspan(kSymBytes), out.ciphertext.data());
  out.shared_secret = SecretBytes(ByteSpan(k_r).first(kSymBytes));
  return out;
}

// Algorithm 18 ML-KEM.Decaps_internal(dk, c). The re-encryption check and the choice between K'
// and the rejection key are masks; nothing branches on whether c was honest.
SecretBytes DecapsInternal(const MlKemParameters& p, ByteSpan dk, ByteSpan c) {
  const size_t pke = kPolyBytes * static_cast<size_t>(p.k);
  const ByteSpan dk_pke = dk.first(pke);
  const ByteSpan ek_pke = dk.subspan(pke, p.encapsulation_key_size);
  const ByteSpan h = dk.subspan(pke + p.encapsulation_key_size, kSymBytes);
  const ByteSpan z = dk.subspan(pke + p.encapsulation_key_size + kSymBytes, kSymBytes);

  Sha3 hash;
  std::array<uint8_t, kSymBytes> m_prime, k_bar;
  std::array<uint8_t, 64> k_r;  // K' ‖ r'
  std::array<uint8_t, kMaxCiphertextSize> c_prime;
  WipeOnExit wipe(m_prime, k_bar, k_r, c_prime);

  PkeDecrypt(p, dk_pke, c, m_prime.data());
  hash.G(m_prime, h, k_r);
  hash.J(z, c, k_bar);
  PkeEncrypt(p, hash, ek_pke, m_prime, ByteSpan(k_r).subspan(kSymBytes), c_prime.data());

  uint32_t diff = 0;
  for (size_t i = 0; i < c.size(); ++i) diff |= uint32_t{c[i]} ^ c_prime[i];
  // diff = 0 exactly when c' = c: then (diff - 1) >> 8 has every bit set, otherwise none.
  const uint8_t accept = static_cast<uint8_t>((ValueBarrier(diff) - 1) >> 8);
  SecretBytes key(kSymBytes);
  for (size_t i = 0; i < kSymBytes; ++i)
    key[i] = static_cast<uint8_t>((k_r[i] & accept) | (k_bar[i] & ~accept));
  return key;
}

std::string Describe(const MlKemParameters& p, std::string_view what) {
  return std::string(p.name) + " " + std::string(what);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// §7 ML-KEM with input checks.

MlKem::MlKem(const MlKemParameters& params) : params_(params) {
  if (!(params == kMlKem512 || params == kMlKem1024))
    throw std::invalid_argument("MlKem: only ML-KEM-512 and ML-KEM-1024 are supported");
}

MlKemKeyPair MlKem::KeyGen() const {
  std::array<uint8_t, kMlKemSeedSize> seed;
  WipeOnExit wipe(seed);
  OsRandom(seed);
  return KeyGenInternal(params_, ByteSpan(seed).first(kSymBytes),
                        ByteSpan(seed).subspan(kSymBytes));
}

absl::StatusOr<MlKemKeyPair> MlKem::KeyGenFromSeed(ByteSpan seed) const {
  if (seed.size() != kMlKemSeedSize)
    return absl::InvalidArgumentError(Describe(params_, "seed: expected 64 bytes (d ‖ z), got ") +
                                      std::to_string(seed.size()));
  return KeyGenInternal(params_, seed.first(kSymBytes), seed.subspan(kSymBytes));
}

absl::Status MlKem::CheckEncapsulationKey(ByteSpan ek) const {
  const MlKemParameters& p = params_;
  if (ek.size() != p.encapsulation_key_size)
    return absl::InvalidArgumentError(Describe(p, "encapsulation key: expected ") +
                                      std::to_string(p.encapsulation_key_size) + " bytes, got " +
                                      std::to_string(ek.size()));
  // Modulus check: ByteEncode12(ByteDecode12(t)) = t, i.e. every 12-bit value is below q. The
  // key is public, so the first offending coefficient may be named.
  for (int i = 0; i < p.k; ++i) {
    const uint8_t* b = ek.data() + kPolyBytes * i;
    for (int j = 0; j < kN; ++j) {
      const size_t o = 3 * static_cast<size_t>(j / 2);
      const uint32_t v =
          j % 2 == 0 ? (b[o] | (b[o + 1] & 0x0f) << 8) : (b[o + 1] >> 4 | b[o + 2] << 4);
      if (v >= kQ)
        return absl::InvalidArgumentError(Describe(p, "encapsulation key: coefficient ") +
                                          std::to_string(j) + " of polynomial " +
                                          std::to_string(i) + " is " + std::to_string(v) +
                                          ", not below q = 3329 (FIPS 203 modulus check)");
    }
  }
  return absl::OkStatus();
}

absl::Status MlKem::CheckDecapsulationKey(ByteSpan dk) const {
  const MlKemParameters& p = params_;
  if (dk.size() != p.decapsulation_key_size)
    return absl::InvalidArgumentError(Describe(p, "decapsulation key: expected ") +
                                      std::to_string(p.decapsulation_key_size) + " bytes, got " +
                                      std::to_string(dk.size()));
  // Hash check: the stored H(ek) must be the hash of the stored ek. Both are public parts of dk.
  const size_t pke = kPolyBytes * static_cast<size_t>(p.k);
  std::array<uint8_t, kSymBytes> h;
  Sha3().H(dk.subspan(pke, p.encapsulation_key_size), h);
  if (CRYPTO_memcmp(h.data(), dk.data() + pke + p.encapsulation_key_size, kSymBytes) != 0)
    return absl::InvalidArgumentError(Describe(
        p, "decapsulation key: hash check failed (the H(ek) it holds is not the hash of its ek)"));
  return absl::OkStatus();
}

absl::StatusOr<MlKemEncapsulation> MlKem::Encaps(ByteSpan ek) const {
  if (absl::Status s = CheckEncapsulationKey(ek); !s.ok()) return s;
  std::array<uint8_t, kMlKemMessageSize> m;
  WipeOnExit wipe(m);
  OsRandom(m);
  return EncapsInternal(params_, ek, m);
}

absl::StatusOr<MlKemEncapsulation> MlKem::EncapsWithMessage(ByteSpan ek, ByteSpan m) const {
  if (absl::Status s = CheckEncapsulationKey(ek); !s.ok()) return s;
  if (m.size() != kMlKemMessageSize)
    return absl::InvalidArgumentError(Describe(params_, "message m: expected 32 bytes, got ") +
                                      std::to_string(m.size()));
  return EncapsInternal(params_, ek, m);
}

absl::StatusOr<SecretBytes> MlKem::Decaps(ByteSpan dk, ByteSpan ciphertext) const {
  const MlKemParameters& p = params_;
  if (ciphertext.size() != p.ciphertext_size)
    return absl::InvalidArgumentError(Describe(p, "ciphertext: expected ") +
                                      std::to_string(p.ciphertext_size) + " bytes, got " +
                                      std::to_string(ciphertext.size()));
  if (absl::Status s = CheckDecapsulationKey(dk); !s.ok()) return s;
  return DecapsInternal(p, dk, ciphertext);
}

}  // namespace kms::crypto
