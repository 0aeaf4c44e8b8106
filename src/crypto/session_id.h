// File: crypto/session_id.h
//
// Session identifiers (crypto-spec B §3): a u128 read little-endian from the first 16 bytes of a
// SHAKE-256 hash, so every party derives the same id for the same request without talking.
//   SessionIdFromBytes(x)        = LE u128 of SHAKE256("SESSN_ID" || bincode(x)), x a byte string
//   DeriveSessionId(request, c)  = LE u128 of SHAKE256("HASH_LST" || "SESSN_ID" || u64le(1) ||
//                                               request_id[32] || u64le(c))
// Counters: PRSS init uses the epoch id with c = 0; DKG c = 2 (Z128); preprocessing 0..k-1;
// user decryption the ciphertext index.
#ifndef KMS_CRYPTO_SESSION_ID_H_
#define KMS_CRYPTO_SESSION_ID_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "common/bytes.h"

namespace kms::crypto {

using SessionId = unsigned __int128;
using RequestId = std::array<uint8_t, 32>;

// SessionId::new over a byte string: bincode of a byte slice is u64le(length) || bytes.
SessionId SessionIdFromBytes(ByteSpan data);

SessionId DeriveSessionId(const RequestId& request_id, uint64_t counter);

// Decimal rendering of a u128 (for logs and known-answer tests).
std::string SessionIdToString(SessionId sid);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_SESSION_ID_H_
