// Fixed vectors for the reference (kms v0.12.8) signcryption layout and signed results
// (interop-kms-client.md §2-§4). The digests are the spec's known answers, which agree with
// ethers v6's TypedDataEncoder; the byte layouts are the reference's bincode ones.
#include "crypto/reference_signcryption.h"

#include <gtest/gtest.h>

#include "crypto/reference_signed_results.h"

namespace kms::crypto::reference {
namespace {

constexpr const char* kHeaderHex =
    "0300000000000000302e35000000000300000000000000302e311300000000000000556e69666965645075626c"
    "6963456e634b657900000000000000002003000000000000";

Eip712Domain Domain(const std::string& name) {
  Bytes chain(2);
  chain[0] = 10901 >> 8;
  chain[1] = 10901 & 0xff;
  return *DomainFromProto(name, "1", chain, "0x66f9664f97F2b50F62D13eA064982f936dE76657", {});
}

UserEncKey Key() {
  const Bytes header = *FromHex(kHeaderHex);
  Bytes enc(header.size() + 800, 0xab);
  std::copy(header.begin(), header.end(), enc.begin());
  auto key = ParseUserEncKey(enc);
  EXPECT_TRUE(key.ok()) << key.status();
  return *key;
}

std::vector<Bytes> Handles() { return {Bytes(32, 0x11), Bytes(32, 0x22)}; }
EthAddress User() { return *ParseEthAddress("0x17853A630aAe15AED549B2B874de08B73C0F59c5"); }

TEST(ReferenceSigncryptionTest, UserKeyLayout) {
  const UserEncKey key = Key();
  EXPECT_EQ(key.encoded.size(), kUserEncKeySize);
  EXPECT_EQ(key.params, &kMlKem512);
  EXPECT_EQ(key.ek, Bytes(800, 0xab));
  EXPECT_EQ(key.eip712_public_key, key.encoded);
  EXPECT_EQ(ToHex(*EncodeUserEncKey(kMlKem512, key.ek)).substr(0, 138), kHeaderHex);
  // The legacy bincode ML-KEM-1024 form and the 1024 safe variant.
  const Bytes ek1024(1568, 0xab);
  auto legacy = ParseUserEncKey(*EncodeLegacyUserEncKey(ek1024));
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  EXPECT_EQ(legacy->params, &kMlKem1024);
  EXPECT_EQ(legacy->eip712_public_key.size(), 8u + 1568u);
  auto safe1024 = ParseUserEncKey(*EncodeUserEncKey(kMlKem1024, ek1024));
  ASSERT_TRUE(safe1024.ok()) << safe1024.status();
  EXPECT_EQ(safe1024->eip712_public_key, legacy->eip712_public_key);
  // A bare bincode ML-KEM-512 key (the stale documented form) and a bad variant are refused.
  Bytes bare(808, 0xab);
  std::fill(bare.begin(), bare.begin() + 8, 0);
  bare[0] = 0x20;
  bare[1] = 0x03;  // u64 800
  EXPECT_FALSE(ParseUserEncKey(bare).ok());
  Bytes bad = key.encoded;
  bad[57] = 2;
  EXPECT_FALSE(ParseUserEncKey(bad).ok());
  bad = key.encoded;
  bad.push_back(0);
  EXPECT_FALSE(ParseUserEncKey(bad).ok());
}

TEST(ReferenceSigncryptionTest, KnownDigests) {
  const UserEncKey key = Key();
  EXPECT_EQ(ToHex(UserKeyDigest(key)),
            "68ba845b7538d40a0150f3a5217780cf63e0d8ef6c7067f5278b0e593d08265d");
  const Eip712Domain domain = Domain("Decryption");
  EXPECT_EQ(ToHex(DomainSeparator(domain)),
            "64f89c0cf540a67a6c5c4e0df80fde43bbe102e04462a48d311a9843957c8bb6");
  EXPECT_EQ(ToHex(*ComputeLink(domain, key, Handles(), User())),
            "296c9f5d230265004d04a42933968a111cf84a9aecba7b295ede22b557b0a95d");
  std::vector<Digest> words = {*HandleWord(Bytes(32, 0x11)), *HandleWord(Bytes(32, 0x22))};
  EXPECT_EQ(ToHex(Eip712Digest(domain, UserDecryptResponseVerification(key.eip712_public_key, words,
                                                                       AsBytes("abc"), {}))),
            "48f5c8e4a17966b3a62b58786498015a4fbaaf37dd0824594ddec4bac2c448b8");
}

TEST(ReferenceSigncryptionTest, KnownSignedResults) {
  const std::vector<TypedPlaintext> pts = {
      {{1}, kFheBool},
      {{0xa5}, kFheUint8},
      {{0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}, kFheUint64}};
  const std::vector<Bytes> handles = Handles();
  auto two = std::vector<TypedPlaintext>(pts.begin(), pts.end());
  // The spec's vector has the two handles and the three values' ABI words.
  std::vector<Digest> words = {*HandleWord(handles[0]), *HandleWord(handles[1])};
  const Bytes abi = *AbiEncodePlaintexts(pts);
  ASSERT_EQ(abi.size(), 96u);
  EXPECT_EQ(abi[31], 1);
  EXPECT_EQ(abi[63], 0xa5);
  EXPECT_EQ(ToHex(ByteSpan(abi).subspan(88, 8)), "0123456789abcdef");
  EXPECT_EQ(ToHex(Eip712Digest(Domain("Decryption"), PublicDecryptVerification(words, abi, {}))),
            "2ca3aadc61ebb9042ea92ac3836e567054a1ced82039cd6baf99966bb7db2c2c");
  Digest a, b, c;
  a.fill(1);
  b.fill(2);
  const std::vector<KeyDigestEntry> kd = {{kKeyTypeServer, Bytes(32, 3)},
                                          {kKeyTypePublic, Bytes(32, 4)}};
  const Eip712Struct keygen = ReferenceKeygenVerification(a, b, kd);
  EXPECT_EQ(keygen.EncodeType(),
            "KeygenVerification(uint256 prepKeygenId,uint256 keyId,KeyDigest[] keyDigests)"
            "KeyDigest(uint8 keyType,bytes digest)");
  const Eip712Domain gen = Domain("KMSGeneration");
  EXPECT_EQ(ToHex(Eip712Digest(gen, keygen)),
            "7592b69ace972428fe7c390da3d120fd1b6add09807f99c72eec03d81f005fa6");
  c.fill(5);
  EXPECT_EQ(ToHex(Eip712Digest(gen, CrsgenVerification(c, 2048, Bytes(32, 6)))),
            "55b7d19561e106a2e2b187a55217d12dfcedd8469ba8f14b18191f373b293791");
  EXPECT_EQ(ToHex(Eip712Digest(gen, PrepKeygenVerification(a))),
            "695b01e6993d3c011a37f28c9622983e1dfb791da5892f2b41c30c87fc43eb71");
  EXPECT_FALSE(AbiEncodePlaintexts(std::vector<TypedPlaintext>{{{1}, 1}}).ok());  // Uint4
}

TEST(ReferenceSigncryptionTest, SigncryptionPayloadLayout) {
  // The reference's frozen unit-test vector: bytes [1..5], type 8, link deadbeef.
  const Bytes msg =
      EncodeSigncryptionPayload(Bytes{1, 2, 3, 4, 5}, 8, Bytes{0xde, 0xad, 0xbe, 0xef});
  EXPECT_EQ(ToHex(msg), "05000000000000000102030405080000000400000000000000deadbeef");
  auto parsed = ParseSigncryptionPayload(msg);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->plaintext, (Bytes{1, 2, 3, 4, 5}));
  EXPECT_EQ(parsed->fhe_type, 8);
  Bytes longer = msg;
  longer.push_back(0);
  EXPECT_FALSE(ParseSigncryptionPayload(longer).ok());
  EXPECT_FALSE(ParseSigncryptionPayload(ByteSpan(msg).first(msg.size() - 1)).ok());
}

TEST(ReferenceSigncryptionTest, SigncryptRoundTripAndSizes) {
  const MlKem kem(kMlKem512);
  const MlKemKeyPair user = kem.KeyGen();
  const UserEncKey key = *ParseUserEncKey(*EncodeUserEncKey(kMlKem512, user.encapsulation_key));
  const SigningKey signer = SigningKey::Generate();
  Digest link;
  link.fill(9);
  // One ring element (ebool, euint8): 8 + 64 share bytes -> 1032-byte signcryption.
  const Bytes shares = EncodeResiduePolys(std::vector<algebra::Gr128>(1));
  EXPECT_EQ(shares.size(), 72u);
  const Bytes msg = EncodeSigncryptionPayload(shares, kFheBool, link);
  Bytes m(32, 0x42), nonce(12, 0x24);
  const Bytes ct = *SigncryptDeterministic(signer, key, User(), msg, m, nonce);
  EXPECT_EQ(ct.size(), 1032u);
  EXPECT_EQ(ToHex(ByteSpan(ct).first(20)),
            "242424242424242424242424"
            "0003000000000000");
  EXPECT_EQ(ct, *SigncryptDeterministic(signer, key, User(), msg, m, nonce));
  auto back = Unsigncrypt(user.decapsulation_key, key, User(), signer.verification_key(), ct);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, msg);
  // Another signer, another client address, a flipped byte: refused.
  EXPECT_FALSE(Unsigncrypt(user.decapsulation_key, key, User(),
                           SigningKey::Generate().verification_key(), ct)
                   .ok());
  EthAddress other = User();
  other[0] ^= 1;
  EXPECT_FALSE(Unsigncrypt(user.decapsulation_key, key, other, signer.verification_key(), ct).ok());
  Bytes bad = ct;
  bad.back() ^= 1;
  EXPECT_FALSE(
      Unsigncrypt(user.decapsulation_key, key, User(), signer.verification_key(), bad).ok());
  // Four elements (euint64) -> 1224 bytes, sixteen (euint256) -> 1992 bytes.
  for (auto [count, size] : {std::pair{4, 1224}, std::pair{16, 1992}}) {
    const Bytes s = EncodeResiduePolys(std::vector<algebra::Gr128>(count));
    EXPECT_EQ(Signcrypt(signer, key, User(), EncodeSigncryptionPayload(s, 5, link))->size(),
              static_cast<size_t>(size));
  }
}

