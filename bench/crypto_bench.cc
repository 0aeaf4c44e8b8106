// Google Benchmarks of the crypto layer's hot paths:
//   - response signing: secp256k1 sign, verify and recover of a 32-byte digest, and the EIP-712
//     digest of a PublicDecryptVerification with 64 handles (a full public-decryption response);
//   - user decryption: X25519 hybrid encryption and decryption of a 1 KiB share, and ML-KEM-512
//     and ML-KEM-1024 (FIPS 203) key generation, encapsulation, decapsulation, and decapsulation
//     of a rejected ciphertext (which should cost the same: it takes the same path);
//   - Keccak-256 of 32 bytes and 2 KiB;
//   - the PRSS building blocks: AES-128 on 1 and 4096 blocks, PrssPrf::Phi over 990 blocks
//     (the mask of one decryption batch), and the PrssPrf key derivation of one session at 13
//     parties (495 sets containing a party; it runs once per session and set, never per block).
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/aes128.h"
#include "crypto/eip712.h"
#include "crypto/hybrid_encryption.h"
#include "crypto/keccak.h"
#include "crypto/ml_kem.h"
#include "crypto/prf.h"
#include "crypto/secp256k1_signer.h"

namespace kms::crypto {
namespace {

Digest TestDigest(uint8_t seed) {
  Digest d;
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(seed + 13 * i);
  return d;
}

Eip712Domain TestDomain() {
  Eip712Domain domain;
  domain.name = "Decryption";
  domain.version = "1";
  domain.chain_id = Uint256FromU64(12345);
  domain.verifying_contract = EthAddress{0xcc, 0xcc, 0xcc};
  return domain;
}

void BM_Secp256k1Sign(benchmark::State& state) {
  SigningKey key = SigningKey::Generate();
  Digest digest = TestDigest(1);
  for (auto _ : state) {
    Signature65 sig = key.SignDigest(digest);
    benchmark::DoNotOptimize(sig);
    digest[0]++;
  }
}
BENCHMARK(BM_Secp256k1Sign)->Unit(benchmark::kMicrosecond);

void BM_Secp256k1Verify(benchmark::State& state) {
  SigningKey key = SigningKey::Generate();
  const Digest digest = TestDigest(2);
  const Signature65 sig = key.SignDigest(digest);
  const VerificationKey& vk = key.verification_key();
  for (auto _ : state) {
    bool ok = vk.VerifyDigest(digest, sig);
    if (!ok) state.SkipWithError("signature did not verify");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_Secp256k1Verify)->Unit(benchmark::kMicrosecond);

void BM_Secp256k1Recover(benchmark::State& state) {
  SigningKey key = SigningKey::Generate();
  const Digest digest = TestDigest(3);
  const Signature65 sig = key.SignDigest(digest);
  for (auto _ : state) {
    auto recovered = VerificationKey::RecoverFromSignature(digest, sig);
    if (!recovered.ok()) state.SkipWithError("recovery failed");
    benchmark::DoNotOptimize(recovered);
  }
}
BENCHMARK(BM_Secp256k1Recover)->Unit(benchmark::kMicrosecond);

void BM_Secp256k1RecoverAddress(benchmark::State& state) {
  // What a verifier of an EIP-712 response does: recover, then compare addresses.
  SigningKey key = SigningKey::Generate();
  const Digest digest = TestDigest(4);
  const Signature65 sig = key.SignDigest(digest);
  for (auto _ : state) {
    auto recovered = VerificationKey::RecoverFromSignature(digest, sig);
    EthAddress address = recovered.ok() ? recovered->EthereumAddress() : EthAddress{};
    benchmark::DoNotOptimize(address);
  }
}
BENCHMARK(BM_Secp256k1RecoverAddress)->Unit(benchmark::kMicrosecond);

// Arg: number of handles; the result is one ABI uint256 word per handle.
void BM_Eip712PublicDecryptDigest(benchmark::State& state) {
  const size_t handles_count = static_cast<size_t>(state.range(0));
  std::vector<Digest> handles;
  for (size_t i = 0; i < handles_count; ++i) handles.push_back(TestDigest(static_cast<uint8_t>(i)));
  const Bytes result(32 * handles_count, 0x5a);
  const Bytes extra_data;
  const Eip712Domain domain = TestDomain();
  for (auto _ : state) {
    Digest digest = Eip712Digest(domain, PublicDecryptVerification(handles, result, extra_data));
    benchmark::DoNotOptimize(digest);
  }
}
BENCHMARK(BM_Eip712PublicDecryptDigest)->Arg(1)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_Eip712SignPublicDecrypt64(benchmark::State& state) {
  // Digest plus signature: the signing cost of one public-decryption response.
  std::vector<Digest> handles;
  for (int i = 0; i < 64; ++i) handles.push_back(TestDigest(static_cast<uint8_t>(i)));
  const Bytes result(32 * 64, 0x5a);
  const Eip712Domain domain = TestDomain();
  SigningKey key = SigningKey::Generate();
  for (auto _ : state) {
    Signature65 sig =
        key.SignDigest(Eip712Digest(domain, PublicDecryptVerification(handles, result, {})));
    benchmark::DoNotOptimize(sig);
  }
}
BENCHMARK(BM_Eip712SignPublicDecrypt64)->Unit(benchmark::kMicrosecond);

void BM_Keccak256(benchmark::State& state) {
  const Bytes data(static_cast<size_t>(state.range(0)), 0x42);
  for (auto _ : state) {
    Digest d = Keccak256(data);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Keccak256)->Arg(32)->Arg(2048);

void BM_HybridEncrypt(benchmark::State& state) {
  X25519Kem kem;
  const KemKeyPair pair = kem.GenerateKeyPair();
  const Bytes plaintext(static_cast<size_t>(state.range(0)), 0x11);
  const Bytes aad(32, 0x22);
  for (auto _ : state) {
    auto ct = HybridEncrypt(kem, pair.public_key, plaintext, aad);
    if (!ct.ok()) state.SkipWithError("encryption failed");
    benchmark::DoNotOptimize(ct);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_HybridEncrypt)->Arg(1024)->Unit(benchmark::kMicrosecond);

void BM_HybridDecrypt(benchmark::State& state) {
  X25519Kem kem;
  const KemKeyPair pair = kem.GenerateKeyPair();
  const Bytes plaintext(static_cast<size_t>(state.range(0)), 0x11);
  const Bytes aad(32, 0x22);
  const Bytes ct = HybridEncrypt(kem, pair.public_key, plaintext, aad).value();
  for (auto _ : state) {
    auto pt = HybridDecrypt(kem, pair.private_key, ct, aad);
    if (!pt.ok()) state.SkipWithError("decryption failed");
    benchmark::DoNotOptimize(pt);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_HybridDecrypt)->Arg(1024)->Unit(benchmark::kMicrosecond);

// ML-KEM. Arg: 512 or 1024, the parameter set.
const MlKemParameters& MlKemSet(const benchmark::State& state) {
  return state.range(0) == 1024 ? kMlKem1024 : kMlKem512;
}

void BM_MlKemKeyGen(benchmark::State& state) {
  const MlKem kem(MlKemSet(state));
  for (auto _ : state) {
    MlKemKeyPair keys = kem.KeyGen();
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_MlKemKeyGen)->Arg(512)->Arg(1024)->Unit(benchmark::kMicrosecond);

void BM_MlKemEncaps(benchmark::State& state) {
  // What a server does per user-decryption share: the ek checks and an encapsulation.
  const MlKem kem(MlKemSet(state));
  const MlKemKeyPair keys = kem.KeyGen();
  for (auto _ : state) {
    auto enc = kem.Encaps(keys.encapsulation_key);
    if (!enc.ok()) state.SkipWithError("encapsulation failed");
    benchmark::DoNotOptimize(enc);
  }
}
BENCHMARK(BM_MlKemEncaps)->Arg(512)->Arg(1024)->Unit(benchmark::kMicrosecond);

void BM_MlKemDecaps(benchmark::State& state) {
  const MlKem kem(MlKemSet(state));
  const MlKemKeyPair keys = kem.KeyGen();
  const MlKemEncapsulation enc = kem.Encaps(keys.encapsulation_key).value();
  for (auto _ : state) {
    auto key = kem.Decaps(keys.decapsulation_key.span(), enc.ciphertext);
    if (!key.ok()) state.SkipWithError("decapsulation failed");
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_MlKemDecaps)->Arg(512)->Arg(1024)->Unit(benchmark::kMicrosecond);

void BM_MlKemDecapsRejected(benchmark::State& state) {
  const MlKem kem(MlKemSet(state));
  const MlKemKeyPair keys = kem.KeyGen();
  Bytes tampered = kem.Encaps(keys.encapsulation_key).value().ciphertext;
  tampered[0] ^= 1;
  for (auto _ : state) {
    auto key = kem.Decaps(keys.decapsulation_key.span(), tampered);
    if (!key.ok()) state.SkipWithError("decapsulation failed");
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_MlKemDecapsRejected)->Arg(512)->Arg(1024)->Unit(benchmark::kMicrosecond);

// Arg: number of 16-byte blocks per call.
void BM_Aes128Encrypt(benchmark::State& state) {
  AesKey key{};
  key[0] = 7;
  const Aes128 aes(key);
  const size_t blocks = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> buffer(16 * blocks, 0x33);
  for (auto _ : state) {
    aes.EncryptBlocks(buffer.data(), buffer.data(), blocks);
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
  state.counters["ns_per_block"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(blocks),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Aes128Encrypt)->Arg(1)->Arg(4096);

void BM_PrssPhi(benchmark::State& state) {
  AesKey r_a{};
  r_a[5] = 9;
  const PrssPrf prf(r_a, SessionId{12345});
  const size_t count = static_cast<size_t>(state.range(0));
  std::vector<unsigned __int128> out(count);
  const unsigned __int128 bd1 = static_cast<unsigned __int128>(1) << 44;
  uint64_t ctr = 0;
  for (auto _ : state) {
    prf.Phi(ctr, count, bd1, out.data());
    ctr += count;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["ns_per_block"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(count),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PrssPhi)->Arg(990)->Unit(benchmark::kMicrosecond);

// Per-session PRF setup of `keys.size()` sets, for each key form PrssPrf accepts.
template <typename Key>
void RunPrfKeySetup(benchmark::State& state, const std::vector<Key>& keys) {
  std::vector<PrssPrf> prfs;
  prfs.reserve(keys.size());
  SessionId sid = 777;
  for (auto _ : state) {
    prfs.clear();
    for (const Key& key : keys) prfs.emplace_back(key, sid);
    ++sid;
    benchmark::DoNotOptimize(prfs.data());
    benchmark::ClobberMemory();
  }
  state.counters["ns_per_set"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(keys.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_PrssPrfKeySetup(benchmark::State& state) {
  const size_t sets = static_cast<size_t>(state.range(0));
  std::vector<AesKey> r(sets);
  for (size_t a = 0; a < sets; ++a) r[a][a % 16] = static_cast<uint8_t>(a);
  RunPrfKeySetup(state, r);
}
BENCHMARK(BM_PrssPrfKeySetup)->Arg(495)->Unit(benchmark::kMicrosecond);

// As PrssState does it: r_A's key schedule expanded once per epoch (mpc::PrssSetup).
void BM_PrssPrfKeySetupFromSchedule(benchmark::State& state) {
  const size_t sets = static_cast<size_t>(state.range(0));
  std::vector<Aes128> r(sets);
  for (size_t a = 0; a < sets; ++a) {
    AesKey k{};
    k[a % 16] = static_cast<uint8_t>(a);
    r[a].SetKey(k);
  }
  RunPrfKeySetup(state, r);
}
BENCHMARK(BM_PrssPrfKeySetupFromSchedule)->Arg(495)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kms::crypto

BENCHMARK_MAIN();
