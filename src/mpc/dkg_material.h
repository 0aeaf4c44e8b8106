// File: mpc/dkg_material.h
//
// Where the TFHE key generation takes its preprocessed material from. The default keyset needs
// about 877 M random bits and 887 M triples (crypto-spec B §2.10), far more than fits in memory
// at once, so the DKG pulls the material in the order it consumes it, key by key, from a
// source: in memory for tests and small parameter sets (InMemoryDkgMaterial), streamed from the
// private vault by the service (its preprocessing store). Every party's source must hand out the
// same items in the same order (they are shares of the same values).
//
// Secret: every item is a share of a secret; the vectors returned belong to the caller, who
// zeroes them (crypto::SecureZero) when done.
// Thread safety: a source is used by one DKG at a time (not thread-safe).
#ifndef KMS_MPC_DKG_MATERIAL_H_
#define KMS_MPC_DKG_MATERIAL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "mpc/preprocessing.h"

namespace kms::mpc {

// How much material a key generation consumes (all three kinds).
struct DkgMaterialCounts {
  uint64_t bits = 0;
  uint64_t triples = 0;
  uint64_t randoms = 0;
  bool operator==(const DkgMaterialCounts&) const = default;
};

class DkgMaterialSource {
 public:
  virtual ~DkgMaterialSource() = default;
  // What the source still holds.
  virtual DkgMaterialCounts remaining() const = 0;
  // The next `count` items of a kind, in order. FAILED_PRECONDITION "preprocessed <kind>
  // exhausted: <count> asked, <left> left" when fewer remain (nothing is consumed then);
  // DATA_LOSS / UNAVAILABLE from a stored source that cannot be read.
  virtual absl::StatusOr<std::vector<Share>> NextBits(size_t count) = 0;
  virtual absl::StatusOr<Triples> NextTriples(size_t count) = 0;
  virtual absl::StatusOr<std::vector<Share>> NextRandoms(size_t count) = 0;
};

// The material held in memory (moved in; zeroed as it is handed out and on destruction).
class InMemoryDkgMaterial final : public DkgMaterialSource {
 public:
  InMemoryDkgMaterial(std::vector<Share> bits, Triples triples, std::vector<Share> randoms);
  ~InMemoryDkgMaterial() override;
  InMemoryDkgMaterial(const InMemoryDkgMaterial&) = delete;
  InMemoryDkgMaterial& operator=(const InMemoryDkgMaterial&) = delete;

  DkgMaterialCounts remaining() const override;
  absl::StatusOr<std::vector<Share>> NextBits(size_t count) override;
  absl::StatusOr<Triples> NextTriples(size_t count) override;
  absl::StatusOr<std::vector<Share>> NextRandoms(size_t count) override;

 private:
  std::vector<Share> bits_;
  Triples triples_;
  std::vector<Share> randoms_;
  size_t bits_used_ = 0, triples_used_ = 0, randoms_used_ = 0;
};

}  // namespace kms::mpc

#endif  // KMS_MPC_DKG_MATERIAL_H_
