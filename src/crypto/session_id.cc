#include "crypto/session_id.h"

#include <algorithm>

#include "crypto/hash.h"

namespace kms::crypto {
namespace {
SessionId FirstU128Le(const Digest& d) { return LoadU128Le(d.data()); }
}  // namespace

SessionId SessionIdFromBytes(ByteSpan data) {
  Shake256 h;
  h.Update(kDsepSessionId).UpdateU64Le(data.size()).Update(data);
  return FirstU128Le(h.Finish32());
}

SessionId DeriveSessionId(const RequestId& request_id, uint64_t counter) {
  Shake256 h;
  h.Update(kDsepHashList).Update(kDsepSessionId).UpdateU64Le(1);
  h.Update(ByteSpan(request_id.data(), request_id.size())).UpdateU64Le(counter);
  return FirstU128Le(h.Finish32());
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
