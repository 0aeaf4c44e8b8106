#include "crypto/prf.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kms::crypto {
namespace {

using U128 = unsigned __int128;

// The inputs of the known-answer vectors of tests/crypto/kat/prss_prf_kat.py.
AesKey KatSetKey() {
  AesKey r{};
  for (int i = 0; i < 16; ++i) r[i] = static_cast<uint8_t>(200 - i);
  return r;
}
constexpr SessionId kKatSid =
    (static_cast<U128>(0x0123456789abcdefull) << 64) | 0x1122334455667788ull;

std::string KeyHex(const AesKey& k) { return ToHex(ByteSpan(k.data(), k.size())); }

// 32 hex digits, most significant first.
U128 U128FromHex(const char* hex) {
  U128 v = 0;
  for (const char* p = hex; *p != '\0'; ++p) {
    const int d = *p <= '9' ? *p - '0' : *p - 'a' + 10;
    v = v << 4 | static_cast<U128>(d);
  }
  return v;
}

U128 Aes(const AesKey& k, U128 block) {
  U128 out;
  Aes128(k).EncryptU128(&block, &out, 1);
  return out;
}

// The key derivation departs from the reference (its keys were r_A XOR tweak XOR u128le(sid));
// these vectors come from tests/crypto/kat/prss_prf_kat.py (OpenSSL's AES through python's
// `cryptography` package, not this project's AES-NI code).
TEST(PrfTest, KeyDerivationKnownAnswerVectors) {
  const AesKey r = KatSetKey();
  EXPECT_EQ(KeyHex(DerivePrssPrfKey(r, PrfKind::kPsi, kKatSid)),
            "0defadf21602e2089eaec1d9676917d0");
  EXPECT_EQ(KeyHex(DerivePrssPrfKey(r, PrfKind::kChi, kKatSid)),
            "fbd86faf788f3a14706ef0a3afa5da3e");
  EXPECT_EQ(KeyHex(DerivePrssPrfKey(r, PrfKind::kPhi, kKatSid)),
            "f870ff5f068fd7bbe2870ff7ff19713f");
  EXPECT_EQ(KeyHex(DerivePrssPrfKey(AesKey{}, PrfKind::kPsi, 0)),
            "bea00645a57bc83e031797506715e696");
  EXPECT_EQ(KeyHex(DerivePrssPrfKey(AesKey{}, PrfKind::kPhi, 1)),
            "5ab24002502db71eae8c2bc3a13c22ba");
}

TEST(PrfTest, OutputKnownAnswerVectors) {
  const PrssPrf prf(KatSetKey(), kKatSid);
  U128 psi[4];
  prf.Psi(41, 1, 4, psi);
  const char* psi_kat[4] = {"c301caf2e0382a96b3af42d4f06276e9", "379a37f65b3b311e8c0bab3c534ada3e",
                            "585c1285c8f5423e025b7d19b73a2180", "4ae38ebdd02149b520d8e2a5d955c66d"};
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(psi[i] == U128FromHex(psi_kat[i])) << i;

  U128 chi[4];
  prf.Chi(7, 1, 4, 3, chi);
  const char* chi_kat[4] = {"830fc19570f1d883f84d796bb7caa5a4", "9520c2f7b85950af9c9671956d4204aa",
                            "b53a40fa645dcaf2df797bfbee27a3c5", "be2ac7d191c101f00d1f49d134ca4256"};
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(chi[i] == U128FromHex(chi_kat[i])) << i;

  U128 phi[4];
  prf.Phi(0, 4, static_cast<U128>(1) << 84, phi);
  const char* phi_kat[4] = {"00000000000f6aa821d20bf822419e8c", "00000000000a8ebacb0350877bd85458",
                            "fffffffffff8af81be74541a1164917d", "00000000000da9946bd95ca9fd00a5d3"};
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(phi[i] == U128FromHex(phi_kat[i])) << i;
}

TEST(PrfTest, PsiChiPhiFollowTheBlockEncodings) {
  const AesKey r = KatSetKey();
  const SessionId sid = kKatSid;
  PrssPrf prf(r, sid);
  const AesKey psi_key = DerivePrssPrfKey(r, PrfKind::kPsi, sid);
  const AesKey chi_key = DerivePrssPrfKey(r, PrfKind::kChi, sid);
  const AesKey phi_key = DerivePrssPrfKey(r, PrfKind::kPhi, sid);

  U128 psi[3 * 4];
  prf.Psi(41, 3, 4, psi);
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < 4; ++i)
      EXPECT_TRUE(psi[k * 4 + i] ==
                  Aes(psi_key, static_cast<U128>(41 + k) | static_cast<U128>(i) << 112));

