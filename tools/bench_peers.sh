#!/usr/bin/env bash
# shoal beside the peers on the shared benchmark rig (../shared/bench): the
# generated shop site on nginx, 20,000 URLs over 256 loopback hosts, 256
# fetches in flight for everyone (shoal: 2 processes x 128), medians of
# interleaved runs. Prints the rig's table; results stay in $BENCH_DATA/results.
#   tools/bench_peers.sh                 HTTP
#   SCHEME=https tools/bench_peers.sh    HTTPS (shoal gets --insecure: the rig's
#                                        certificate names 127.0.0.1 only)
# Knobs are the rig's: RUNS, N, HOSTS, CONC, PEERS, QUIET_WAIT, PEER_TIMEOUT;
# and WARM=0 to skip reading the site's pages into the page cache first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rig="${BENCH_RIG:-$root/../shared/bench}"
[ -x "$rig/run_peers.sh" ] || { echo "bench_peers: no rig at $rig (set BENCH_RIG)" >&2; exit 1; }
[ -x "$root/build/shoal" ] || "$root/tools/build.sh" release >/dev/null
conc="${CONC:-256}"
procs=2
export EXTRA_PEER_NAME=shoal
export EXTRA_PEER_CMD="$root/build/shoal crawl {urls} -o {out} -p $procs -c $((conc / procs)) -q --insecure"
export PEERS="${PEERS:-seed aiohttp curl wrk_ka_t1 wrk_close_t1}"
# The site's pages (about 500 MB) are read once before the runs: after a
# build or a test run they may be out of the page cache, and the first peer
# to run would wait for nginx's disk reads (a crawl then takes 3x as long).
# WARM=0 skips it.
site="${BENCH_DATA:-/tmp/crawlbench}/site"
if [ "${WARM:-1}" != 0 ] && [ -d "$site" ]; then
  find "$site" -type f -print0 | xargs -0 cat > /dev/null
fi
exec "$rig/run_peers.sh"
