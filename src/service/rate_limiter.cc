#include "service/rate_limiter.h"

#include "absl/strings/str_cat.h"

namespace kms::service {

RateLimiter::Lease& RateLimiter::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    limiter_ = other.limiter_;
    tokens_ = other.tokens_;
    other.limiter_ = nullptr;
    other.tokens_ = 0;
  }
  return *this;
}

void RateLimiter::Lease::Release() {
  if (limiter_ != nullptr) limiter_->Return(tokens_);
  limiter_ = nullptr;
  tokens_ = 0;
}

absl::StatusOr<RateLimiter::Lease> RateLimiter::Acquire(std::string_view operation, uint64_t cost) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t free = bucket_size_ - in_use_;
  if (cost > free) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "rate limit: ", absl::string_view(operation.data(), operation.size()), " needs ", cost,
        " tokens, ", free, " of ", bucket_size_, " free; retry later"));
  }
  in_use_ += cost;
  return Lease(this, cost);
}

absl::StatusOr<RateLimiter::Lease> RateLimiter::Charge(std::string_view operation, uint64_t units,
                                                       uint64_t cost_per_unit,
                                                       std::string_view unit) {
  uint64_t cost = 0;
  if (__builtin_mul_overflow(units, cost_per_unit, &cost)) cost = UINT64_MAX;
  if (cost > bucket_size_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("rate limit: ", absl::string_view(operation.data(), operation.size()), " of ",
                     units, " ", absl::string_view(unit.data(), unit.size()), " costs ", cost,
                     " tokens, more than the whole bucket of ", bucket_size_,
                     " (rate_limiter.bucket_size): it can never fit; split the request"));
  }
  return Acquire(operation, cost);
}

uint64_t RateLimiter::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

double RateLimiter::usage() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bucket_size_ == 0 ? 0.0 : static_cast<double>(in_use_) / static_cast<double>(bucket_size_);
}

void RateLimiter::Return(uint64_t tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  in_use_ = tokens > in_use_ ? 0 : in_use_ - tokens;
}

}  // namespace kms::service
