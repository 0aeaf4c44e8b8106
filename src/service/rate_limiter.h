// File: service/rate_limiter.h
//
// The token bucket of service-spec §4. The bucket holds bucket_size tokens; a request costs its
// operation's tokens, taken when the request starts and given back when its work finishes. So the
// bucket bounds the work in flight, weighted by cost, rather than a rate over time.
//
// A request is charged for the work it asks for, not once per request (a batch of 4096 euint256
// is 65,536 blocks of work, a single ebool one):
//   public / user decryption  rate_limiter.pub_decrypt / user_decrypt tokens per LWE block of
//                             the request's ciphertexts (lwe::BlockCount under the key's set)
//   preprocessing             rate_limiter.preproc tokens per unit of kPreprocessingUnitBits
//                             (10,000) random bits the DKG of the set needs, rounded up
//                             ("default": 135,168 bits = 14 units; "test": 11,776 bits = 2)
//   keygen, new_epoch         their cost per request
// With the defaults (bucket 50,000, 1 per block, 2000 per unit) a default-set preprocessing
// (28,000) can run next to 22,000 blocks of decryption. A burst beyond the free tokens is refused
// at once with RESOURCE_EXHAUSTED (retryable); a request costing more than the whole bucket can
// never run and is refused with RESOURCE_EXHAUSTED saying so (split it).
//
//   KMS_ASSIGN_OR_RETURN(RateLimiter::Lease lease, limiter.Charge("pub_decrypt", blocks, 1));
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

// Random bits per preprocessing unit of the rate limiter.
inline constexpr uint64_t kPreprocessingUnitBits = 10000;

// The most units one preprocessing costs. A preprocessing runs in a fixed number of parallel
// sessions (threshold.preprocessing_sessions) whatever its size, so what it holds at once is
// bounded: a bigger one (a tfhe-rs keyset's, 80 units at tfhe-test) takes longer, not more.
inline constexpr uint64_t kMaxPreprocessingUnits = 16;

// ceil(items / kPreprocessingUnitBits), at most kMaxPreprocessingUnits.
inline uint64_t PreprocessingUnits(uint64_t items) {
  const uint64_t units = (items + kPreprocessingUnitBits - 1) / kPreprocessingUnitBits;
  return units < kMaxPreprocessingUnits ? units : kMaxPreprocessingUnits;
}

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

  // Takes units × cost_per_unit tokens (saturating) for `operation`; `unit` names the unit for
  // messages ("LWE blocks"). RESOURCE_EXHAUSTED "rate limit: <operation> of <units> <unit> costs
  // <tokens> tokens, more than the whole bucket of <bucket_size> (rate_limiter.bucket_size): it
  // can never fit; split the request" when the cost exceeds the bucket, else as Acquire.
  absl::StatusOr<Lease> Charge(std::string_view operation, uint64_t units, uint64_t cost_per_unit,
                               std::string_view unit);

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
