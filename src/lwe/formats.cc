#include "lwe/formats.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/unknown_field_set.h"
#include "proto/lwe.pb.h"

namespace kms::lwe {
namespace {

constexpr size_t kCoefBytes = 16;

// ---- helpers shared by every message ----

template <class Msg>
absl::Status ParseMessage(ByteSpan data, const std::string& field, Msg* msg) {
  if (data.size() > kMaxEncodedSize)
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", data.size(), " bytes exceed the limit of ", kMaxEncodedSize));
  if (!msg->ParseFromArray(data.data(), static_cast<int>(data.size())))
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid encoding (truncated or corrupted)"));
  return absl::OkStatus();
}

template <class Msg>
absl::StatusOr<Bytes> SerializeMessage(const Msg& msg) {
  Bytes out(msg.ByteSizeLong());
  if (!msg.SerializeToArray(out.data(), static_cast<int>(out.size())))
    return absl::InternalError("protobuf serialization failed");
  return out;
}

template <class Msg>
absl::Status CheckNoUnknownFields(const Msg& msg, const std::string& field) {
  if (!msg.GetReflection()->GetUnknownFields(msg).empty())
    return absl::InvalidArgumentError(absl::StrCat(field, ": unknown fields present"));
  return absl::OkStatus();
}

absl::Status CheckVersion(uint32_t version, const std::string& field) {
  if (version != kLweFormatVersion)
    return absl::InvalidArgumentError(absl::StrCat(field, ".format_version: unsupported version ",
                                                   version, " (expected ", kLweFormatVersion, ")"));
  return absl::OkStatus();
}

// The parameter set named by the message, with its dimension checked.
absl::StatusOr<const LweParameters*> CheckParameters(const std::string& name, uint32_t dimension,
                                                     const std::string& field) {
  absl::StatusOr<const LweParameters*> params = ParametersByName(name);
  if (!params.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".parameter_set: ", params.status().message()));
  if (dimension != static_cast<uint32_t>((*params)->lwe_dimension))
    return absl::InvalidArgumentError(absl::StrCat(field, ".lwe_dimension: expected ",
                                                   (*params)->lwe_dimension, " for parameter set '",
                                                   (*params)->name, "', got ", dimension));
  return *params;
}

std::string PackCoefficients(std::span<const Z128> coefs) {
  std::string out(coefs.size() * kCoefBytes, '\0');
  for (size_t i = 0; i < coefs.size(); ++i)
    algebra::StoreLe<Z128>(coefs[i], reinterpret_cast<uint8_t*>(out.data()) + i * kCoefBytes);
  return out;
}

// `count` little-endian coefficients from `bytes`, whose size must be exactly count·16.
// `what` completes the message: "for dimension 512", "for 3 blocks".
absl::StatusOr<std::vector<Z128>> UnpackCoefficients(const std::string& bytes, size_t count,
                                                     const std::string& field,
                                                     const std::string& what) {
  if (bytes.size() != count * kCoefBytes)
    return absl::InvalidArgumentError(absl::StrCat(field, ": expected ", count * kCoefBytes,
                                                   " bytes ", what, ", got ", bytes.size()));
  std::vector<Z128> out(count);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t i = 0; i < count; ++i) out[i] = algebra::LoadLe<Z128>(p + i * kCoefBytes);
  return out;
}

v1::FheType FheTypeToProto(FheType type) {
  return static_cast<v1::FheType>(static_cast<int>(type) + 1);
}

absl::StatusOr<FheType> FheTypeFromProto(int value, const std::string& field) {
  for (FheType type : kAllFheTypes)
    if (static_cast<int>(FheTypeToProto(type)) == value) return type;
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown FHE type value ", value));
}

}  // namespace

// ---- compact public key ----

absl::Status ToProto(const CompactPublicKey& key, v1::CompactPublicKey* out) {
  KMS_RETURN_IF_ERROR(ValidateCompactPublicKey(key));
  out->Clear();
  out->set_format_version(kLweFormatVersion);
  out->set_parameter_set(key.params->name);
  out->set_lwe_dimension(static_cast<uint32_t>(key.params->lwe_dimension));
  Z128 seed = key.seed;
  out->set_seed(PackCoefficients(std::span<const Z128>(&seed, 1)));
  out->set_body(PackCoefficients(key.body));
  return absl::OkStatus();
}

