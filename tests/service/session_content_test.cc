// The session domains of the threshold engine (service/session_content.h): every input that
// changes what a session computes changes its id, and so the PRSS outputs it draws.
#include "service/session_content.h"

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "crypto/random.h"
#include "lwe/compact_public_key.h"
#include "lwe/secret_key.h"
#include "mpc/dkg.h"
#include "mpc/prss.h"
#include "testing/prss_fixture.h"

namespace kms::service {
namespace {

using crypto::DeriveSessionId;
using crypto::SessionOperation;

Id32 Id(uint8_t v) {
  Id32 id{};
  id.fill(v);
  return id;
}

std::vector<lwe::TypedCiphertext> Encrypt(uint64_t value) {
  crypto::AesCtrRng rng;
  static const lwe::SecretKey sk = [] {
    crypto::AesCtrRng key_rng;
    return lwe::SecretKey::Generate(lwe::TestParameters(), key_rng);
  }();
  static const lwe::CompactPublicKey pk = lwe::GenerateCompactPublicKey(sk, 7, rng);
  auto ct =
      lwe::EncryptTyped(pk, *lwe::TypedPlaintext::FromU64(lwe::FheType::kEuint16, value), rng);
  EXPECT_TRUE(ct.ok());
  return {*ct};
}

TEST(SessionContentTest, PrssInitKnownAnswerVector) {
  // tests/crypto/kat/session_id_kat.py (last line): the default epoch's plain init on 4 parties.
  const crypto::SessionDomain d = PrssInitDomain(DefaultEpochId(), DefaultEpochId(), 4, 1);
  ASSERT_TRUE(d.content_digest.has_value());
  EXPECT_EQ(ToHex(*d.content_digest),
            "40dfec5743d62ea49b428ea1e974a18e43b2e6ab2a8e48b0d306eeee01615c3b");
  EXPECT_FALSE(d.key_id.has_value());
  EXPECT_EQ(crypto::SessionIdToString(DeriveSessionId(d, 0)),
            "159577748215689660034443259098336449691");
}

TEST(SessionContentTest, PrssInitBindsEpochAndCommittee) {
  const Id32 run = Id(1);
  const auto base = DeriveSessionId(PrssInitDomain(run, Id(2), 4, 1), 0);
  EXPECT_EQ(base, DeriveSessionId(PrssInitDomain(run, Id(2), 4, 1), 0));
  EXPECT_NE(base, DeriveSessionId(PrssInitDomain(run, Id(3), 4, 1), 0));
  EXPECT_NE(base, DeriveSessionId(PrssInitDomain(run, Id(2), 5, 1), 0));
  EXPECT_NE(base, DeriveSessionId(PrssInitDomain(run, Id(2), 4, 0), 0));
  EXPECT_NE(base, DeriveSessionId(PrssInitDomain(Id(4), Id(2), 4, 1), 0));
}

TEST(SessionContentTest, PreprocessingLayoutSpreadsMaterialOverLanesAndChunks) {
  const mpc::DkgMaterialCounts totals{25001, 7, 3};
  const PreprocessingLayout two = MakePreprocessingLayout(totals, 2, 10000);
  ASSERT_EQ(two.lanes.size(), 2u);
  EXPECT_EQ(two.lanes[0], (mpc::DkgMaterialCounts{12501, 4, 3}));
  EXPECT_EQ(two.lanes[1], (mpc::DkgMaterialCounts{12500, 3, 0}));
  EXPECT_EQ(two.totals(), totals);
  // Lane 0: bits 10000 + 2501, then 4 triples, then 3 randoms; one kind per chunk.
  const auto chunks = two.Chunks(0);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].kind, mpc::MaterialKind::kBits);
  EXPECT_EQ(chunks[0].count, 10000u);
  EXPECT_EQ(chunks[1].count, 2501u);
  EXPECT_EQ(chunks[2].kind, mpc::MaterialKind::kTriples);
  EXPECT_EQ(chunks[2].count, 4u);
  EXPECT_EQ(chunks[3].kind, mpc::MaterialKind::kRandoms);
  EXPECT_EQ(chunks[3].count, 3u);
  EXPECT_EQ(two.Chunks(1).size(), 3u);
  EXPECT_NE(PreprocessingSessionIndex(0, 1), PreprocessingSessionIndex(1, 0));
}

