// File: mpc/internal/ring_vector.h
//
// RingVector (proto/mpc.proto) <-> std::vector<R>, for the protocol .cc files only (keeps
// protobuf out of the mpc headers). Reading checks the element size and count first.
#ifndef KMS_MPC_INTERNAL_RING_VECTOR_H_
#define KMS_MPC_INTERNAL_RING_VECTOR_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mpc/wire.h"
#include "proto/mpc.pb.h"

namespace kms::mpc::internal {

template <typename R>
void FillRingVector(std::span<const R> v, kms::mpc::v1::RingVector* out) {
  out->set_element_size(R::kEncodedSize);
  out->set_count(static_cast<uint32_t>(v.size()));
  out->set_packed(PackRing<R>(v));
}

template <typename R>
absl::StatusOr<std::vector<R>> ReadRingVector(const kms::mpc::v1::RingVector& in,
                                              std::optional<size_t> expected_count) {
  if (in.element_size() != static_cast<uint32_t>(R::kEncodedSize))
    return absl::InvalidArgumentError("ring vector element size " +
                                      std::to_string(in.element_size()) + ", expected " +
                                      std::to_string(R::kEncodedSize));
  if (expected_count && in.count() != *expected_count)
    return absl::InvalidArgumentError("ring vector has " + std::to_string(in.count()) +
                                      " elements, expected " + std::to_string(*expected_count));
  return UnpackRing<R>(in.packed(), in.count());
}

}  // namespace kms::mpc::internal

#endif  // KMS_MPC_INTERNAL_RING_VECTOR_H_