absl::StatusOr<CompactPublicKey> FromProto(const v1::CompactPublicKey& msg,
                                           std::string_view field_view) {
  const std::string field(field_view);
  KMS_RETURN_IF_ERROR(CheckNoUnknownFields(msg, field));
  KMS_RETURN_IF_ERROR(CheckVersion(msg.format_version(), field));
  KMS_ASSIGN_OR_RETURN(const LweParameters* params,
                       CheckParameters(msg.parameter_set(), msg.lwe_dimension(), field));
  const size_t n = static_cast<size_t>(params->lwe_dimension);
  KMS_ASSIGN_OR_RETURN(
      std::vector<Z128> seed,
      UnpackCoefficients(msg.seed(), 1, absl::StrCat(field, ".seed"), "(a little-endian u128)"));
  CompactPublicKey key;
  key.params = params;
  key.seed = seed[0];
  KMS_ASSIGN_OR_RETURN(key.body, UnpackCoefficients(msg.body(), n, absl::StrCat(field, ".body"),
                                                    absl::StrCat("for dimension ", n)));
  key.mask = CpkMaskFromSeed(key.seed, params->lwe_dimension);
  return key;
}

absl::StatusOr<Bytes> SerializeCompactPublicKey(const CompactPublicKey& key) {
  v1::CompactPublicKey msg;
  KMS_RETURN_IF_ERROR(ToProto(key, &msg));
  return SerializeMessage(msg);
}

absl::StatusOr<CompactPublicKey> ParseCompactPublicKey(ByteSpan data) {
  v1::CompactPublicKey msg;
  KMS_RETURN_IF_ERROR(ParseMessage(data, "compact_public_key", &msg));
  return FromProto(msg);
}

// ---- secret key ----

absl::StatusOr<crypto::SecretBytes> SerializeSecretKey(const SecretKey& key) {
  const LweParameters& params = key.params();
  v1::LweSecretKey msg;
  msg.set_format_version(kLweFormatVersion);
  msg.set_parameter_set(params.name);
  msg.set_lwe_dimension(static_cast<uint32_t>(key.dimension()));
  // Pack in place in the message's own string so no other copy of the bits exists.
  std::string* packed = msg.mutable_bits();
  packed->assign((key.bits().size() + 7) / 8, '\0');
  uint8_t* bytes = reinterpret_cast<uint8_t*>(packed->data());
  const std::span<const Z128> bits = key.bits();
  for (size_t i = 0; i < bits.size(); ++i)
    bytes[i / 8] |= static_cast<uint8_t>((bits[i] & 1) << (i % 8));
  crypto::SecretBytes out(msg.ByteSizeLong());
  const bool ok = msg.SerializeToArray(out.data(), static_cast<int>(out.size()));
  crypto::SecureZero(packed->data(), packed->size());
  if (!ok) return absl::InternalError("protobuf serialization failed");
  return out;
}

absl::StatusOr<SecretKey> ParseSecretKey(ByteSpan data) {
  const std::string kField = "secret_key";
  v1::LweSecretKey msg;
  // Zero the message's copy of the bits on every path out of this function.
  struct Wiper {
    v1::LweSecretKey* msg;
    ~Wiper() {
      std::string* bits = msg->mutable_bits();
      crypto::SecureZero(bits->data(), bits->size());
    }
  } wiper{&msg};
  KMS_RETURN_IF_ERROR(ParseMessage(data, kField, &msg));
  KMS_RETURN_IF_ERROR(CheckNoUnknownFields(msg, kField));
  KMS_RETURN_IF_ERROR(CheckVersion(msg.format_version(), kField));
  KMS_ASSIGN_OR_RETURN(const LweParameters* params,
                       CheckParameters(msg.parameter_set(), msg.lwe_dimension(), kField));
  const size_t n = static_cast<size_t>(params->lwe_dimension);
  const std::string& packed = msg.bits();
  if (packed.size() != (n + 7) / 8)
    return absl::InvalidArgumentError(absl::StrCat(kField, ".bits: expected ", (n + 7) / 8,
                                                   " bytes for dimension ", n, ", got ",
                                                   packed.size()));
  if (n % 8 != 0 && (static_cast<uint8_t>(packed.back()) >> (n % 8)) != 0)
    return absl::InvalidArgumentError(absl::StrCat(kField, ".bits: padding bits are not zero"));
  crypto::SecretBytes bits(n);
  for (size_t i = 0; i < n; ++i) bits[i] = (static_cast<uint8_t>(packed[i / 8]) >> (i % 8)) & 1;
  return SecretKey::FromBits(*params, bits.span());
}

