// preprocessing_store_fuzz: arbitrary bytes as a stored preprocessing chunk and manifest
// (src/service/preprocessing_store.h). A private vault on S3 or PostgreSQL is outside the
// process; a damaged object must give DATA_LOSS, never a crash or a huge allocation. A parsed
// chunk or manifest is re-serialized and must parse to the same value.
#include <cstddef>
#include <cstdint>

#include "service/preprocessing_store.h"

namespace {

kms::service::Id32 FuzzId() {
  kms::service::Id32 id{};
  id.fill(0x42);
  return id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kms::service;
  if (size < 1) return 0;
  const kms::ByteSpan input(data + 1, size - 1);
  const Id32 id = FuzzId();
  // The first byte picks what the layout expects at this place.
  const auto kind = static_cast<kms::mpc::MaterialKind>(data[0] % 3);
  const PreprocessingChunkSpec expected{kind, static_cast<uint64_t>(data[0] >> 2) + 1};
  auto chunk = ParseMaterialChunk(input, id, data[0] & 1, data[0] >> 4, expected);
  if (chunk.ok()) {
    const kms::crypto::SecretBytes again =
        SerializeMaterialChunk(id, data[0] & 1, data[0] >> 4, *chunk);
    if (!ParseMaterialChunk(again.span(), id, data[0] & 1, data[0] >> 4, expected).ok()) {
      __builtin_trap();
    }
  }
  auto manifest = ParsePreprocessingManifest(input, id);
  if (manifest.ok()) {
    (void)manifest->chunks_total();
    (void)manifest->items_done();
    const kms::Bytes again = SerializePreprocessingManifest(*manifest);
    if (!ParsePreprocessingManifest(again, id).ok()) __builtin_trap();
  }
  return 0;
}
