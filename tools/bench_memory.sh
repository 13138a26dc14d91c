#!/usr/bin/env bash
# Memory of the supervisor and the writer against the length of the URL list.
# Crawls lists of 10 thousand and 10 million lines (default) whose URLs all
# have port 0, so every line is an `input` error record: the whole pipeline
# (streaming, chunks, forks, pipes, writer, output) runs, without network.
# Prints one line per size from tools/measure_tree.py (peak RSS by process
# role, peak PSS of the tree).
#   tools/bench_memory.sh [SIZES...]      e.g. tools/bench_memory.sh 10000 1000000
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shoal="$root/build/shoal"
[ -x "$shoal" ] || "$root/tools/build.sh" release >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 10000000)
for n in "${sizes[@]}"; do
  seq 1 "$n" | sed 's#^#http://127.0.0.1:0/p/#' > "$work/urls.txt"
  printf '%10d lines: ' "$n"
  python3 "$root/tools/measure_tree.py" --interval 0.02 -- \
    sh -c "'$shoal' crawl '$work/urls.txt' -q -o '$work/out.jsonl' && rm -f '$work/out.jsonl'"
done