TEST(ReferenceSigncryptionTest, PayloadLayout) {
  const MlKem kem(kMlKem512);
  const MlKemKeyPair user = kem.KeyGen();
  const UserEncKey key = *ParseUserEncKey(*EncodeUserEncKey(kMlKem512, user.encapsulation_key));
  const SigningKey signer = SigningKey::Generate();
  std::vector<ResponseEntryInput> in = {
      {kFheBool, Bytes(32, 1), 1, EncodeResiduePolys(std::vector<algebra::Gr128>(1))},
      {kFheUint8, Bytes(32, 2), 2, EncodeResiduePolys(std::vector<algebra::Gr128>(1))},
      {kFheUint64, Bytes(32, 3), 2, EncodeResiduePolys(std::vector<algebra::Gr128>(4))},
      {kFheUint256, Bytes(32, 4), 2, EncodeResiduePolys(std::vector<algebra::Gr128>(16))}};
  auto r = MakeUserDecryptionResponse(signer, Domain("Decryption"), key, User(), in, 3, 1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->payload.size(), 5609u);  // the spec's size for these four types
  EXPECT_TRUE(r->extra_data.empty());
  EXPECT_EQ(r->external_signature[64] == 27 || r->external_signature[64] == 28, true);
  auto p = ParseUserDecryptionPayload(r->payload);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->party_id, 3u);
  EXPECT_EQ(p->degree, 1u);
  EXPECT_EQ(p->verification_key.size(), kPublicSigKeySize);
  EXPECT_EQ(EncodeUserDecryptionPayload(*p), r->payload);
  Bytes legacy;
  legacy.reserve(8 + r->payload.size());
  Append(legacy, AsBytes(kDsepUserDecryption));
  Append(legacy, r->payload);
  EXPECT_TRUE(VerifySha256(signer.verification_key(), legacy, r->signature));
  const Digest digest = *UserDecryptResponseDigest(Domain("Decryption"), key, *p, r->payload);
  EXPECT_TRUE(signer.verification_key().VerifyDigest(digest, r->external_signature));
  // Every truncation fails cleanly.
  for (size_t n = 0; n < r->payload.size(); n += 97) {
    EXPECT_FALSE(ParseUserDecryptionPayload(ByteSpan(r->payload).first(n)).ok()) << n;
  }
}

TEST(ReferenceSigncryptionTest, PublicDecryptionLegacyPayloadLayout) {
  const SigningKey signer = SigningKey::Generate();
  Digest id;
  id.fill(0xab);
  const Bytes vk = EncodePublicSigKey(signer.verification_key());
  const Bytes p =
      EncodePublicDecryptionPayload(vk, std::vector<TypedPlaintext>{{{0xa5}, kFheUint8}}, id);
  // u64 41 ‖ 41 B ‖ u64 1 ‖ (u64 1 ‖ a5 ‖ i32 2) ‖ 01 ‖ u64 64 ‖ 64 hex.
  EXPECT_EQ(p.size(), 8u + 41 + 8 + 8 + 1 + 4 + 1 + 8 + 64);
  EXPECT_EQ(p[8 + 41 + 8 + 8], 0xa5);
}

}  // namespace
}  // namespace kms::crypto::reference
