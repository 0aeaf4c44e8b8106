// File: client/absl_compat_internal.h
//
// Debian 12's Abseil (20220623) is built with its own absl::string_view rather than
// std::string_view, so absl::StrCat and the absl string helpers do not take a std::string_view
// directly. Av() converts without copying.
#ifndef KMS_CLIENT_ABSL_COMPAT_INTERNAL_H_
#define KMS_CLIENT_ABSL_COMPAT_INTERNAL_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace kms::client {

inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace kms::client

#endif  // KMS_CLIENT_ABSL_COMPAT_INTERNAL_H_
