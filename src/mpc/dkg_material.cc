#include "mpc/dkg_material.h"

#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "crypto/secure_zero.h"

namespace kms::mpc {
namespace {

absl::Status Exhausted(const char* kind, size_t count, size_t left) {
  return absl::FailedPreconditionError(
      absl::StrCat("preprocessed ", kind, " exhausted: ", count, " asked, ", left, " left"));
}

// Moves `count` items from `from` at `*used` into a new vector and zeroes them in place.
std::vector<Share> Take(std::vector<Share>& from, size_t* used, size_t count) {
  std::span<Share> taken(from.data() + *used, count);
  std::vector<Share> out(taken.begin(), taken.end());
  crypto::SecureZero(taken);
  *used += count;
  return out;
}

}  // namespace

InMemoryDkgMaterial::InMemoryDkgMaterial(std::vector<Share> bits, Triples triples,
                                         std::vector<Share> randoms)
    : bits_(std::move(bits)), triples_(std::move(triples)), randoms_(std::move(randoms)) {}

InMemoryDkgMaterial::~InMemoryDkgMaterial() {
  crypto::SecureZero(bits_);
  crypto::SecureZero(triples_.a);
  crypto::SecureZero(triples_.b);
  crypto::SecureZero(triples_.c);
  crypto::SecureZero(randoms_);
}

DkgMaterialCounts InMemoryDkgMaterial::remaining() const {
  return DkgMaterialCounts{bits_.size() - bits_used_, triples_.size() - triples_used_,
                           randoms_.size() - randoms_used_};
}

absl::StatusOr<std::vector<Share>> InMemoryDkgMaterial::NextBits(size_t count) {
  if (count > bits_.size() - bits_used_) {
    return Exhausted("bits", count, bits_.size() - bits_used_);
  }
  return Take(bits_, &bits_used_, count);
}

absl::StatusOr<Triples> InMemoryDkgMaterial::NextTriples(size_t count) {
  const size_t left = triples_.size() - triples_used_;
  if (count > left) return Exhausted("triples", count, left);
  Triples out;
  size_t used = triples_used_;
  out.a = Take(triples_.a, &used, count);
  used = triples_used_;
  out.b = Take(triples_.b, &used, count);
  used = triples_used_;
  out.c = Take(triples_.c, &used, count);
  triples_used_ = used;
  return out;
}

absl::StatusOr<std::vector<Share>> InMemoryDkgMaterial::NextRandoms(size_t count) {
  if (count > randoms_.size() - randoms_used_) {
    return Exhausted("randoms", count, randoms_.size() - randoms_used_);
  }
  return Take(randoms_, &randoms_used_, count);
}

}  // namespace kms::mpc
