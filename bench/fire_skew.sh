#!/usr/bin/env bash
# Segment start skew: N local segments of one run with a common --start-at,
# repeated; each segment says in its start mark how late its plan clock
# started (lag_ms). Prints the skew (latest minus earliest start) per run and
# its p99 over the runs (goal: at most 10 ms on loopback).
# Usage: bench/fire_skew.sh [SEGMENTS] [RUNS]   (bench/run.sh skew)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/bin
N=${1:-4}
RUNS=${2:-20}
OUT=$(mktemp -d /tmp/perflab-skew.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT INT TERM
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

[ -x "$BIN/fire" ] || make -s build
PORT=$(freeport)
"$BIN/arssim" --listen "127.0.0.1:$PORT" --model none 2>/dev/null & PIDS+=("$!")
sleep 0.5
"$BIN/plan" constant --rate 20 --duration 200ms >"$OUT/plan.jsonl"
echo "== segment start skew: $N segments with a common --start-at, $RUNS runs, loopback =="
for r in $(seq 1 "$RUNS"); do
	at=$(python3 -c 'import time; print("%.3f" % (time.time() + 1.0))')
	fires=()
	for i in $(seq 1 "$N"); do
		timeout 30 "$BIN/fire" -t ":$PORT" --segment "$i/$N" --run "skew-$r" --start-at "$at" --progress 0 \
			-o /dev/null --feedback "$OUT/fb.$r.$i.jsonl" "$OUT/plan.jsonl" 2>/dev/null & fires+=("$!")
	done
	wait "${fires[@]}" || true
	cat "$OUT"/fb."$r".*.jsonl | python3 -c '
import json, sys
lags = [r["lag_ms"] for r in map(json.loads, sys.stdin) if r.get("type") == "segment" and r["phase"] == "start"]
print("%.3f %.3f %d" % (max(lags) - min(lags), max(lags), len(lags)))' >>"$OUT/skew"
done
python3 - "$OUT/skew" "$N" <<'EOF'
import sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
n = int(sys.argv[2])
bad = [r for r in rows if r[2] != n]
skew = sorted(r[0] for r in rows)
late = sorted(r[1] for r in rows)
p99 = lambda v: v[min(len(v) - 1, int(0.99 * len(v)))]
print("  skew per run (ms): min %.3f, median %.3f, max %.3f; latest start after --start-at: median %.3f, max %.3f ms"
      % (skew[0], skew[len(skew) // 2], skew[-1], late[len(late) // 2], late[-1]))
if bad:
    print("  %d runs lost a start mark" % len(bad))
print("  RESULT segment start skew p99 over %d runs: %.3f ms (goal <= 10 ms)" % (len(rows), p99(skew)))
EOF
