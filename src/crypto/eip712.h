// File: crypto/eip712.h
//
// EIP-712 typed structured data hashing, for the responses the KMS signs (crypto-spec A.2 and
// B §5): a party signs Eip712Digest(domain, message) with its secp256k1 key, and a wallet or a
// smart contract can check the signature against the same typed data.
//
//   domainSeparator = hashStruct(EIP712Domain{name, version, chainId, verifyingContract, salt})
//   hashStruct(s)   = keccak256(typeHash(s) ‖ encodeData(s))
//   typeHash(s)     = keccak256(encodeType(s))
//   encodeType(s)   = "Name(type1 field1,type2 field2,...)" followed by the encodeType of every
//                     struct type it references (directly or not), sorted by name, each once
//   encodeData(s)   = one 32-byte word per field, in declaration order:
//       bytes32 -> the value; uint256 -> 32-byte big-endian; address -> 12 zero bytes ‖ 20 bytes;
//       bool -> 31 zero bytes ‖ 0x00 or 0x01; string -> keccak256(UTF-8 bytes);
//       bytes -> keccak256(bytes); bytes32[] -> keccak256(concatenation of the elements);
//       nested struct -> hashStruct(value)
//   digest          = keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message))
//
// The encoder covers the field types the KMS messages use (plus bool, uint256 and nested structs
// for completeness and for the specification's "Mail" test vector); it is not a general JSON
// typed-data parser.
//
//   Eip712Struct msg = PublicDecryptVerification(handles, abi_result, extra_data);
//   Digest to_sign = Eip712Digest(domain, msg);
//   Signature65 sig = signing_key.SignDigest(to_sign);
//
// Thread safety: Eip712Struct is a value type; const methods may run concurrently.
#ifndef KMS_CRYPTO_EIP712_H_
#define KMS_CRYPTO_EIP712_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/secp256k1_signer.h"

namespace kms::crypto {

// A uint256 as 32 big-endian bytes (the EIP-712 / ABI word).
using Uint256 = std::array<uint8_t, 32>;

// The uint256 with the value `v`.
Uint256 Uint256FromU64(uint64_t v);

// The EIP712Domain of a signature. Name and version are always part of the domain; the other
// fields are included only when set, and the EIP712Domain type string then names exactly the
// fields present, in the canonical order name, version, chainId, verifyingContract, salt.
struct Eip712Domain {
  std::string name;
  std::string version;
  std::optional<Uint256> chain_id;
  std::optional<EthAddress> verifying_contract;
  std::optional<Digest> salt;
};

// One EIP-712 struct value: a type name and ordered, typed fields. Built by chaining Add* calls:
//
//   Eip712Struct person("Person");
//   person.AddString("name", "Cow").AddAddress("wallet", cow_address);
//
// Type and field names are program constants, not input: REQUIRES (checked by assert) that they
// are Solidity identifiers ([A-Za-z_$][A-Za-z0-9_$]*), that field names within a struct are
// distinct, and that every nested struct type name has a single definition across the whole
// value. Field values may be anything, including untrusted bytes and strings.
class Eip712Struct {
 public:
  explicit Eip712Struct(std::string type_name);

  Eip712Struct& AddBytes32(std::string name, const Digest& value);
  Eip712Struct& AddUint256(std::string name, const Uint256& value);
  Eip712Struct& AddUint256(std::string name, uint64_t value) {
    return AddUint256(std::move(name), Uint256FromU64(value));
  }
  // A uint32 field: encoded as a uint256 word, named "uint32" in the type string.
  Eip712Struct& AddUint32(std::string name, uint32_t value);
  // A uint8 field (e.g. a Solidity enum): one uint256 word, named "uint8" in the type string.
  Eip712Struct& AddUint8(std::string name, uint8_t value);
  Eip712Struct& AddAddress(std::string name, const EthAddress& value);
  Eip712Struct& AddBool(std::string name, bool value);
  Eip712Struct& AddString(std::string name, std::string_view value);
  Eip712Struct& AddBytes(std::string name, ByteSpan value);
  Eip712Struct& AddBytes32Array(std::string name, std::span<const Digest> value);
  Eip712Struct& AddStruct(std::string name, Eip712Struct value);
  // An array of structs, "T[]" with T = element_type's type name: keccak256 of the
  // concatenated hashStruct of the values. element_type (any value of T; its field values are
  // not used) supplies T's type string, so an empty array is typed too. REQUIRES every value to
  // be of type T.
  Eip712Struct& AddStructArray(std::string name, const Eip712Struct& element_type,
                               std::span<const Eip712Struct> values);

