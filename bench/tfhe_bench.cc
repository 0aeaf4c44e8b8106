// Google Benchmarks of the tfhe layer's computation core at kms v0.12.8 BC_PARAMS_SNS's
// parameters, one block at a time on one thread:
//   * polynomial products: the f64 negacyclic FFT (N 2048) and the three-prime NTT (N 2048);
//   * key switching (k·N 2048 → n 918, 4/4) and the KS-PBS of one block (PBS 23/1, k 1,
//     N 2048, CenteredMean), with the golden node-tfhe kms-default server key;
//   * compact-list expansion per block (casting key switch n̂ 2048 → n 918, 4/4, then the PBS
//     to the big key), for a build() list (one block per LWE) and a build_packed() list (one
//     LWE, one key switch, two PBS: per block is half of it), with the golden kms-default list;
//   * encryption of one u64 under the golden kms-default CompactPublicKey (n̂ 2048,
//     TUniform(17)) into a build() list: 32 bodies, one mask, two schoolbook semi-reverse
//     convolutions of size 2048;
//   * the 128-bit squash bootstrap of one block (n 918 → k 2, N 2048, 24/3): modulus switch,
//     blind rotation with the NTT-domain key, sample extraction. The key's contents do not
//     change the cost, so it is random (a real one takes ≈ 20 s to generate);
//   * decompression of one block of a SmallCompressed list (storage log 12 → 2N 4096, blind
//     rotation with the decompression key n 1024 → k 1, N 2048, 23/1, sample extraction) and
//     the packing key switching of 256 LWEs (2048 → k 4, N 256, 3/4) into one GLWE, with our
//     keys at BC_PARAMS_SNS's compression parameters (generated once, a few seconds);
//   * the conversion of one N 2048 polynomial to tfhe-rs's published Fourier form and back
//     (tfhe/fourier_conversion.h), at 64 bits (f64) and 128 bits (double-double): the default
//     keys hold 3,672 + 4,096 such polynomials at 64 bits and 24,786 at 128 bits;
//   * the centralized keyset (tfhe/keyset.h GenerateKeyset) at the test parameters, and once at
//     BC_PARAMS_SNS (≈ 1.6 GB of published server key; the stage times go to stderr), with
//     crypto::AesCtrRng as a KMS would draw it; LoadPublishedServerKey of both.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "common/parallel.h"
#include "crypto/random.h"
#include "testing/seeded_rng.h"
#include "tfhe/bootstrap.h"
#include "tfhe/client_key_encryption.h"
#include "tfhe/compact_encryption.h"
#include "tfhe/compression.h"
#include "tfhe/decompression.h"
#include "tfhe/expansion.h"
#include "tfhe/fft.h"
#include "tfhe/fourier_conversion.h"
#include "tfhe/golden_files.h"
#include "tfhe/key_generation.h"
#include "tfhe/keyset.h"
#include "tfhe/keyswitch.h"
#include "tfhe/ntt128.h"
#include "tfhe/server_key.h"

