#include "client/typed_encryption.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "client/response_verification.h"
#include "common/status_macros.h"
#include "lwe/fhe_type.h"
#include "lwe/formats.h"
#include "lwe/typed_ciphertext.h"
#include "lwe/typed_plaintext.h"

namespace kms::client {
namespace {

constexpr size_t kMaxFileSize = 64 << 20;

}  // namespace

absl::StatusOr<lwe::CompactPublicKey> ParsePublicKey(std::string_view encoded) {
  absl::StatusOr<lwe::CompactPublicKey> key = lwe::ParseCompactPublicKey(AsBytes(encoded));
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("public key: ", key.status().message()));
  }
  return key;
}

absl::StatusOr<v1::TypedCiphertext> EncryptValue(const lwe::CompactPublicKey& key,
                                                 std::string_view fhe_type, std::string_view value,
                                                 algebra::RandomSource& rng) {
  KMS_ASSIGN_OR_RETURN(lwe::FheType type, lwe::FheTypeFromName(fhe_type));
  absl::StatusOr<lwe::TypedPlaintext> plaintext = lwe::TypedPlaintext::FromString(type, value);
  if (!plaintext.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("value: ", plaintext.status().message()));
  }
  KMS_ASSIGN_OR_RETURN(lwe::TypedCiphertext ct, lwe::EncryptTyped(key, *plaintext, rng));
  KMS_ASSIGN_OR_RETURN(Bytes encoded, lwe::SerializeTypedCiphertext(ct));
  v1::TypedCiphertext out;
  out.set_ciphertext(std::string(encoded.begin(), encoded.end()));
  out.set_fhe_type(lwe::FheTypeName(type));
  const crypto::Digest handle = CiphertextHandle(encoded);
  out.set_external_handle(std::string(handle.begin(), handle.end()));
  out.set_ciphertext_format(0);
  return out;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    if (err == EACCES)
      return absl::PermissionDeniedError(absl::StrCat(path, ": permission denied"));
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read"));
  if (static_cast<size_t>(size) > kMaxFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", size, " bytes, more than the ", kMaxFileSize, " accepted"));
  }
  in.seekg(0, std::ios::beg);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), size)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read"));
  }
  return bytes;
}

absl::Status WriteFileBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot write: ", std::strerror(errno)));
  }
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

absl::StatusOr<v1::TypedCiphertext> ReadCiphertextFile(const std::string& path) {
  KMS_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  v1::TypedCiphertext ct;
  if (!ct.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a ciphertext file (kms.v1.TypedCiphertext)"));
  }
  if (ct.ciphertext().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ciphertext is empty"));
  }
  absl::StatusOr<lwe::FheType> type = lwe::FheTypeFromName(ct.fhe_type());
  if (!type.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": fhe_type: ", type.status().message()));
  }
  if (!ct.external_handle().empty() && ct.external_handle().size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": external_handle: expected 32 bytes, got ", ct.external_handle().size()));
  }
  return ct;
}

absl::Status WriteCiphertextFile(const std::string& path, const v1::TypedCiphertext& ciphertext) {
  std::string bytes;
  if (!ciphertext.SerializeToString(&bytes)) {
    return absl::InternalError("ciphertext cannot be serialized");
  }
  return WriteFileBytes(path, bytes);
}

absl::StatusOr<int32_t> ParseCiphertextFormat(std::string_view name) {
  static constexpr std::string_view kNames[] = {"SmallCompressed", "SmallExpanded", "BigCompressed",
                                                "BigExpanded"};
  for (int32_t f = 0; f < 4; ++f) {
    if (name == kNames[f] || name == std::to_string(f)) return f;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ciphertext format \"", std::string(name.substr(0, 32)),
                   "\" (0 SmallCompressed, 1 SmallExpanded, 2 BigCompressed, 3 BigExpanded)"));
}

absl::StatusOr<v1::TypedCiphertext> ReadTfheCiphertextFile(const std::string& path,
                                                           std::string_view fhe_type,
                                                           std::string_view format) {
  KMS_ASSIGN_OR_RETURN(lwe::FheType type, lwe::FheTypeFromName(fhe_type));
  KMS_ASSIGN_OR_RETURN(int32_t f, ParseCiphertextFormat(format));
  KMS_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  v1::TypedCiphertext ct;
  ct.set_ciphertext(std::move(bytes));
  ct.set_fhe_type(lwe::FheTypeName(type));
  ct.set_ciphertext_format(f);
  return ct;
}

}  // namespace kms::client
