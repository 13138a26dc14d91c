#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for a
# bounded time on a copy of its seed corpus (tests/fuzz/corpus/<target>/; the
# copy is made in a temp dir, so the repository's corpus is never modified).
# Fails if any target finds a crash, a sanitizer report, a leak or a timeout;
# the crashing inputs are kept in build-fuzz/fuzz-artifacts/<target>/.
#   tools/fuzz.sh                    all targets, FUZZ_SECONDS (default 60) each
#   FUZZ_SECONDS=30 tools/fuzz.sh url_fuzz price_fuzz
#   FUZZ_SEED=1 tools/fuzz.sh         the same mutations each run (CI), not random ones
#   FUZZ_CC=clang FUZZ_CXX=clang++ tools/fuzz.sh   another clang (default: clang-16)
#   tools/fuzz.sh --replay           run every target once over its corpus and
#                                    over tests/fuzz/crashes/<target>/ (known
#                                    crashers: fails until they are fixed)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
targets_all=(url_fuzz frame_fuzz charset_fuzz price_fuzz extract_fuzz record_fuzz session_der_fuzz tls_engine_fuzz
             url_source_fuzz resume_fuzz robots_fuzz content_decoder_fuzz)
seconds="${FUZZ_SECONDS:-60}"

replay=0
if [ "${1:-}" = "--replay" ]; then replay=1; shift; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"$root/tools/install-deps.sh"
# The compiler: FUZZ_CC/FUZZ_CXX if set, else Debian's clang 16. Debian 12's
# default clang (14) cannot build shoal: it rejects lambdas that capture a
# structured binding (C++20, clang >= 16), as src/extractor.cpp has.
cc="${FUZZ_CC:-clang-16}"
cxx="${FUZZ_CXX:-clang++-16}"
if [ -z "${FUZZ_CXX:-}" ] &&
   { ! command -v "$cxx" > /dev/null ||
     ! dpkg-query -W -f='${Status}' libclang-rt-16-dev 2>/dev/null | grep -q 'install ok installed'; }; then
  echo "shoal: installing clang 16 and libFuzzer (clang-16 libclang-rt-16-dev)" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends clang-16 libclang-rt-16-dev ||
    { "${sudo_cmd[@]}" apt-get update -qq &&
      "${sudo_cmd[@]}" apt-get install -y --no-install-recommends clang-16 libclang-rt-16-dev; }
fi

build="$root/build-fuzz"
cxx_path="$(command -v "$cxx")"
# A build directory configured with another compiler is reconfigured afresh.
if [ -f "$build/CMakeCache.txt" ] &&
   ! grep -qx "CMAKE_CXX_COMPILER:[A-Z]*=$cxx_path" "$build/CMakeCache.txt"; then
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
CC="$cc" CXX="$cxx_path" cmake -S "$root" -B "$build" -DSHOAL_FUZZ=ON -DSHOAL_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
# One umbrella target: several --target goals would race on shoal_core.
cmake --build "$build" --target fuzz_targets -j"$(nproc)"

# Symbolized stack traces: the llvm-symbolizer of the compiler in use.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  llvm_bin="$("$cxx_path" -print-prog-name=llvm-symbolizer)"
  case "$llvm_bin" in
    /*) [ -x "$llvm_bin" ] && export ASAN_SYMBOLIZER_PATH="$llvm_bin" ;;
    *) sym="$(dirname "$(readlink -f "$cxx_path")")/llvm-symbolizer"
       [ -x "$sym" ] && export ASAN_SYMBOLIZER_PATH="$sym" ;;
  esac
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
work="$(mktemp -d "${TMPDIR:-/tmp}/shoal-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failed=()
summary=()

# Seed directories of a target: its corpus, plus the example shop's product
# pages for the extractor (kept once, in data/, not copied into the corpus).
seed_dirs() {
  echo "$root/tests/fuzz/corpus/$1"
  if [ "$1" = extract_fuzz ]; then echo "$root/data/example-site/p"; fi
}

for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  log="$work/$t.log"
  if [ "$replay" = 1 ]; then
    inputs=()
    for d in $(seed_dirs "$t") "$root/tests/fuzz/crashes/$t"; do
      [ -d "$d" ] && while IFS= read -r f; do inputs+=("$f"); done < <(find "$d" -type f ! -name '*.md' | sort)
    done
    echo "== $t: replaying ${#inputs[@]} inputs"
    if "$bin" "${inputs[@]}" > "$log" 2>&1; then
      summary+=("$t: ok (${#inputs[@]} inputs)")
    else
      tail -n 40 "$log" >&2
      summary+=("$t: FAILED on replay")
      failed+=("$t")
    fi
    continue
  fi
  corpus="$work/$t/corpus"
  artifacts="$work/$t/artifacts"
  mkdir -p "$corpus" "$artifacts"
  for d in $(seed_dirs "$t"); do cp -R "$d/." "$corpus/"; done
  echo "== $t: fuzzing for ${seconds}s"
  status=0
  seed_arg=()
  [ -n "${FUZZ_SEED:-}" ] && seed_arg=(-seed="$FUZZ_SEED")
  "$bin" "${seed_arg[@]}" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" > "$log" 2>&1 || status=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)" || true
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)" || true
  ft="$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)" || true
  units="$(find "$corpus" -type f | wc -l)"
  if [ "$status" -ne 0 ] || [ -n "$(ls -A "$artifacts")" ]; then
    keep="$build/fuzz-artifacts/$t"
    rm -rf "$keep"
    mkdir -p "$keep"
    cp -R "$artifacts/." "$keep/" 2>/dev/null || true
    cp "$log" "$keep/fuzz.log"
    grep -m1 -B2 -A30 -E '==ERROR|runtime error|deadly signal|ERROR: libFuzzer' "$log" >&2 || tail -n 40 "$log" >&2
    summary+=("$t: CRASH (exit $status) after ${execs:-?} execs, cov ${cov:-?}; inputs and log in $keep")
    failed+=("$t")
  else
    summary+=("$t: ok, ${execs:-?} execs in ${seconds}s, cov ${cov:-?}, ft ${ft:-?}, corpus $units units")
  fi
done

echo
echo "fuzz summary:"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
