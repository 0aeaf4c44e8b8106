#include "crypto/session_id.h"

#include <algorithm>

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

SessionId DeriveSessionId(const SessionDomain& domain, uint64_t index) {
  // Fixed-width elements: the layout of a 3-element list is unambiguous (see the header for how
  // later fields are appended).
  const std::array<uint8_t, 8> operation = U64Le(static_cast<uint64_t>(domain.operation));
  const std::array<uint8_t, 8> idx = U64Le(index);
  const Digest d = HashList(kDsepSessionDomain,
                            {ByteSpan(operation), ByteSpan(domain.request_id), ByteSpan(idx)});
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
