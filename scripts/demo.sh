#!/usr/bin/env bash
# The project's main job for a newcomer: installs what is missing, builds, and runs the
# algebra benchmarks (this becomes the local-cluster demo once the service exists).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then ./scripts/setup.sh; else sudo ./scripts/setup.sh; fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
build/bin/algebra_bench --benchmark_min_time=0.2
