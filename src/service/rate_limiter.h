// File: service/rate_limiter.h
//
// The token bucket of service-spec §4. The bucket holds bucket_size tokens; a request costs its
// operation's tokens (rate_limiter.pub_decrypt, user_decrypt, keygen, preproc, new_epoch), taken
// when the request starts and given back when its work finishes. So the bucket bounds the work in
// flight, weighted by cost, rather than a rate over time: a keygen (1000) and a preprocessing
// (25000) can run next to 24000 decryptions, and a burst beyond that is refused at once with
// RESOURCE_EXHAUSTED (retryable) instead of queueing without bound.
//
//   KMS_ASSIGN_OR_RETURN(RateLimiter::Lease lease, limiter.Acquire("pub_decrypt", cost));
//   ... the tokens return when `lease` (or the last copy of a shared_ptr to it) is destroyed.
//
// Thread safety: all methods are thread-safe.
#ifndef KMS_SERVICE_RATE_LIMITER_H_
#define KMS_SERVICE_RATE_LIMITER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

namespace kms::service {

class RateLimiter {
 public:
  // Tokens held by one request; returned on destruction. Move-only.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept : limiter_(other.limiter_), tokens_(other.tokens_) {
      other.limiter_ = nullptr;
      other.tokens_ = 0;
    }
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Release(); }

    uint64_t tokens() const { return tokens_; }
    // Returns the tokens now (idempotent).
    void Release();

   private:
    friend class RateLimiter;
    Lease(RateLimiter* limiter, uint64_t tokens) : limiter_(limiter), tokens_(tokens) {}
    RateLimiter* limiter_ = nullptr;
    uint64_t tokens_ = 0;
  };

  explicit RateLimiter(uint64_t bucket_size) : bucket_size_(bucket_size) {}
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes `cost` tokens for `operation` (a name for the error message). RESOURCE_EXHAUSTED
  // "rate limit: <operation> needs <cost> tokens, <free> of <bucket_size> free; retry later" when
  // the bucket does not hold them; nothing is taken then. A cost of 0 always succeeds.
  // REQUIRES: the limiter outlives the lease.
  absl::StatusOr<Lease> Acquire(std::string_view operation, uint64_t cost);

  uint64_t bucket_size() const { return bucket_size_; }
  uint64_t in_use() const;
  // in_use / bucket_size, for kms_rate_limiter_usage (0 for an empty bucket).
  double usage() const;

 private:
  void Return(uint64_t tokens);

  const uint64_t bucket_size_;
  mutable std::mutex mu_;
  uint64_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kms::service

#endif  // KMS_SERVICE_RATE_LIMITER_H_
