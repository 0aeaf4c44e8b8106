// File: mpc/dkg.h
//
// Distributed key generation of the KMS encryption key and its compact public key (crypto-spec
// A.3, B §2.10, §2.14 b). No party ever holds the key:
//   key bits        n̂ preprocessed random bits (shares of s_i in {0, 1})
//   noise           n̂ TUniform(2^B) values from B + 2 preprocessed bits each
//   seed            one preprocessed random sharing, opened; seed = u128 from the big-endian
//                   reading of the little-endian bytes of its constant coefficient (as the
//                   reference); the mask a comes from the TFHE_GEN XOF of that seed
//   body            computed locally, b_i = a ⊛ rev(s_i) + e_i (linear in the shares), then
//                   robust-opened
// Every honest party ends with the same public key and digest, and its own key shares.
//
// InsecureDealerKeyGen is for tests and benchmarks only: party 1 samples the key and deals
// Shamir shares. Keys it makes are marked insecure in their metadata.
#ifndef KMS_MPC_DKG_H_
#define KMS_MPC_DKG_H_

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/hash.h"
#include "crypto/secure_zero.h"
#include "lwe/compact_public_key.h"
#include "lwe/parameters.h"
#include "mpc/preprocessing.h"
#include "mpc/session.h"

namespace kms::mpc {

// One party's share of the KMS encryption key, with the public key every party agrees on.
struct KeyShare {
  KeyShare() = default;
  KeyShare(const KeyShare&) = default;
  KeyShare(KeyShare&&) = default;
  // Assignments zero the shares they replace first: a defaulted assignment would free or shrink
  // the old buffer with the shares still in it.
  KeyShare& operator=(const KeyShare& o) {
    if (this != &o) {
      crypto::SecureZero(secret_key);
      Assign(o);
    }
    return *this;
  }
  KeyShare& operator=(KeyShare&& o) noexcept {
    if (this != &o) {
      crypto::SecureZero(secret_key);
      Assign(std::move(o));
    }
    return *this;
  }
  ~KeyShare() { crypto::SecureZero(secret_key); }  // key shares never outlive their owner

  const lwe::LweParameters* params = nullptr;
  std::vector<Share> secret_key;  // my shares of s_0 .. s_{n̂-1}
  lwe::CompactPublicKey public_key;
  crypto::Digest public_key_digest{};  // SHAKE256("PDAT_KEY" || serialized public key)
  bool insecure_dealer = false;

 private:
  template <typename Other>
  void Assign(Other&& o) {  // every field
    params = o.params;
    secret_key = std::forward<Other>(o).secret_key;
    public_key = std::forward<Other>(o).public_key;
    public_key_digest = o.public_key_digest;
    insecure_dealer = o.insecure_dealer;
  }
};

// Bits and randoms the DKG consumes for `params`: n̂ + n̂ (B + 2) bits and 1 random.
size_t DkgBitsNeeded(const lwe::LweParameters& params);
size_t DkgRandomsNeeded(const lwe::LweParameters& params);

// Runs the online DKG on `session` (asynchronous is fine: two robust opens), consuming
// `material` (exactly DkgBitsNeeded bits and DkgRandomsNeeded randoms).
absl::StatusOr<KeyShare> DistributedKeyGen(Session& session, const lwe::LweParameters& params,
                                           const Preprocessed& material);

// INSECURE: party 1 knows the whole key. Tests, benchmarks and `insecure = true` deployments.
absl::StatusOr<KeyShare> InsecureDealerKeyGen(Session& session, const lwe::LweParameters& params);

// SHAKE256("PDAT_KEY" || SerializeCompactPublicKey(key)).
absl::StatusOr<crypto::Digest> PublicKeyDigest(const lwe::CompactPublicKey& key);

// Serialization of a key share for the private vault (FheKeyInfo), and its inverse, which
// validates every length against the parameter set. Both zero their temporary buffers.
absl::StatusOr<crypto::SecretBytes> SerializeKeyShare(const KeyShare& share);
absl::StatusOr<KeyShare> ParseKeyShare(ByteSpan data);

}  // namespace kms::mpc

#endif  // KMS_MPC_DKG_H_
