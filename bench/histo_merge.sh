#!/usr/bin/env bash
# bench (9): histo merging a segmented run's feedback — 100 segments (fire --segment I/100 --feedback),
# an interval record a second for 10 minutes each: 60,000 records with encoded histograms — beside
# cat-ing the same files (no peer merges histograms exactly: Locust's master adds rounded response
# times, the k6 operator does not merge percentiles). Checks the merged run is complete and counts
# every segment's responses.
# Usage: bench/histo_merge.sh   (BENCH_SEGMENTS, BENCH_SEG_SECONDS, BENCH_SEG_RATE, BENCH_ROUNDS)
set -euo pipefail
cd "$(dirname "$0")/.."
SEGS=${BENCH_SEGMENTS:-100}
SECS=${BENCH_SEG_SECONDS:-600}
RATE=${BENCH_SEG_RATE:-20}
ROUNDS=${BENCH_ROUNDS:-2}
HISTO=${HISTO:-bin/histo}
[ -x "$HISTO" ] || make -s build
OUT=$(mktemp -d /tmp/perflab-bench-merge.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
echo "== (9) merging $SEGS segments' feedback ($SECS interval records of $RATE responses each): histo vs cat =="
go run bench/histo_genfeedback.go "$OUT/fb" "$SEGS" "$SECS" "$RATE"
echo "  $(ls "$OUT"/fb | wc -l) files, $(du -sh "$OUT/fb" | cut -f1), $(cat "$OUT"/fb/*.jsonl | wc -l) lines"
for r in $(seq 1 "$ROUNDS"); do
	/usr/bin/time -f "%e %M" -o "$OUT/t.h" "$HISTO" -q "$OUT"/fb/seg-*.jsonl >"$OUT/merged.jsonl"
	/usr/bin/time -f "%e %M" -o "$OUT/t.c" cat "$OUT"/fb/seg-*.jsonl >/dev/null
	h=$(awk '{ print $1 }' "$OUT/t.h"); c=$(awk '{ print $1 }' "$OUT/t.c")
	echo "  round $r: histo ${h}s (RSS $(( $(awk '{ print $2 }' "$OUT/t.h") / 1024 )) MB, $(awk -v n="$((SEGS * SECS))" -v t="$h" 'BEGIN { printf "%.0f", n / t }') records/s) | cat ${c}s | RATIO histo/cat $(awk -v a="$h" -v b="$c" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }')x"
done
python3 - "$OUT" <<'PY'
import json, sys, glob
out = sys.argv[1]
want = sum(json.loads(l)["count"] for f in glob.glob(out + "/fb/*.jsonl") for l in open(f) if '"type":"summary"' in l)
s = [json.loads(l) for l in open(out + "/merged.jsonl")][-1]
ok = s.get("complete") is True and s["count"] == want and len(s["segments"]) == len(glob.glob(out + "/fb/*.jsonl"))
print("  merged: %d responses (the segments' summaries: %d), p99 %.1f ms, complete %s, %d segments: %s"
      % (s["count"], want, s["p99_ms"], s.get("complete"), len(s["segments"]), "ok" if ok else "WRONG"))
sys.exit(0 if ok else 1)
PY
