// PRSS setups for protocol tests that do not test PRSS init itself: keys dealt directly (every
// set's key derived from its index), so tests of later protocols do not pay for a robust init.
#ifndef KMS_TESTS_TESTING_PRSS_FIXTURE_H_
#define KMS_TESTS_TESTING_PRSS_FIXTURE_H_

#include <algorithm>
#include <vector>

#include "mpc/prss.h"

namespace kms::testing {

inline std::vector<mpc::PrssSetup> DealtPrssSetups(int n, int t, uint8_t salt = 0) {
  const auto sets = mpc::PrssSets(n, t);
  std::vector<mpc::PrssSetup> out;
  for (int p = 1; p <= n; ++p) {
    std::vector<mpc::PrssSetup::SetKey> keys;
    for (size_t a = 0; a < sets.size(); ++a) {
      if (!std::binary_search(sets[a].begin(), sets[a].end(), p)) continue;
      mpc::PrssSetup::SetKey k{sets[a], {}};
      k.key[0] = static_cast<uint8_t>(a);
      k.key[1] = static_cast<uint8_t>(a >> 8);
      k.key[2] = salt;
      k.key[15] = 0x5a;
      keys.push_back(std::move(k));
    }
    out.emplace_back(n, t, p, std::move(keys));
  }
  return out;
}

}  // namespace kms::testing

#endif  // KMS_TESTS_TESTING_PRSS_FIXTURE_H_
