#include "crypto/ml_kem.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>

#include "crypto/ml_kem_internal.h"
#include "testing/ml_kem_vectors.h"

// Known answers come from two independent sources, both committed under tests/crypto/ml_kem_kat/
// so that this test never needs node:
//   noble_vectors.txt: @noble/post-quantum (generate.mjs), 8 seeds per parameter set, hashes of
//                      ek, dk, ct, the shared secret and the implicit-rejection key of a
//                      tampered ciphertext; full bytes for one seed; eks with a coefficient >= q;
//   acvp_vectors.txt:  NIST ACVP (FIPS203 revision) keyGen, encapsulation, decapsulation and
//                      key-check vectors (extract_acvp.mjs).
#ifndef KMS_ML_KEM_KAT_DIR
#error "KMS_ML_KEM_KAT_DIR must name tests/crypto/ml_kem_kat (tests/crypto/CMakeLists.txt)"
#endif

namespace kms::crypto {
namespace {

using ::kms::testing::HexField;
using ::kms::testing::MlKemParametersNamed;
using ::kms::testing::MlKemRecord;
using ::kms::testing::RejectionKey;
using ::kms::testing::Sha3_256Hex;
using ::testing::HasSubstr;

std::vector<MlKemRecord> LoadVectors(const std::string& file) {
  return ::kms::testing::ParseMlKemRecords(
      ::kms::testing::ReadTextFile(std::string(KMS_ML_KEM_KAT_DIR) + "/" + file));
}

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + seed);
  return b;
}

void ExpectInvalidArgument(const absl::Status& s, const std::string& substring) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(substring));
}

class MlKemTest : public ::testing::TestWithParam<MlKemParameters> {
 protected:
  const MlKemParameters& params() const { return GetParam(); }
  MlKem kem() const { return MlKem(params()); }
};

INSTANTIATE_TEST_SUITE_P(ParameterSets, MlKemTest, ::testing::Values(kMlKem512, kMlKem1024),
                         [](const auto& info) {
                           return std::string(info.param.k == 2 ? "MlKem512" : "MlKem1024");
                         });

// ---------------------------------------------------------------------------------------------
// The constant-time arithmetic against plain division.

TEST(MlKemArithmeticTest, ReduceModQMatchesDivision) {
  using ml_kem_internal::ReduceModQ;
  for (uint32_t x = 0; x < (1u << 24); ++x) ASSERT_EQ(ReduceModQ(x), x % 3329) << x;
  std::mt19937 rng(7);
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t x = rng();
    ASSERT_EQ(ReduceModQ(x), x % 3329) << x;
  }
  for (uint32_t x = 0xffffffffu; x > 0xffffffffu - 100000; --x)
    ASSERT_EQ(ReduceModQ(x), x % 3329) << x;
}

TEST(MlKemArithmeticTest, AddSubMulModQ) {
  using namespace ml_kem_internal;
  for (uint32_t a = 0; a < kQ; a += 7)
    for (uint32_t b = 0; b < kQ; ++b) {
      ASSERT_EQ(AddModQ(a, b), (a + b) % kQ);
      ASSERT_EQ(SubModQ(a, b), (a + kQ - b) % kQ);
      ASSERT_EQ(MulModQ(a, b), a * b % kQ);
    }
}

TEST(MlKemArithmeticTest, CompressIsRoundingOfEveryCoefficient) {
  using ml_kem_internal::Compress;
  for (int d : {1, 4, 5, 10, 11}) {
    for (uint32_t x = 0; x < 3329; ++x) {
      // round(2^d x / q) = floor((2^(d+1) x + q) / (2q)), then mod 2^d.
      const uint32_t expected = (((x << (d + 1)) + 3329) / (2 * 3329)) & ((1u << d) - 1);
      ASSERT_EQ(Compress(static_cast<uint16_t>(x), d), expected) << "d=" << d << " x=" << x;
    }
  }
}