TEST(SessionContentTest, PreprocessingBindsParametersEpochLayoutAndAttempt) {
  const lwe::LweParameters& test = lwe::TestParameters();
  const mpc::DkgMaterialCounts totals{mpc::DkgBitsNeeded(test), 0, mpc::DkgRandomsNeeded(test)};
  const PreprocessingLayout two = MakePreprocessingLayout(totals, 2, mpc::kTripleBatch);
  const Id32 id = Id(9), epoch = DefaultEpochId();
  const auto base = PreprocessingDomain(id, &test, epoch, two);
  // The sessions of one request differ by index only.
  EXPECT_NE(DeriveSessionId(base, 0), DeriveSessionId(base, 1));
  // Another layout of the same request: other sessions, none shared with the first layout.
  const auto three =
      PreprocessingDomain(id, &test, epoch, MakePreprocessingLayout(totals, 3, mpc::kTripleBatch));
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_NE(DeriveSessionId(three, i), DeriveSessionId(base, 0));
    EXPECT_NE(DeriveSessionId(three, i), DeriveSessionId(base, 1));
  }
  EXPECT_NE(
      DeriveSessionId(base, 0),
      DeriveSessionId(
          PreprocessingDomain(id, &test, epoch, MakePreprocessingLayout(totals, 2, 1000)), 0));
  EXPECT_NE(DeriveSessionId(base, 0),
            DeriveSessionId(PreprocessingDomain(id, &lwe::DefaultParameters(), epoch, two), 0));
  EXPECT_NE(DeriveSessionId(base, 0),
            DeriveSessionId(PreprocessingDomain(id, &test, Id(5), two), 0));
  PreprocessingLayout moved = two;
  moved.lanes[0].bits -= 1;
  moved.lanes[1].bits += 1;
  EXPECT_NE(DeriveSessionId(base, 0),
            DeriveSessionId(PreprocessingDomain(id, &test, epoch, moved), 0));
  PreprocessingLayout with_triples = two;
  with_triples.lanes[1].triples += 1;
  EXPECT_NE(DeriveSessionId(base, 0),
            DeriveSessionId(PreprocessingDomain(id, &test, epoch, with_triples), 0));
  // A resumed run (next attempt) never repeats a session of the interrupted one.
  PreprocessingLayout resumed = two;
  resumed.attempt = 1;
  EXPECT_NE(DeriveSessionId(base, 0),
            DeriveSessionId(PreprocessingDomain(id, &test, epoch, resumed), 0));
}

TEST(SessionContentTest, KeyGenBindsParametersPreprocessingAndEpoch) {
  KeyGenSpec spec;
  spec.request_id = Id(1);
  spec.preprocessing_id = Id(2);
  spec.params = &lwe::TestParameters();
  spec.epoch_id = DefaultEpochId();
  const auto base = DeriveSessionId(KeyGenDomain(spec), 0);
  KeyGenSpec other = spec;
  other.preprocessing_id = Id(3);
  EXPECT_NE(base, DeriveSessionId(KeyGenDomain(other), 0));
  other = spec;
  other.params = &lwe::DefaultParameters();
  EXPECT_NE(base, DeriveSessionId(KeyGenDomain(other), 0));
  other = spec;
  other.epoch_id = Id(7);
  EXPECT_NE(base, DeriveSessionId(KeyGenDomain(other), 0));
  other = spec;
  other.insecure = true;
  EXPECT_EQ(KeyGenDomain(other).operation, SessionOperation::kInsecureKeyGen);
  EXPECT_NE(base, DeriveSessionId(KeyGenDomain(other), 0));
}

