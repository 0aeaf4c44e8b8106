#!/usr/bin/env bash
# Runs every libFuzzer target BUILD_DIR/bin/*_fuzz for SECONDS seconds, starting from its
# committed seed corpus fuzz/corpus/<target>/. New inputs go to a scratch directory, so a run
# never edits the repository. Fails if any target fails (crash, sanitizer report, leak, timeout,
# out of memory, or no targets at all); reproducers are kept in BUILD_DIR/fuzz-artifacts/<target>/.
#
#   scripts/run-fuzzers.sh build-fuzz 30
#   scripts/run-fuzzers.sh build-fuzz 30 -runs=0   # extra arguments go to every target
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS [libFuzzer options...]" >&2
  exit 2
fi
build_dir=$1
seconds_each=$2
shift 2
if ! [[ "$seconds_each" =~ ^[0-9]+$ ]] || [ "$seconds_each" -lt 1 ]; then
  echo "SECONDS must be a positive integer, got '$seconds_each'" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)

shopt -s nullglob
targets=("$build_dir"/bin/*_fuzz)
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets in $build_dir/bin (configure with -DKMS_FUZZ=ON and build first)" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=()
for bin in "${targets[@]}"; do
  name=$(basename "$bin")
  seeds="$repo/fuzz/corpus/$name"
  work="$scratch/$name"
  artifacts="$build_dir/fuzz-artifacts/$name/"
  mkdir -p "$work" "$artifacts"
  corpora=("$work")
  if [ -d "$seeds" ]; then
    corpora+=("$seeds")
  else
    echo "warning: $name has no seed corpus ($seeds)" >&2
  fi
  echo "--- $name: ${seconds_each}s"
  # -timeout: one input taking longer is a failure; -rss_limit_mb: so is using more memory.
  if "$bin" -max_total_time="$seconds_each" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$@" "${corpora[@]}"; then
    echo "--- $name: ok"
  else
    echo "--- $name: FAILED (reproducers in $artifacts)" >&2
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "all ${#targets[@]} fuzz targets passed"
