#include "crypto/eip712.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "crypto/keccak.h"

namespace kms::crypto {
namespace {

[[maybe_unused]] bool IsIdentifier(std::string_view s) {
  auto start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
  };
  auto rest = [&](char c) { return start(c) || (c >= '0' && c <= '9'); };
  return !s.empty() && start(s[0]) && std::all_of(s.begin() + 1, s.end(), rest);
}

// The 32-byte word of a value that is shorter than a word: right-aligned, zero-padded on the
// left (as Solidity's abi.encode does for address and bool).
Digest LeftPadded(ByteSpan value) {
  assert(value.size() <= 32);
  Digest word{};
  std::memcpy(word.data() + word.size() - value.size(), value.data(), value.size());
  return word;
}

Digest HashOfWords(std::span<const Digest> words) {
  static_assert(sizeof(Digest) == 32, "an array of Digest must be contiguous 32-byte words");
  // The object representation of the array is the concatenation of the words.
  const std::span<const std::byte> raw = std::as_bytes(words);
  return Keccak256(ByteSpan(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

}  // namespace

Uint256 Uint256FromU64(uint64_t v) {
  Uint256 out{};
  for (int i = 0; i < 8; ++i) out[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Eip712Struct

Eip712Struct::Eip712Struct(std::string type_name) : type_name_(std::move(type_name)) {
  assert(IsIdentifier(type_name_));
}

Eip712Struct& Eip712Struct::Add(std::string name, std::string type, const Digest& word,
                                std::shared_ptr<const Eip712Struct> nested) {
  assert(IsIdentifier(name));
  assert(
      std::none_of(fields_.begin(), fields_.end(), [&](const Field& f) { return f.name == name; }));
  fields_.push_back(Field{std::move(name), std::move(type), word, std::move(nested)});
  return *this;
}

Eip712Struct& Eip712Struct::AddBytes32(std::string name, const Digest& value) {
  return Add(std::move(name), "bytes32", value);
}

Eip712Struct& Eip712Struct::AddUint256(std::string name, const Uint256& value) {
  return Add(std::move(name), "uint256", value);
}

Eip712Struct& Eip712Struct::AddUint32(std::string name, uint32_t value) {
  return Add(std::move(name), "uint32", Uint256FromU64(value));
}

Eip712Struct& Eip712Struct::AddUint8(std::string name, uint8_t value) {
  return Add(std::move(name), "uint8", Uint256FromU64(value));
}

Eip712Struct& Eip712Struct::AddAddress(std::string name, const EthAddress& value) {
  return Add(std::move(name), "address", LeftPadded(value));
}

Eip712Struct& Eip712Struct::AddBool(std::string name, bool value) {
  Digest word{};
  word[31] = value ? 1 : 0;
  return Add(std::move(name), "bool", word);
}

Eip712Struct& Eip712Struct::AddString(std::string name, std::string_view value) {
  return Add(std::move(name), "string", Keccak256(AsBytes(value)));
}

Eip712Struct& Eip712Struct::AddBytes(std::string name, ByteSpan value) {
  return Add(std::move(name), "bytes", Keccak256(value));
}

Eip712Struct& Eip712Struct::AddBytes32Array(std::string name, std::span<const Digest> value) {
  return Add(std::move(name), "bytes32[]", HashOfWords(value));
}

Eip712Struct& Eip712Struct::AddStruct(std::string name, Eip712Struct value) {
  assert(value.type_name_ != type_name_);  // a struct type cannot contain itself by value
  const Digest word = value.HashStruct();
  std::string type = value.type_name_;
  return Add(std::move(name), std::move(type), word,
             std::make_shared<const Eip712Struct>(std::move(value)));
}

Eip712Struct& Eip712Struct::AddStructArray(std::string name, const Eip712Struct& element_type,
                                           std::span<const Eip712Struct> values) {
  assert(element_type.type_name_ != type_name_);
  std::vector<Digest> words;
  words.reserve(values.size());
  for (const Eip712Struct& v : values) {
    assert(v.type_name_ == element_type.type_name_);
    words.push_back(v.HashStruct());
  }
  return Add(std::move(name), element_type.type_name_ + "[]", HashOfWords(words),
             std::make_shared<const Eip712Struct>(element_type));
}

std::string Eip712Struct::EncodeOwnType() const {
  std::string out = type_name_;
  out += '(';
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out += ',';
    out += fields_[i].type;
    out += ' ';
    out += fields_[i].name;
  }
  out += ')';
  return out;
}

void Eip712Struct::CollectReferencedTypes(
    std::vector<std::pair<std::string, std::string>>& out) const {
  for (const Field& field : fields_) {
    if (field.nested == nullptr) continue;
    const Eip712Struct& nested = *field.nested;
    std::string own = nested.EncodeOwnType();
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& entry) { return entry.first == nested.type_name_; });
    if (it != out.end()) {
      // The same type reached twice (Mail.from and Mail.to are both Person): list it once. Two
      // different definitions under one name would make the type hash ambiguous.
      assert(it->second == own);
      continue;
    }
    out.emplace_back(nested.type_name_, std::move(own));
    nested.CollectReferencedTypes(out);
  }
}

std::string Eip712Struct::EncodeType() const {
  std::vector<std::pair<std::string, std::string>> referenced;
  CollectReferencedTypes(referenced);
  assert(std::none_of(referenced.begin(), referenced.end(),
                      [&](const auto& entry) { return entry.first == type_name_; }));
  std::sort(referenced.begin(), referenced.end());
  std::string out = EncodeOwnType();
  for (const auto& [name, own] : referenced) out += own;
  return out;
}

Digest Eip712Struct::TypeHash() const { return Keccak256(AsBytes(EncodeType())); }

Bytes Eip712Struct::EncodeData() const {
  Bytes out;
  out.reserve(32 * fields_.size());
  for (const Field& field : fields_) Append(out, field.word);
  return out;
}

Digest Eip712Struct::HashStruct() const {
  const Digest type_hash = TypeHash();
  const Bytes data = EncodeData();
  return Keccak256({ByteSpan(type_hash), ByteSpan(data)});
}

// ---------------------------------------------------------------------------------------------
// Domain and digest

Digest DomainSeparator(const Eip712Domain& domain) {
  Eip712Struct value("EIP712Domain");
  value.AddString("name", domain.name).AddString("version", domain.version);
  if (domain.chain_id.has_value()) value.AddUint256("chainId", *domain.chain_id);
  if (domain.verifying_contract.has_value()) {
    value.AddAddress("verifyingContract", *domain.verifying_contract);
  }
  if (domain.salt.has_value()) value.AddBytes32("salt", *domain.salt);
  return value.HashStruct();
}

Digest Eip712Digest(const Eip712Domain& domain, const Eip712Struct& message) {
  static constexpr uint8_t kPrefix[2] = {0x19, 0x01};
  const Digest domain_separator = DomainSeparator(domain);
  const Digest struct_hash = message.HashStruct();
  return Keccak256({ByteSpan(kPrefix), ByteSpan(domain_separator), ByteSpan(struct_hash)});
}

// ---------------------------------------------------------------------------------------------
// KMS messages

Eip712Struct PublicDecryptVerification(std::span<const Digest> ct_handles,
                                       ByteSpan decrypted_result, ByteSpan extra_data) {
  Eip712Struct value("PublicDecryptVerification");
  value.AddBytes32Array("ctHandles", ct_handles)
      .AddBytes("decryptedResult", decrypted_result)
      .AddBytes("extraData", extra_data);
  return value;
}

Eip712Struct UserDecryptResponseVerification(ByteSpan public_key,
                                             std::span<const Digest> ct_handles,
                                             ByteSpan user_decrypted_share, ByteSpan extra_data) {
  Eip712Struct value("UserDecryptResponseVerification");
  value.AddBytes("publicKey", public_key)
      .AddBytes32Array("ctHandles", ct_handles)
      .AddBytes("userDecryptedShare", user_decrypted_share)
      .AddBytes("extraData", extra_data);
  return value;
}

Eip712Struct UserDecryptionLinker(ByteSpan public_key, std::span<const Digest> handles,
                                  const EthAddress& user_address) {
  Eip712Struct value("UserDecryptionLinker");
  value.AddBytes("publicKey", public_key)
      .AddBytes32Array("handles", handles)
      .AddAddress("userAddress", user_address);
  return value;
}

Eip712Struct KeygenVerification(const Digest& request_id, const Digest& key_id,
                                const Digest& public_key_digest, std::string_view fhe_parameter,
                                bool insecure) {
  Eip712Struct value("KeygenVerification");
  value.AddBytes32("requestId", request_id)
      .AddBytes32("keyId", key_id)
      .AddBytes32("publicKeyDigest", public_key_digest)
      .AddString("fheParameter", fhe_parameter)
      .AddBool("insecure", insecure);
  return value;
}

}  // namespace kms::crypto
