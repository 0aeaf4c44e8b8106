// Google Benchmarks of the MPC layer, all parties in one process over the in-process network.
//  - PRSS init (4 and 13 parties); per-party PRSS.Next and Mask.Next at 13 parties;
//  - robust open of 10,000 values among 13 parties with 0 and 4 bad parties;
//  - public decryption at 13 parties, default parameters: per-party CPU per LWE block of each
//    step (partial decryption, mask, reconstruction) for batches of 1, 64 and 2048 euint64, and
//    the whole protocol end to end;
//  - tfhe-rs decryption (mpc/tfhe_decryption.h): one party's partial decryption + Mask.Next per
//    128-bit LWE block at 4096 (k_s·N_s) and 6144 (k_sc·N_sc) dimensions, 4 and 13 parties;
//  - triples per second per party (4 and 13 parties); DKG wall time (4 parties default, 13 test);
//  - the tfhe-rs keyset's DKG: end to end at the test set, and its online part alone (dealt
//    material) at the test and default sets, with bytes sent and peak memory.
// Multi-party figures run n threads on this machine's cores: "per party" CPU time is the
// process CPU time divided by n, the figure that compares with one machine per party.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>

#include "algebra/robust_reconstruction.h"
#include "crypto/random.h"
#include "lwe/typed_ciphertext.h"
#include "mpc/broadcast.h"
#include "mpc/decryption.h"
#include "mpc/dkg.h"
#include "mpc/preprocessing.h"
#include "mpc/prss.h"
#include "mpc/robust_open.h"
#include "mpc/tfhe_decryption.h"
#include "mpc/tfhe_dkg.h"
#include "testing/adversary.h"
#include "testing/dealt_dkg_material.h"
#include "testing/mpc_harness.h"
#include "testing/prss_fixture.h"

