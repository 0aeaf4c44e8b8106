#include "crypto/eip712.h"

#include <gtest/gtest.h>

#include <vector>

#include "crypto/keccak.h"
#include "crypto/secp256k1_signer.h"

namespace kms::crypto {
namespace {

EthAddress Address(std::string_view text) {
  auto a = ParseEthAddress(text);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : EthAddress{};
}

Digest Word(std::string_view hex) {
  auto b = FromHex(hex);
  EXPECT_TRUE(b.ok() && b->size() == 32) << hex;
  Digest d{};
  if (b.ok() && b->size() == 32) std::copy(b->begin(), b->end(), d.begin());
  return d;
}

Digest KeccakOf(std::string_view s) { return Keccak256(AsBytes(s)); }

// The EIP-712 specification's example (eip-712.md, "Example"; Example.js).
Eip712Domain MailDomain() {
  Eip712Domain domain;
  domain.name = "Ether Mail";
  domain.version = "1";
  domain.chain_id = Uint256FromU64(1);
  domain.verifying_contract = Address("0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC");
  return domain;
}

Eip712Struct Person(std::string_view name, std::string_view wallet) {
  Eip712Struct person("Person");
  person.AddString("name", name).AddAddress("wallet", Address(wallet));
  return person;
}

Eip712Struct MailMessage() {
  Eip712Struct mail("Mail");
  mail.AddStruct("from", Person("Cow", "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"))
      .AddStruct("to", Person("Bob", "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"))
      .AddString("contents", "Hello, Bob!");
  return mail;
}

TEST(Eip712Test, MailExampleEncodeTypeAndTypeHash) {
  const Eip712Struct mail = MailMessage();
  EXPECT_EQ(mail.EncodeType(),
            "Mail(Person from,Person to,string contents)Person(string name,address wallet)");
  EXPECT_EQ(ToHex(mail.TypeHash()),
            "a0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2");
  EXPECT_EQ(mail.EncodeData().size(), 3u * 32);
}

TEST(Eip712Test, MailExampleKnownAnswers) {
  EXPECT_EQ(ToHex(DomainSeparator(MailDomain())),
            "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
  EXPECT_EQ(ToHex(MailMessage().HashStruct()),
            "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
  EXPECT_EQ(ToHex(Eip712Digest(MailDomain(), MailMessage())),
            "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
}

TEST(Eip712Test, MailExampleSignatureByCow) {
  const Digest cow = KeccakOf("cow");
  auto key = SigningKey::FromBytes(cow);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->verification_key().EthereumAddressChecksummed(),
            "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");

  const Digest digest = Eip712Digest(MailDomain(), MailMessage());
  const Signature65 sig = key->SignDigest(digest);
  // The specification's signature (RFC 6979 nonces make it reproducible).
  EXPECT_EQ(ToHex(ByteSpan(sig).first(32)),
            "4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d");
  EXPECT_EQ(ToHex(ByteSpan(sig).subspan(32, 32)),
            "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562");
  EXPECT_EQ(sig[64], 28);

  auto recovered = VerificationKey::RecoverFromSignature(digest, sig);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(recovered->EthereumAddressChecksummed(), "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
}

TEST(Eip712Test, ReferencedTypesAreSortedAndListedOnce) {
  // The EIP's own ordering example: Transaction references Person twice and Asset once; the
  // referenced types follow in alphabetical order, each once, including indirect ones.
  Eip712Struct asset("Asset");
  asset.AddAddress("token", EthAddress{}).AddUint256("amount", 5);
  Eip712Struct person("Person");
  person.AddAddress("wallet", EthAddress{}).AddString("name", "x");
  Eip712Struct tx("Transaction");
  tx.AddStruct("from", person).AddStruct("to", person).AddStruct("tx", asset);
  EXPECT_EQ(tx.EncodeType(),
            "Transaction(Person from,Person to,Asset tx)Asset(address token,uint256 amount)"
            "Person(address wallet,string name)");

  Eip712Struct outer("Zoo");
  outer.AddStruct("t", tx).AddBool("open", true);
  EXPECT_EQ(outer.EncodeType(),
            "Zoo(Transaction t,bool open)Asset(address token,uint256 amount)"
            "Person(address wallet,string name)Transaction(Person from,Person to,Asset tx)");
}

TEST(Eip712Test, EncodeDataWordsPerFieldType) {
  Bytes blob = {1, 2, 3};
  std::vector<Digest> words = {Word(std::string(64, '1')), Word(std::string(64, '2'))};
  const Digest b32 = Word(std::string(64, 'a'));
  const EthAddress address = Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");

  Eip712Struct s("AllKinds");
  s.AddBytes32("a", b32)
      .AddUint256("b", 0x0102)
      .AddAddress("c", address)
      .AddBool("d", true)
      .AddBool("e", false)
      .AddString("f", "text")
      .AddBytes("g", blob)
      .AddBytes32Array("h", words)
      .AddBytes32Array("i", {});
  EXPECT_EQ(s.EncodeType(),
            "AllKinds(bytes32 a,uint256 b,address c,bool d,bool e,string f,bytes g,bytes32[] h,"
            "bytes32[] i)");

  Bytes expected;
  Append(expected, b32);
  Bytes uint_word(32, 0);
  uint_word[30] = 1;
  uint_word[31] = 2;
  Append(expected, uint_word);
  Append(expected, Bytes(12, 0));
  Append(expected, address);
  Bytes true_word(32, 0);
  true_word[31] = 1;
  Append(expected, true_word);
  Append(expected, Bytes(32, 0));
  Append(expected, KeccakOf("text"));
  Append(expected, Keccak256(blob));
  Bytes concatenated;
  Append(concatenated, words[0]);
  Append(concatenated, words[1]);
  Append(expected, Keccak256(concatenated));
  Append(expected, KeccakOf(""));  // empty array: hash of nothing
  EXPECT_EQ(ToHex(s.EncodeData()), ToHex(expected));

  const Digest type_hash = KeccakOf(s.EncodeType());
  EXPECT_EQ(s.TypeHash(), type_hash);
  EXPECT_EQ(s.HashStruct(), Keccak256({ByteSpan(type_hash), ByteSpan(expected)}));
}

TEST(Eip712Test, DomainTypeListsOnlyPresentFieldsInCanonicalOrder) {
  Eip712Domain domain;
  domain.name = "KMS";
  domain.version = "1";
  auto manual = [](std::string_view type, std::initializer_list<ByteSpan> words) {
    Bytes data;
    for (ByteSpan w : words) Append(data, w);
    const Digest th = KeccakOf(type);
    return Keccak256({ByteSpan(th), ByteSpan(data)});
  };
  const Digest name = KeccakOf("KMS"), version = KeccakOf("1");
  EXPECT_EQ(DomainSeparator(domain),
            manual("EIP712Domain(string name,string version)", {name, version}));

  const Digest salt = Word(std::string(64, '5'));
  domain.salt = salt;
  EXPECT_EQ(DomainSeparator(domain),
            manual("EIP712Domain(string name,string version,bytes32 salt)", {name, version, salt}));

  const Uint256 chain = Uint256FromU64(31337);
  const EthAddress contract = Address("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359");
  Digest contract_word{};
  std::copy(contract.begin(), contract.end(), contract_word.begin() + 12);
  domain.chain_id = chain;
  domain.verifying_contract = contract;
  EXPECT_EQ(DomainSeparator(domain),
            manual("EIP712Domain(string name,string version,uint256 chainId,"
                   "address verifyingContract,bytes32 salt)",
                   {name, version, chain, contract_word, salt}));

  domain.salt.reset();
  domain.chain_id.reset();
  EXPECT_EQ(DomainSeparator(domain),
            manual("EIP712Domain(string name,string version,address verifyingContract)",
                   {name, version, contract_word}));
}

TEST(Eip712Test, Uint256IsBigEndian) {
  EXPECT_EQ(ToHex(Uint256FromU64(0)), std::string(64, '0'));
  EXPECT_EQ(ToHex(Uint256FromU64(0x0102030405060708)), std::string(48, '0') + "0102030405060708");
}

TEST(Eip712Test, KmsMessageTypes) {
  const std::vector<Digest> handles = {Word(std::string(64, 'a')), Word(std::string(64, 'b'))};
  const Bytes result = {9, 9}, extra = {}, public_key(32, 7), share = {4, 5, 6};

  const Eip712Struct pub = PublicDecryptVerification(handles, result, extra);
  EXPECT_EQ(pub.EncodeType(),
            "PublicDecryptVerification(bytes32[] ctHandles,bytes decryptedResult,bytes extraData)");
  const Eip712Struct user = UserDecryptResponseVerification(public_key, handles, share, extra);
  EXPECT_EQ(user.EncodeType(),
            "UserDecryptResponseVerification(bytes publicKey,bytes32[] ctHandles,"
            "bytes userDecryptedShare,bytes extraData)");
  const EthAddress user_address = Address("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB");
  const Eip712Struct link = UserDecryptionLinker(public_key, handles, user_address);
  EXPECT_EQ(link.EncodeType(),
            "UserDecryptionLinker(bytes publicKey,bytes32[] handles,address userAddress)");
  const Eip712Struct keygen =
      KeygenVerification(handles[0], handles[1], Word(std::string(64, 'c')), "test", true);
  EXPECT_EQ(keygen.EncodeType(),
            "KeygenVerification(bytes32 requestId,bytes32 keyId,bytes32 publicKeyDigest,"
            "string fheParameter,bool insecure)");

  // PublicDecryptVerification's hashStruct from first principles.
  Bytes concatenated;
  for (const Digest& h : handles) Append(concatenated, h);
  const Digest th = KeccakOf(pub.EncodeType()), h_handles = Keccak256(concatenated),
               h_result = Keccak256(result), h_extra = Keccak256(extra);
  EXPECT_EQ(pub.HashStruct(), Keccak256({th, h_handles, h_result, h_extra}));

  // Every field is bound: changing any input changes the digest.
  Eip712Domain domain = MailDomain();
  const Digest base = Eip712Digest(domain, pub);
  std::vector<Digest> other_handles = handles;
  other_handles[1][31] ^= 1;
  EXPECT_NE(Eip712Digest(domain, PublicDecryptVerification(other_handles, result, extra)), base);
  EXPECT_NE(Eip712Digest(domain, PublicDecryptVerification(handles, Bytes{9, 8}, extra)), base);
  EXPECT_NE(Eip712Digest(domain, PublicDecryptVerification(handles, result, Bytes{0})), base);
  // The handle list is hashed as a list: moving a byte between elements changes it too.
  EXPECT_NE(Eip712Digest(domain, PublicDecryptVerification({&handles[0], 1}, result, extra)), base);
  domain.chain_id = Uint256FromU64(2);
  EXPECT_NE(Eip712Digest(domain, pub), base);

  EthAddress other_user = user_address;
  other_user[0] ^= 1;
  EXPECT_NE(UserDecryptionLinker(public_key, handles, other_user).HashStruct(), link.HashStruct());
}

TEST(Eip712Test, SignedKmsResponseRecoversTheSigner) {
  SigningKey key = SigningKey::Generate();
  const std::vector<Digest> handles(64, Word(std::string(64, 'e')));
  const Bytes result(64 * 32, 1);
  const Digest digest =
      Eip712Digest(MailDomain(), PublicDecryptVerification(handles, result, Bytes{}));
  const Signature65 sig = key.SignDigest(digest);
  auto signer = VerificationKey::RecoverFromSignature(digest, sig);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->EthereumAddress(), key.verification_key().EthereumAddress());
}

}  // namespace
}  // namespace kms::crypto
