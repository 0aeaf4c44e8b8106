#include "mpc/wire.h"

#include "proto/mpc.pb.h"

namespace kms::mpc {

template <typename R>
std::string PackRing(std::span<const R> v) {
  std::string out(v.size() * R::kEncodedSize, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  for (size_t i = 0; i < v.size(); ++i) v[i].Encode(p + i * R::kEncodedSize);
  return out;
}

template <typename R>
absl::StatusOr<std::vector<R>> UnpackRing(std::string_view packed,
                                          std::optional<size_t> expected_count) {
  if (packed.size() % R::kEncodedSize != 0)
    return absl::InvalidArgumentError("ring vector of " + std::to_string(packed.size()) +
                                      " bytes is not a multiple of the element size " +
                                      std::to_string(R::kEncodedSize));
  const size_t count = packed.size() / R::kEncodedSize;
  if (expected_count && count != *expected_count)
    return absl::InvalidArgumentError("expected " + std::to_string(*expected_count) +
                                      " ring elements, got " + std::to_string(count));
  std::vector<R> out(count);
  const auto* p = reinterpret_cast<const uint8_t*>(packed.data());
  for (size_t i = 0; i < count; ++i) out[i] = R::Decode(p + i * R::kEncodedSize);
  return out;
}

template <typename R>
net::Payload EncodeShares(std::span<const R> v) {
  kms::mpc::v1::ShareMessage msg;
  auto* rv = msg.mutable_shares();
  rv->set_element_size(R::kEncodedSize);
  rv->set_count(static_cast<uint32_t>(v.size()));
  rv->set_packed(PackRing<R>(v));
  return net::MakePayload(msg.SerializeAsString());
}

template <typename R>
absl::StatusOr<std::vector<R>> DecodeShares(const std::string& payload,
                                            std::optional<size_t> expected_count) {
  kms::mpc::v1::ShareMessage msg;
  if (!msg.ParseFromString(payload)) return absl::InvalidArgumentError("malformed share message");
  const auto& rv = msg.shares();
  if (rv.element_size() != static_cast<uint32_t>(R::kEncodedSize))
    return absl::InvalidArgumentError("share message has element size " +
                                      std::to_string(rv.element_size()));
  if (expected_count && rv.count() != *expected_count)
    return absl::InvalidArgumentError("share message has " + std::to_string(rv.count()) +
                                      " elements, expected " + std::to_string(*expected_count));
  return UnpackRing<R>(rv.packed(), rv.count());
}

absl::Status ToStatus(const algebra::AlgebraError& e, std::string_view context) {
  std::string msg = std::string(context) + ": " + e.message;
  switch (e.kind) {
    case algebra::ErrorKind::kInvalidInput:
      return absl::InvalidArgumentError(msg);
    case algebra::ErrorKind::kNotEnoughShares:
      return absl::UnavailableError(msg);
    case algebra::ErrorKind::kDecodingFailed:
      return absl::AbortedError(msg);
  }
  return absl::InternalError(msg);
}

#define KMS_INSTANTIATE_WIRE(R)                                                                   \
  template std::string PackRing<R>(std::span<const R>);                                           \
  template absl::StatusOr<std::vector<R>> UnpackRing<R>(std::string_view, std::optional<size_t>); \
  template net::Payload EncodeShares<R>(std::span<const R>);                                      \
  template absl::StatusOr<std::vector<R>> DecodeShares<R>(const std::string&,                     \
                                                          std::optional<size_t>);
KMS_INSTANTIATE_WIRE(Gr64)
KMS_INSTANTIATE_WIRE(Gr128)
#undef KMS_INSTANTIATE_WIRE

}  // namespace kms::mpc
