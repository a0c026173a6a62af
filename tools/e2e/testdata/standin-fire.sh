#!/bin/sh
# TEST STAND-IN for fire, used ONLY by tools/e2e/distributed_test.go's
# pipeline tests until fire's --segment/--start-at/--run (issue 14) land on
# main; never by a pipeline. It takes the flags pipelines/distributed.sh
# gives fire and writes what the contract says fire writes: a segment start
# record (lag against --start-at), the segment's share of an open-model plan's
# arrivals (arrival j, from 0, belongs to segment j mod N + 1; latency
# (7j mod 50) + 1 ms), an end record with its count, in the Locust log or
# jsonl samples (-o) and the feedback file. It sleeps until --start-at and
# for the plan's length, so a test can kill it while it runs; SIGTERM ends
# it with status "stopped" and exit 0, as fire's graceful stop.
set -eu
seg="" at="" run="" format=locust out="" fb="" plan=""
while [ $# -gt 0 ]; do
	case $1 in
	--segment) seg=$2; shift 2 ;;
	--start-at) at=$2; shift 2 ;;
	--run) run=$2; shift 2 ;;
	--format) format=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	--feedback) fb=$2; shift 2 ;;
	--target | --progress) shift 2 ;;
	-*) echo "fire (stand-in): unknown flag $1" >&2; exit 2 ;;
	*) plan=$1; shift ;;
	esac
done
[ -n "$seg" ] && [ -n "$at" ] && [ -n "$out" ] && [ -n "$fb" ] && [ -f "$plan" ] || { echo "fire (stand-in): missing flags" >&2; exit 2; }
i=${seg%/*} n=${seg#*/}
rate=$(sed -n 's/.*"rate_rps":\([0-9.]*\).*/\1/p' "$plan" | head -n 1)
end_ms=$(sed -n 's/.*"type":"end","at_ms":\([0-9]*\).*/\1/p' "$plan" | head -n 1)
total=$(awk -v r="${rate:-0}" -v e="${end_ms:-0}" 'BEGIN { printf "%d", r * e / 1000 }')
host=$(hostname)
t0=$(date -d "$at" +%s.%N)
wait=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { d = a - b; printf "%.3f", (d > 0 ? d : 0) }')
sleep "$wait"
lag=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", (b - a) * 1000 }')

iso() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }
mark() { # mark JSON: a segment record in the log and the feedback
	if [ "$format" = jsonl ]; then echo "$1" >>"$out"; else echo "[$(date '+%Y-%m-%d %H:%M:%S,%3N')] $host/INFO/fire.segment: $1" >>"$out"; fi
	echo "$1" >>"$fb"
}
: >"$out"
: >"$fb"
mark "{\"type\":\"segment\",\"run\":\"$run\",\"segment\":\"$seg\",\"phase\":\"start\",\"ts\":\"$(iso)\",\"start_at\":\"$at\",\"lag_ms\":$lag}"
status=ok sleeper=""
trap 'status=stopped; [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null' TERM
count=0 j=$((i - 1))
now=$(date '+%Y-%m-%d %H:%M:%S,%3N') ts=$(iso)
while [ "$j" -lt "$total" ]; do
	ms=$((j * 7 % 50 + 1))
	if [ "$format" = jsonl ]; then
		echo "{\"type\":\"sample\",\"ts\":\"$ts\",\"name\":\"request\",\"latency_us\":$((ms * 1000)),\"status\":200,\"tries\":1,\"error\":\"\",\"users\":0,\"run\":\"$run\",\"segment\":\"$seg\"}" >>"$out"
	else
		echo "[$now] $host/INFO/fire.request: Response time $ms ms" >>"$out"
	fi
	count=$((count + 1)) j=$((j + n))
done
left=$(awk -v a="$t0" -v e="${end_ms:-0}" -v b="$(date +%s.%N)" 'BEGIN { d = a + e / 1000 - b; printf "%.3f", (d > 0 ? d : 0) }')
sleep "$left" &
sleeper=$!
wait "$sleeper" || true
mark "{\"type\":\"segment\",\"run\":\"$run\",\"segment\":\"$seg\",\"phase\":\"end\",\"ts\":\"$(iso)\",\"start_at\":\"$at\",\"lag_ms\":$lag,\"status\":\"$status\",\"count\":$count}"
