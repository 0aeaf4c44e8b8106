// File: common/status_macros.h
//
// The two propagation macros Abseil 20220623 (Debian 12) lacks. Every layer from crypto upward
// returns absl::Status / absl::StatusOr<T>; these keep error propagation to one line.
//
//   KMS_RETURN_IF_ERROR(storage.Put(...));
//   KMS_ASSIGN_OR_RETURN(auto key, LoadKey(id));
#ifndef KMS_COMMON_STATUS_MACROS_H_
#define KMS_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KMS_STATUS_CONCAT_INNER_(a, b) a##b
#define KMS_STATUS_CONCAT_(a, b) KMS_STATUS_CONCAT_INNER_(a, b)

#define KMS_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status kms_status_ = (expr);       \
    if (!kms_status_.ok()) return kms_status_; \
  } while (0)

#define KMS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()

#define KMS_ASSIGN_OR_RETURN(lhs, expr) \
  KMS_ASSIGN_OR_RETURN_IMPL_(KMS_STATUS_CONCAT_(kms_statusor_, __LINE__), lhs, expr)

#endif  // KMS_COMMON_STATUS_MACROS_H_
