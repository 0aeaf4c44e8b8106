#include "tfhe/ntt128.h"

#include <map>
#include <memory>
#include <mutex>

namespace kms::tfhe {
namespace {

// The primes and elements of multiplicative order 2^17 (so ψ of order 2N is r^(2^17 / 2N)).
constexpr uint64_t kPrimes[kNttPrimes] = {0x3fffffffffe80001ULL, 0x3fffffffffbe0001ULL,
                                          0x3fffffffffb80001ULL};
constexpr uint64_t kRoots2e17[kNttPrimes] = {0x2732b178beecc63fULL, 0x0640688378e847c5ULL,
                                             0x085437ad01397839ULL};

uint64_t MulMod(uint64_t a, uint64_t b, uint64_t p) {
  return static_cast<uint64_t>(static_cast<u128>(a) * b % p);
}
uint64_t PowMod(uint64_t a, uint64_t e, uint64_t p) {
  uint64_t r = 1;
  while (e) {
    if (e & 1) r = MulMod(r, a, p);
    a = MulMod(a, a, p);
    e >>= 1;
  }
  return r;
}
uint64_t InvMod(uint64_t a, uint64_t p) { return PowMod(a, p - 2, p); }
uint64_t ShoupQ(uint64_t w, uint64_t p) {
  return static_cast<uint64_t>((static_cast<u128>(w) << 64) / p);
}
// a·w mod p for a < 2^64, w < p, q = ShoupQ(w).
inline uint64_t MulShoup(uint64_t a, uint64_t w, uint64_t q, uint64_t p) {
  const uint64_t hi = static_cast<uint64_t>((static_cast<u128>(a) * q) >> 64);
  uint64_t r = a * w - hi * p;
  return r >= p ? r - p : r;
}
// a·w mod p up to p: the result is in [0, 2p) (Harvey's lazy form).
inline uint64_t MulShoupLazy(uint64_t a, uint64_t w, uint64_t q, uint64_t p) {
  const uint64_t hi = static_cast<uint64_t>((static_cast<u128>(a) * q) >> 64);
  return a * w - hi * p;
}
inline uint64_t Reduce2p(uint64_t a, uint64_t two_p) { return a >= two_p ? a - two_p : a; }
inline uint64_t AddMod(uint64_t a, uint64_t b, uint64_t p) {
  uint64_t s = a + b;
  return s >= p ? s - p : s;
}
inline uint64_t SubMod(uint64_t a, uint64_t b, uint64_t p) { return a >= b ? a - b : a + p - b; }

}  // namespace

Ntt128Plan::Ntt128Plan(size_t polynomial_size) : n_(polynomial_size) {
  for (size_t t = 0; t < kNttPrimes; ++t) {
    const uint64_t p = kPrimes[t];
    NttPrime& pr = primes_[t];
    pr.p = p;
    uint64_t inv = 1;  // p^−1 mod 2^64 by Newton
    for (int i = 0; i < 6; ++i) inv *= 2 - p * inv;
    pr.mont_pinv = 0 - inv;
    const uint64_t r1 = static_cast<uint64_t>((u128{1} << 64) % p);
    pr.mont_r2 = MulMod(r1, r1, p);
    const uint64_t psi = PowMod(kRoots2e17[t], (uint64_t{1} << 17) / (2 * n_), p);
    const uint64_t ipsi = InvMod(psi, p);
    const uint64_t omega = MulMod(psi, psi, p), iomega = MulMod(ipsi, ipsi, p);
    const uint64_t ninv = InvMod(n_ % p, p);
    psi_[t].resize(n_);
    ipsi_[t].resize(n_);
    psi_q_[t].resize(n_);
    ipsi_q_[t].resize(n_);
    uint64_t x = 1, y = ninv;
    for (size_t j = 0; j < n_; ++j) {
      psi_[t][j] = x;
      psi_q_[t][j] = ShoupQ(x, p);
      ipsi_[t][j] = y;
      ipsi_q_[t][j] = ShoupQ(y, p);
      x = MulMod(x, psi, p);
      y = MulMod(y, ipsi, p);
    }
    // Per stage of half-length h (1, 2, 4, …, N/2), the h twiddles ω_(2h)^j at offset h − 1.
    w_[t].resize(n_);
    iw_[t].resize(n_);
    w_q_[t].resize(n_);
    iw_q_[t].resize(n_);
    for (size_t h = 1; h < n_; h <<= 1) {
      const uint64_t wl = PowMod(omega, n_ / (2 * h), p), iwl = PowMod(iomega, n_ / (2 * h), p);
      x = 1;
      y = 1;
      for (size_t j = 0; j < h; ++j) {
        w_[t][h - 1 + j] = x;
        w_q_[t][h - 1 + j] = ShoupQ(x, p);
        iw_[t][h - 1 + j] = y;
        iw_q_[t][h - 1 + j] = ShoupQ(y, p);
        x = MulMod(x, wl, p);
        y = MulMod(y, iwl, p);
      }
    }
    two64_mod_[t] = r1;
    two64_mod_q_[t] = ShoupQ(r1, p);
  }
  const uint64_t p1 = kPrimes[0], p2 = kPrimes[1], p3 = kPrimes[2];
  inv_p1_mod_p2_ = InvMod(p1 % p2, p2);
  inv_p1_mod_p2_q_ = ShoupQ(inv_p1_mod_p2_, p2);
  p1_mod_p3_ = p1 % p3;
  p1_mod_p3_q_ = ShoupQ(p1_mod_p3_, p3);
  inv_p1p2_mod_p3_ = InvMod(MulMod(p1 % p3, p2 % p3, p3), p3);
  inv_p1p2_mod_p3_q_ = ShoupQ(inv_p1p2_mod_p3_, p3);
}

const Ntt128Plan& Ntt128Plan::For(size_t polynomial_size) {
  static std::mutex mu;
  static std::map<size_t, std::unique_ptr<Ntt128Plan>> plans;
  std::lock_guard<std::mutex> lock(mu);
  auto& p = plans[polynomial_size];
  if (!p) p = std::make_unique<Ntt128Plan>(polynomial_size);
  return *p;
}

// Values stay in [0, 2p) (lazy butterflies); p < 2^62 keeps 4p below 2^64.
void Ntt128Plan::Dif(uint64_t* a, size_t t) const {
  const uint64_t p = primes_[t].p, two_p = 2 * p;
  for (size_t half = n_ >> 1; half >= 1; half >>= 1) {
    const uint64_t* __restrict w = w_[t].data() + half - 1;
    const uint64_t* __restrict wq = w_q_[t].data() + half - 1;
    for (size_t s = 0; s < n_; s += 2 * half) {
      uint64_t* __restrict x = a + s;
      uint64_t* __restrict y = a + s + half;
      for (size_t j = 0; j < half; ++j) {
        const uint64_t u = x[j], v = y[j];
        x[j] = Reduce2p(u + v, two_p);
        y[j] = MulShoupLazy(u + two_p - v, w[j], wq[j], p);
      }
    }
  }
}

void Ntt128Plan::Dit(uint64_t* a, size_t t) const {
  const uint64_t p = primes_[t].p, two_p = 2 * p;
  for (size_t half = 1; half < n_; half <<= 1) {
    const uint64_t* __restrict w = iw_[t].data() + half - 1;
    const uint64_t* __restrict wq = iw_q_[t].data() + half - 1;
    for (size_t s = 0; s < n_; s += 2 * half) {
      uint64_t* __restrict x = a + s;
      uint64_t* __restrict y = a + s + half;
      for (size_t j = 0; j < half; ++j) {
        const uint64_t u = x[j];
        const uint64_t v = MulShoupLazy(y[j], w[j], wq[j], p);
        x[j] = Reduce2p(u + v, two_p);
        y[j] = Reduce2p(u + two_p - v, two_p);
      }
    }
  }
}

uint64_t Ntt128Plan::Reduce128(u128 x, size_t t) const {
  const uint64_t p = primes_[t].p;
  const uint64_t hi = static_cast<uint64_t>(x >> 64), lo = static_cast<uint64_t>(x);
  const uint64_t h = MulShoup(hi, two64_mod_[t], two64_mod_q_[t], p);
  return AddMod(h, lo % p, p);
}

void Ntt128Plan::ForwardSigned(std::span<const u128> digits, std::span<uint64_t> out) const {
  for (size_t t = 0; t < kNttPrimes; ++t) {
    const uint64_t p = primes_[t].p;
    uint64_t* o = out.data() + t * n_;
    for (size_t j = 0; j < n_; ++j) {
      const int64_t d = static_cast<int64_t>(static_cast<uint64_t>(digits[j]));
      const uint64_t r = d < 0 ? p - static_cast<uint64_t>(-d) : static_cast<uint64_t>(d);
      o[j] = MulShoup(r, psi_[t][j], psi_q_[t][j], p);
    }
    Dif(o, t);  // lazy: [0, 2p), which MulAdd accepts
  }
}

void Ntt128Plan::ForwardTorus(std::span<const u128> a, std::span<uint64_t> out,
                              bool montgomery) const {
  for (size_t t = 0; t < kNttPrimes; ++t) {
    const uint64_t p = primes_[t].p;
    uint64_t* o = out.data() + t * n_;
    for (size_t j = 0; j < n_; ++j) {
      o[j] = MulShoup(Reduce128(a[j], t), psi_[t][j], psi_q_[t][j], p);
    }
    Dif(o, t);
    for (size_t j = 0; j < n_; ++j) {
      const uint64_t r = o[j] >= p ? o[j] - p : o[j];
      o[j] = montgomery ? primes_[t].ToMont(r) : r;
    }
  }
}

void Ntt128Plan::MulAdd(std::span<uint64_t> acc, std::span<const uint64_t> a,
                        std::span<const uint64_t> b_mont) const {
  for (size_t t = 0; t < kNttPrimes; ++t) {
    const NttPrime& pr = primes_[t];
    uint64_t* c = acc.data() + t * n_;
    const uint64_t* x = a.data() + t * n_;
    const uint64_t* y = b_mont.data() + t * n_;
    for (size_t j = 0; j < n_; ++j) c[j] = AddMod(c[j], pr.MontMul(x[j], y[j]), pr.p);
  }
}

void Ntt128Plan::BackwardAdd(std::span<uint64_t> in, std::span<u128> out) const {
  for (size_t t = 0; t < kNttPrimes; ++t) {
    uint64_t* x = in.data() + t * n_;
    Dit(x, t);
    const uint64_t p = primes_[t].p;
    for (size_t j = 0; j < n_; ++j) x[j] = MulShoup(x[j], ipsi_[t][j], ipsi_q_[t][j], p);
  }
  const uint64_t p1 = kPrimes[0], p2 = kPrimes[1], p3 = kPrimes[2];
  const u128 p1p2 = static_cast<u128>(p1) * p2;
  const uint64_t* r1 = in.data();
  const uint64_t* r2 = in.data() + n_;
  const uint64_t* r3 = in.data() + 2 * n_;
  for (size_t j = 0; j < n_; ++j) {
    const uint64_t v1 = r1[j];
    const uint64_t v1m2 = v1 >= p2 ? v1 - p2 : v1;
    const uint64_t v2 = MulShoup(SubMod(r2[j], v1m2, p2), inv_p1_mod_p2_, inv_p1_mod_p2_q_, p2);
    // (v1 + p1·v2) mod p3
    const uint64_t v1m3 = v1 >= p3 ? v1 - p3 : v1;
    const uint64_t v2m3 = v2 >= p3 ? v2 - p3 : v2;
    const uint64_t s = AddMod(v1m3, MulShoup(v2m3, p1_mod_p3_, p1_mod_p3_q_, p3), p3);
    const uint64_t v3 = MulShoup(SubMod(r3[j], s, p3), inv_p1p2_mod_p3_, inv_p1p2_mod_p3_q_, p3);
    u128 x = static_cast<u128>(v1) + static_cast<u128>(p1) * v2;
    if (v3 > p3 / 2) {
      x -= p1p2 * static_cast<u128>(p3 - v3);
    } else {
      x += p1p2 * static_cast<u128>(v3);
    }
    out[j] += x;
  }
}

std::vector<u128> NttNegacyclicProduct(std::span<const u128> small_signed,
                                       std::span<const u128> torus) {
  const size_t n = small_signed.size();
  const Ntt128Plan& plan = Ntt128Plan::For(n);
  std::vector<uint64_t> a(kNttPrimes * n), b(kNttPrimes * n), acc(kNttPrimes * n, 0);
  plan.ForwardSigned(small_signed, a);
  plan.ForwardTorus(torus, b, true);
  plan.MulAdd(acc, a, b);
  std::vector<u128> out(n, 0);
  plan.BackwardAdd(acc, out);
  return out;
}

}  // namespace kms::tfhe
