// Google Benchmarks of the lwe layer for both parameter sets (argument 0 = "test", n̂ = 512;
// 1 = "default", n̂ = 4096): compact-public-key generation, encryption of one euint64 and of a
// full list (n̂ blocks), expansion of one block and of all, centralized decryption of one block.
// The negacyclic products are measured on their own: general (multiplications, as the
// distributed key generation runs it on Z128 and on GR(2^128, 4) shares) against binary
// (additions only, as encryption and centralized key generation run it).
#include <benchmark/benchmark.h>

#include "algebra/galois_ring.h"
#include "crypto/random.h"
#include "lwe/compact_public_key.h"
#include "lwe/encryption.h"
#include "lwe/typed_ciphertext.h"

namespace kms::lwe {
namespace {

const LweParameters& Params(const benchmark::State& state) {
  return state.range(0) == 0 ? TestParameters() : DefaultParameters();
}

struct Fixture {
  explicit Fixture(const LweParameters& params)
      : rng(crypto::AesKey{42}, 0),
        sk(SecretKey::Generate(params, rng)),
        pk(GenerateCompactPublicKey(sk, rng.Uniform<Z128>(), rng)) {}
  crypto::AesCtrRng rng;
  SecretKey sk;
  CompactPublicKey pk;
};

std::vector<uint64_t> Blocks(size_t count, const LweParameters& params) {
  std::vector<uint64_t> blocks(count);
  for (size_t i = 0; i < count; ++i) blocks[i] = (i * 40503u) & ((1u << params.bits_per_block) - 1);
  return blocks;
}

void BM_CpkGenerate(benchmark::State& state) {
  const LweParameters& params = Params(state);
  crypto::AesCtrRng rng(crypto::AesKey{1}, 0);
  SecretKey sk = SecretKey::Generate(params, rng);
  for (auto _ : state) {
    CompactPublicKey pk = GenerateCompactPublicKey(sk, 1234, rng);
    benchmark::DoNotOptimize(pk.body.data());
  }
  state.SetLabel(params.name);
}
BENCHMARK(BM_CpkGenerate)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_CpkMaskFromSeed(benchmark::State& state) {
  const LweParameters& params = Params(state);
  for (auto _ : state) benchmark::DoNotOptimize(CpkMaskFromSeed(99, params.lwe_dimension).data());
  state.SetLabel(params.name);
}
BENCHMARK(BM_CpkMaskFromSeed)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_EncryptEuint64(benchmark::State& state) {
  Fixture f(Params(state));
  const TypedPlaintext p = *TypedPlaintext::FromU64(FheType::kEuint64, 0x0123456789abcdefULL);
  for (auto _ : state) {
    auto ct = EncryptTyped(f.pk, p, f.rng);
    benchmark::DoNotOptimize(ct->list.bodies.data());
  }
  state.SetLabel(Params(state).name);
}
BENCHMARK(BM_EncryptEuint64)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_EncryptFullList(benchmark::State& state) {
  const LweParameters& params = Params(state);
  Fixture f(params);
  const std::vector<uint64_t> blocks = Blocks(static_cast<size_t>(params.lwe_dimension), params);
  for (auto _ : state) {
    auto list = EncryptCompactList(f.pk, blocks, f.rng);
    benchmark::DoNotOptimize(list->bodies.data());
  }
  state.counters["blocks"] = static_cast<double>(blocks.size());
  state.SetLabel(params.name);
}
BENCHMARK(BM_EncryptFullList)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_ExpandBlock(benchmark::State& state) {
  const LweParameters& params = Params(state);
  Fixture f(params);
  auto list = EncryptCompactList(f.pk, Blocks(4, params), f.rng);
  for (auto _ : state) {
    LweCiphertext ct = ExpandBlock(*list, 2);
    benchmark::DoNotOptimize(ct.a.data());
  }
  state.SetLabel(params.name);
}
BENCHMARK(BM_ExpandBlock)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_ExpandAll(benchmark::State& state) {
  const LweParameters& params = Params(state);
  Fixture f(params);
  auto list =
      EncryptCompactList(f.pk, Blocks(static_cast<size_t>(params.lwe_dimension), params), f.rng);
  for (auto _ : state) {
    std::vector<LweCiphertext> all = ExpandAll(*list);
    benchmark::DoNotOptimize(all.data());
  }
  state.counters["blocks"] = static_cast<double>(list->bodies.size());
  state.SetLabel(params.name);
}
BENCHMARK(BM_ExpandAll)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Decryption of one expanded block with the secret key: b - <a, s>, then decoding.
void BM_DecryptBlock(benchmark::State& state) {
  const LweParameters& params = Params(state);
  Fixture f(params);
  auto list = EncryptCompactList(f.pk, Blocks(4, params), f.rng);
  const LweCiphertext ct = ExpandBlock(*list, 1);
  for (auto _ : state) benchmark::DoNotOptimize(DecodeBlock(DecryptPhase(f.sk, ct), params));
  state.SetLabel(params.name);
}
BENCHMARK(BM_DecryptBlock)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// The same straight from the compact list (no expansion).
void BM_DecryptBlockFromList(benchmark::State& state) {
  const LweParameters& params = Params(state);
  Fixture f(params);
  auto list = EncryptCompactList(f.pk, Blocks(4, params), f.rng);
  for (auto _ : state) benchmark::DoNotOptimize(DecryptBlock(f.sk, *list, 1));
  state.SetLabel(params.name);
}
BENCHMARK(BM_DecryptBlockFromList)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// ---- the negacyclic products alone (argument: n) ----

std::vector<Z128> RandomVector(size_t n, algebra::RandomSource& rng) {
  std::vector<Z128> v(n);
  for (auto& x : v) x = rng.Uniform<Z128>();
  return v;
}

void BM_NegacyclicProductGeneral(benchmark::State& state) {
  crypto::AesCtrRng rng(crypto::AesKey{5}, 0);
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Z128> a = RandomVector(n, rng), s = RandomVector(n, rng);
  for (auto _ : state) benchmark::DoNotOptimize(NegacyclicReverseProduct<Z128>(a, s).data());
  state.counters["ns_per_term"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(n * n),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_NegacyclicProductGeneral)->Arg(512)->Arg(4096)->Unit(benchmark::kMillisecond);

void BM_NegacyclicProductBinary(benchmark::State& state) {
  crypto::AesCtrRng rng(crypto::AesKey{6}, 0);
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Z128> a = RandomVector(n, rng);
  std::vector<Z128> bits = RandomVector(n, rng);
  for (auto& b : bits) b &= 1;
  for (auto _ : state) benchmark::DoNotOptimize(NegacyclicReverseProductBinary(a, bits, n).data());
  state.counters["ns_per_term"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(n * n),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_NegacyclicProductBinary)->Arg(512)->Arg(4096)->Unit(benchmark::kMillisecond);

// What one party of the distributed key generation computes: shares in GR(2^128, 4).
void BM_NegacyclicProductShares(benchmark::State& state) {
  crypto::AesCtrRng rng(crypto::AesKey{7}, 0);
  const size_t n = static_cast<size_t>(state.range(0));
  const std::vector<Z128> a = RandomVector(n, rng);
  std::vector<algebra::Gr128> s(n);
  for (auto& x : s) x = algebra::Gr128::Random(rng);
  for (auto _ : state)
    benchmark::DoNotOptimize(NegacyclicReverseProduct<algebra::Gr128>(a, s).data());
  state.counters["ns_per_term"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(n * n),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_NegacyclicProductShares)->Arg(512)->Arg(4096)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kms::lwe

BENCHMARK_MAIN();
