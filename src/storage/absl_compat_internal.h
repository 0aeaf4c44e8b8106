// File: storage/absl_compat_internal.h
//
// Debian 12's Abseil (20220623) is built with its own absl::string_view, which absl::StrCat and
// absl::StrAppend accept but std::string_view does not convert to. Av() bridges the two
// without a copy. Internal to the storage layer.
#ifndef KMS_STORAGE_ABSL_COMPAT_INTERNAL_H_
#define KMS_STORAGE_ABSL_COMPAT_INTERNAL_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace kms::storage::internal {

inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace kms::storage::internal

#endif  // KMS_STORAGE_ABSL_COMPAT_INTERNAL_H_
