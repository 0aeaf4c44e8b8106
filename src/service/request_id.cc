#include "service/request_id.h"

#include "absl/strings/str_cat.h"
#include "common/bytes.h"

namespace kms::service {

absl::StatusOr<Id32> ParseId(std::string_view field, std::string_view text) {
  const absl::string_view f(field.data(), field.size());
  std::string_view hex = text;
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(f, ": missing (expected ", kIdHexLength, " hex characters)"));
  }
  if (hex.size() != kIdHexLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(f, ": expected ", kIdHexLength, " hex characters, got ", hex.size()));
  }
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) {
      const bool printable = c >= 0x20 && c < 0x7f;
      return absl::InvalidArgumentError(absl::StrCat(
          f, ": not hexadecimal (",
          printable ? absl::StrCat("character '", std::string(1, c), "'") : std::string("a byte"),
          " at position ", i, ")"));
    }
  }
  absl::StatusOr<Bytes> bytes = FromHex(hex);
  if (!bytes.ok()) return absl::InvalidArgumentError(absl::StrCat(f, ": not hexadecimal"));
  Id32 id{};
  std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

absl::StatusOr<Id32> ParseIdOr(std::string_view field, std::string_view text,
                               const Id32& default_id) {
  if (text.empty()) return default_id;
  return ParseId(field, text);
}

std::string IdToHex(const Id32& id) { return ToHex(id); }

Id32 DefaultEpochId() {
  Id32 id{};
  id[31] = 1;
  return id;
}

}  // namespace kms::service