TEST(MlKemArithmeticTest, DecompressIsRoundingWithHalvesUp) {
  using ml_kem_internal::Decompress;
  for (int d : {1, 4, 5, 10, 11}) {
    for (uint32_t y = 0; y < (1u << d); ++y) {
      // round(q y / 2^d), halves up, = floor((2 q y + 2^d) / 2^(d+1)).
      const uint32_t expected = (2 * 3329 * y + (1u << d)) >> (d + 1);
      ASSERT_EQ(Decompress(static_cast<uint16_t>(y), d), expected) << "d=" << d << " y=" << y;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Known answers from @noble/post-quantum.

TEST(MlKemKnownAnswerTest, NobleVectors) {
  const std::vector<MlKemRecord> records = LoadVectors("noble_vectors.txt");
  int per_set[2] = {0, 0}, bad_eks = 0, full = 0;
  for (const MlKemRecord& r : records) {
    const MlKemParameters& p = MlKemParametersNamed(r.at("set"));
    const MlKem kem(p);
    if (r.count("bad_ek")) {
      // An ek with a coefficient >= q, which noble refused too.
      SCOPED_TRACE(std::string(p.name) + " bad ek, poly " + r.at("poly"));
      EXPECT_EQ(r.at("noble_rejects"), "true");
      const Bytes ek = HexField(r, "ek");
      const std::string why = "coefficient 0 of polynomial " + r.at("poly") + " is " +
                              r.at("value") + ", not below q = 3329";
      ExpectInvalidArgument(kem.CheckEncapsulationKey(ek), why);
      ExpectInvalidArgument(kem.EncapsWithMessage(ek, Bytes(32)).status(), why);
      ExpectInvalidArgument(kem.Encaps(ek).status(), why);
      ++bad_eks;
      continue;
    }
    SCOPED_TRACE(std::string(p.name) + " count " + r.at("count"));
    ++per_set[p.k == 2 ? 0 : 1];

    auto keys = kem.KeyGenFromSeed(HexField(r, "seed"));
    ASSERT_TRUE(keys.ok()) << keys.status();
    EXPECT_EQ(Sha3_256Hex(keys->encapsulation_key), r.at("ek_sha3_256"));
    EXPECT_EQ(Sha3_256Hex(keys->decapsulation_key.span()), r.at("dk_sha3_256"));

    auto enc = kem.EncapsWithMessage(keys->encapsulation_key, HexField(r, "m"));
    ASSERT_TRUE(enc.ok()) << enc.status();
    EXPECT_EQ(Sha3_256Hex(enc->ciphertext), r.at("ct_sha3_256"));
    EXPECT_EQ(ToHex(enc->shared_secret.span()), r.at("ss"));

    auto dec = kem.Decaps(keys->decapsulation_key.span(), enc->ciphertext);
    ASSERT_TRUE(dec.ok()) << dec.status();
    EXPECT_EQ(ToHex(dec->span()), r.at("ss"));

    // The tampered ciphertext: implicit rejection, with noble's value and FIPS 203's J(z ‖ c).
    Bytes tampered = enc->ciphertext;
    tampered.at(std::stoul(r.at("tamper_index"))) ^=
        static_cast<uint8_t>(std::stoul(r.at("tamper_mask")));
    auto rejected = kem.Decaps(keys->decapsulation_key.span(), tampered);
    ASSERT_TRUE(rejected.ok()) << rejected.status();
    EXPECT_EQ(ToHex(rejected->span()), r.at("reject_ss"));
    EXPECT_EQ(ToHex(rejected->span()),
              ToHex(RejectionKey(keys->decapsulation_key.span(), tampered)));
    EXPECT_NE(ToHex(rejected->span()), r.at("ss"));

    if (r.count("ek")) {
      ++full;
      EXPECT_EQ(ToHex(keys->encapsulation_key), r.at("ek"));
      EXPECT_EQ(ToHex(keys->decapsulation_key.span()), r.at("dk"));
      EXPECT_EQ(ToHex(enc->ciphertext), r.at("ct"));
    }
  }
  // The file must hold what generate.mjs writes, so that a truncated file cannot pass.
  EXPECT_EQ(per_set[0], 8);
  EXPECT_EQ(per_set[1], 8);
  EXPECT_EQ(bad_eks, 4);
  EXPECT_EQ(full, 2);
}

// ---------------------------------------------------------------------------------------------
// Known answers from NIST's ACVP server.

TEST(MlKemKnownAnswerTest, AcvpVectors) {
  const std::vector<MlKemRecord> records = LoadVectors("acvp_vectors.txt");
  std::map<std::string, int> seen;
  for (const MlKemRecord& r : records) {
    const MlKemParameters& p = MlKemParametersNamed(r.at("set"));
    const MlKem kem(p);
    const std::string& kind = r.at("kind");
    SCOPED_TRACE(std::string(p.name) + " " + kind + " tcId " + r.at("tcId"));
    ++seen[kind];
    if (kind == "keyGen") {
      Bytes seed = HexField(r, "d");
      Append(seed, HexField(r, "z"));
      auto keys = kem.KeyGenFromSeed(seed);
      ASSERT_TRUE(keys.ok()) << keys.status();
      EXPECT_EQ(ToHex(keys->encapsulation_key), r.at("ek"));
      EXPECT_EQ(ToHex(keys->decapsulation_key.span()), r.at("dk"));
    } else if (kind == "encapsulation") {
      auto enc = kem.EncapsWithMessage(HexField(r, "ek"), HexField(r, "m"));
      ASSERT_TRUE(enc.ok()) << enc.status();
      EXPECT_EQ(ToHex(enc->ciphertext), r.at("c"));
      EXPECT_EQ(ToHex(enc->shared_secret.span()), r.at("k"));
    } else if (kind == "decapsulation") {
      const Bytes dk = HexField(r, "dk"), c = HexField(r, "c");
      auto k = kem.Decaps(dk, c);
      ASSERT_TRUE(k.ok()) << k.status();
      EXPECT_EQ(ToHex(k->span()), r.at("k"));
      EXPECT_EQ(ToHex(k->span()) == ToHex(RejectionKey(dk, c)), r.at("rejected") == "true");
    } else if (kind == "encapsulationKeyCheck") {
      EXPECT_EQ(kem.CheckEncapsulationKey(HexField(r, "ek")).ok(), r.at("passed") == "true");
    } else if (kind == "decapsulationKeyCheck") {
      const absl::Status s = kem.CheckDecapsulationKey(HexField(r, "dk"));
      EXPECT_EQ(s.ok(), r.at("passed") == "true") << s;
      EXPECT_EQ(kem.Decaps(HexField(r, "dk"), Bytes(p.ciphertext_size)).ok(), s.ok());
    } else {
      ADD_FAILURE() << "unknown kind " << kind;
    }
  }
  EXPECT_EQ(seen["keyGen"], 3);
  EXPECT_EQ(seen["encapsulation"], 3);
  EXPECT_EQ(seen["decapsulation"], 4);
  EXPECT_EQ(seen["encapsulationKeyCheck"], 6);
  EXPECT_EQ(seen["decapsulationKeyCheck"], 6);
}

// ---------------------------------------------------------------------------------------------
// Properties, on both parameter sets.

TEST(MlKemParametersTest, OnlyTheTwoCheckedSetsAreAccepted) {
  EXPECT_NO_THROW(MlKem{kMlKem512});
  EXPECT_NO_THROW(MlKem{kMlKem1024});
  MlKemParameters ml_kem_768{"ML-KEM-768", 3, 2, 2, 10, 4, 1184, 2400, 1088};
  EXPECT_THROW(MlKem{ml_kem_768}, std::invalid_argument);
  MlKemParameters bigger = kMlKem1024;
  bigger.k = 5;
  EXPECT_THROW(MlKem{bigger}, std::invalid_argument);
}

TEST_P(MlKemTest, SizesAreThoseOfFips203) {
  const MlKemParameters& p = params();
  EXPECT_EQ(p.encapsulation_key_size, 384u * p.k + 32);
  EXPECT_EQ(p.decapsulation_key_size, 768u * p.k + 96);
  EXPECT_EQ(p.ciphertext_size, 32u * (p.du * p.k + p.dv));
  const MlKemKeyPair keys = kem().KeyGen();
  EXPECT_EQ(keys.encapsulation_key.size(), p.encapsulation_key_size);
  EXPECT_EQ(keys.decapsulation_key.size(), p.decapsulation_key_size);
  auto enc = kem().Encaps(keys.encapsulation_key);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(enc->ciphertext.size(), p.ciphertext_size);
  EXPECT_EQ(enc->shared_secret.size(), kMlKemSharedSecretSize);
}

TEST_P(MlKemTest, RandomKeysRoundTrip) {
  for (int i = 0; i < 20; ++i) {
    const MlKemKeyPair keys = kem().KeyGen();
    auto enc = kem().Encaps(keys.encapsulation_key);
    ASSERT_TRUE(enc.ok()) << enc.status();
    auto dec = kem().Decaps(keys.decapsulation_key.span(), enc->ciphertext);
    ASSERT_TRUE(dec.ok()) << dec.status();
    EXPECT_EQ(ToHex(dec->span()), ToHex(enc->shared_secret.span()));
  }
}

TEST_P(MlKemTest, KeyGenAndEncapsAreRandomized) {
  const MlKemKeyPair a = kem().KeyGen(), b = kem().KeyGen();
  EXPECT_NE(a.encapsulation_key, b.encapsulation_key);
  auto x = kem().Encaps(a.encapsulation_key), y = kem().Encaps(a.encapsulation_key);
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_NE(x->ciphertext, y->ciphertext);
  EXPECT_NE(ToHex(x->shared_secret.span()), ToHex(y->shared_secret.span()));
}

TEST_P(MlKemTest, KeyGenFromSeedIsDeterministicAndLaysOutDk) {
  const Bytes seed = Pattern(64, 3);
  auto a = kem().KeyGenFromSeed(seed), b = kem().KeyGenFromSeed(seed);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->encapsulation_key, b->encapsulation_key);
  EXPECT_EQ(ToHex(a->decapsulation_key.span()), ToHex(b->decapsulation_key.span()));
  // dk = dk_pke ‖ ek ‖ H(ek) ‖ z.
  const ByteSpan dk = a->decapsulation_key.span();
  const size_t pke = 384u * params().k;
  EXPECT_EQ(ToHex(dk.subspan(pke, params().encapsulation_key_size)), ToHex(a->encapsulation_key));
  EXPECT_EQ(ToHex(dk.subspan(pke + params().encapsulation_key_size, 32)),
            Sha3_256Hex(a->encapsulation_key));
  EXPECT_EQ(ToHex(dk.last(32)), ToHex(ByteSpan(seed).last(32)));
  EXPECT_TRUE(kem().CheckEncapsulationKey(a->encapsulation_key).ok());
  EXPECT_TRUE(kem().CheckDecapsulationKey(dk).ok());
}

TEST_P(MlKemTest, EveryTamperedCiphertextGivesTheRejectionKey) {
  auto keys = kem().KeyGenFromSeed(Pattern(64, 9));
  ASSERT_TRUE(keys.ok());
  auto enc = kem().EncapsWithMessage(keys->encapsulation_key, Pattern(32, 1));
  ASSERT_TRUE(enc.ok());
  const size_t n = enc->ciphertext.size();
  const size_t u_end = 32u * params().du * params().k;  // where v starts
  for (size_t pos : {size_t{0}, size_t{1}, u_end - 1, u_end, n / 2, n - 1}) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      Bytes tampered = enc->ciphertext;
      tampered[pos] ^= mask;
      auto k = kem().Decaps(keys->decapsulation_key.span(), tampered);
      ASSERT_TRUE(k.ok()) << k.status();
      EXPECT_EQ(ToHex(k->span()), ToHex(RejectionKey(keys->decapsulation_key.span(), tampered)))
          << "byte " << pos << " ^ " << int{mask};
      EXPECT_NE(ToHex(k->span()), ToHex(enc->shared_secret.span()));
    }
  }
}

