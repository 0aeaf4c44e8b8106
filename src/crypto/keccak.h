// File: crypto/keccak.h
//
// Keccak-256 as Ethereum uses it: the original Keccak submission's padding (domain byte 0x01),
// not FIPS 202 SHA3-256 (domain byte 0x06). Ethereum addresses, EIP-55 checksums and EIP-712
// typed-data digests are all defined over this function, so it cannot be replaced by the
// project's SHAKE-256 helper (crypto/hash.h) nor by OpenSSL 3.0, which has no legacy Keccak.
// The permutation comes from Crypto++ (a vetted implementation, Debian's libcrypto++).
//
//   Digest d = Keccak256(AsBytes("hello"));
//   Digest e = Keccak256({prefix, body});  // hash of the concatenation, without copying
//
// Thread safety: the functions are pure and may be called from any thread.
#ifndef KMS_CRYPTO_KECCAK_H_
#define KMS_CRYPTO_KECCAK_H_

#include <initializer_list>

#include "common/bytes.h"
#include "crypto/hash.h"

namespace kms::crypto {

// Keccak-256 of `data`. Known answer: Keccak256("") =
// c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470.
Digest Keccak256(ByteSpan data);

// Keccak-256 of the concatenation of `parts`, in order.
Digest Keccak256(std::initializer_list<ByteSpan> parts);

}  // namespace kms::crypto

#endif  // KMS_CRYPTO_KECCAK_H_
