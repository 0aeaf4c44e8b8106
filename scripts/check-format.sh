#!/usr/bin/env bash
# Fails when any C++ file of the project differs from what clang-format (.clang-format) would write.
# Fix with: scripts/check-format.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -- '*.h' '*.cc' 2>/dev/null)
[ ${#files[@]} -gt 0 ] || exit 0
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "format check failed: run scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "format check: ${#files[@]} files clean"
