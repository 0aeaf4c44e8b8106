#include "service/preprocessing_store.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "crypto/secure_zero.h"

namespace kms::service {
namespace {

using mpc::MaterialKind;
using mpc::Share;

constexpr char kChunkMagic[8] = {'K', 'M', 'S', 'P', 'R', 'C', 'H', '1'};
constexpr char kManifestMagic[8] = {'K', 'M', 'S', 'P', 'R', 'M', 'F', '1'};
constexpr size_t kChunkHeader = 8 + 32 + 4 + 8 + 1 + 8;
constexpr size_t kMaxNameLength = 64;
constexpr size_t kElement = Share::kEncodedSize;

void AppendU32Le(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint32_t LoadU32Le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// A bounds-checked reader over a manifest.
class Reader {
 public:
  explicit Reader(ByteSpan data) : data_(data) {}
  bool Take(size_t n, const uint8_t** out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.data() + pos_;
    pos_ += n;
    return true;
  }
  bool U64(uint64_t* v) {
    const uint8_t* p;
    if (!Take(8, &p)) return false;
    *v = LoadU64Le(p);
    return true;
  }
  bool done() const { return pos_ == data_.size(); }

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

uint64_t ChunkCount(const PreprocessingLayout& layout, size_t lane) {
  return layout.ChunkCount(lane);
}

// Chunks of `kind` in reading order: (lane, chunk index, count).
struct ChunkRef {
  size_t lane;
  uint64_t chunk;
  PreprocessingChunkSpec spec;
};
std::vector<ChunkRef> ChunksOfKind(const PreprocessingLayout& layout, MaterialKind kind) {
  std::vector<ChunkRef> out;
  for (size_t lane = 0; lane < layout.lanes.size(); ++lane) {
    const std::vector<PreprocessingChunkSpec> chunks = layout.Chunks(lane);
    for (uint64_t j = 0; j < chunks.size(); ++j) {
      if (chunks[j].kind == kind) out.push_back({lane, j, chunks[j]});
    }
  }
  return out;
}

// The stored material of one complete run, read chunk by chunk (one buffered chunk per kind).
class StoredDkgMaterial final : public mpc::DkgMaterialSource {
 public:
  StoredDkgMaterial(storage::Storage& vault, PreprocessingRecord record)
      : vault_(vault), record_(std::move(record)) {
    for (MaterialKind kind :
         {MaterialKind::kBits, MaterialKind::kTriples, MaterialKind::kRandoms}) {
      streams_[static_cast<int>(kind)].chunks = ChunksOfKind(record_.layout, kind);
    }
    totals_ = record_.layout.totals();
  }

  mpc::DkgMaterialCounts remaining() const override {
    return {totals_.bits - Stream(MaterialKind::kBits).consumed,
            totals_.triples - Stream(MaterialKind::kTriples).consumed,
            totals_.randoms - Stream(MaterialKind::kRandoms).consumed};
  }

  absl::StatusOr<std::vector<Share>> NextBits(size_t count) override {
    KMS_ASSIGN_OR_RETURN(mpc::Triples t, Next(MaterialKind::kBits, count));
    return std::move(t.a);
  }
  absl::StatusOr<mpc::Triples> NextTriples(size_t count) override {
    return Next(MaterialKind::kTriples, count);
  }
  absl::StatusOr<std::vector<Share>> NextRandoms(size_t count) override {
    KMS_ASSIGN_OR_RETURN(mpc::Triples t, Next(MaterialKind::kRandoms, count));
    return std::move(t.a);
  }

 private:
  struct KindStream {
    std::vector<ChunkRef> chunks;
    size_t next_chunk = 0;      // index into chunks of the next chunk to load
    mpc::MaterialChunk buffer;  // the loaded chunk
    size_t offset = 0;          // items of `buffer` already handed out
    uint64_t consumed = 0;
  };
  const KindStream& Stream(MaterialKind kind) const { return streams_[static_cast<int>(kind)]; }

  uint64_t Total(MaterialKind kind) const {
    return kind == MaterialKind::kBits      ? totals_.bits
           : kind == MaterialKind::kTriples ? totals_.triples
                                            : totals_.randoms;
  }

  // Bits and randoms come back in `a`.
  absl::StatusOr<mpc::Triples> Next(MaterialKind kind, size_t count) {
    KindStream& s = streams_[static_cast<int>(kind)];
    const uint64_t left = Total(kind) - s.consumed;
    if (count > left) {
      return absl::FailedPreconditionError(
          absl::StrCat("preprocessed ", mpc::MaterialKindName(kind), " exhausted: ", count,
                       " asked, ", left, " left"));
    }
    mpc::Triples out;
    while (out.a.size() < count) {
      if (s.offset == s.buffer.size()) KMS_RETURN_IF_ERROR(Load(s));
      const size_t take = std::min(count - out.a.size(), s.buffer.size() - s.offset);
      auto move = [&](std::vector<Share>& from, std::vector<Share>& to) {
        to.insert(to.end(), from.begin() + s.offset, from.begin() + s.offset + take);
        crypto::SecureZero(std::span<Share>(from.data() + s.offset, take));
      };
      if (kind == MaterialKind::kTriples) {
        move(s.buffer.triples.a, out.a);
        move(s.buffer.triples.b, out.b);
        move(s.buffer.triples.c, out.c);
      } else {
        move(s.buffer.shares, out.a);
      }
      s.offset += take;
      s.consumed += take;
    }
    return out;
  }

  absl::Status Load(KindStream& s) {
    if (s.next_chunk >= s.chunks.size()) {
      return absl::InternalError("preprocessed material: no chunk left to load");
    }
    const ChunkRef& ref = s.chunks[s.next_chunk];
    const std::string object = PreprocChunkId(record_.id, ref.lane, ref.chunk);
    absl::StatusOr<Bytes> raw = vault_.Get(kPreprocChunk, object);
    if (!raw.ok()) {
      return absl::Status(
          absl::IsNotFound(raw.status()) ? absl::StatusCode::kDataLoss : raw.status().code(),
          absl::StrCat(kPreprocChunk, "/", object, ": ", raw.status().message()));
    }
    absl::StatusOr<mpc::MaterialChunk> chunk =
        ParseMaterialChunk(*raw, record_.id, ref.lane, ref.chunk, ref.spec);
    crypto::SecureZero(*raw);
    KMS_RETURN_IF_ERROR(chunk.status());
    s.buffer = std::move(*chunk);
    s.offset = 0;
    ++s.next_chunk;
    return absl::OkStatus();
  }

  storage::Storage& vault_;
  const PreprocessingRecord record_;
  mpc::DkgMaterialCounts totals_;
  KindStream streams_[3];
};

}  // namespace

absl::Status ValidatePreprocessingLayout(const PreprocessingLayout& layout) {
  if (layout.lanes.empty() || layout.lanes.size() > kMaxPreprocLanes) {
    return absl::InvalidArgumentError(absl::StrCat(
        layout.lanes.size(), " preprocessing lanes, 1 to ", kMaxPreprocLanes, " allowed"));
  }
  if (layout.batch == 0 || layout.batch > kMaxPreprocChunkItems) {
    return absl::InvalidArgumentError(absl::StrCat("preprocessing chunk size ", layout.batch,
                                                   ", 1 to ", kMaxPreprocChunkItems, " allowed"));
  }
  for (size_t lane = 0; lane < layout.lanes.size(); ++lane) {
    const mpc::DkgMaterialCounts& c = layout.lanes[lane];
    // Items per kind below 2^60 first, so the chunk count cannot overflow.
    if (c.bits >> 60 != 0 || c.triples >> 60 != 0 || c.randoms >> 60 != 0 ||
        layout.ChunkCount(lane) > kMaxPreprocChunksPerLane) {
      return absl::InvalidArgumentError(absl::StrCat(
          "preprocessing lane ", lane, " would take more than ", kMaxPreprocChunksPerLane,
          " chunks of ", layout.batch, " items (raise threshold.preprocessing_chunk)"));
    }
  }
  return absl::OkStatus();
}

uint64_t PreprocessingRecord::chunks_total() const {
  uint64_t n = 0;
  for (size_t lane = 0; lane < layout.lanes.size(); ++lane) n += ChunkCount(layout, lane);
  return n;
}

uint64_t PreprocessingRecord::chunks_done() const {
  uint64_t n = 0;
  for (uint64_t c : chunks_stored) n += c;
  return n;
}

uint64_t PreprocessingRecord::items_total() const {
  const mpc::DkgMaterialCounts t = layout.totals();
  return t.bits + t.triples + t.randoms;
}

uint64_t PreprocessingRecord::items_done() const {
  uint64_t n = 0;
  for (size_t lane = 0; lane < layout.lanes.size() && lane < chunks_stored.size(); ++lane) {
    const std::vector<PreprocessingChunkSpec> chunks = layout.Chunks(lane);
    for (uint64_t j = 0; j < chunks_stored[lane] && j < chunks.size(); ++j) n += chunks[j].count;
  }
  return n;
}

std::string PreprocChunkId(const Id32& id, size_t lane, uint64_t chunk) {
  return absl::StrCat(IdToHex(id), ".", lane, ".", chunk);
}

crypto::SecretBytes SerializeMaterialChunk(const Id32& id, size_t lane, uint64_t chunk,
                                           const mpc::MaterialChunk& material) {
  Bytes header(kChunkMagic, kChunkMagic + 8);
  header.insert(header.end(), id.begin(), id.end());
  AppendU32Le(header, static_cast<uint32_t>(lane));
  AppendU64Le(header, chunk);
  header.push_back(static_cast<uint8_t>(material.kind));
  AppendU64Le(header, material.size());
  const bool triples = material.kind == MaterialKind::kTriples;
  const size_t elements = material.size() * (triples ? 3 : 1);
  crypto::SecretBytes out(header.size() + elements * kElement);
  std::memcpy(out.data(), header.data(), header.size());
  uint8_t* p = out.data() + header.size();
  auto put = [&](const std::vector<Share>& v) {
    for (const Share& s : v) {
      s.Encode(p);
      p += kElement;
    }
  };
  if (triples) {
    put(material.triples.a);
    put(material.triples.b);
    put(material.triples.c);
  } else {
    put(material.shares);
  }
  return out;
}

absl::StatusOr<mpc::MaterialChunk> ParseMaterialChunk(ByteSpan data, const Id32& id, size_t lane,
                                                      uint64_t chunk,
                                                      const PreprocessingChunkSpec& expected) {
  const std::string name = absl::StrCat(kPreprocChunk, "/", PreprocChunkId(id, lane, chunk));
  auto bad = [&](const std::string& why) {
    return absl::DataLossError(absl::StrCat(name, ": ", why));
  };
  if (data.size() < kChunkHeader) return bad("shorter than its header");
  if (std::memcmp(data.data(), kChunkMagic, 8) != 0) return bad("not a preprocessing chunk");
  if (!std::equal(id.begin(), id.end(), data.data() + 8)) {
    return bad("belongs to another preprocessing");
  }
  if (LoadU32Le(data.data() + 40) != lane || LoadU64Le(data.data() + 44) != chunk) {
    return bad("stored under another lane or chunk number");
  }
  const uint8_t kind = data[52];
  const uint64_t count = LoadU64Le(data.data() + 53);
  if (kind != static_cast<uint8_t>(expected.kind) || count != expected.count) {
    return bad(absl::StrCat("holds ", count, " items of kind ", kind, ", the layout expects ",
                            expected.count, " ", mpc::MaterialKindName(expected.kind)));
  }
  if (count > kMaxPreprocChunkItems) return bad("more items than a chunk may hold");
  const bool triples = expected.kind == MaterialKind::kTriples;
  const uint64_t elements = count * (triples ? 3 : 1);
  if (data.size() - kChunkHeader != elements * kElement) {
    return bad(absl::StrCat(data.size() - kChunkHeader, " bytes of shares, expected ",
                            elements * kElement));
  }
  mpc::MaterialChunk out;
  out.kind = expected.kind;
  const uint8_t* p = data.data() + kChunkHeader;
  auto get = [&](std::vector<Share>& v) {
    v.resize(count);
    for (Share& s : v) {
      s = Share::Decode(p);
      p += kElement;
    }
  };
  if (triples) {
    get(out.triples.a);
    get(out.triples.b);
    get(out.triples.c);
  } else {
    get(out.shares);
  }
  return out;
}

Bytes SerializePreprocessingManifest(const PreprocessingRecord& record) {
  Bytes out(kManifestMagic, kManifestMagic + 8);
  AppendU32Le(out, record.layout.attempt);
  AppendU64Le(out, record.layout.batch);
  AppendU64Le(out, record.fhe_parameter.size());
  out.insert(out.end(), record.fhe_parameter.begin(), record.fhe_parameter.end());
  out.insert(out.end(), record.epoch_id.begin(), record.epoch_id.end());
  AppendU64Le(out, record.layout.lanes.size());
  for (size_t i = 0; i < record.layout.lanes.size(); ++i) {
    AppendU64Le(out, record.layout.lanes[i].bits);
    AppendU64Le(out, record.layout.lanes[i].triples);
    AppendU64Le(out, record.layout.lanes[i].randoms);
    AppendU64Le(out, i < record.chunks_stored.size() ? record.chunks_stored[i] : 0);
  }
  out.push_back(record.complete ? 1 : 0);
  return out;
}

absl::StatusOr<PreprocessingRecord> ParsePreprocessingManifest(ByteSpan data, const Id32& id) {
  const std::string name = absl::StrCat(kPreprocManifest, "/", IdToHex(id));
  auto bad = [&](const std::string& why) {
    return absl::DataLossError(absl::StrCat(name, ": ", why));
  };
  Reader r(data);
  const uint8_t* p;
  if (!r.Take(8, &p) || std::memcmp(p, kManifestMagic, 8) != 0) {
    return bad("not a preprocessing manifest");
  }
  PreprocessingRecord record;
  record.id = id;
  uint64_t name_length, lanes;
  if (!r.Take(4, &p)) return bad("truncated");
  record.layout.attempt = LoadU32Le(p);
  if (!r.U64(&record.layout.batch) || !r.U64(&name_length)) return bad("truncated");
  if (record.layout.batch == 0 || record.layout.batch > kMaxPreprocChunkItems) {
    return bad(absl::StrCat("chunk size ", record.layout.batch, " out of range"));
  }
  if (name_length > kMaxNameLength || !r.Take(name_length, &p)) return bad("bad parameter name");
  record.fhe_parameter.assign(reinterpret_cast<const char*>(p), name_length);
  if (!r.Take(32, &p)) return bad("truncated");
  std::copy(p, p + 32, record.epoch_id.begin());
  if (!r.U64(&lanes) || lanes == 0 || lanes > kMaxPreprocLanes) return bad("bad number of lanes");
  for (uint64_t i = 0; i < lanes; ++i) {
    mpc::DkgMaterialCounts c;
    uint64_t stored;
    if (!r.U64(&c.bits) || !r.U64(&c.triples) || !r.U64(&c.randoms) || !r.U64(&stored)) {
      return bad("truncated");
    }
    record.layout.lanes.push_back(c);
    record.chunks_stored.push_back(stored);
  }
  if (!r.Take(1, &p) || *p > 1 || !r.done()) return bad("bad trailer");
  record.complete = *p == 1;
  if (absl::Status valid = ValidatePreprocessingLayout(record.layout); !valid.ok()) {
    return bad(std::string(valid.message()));
  }
  for (size_t i = 0; i < record.layout.lanes.size(); ++i) {
    if (record.chunks_stored[i] > ChunkCount(record.layout, i)) {
      return bad(absl::StrCat("lane ", i, " counts more chunks than its layout has"));
    }
  }
  if (record.complete && record.chunks_done() != record.chunks_total()) {
    return bad("marked complete with chunks missing");
  }
  return record;
}

absl::StatusOr<std::vector<PreprocessingRecord>> PreprocessingStore::LoadAll() {
  KMS_ASSIGN_OR_RETURN(std::vector<std::string> ids, vault_.List(kPreprocManifest));
  std::vector<PreprocessingRecord> out;
  for (const std::string& hex : ids) {
    absl::StatusOr<Id32> id = ParseId("PreprocManifest id", hex);
    if (!id.ok()) return absl::DataLossError(id.status().message());
    KMS_ASSIGN_OR_RETURN(Bytes raw, vault_.Get(kPreprocManifest, hex));
    KMS_ASSIGN_OR_RETURN(PreprocessingRecord record, ParsePreprocessingManifest(raw, *id));
    out.push_back(record);
    std::lock_guard<std::mutex> lock(mu_);
    records_[*id] = std::move(record);
  }
  return out;
}

absl::Status PreprocessingStore::WriteManifest(const PreprocessingRecord& record) {
  return vault_.Put(kPreprocManifest, IdToHex(record.id), SerializePreprocessingManifest(record));
}

absl::Status PreprocessingStore::Begin(const PreprocessingRecord& record) {
  KMS_RETURN_IF_ERROR(ValidatePreprocessingLayout(record.layout));
  std::lock_guard<std::mutex> lock(mu_);
  if (records_.count(record.id) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("preprocessing ", IdToHex(record.id), " is already stored"));
  }
  PreprocessingRecord fresh = record;
  fresh.chunks_stored.assign(fresh.layout.lanes.size(), 0);
  fresh.complete = false;
  KMS_RETURN_IF_ERROR(WriteManifest(fresh));
  records_[record.id] = std::move(fresh);
  return absl::OkStatus();
}

absl::Status PreprocessingStore::Resume(const Id32& id, uint32_t attempt,
                                        const std::vector<uint64_t>& chunks_stored) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) {
    return absl::NotFoundError(absl::StrCat("preprocessing ", IdToHex(id), " is not stored"));
  }
  PreprocessingRecord updated = it->second;
  if (chunks_stored.size() != updated.chunks_stored.size()) {
    return absl::InternalError("Resume: one chunk count per lane expected");
  }
  for (size_t lane = 0; lane < chunks_stored.size(); ++lane) {
    updated.chunks_stored[lane] = std::min(updated.chunks_stored[lane], chunks_stored[lane]);
  }
  updated.layout.attempt = attempt;
  updated.complete = false;
  KMS_RETURN_IF_ERROR(WriteManifest(updated));
  it->second = std::move(updated);
  return absl::OkStatus();
}

