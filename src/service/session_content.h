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
//   kPreprocessing   preprocessing id  -        parameter set, epoch id, chunk size, number of
//                                               lanes k, (bits, triples, randoms) of each lane,
//                                               attempt (one session per chunk: index
//                                               PreprocessingSessionIndex(lane, chunk))
//   kKeyGen /        key id            -        parameter set, preprocessing id (zero for the
//   kInsecureKeyGen                             dealer), epoch id
//   kPublicDecryption / request id     key id   epoch id, then each ciphertext in order:
//   kUserDecryption                             type, parameter set, mask, bodies (phase-1
//                                               key) or type, format, content digest (tfhe-rs)
//
// Encoding: ContentDigest = HashList("SESS_CNT", [u64le(operation), e_1, ..., e_L]) (crypto/hash.h)
// where each element is self-delimiting:
//   id                 32 bytes
//   number             u64le
//   name               u64le(|name|) || name (ASCII: a parameter set or an FHE type name)
//   preprocessing lane i      u64le(bits_i) || u64le(triples_i) || u64le(randoms_i)
//   ciphertext         name(type) || name(parameter set) || u64le(|mask|) || u128le(mask_j)... ||
//                      u64le(|bodies|) || u128le(body_j)...
//   tfhe-rs ciphertext name(type) || u64le(format) || SHAKE256("_HANDLE_" || bytes) (32 bytes)
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
#include "mpc/dkg_material.h"
#include "mpc/preprocessing.h"
#include "service/engine.h"
#include "service/request_id.h"
#include "service/tfhe_ciphertext.h"

namespace kms::service {

// One chunk of a preprocessing lane: `count` items of one kind, made by one synchronous session
// and stored as one object (service/preprocessing_store.h).
struct PreprocessingChunkSpec {
  mpc::MaterialKind kind = mpc::MaterialKind::kBits;
  uint64_t count = 0;
};

// How one preprocessing request is split (ThresholdEngine::Preprocess): lanes run in parallel,
// each a sequence of chunks (its bits, then its triples, then its randoms, `batch` items per
// chunk, the last one of a kind shorter), one session per chunk, so that a run can stop after
// any chunk and resume there.
struct PreprocessingLayout {
  uint64_t batch = 0;                         // items per chunk (mpc::kTripleBatch)
  std::vector<mpc::DkgMaterialCounts> lanes;  // material of lane i
  // 0 for the first run; a resumed run makes its remaining chunks under attempt + 1, so no
  // session id is ever run twice.
  uint32_t attempt = 0;

  mpc::DkgMaterialCounts totals() const;
  std::vector<PreprocessingChunkSpec> Chunks(size_t lane) const;
  // Chunks(lane).size(), without making the list (a stored layout is checked with it first).
  uint64_t ChunkCount(size_t lane) const;
};

// The layout the engine uses for `totals` over `lanes` lanes: bits and triples spread evenly
// (the first lanes take one more when they do not divide), every random sharing in lane 0.
PreprocessingLayout MakePreprocessingLayout(const mpc::DkgMaterialCounts& totals, uint32_t lanes,
                                            uint64_t batch);

// The DeriveSessionId index of chunk `chunk` of lane `lane` (lane · 2^40 + chunk).
uint64_t PreprocessingSessionIndex(size_t lane, uint64_t chunk);

crypto::SessionDomain PrssInitDomain(const Id32& run_id, const Id32& epoch_id, uint32_t n,
                                     uint32_t t);
crypto::SessionDomain PreprocessingDomain(const Id32& request_id, const ParameterSet& params,
                                          const Id32& epoch_id, const PreprocessingLayout& layout);
// kKeyGen, or kInsecureKeyGen when spec.insecure. REQUIRES: spec.params non-null.
crypto::SessionDomain KeyGenDomain(const KeyGenSpec& spec);
// REQUIRES: operation is kPublicDecryption or kUserDecryption; every ciphertext has params set
// (lwe::ValidateTypedCiphertext).
crypto::SessionDomain DecryptionDomain(crypto::SessionOperation operation, const Id32& request_id,
                                       const Id32& key_id, const Id32& epoch_id,
                                       std::span<const lwe::TypedCiphertext> ciphertexts);
crypto::SessionDomain DecryptionDomain(crypto::SessionOperation operation, const Id32& request_id,
                                       const Id32& key_id, const Id32& epoch_id,
                                       std::span<const TfheCiphertext> ciphertexts);

}  // namespace kms::service

#endif  // KMS_SERVICE_SESSION_CONTENT_H_