  const std::string& type_name() const { return type_name_; }

  // encodeType, e.g. "Mail(Person from,Person to,string contents)Person(string name,address
  // wallet)".
  std::string EncodeType() const;
  Digest TypeHash() const;
  // encodeData: 32 bytes per field.
  Bytes EncodeData() const;
  Digest HashStruct() const;

 private:
  // A field keeps its encodeData word, computed when it is added (a bytes or string value is
  // hashed then and not kept), and for a struct field the nested value, whose types encodeType
  // lists.
  struct Field {
    std::string name;
    std::string type;  // "bytes32", "uint256", ..., or the nested struct's type name
    Digest word;
    std::shared_ptr<const Eip712Struct> nested;
  };

  Eip712Struct& Add(std::string name, std::string type, const Digest& word,
                    std::shared_ptr<const Eip712Struct> nested = nullptr);
  // "Name(type1 field1,...)" for this struct alone.
  std::string EncodeOwnType() const;
  // (type name, own type string) of every struct type referenced from this one, directly or not.
  void CollectReferencedTypes(std::vector<std::pair<std::string, std::string>>& out) const;

  std::string type_name_;
  std::vector<Field> fields_;
};

// hashStruct of the EIP712Domain value of `domain`.
Digest DomainSeparator(const Eip712Domain& domain);

// keccak256(0x19 ‖ 0x01 ‖ DomainSeparator(domain) ‖ message.HashStruct()): what is signed.
Digest Eip712Digest(const Eip712Domain& domain, const Eip712Struct& message);

// ---------------------------------------------------------------------------------------------
// The typed messages the KMS signs (crypto-spec B §5). Handles are the 32-byte (left-padded)
// ciphertext handles of the request.

// PublicDecryptVerification(bytes32[] ctHandles,bytes decryptedResult,bytes extraData):
// a public decryption result; decryptedResult is the ABI encoding of the plaintexts.
Eip712Struct PublicDecryptVerification(std::span<const Digest> ct_handles,
                                       ByteSpan decrypted_result, ByteSpan extra_data);

// UserDecryptResponseVerification(bytes publicKey,bytes32[] ctHandles,bytes userDecryptedShare,
// bytes extraData): one party's user-decryption response; publicKey is the user's encryption
// key and userDecryptedShare the serialized response payload.
Eip712Struct UserDecryptResponseVerification(ByteSpan public_key,
                                             std::span<const Digest> ct_handles,
                                             ByteSpan user_decrypted_share, ByteSpan extra_data);

// UserDecryptionLinker(bytes publicKey,bytes32[] handles,address userAddress): binds the user's
// encryption key and address to the handles; its EIP-712 digest is the "link" inside the
// signcrypted payload.
Eip712Struct UserDecryptionLinker(ByteSpan public_key, std::span<const Digest> handles,
                                  const EthAddress& user_address);

// KeygenVerification(bytes32 requestId,bytes32 keyId,bytes32 publicKeyDigest,
// string fheParameter,bool insecure): this project's own compact form for signing a
// key-generation result. requestId is the KeyGen request id, keyId the id of the generated key
// (equal to requestId today, kept separate so that a key re-derived under a new request stays
// distinguishable), publicKeyDigest the SHAKE-256 digest of the public key material with the
// "PDAT_KEY" separator (HashElement(kDsepPublicKeyData, serialized public key)), fheParameter
// the name of the key's parameter set ("default", "test") and insecure whether the key is
// insecure (an insecure parameter set or the dealer), so that no one can pass a test key off as
// a production key without breaking the signature. Unlike the reference system's
// KeygenVerification it carries one digest instead of a list of (key type, digest) pairs: a
// verifier recomputes the digest from the public key it downloaded and checks one signature.
Eip712Struct KeygenVerification(const Digest& request_id, const Digest& key_id,
                                const Digest& public_key_digest, std::string_view fhe_parameter,
                                bool insecure);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_EIP712_H_
