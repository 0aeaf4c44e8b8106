#include "crypto/prf.h"

#include <gtest/gtest.h>

namespace kms::crypto {
namespace {

using U128 = unsigned __int128;

TEST(PrfTest, PsiChiPhiFollowTheBlockEncodings) {
  AesKey r{};
  for (int i = 0; i < 16; ++i) r[i] = static_cast<uint8_t>(200 - i);
  const SessionId sid = (static_cast<U128>(0x0123456789abcdefull) << 64) | 0x1122334455667788ull;
  PrssPrf prf(r, sid);

  AesKey psi_key = r, chi_key = r, phi_key = r;
  chi_key[0] ^= 1;
  phi_key[0] ^= 2;
  for (int i = 0; i < 16; ++i) {
    uint8_t s = static_cast<uint8_t>(sid >> (8 * i));
    psi_key[i] ^= s;
    chi_key[i] ^= s;
    phi_key[i] ^= s;
  }
  auto aes = [](const AesKey& k, U128 block) {
    U128 out;
    Aes128(k).EncryptU128(&block, &out, 1);
    return out;
  };

  U128 psi[3 * 4];
  prf.Psi(41, 3, 4, psi);
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < 4; ++i)
      EXPECT_TRUE(psi[k * 4 + i] ==
                  aes(psi_key, static_cast<U128>(41 + k) | static_cast<U128>(i) << 112));

  U128 chi[2 * 4];
  prf.Chi(7, 2, 4, 3, chi);
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 4; ++i)
      EXPECT_TRUE(chi[k * 4 + i] ==
                  aes(chi_key, static_cast<U128>(7 + k) | static_cast<U128>(3) << 104 |
                                   static_cast<U128>(i) << 112));

  const U128 bd1 = static_cast<U128>(1) << 84;
  U128 phi[64];
  prf.Phi(0, 64, bd1, phi);
  for (int k = 0; k < 64; ++k) {
    U128 expected = (aes(phi_key, k) & (2 * bd1 - 1)) - bd1;
    EXPECT_TRUE(phi[k] == expected);
    __int128 signed_value = static_cast<__int128>(phi[k]);
    EXPECT_TRUE(signed_value >= -static_cast<__int128>(bd1) &&
                signed_value < static_cast<__int128>(bd1));
  }
}

}  // namespace
}  // namespace kms::crypto
