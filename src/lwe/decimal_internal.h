// File: lwe/decimal_internal.h
//
// Decimal text for 128- and 256-bit unsigned integers (error messages of the noise budget,
// typed plaintexts up to euint256). Internal to the lwe layer. Variable time: used only on
// public numbers and on plaintexts being printed or parsed, which are not secret to the caller.
#ifndef KMS_LWE_DECIMAL_INTERNAL_H_
#define KMS_LWE_DECIMAL_INTERNAL_H_

#include <array>
#include <cstdint>
#include <string>

#include "algebra/base_ring.h"

namespace kms::lwe::internal {

// A 256-bit unsigned integer as 32 little-endian bytes.
using U256Le = std::array<uint8_t, 32>;

// Decimal digits of v, without leading zeros ("0" for zero).
std::string U256ToDecimal(const U256Le& v);
std::string U128ToDecimal(algebra::Z128 v);

// v = v * mul + add. Returns false (v unspecified) when the result does not fit 256 bits.
bool U256MulAdd(U256Le& v, uint32_t mul, uint32_t add);

}  // namespace kms::lwe::internal

#endif  // KMS_LWE_DECIMAL_INTERNAL_H_
