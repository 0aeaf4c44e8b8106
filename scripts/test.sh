#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what is missing, checks formatting,
# builds, runs every CTest test, then rebuilds the unit layers with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang-16) and runs their tests, then runs each fuzz target for a
# bounded time. Fails on the first failure.
#
#   scripts/test.sh            everything
#   KMS_SKIP_SANITIZE=1 ...    skip the sanitizer build (local iteration only)
#   KMS_FUZZ_SECONDS=N ...     seconds per fuzz target (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

START=$SECONDS
step() { printf '\n=== %s (at %d s) ===\n' "$*" "$((SECONDS - START))"; }

step "setup: Debian packages"
if [ "$(id -u)" -eq 0 ]; then ./scripts/setup.sh; else sudo ./scripts/setup.sh; fi

step "format check"
./scripts/check-format.sh

step "build (g++, RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"

step "tests"
(cd build && ctest --output-on-failure -j "$JOBS")

if [ "${KMS_SKIP_SANITIZE:-0}" != 1 ]; then
  step "sanitizer build (clang-16, address + undefined) and unit tests"
  # -O1 with assertions on: sanitizer builds at -O0 are too slow for the multi-party tests.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DKMS_SANITIZE=ON -DKMS_UNIT_ONLY=ON \
    -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 >/dev/null
  cmake --build build-asan -j "$JOBS"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 KMS_TEST_TIMEOUT_SCALE=4 \
    ctest --output-on-failure -j "$JOBS" -L unit)
fi

if [ -d fuzz ] && ls fuzz/*.cc >/dev/null 2>&1; then
  step "fuzz targets (libFuzzer, clang-16), ${KMS_FUZZ_SECONDS:-30} s each"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMS_FUZZ=ON -DKMS_UNIT_ONLY=ON \
    -DKMS_BUILD_BENCH=OFF -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 >/dev/null
  cmake --build build-fuzz -j "$JOBS"
  ./scripts/run-fuzzers.sh build-fuzz "${KMS_FUZZ_SECONDS:-30}"
fi

step "all tests passed"