absl::Status PreprocessingStore::PutChunk(const Id32& id, size_t lane, uint64_t chunk,
                                          const mpc::MaterialChunk& material) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = records_.find(id);
    if (it == records_.end()) {
      return absl::NotFoundError(absl::StrCat("preprocessing ", IdToHex(id), " is not stored"));
    }
    const PreprocessingRecord& r = it->second;
    if (lane >= r.layout.lanes.size() || chunk != r.chunks_stored[lane]) {
      return absl::InternalError(absl::StrCat("preprocessing ", IdToHex(id), ": chunk ", chunk,
                                              " of lane ", lane, " is not the next one"));
    }
  }
  const crypto::SecretBytes bytes = SerializeMaterialChunk(id, lane, chunk, material);
  // The chunk first: the manifest never counts a chunk that is not stored.
  KMS_RETURN_IF_ERROR(vault_.Put(kPreprocChunk, PreprocChunkId(id, lane, chunk), bytes.span()));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) {
    return absl::CancelledError(absl::StrCat("preprocessing ", IdToHex(id), " was removed"));
  }
  PreprocessingRecord updated = it->second;
  updated.chunks_stored[lane] = chunk + 1;
  KMS_RETURN_IF_ERROR(WriteManifest(updated));
  it->second = std::move(updated);
  return absl::OkStatus();
}

