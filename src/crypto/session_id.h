// File: crypto/session_id.h
//
// Session identifiers: a u128 that every party derives for the same request without talking, and
// that tags every message of the session on the peer network (crypto-spec B §3: session id,
// sender, round). Two sessions that share an id share their messages, so ids must never repeat
// across requests or across operations.
//
// The id is domain-separated by operation (crypto-spec A.5): the reference derives it from the
// request id and a counter alone, SHAKE256("HASH_LST" || "SESSN_ID" || u64le(1) || request_id ||
// u64le(ctr)), so a public decryption under the request id of a running preprocessing got the id
// of the preprocessing's session 0, shared its network session and closed it when done. Here:
//
//   DeriveSessionId(domain, index) = LE u128 of the first 16 bytes of
//       HashList("SESS_DOM", [u64le(operation), request_id[32], u64le(index)])
//     = SHAKE256("HASH_LST" || "SESS_DOM" || u64le(3) || u64le(operation) || request_id[32] ||
//                u64le(index))
//
// `index` numbers the sessions of one operation on one request (preprocessing session i, the
// ciphertext index of a user decryption); operations with one session use 0.
//
// Optional fields (the extension rule): a later input of the derivation becomes a new, optional
// field of SessionDomain and goes into the list as one more element
// u64le(field tag) || u64le(length) || bytes, after the three above, in tag order and only when
// set. Ids of domains that do not set it stay as they are; the element count L of HASH_LST and
// the tags keep every list decodable, so distinct domains never hash the same bytes. The fields:
//   tag 1  key_id[32]          the key the session uses (decryptions)
//   tag 2  content_digest[32]  a digest of the request's content (service/session_content.h:
//                              the ciphertexts, the parameter set and batch layout, the epoch)
// With both set:
//   SHAKE256("HASH_LST" || "SESS_DOM" || u64le(5) || u64le(operation) || request_id[32] ||
//            u64le(index) || u64le(1) || u64le(32) || key_id[32] ||
//            u64le(2) || u64le(32) || content_digest[32])
// The content digest is what makes a reused request id harmless: the same id with other
// ciphertexts (or another batch layout) gets another session id, hence other PRSS masks
// (mpc::PrssState keys its PRFs with the session id), and never repeats a flooding mask.
// (Ids that start real sessions are in addition never reused at all: storage/session_ledger.h.)
//
// The derivation departs from the reference's (no interoperability of session ids with Rust
// nodes; the wire format is our own anyway, crypto-spec A.4). Known-answer vectors are in
// tests/crypto/session_id_test.cc, computed by tests/crypto/kat/session_id_kat.py.
#ifndef KMS_CRYPTO_SESSION_ID_H_
#define KMS_CRYPTO_SESSION_ID_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/bytes.h"

namespace kms::crypto {

using SessionId = unsigned __int128;
using RequestId = std::array<uint8_t, 32>;

// The operations that run MPC sessions (or, for user decryption, derive PRSS masks from a session
// id without sending anything). The number is hashed into the id: never renumber or reuse one; a
// new operation (resharing, CRS ceremony, ...) takes the next free number.
enum class SessionOperation : uint64_t {
  kPrssInit = 1,          // NewMpcEpoch: robust PRSS initialisation
  kPreprocessing = 2,     // KeyGenPreproc: triples, bits, randoms (index = session number)
  kKeyGen = 3,            // KeyGen: the online phase of the distributed key generation
  kInsecureKeyGen = 4,    // InsecureKeyGen: the dealer key generation (tests only)
  kPublicDecryption = 5,  // PublicDecrypt: one asynchronous robust open
  kUserDecryption = 6,    // UserDecrypt: PRSS masks only (index = ciphertext index)
};

// "prss-init", "preprocessing", "keygen", "insecure-keygen", "public-decryption",
// "user-decryption" (logs).
const char* SessionOperationName(SessionOperation operation);

// Everything a session id is bound to, apart from the session's index within the operation.
// Fields added later must be optional (see the extension rule above).
struct SessionDomain {
  SessionOperation operation;
  RequestId request_id;
  std::optional<std::array<uint8_t, 32>> key_id = std::nullopt;          // tag 1
  std::optional<std::array<uint8_t, 32>> content_digest = std::nullopt;  // tag 2
};

// The tags of the optional fields (hashed: never renumber or reuse one).
inline constexpr uint64_t kSessionFieldKeyId = 1;
inline constexpr uint64_t kSessionFieldContentDigest = 2;

// The id of session number `index` of `domain` (formula above). Deterministic and the same on
// every party; distinct (operation, request_id, index, key_id, content_digest) give distinct ids
// up to SHAKE-256 collisions in 128 bits.
SessionId DeriveSessionId(const SessionDomain& domain, uint64_t index);

// Decimal rendering of a u128 (for logs and known-answer tests).
std::string SessionIdToString(SessionId sid);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_SESSION_ID_H_
