#include "client/ciphertext_attestation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/response_verification.h"
#include "common/status_macros.h"
#include "crypto/ciphertext_attestation.h"

namespace kms::client {

absl::StatusOr<crypto::SigningKey> CreateProducerKey(const std::string& path) {
  crypto::SigningKey key = crypto::SigningKey::Generate();
  const crypto::SecretBytes secret = key.Serialize();
  std::string text = ToHex(ByteSpan(secret.data(), secret.size())) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    std::fill(text.begin(), text.end(), '\0');
    if (err == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat(path, ": exists; a producer key is never overwritten"));
    }
    return absl::UnavailableError(absl::StrCat(path, ": cannot create: ", std::strerror(err)));
  }
  const ssize_t written = ::write(fd, text.data(), text.size());
  std::fill(text.begin(), text.end(), '\0');
  const bool closed = ::close(fd) == 0;
  if (written != static_cast<ssize_t>(2 * crypto::SigningKey::kSize + 1) || !closed) {
    return absl::UnavailableError(absl::StrCat(path, ": write failed"));
  }
  return key;
}

absl::StatusOr<crypto::SigningKey> LoadProducerKey(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return absl::PermissionDeniedError(absl::StrCat(
        path, ": mode ", mode, " lets others read or write the producer key; chmod 600 ", path));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError(absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
  char buf[80];
  const ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  std::string text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  std::fill(std::begin(buf), std::end(buf), '\0');
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  absl::StatusOr<Bytes> secret = FromHex(std::string_view(trimmed.data(), trimmed.size()));
  std::fill(text.begin(), text.end(), '\0');
  if (!secret.ok() || secret->size() != crypto::SigningKey::kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": expected 64 hex characters (a secp256k1 secret key)"));
  }
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromBytes(*secret);
  std::fill(secret->begin(), secret->end(), 0);
  if (!key.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", key.status().message()));
  return key;
}

absl::StatusOr<std::string> AttestCiphertexts(const crypto::SigningKey& producer,
                                              const std::string& key_id,
                                              std::vector<v1::TypedCiphertext>& ciphertexts,
                                              std::optional<uint64_t> chain_id) {
  KMS_ASSIGN_OR_RETURN(Bytes id, FromHex(key_id));
  crypto::CiphertextAttestationData data;
  if (id.size() != data.key_id.size()) {
    return absl::InvalidArgumentError("key id: expected 64 hex characters");
  }
  std::copy(id.begin(), id.end(), data.key_id.begin());
  const crypto::Eip712Domain domain = crypto::CiphertextAttestationDomain(chain_id);
  crypto::CiphertextAttestations attestations;
  for (v1::TypedCiphertext& ct : ciphertexts) {
    if (ct.external_handle().empty()) {
      const crypto::Digest h = CiphertextHandle(AsBytes(ct.ciphertext()));
      ct.set_external_handle(std::string(h.begin(), h.end()));
    }
    if (ct.external_handle().size() != data.handle.size()) {
      return absl::InvalidArgumentError("ciphertext external_handle: expected 32 bytes");
    }
    std::copy(ct.external_handle().begin(), ct.external_handle().end(), data.handle.begin());
    data.fhe_type = ct.fhe_type();
    data.ciphertext_format = static_cast<uint32_t>(ct.ciphertext_format());
    data.ciphertext_digest = crypto::CiphertextDigest(AsBytes(ct.ciphertext()));
    attestations.push_back(
        {producer.SignDigest(crypto::CiphertextAttestationDigest(domain, data))});
  }
  KMS_ASSIGN_OR_RETURN(Bytes encoded, crypto::EncodeCiphertextAttestations(attestations));
  return std::string(encoded.begin(), encoded.end());
}

}  // namespace kms::client
