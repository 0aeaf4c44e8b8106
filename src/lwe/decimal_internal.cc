#include "lwe/decimal_internal.h"

#include <algorithm>

namespace kms::lwe::internal {

std::string U256ToDecimal(const U256Le& v) {
  U256Le x = v;
  std::string digits;
  for (;;) {
    // x /= 10, most significant byte first; the remainder is the next decimal digit.
    uint32_t rem = 0;
    bool nonzero = false;
    for (int i = 31; i >= 0; --i) {
      uint32_t cur = rem << 8 | x[i];
      x[i] = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
      nonzero |= x[i] != 0;
    }
    digits.push_back(static_cast<char>('0' + rem));
    if (!nonzero) break;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string U128ToDecimal(algebra::Z128 v) {
  U256Le x{};
  algebra::StoreLe<algebra::Z128>(v, x.data());
  return U256ToDecimal(x);
}

bool U256MulAdd(U256Le& v, uint32_t mul, uint32_t add) {
  uint64_t carry = add;
  for (auto& byte : v) {
    uint64_t cur = static_cast<uint64_t>(byte) * mul + carry;
    byte = static_cast<uint8_t>(cur);
    carry = cur >> 8;
  }
  return carry == 0;
}

}  // namespace kms::lwe::internal
