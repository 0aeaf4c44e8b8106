// File: service/preprocessing_store.h
//
// Preprocessed key-generation material in the private vault, written chunk by chunk as the
// preprocessing sessions make it and read back chunk by chunk by the key generation, so that a
// run at production scale (about 877 M bits for the default keyset) never holds all of its
// material in memory and a restart keeps the chunks already made (crypto-spec A.3):
//
//   PRIV-p<i>/PreprocManifest/<id>               the run: parameter set, epoch, layout, attempt,
//                                                chunks stored per lane, complete or not
//   PRIV-p<i>/PreprocChunk/<id>.<lane>.<chunk>   one chunk's shares
//
// Chunk encoding: "KMSPRCH1" ‖ id (32) ‖ u32le lane ‖ u64le chunk ‖ u8 kind ‖ u64le count ‖
// count elements (bits, randoms) or the count a's, b's and c's (triples), 64 bytes each
// (GRencode of GR(2^128, 4)). Manifest encoding: "KMSPRMF1" ‖ u32le attempt ‖ u64le batch ‖
// u64le |name| ‖ name ‖ epoch id (32) ‖ u64le lanes ‖ per lane u64le bits, triples, randoms,
// chunks stored ‖ u8 complete. Both are read with every length checked against the layout
// (DATA_LOSS naming the object otherwise), so a damaged or misplaced object is never used.
//
// A chunk is written before the manifest counts it; a crash in between leaves a chunk the
// manifest does not count, which the next write of that chunk replaces.
//
// Secrets: chunk bytes are zeroed after writing and after parsing; the manifest holds none.
// Thread safety: all methods are thread-safe (lanes append concurrently).
#ifndef KMS_SERVICE_PREPROCESSING_STORE_H_
#define KMS_SERVICE_PREPROCESSING_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mpc/dkg_material.h"
#include "mpc/preprocessing.h"
#include "service/request_id.h"
#include "service/session_content.h"
#include "storage/storage.h"

namespace kms::service {

inline constexpr char kPreprocManifest[] = "PreprocManifest";
inline constexpr char kPreprocChunk[] = "PreprocChunk";
// Largest chunk accepted when reading (items of one kind): bounds what a damaged object can
// make a party allocate.
inline constexpr uint64_t kMaxPreprocChunkItems = uint64_t{1} << 20;
// Most chunks a lane may have (the default keyset takes about 40,000 per lane at 10,000 items
// and two lanes): bounds the lists a stored layout makes a party build, and the chunk numbers
// stay far below the 2^40 of PreprocessingSessionIndex.
inline constexpr uint64_t kMaxPreprocChunksPerLane = uint64_t{1} << 24;
inline constexpr size_t kMaxPreprocLanes = 256;

// INVALID_ARGUMENT unless 1..kMaxPreprocLanes lanes, a chunk size of 1..kMaxPreprocChunkItems and
// at most kMaxPreprocChunksPerLane chunks per lane.
absl::Status ValidatePreprocessingLayout(const PreprocessingLayout& layout);

// One stored run.
struct PreprocessingRecord {
  Id32 id{};
  std::string fhe_parameter;  // parameter set name
  Id32 epoch_id{};
  PreprocessingLayout layout;
  std::vector<uint64_t> chunks_stored;  // per lane: chunks 0 .. chunks_stored - 1 are stored
  bool complete = false;

  uint64_t chunks_total() const;
  uint64_t chunks_done() const;
  // Items (bits + triples + randoms) in all and stored so far.
  uint64_t items_total() const;
  uint64_t items_done() const;
};

class PreprocessingStore {
 public:
  explicit PreprocessingStore(storage::Storage& private_vault) : vault_(private_vault) {}

  // Every stored run (at boot). DATA_LOSS naming the object for an unreadable manifest.
  absl::StatusOr<std::vector<PreprocessingRecord>> LoadAll();

  // Records a new run (no chunk stored, not complete). ALREADY_EXISTS if `record.id` is stored.
  absl::Status Begin(const PreprocessingRecord& record);
  // Resumes a stored run under `attempt` with `chunks_stored` chunks kept per lane (at most as
  // many as are stored; the rest are made again and replace what is there).
  absl::Status Resume(const Id32& id, uint32_t attempt, const std::vector<uint64_t>& chunks_stored);
  // Stores chunk `chunk` of `lane` (the next one of the lane; its kind and size as the layout
  // says), then counts it in the manifest.
  absl::Status PutChunk(const Id32& id, size_t lane, uint64_t chunk,
                        const mpc::MaterialChunk& material);
  // Marks the run complete. FAILED_PRECONDITION unless every chunk is stored.
  absl::Status Complete(const Id32& id);
  // Deletes every chunk and then the manifest (missing chunks are fine).
  absl::Status Remove(const Id32& id);
  // The record as currently known. NOT_FOUND if none.
  absl::StatusOr<PreprocessingRecord> Get(const Id32& id) const;

  // The material of a complete run, read chunk by chunk in the order the layout gives (lane 0's
  // chunks of a kind, then lane 1's, ...). FAILED_PRECONDITION for an incomplete run.
  absl::StatusOr<std::unique_ptr<mpc::DkgMaterialSource>> Open(const Id32& id);

 private:
  absl::Status WriteManifest(const PreprocessingRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  storage::Storage& vault_;
  mutable std::mutex mu_;
  std::map<Id32, PreprocessingRecord> records_ ABSL_GUARDED_BY(mu_);
};

// The object id of a chunk: "<id hex>.<lane>.<chunk>".
std::string PreprocChunkId(const Id32& id, size_t lane, uint64_t chunk);

// Encodings (exposed for tests and the fuzz target). ParseMaterialChunk checks the header
// against what the layout expects at (id, lane, chunk).
crypto::SecretBytes SerializeMaterialChunk(const Id32& id, size_t lane, uint64_t chunk,
                                           const mpc::MaterialChunk& material);
absl::StatusOr<mpc::MaterialChunk> ParseMaterialChunk(ByteSpan data, const Id32& id, size_t lane,
                                                      uint64_t chunk,
                                                      const PreprocessingChunkSpec& expected);
Bytes SerializePreprocessingManifest(const PreprocessingRecord& record);
absl::StatusOr<PreprocessingRecord> ParsePreprocessingManifest(ByteSpan data, const Id32& id);

}  // namespace kms::service

#endif  // KMS_SERVICE_PREPROCESSING_STORE_H_
