#!/usr/bin/env bash
# Configures and builds shoal into a build directory (default: build/).
#   tools/build.sh                 release binary in build/shoal
#   tools/build.sh tests           binary and Catch2 tests in build-tests/
#   tools/build.sh asan            tests under ASan+UBSan in build-asan/
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kind="${1:-release}"
jobs="$(nproc 2>/dev/null || echo 2)"
case "$kind" in
  release) dir="$root/build"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_BUILD_TESTS=OFF); target=shoal ;;
  tests)   dir="$root/build-tests"; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_BUILD_TESTS=ON); target=all ;;
  asan)    dir="$root/build-asan"; args=(-DCMAKE_BUILD_TYPE=Debug -DSHOAL_BUILD_TESTS=ON -DSHOAL_SANITIZE=ON); target=all ;;
  *) echo "usage: tools/build.sh [release|tests|asan]" >&2; exit 1 ;;
esac
cmake -S "$root" -B "$dir" "${args[@]}" >/dev/null
cmake --build "$dir" -j"$jobs" --target "$target"
