#!/usr/bin/env bash
# The README's test command: installs what is missing, builds the tests in
# build-tests/ and runs them all with ctest (unit tests, and integration
# tests that run the real binary against local servers on 127.0.0.1).
#   tools/test.sh            all tests
#   tools/test.sh -R crawl   only tests whose name matches (ctest options)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/install-deps.sh"
"$root/tools/build.sh" tests
ulimit -n 65536 2>/dev/null || true
cd "$root/build-tests"
ctest --output-on-failure -j2 --timeout 600 "$@"
