#!/usr/bin/env bash
# The README's test command: installs what is missing, builds the tests in
# build-tests/ and runs them all with ctest (unit tests, and integration
# tests that run the real binary against local servers on 127.0.0.1).
#   tools/test.sh              all tests
#   tools/test.sh -R crawl     only tests whose name matches (ctest options)
#   tools/test.sh --asan       all tests built with AddressSanitizer and
#                              UndefinedBehaviorSanitizer, in build-asan/; fails
#                              on any sanitizer report, also from the worker
#                              and writer processes the tests start
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/install-deps.sh"
ulimit -n 65536 2>/dev/null || true

if [ "${1:-}" = "--asan" ]; then
  shift
  "$root/tools/build.sh" asan
  reports="$root/build-asan/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1"
  export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1"
  cd "$root/build-asan"
  status=0
  ctest --output-on-failure -j2 --timeout 900 "$@" || status=$?
  if [ -n "$(ls -A "$reports")" ]; then
    echo "sanitizer reports:" >&2
    head -n 40 "$reports"/* >&2
    exit 1
  fi
  exit "$status"
fi

"$root/tools/build.sh" tests
cd "$root/build-tests"
ctest --output-on-failure -j2 --timeout 600 "$@"
