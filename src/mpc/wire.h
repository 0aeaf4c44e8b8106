// File: mpc/wire.h
//
// Encoding of protocol messages: ring-element vectors inside the protobuf messages of
// proto/mpc.proto, and the one place where algebra errors become absl::Status. Every decode
// checks the element size and count before touching the bytes, so a hostile peer cannot make a
// party allocate or read more than the message holds.
#ifndef KMS_MPC_WIRE_H_
#define KMS_MPC_WIRE_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algebra/galois_ring.h"
#include "algebra/result.h"
#include "net/network.h"

namespace kms::mpc {

using algebra::Gr128;
using algebra::Gr64;

// Packed GRencode bytes of `v` (element after element).
template <typename R>
std::string PackRing(std::span<const R> v);

// Decodes packed bytes; fails unless the size is a multiple of the element size and, when given,
// the count equals `expected_count`.
template <typename R>
absl::StatusOr<std::vector<R>> UnpackRing(std::string_view packed,
                                          std::optional<size_t> expected_count);

// A ShareMessage payload (proto/mpc.proto) carrying `v`.
template <typename R>
net::Payload EncodeShares(std::span<const R> v);

// Parses a ShareMessage payload; `expected_count` as for UnpackRing.
template <typename R>
absl::StatusOr<std::vector<R>> DecodeShares(const std::string& payload,
                                            std::optional<size_t> expected_count);

// Maps an algebra failure to a Status: invalid input -> InvalidArgument, not enough shares ->
// Unavailable, decoding failure (too many errors) -> Aborted; `context` prefixes the message.
absl::Status ToStatus(const algebra::AlgebraError& e, std::string_view context);

}  // namespace kms::mpc

#endif  // KMS_MPC_WIRE_H_
