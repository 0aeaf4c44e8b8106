#include "crypto/session_id.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "crypto/hash.h"

namespace kms::crypto {
namespace {

constexpr SessionOperation kAllOperations[] = {
    SessionOperation::kPrssInit,         SessionOperation::kPreprocessing,
    SessionOperation::kKeyGen,           SessionOperation::kInsecureKeyGen,
    SessionOperation::kPublicDecryption, SessionOperation::kUserDecryption,
};

RequestId Counting() {
  RequestId id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(i);
  return id;
}

TEST(SessionIdTest, ReferenceKnownAnswerVectorOfTheShakePlumbing) {
  // crypto-spec B §3: the reference's SessionId::new(bincode(b"known-answer-test-vector")) =
  // SHAKE256("SESSN_ID" || u64le(24) || bytes). This project no longer derives session ids that
  // way (they are domain-separated by operation, A.5; see DomainSeparatedKnownAnswerVectors); the
  // vector stays as the spec's check that our SHAKE-256 and domain separators match the
  // reference's bytes.
  const std::string x = "known-answer-test-vector";
  Shake256 h;
  h.Update(kDsepSessionId).UpdateU64Le(x.size()).Update(x);
  const Digest d = h.Finish32();
  EXPECT_EQ(SessionIdToString(LoadU128Le(d.data())), "144183619070594751274649460517890251705");
}

TEST(SessionIdTest, DomainSeparatedKnownAnswerVectors) {
  // DeriveSessionId departs from the reference's derivation (the reference's vector above does
  // not apply to it). These values come from tests/crypto/kat/session_id_kat.py, an independent
  // implementation with python3 hashlib.shake_256.
  RequestId ones{};
  ones[31] = 1;
  struct Vector {
    const char* request;
    SessionOperation operation;
    uint64_t index;
    const char* sid;
  };
  const Vector vectors[] = {
      {"counting", SessionOperation::kPrssInit, 0, "239246557283221402702177305808774355110"},
      {"counting", SessionOperation::kPreprocessing, 0, "248571592000832566431990869269594270986"},
      {"counting", SessionOperation::kPreprocessing, 1, "223117297583320641630880604603809028851"},
      {"counting", SessionOperation::kKeyGen, 0, "45741349039693337657852264838703024762"},
      {"counting", SessionOperation::kInsecureKeyGen, 0, "166339708384120850684567150595394094946"},
      {"counting", SessionOperation::kPublicDecryption, 0,
       "329913932433032451783853757844154138400"},
      {"counting", SessionOperation::kUserDecryption, 0, "337358881515887302881964165212160140148"},
      {"counting", SessionOperation::kUserDecryption, 7, "82614112963388634281818954814699364662"},
      {"ones", SessionOperation::kPrssInit, 0, "242136996259542302278472899537793448924"},
  };
  for (const Vector& v : vectors) {
    const RequestId id = std::string(v.request) == "ones" ? ones : Counting();
    EXPECT_EQ(SessionIdToString(DeriveSessionId({v.operation, id}, v.index)), v.sid)
        << v.request << " " << SessionOperationName(v.operation) << " " << v.index;
  }
}

TEST(SessionIdTest, OptionalFieldKnownAnswerVectors) {
  // The key id and content digest fields (tags 1 and 2), from session_id_kat.py too. The vectors
  // above (no optional field) are unchanged by the extension.
  std::array<uint8_t, 32> key_id{}, digest{};
  key_id.fill(0x11);
  digest.fill(0x22);
  struct Vector {
    SessionOperation operation;
    uint64_t index;
    bool with_key;
    bool with_digest;
    const char* sid;
  };
  const Vector vectors[] = {
      {SessionOperation::kUserDecryption, 3, true, false, "71992297390250246334042222469508272111"},
      {SessionOperation::kUserDecryption, 3, false, true,
       "305742569611442331266096252327603997292"},
      {SessionOperation::kUserDecryption, 3, true, true, "134875689942418424407987118071361707977"},
      {SessionOperation::kPublicDecryption, 0, true, true,
       "235697528103140345555382777583636191913"},
      {SessionOperation::kPreprocessing, 1, false, true, "114159842284694545669311447450317737846"},
  };
  for (const Vector& v : vectors) {
    SessionDomain domain{v.operation, Counting(), std::nullopt, std::nullopt};
    if (v.with_key) domain.key_id = key_id;
    if (v.with_digest) domain.content_digest = digest;
    EXPECT_EQ(SessionIdToString(DeriveSessionId(domain, v.index)), v.sid)
        << SessionOperationName(v.operation) << " " << v.index << " " << v.with_key << " "
        << v.with_digest;
  }
}

// A key id and a content digest that hold the same 32 bytes give different ids (the tags keep
// the fields apart), and each field changes the id.
TEST(SessionIdTest, OptionalFieldsAreTaggedAndBound) {
  std::array<uint8_t, 32> x{};
  x.fill(0x33);
  const SessionOperation op = SessionOperation::kUserDecryption;
  const SessionId none = DeriveSessionId({op, Counting(), std::nullopt, std::nullopt}, 0);
  const SessionId as_key = DeriveSessionId({op, Counting(), x, std::nullopt}, 0);
  const SessionId as_digest = DeriveSessionId({op, Counting(), std::nullopt, x}, 0);
  EXPECT_NE(none, as_key);
  EXPECT_NE(none, as_digest);
  EXPECT_NE(as_key, as_digest);
  std::array<uint8_t, 32> y = x;
  y[31] ^= 1;
  EXPECT_NE(DeriveSessionId({op, Counting(), std::nullopt, x}, 0),
            DeriveSessionId({op, Counting(), std::nullopt, y}, 0));
  EXPECT_NE(DeriveSessionId({op, Counting(), x, x}, 0), DeriveSessionId({op, Counting(), y, x}, 0));
}

// The security review's finding "one session-id namespace for all operations": the same request
// id under two operations gave the same id (public decryption R and preprocessing session 0 of R,
// user decryption of ciphertext 2 and the DKG of R, ...). Every (operation, index) pair under one
// request id now gives its own id.
TEST(SessionIdTest, SameRequestIdUnderDifferentOperationsGivesDifferentIds) {
  const RequestId id = Counting();
  std::set<SessionId> seen;
  for (SessionOperation op : kAllOperations) {
    for (uint64_t index = 0; index < 16; ++index) {
      EXPECT_TRUE(seen.insert(DeriveSessionId({op, id}, index)).second)
          << SessionOperationName(op) << " " << index;
    }
  }
  EXPECT_NE(DeriveSessionId({SessionOperation::kPublicDecryption, id}, 0),
            DeriveSessionId({SessionOperation::kPreprocessing, id}, 0));
}

TEST(SessionIdTest, DerivationDependsOnRequestAndIndex) {
  RequestId a{}, b{};
  b[31] = 1;
  const SessionOperation op = SessionOperation::kPreprocessing;
  EXPECT_NE(DeriveSessionId({op, a}, 0), DeriveSessionId({op, a}, 1));
  EXPECT_NE(DeriveSessionId({op, a}, 0), DeriveSessionId({op, b}, 0));
  EXPECT_EQ(DeriveSessionId({op, b}, 2), DeriveSessionId({op, b}, 2));
}

TEST(SessionIdTest, OperationNames) {
  std::set<std::string> names;
  for (SessionOperation op : kAllOperations) names.insert(SessionOperationName(op));
  EXPECT_EQ(names.size(), std::size(kAllOperations));
  EXPECT_STREQ(SessionOperationName(SessionOperation::kPublicDecryption), "public-decryption");
}

}  // namespace
}  // namespace kms::crypto
