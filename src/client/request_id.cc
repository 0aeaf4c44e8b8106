#include "client/request_id.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/absl_compat_internal.h"
#include "common/bytes.h"
#include "crypto/random.h"

namespace kms::client {
namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

absl::StatusOr<std::string> ParseId(std::string_view text, std::string_view field) {
  std::string_view hex = text;
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.size() != kIdHexChars) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(field), ": expected ", kIdHexChars, " hex characters, got ", hex.size()));
  }
  for (size_t i = 0; i < hex.size(); ++i) {
    if (!IsHexDigit(hex[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(Av(field), ": character ", i + 1, " is not a hex digit"));
    }
  }
  std::string out(hex);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

absl::StatusOr<crypto::Digest> IdToDigest(std::string_view text, std::string_view field) {
  absl::StatusOr<std::string> id = ParseId(text, field);
  if (!id.ok()) return id.status();
  absl::StatusOr<Bytes> bytes = FromHex(*id);
  if (!bytes.ok()) return absl::InvalidArgumentError(absl::StrCat(Av(field), ": not hex"));
  crypto::Digest out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string RandomRequestId() {
  crypto::Digest bytes{};
  crypto::OsRandom(bytes);
  return ToHex(bytes);
}

}  // namespace kms::client
