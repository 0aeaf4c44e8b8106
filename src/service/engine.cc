#include "service/engine.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kms::service {

std::string DescribeProgress(const PreprocessingProgress& progress) {
  const double percent = progress.total == 0 ? 100.0
                                             : 100.0 * static_cast<double>(progress.done) /
                                                   static_cast<double>(progress.total);
  std::string out =
      absl::StrFormat("%d of %d items (%.1f%%)", progress.done, progress.total, percent);
  if (progress.items_per_second > 0) {
    absl::StrAppend(&out, absl::StrFormat(", %.0f items/s", progress.items_per_second));
  }
  if (progress.seconds_left.has_value()) {
    absl::StrAppend(&out,
                    absl::StrFormat(", about %.0f s left", std::ceil(*progress.seconds_left)));
  }
  return out;
}

}  // namespace kms::service
