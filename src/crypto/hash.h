// File: crypto/hash.h
//
// The one hashing helper of the project (crypto-spec B §1.9): SHAKE-256 with an 8-byte ASCII
// domain separator (DSEP) in front of everything hashed.
//   HashElement(dsep, m)          = SHAKE256(dsep || m)                                 (32 bytes)
//   HashList(dsep, [e_1..e_L])    = SHAKE256("HASH_LST" || dsep || u64le(L) || e_1 || ... || e_L)
//   Commit(role, sid, round, msg) = SHAKE256("COMMTMNT" || u64le(role) || u128le(sid) ||
//                                            u64le(round) || msg || opening)
#ifndef KMS_CRYPTO_HASH_H_
#define KMS_CRYPTO_HASH_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace kms::crypto {

using Digest = std::array<uint8_t, 32>;
using Dsep = std::string_view;  // exactly 8 ASCII bytes

// Domain separators (B §1.9). A new use gets a new 8-byte constant here, never an ad-hoc string.
inline constexpr Dsep kDsepAgreeRandom = "AGREERND";
inline constexpr Dsep kDsepBroadcast = "BRACHABC";
inline constexpr Dsep kDsepSessionId = "SESSN_ID";  // the reference's session ids (KAT only)
// Session ids separated by operation (crypto-spec A.5; crypto/session_id.h).
inline constexpr Dsep kDsepSessionDomain = "SESS_DOM";
// Digests of a request's content that session ids are bound to (service/session_content.h).
inline constexpr Dsep kDsepSessionContent = "SESS_CNT";
inline constexpr Dsep kDsepTfheGen = "TFHE_GEN";
inline constexpr Dsep kDsepSigncryption = "SIGNCRYP";
inline constexpr Dsep kDsepUserDecryption = "USER_DEC";
inline constexpr Dsep kDsepPublicDecryption = "PUBL_DEC";
inline constexpr Dsep kDsepPublicKeyData = "PDAT_KEY";
inline constexpr Dsep kDsepCrsData = "PDAT_CRS";
inline constexpr Dsep kDsepRequestId = "REQST_ID";
inline constexpr Dsep kDsepHandle = "_HANDLE_";
inline constexpr Dsep kDsepHashList = "HASH_LST";
inline constexpr Dsep kDsepCommitment = "COMMTMNT";

// Incremental SHAKE-256. Not thread-safe; one instance per computation.
class Shake256 {
 public:
  Shake256();
  ~Shake256();
  Shake256(const Shake256&) = delete;
  Shake256& operator=(const Shake256&) = delete;

  Shake256& Update(ByteSpan data);
  Shake256& Update(std::string_view data) { return Update(AsBytes(data)); }
  Shake256& UpdateU64Le(uint64_t v);
  Shake256& UpdateU128Le(unsigned __int128 v);
  // Squeezes out.size() bytes; the object cannot be updated afterwards.
  void Finish(std::span<uint8_t> out);
  Digest Finish32();

 private:
  void* ctx_;  // EVP_MD_CTX, kept out of the header
};

// REQUIRES: dsep.size() == 8.
Digest HashElement(Dsep dsep, ByteSpan message);
Digest HashList(Dsep dsep, std::initializer_list<ByteSpan> elements);
Digest HashList(Dsep dsep, std::span<const Bytes> elements);

// Commitment to `message` with a 16-byte random opening (AgreeRandom, B §2.4).
Digest Commit(uint64_t role, unsigned __int128 session_id, uint64_t round, ByteSpan message,
              std::span<const uint8_t, 16> opening);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_HASH_H_
