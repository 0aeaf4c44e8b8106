#include "crypto/session_id.h"

#include <algorithm>
#include <vector>

#include "crypto/hash.h"

namespace kms::crypto {
namespace {

std::array<uint8_t, 8> U64Le(uint64_t v) {
  std::array<uint8_t, 8> b;
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

}  // namespace

const char* SessionOperationName(SessionOperation operation) {
  switch (operation) {
    case SessionOperation::kPrssInit:
      return "prss-init";
    case SessionOperation::kPreprocessing:
      return "preprocessing";
    case SessionOperation::kKeyGen:
      return "keygen";
    case SessionOperation::kInsecureKeyGen:
      return "insecure-keygen";
    case SessionOperation::kPublicDecryption:
      return "public-decryption";
    case SessionOperation::kUserDecryption:
      return "user-decryption";
  }
  return "unknown";
}

namespace {

// u64le(tag) || u64le(32) || value: one optional element (header, extension rule).
Bytes TaggedElement(uint64_t tag, const std::array<uint8_t, 32>& value) {
  Bytes out;
  out.reserve(16 + value.size());
  AppendU64Le(out, tag);
  AppendU64Le(out, value.size());
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

}  // namespace

SessionId DeriveSessionId(const SessionDomain& domain, uint64_t index) {
  // The three fixed-width elements first; optional fields follow, tagged, in tag order.
  const std::array<uint8_t, 8> operation = U64Le(static_cast<uint64_t>(domain.operation));
  const std::array<uint8_t, 8> idx = U64Le(index);
  std::vector<Bytes> elements;
  elements.emplace_back(operation.begin(), operation.end());
  elements.emplace_back(domain.request_id.begin(), domain.request_id.end());
  elements.emplace_back(idx.begin(), idx.end());
  if (domain.key_id.has_value())
    elements.push_back(TaggedElement(kSessionFieldKeyId, *domain.key_id));
  if (domain.content_digest.has_value())
    elements.push_back(TaggedElement(kSessionFieldContentDigest, *domain.content_digest));
  const Digest d = HashList(kDsepSessionDomain, std::span<const Bytes>(elements));
  return LoadU128Le(d.data());
}

std::string SessionIdToString(SessionId sid) {
  if (sid == 0) return "0";
  std::string s;
  while (sid != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(sid % 10)));
    sid /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace kms::crypto
