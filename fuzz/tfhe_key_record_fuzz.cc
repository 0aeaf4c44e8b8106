// tfhe_key_record_fuzz: arbitrary bytes as a stored tfhe-rs key record (FhePrivateKey or
// FheKeyInfo, src/service/tfhe_key_record.h). A private vault on S3 or PostgreSQL is outside the
// process; a damaged record must give DATA_LOSS, never a crash or a huge allocation. An accepted
// record re-serializes to exactly the input.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "service/tfhe_key_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kms::service;
  const kms::ByteSpan input(data, size);
  (void)IsTfheKeyRecord(input);
  auto record = ParseTfheKeyRecord(input);
  if (!record.ok()) {
    if (record.status().code() != absl::StatusCode::kDataLoss) __builtin_trap();
    return 0;
  }
  auto again = SerializeTfheKeyRecord(*record);
  if (!again.ok() || again->size() != size || std::memcmp(again->data(), data, size) != 0) {
    __builtin_trap();
  }
  return 0;
}
