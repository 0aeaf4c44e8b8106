// File: algebra/result.h
//
// The algebra layer uses the standard library only, so it has its own small result type for the
// few operations that can fail on untrusted input (decoding, reconstruction, parsing). Layers
// above convert an AlgebraError to absl::Status once, at their boundary.
#ifndef KMS_ALGEBRA_RESULT_H_
#define KMS_ALGEBRA_RESULT_H_

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace kms::algebra {

enum class ErrorKind {
  kInvalidInput,     // malformed arguments: wrong lengths, duplicate or out-of-range party ids
  kNotEnoughShares,  // the acceptance rule cannot be met with the shares given
  kDecodingFailed,   // more errors than the decoder can correct were detected
};

struct AlgebraError {
  ErrorKind kind;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}             // NOLINT: implicit by design
  Result(AlgebraError error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  const AlgebraError& error() const {
    assert(!ok());
    return std::get<AlgebraError>(state_);
  }

 private:
  std::variant<T, AlgebraError> state_;
};

inline AlgebraError InvalidInput(std::string message) {
  return {ErrorKind::kInvalidInput, std::move(message)};
}
inline AlgebraError NotEnoughShares(std::string message) {
  return {ErrorKind::kNotEnoughShares, std::move(message)};
}
inline AlgebraError DecodingFailed(std::string message) {
  return {ErrorKind::kDecodingFailed, std::move(message)};
}

}  // namespace kms::algebra

#endif  // KMS_ALGEBRA_RESULT_H_
