// File: lwe/secret_key.h
//
// The KMS encryption key in the clear: a binary vector s of dimension n̂ (crypto-spec A.2).
// Only the centralized mode and tests hold one; the threshold mode holds Shamir shares of each
// bit instead and never builds this type. Bits are stored as Z128 values 0 or 1 so the same
// product routines serve the key and its shares (compact_public_key.h). The bits are zeroed on
// destruction and before being overwritten.
//
// Example:
//   SecretKey sk = SecretKey::Generate(TestParameters(), rng);
//   CompactPublicKey pk = GenerateCompactPublicKey(sk, seed, rng);
#ifndef KMS_LWE_SECRET_KEY_H_
#define KMS_LWE_SECRET_KEY_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "algebra/random_source.h"
#include "lwe/parameters.h"

namespace kms::lwe {

class SecretKey {
 public:
  // A fresh uniform binary key of dimension params.lwe_dimension. `params` must outlive the key
  // (the parameter sets of parameters.h live for the whole process).
  static SecretKey Generate(const LweParameters& params, algebra::RandomSource& rng);

  // From explicit bits (each 0 or 1), e.g. a parsed key file. InvalidArgument if the count is not
  // params.lwe_dimension or a value is not a bit (the message gives the index, not the value).
  static absl::StatusOr<SecretKey> FromBits(const LweParameters& params,
                                            std::span<const uint8_t> bits);

  SecretKey(const SecretKey& other) = default;
  SecretKey(SecretKey&& other) noexcept = default;
  SecretKey& operator=(const SecretKey& other);
  SecretKey& operator=(SecretKey&& other) noexcept;
  ~SecretKey();

  const LweParameters& params() const { return *params_; }
  int dimension() const { return static_cast<int>(bits_.size()); }
  // s_0..s_{n̂-1}, each 0 or 1.
  std::span<const Z128> bits() const { return bits_; }

 private:
  SecretKey(const LweParameters* params, std::vector<Z128> bits)
      : params_(params), bits_(std::move(bits)) {}
  void Wipe();

  const LweParameters* params_;
  std::vector<Z128> bits_;
};

}  // namespace kms::lwe

#endif  // KMS_LWE_SECRET_KEY_H_