TEST_P(MlKemTest, CiphertextForAnotherKeyGivesThatKeysRejectionKey) {
  const MlKemKeyPair alice = kem().KeyGen(), bob = kem().KeyGen();
  auto enc = kem().Encaps(alice.encapsulation_key);
  ASSERT_TRUE(enc.ok());
  auto k = kem().Decaps(bob.decapsulation_key.span(), enc->ciphertext);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(ToHex(k->span()), ToHex(RejectionKey(bob.decapsulation_key.span(), enc->ciphertext)));
}

TEST_P(MlKemTest, MalformedLengthsAreRefused) {
  const MlKemParameters& p = params();
  const std::string name(p.name);
  const MlKemKeyPair keys = kem().KeyGen();
  auto enc = kem().Encaps(keys.encapsulation_key);
  ASSERT_TRUE(enc.ok());

  ExpectInvalidArgument(kem().KeyGenFromSeed(Bytes(63)).status(),
                        name + " seed: expected 64 bytes (d ‖ z), got 63");
  ExpectInvalidArgument(kem().KeyGenFromSeed(Bytes(65)).status(), "got 65");
  ExpectInvalidArgument(kem().KeyGenFromSeed({}).status(), "got 0");

  for (size_t size : {size_t{0}, p.encapsulation_key_size - 1, p.encapsulation_key_size + 1}) {
    Bytes ek = keys.encapsulation_key;
    ek.resize(size);
    const std::string why = name + " encapsulation key: expected " +
                            std::to_string(p.encapsulation_key_size) + " bytes, got " +
                            std::to_string(size);
    ExpectInvalidArgument(kem().Encaps(ek).status(), why);
    ExpectInvalidArgument(kem().EncapsWithMessage(ek, Bytes(32)).status(), why);
    ExpectInvalidArgument(kem().CheckEncapsulationKey(ek), why);
  }
  ExpectInvalidArgument(kem().EncapsWithMessage(keys.encapsulation_key, Bytes(31)).status(),
                        name + " message m: expected 32 bytes, got 31");

  for (size_t size : {size_t{0}, p.ciphertext_size - 1, p.ciphertext_size + 1}) {
    Bytes ct = enc->ciphertext;
    ct.resize(size);
    ExpectInvalidArgument(kem().Decaps(keys.decapsulation_key.span(), ct).status(),
                          name + " ciphertext: expected " + std::to_string(p.ciphertext_size) +
                              " bytes, got " + std::to_string(size));
  }
  for (size_t size : {size_t{0}, p.decapsulation_key_size - 1, p.decapsulation_key_size + 1}) {
    Bytes dk(keys.decapsulation_key.span().begin(), keys.decapsulation_key.span().end());
    dk.resize(size);
    const std::string why = name + " decapsulation key: expected " +
                            std::to_string(p.decapsulation_key_size) + " bytes, got " +
                            std::to_string(size);
    ExpectInvalidArgument(kem().Decaps(dk, enc->ciphertext).status(), why);
    ExpectInvalidArgument(kem().CheckDecapsulationKey(dk), why);
  }
}

