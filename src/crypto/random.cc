#include "crypto/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/secure_zero.h"

namespace kms::crypto {

void OsRandom(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("fatal: the operating system did not supply random bytes\n", stderr);
    std::abort();
  }
}

AesCtrRng::AesCtrRng() {
  AesKey key;
  OsRandom(key);
  aes_.SetKey(key);
  SecureZero(key.data(), key.size());
}

AesCtrRng::AesCtrRng(const AesKey& key, unsigned __int128 counter) : aes_(key), counter_(counter) {}

AesCtrRng::~AesCtrRng() { SecureZero(buffer_.data(), buffer_.size()); }

void AesCtrRng::Refill() {
  constexpr size_t kBlocks = sizeof(buffer_) / 16;
  unsigned __int128 ctr[kBlocks];
  for (size_t i = 0; i < kBlocks; ++i) ctr[i] = counter_++;
  aes_.EncryptU128(ctr, reinterpret_cast<unsigned __int128*>(buffer_.data()), kBlocks);
  used_ = 0;
}

void AesCtrRng::Fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    if (used_ == buffer_.size()) Refill();
    size_t take = std::min(out.size() - done, buffer_.size() - used_);
    std::memcpy(out.data() + done, buffer_.data() + used_, take);
    SecureZero(buffer_.data() + used_, take);
    used_ += take;
    done += take;
  }
}

}  // namespace kms::crypto
