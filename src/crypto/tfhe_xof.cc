#include "crypto/tfhe_xof.h"

#include <algorithm>
#include <cstring>

#include "crypto/hash.h"
#include "crypto/secure_zero.h"

namespace kms::crypto {
namespace {

AesBlock Xor(const AesBlock& a, const AesBlock& b) {
  AesBlock r;
  for (size_t i = 0; i < r.size(); ++i) r[i] = a[i] ^ b[i];
  return r;
}

}  // namespace

TfheXof::InitialState TfheXof::Initialize(algebra::Z128 seed) {
  static_assert(kDsepTfheGen.size() == 8);
  // data = "TFHE_GEN" || u128le(seed): m_1, m_2 (zero-padded) and m_3 = u128le(192) of B §2.10.
  uint8_t data[24];
  std::memcpy(data, kDsepTfheGen.data(), 8);
  algebra::StoreLe<algebra::Z128>(seed, data + 8);
  InitialState state = InitializeFromData(data);
  SecureZero(data, sizeof(data));
  return state;
}

TfheXof::InitialState TfheXof::InitializeFromData(std::span<const uint8_t> data) {
  // c_0 = 0, c_i = AES_0(c_{i-1} XOR m_i); the last block m is the bit length. The key is the
  // last chaining value, the counter the one before it (c_0 = 0 for empty data).
  const Aes128 zero_key_aes(AesKey{});
  AesBlock prev{}, c{};
  auto absorb = [&](const AesBlock& m) {
    prev = c;
    c = zero_key_aes.Encrypt(Xor(prev, m));
  };
  for (size_t at = 0; at < data.size(); at += 16) {
    AesBlock m{};
    std::memcpy(m.data(), data.data() + at, std::min<size_t>(16, data.size() - at));
    absorb(m);
  }
  AesBlock bit_len{};
  algebra::StoreLe<algebra::Z128>(algebra::Z128{data.size()} * 8, bit_len.data());
  absorb(bit_len);
  InitialState state;
  state.key = c;
  state.counter = algebra::LoadLe<algebra::Z128>(prev.data());
  return state;
}

TfheXof::TfheXof(algebra::Z128 seed) {
  InitialState state = Initialize(seed);
  aes_.SetKey(state.key);
  counter_ = state.counter;
  SecureZero(state.key.data(), state.key.size());
}

TfheXof::TfheXof(const AesKey& key, algebra::Z128 counter) : aes_(key), counter_(counter) {}

TfheXof TfheXof::FromCtrSeed(algebra::Z128 seed) {
  AesKey key;
  algebra::StoreLe<algebra::Z128>(seed, key.data());
  TfheXof xof(key, 0);
  SecureZero(key.data(), key.size());
  return xof;
}

TfheXof::~TfheXof() { SecureZero(buffer_.data(), buffer_.size()); }

void TfheXof::Refill() {
  alignas(16) uint8_t counters[sizeof(buffer_)];
  for (size_t i = 0; i < kBufferBlocks; ++i) {
    algebra::StoreLe<algebra::Z128>(counter_, counters + 16 * i);
    ++counter_;  // unsigned: wraps mod 2^128
  }
  aes_.EncryptBlocks(counters, buffer_.data(), kBufferBlocks);
  used_ = 0;
}

void TfheXof::Fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    if (used_ == buffer_.size()) Refill();
    const size_t take = std::min(out.size() - done, buffer_.size() - used_);
    std::memcpy(out.data() + done, buffer_.data() + used_, take);
    used_ += take;
    done += take;
  }
}

algebra::Z128 TfheXof::NextU128() {
  uint8_t bytes[16];
  Fill(bytes);
  return algebra::LoadLe<algebra::Z128>(bytes);
}

uint64_t TfheXof::NextU64() {
  uint8_t bytes[8];
  Fill(bytes);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | bytes[i];
  return v;
}

void TfheXof::Skip(uint64_t bytes) {
  // Whole buffers are skipped by moving the counter; the rest is read and dropped.
  const uint64_t left = buffer_.size() - used_;
  if (bytes <= left) {
    used_ += bytes;
    return;
  }
  bytes -= left;
  used_ = buffer_.size();
  counter_ += bytes / 16;
  const size_t rest = bytes % 16;
  if (rest != 0) {
    uint8_t drop[16];
    Fill(std::span<uint8_t>(drop, rest));
  }
}

}  // namespace kms::crypto