TEST_P(MlKemTest, KeysOfTheOtherParameterSetAreRefused) {
  const MlKem other(params().k == 2 ? kMlKem1024 : kMlKem512);
  const MlKemKeyPair keys = other.KeyGen();
  auto enc = other.Encaps(keys.encapsulation_key);
  ASSERT_TRUE(enc.ok());
  ExpectInvalidArgument(kem().Encaps(keys.encapsulation_key).status(), "encapsulation key");
  ExpectInvalidArgument(kem().Decaps(keys.decapsulation_key.span(), enc->ciphertext).status(),
                        "ciphertext");
}

TEST_P(MlKemTest, EncapsulationKeyModulusCheck) {
  const MlKemKeyPair keys = kem().KeyGen();
  const std::string name(params().name);
  // Coefficient 1 of the last polynomial is the high nibble of byte 1 and all of byte 2.
  const size_t last = 384u * (params().k - 1);
  for (uint32_t value : {3328u, 3329u, 4095u}) {
    Bytes ek = keys.encapsulation_key;
    ek[last + 1] = static_cast<uint8_t>((ek[last + 1] & 0x0f) | (value & 0x0f) << 4);
    ek[last + 2] = static_cast<uint8_t>(value >> 4);
    if (value < 3329) {
      EXPECT_TRUE(kem().CheckEncapsulationKey(ek).ok());
      EXPECT_TRUE(kem().Encaps(ek).ok());
      continue;
    }
    const std::string why = name + " encapsulation key: coefficient 1 of polynomial " +
                            std::to_string(params().k - 1) + " is " + std::to_string(value) +
                            ", not below q = 3329 (FIPS 203 modulus check)";
    ExpectInvalidArgument(kem().CheckEncapsulationKey(ek), why);
    ExpectInvalidArgument(kem().Encaps(ek).status(), why);
  }
  // rho (the last 32 bytes) is not a list of coefficients: any value is valid.
  Bytes ek = keys.encapsulation_key;
  std::fill(ek.end() - 32, ek.end(), 0xff);
  EXPECT_TRUE(kem().Encaps(ek).ok());
}