// The public-decryption half of the finding "reusable request ids feed the PRSS": the opened
// values of a public decryption (seen by every party, so by a corrupt one) are Δm + e + E with E
// the PRSS mask of the session. Under the old derivation DeriveSessionId({op, R}, 0), two public
// decryptions under one request id R had one session id whatever their ciphertexts, hence one
// mask: answer(c) - answer(0) = b - <a, s>. Now the ciphertexts are in the id, and the masks
// differ.
TEST(SessionContentTest, DecryptionsUnderOneRequestIdWithOtherCiphertextsGetOtherIdsAndMasks) {
  const Id32 request = Id(0x77), key = Id(0x4b), epoch = DefaultEpochId();
  const auto c1 = Encrypt(1);
  auto zero = c1;
  std::fill(zero[0].list.mask.begin(), zero[0].list.mask.end(), algebra::Z128{0});
  std::fill(zero[0].list.bodies.begin(), zero[0].list.bodies.end(), algebra::Z128{0});
  const auto setups = testing::DealtPrssSetups(4, 1);
  const algebra::Z128 bd = lwe::TestParameters().flooding_bound;
  auto mask = [&](crypto::SessionId sid) {
    mpc::PrssState<mpc::Share> prss(setups[0], sid);
    return prss.NextMask(4, bd);
  };
  for (SessionOperation op :
       {SessionOperation::kPublicDecryption, SessionOperation::kUserDecryption}) {
    // The old derivation: one id, one mask for both requests.
    const crypto::SessionId old_id = DeriveSessionId({op, request}, 0);
    EXPECT_EQ(mask(old_id), mask(DeriveSessionId({op, request}, 0)));

    const crypto::SessionId a = DeriveSessionId(DecryptionDomain(op, request, key, epoch, c1), 0);
    const crypto::SessionId b = DeriveSessionId(DecryptionDomain(op, request, key, epoch, zero), 0);
    EXPECT_NE(a, b) << crypto::SessionOperationName(op);
    EXPECT_NE(a, old_id);
    EXPECT_NE(mask(a), mask(b)) << crypto::SessionOperationName(op);
    // Deterministic: every party derives the same id from the same request.
    EXPECT_EQ(a, DeriveSessionId(DecryptionDomain(op, request, key, epoch, c1), 0));
    // Key, epoch, another encryption of the same value, a changed type: other ids.
    EXPECT_NE(a, DeriveSessionId(DecryptionDomain(op, request, Id(0x4c), epoch, c1), 0));
    EXPECT_NE(a, DeriveSessionId(DecryptionDomain(op, request, key, Id(5), c1), 0));
    EXPECT_NE(a, DeriveSessionId(DecryptionDomain(op, request, key, epoch, Encrypt(1)), 0));
    auto retyped = c1;
    retyped[0].type = lwe::FheType::kEuint8;
    EXPECT_NE(a, DeriveSessionId(DecryptionDomain(op, request, key, epoch, retyped), 0));
    // Order matters.
    std::vector<lwe::TypedCiphertext> two = {c1[0], zero[0]}, swapped = {zero[0], c1[0]};
    EXPECT_NE(DeriveSessionId(DecryptionDomain(op, request, key, epoch, two), 0),
              DeriveSessionId(DecryptionDomain(op, request, key, epoch, swapped), 0));
  }
  // The two decryption operations never share an id either.
  EXPECT_NE(DeriveSessionId(
                DecryptionDomain(SessionOperation::kPublicDecryption, request, key, epoch, c1), 0),
            DeriveSessionId(
                DecryptionDomain(SessionOperation::kUserDecryption, request, key, epoch, c1), 0));
}

// The same property for tfhe-rs requests: the id binds each ciphertext's type, format and bytes
// (SHAKE256("_HANDLE_" ‖ bytes), the content digest ParseTfheCiphertext computes), in order.
TEST(SessionContentTest, TfheDecryptionsBindTypeFormatAndBytes) {
  const Id32 request = Id(0x78), key = Id(0x4d), epoch = DefaultEpochId();
  auto ct = [](CiphertextFormat format, lwe::FheType type, uint8_t byte) {
    TfheCiphertext c;
    c.format = format;
    c.type = type;
    const Bytes bytes(40, byte);
    c.content = crypto::HashElement(crypto::kDsepHandle, bytes);
    return c;
  };
  const std::vector<TfheCiphertext> base = {
      ct(CiphertextFormat::kBigCompressed, lwe::FheType::kEuint8, 1)};
  const SessionOperation op = SessionOperation::kPublicDecryption;
  const crypto::SessionId a = DeriveSessionId(DecryptionDomain(op, request, key, epoch, base), 0);
  EXPECT_EQ(a, DeriveSessionId(DecryptionDomain(op, request, key, epoch, base), 0));
  for (const TfheCiphertext& other :
       {ct(CiphertextFormat::kBigExpanded, lwe::FheType::kEuint8, 1),
        ct(CiphertextFormat::kBigCompressed, lwe::FheType::kEuint16, 1),
        ct(CiphertextFormat::kBigCompressed, lwe::FheType::kEuint8, 2)}) {
    const std::vector<TfheCiphertext> changed = {other};
    EXPECT_NE(a, DeriveSessionId(DecryptionDomain(op, request, key, epoch, changed), 0));
  }
  const std::vector<TfheCiphertext> two = {
      base[0], ct(CiphertextFormat::kSmallExpanded, lwe::FheType::kEbool, 3)};
  const std::vector<TfheCiphertext> swapped = {two[1], two[0]};
  EXPECT_NE(DeriveSessionId(DecryptionDomain(op, request, key, epoch, two), 0),
            DeriveSessionId(DecryptionDomain(op, request, key, epoch, swapped), 0));
  EXPECT_NE(a,
            DeriveSessionId(
                DecryptionDomain(SessionOperation::kUserDecryption, request, key, epoch, base), 0));
}

}  // namespace
}  // namespace kms::service
