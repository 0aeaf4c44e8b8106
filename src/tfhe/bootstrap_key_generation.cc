#include "tfhe/bootstrap_key_generation.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "crypto/secure_zero.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/ntt128.h"

namespace kms::tfhe {

template <typename Scalar>
absl::StatusOr<LweBootstrapKey<Scalar>> GenerateLweBootstrapKey(
    std::span<const uint64_t> input_key, const GlweSecretKey<Scalar>& glwe_key,
    GgswDecomposition decomposition, uint32_t noise_bound_log2, algebra::RandomSource& rng) {
  constexpr size_t kWidth = sizeof(Scalar) * 8;
  const size_t N = glwe_key.polynomial_size;
  const size_t L = decomposition.level_count, beta = decomposition.base_log;
  if (N < 4 || !std::has_single_bit(N) || N > (size_t{1} << 16) || glwe_key.data.empty() ||
      glwe_key.data.size() % N != 0 || L == 0 || beta == 0 || beta * L > kWidth ||
      input_key.empty() || noise_bound_log2 > 62) {
    return absl::InvalidArgumentError("bootstrapping key: inconsistent shape");
  }
  const size_t k = glwe_key.data.size() / N, g = k + 1, n = input_key.size();
  LweBootstrapKey<Scalar> bsk;
  bsk.glwe_size = g;
  bsk.polynomial_size = N;
  bsk.decomp_base_log = beta;
  bsk.decomp_level_count = L;
  bsk.data.assign(n * L * g * g * N, 0);

  // The NTT of each key polynomial S_c (binary), once; masks go in Montgomery form so that
  // MulAdd gives the plain product.
  const Ntt128Plan& plan = Ntt128Plan::For(N);
  const size_t w = kNttPrimes * N;
  std::vector<uint64_t> s_ntt(k * w), fa(w), acc(w);
  std::vector<u128> wide(N), product(N);
  for (size_t c = 0; c < k; ++c) {
    for (size_t j = 0; j < N; ++j) wide[j] = glwe_key.data[c * N + j] & 1;
    plan.ForwardSigned(wide, std::span<uint64_t>(s_ntt.data() + c * w, w));
  }
  std::vector<uint8_t> mask_bytes(sizeof(Scalar) * N);
  for (size_t i = 0; i < n; ++i) {
    const Scalar bit = input_key[i] & 1;
    for (size_t li = 0; li < L; ++li) {
      const Scalar scaled = bit << (kWidth - beta * (L - li));
      for (size_t r = 0; r < g; ++r) {
        Scalar* glwe = bsk.data.data() + (((i * L + li) * g + r) * g) * N;
        Scalar* body = glwe + k * N;
        std::fill(acc.begin(), acc.end(), 0);
        for (size_t c = 0; c < k; ++c) {
          rng.Fill(mask_bytes);
          Scalar* a = glwe + c * N;
          for (size_t j = 0; j < N; ++j) {
            Scalar v = 0;
            for (size_t b = sizeof(Scalar); b-- > 0;)
              v = v << 8 | mask_bytes[sizeof(Scalar) * j + b];
            a[j] = v;
            wide[j] = v;
          }
          plan.ForwardTorus(wide, fa, /*montgomery=*/true);
          plan.MulAdd(acc, std::span<const uint64_t>(s_ntt.data() + c * w, w), fa);
        }
        std::fill(product.begin(), product.end(), 0);
        plan.BackwardAdd(acc, product);
        for (size_t j = 0; j < N; ++j) {
          const auto e = static_cast<int64_t>(SampleTUniform(noise_bound_log2, rng));
          body[j] = static_cast<Scalar>(product[j]) + static_cast<Scalar>(static_cast<__int128>(e));
        }
        if (r < k) {
          for (size_t j = 0; j < N; ++j) body[j] -= scaled * (glwe_key.data[r * N + j] & 1);
        } else {
          body[0] += scaled;
        }
      }
    }
  }
  // The NTT of the secret and the products A·S are secret-derived.
  crypto::SecureZero(s_ntt);
  crypto::SecureZero(acc);
  crypto::SecureZero(std::span<u128>(product));
  crypto::SecureZero(std::span<u128>(wide));
  return bsk;
}

template absl::StatusOr<LweBootstrapKey<uint64_t>> GenerateLweBootstrapKey(
    std::span<const uint64_t>, const GlweSecretKey<uint64_t>&, GgswDecomposition, uint32_t,
    algebra::RandomSource&);
template absl::StatusOr<LweBootstrapKey<u128>> GenerateLweBootstrapKey(std::span<const uint64_t>,
                                                                       const GlweSecretKey<u128>&,
                                                                       GgswDecomposition, uint32_t,
                                                                       algebra::RandomSource&);

}  // namespace kms::tfhe
