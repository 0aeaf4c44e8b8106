#include "service/central_key_record.h"

#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "lwe/formats.h"

namespace kms::service {
namespace {

constexpr std::string_view kMagic = "KMSCKEY1";
constexpr size_t kHeaderSize = 8 + 1 + 32 + 8;

}  // namespace

absl::StatusOr<crypto::SecretBytes> SerializeCentralKeyRecord(const CentralKeyRecord& record) {
  KMS_ASSIGN_OR_RETURN(crypto::SecretBytes sk, lwe::SerializeSecretKey(record.secret_key));
  crypto::SecretBytes out(kHeaderSize + sk.size());
  uint8_t* p = out.data();
  std::memcpy(p, kMagic.data(), kMagic.size());
  p[8] = record.insecure ? 1 : 0;
  std::memcpy(p + 9, record.public_key_digest.data(), 32);
  const uint64_t n = sk.size();
  for (int i = 0; i < 8; ++i) p[41 + i] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(p + kHeaderSize, sk.data(), sk.size());
  return out;
}

absl::StatusOr<CentralKeyRecord> ParseCentralKeyRecord(ByteSpan data) {
  if (data.size() < kHeaderSize) {
    return absl::DataLossError(absl::StrCat("FhePrivateKey record: ", data.size(),
                                            " bytes, shorter than its ", kHeaderSize,
                                            "-byte header"));
  }
  if (std::memcmp(data.data(), kMagic.data(), kMagic.size()) != 0) {
    return absl::DataLossError("FhePrivateKey record: bad magic (not a KMSCKEY1 record)");
  }
  if (data[8] > 1) {
    return absl::DataLossError(absl::StrCat("FhePrivateKey record: insecure flag is ",
                                            static_cast<int>(data[8]), ", expected 0 or 1"));
  }
  const uint64_t n = LoadU64Le(data.data() + 41);
  if (n != data.size() - kHeaderSize) {
    return absl::DataLossError(absl::StrCat("FhePrivateKey record: secret key length field says ",
                                            n, " bytes, ", data.size() - kHeaderSize, " follow"));
  }
  absl::StatusOr<lwe::SecretKey> sk = lwe::ParseSecretKey(data.subspan(kHeaderSize));
  if (!sk.ok()) {
    return absl::DataLossError(
        absl::StrCat("FhePrivateKey record: secret key: ", sk.status().message()));
  }
  CentralKeyRecord record{std::move(*sk), {}, data[8] == 1};
  std::memcpy(record.public_key_digest.data(), data.data() + 9, 32);
  return record;
}

}  // namespace kms::service
