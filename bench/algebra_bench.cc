// Google Benchmarks of the algebra hot paths: ring multiplication, Shamir reconstruction for
// 13 parties (1 and 10,000 secrets, 0 and 4 wrong shares), Gao decoding alone.
#include <benchmark/benchmark.h>

#include "algebra/error_correction.h"
#include "algebra/robust_reconstruction.h"
#include "algebra/shamir.h"
#include "testing/seeded_rng.h"

namespace kms::algebra {
namespace {

void BM_Gr128Mul(benchmark::State& state) {
  testing::SeededRng rng(1);
  Gr128 a = Gr128::Random(rng), b = Gr128::Random(rng);
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Gr128Mul);

void BM_Gr64Mul(benchmark::State& state) {
  testing::SeededRng rng(1);
  Gr64 a = Gr64::Random(rng), b = Gr64::Random(rng);
  for (auto _ : state) {
    a = a * b;
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_Gr64Mul);

ShareColumns<Gr128> MakeBatch(int n, int t, int count, int bad) {
  testing::SeededRng rng(2);
  ShareColumns<Gr128> cols;
  cols.values.assign(n, {});
  for (int p = 1; p <= n; ++p) cols.parties.push_back(p);
  for (int k = 0; k < count; ++k) {
    auto shares = ShareSecret(Gr128::Random(rng), n, t, rng);
    for (int p = 0; p < n; ++p) cols.values[p].push_back(shares[p]);
  }
  for (int b = 0; b < bad; ++b)
    for (auto& v : cols.values[3 * b]) v = Gr128::Random(rng);
  return cols;
}

// Args: number of secrets, number of wrong shares. Reports ns per secret.
void BM_ReconstructSync13(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0)), bad = static_cast<int>(state.range(1));
  auto cols = MakeBatch(13, 4, count, bad);
  for (auto _ : state) {
    auto r = ReconstructBatchSync<Gr128>({13, 4, 4}, cols, 0);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.counters["ns_per_secret"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * count,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ReconstructSync13)
    ->Args({1, 0})
    ->Args({1, 4})
    ->Args({10000, 0})
    ->Args({10000, 4})
    ->Unit(benchmark::kMicrosecond);

void BM_GaoDecode13(benchmark::State& state) {
  const int errors = static_cast<int>(state.range(0));
  testing::SeededRng rng(3);
  auto f = RandomPolynomial(Gf16::Random(rng), 4, rng);
  std::vector<unsigned> points;
  std::vector<Gf16> values;
  for (unsigned x = 1; x <= 13; ++x) {
    points.push_back(x);
    values.push_back(f.Eval(Gf16(x)));
  }
  for (int e = 0; e < errors; ++e) values[3 * e] += Gf16(1 + e);
  for (auto _ : state) {
    auto g = GaoDecode<4>(points, values, 5, 4);
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_GaoDecode13)->Arg(0)->Arg(4);

}  // namespace
}  // namespace kms::algebra

BENCHMARK_MAIN();
