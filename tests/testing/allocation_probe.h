// File: testing/allocation_probe.h
//
// The largest single operator-new request while the probe is armed: how tests show that a
// hostile length field is refused before anything is allocated for it.
//
// This header REPLACES the global operator new and delete: include it in exactly one
// translation unit of a test binary. The replacement is left to the plain build: the sanitizer
// runtimes intercept operator new themselves, so there KMS_ALLOCATION_PROBE is 0, the probe
// reports 0 and tests skip their size checks.
#ifndef KMS_TESTING_ALLOCATION_PROBE_H_
#define KMS_TESTING_ALLOCATION_PROBE_H_

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define KMS_ALLOCATION_PROBE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMS_ALLOCATION_PROBE 0
#endif
#endif
#ifndef KMS_ALLOCATION_PROBE
#define KMS_ALLOCATION_PROBE 1
#endif

namespace {
std::atomic<bool> g_probe_armed{false};
std::atomic<size_t> g_largest_allocation{0};
}  // namespace

#if KMS_ALLOCATION_PROBE
void* operator new(size_t size) {
  if (g_probe_armed.load(std::memory_order_relaxed)) {
    size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// GCC cannot see that these pair with the replacement above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

#endif  // KMS_TESTING_ALLOCATION_PROBE_H_