// ---- compact ciphertext list ----

absl::Status ToProto(const CompactCiphertextList& list, v1::CompactCiphertextList* out) {
  KMS_RETURN_IF_ERROR(ValidateCompactCiphertextList(list));
  out->Clear();
  out->set_format_version(kLweFormatVersion);
  out->set_parameter_set(list.params->name);
  out->set_lwe_dimension(static_cast<uint32_t>(list.params->lwe_dimension));
  out->set_num_blocks(static_cast<uint32_t>(list.bodies.size()));
  out->set_mask(PackCoefficients(list.mask));
  out->set_bodies(PackCoefficients(list.bodies));
  return absl::OkStatus();
}

absl::StatusOr<CompactCiphertextList> FromProto(const v1::CompactCiphertextList& msg,
                                                std::string_view field_view) {
  const std::string field(field_view);
  KMS_RETURN_IF_ERROR(CheckNoUnknownFields(msg, field));
  KMS_RETURN_IF_ERROR(CheckVersion(msg.format_version(), field));
  KMS_ASSIGN_OR_RETURN(const LweParameters* params,
                       CheckParameters(msg.parameter_set(), msg.lwe_dimension(), field));
  const size_t n = static_cast<size_t>(params->lwe_dimension);
  if (msg.num_blocks() < 1 || msg.num_blocks() > n)
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".num_blocks: expected 1 to ", n, ", got ", msg.num_blocks()));
  CompactCiphertextList list;
  list.params = params;
  KMS_ASSIGN_OR_RETURN(list.mask, UnpackCoefficients(msg.mask(), n, absl::StrCat(field, ".mask"),
                                                     absl::StrCat("for dimension ", n)));
  KMS_ASSIGN_OR_RETURN(
      list.bodies,
      UnpackCoefficients(msg.bodies(), msg.num_blocks(), absl::StrCat(field, ".bodies"),
                         absl::StrCat("for ", msg.num_blocks(), " blocks")));
  return list;
}

absl::StatusOr<Bytes> SerializeCompactCiphertextList(const CompactCiphertextList& list) {
  v1::CompactCiphertextList msg;
  KMS_RETURN_IF_ERROR(ToProto(list, &msg));
  return SerializeMessage(msg);
}

absl::StatusOr<CompactCiphertextList> ParseCompactCiphertextList(ByteSpan data) {
  v1::CompactCiphertextList msg;
  KMS_RETURN_IF_ERROR(ParseMessage(data, "ciphertext", &msg));
  return FromProto(msg);
}

// ---- typed ciphertexts ----

absl::Status ToProto(const TypedCiphertext& ct, v1::TypedCiphertext* out) {
  KMS_RETURN_IF_ERROR(ValidateTypedCiphertext(ct));
  out->Clear();
  out->set_format_version(kLweFormatVersion);
  out->set_fhe_type(FheTypeToProto(ct.type));
  out->set_block_count(static_cast<uint32_t>(ct.list.bodies.size()));
  return ToProto(ct.list, out->mutable_ciphertext());
}

