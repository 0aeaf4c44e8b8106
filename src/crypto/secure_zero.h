// File: crypto/secure_zero.h
//
// Zeroing of secret buffers that the compiler may not optimise away, and a byte buffer that
// zeroes itself when released. Every key share, PRSS key and signing key lives in one of these
// (or is wiped with SecureZero) before its memory is returned.
#ifndef KMS_CRYPTO_SECURE_ZERO_H_
#define KMS_CRYPTO_SECURE_ZERO_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kms::crypto {

void SecureZero(void* data, size_t size);

template <typename T>
void SecureZero(std::span<T> data) {
  SecureZero(data.data(), data.size_bytes());
}

template <typename T>
void SecureZero(std::vector<T>& data) {
  SecureZero(data.data(), data.size() * sizeof(T));
}

// A byte vector for secrets: zeroed on destruction and before reallocation-free clears.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : data_(size) {}
  explicit SecretBytes(std::span<const uint8_t> data) : data_(data.begin(), data.end()) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) {
      SecureZero(data_);
      data_ = o.data_;
    }
    return *this;
  }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      SecureZero(data_);
      data_ = std::move(o.data_);
    }
    return *this;
  }
  ~SecretBytes() { SecureZero(data_); }

  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  std::span<const uint8_t> span() const { return data_; }
  std::span<uint8_t> span() { return data_; }
  uint8_t& operator[](size_t i) { return data_[i]; }
  uint8_t operator[](size_t i) const { return data_[i]; }

 private:
  std::vector<uint8_t> data_;
};

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_SECURE_ZERO_H_
