#!/usr/bin/env bash
# Segment start skew over ssh (issue 14): pipelines/distributed.sh runs four
# segments on four sshd test hosts (bench/sshhosts, loopback) against arssim,
# ROUNDS times with the common --start-at, and as many times without one
# worth the name (--start-delay 100ms: each segment starts when its ssh lands,
# as a pdsh loop would start them). Skew of a run = latest − earliest start
# of its segments (fire's lag against --start-at); prints p50 and max over
# the runs of each way, and their ratio. Goal (ours): p99 ≤ 10 ms on loopback.
# Usage: bench/distributed_skew.sh [ROUNDS]   (bench/run.sh distributed runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${PERFLAB_BIN:-$PWD/bin}
ROUNDS=${1:-${BENCH_SKEW_ROUNDS:-10}}
OUT=$(mktemp -d /tmp/perflab-skew.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi; done
	wait 2>/dev/null || true
	rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

echo "== distributed: segment start skew, 4 segments on 4 ssh test hosts (loopback), $ROUNDS runs each way =="
for t in parallel rsync /usr/sbin/sshd; do
	command -v "$t" >/dev/null || { echo "  skipped: $t is missing (apt-get install parallel rsync openssh-server)"; exit 0; }
done
"$BIN/fire" --help 2>&1 | grep -q -- --start-at || { echo "  skipped: $BIN/fire has no --start-at yet (issue 14)"; exit 0; }
go build -o "$OUT/sshhosts" ./bench/sshhosts
mkfifo "$OUT/hold"
"$OUT/sshhosts" -n 4 -o "$OUT/hosts.txt" -stdin <"$OUT/hold" >/dev/null 2>"$OUT/sshhosts.err" & PIDS+=("$!")
exec 3>"$OUT/hold" # the hosts live while this holds the fifo open
for _ in $(seq 1 100); do [ -s "$OUT/hosts.txt" ] && break; sleep 0.1; done
[ -s "$OUT/hosts.txt" ] || { cat "$OUT/sshhosts.err"; echo "  skipped: the ssh test hosts did not start"; exit 0; }
"$BIN/arssim" --listen 127.0.0.1:18601 --model none 2>/dev/null & PIDS+=("$!")
sleep 0.5

# skew DIR: latest − earliest start (ms) of the run's segments, from its manifest.
skew() { grep -o '"lag_ms": [-0-9.e+]*' "$1/manifest.json" | awk '{ v = $2 + 0; if (NR == 1 || v < lo) lo = v; if (NR == 1 || v > hi) hi = v } END { if (NR != 4) print "-"; else printf "%.2f\n", hi - lo }'; }
run() { # run NAME ROUND ARGS...: one distributed run, its skew appended to OUT/NAME
	local name=$1 r=$2; shift 2
	PERFLAB_BIN=$BIN bash pipelines/distributed.sh --hosts "$OUT/hosts.txt" --target 127.0.0.1:18601 \
		--plan 'plan constant --rate 200 --duration 1s' --out "$OUT/$name-$r" "$@" >/dev/null 2>"$OUT/$name-$r.err" || true
	skew "$OUT/$name-$r" >>"$OUT/$name"
}
for r in $(seq 1 "$ROUNDS"); do # interleaved: this machine's load drifts
	run common "$r"
	run landing "$r" --start-delay 100ms
done
stats() { grep -v -- - "$OUT/$1" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - 0"; exit } i = int(0.99 * NR + 0.999); printf "%s %s %d\n", v[int((NR + 1) / 2)], v[i < 1 ? 1 : i], NR }'; }
read -r c50 c99 cn < <(stats common)
read -r l50 l99 ln < <(stats landing)
echo "  common --start-at: skew p50 $c50 ms, p99 $c99 ms ($cn runs with all 4 segments)"
echo "  started on landing (--start-delay 100ms, as a pdsh loop): skew p50 $l50 ms, p99 $l99 ms ($ln runs)"
echo "  RATIO landing/common p99 skew: $(awk -v a="$l99" -v b="$c99" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }') (goal: common p99 <= 10 ms)"
