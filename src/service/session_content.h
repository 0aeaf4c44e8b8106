// File: service/session_content.h
//
// The session domains of the threshold engine: what the id of every MPC session (and of every
// PRSS mask of a user decryption) is bound to, in one place. A session id is
// crypto::DeriveSessionId({operation, request id, key id, content digest}, index), and the
// content digest covers everything in the request that changes what the session computes, so
// a request id reused with other content (after eviction of the in-memory request table or a
// restart) gets another session id and never repeats a PRSS output: another flooding mask,
// other preprocessed randomness.
//
//   operation        request id        key id   content (the elements of the digest, in order)
//   kPrssInit        run id            -        epoch id, n, t
//   kPreprocessing   preprocessing id  -        parameter set, epoch id, batch size, number of
//                                               sessions k, (bits, randoms) of each session
//   kKeyGen /        key id            -        parameter set, preprocessing id (zero for the
//   kInsecureKeyGen                             dealer), epoch id
//   kPublicDecryption / request id     key id   epoch id, then each ciphertext in order:
//   kUserDecryption                             type, parameter set, mask, bodies
//
// Encoding: ContentDigest = HashList("SESS_CNT", [u64le(operation), e_1, ..., e_L]) (crypto/hash.h)
// where each element is self-delimiting:
//   id                 32 bytes
//   number             u64le
//   name               u64le(|name|) || name (ASCII: a parameter set or an FHE type name)
//   preprocessing session i   u64le(bits_i) || u64le(randoms_i)
//   ciphertext         name(type) || name(parameter set) || u64le(|mask|) || u128le(mask_j)... ||
//                      u64le(|bodies|) || u128le(body_j)...
// The operation is hashed into the digest as well as into the session id, so a digest never
// stands for two operations' contents. Nothing here is secret: ciphertexts, public layout data.
// For key generation the key id is the request id itself and is not repeated as a field.
#ifndef KMS_SERVICE_SESSION_CONTENT_H_
#define KMS_SERVICE_SESSION_CONTENT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "crypto/session_id.h"
#include "lwe/parameters.h"
#include "lwe/typed_ciphertext.h"
#include "service/engine.h"
#include "service/request_id.h"

namespace kms::service {

// How one preprocessing request is split into sessions (ThresholdEngine::Preprocess).
struct PreprocessingLayout {
  uint64_t batch = 0;             // triples per batch (mpc::kTripleBatch)
  std::vector<uint64_t> bits;     // random bits of session i
  std::vector<uint64_t> randoms;  // random sharings of session i (same size as bits)
};

// The layout the engine uses for `params` over `sessions` sessions: the bits spread evenly
// (the first sessions take one more when they do not divide), every random sharing in session 0.
PreprocessingLayout MakePreprocessingLayout(const lwe::LweParameters& params, uint32_t sessions,
                                            uint64_t batch);

crypto::SessionDomain PrssInitDomain(const Id32& run_id, const Id32& epoch_id, uint32_t n,
                                     uint32_t t);
crypto::SessionDomain PreprocessingDomain(const Id32& request_id, const lwe::LweParameters& params,
                                          const Id32& epoch_id, const PreprocessingLayout& layout);
// kKeyGen, or kInsecureKeyGen when spec.insecure. REQUIRES: spec.params non-null.
crypto::SessionDomain KeyGenDomain(const KeyGenSpec& spec);
// REQUIRES: operation is kPublicDecryption or kUserDecryption; every ciphertext has params set
// (lwe::ValidateTypedCiphertext).
crypto::SessionDomain DecryptionDomain(crypto::SessionOperation operation, const Id32& request_id,
                                       const Id32& key_id, const Id32& epoch_id,
                                       std::span<const lwe::TypedCiphertext> ciphertexts);

}  // namespace kms::service

#endif  // KMS_SERVICE_SESSION_CONTENT_H_