absl::Status PreprocessingStore::Complete(const Id32& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) {
    return absl::NotFoundError(absl::StrCat("preprocessing ", IdToHex(id), " is not stored"));
  }
  if (it->second.chunks_done() != it->second.chunks_total()) {
    return absl::FailedPreconditionError(absl::StrCat("preprocessing ", IdToHex(id), ": ",
                                                      it->second.chunks_done(), " of ",
                                                      it->second.chunks_total(), " chunks stored"));
  }
  PreprocessingRecord updated = it->second;
  updated.complete = true;
  KMS_RETURN_IF_ERROR(WriteManifest(updated));
  it->second = std::move(updated);
  return absl::OkStatus();
}

absl::Status PreprocessingStore::Remove(const Id32& id) {
  PreprocessingRecord record;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = records_.find(id);
    if (it == records_.end()) {
      return absl::NotFoundError(absl::StrCat("preprocessing ", IdToHex(id), " is not stored"));
    }
    record = std::move(it->second);
    records_.erase(it);
  }
  // Every chunk the layout has, stored or not: a crash may have left one the manifest does not
  // count.
  for (size_t lane = 0; lane < record.layout.lanes.size(); ++lane) {
    const uint64_t chunks = ChunkCount(record.layout, lane);
    for (uint64_t j = 0; j < chunks; ++j) {
      absl::Status s = vault_.Delete(kPreprocChunk, PreprocChunkId(id, lane, j));
      if (!s.ok() && !absl::IsNotFound(s)) return s;
      if (absl::IsNotFound(s) && j >= record.chunks_stored[lane]) break;  // none beyond
    }
  }
  absl::Status s = vault_.Delete(kPreprocManifest, IdToHex(id));
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

absl::StatusOr<PreprocessingRecord> PreprocessingStore::Get(const Id32& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) {
    return absl::NotFoundError(absl::StrCat("preprocessing ", IdToHex(id), " is not stored"));
  }
  return it->second;
}

absl::StatusOr<std::unique_ptr<mpc::DkgMaterialSource>> PreprocessingStore::Open(const Id32& id) {
  KMS_ASSIGN_OR_RETURN(PreprocessingRecord record, Get(id));
  if (!record.complete) {
    return absl::FailedPreconditionError(
        absl::StrCat("preprocessing ", IdToHex(id), " is not complete (", record.chunks_done(),
                     " of ", record.chunks_total(), " chunks stored)"));
  }
  return std::make_unique<StoredDkgMaterial>(vault_, std::move(record));
}

}  // namespace kms::service
