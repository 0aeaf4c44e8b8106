#include "storage/storage.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"
#include "storage/absl_compat_internal.h"

namespace kms::storage {

using ::kms::storage::internal::Av;
namespace {

bool IsLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Names are echoed in error messages; a hostile name is cut short and its non-printable bytes
// escaped, so it cannot forge log lines.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto u = static_cast<unsigned char>(c);
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

absl::Status CheckIdLike(std::string_view field, std::string_view value, size_t max_length) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(Av(field), " is empty"));
  if (value.size() > max_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        Av(field), " is ", value.size(), " characters long; at most ", max_length, " allowed"));
  }
  if (value.front() == '.') {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(field), " \"", Printable(value), "\" must not start with '.'"));
  }
  for (char c : value) {
    if (!IsLetter(c) && !IsDigit(c) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat(Av(field), " \"", Printable(value),
                       "\" may only contain letters, digits, '-', '_' and '.'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDataType(std::string_view data_type) {
  if (data_type.empty()) return absl::InvalidArgumentError("data type is empty");
  if (data_type.size() > kMaxDataTypeLength) {
    return absl::InvalidArgumentError(absl::StrCat("data type is ", data_type.size(),
                                                   " characters long; at most ", kMaxDataTypeLength,
                                                   " allowed"));
  }
  if (!IsLetter(data_type.front())) {
    return absl::InvalidArgumentError(
        absl::StrCat("data type \"", Printable(data_type), "\" must start with a letter"));
  }
  for (char c : data_type) {
    if (!IsLetter(c) && !IsDigit(c) && c != '-' && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("data type \"", Printable(data_type),
                       "\" may only contain letters, digits, '-' and '_'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateId(std::string_view id) { return CheckIdLike("id", id, kMaxIdLength); }

absl::Status ValidatePrefix(std::string_view prefix) {
  if (prefix.empty()) return absl::InvalidArgumentError("storage prefix is empty");
  if (prefix.size() > kMaxPrefixLength) {
    return absl::InvalidArgumentError(absl::StrCat("storage prefix is ", prefix.size(),
                                                   " characters long; at most ", kMaxPrefixLength,
                                                   " allowed"));
  }
  size_t start = 0;
  while (true) {
    const size_t slash = prefix.find('/', start);
    const std::string_view segment = prefix.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    absl::Status s = CheckIdLike("storage prefix segment", segment, kMaxPrefixLength);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("storage prefix \"", Printable(prefix), "\": ", s.message()));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return absl::OkStatus();
}

absl::Status ValidateObjectName(std::string_view data_type, std::string_view id) {
  absl::Status s = ValidateDataType(data_type);
  if (!s.ok()) return s;
  return ValidateId(id);
}

std::string ObjectKey(std::string_view prefix, std::string_view data_type, std::string_view id) {
  return absl::StrCat(Av(prefix), "/", Av(data_type), "/", Av(id));
}

absl::Status ValidateStreamOptions(const StreamOptions& options) {
  if (options.chunk_size < kMinStreamChunkSize || options.chunk_size > kMaxStreamChunkSize) {
    return absl::InvalidArgumentError(absl::StrCat("stream chunk size ", options.chunk_size,
                                                   " is outside [", kMinStreamChunkSize, ", ",
                                                   kMaxStreamChunkSize, "] bytes"));
  }
  if (options.max_object_size == 0) {
    return absl::InvalidArgumentError("stream max object size must be at least 1 byte");
  }
  return absl::OkStatus();
}

ObjectProducer HashingProducer(ObjectProducer produce, crypto::Shake256& hash) {
  return [produce = std::move(produce), &hash](const ByteSink& write) {
    return produce([&](ByteSpan piece) {
      hash.Update(piece);
      return write(piece);
    });
  };
}

ByteSink HashingSink(ByteSink sink, crypto::Shake256& hash) {
  return [sink = std::move(sink), &hash](ByteSpan piece) {
    hash.Update(piece);
    return sink(piece);
  };
}

}  // namespace kms::storage