namespace kms::tfhe {
namespace {

struct GoldenDefault {
  ServerKey sk;
  FheUint u64;
  bool ok = false;
};

const GoldenDefault& Golden() {
  static GoldenDefault* g = [] {
    auto* out = new GoldenDefault;
    auto sk_bytes = testing::ReadGolden("kms-default.CompressedServerKey.bin");
    auto ct_bytes = testing::ReadGolden("kms-default.FheUint64.client_key.bin");
    if (!sk_bytes || !ct_bytes) return out;
    auto csk = ParseCompressedServerKey(*sk_bytes);
    auto ct = ParseFheUint(*ct_bytes);
    if (!csk.ok() || !ct.ok()) return out;
    auto sk = DecompressServerKey(*csk);
    if (!sk.ok()) return out;
    out->sk = std::move(*sk);
    out->u64 = std::move(*ct);
    out->ok = true;
    return out;
  }();
  return *g;
}

void BM_FftNegacyclicProduct2048(benchmark::State& state) {
  std::mt19937_64 g(1);
  std::vector<uint64_t> a(2048), b(2048);
  for (auto& x : a) x = static_cast<uint64_t>(static_cast<int64_t>(g() % (1 << 23)) - (1 << 22));
  for (auto& x : b) x = g();
  const Fft64Plan& plan = Fft64Plan::For(2048);
  std::vector<double> fa(2048), fb(2048), acc(2048);
  std::vector<uint64_t> out(2048);
  plan.Forward(b, {fb.data(), fb.data() + 1024});
  for (auto _ : state) {
    plan.Forward(a, {fa.data(), fa.data() + 1024});
    std::fill(acc.begin(), acc.end(), 0.0);
    plan.MulAdd({acc.data(), acc.data() + 1024}, {fa.data(), fa.data() + 1024},
                {fb.data(), fb.data() + 1024});
    plan.BackwardAdd({acc.data(), acc.data() + 1024}, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_FftNegacyclicProduct2048)->Unit(benchmark::kMicrosecond);

void BM_NttNegacyclicProduct2048(benchmark::State& state) {
  std::mt19937_64 g(2);
  std::vector<u128> a(2048), b(2048);
  for (auto& x : a) {
    x = static_cast<u128>(static_cast<__int128>(static_cast<int64_t>(g() % (1 << 24)) - (1 << 23)));
  }
  for (auto& x : b) x = (static_cast<u128>(g()) << 64) | g();
  const Ntt128Plan& plan = Ntt128Plan::For(2048);
  const size_t w = kNttPrimes * 2048;
  std::vector<uint64_t> fa(w), fb(w), acc(w);
  std::vector<u128> out(2048);
  plan.ForwardTorus(b, fb, true);
  for (auto _ : state) {
    plan.ForwardSigned(a, fa);
    std::fill(acc.begin(), acc.end(), 0);
    plan.MulAdd(acc, fa, fb);
    plan.BackwardAdd(acc, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_NttNegacyclicProduct2048)->Unit(benchmark::kMicrosecond);

void BM_FourierConversion64Forward2048(benchmark::State& state) {
  std::mt19937_64 g(3);
  std::vector<uint64_t> a(2048);
  for (auto& x : a) x = g();
  const FourierConverter64& conv = FourierConverter64::For(2048);
  std::vector<double> f(2048);
  for (auto _ : state) {
    conv.Forward(a, f);
    benchmark::DoNotOptimize(f.data());
  }
}
BENCHMARK(BM_FourierConversion64Forward2048)->Unit(benchmark::kMicrosecond);

void BM_FourierConversion64Backward2048(benchmark::State& state) {
  std::mt19937_64 g(4);
  std::vector<uint64_t> a(2048);
  for (auto& x : a) x = g();
  const FourierConverter64& conv = FourierConverter64::For(2048);
  std::vector<double> f(2048);
  conv.Forward(a, f);
  for (auto _ : state) {
    conv.Backward(f, a);
    benchmark::DoNotOptimize(a.data());
  }
}
BENCHMARK(BM_FourierConversion64Backward2048)->Unit(benchmark::kMicrosecond);

void BM_FourierConversion128Forward2048(benchmark::State& state) {
  std::mt19937_64 g(5);
  std::vector<u128> a(2048);
  for (auto& x : a) x = (static_cast<u128>(g()) << 64) | g();
  const FourierConverter128& conv = FourierConverter128::For(2048);
  std::vector<double> f(2048 * 2);
  for (auto _ : state) {
    conv.Forward(a, {f.data(), f.data() + 1024, f.data() + 2048, f.data() + 3072});
    benchmark::DoNotOptimize(f.data());
  }
}
BENCHMARK(BM_FourierConversion128Forward2048)->Unit(benchmark::kMicrosecond);

void BM_FourierConversion128Backward2048(benchmark::State& state) {
  std::mt19937_64 g(6);
  std::vector<u128> a(2048);
  for (auto& x : a) x = (static_cast<u128>(g()) << 64) | g();
  const FourierConverter128& conv = FourierConverter128::For(2048);
  std::vector<double> f(2048 * 2);
  conv.Forward(a, {f.data(), f.data() + 1024, f.data() + 2048, f.data() + 3072});
  for (auto _ : state) {
    conv.Backward({f.data(), f.data() + 1024, f.data() + 2048, f.data() + 3072}, a);
    benchmark::DoNotOptimize(a.data());
  }
}
BENCHMARK(BM_FourierConversion128Backward2048)->Unit(benchmark::kMicrosecond);

void BM_KeySwitchDefault(benchmark::State& state) {
  const GoldenDefault& g = Golden();
  if (!g.ok) {
    state.SkipWithError("no golden kms-default files");
    return;
  }
  std::vector<uint64_t> small(g.sk.small_lwe_dimension() + 1);
  for (auto _ : state) {
    KeyswitchLwe(g.sk.key_switching_key, g.u64.blocks[0].ct.data, small);
    benchmark::DoNotOptimize(small.data());
  }
}
BENCHMARK(BM_KeySwitchDefault)->Unit(benchmark::kMillisecond);

void BM_KsPbsDefault(benchmark::State& state) {
  const GoldenDefault& g = Golden();
  if (!g.ok) {
    state.SkipWithError("no golden kms-default files");
    return;
  }
  const auto lut = GenerateLookupTable(g.sk, [](uint64_t x) { return x; });
  for (auto _ : state) {
    ShortintCiphertext b = g.u64.blocks[0];
    if (!ApplyLookupTable(g.sk, b, lut).ok()) state.SkipWithError("PBS failed");
    benchmark::DoNotOptimize(b.ct.data.data());
  }
}
BENCHMARK(BM_KsPbsDefault)->Unit(benchmark::kMillisecond);

struct GoldenExpansion {
  CastingKey casting_key;
  CompactCiphertextList build;
  CompactCiphertextList packed;
  bool ok = false;
};

const GoldenExpansion& Expansion() {
  static GoldenExpansion* g = [] {
    auto* out = new GoldenExpansion;
    auto sk_bytes = testing::ReadGolden("kms-default.CompressedServerKey.bin");
    auto build_bytes = testing::ReadGolden("kms-default.CompactCiphertextList.mixed.bin");
    auto packed_bytes = testing::ReadGolden("kms-default.CompactCiphertextList.mixed.packed.bin");
    if (!sk_bytes || !build_bytes || !packed_bytes) return out;
    auto csk = ParseCompressedServerKey(*sk_bytes);
    auto build = ParseCompactCiphertextList(*build_bytes);
    auto packed = ParseCompactCiphertextList(*packed_bytes);
    if (!csk.ok() || !build.ok() || !packed.ok()) return out;
    auto cast = DecompressCastingKey(*csk);
    if (!cast.ok()) return out;
    out->casting_key = std::move(*cast);
    out->build = std::move(*build);
    out->packed = std::move(*packed);
    out->ok = true;
    return out;
  }();
  return *g;
}

// One block of a build() list: rotation of LWE 1 (a u8 block), casting KS, message PBS.
void BM_CompactListExpandBlockDefault(benchmark::State& state) {
  const GoldenDefault& g = Golden();
  const GoldenExpansion& e = Expansion();
  if (!g.ok || !e.ok) {
    state.SkipWithError("no golden kms-default files");
    return;
  }
  const uint64_t msg = g.sk.message_modulus;
  const auto lut = GenerateLookupTable(g.sk, [msg](uint64_t x) { return x % msg; });
  const LookupTable<uint64_t>* luts[] = {&lut};
  for (auto _ : state) {
    auto lwe = CompactListLwe(e.build, 1);
    auto blocks = lwe.ok() ? CastAndApplyLookupTables(g.sk, e.casting_key, *lwe, luts)
                           : absl::StatusOr<std::vector<ShortintCiphertext>>(lwe.status());
    if (!blocks.ok()) state.SkipWithError("expansion failed");
    benchmark::DoNotOptimize(blocks);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CompactListExpandBlockDefault)->Unit(benchmark::kMillisecond);

// One LWE of a build_packed() list: one casting KS, the message and carry PBS (two blocks).
void BM_CompactListExpandPackedLweDefault(benchmark::State& state) {
  const GoldenDefault& g = Golden();
  const GoldenExpansion& e = Expansion();
  if (!g.ok || !e.ok) {
    state.SkipWithError("no golden kms-default files");
    return;
  }
  const uint64_t msg = g.sk.message_modulus;
  const auto msg_lut = GenerateLookupTable(g.sk, [msg](uint64_t x) { return x % msg; });
  const auto carry_lut = GenerateLookupTable(g.sk, [msg](uint64_t x) { return (x / msg) % msg; });
  const LookupTable<uint64_t>* luts[] = {&msg_lut, &carry_lut};
  for (auto _ : state) {
    auto lwe = CompactListLwe(e.packed, 1);
    auto blocks = lwe.ok() ? CastAndApplyLookupTables(g.sk, e.casting_key, *lwe, luts)
                           : absl::StatusOr<std::vector<ShortintCiphertext>>(lwe.status());
    if (!blocks.ok()) state.SkipWithError("expansion failed");
    benchmark::DoNotOptimize(blocks);
  }
  state.SetItemsProcessed(2 * state.iterations());  // blocks
}
BENCHMARK(BM_CompactListExpandPackedLweDefault)->Unit(benchmark::kMillisecond);

// One u64 pushed and built (build()) under the golden kms-default CPK.
void BM_CompactEncryptU64Default(benchmark::State& state) {
  static CompactPublicKey* cpk = [] {
    auto bytes = testing::ReadGolden("kms-default.CompactPublicKey.bin");
    if (!bytes) return static_cast<CompactPublicKey*>(nullptr);
    auto parsed = ParseCompactPublicKey(*bytes);
    return parsed.ok() ? new CompactPublicKey(std::move(*parsed)) : nullptr;
  }();
  if (cpk == nullptr) {
    state.SkipWithError("no golden kms-default CPK");
    return;
  }
  crypto::AesCtrRng rng;
  for (auto _ : state) {
    CompactListBuilder builder;
    if (!builder.PushUint(0x0123456789abcdefULL, 64).ok()) state.SkipWithError("push failed");
    auto list = builder.Build(*cpk, rng);
    if (!list.ok()) state.SkipWithError("encryption failed");
    benchmark::DoNotOptimize(list);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CompactEncryptU64Default)->Unit(benchmark::kMillisecond);

// n 918 → k 2, N 2048, 24/3, random key contents.
const NttBootstrapKey128* DefaultSquashKey() {
  static NttBootstrapKey128* key = [] {
    LweBootstrapKey<u128> bsk;
    bsk.glwe_size = 3;
    bsk.polynomial_size = 2048;
    bsk.decomp_base_log = 24;
    bsk.decomp_level_count = 3;
    bsk.data.resize(918 * bsk.ggsw_size());
    std::mt19937_64 g(3);
    for (auto& x : bsk.data) x = (static_cast<u128>(g()) << 64) | g();
    auto k = NttBootstrapKey128::Create(bsk);
    return k.ok() ? new NttBootstrapKey128(std::move(*k)) : nullptr;
  }();
  return key;
}

void BM_SquashBootstrapDefault(benchmark::State& state) {
  const NttBootstrapKey128* key = DefaultSquashKey();
  if (key == nullptr) {
    state.SkipWithError("key conversion failed");
    return;
  }
  std::mt19937_64 g(4);
  std::vector<uint64_t> lwe(919);
  for (auto& x : lwe) x = g();
  const auto lut =
      GenerateLookupTable128(2048, 16, static_cast<u128>(1) << 123, [](uint64_t x) { return x; });
  std::vector<u128> out(4097);
  for (auto _ : state) {
    if (!ProgrammableBootstrap128(*key, ModulusSwitchType::Kind::kCenteredMean, lwe, lut, out)
             .ok()) {
      state.SkipWithError("bootstrap failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_SquashBootstrapDefault)->Unit(benchmark::kMillisecond)->Iterations(3);

// The squash bootstraps of one euint8 … euint64 request (2 … 16 packed blocks) on the shared
// pool (common/parallel.h), as a Small-format decryption runs them: wall time per block.
void BM_SquashBootstrapsParallelDefault(benchmark::State& state) {
  const NttBootstrapKey128* key = DefaultSquashKey();
  if (key == nullptr) {
    state.SkipWithError("key conversion failed");
    return;
  }
  const size_t blocks = static_cast<size_t>(state.range(0));
  std::mt19937_64 g(5);
  std::vector<std::vector<uint64_t>> lwes(blocks, std::vector<uint64_t>(919));
  for (auto& lwe : lwes)
    for (auto& x : lwe) x = g();
  const auto lut =
      GenerateLookupTable128(2048, 16, static_cast<u128>(1) << 123, [](uint64_t x) { return x; });
  std::vector<std::vector<u128>> out(blocks, std::vector<u128>(4097));
  for (auto _ : state) {
    absl::Status s = ParallelFor(blocks, [&](size_t i) {
      return ProgrammableBootstrap128(*key, ModulusSwitchType::Kind::kCenteredMean, lwes[i], lut,
                                      out[i]);
    });
    if (!s.ok()) state.SkipWithError("bootstrap failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(blocks) * state.iterations());
  state.counters["threads"] = static_cast<double>(ParallelThreads());
}
BENCHMARK(BM_SquashBootstrapsParallelDefault)
    ->Arg(2)
    ->Arg(4)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

// Our keys at BC_PARAMS_SNS's shape: compute secrets, compression secret, packing key,
// decompression key; a list of 256 blocks (8 FheUint64) and the 256 LWEs it packs.
struct DefaultCompression {
  ClientKey ck;
  CompressionKey compression_key;
  DecompressionKey64 decompression_key;
  CompressedCiphertextList list;
  std::vector<std::vector<uint64_t>> lwes;
  bool ok = false;
};

const DefaultCompression& Compression() {
  static DefaultCompression* d = [] {
    auto* out = new DefaultCompression;
    kms::testing::SeededRng rng(9);
    auto ck = GenerateClientKey(KmsDefaultKeyParameters(), rng);
    if (!ck.ok()) return out;
    out->ck = std::move(*ck);
    auto secret = GenerateCompressionPrivateKey(KmsDefaultCompressionParameters(), rng);
    if (!secret.ok()) return out;
    out->ck.compression_key = std::move(*secret);
    auto ck_key = GenerateCompressionKey(out->ck, rng);
    auto dk = GenerateDecompressionKey(out->ck, rng);
    if (!ck_key.ok() || !dk.ok()) return out;
    out->compression_key = std::move(*ck_key);
    out->decompression_key = std::move(*dk);
    std::vector<ShortintCiphertext> blocks;
    std::vector<DataKind> info(8);
    for (int v = 0; v < 8; ++v) {
      auto ct = EncryptFheUint(out->ck, 0x0123456789abcdefULL * (v + 1), 32, rng);
      if (!ct.ok()) return out;
      blocks.insert(blocks.end(), ct->blocks.begin(), ct->blocks.end());
      info[v].block_count = 32;
    }
    for (const auto& b : blocks) {
      out->lwes.push_back(b.ct.data);
      // The compression multiplies each block by the message modulus before packing.
      for (auto& w : out->lwes.back()) w *= b.message_modulus;
    }
    auto list = CompressCiphertexts(out->compression_key, blocks, info);
    if (!list.ok()) return out;
    out->list = std::move(*list);
    out->ok = true;
    return out;
  }();
  return *d;
}

void BM_DecompressBlockDefault(benchmark::State& state) {
  const DefaultCompression& d = Compression();
  if (!d.ok) {
    state.SkipWithError("key generation failed");
    return;
  }
  uint64_t i = 0;
  for (auto _ : state) {
    auto block = UnpackBlock(d.list, i++ % d.list.len(), d.decompression_key);
    if (!block.ok()) state.SkipWithError("decompression failed");
    benchmark::DoNotOptimize(block);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecompressBlockDefault)->Unit(benchmark::kMillisecond);

// 256 LWEs (n 2048) into one GLWE (k 4, N 256); the counter is the time per block.
void BM_PackingKeyswitch256Default(benchmark::State& state) {
  const DefaultCompression& d = Compression();
  if (!d.ok) {
    state.SkipWithError("key generation failed");
    return;
  }
  for (auto _ : state) {
    auto glwe = KeyswitchAndPack<uint64_t>(d.compression_key.packing_key_switching_key, d.lwes);
    if (!glwe.ok()) state.SkipWithError("packing failed");
    benchmark::DoNotOptimize(glwe);
  }
  state.SetItemsProcessed(256 * state.iterations());
  state.counters["per_block"] = benchmark::Counter(
      256, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PackingKeyswitch256Default)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_GenerateKeysetTest(benchmark::State& state) {
  crypto::AesCtrRng rng;
  for (auto _ : state) {
    auto ks = GenerateKeyset(KmsTestKeysetParameters(), rng);
    if (!ks.ok()) state.SkipWithError("keyset generation failed");
    benchmark::DoNotOptimize(ks);
  }
}
BENCHMARK(BM_GenerateKeysetTest)->Unit(benchmark::kMillisecond);

void BM_LoadPublishedServerKeyTest(benchmark::State& state) {
  crypto::AesCtrRng rng;
  auto ks = GenerateKeyset(KmsTestKeysetParameters(), rng);
  if (!ks.ok()) {
    state.SkipWithError("keyset generation failed");
    return;
  }
  for (auto _ : state) {
    auto keys = LoadPublishedServerKey(ks->server_key);
    if (!keys.ok()) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_LoadPublishedServerKeyTest)->Unit(benchmark::kMillisecond);

// One run; the counter is the serialized size of the published server key (GB).
void BM_GenerateKeysetDefault(benchmark::State& state) {
  crypto::AesCtrRng rng;
  for (auto _ : state) {
    auto last = std::chrono::steady_clock::now();
    std::string previous;
    auto ks =
        GenerateKeyset(KmsDefaultKeysetParameters(), rng, [&](std::string_view stage, int, int) {
          const auto now = std::chrono::steady_clock::now();
          if (!previous.empty()) {
            std::fprintf(stderr, "  %-32s %7.2f s\n", previous.c_str(),
                         std::chrono::duration<double>(now - last).count());
          }
          previous = std::string(stage);
          last = now;
        });
    if (!ks.ok()) {
      state.SkipWithError("keyset generation failed");
      return;
    }
    state.PauseTiming();
    auto bytes = SerializePublishedServerKey(ks->server_key);
    if (!bytes.ok()) state.SkipWithError("serialization failed");
    state.counters["server_key_GB"] = bytes.ok() ? static_cast<double>(bytes->size()) / 1e9 : 0;
    state.ResumeTiming();
  }
}
BENCHMARK(BM_GenerateKeysetDefault)->Unit(benchmark::kSecond)->Iterations(1);

// One load of a fresh default keyset's published server key (its generation not timed).
void BM_LoadPublishedServerKeyDefault(benchmark::State& state) {
  crypto::AesCtrRng rng;
  auto ks = GenerateKeyset(KmsDefaultKeysetParameters(), rng);
  if (!ks.ok()) {
    state.SkipWithError("keyset generation failed");
    return;
  }
  for (auto _ : state) {
    auto keys = LoadPublishedServerKey(ks->server_key);
    if (!keys.ok()) state.SkipWithError("load failed");
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_LoadPublishedServerKeyDefault)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace kms::tfhe

BENCHMARK_MAIN();