absl::StatusOr<TypedCiphertext> FromProto(const v1::TypedCiphertext& msg,
                                          std::string_view field_view) {
  const std::string field(field_view);
  KMS_RETURN_IF_ERROR(CheckNoUnknownFields(msg, field));
  KMS_RETURN_IF_ERROR(CheckVersion(msg.format_version(), field));
  TypedCiphertext ct;
  KMS_ASSIGN_OR_RETURN(ct.type, FheTypeFromProto(msg.fhe_type(), absl::StrCat(field, ".fhe_type")));
  if (!msg.has_ciphertext())
    return absl::InvalidArgumentError(absl::StrCat(field, ".ciphertext: missing"));
  KMS_ASSIGN_OR_RETURN(ct.list, FromProto(msg.ciphertext(), absl::StrCat(field, ".ciphertext")));
  const uint32_t expected = static_cast<uint32_t>(BlockCount(ct.type, *ct.list.params));
  if (msg.block_count() != expected)
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".block_count: ", FheTypeName(ct.type), " with ", ct.list.params->bits_per_block,
        "-bit blocks needs ", expected, ", got ", msg.block_count()));
  if (ct.list.bodies.size() != expected)
    return absl::InvalidArgumentError(absl::StrCat(field, ".ciphertext.num_blocks: expected ",
                                                   expected, " for ", FheTypeName(ct.type),
                                                   ", got ", ct.list.bodies.size()));
  return ct;
}

absl::StatusOr<Bytes> SerializeTypedCiphertext(const TypedCiphertext& ct) {
  v1::TypedCiphertext msg;
  KMS_RETURN_IF_ERROR(ToProto(ct, &msg));
  return SerializeMessage(msg);
}

absl::StatusOr<TypedCiphertext> ParseTypedCiphertext(ByteSpan data) {
  v1::TypedCiphertext msg;
  KMS_RETURN_IF_ERROR(ParseMessage(data, "typed_ciphertext", &msg));
  return FromProto(msg);
}

absl::Status ToProto(const TypedCiphertextList& ct, v1::TypedCiphertextList* out) {
  KMS_RETURN_IF_ERROR(ValidateTypedCiphertextList(ct));
  out->Clear();
  out->set_format_version(kLweFormatVersion);
  for (FheType type : ct.types) out->add_fhe_types(FheTypeToProto(type));
  return ToProto(ct.list, out->mutable_ciphertext());
}

absl::StatusOr<TypedCiphertextList> FromProto(const v1::TypedCiphertextList& msg,
                                              std::string_view field_view) {
  const std::string field(field_view);
  KMS_RETURN_IF_ERROR(CheckNoUnknownFields(msg, field));
  KMS_RETURN_IF_ERROR(CheckVersion(msg.format_version(), field));
  if (!msg.has_ciphertext())
    return absl::InvalidArgumentError(absl::StrCat(field, ".ciphertext: missing"));
  TypedCiphertextList ct;
  KMS_ASSIGN_OR_RETURN(ct.list, FromProto(msg.ciphertext(), absl::StrCat(field, ".ciphertext")));
  // A list holds at most n̂ blocks and every type needs at least one, which bounds the count
  // before anything is allocated from it.
  const size_t n = static_cast<size_t>(ct.list.params->lwe_dimension);
  if (msg.fhe_types_size() < 1 || static_cast<size_t>(msg.fhe_types_size()) > n)
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".fhe_types: expected 1 to ", n, " types, got ", msg.fhe_types_size()));
  size_t total = 0;
  ct.types.reserve(static_cast<size_t>(msg.fhe_types_size()));
  for (int i = 0; i < msg.fhe_types_size(); ++i) {
    KMS_ASSIGN_OR_RETURN(
        FheType type,
        FheTypeFromProto(msg.fhe_types(i), absl::StrCat(field, ".fhe_types[", i, "]")));
    ct.types.push_back(type);
    total += static_cast<size_t>(BlockCount(type, *ct.list.params));
  }
  if (ct.list.bodies.size() != total)
    return absl::InvalidArgumentError(absl::StrCat(field, ".ciphertext.num_blocks: the types need ",
                                                   total, ", got ", ct.list.bodies.size()));
  return ct;
}

absl::StatusOr<Bytes> SerializeTypedCiphertextList(const TypedCiphertextList& ct) {
  v1::TypedCiphertextList msg;
  KMS_RETURN_IF_ERROR(ToProto(ct, &msg));
  return SerializeMessage(msg);
}

absl::StatusOr<TypedCiphertextList> ParseTypedCiphertextList(ByteSpan data) {
  v1::TypedCiphertextList msg;
  KMS_RETURN_IF_ERROR(ParseMessage(data, "typed_ciphertext_list", &msg));
  return FromProto(msg);
}

}  // namespace kms::lwe