namespace kms::mpc {
namespace {

using algebra::Z128;
using Clock = std::chrono::steady_clock;

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Runs `body` on n parties; sets the iteration's manual time to the wall time, accumulates the
// per-party CPU seconds into `cpu_per_party`, and reports the rounds party 1 ran and the bytes a
// party sent (mean over parties) of the last iteration.
template <typename T>
void RunCluster(benchmark::State& state, int n, net::NetworkMode mode,
                const std::function<absl::StatusOr<T>(Session&)>& body, double& cpu_per_party,
                std::map<Role, net::Interceptor> adversaries = {},
                std::chrono::milliseconds session_timeout = std::chrono::minutes(2)) {
  net::InProcessHub hub(n);
  for (const auto& [r, interceptor] : adversaries) hub.SetInterceptor(r, interceptor);
  testing::RunOptions opt;
  opt.n = n;
  opt.t = (n - 1) / 3;
  opt.mode = mode;
  opt.round_timeout = std::chrono::milliseconds(20000);
  opt.session_timeout = session_timeout;
  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = Clock::now();
  std::atomic<uint64_t> rounds{0};
  auto results = testing::RunParties<T>(hub, opt, [&](Session& s) {
    auto out = body(s);
    if (s.my_role() == 1) rounds = s.net().round();
    return out;
  });
  uint64_t bytes = 0;
  for (Role r = 1; r <= n; ++r) bytes += hub.traffic(r).bytes_sent;
  state.counters["rounds"] = static_cast<double>(rounds.load());
  state.counters["bytes_sent_per_party"] = static_cast<double>(bytes) / n;
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  cpu_per_party += (ProcessCpuSeconds() - cpu0) / n;
  state.SetIterationTime(wall);
  for (int r = 1; r <= n; ++r)
    if (!adversaries.contains(r) && !results[r - 1].value.ok())
      state.SkipWithError(std::string(results[r - 1].value.status().message()).c_str());
}

void ReportCpu(benchmark::State& state, double cpu_per_party, double units, const char* name) {
  state.counters["cpu_per_party_s"] = cpu_per_party / static_cast<double>(state.iterations());
  if (units > 0)
    state.counters[name] = cpu_per_party / static_cast<double>(state.iterations()) / units * 1e6;
}

// ---- broadcast ----

// Every party broadcasts a 1 KiB message.
void BM_Broadcast(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string message(1024, 'm');
  double cpu = 0;
  for (auto _ : state)
    RunCluster<std::map<Role, std::optional<std::string>>>(
        state, n, net::NetworkMode::kSync, [&](Session& s) { return BroadcastFromAll(s, message); },
        cpu);
  ReportCpu(state, cpu, 0, "");
}
BENCHMARK(BM_Broadcast)
    ->Arg(4)
    ->Arg(13)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

// ---- PRSS ----

void BM_PrssInit(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  double cpu = 0;
  for (auto _ : state)
    RunCluster<PrssSetup>(
        state, n, net::NetworkMode::kSync, [](Session& s) { return PrssInit(s); }, cpu);
  ReportCpu(state, cpu, 0, "");
}
BENCHMARK(BM_PrssInit)
    ->Arg(4)
    ->Arg(13)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

void BM_PrssNext13(benchmark::State& state) {
  auto setups = testing::DealtPrssSetups(13, 4);
  PrssState<Share> prss(setups[0], 1);
  const size_t batch = static_cast<size_t>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(prss.NextRandom(batch));
  state.counters["us_per_value"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PrssNext13)->Arg(1)->Arg(1024)->Unit(benchmark::kMicrosecond);

void BM_MaskNext13(benchmark::State& state) {
  auto setups = testing::DealtPrssSetups(13, 4);
  PrssState<Share> prss(setups[0], 1);
  const size_t batch = static_cast<size_t>(state.range(0));
  const Z128 bd = lwe::DefaultParameters().flooding_bound;
  for (auto _ : state) benchmark::DoNotOptimize(prss.NextMask(batch, bd));
  state.counters["us_per_value"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_MaskNext13)->Arg(1)->Arg(1024)->Unit(benchmark::kMicrosecond);

// ---- robust open ----

void BM_RobustOpen13(benchmark::State& state) {
  const int n = 13, t = 4, bad = static_cast<int>(state.range(0));
  const size_t count = 10000;
  crypto::AesCtrRng rng;
  std::vector<std::vector<Share>> shares(n);
  for (size_t k = 0; k < count; ++k) {
    auto s = algebra::ShareSecret(Share::Random(rng), n, t, rng);
    for (int p = 0; p < n; ++p) shares[p].push_back(s[p]);
  }
  std::map<Role, net::Interceptor> adv;
  for (int i = 0; i < bad; ++i) adv[1 + 3 * i] = testing::WrongShares();
  double cpu = 0;
  for (auto _ : state)
    RunCluster<std::vector<Share>>(
        state, n, net::NetworkMode::kSync,
        [&](Session& s) { return RobustOpen<Share>(s, shares[s.my_role() - 1], t); }, cpu, adv);
  ReportCpu(state, cpu, count, "cpu_us_per_value_per_party");
}
BENCHMARK(BM_RobustOpen13)
    ->Arg(0)
    ->Arg(4)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// ---- public decryption, 13 parties, default parameters ----

struct DecryptionFixture {
  std::vector<KeyShare> keys;
  std::vector<PrssSetup> setups;
  std::vector<lwe::TypedCiphertext> cts;
};

// An insecurely dealt key (the DKG is measured separately) and `count` euint64 ciphertexts.
const DecryptionFixture& Fixture(size_t count) {
  static std::map<size_t, DecryptionFixture> cache;
  auto it = cache.find(count);
  if (it != cache.end()) return it->second;
  const int n = 13, t = 4;
  DecryptionFixture f;
  f.setups = testing::DealtPrssSetups(n, t);
  net::InProcessHub hub(n);
  testing::RunOptions opt;
  opt.n = n;
  opt.t = t;
  auto keys = testing::RunParties<KeyShare>(
      hub, opt, [](Session& s) { return InsecureDealerKeyGen(s, lwe::DefaultParameters()); });
  for (auto& k : keys) f.keys.push_back(*k.value);
  crypto::AesCtrRng rng;
  for (size_t i = 0; i < count; ++i)
    f.cts.push_back(
        *lwe::EncryptTyped(f.keys[0].public_key,
                           *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint64, i * 7919), rng));
  return cache.emplace(count, std::move(f)).first->second;
}

void BM_PartialDecryptionWithMask13(benchmark::State& state) {
  const auto& f = Fixture(static_cast<size_t>(state.range(0)));
  const size_t blocks = f.cts.size() * 4;
  PrssState<Share> prss(f.setups[0], 5);
  for (auto _ : state) benchmark::DoNotOptimize(MaskedPartialDecryptions(f.keys[0], prss, f.cts));
  state.counters["us_per_block"] =
      benchmark::Counter(static_cast<double>(state.iterations() * blocks),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PartialDecryptionWithMask13)
    ->Arg(1)
    ->Arg(64)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond);

void BM_MaskOnly13(benchmark::State& state) {
  const auto& f = Fixture(static_cast<size_t>(state.range(0)));
  const size_t blocks = f.cts.size() * 4;
  PrssState<Share> prss(f.setups[0], 5);
  for (auto _ : state)
    benchmark::DoNotOptimize(prss.NextMask(blocks, f.keys[0].params->flooding_bound));
  state.counters["us_per_block"] =
      benchmark::Counter(static_cast<double>(state.iterations() * blocks),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_MaskOnly13)->Arg(1)->Arg(64)->Arg(2048)->Unit(benchmark::kMillisecond);

void BM_Reconstruction13(benchmark::State& state) {
  const auto& f = Fixture(static_cast<size_t>(state.range(0)));
  const size_t blocks = f.cts.size() * 4;
  algebra::ShareColumns<Share> cols;
  for (int p = 1; p <= 13; ++p) {
    PrssState<Share> prss(f.setups[p - 1], 5);
    cols.parties.push_back(p);
    cols.values.push_back(MaskedPartialDecryptions(f.keys[p - 1], prss, f.cts));
  }
  for (auto _ : state) {
    auto out = algebra::TryReconstructBatchAsync<Share>({13, 4, 4}, cols, 0);
    if (out.status != algebra::ReconstructStatus::kDone)
      state.SkipWithError("reconstruction failed");
    benchmark::DoNotOptimize(out);
  }
  state.counters["us_per_block"] =
      benchmark::Counter(static_cast<double>(state.iterations() * blocks),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Reconstruction13)->Arg(1)->Arg(64)->Arg(2048)->Unit(benchmark::kMillisecond);

void BM_PublicDecryptEndToEnd13(benchmark::State& state) {
  const auto& f = Fixture(static_cast<size_t>(state.range(0)));
  double cpu = 0;
  for (auto _ : state)
    RunCluster<std::vector<lwe::TypedPlaintext>>(
        state, 13, net::NetworkMode::kAsync,
        [&](Session& s) {
          return PublicDecrypt(s, f.keys[s.my_role() - 1], f.setups[s.my_role() - 1], f.cts);
        },
        cpu);
  ReportCpu(state, cpu, static_cast<double>(f.cts.size() * 4), "cpu_us_per_block_per_party");
}
BENCHMARK(BM_PublicDecryptEndToEnd13)
    ->Arg(1)
    ->Arg(64)
    ->Arg(2048)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// ---- tfhe-rs ciphertexts (128-bit LWE blocks) ----

// One party's masked partial decryptions of 64 random blocks of dimension range(0) (the cost
// does not depend on which of the two keys the blocks are under), n = range(1) parties.
void BM_TfhePartialDecryptionWithMask(benchmark::State& state) {
  const uint64_t dim = static_cast<uint64_t>(state.range(0));
  const int n = static_cast<int>(state.range(1));
  constexpr size_t kBlocks = 64;
  crypto::AesCtrRng rng;
  TfheKeyShare key;
  key.sns_params.glwe_dimension = dim / 2048;
  key.sns_params.polynomial_size = 2048;
  key.sns_params.message_modulus = 4;
  key.sns_params.carry_modulus = 4;
  key.sns_key.resize(dim);
  for (auto& s : key.sns_key)
    s = Share({rng.Uniform<Z128>(), rng.Uniform<Z128>(), rng.Uniform<Z128>(), rng.Uniform<Z128>()});
  TfheDecryptionInput in;
  in.type = lwe::FheType::kEuint256;
  in.message_modulus = 4;
  in.carry_modulus = 4;
  for (size_t b = 0; b < kBlocks; ++b) {
    tfhe::LweCiphertext128 ct;
    ct.data.resize(dim + 1);
    for (auto& w : ct.data) w = rng.Uniform<Z128>();
    in.blocks.push_back(std::move(ct));
    in.block_bits.push_back(4);
  }
  if (!ValidateTfheInput(in, key).ok()) {
    state.SkipWithError("invalid benchmark input");
    return;
  }
  auto setups = testing::DealtPrssSetups(n, (n - 1) / 3);
  PrssState<Share> prss(setups[0], 5);
  std::vector<TfheDecryptionInput> inputs = {in};
  for (auto _ : state) benchmark::DoNotOptimize(TfheMaskedPartialDecryptions(key, prss, inputs));
  state.counters["us_per_block"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kBlocks),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_TfhePartialDecryptionWithMask)
    ->Args({4096, 4})
    ->Args({6144, 4})
    ->Args({4096, 13})
    ->Args({6144, 13})
    ->Unit(benchmark::kMillisecond);

// ---- preprocessing and DKG ----

void BM_Triples(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const size_t count = 10000;
  auto setups = testing::DealtPrssSetups(n, (n - 1) / 3);
  double cpu = 0;
  for (auto _ : state)
    RunCluster<Triples>(
        state, n, net::NetworkMode::kSync,
        [&](Session& s) {
          PrssState<Share> prss(setups[s.my_role() - 1], s.id());
          return GenerateTriples(s, prss, count);
        },
        cpu);
  const double per_party_cpu = cpu / static_cast<double>(state.iterations());
  state.counters["triples_per_s_per_party_cpu"] = static_cast<double>(count) / per_party_cpu;
}
BENCHMARK(BM_Triples)
    ->Arg(4)
    ->Arg(13)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// Random bits (GenBits: a triple, a Mult and an open per bit), the bulk of a keyset's
// preprocessing (about 877 M bits for the default tfhe-rs keyset, crypto-spec B §2.10).
void BM_Bits(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const size_t count = 10000;
  auto setups = testing::DealtPrssSetups(n, (n - 1) / 3);
  double cpu = 0;
  for (auto _ : state)
    RunCluster<std::vector<Share>>(
        state, n, net::NetworkMode::kSync,
        [&](Session& s) {
          PrssState<Share> prss(setups[s.my_role() - 1], s.id());
          return GenerateBits(s, prss, count);
        },
        cpu);
  const double per_party_cpu = cpu / static_cast<double>(state.iterations());
  state.counters["bits_per_s_per_party_cpu"] = static_cast<double>(count) / per_party_cpu;
}
BENCHMARK(BM_Bits)->Arg(4)->Arg(13)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_Dkg(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const lwe::LweParameters& params =
      state.range(1) ? lwe::DefaultParameters() : lwe::TestParameters();
  auto setups = testing::DealtPrssSetups(n, (n - 1) / 3);
  double cpu = 0;
  for (auto _ : state)
    RunCluster<KeyShare>(
        state, n, net::NetworkMode::kSync,
        [&](Session& s) -> absl::StatusOr<KeyShare> {
          PrssState<Share> prss(setups[s.my_role() - 1], s.id());
          auto material = Preprocess(s, prss, DkgBitsNeeded(params), DkgRandomsNeeded(params),
                                     kTripleBatch, nullptr);
          if (!material.ok()) return material.status();
          return DistributedKeyGen(s, params, *material);
        },
        cpu);
  ReportCpu(state, cpu, 0, "");
  state.SetLabel(params.name);
}
BENCHMARK(BM_Dkg)
    ->Args({4, 1})
    ->Args({13, 0})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// The tfhe-rs keyset's DKG end to end at the test parameters (KmsTestKeysetParameters):
// preprocessing (729 k bits, 66 k triples, the seed's random) on a synchronous session, then the
// online DKG on the same session, every party in memory. The reference's CI runs its
// test-parameter DKG (preprocessing and online) for 4 parties in about 360 s.
void BM_TfheDkg(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const tfhe::KeysetParameters params = tfhe::KmsTestKeysetParameters();
  const absl::StatusOr<DkgMaterialCounts> counts = TfheDkgMaterialNeeded(params);
  if (!counts.ok()) {
    state.SkipWithError(std::string(counts.status().message()).c_str());
    return;
  }
  auto setups = testing::DealtPrssSetups(n, (n - 1) / 3);
  double cpu = 0;
  for (auto _ : state)
    RunCluster<TfheDkgOutput>(
        state, n, net::NetworkMode::kSync,
        [&](Session& s) -> absl::StatusOr<TfheDkgOutput> {
          PrssState<Share> prss(setups[s.my_role() - 1], s.id());
          std::vector<Share> bits;
          while (bits.size() < counts->bits) {
            const size_t m = std::min<size_t>(kTripleBatch, counts->bits - bits.size());
            auto chunk = PreprocessChunk(s, prss, MaterialKind::kBits, m);
            if (!chunk.ok()) return chunk.status();
            bits.insert(bits.end(), chunk->shares.begin(), chunk->shares.end());
          }
          auto triples = GenerateTriples(s, prss, counts->triples);
          if (!triples.ok()) return triples.status();
          InMemoryDkgMaterial material(std::move(bits), std::move(*triples),
                                       prss.NextRandom(counts->randoms));
          return TfheDistributedKeyGen(s, params, material, nullptr, TfheDkgOptions{});
        },
        cpu);
  ReportCpu(state, cpu, 0, "");
}
BENCHMARK(BM_TfheDkg)->Arg(4)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);

// The online DKG of a tfhe-rs keyset alone, on material dealt from a seed
// (testing/dealt_dkg_material.h, standing in for a finished preprocessing), in one asynchronous
// session as the service runs it: range(0) parties, range(1) 0 the test set, 1 the default set
// (BC_PARAMS_SNS, a published ServerKey of 1.6 GB). Peak memory is the whole process's (all
// parties). With the preprocessing rates of BM_Bits and BM_Triples it gives the whole DKG.
void BM_TfheDkgOnline(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const tfhe::KeysetParameters params =
      state.range(1) ? tfhe::KmsDefaultKeysetParameters() : tfhe::KmsTestKeysetParameters();
  const absl::StatusOr<DkgMaterialCounts> counts = TfheDkgMaterialNeeded(params);
  if (!counts.ok()) {
    state.SkipWithError(std::string(counts.status().message()).c_str());
    return;
  }
  const int t = (n - 1) / 3;
  double cpu = 0;
  for (auto _ : state)
    RunCluster<TfheDkgOutput>(
        state, n, net::NetworkMode::kAsync,
        [&](Session& s) -> absl::StatusOr<TfheDkgOutput> {
          testing::SeededDkgMaterial material(20261204, t, s.my_role(), *counts);
          tfhe::KeysetProgress progress;
          if (s.my_role() == 1) {
            progress = [start = Clock::now()](std::string_view stage, int done, int total) {
              std::fprintf(stderr, "  [%6.1f s] %.*s %d/%d\n",
                           std::chrono::duration<double>(Clock::now() - start).count(),
                           static_cast<int>(stage.size()), stage.data(), done, total);
            };
          }
          return TfheDistributedKeyGen(s, params, material, progress, TfheDkgOptions{});
        },
        cpu, {}, std::chrono::hours(6));
  ReportCpu(state, cpu, 0, "");
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  state.counters["peak_rss_mb_all_parties"] = static_cast<double>(u.ru_maxrss) / 1024;
  state.counters["bits"] = static_cast<double>(counts->bits);
  state.counters["triples"] = static_cast<double>(counts->triples);
  state.SetLabel(state.range(1) ? "tfhe-default" : "tfhe-test");
}
BENCHMARK(BM_TfheDkgOnline)
    ->Args({4, 0})
    ->Args({13, 0})
    ->Args({4, 1})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace kms::mpc

BENCHMARK_MAIN();