TEST_P(MlKemTest, DecapsulationKeyHashCheck) {
  const MlKemKeyPair keys = kem().KeyGen();
  auto enc = kem().Encaps(keys.encapsulation_key);
  ASSERT_TRUE(enc.ok());
  const size_t pke = 384u * params().k;
  const std::string why = std::string(params().name) + " decapsulation key: hash check failed";
  // A changed ek inside dk, or a changed H(ek): refused. A changed s or z: not checkable.
  for (size_t pos :
       {pke, pke + params().encapsulation_key_size - 1, pke + params().encapsulation_key_size,
        pke + params().encapsulation_key_size + 31}) {
    Bytes dk(keys.decapsulation_key.span().begin(), keys.decapsulation_key.span().end());
    dk[pos] ^= 1;
    ExpectInvalidArgument(kem().CheckDecapsulationKey(dk), why);
    ExpectInvalidArgument(kem().Decaps(dk, enc->ciphertext).status(), why);
  }
  Bytes dk(keys.decapsulation_key.span().begin(), keys.decapsulation_key.span().end());
  dk[0] ^= 1;
  dk.back() ^= 1;
  EXPECT_TRUE(kem().CheckDecapsulationKey(dk).ok());
  EXPECT_TRUE(kem().Decaps(dk, enc->ciphertext).ok());
}

}  // namespace
}  // namespace kms::crypto
