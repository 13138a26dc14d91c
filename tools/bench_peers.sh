#!/usr/bin/env bash
# shoal beside the peers on the shared benchmark rig (../shared/bench): the
# generated shop site on nginx, 20,000 URLs over 256 loopback hosts, 256
# fetches in flight for everyone (shoal: 2 processes x 128), medians of
# interleaved runs. Prints the rig's table; results stay in $BENCH_DATA/results.
#   tools/bench_peers.sh                 HTTP
#   SCHEME=https tools/bench_peers.sh    HTTPS (shoal gets --insecure: the rig's
#                                        certificate names 127.0.0.1 only)
# Knobs are the rig's: RUNS, N, HOSTS, CONC, PEERS, QUIET_WAIT, PEER_TIMEOUT.
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
exec "$rig/run_peers.sh"
