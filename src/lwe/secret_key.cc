#include "lwe/secret_key.h"

#include "absl/strings/str_cat.h"
#include "crypto/secure_zero.h"
#include "lwe/noise.h"

namespace kms::lwe {

SecretKey SecretKey::Generate(const LweParameters& params, algebra::RandomSource& rng) {
  std::vector<Z128> bits(static_cast<size_t>(params.lwe_dimension));
  SampleBinary(rng, bits);
  return SecretKey(&params, std::move(bits));
}

absl::StatusOr<SecretKey> SecretKey::FromBits(const LweParameters& params,
                                              std::span<const uint8_t> bits) {
  if (bits.size() != static_cast<size_t>(params.lwe_dimension))
    return absl::InvalidArgumentError(absl::StrCat("secret key: expected ", params.lwe_dimension,
                                                   " bits for parameter set '", params.name,
                                                   "', got ", bits.size()));
  // Validate without branching per bit: OR all high parts, then report only whether one failed.
  uint8_t high = 0;
  for (uint8_t b : bits) high |= b & 0xfe;
  if (high != 0) return absl::InvalidArgumentError("secret key: a coefficient is not 0 or 1");
  std::vector<Z128> out(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) out[i] = bits[i];
  return SecretKey(&params, std::move(out));
}

SecretKey& SecretKey::operator=(const SecretKey& other) {
  if (this != &other) {
    Wipe();
    params_ = other.params_;
    bits_ = other.bits_;
  }
  return *this;
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    Wipe();
    params_ = other.params_;
    bits_ = std::move(other.bits_);
  }
  return *this;
}

SecretKey::~SecretKey() { Wipe(); }

void SecretKey::Wipe() { crypto::SecureZero(bits_); }

}  // namespace kms::lwe