  U128 chi[2 * 4];
  prf.Chi(7, 2, 4, 3, chi);
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 4; ++i)
      EXPECT_TRUE(chi[k * 4 + i] ==
                  Aes(chi_key, static_cast<U128>(7 + k) | static_cast<U128>(3) << 104 |
                                   static_cast<U128>(i) << 112));

  const U128 bd1 = static_cast<U128>(1) << 84;
  U128 phi[64];
  prf.Phi(0, 64, bd1, phi);
  for (int k = 0; k < 64; ++k) {
    U128 expected = (Aes(phi_key, k) & (2 * bd1 - 1)) - bd1;
    EXPECT_TRUE(phi[k] == expected);
    __int128 signed_value = static_cast<__int128>(phi[k]);
    EXPECT_TRUE(signed_value >= -static_cast<__int128>(bd1) &&
                signed_value < static_cast<__int128>(bd1));
  }
}

// Regression test for the security review's finding "related PRF keys": the keys were r_A XOR
// tweak XOR u128le(sid), so the phi key of session S was the psi key of session S XOR 2 (and the
// chi key of S the psi key of S XOR 1): one session's noise-flooding masks were another session's
// PRSS randomness. phi(ctr) and psi(ctr) with degree 1 encrypt the same block (u128le(ctr)), so
// equal keys show as phi + Bd1 == psi mod 2 Bd1.
TEST(PrfTest, PhiKeyOfSessionIsNotPsiKeyOfSessionXor2) {
  AesKey r{};
  for (int i = 0; i < 16; ++i) r[i] = static_cast<uint8_t>(0x31 * i + 7);
  const SessionId s = (static_cast<U128>(0x0f1e2d3c4b5a6978ull) << 64) | 0x8796a5b4c3d2e1f0ull;
  const PrssPrf prf_s(r, s), prf_s2(r, s ^ 2);
  const U128 bd1 = static_cast<U128>(1) << 126;  // phi = (AES & (2^127 - 1)) - 2^126
  constexpr size_t kCount = 16;
  U128 phi[kCount], psi[kCount];
  prf_s.Phi(0, kCount, bd1, phi);
  prf_s2.Psi(0, kCount, 1, psi);
  size_t equal = 0;
  for (size_t k = 0; k < kCount; ++k) {
    if (static_cast<U128>(phi[k] + bd1) == (psi[k] & (2 * bd1 - 1))) ++equal;
  }
  EXPECT_EQ(equal, 0u) << "phi under S and psi under S^2 use the same AES key";
}

// The same property on the keys themselves: no key of one set repeats across the three PRFs and
// sessions whose ids differ in the low bits (the XOR derivation had 4 repeats among these 12),
// and no key is a fixed XOR offset of r_A and the session id.
TEST(PrfTest, DerivedKeysOfNeighbouringSessionsAreAllDistinct) {
  const AesKey r = KatSetKey();
  const PrfKind kinds[] = {PrfKind::kPsi, PrfKind::kChi, PrfKind::kPhi};
  std::set<std::string> keys;
  for (U128 delta = 0; delta < 4; ++delta) {
    for (PrfKind kind : kinds) {
      const SessionId sid = kKatSid ^ delta;
      const AesKey k = DerivePrssPrfKey(r, kind, sid);
      EXPECT_TRUE(keys.insert(KeyHex(k)).second)
          << "kind " << static_cast<int>(kind) << ", sid ^ " << static_cast<int>(delta);
      // The XOR derivation's key ^ r_A ^ u128le(sid) was the tweak in byte 0, zeros elsewhere.
      bool offset_beyond_byte0 = false;
      for (int i = 1; i < 16; ++i)
        offset_beyond_byte0 |= (k[i] ^ r[i] ^ static_cast<uint8_t>(sid >> (8 * i))) != 0;
      EXPECT_TRUE(offset_beyond_byte0) << "key = r_A ^ sid ^ (tweak in byte 0)";
    }
  }
}

}  // namespace
}  // namespace kms::crypto
