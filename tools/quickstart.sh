#!/usr/bin/env bash
# The README's first command: installs what is missing, builds shoal, serves
# the bundled example shop (data/example-site) on 127.0.0.1, crawls it, and
# checks the records against tools/example-expected.tsv. No internet needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/tools/install-deps.sh"
"$root/tools/build.sh" release

work="$(mktemp -d)"
site_pid=""
cleanup() {
  if [ -n "$site_pid" ]; then kill "$site_pid" 2>/dev/null || true; wait "$site_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Serve the example site on a free port, then point the URL list at it.
python3 "$root/tools/local_site.py" --root "$root/data/example-site" --port 0 \
  --port-file "$work/port" --max-seconds 300 &
site_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "quickstart: the example site did not start" >&2; exit 1; }
port="$(cat "$work/port")"
sed "s#127.0.0.1:18080#127.0.0.1:$port#g" "$root/data/example-urls.txt" > "$work/urls.txt"

out="$root/example-results.jsonl"
# --force: a quickstart stopped mid-crawl left its output unfinished; this
# one starts it over instead of asking for --resume.
"$root/build/shoal" crawl "$work/urls.txt" -o "$out" --force --stats "$root/example-stats.json"
echo
echo "First records of $out:"
head -n 3 "$out"
sed "s#127.0.0.1:$port#127.0.0.1:18080#g" "$out" > "$work/results.jsonl"
python3 "$root/tools/check_example.py" "$work/results.jsonl"
