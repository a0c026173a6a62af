#!/usr/bin/env bash
# Many devices: fire's RSS per alarm device (a user that waits 60 s between
# sends) at 10^4, 10^5 and 10^6 devices spawned 20,000/s against
# `arssim --model none`, this fire beside the previous design (a goroutine
# per user, built from git at 459e21a in a temporary worktree). Prints, per
# run, the peak RSS and RSS per device, the answers against the plan's
# schedule, and the ratio old/new.
# Usage: bench/fire_devices.sh [COUNTS...]   (default: 10000 100000 1000000; bench/run.sh devices)
#   BENCH_DEVICES_EXTRA: seconds each run goes on after the last device started (default 70:
#   more than one think time, so every device has sent twice)
#   BENCH_DEVICES_OLD_MAX: the largest count the previous fire is run at (default 1000000;
#   it takes ~9 GB there)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
EXTRA=${BENCH_DEVICES_EXTRA:-70}
OLD_MAX=${BENCH_DEVICES_OLD_MAX:-1000000}
COUNTS=("${@:-10000 100000 1000000}")
read -r -a COUNTS <<<"${COUNTS[*]}"
OUT=$(mktemp -d /tmp/perflab-devices.XXXXXX)
OLD=$OUT/old
PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	git -C "$ROOT" worktree remove --force "$OLD" 2>/dev/null || true
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$OUT"
}
trap cleanup EXIT INT TERM
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

[ -x "$BIN/fire" ] || make -s build
git -C "$ROOT" worktree add -q --detach "$OLD" 459e21a
(cd "$OLD" && go build -o "$OUT/fire-old" ./tools/fire)

# run NAME FIRE N: one run against a fresh arssim; prints "rss_kb answers"
run() {
	local name=$1 fire=$2 n=$3 port spawn secs
	port=$(freeport)
	"$BIN/arssim" --listen "127.0.0.1:$port" --model none 2>"$OUT/arssim.err" & local ars=$!
	PIDS+=("$ars")
	sleep 0.5
	spawn=$(((n + 19999) / 20000))
	secs=$((spawn + EXTRA))
	"$BIN/plan" mascots --devices "$n" --think 60s --spawn 20000 >"$OUT/plan.jsonl"
	# the run ends with a SIGINT (a normal stop: summary, exit 0), or a kill
	# 30 s later (--foreground: without it timeout signals its process group
	# too, and a second SIGINT makes fire exit at once, without its summary);
	# the peak RSS (VmHWM) is read while it runs, as a killed process reports none
	timeout --foreground -s INT -k 30 "$secs" "$fire" -t ":$port" --progress 10s \
		--stop-timeout 5s -o /dev/null "$OUT/plan.jsonl" 2>"$OUT/$name.$n.err" &
	local t=$! pid="" hwm=0 h
	while kill -0 "$t" 2>/dev/null; do
		[ -n "$pid" ] || pid=$(pgrep -P "$t" || true)
		h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
		sleep 0.5
	done
	wait "$t" 2>/dev/null || true
	echo "$hwm" >"$OUT/rss"
	kill "$ars" 2>/dev/null || true
	wait "$ars" 2>/dev/null || true
	local answers
	answers=$(awk '/^fire: summary: / { n = $3 } END { print n + 0 }' "$OUT/$name.$n.err")
	echo "$(tail -1 "$OUT/rss") $answers $secs"
	grep -q "too many open files" "$OUT/arssim.err" && echo "    ($name, $n devices: arssim ran out of file descriptors)" >&2 || true
}

# expected N SECS: the sends the plan schedules in SECS (device i starts at
# i/20000 s and sends every 60 s, answers taken as instant)
expected() { python3 -c "n, T = $1, $2; print(sum(int((T - i / 20000) // 60) + 1 for i in range(n) if i / 20000 < T))"; }

echo "== many devices: plan mascots --devices N --think 60s --spawn 20000 against arssim --model none, each run until ${EXTRA}s after the last device started =="
for n in "${COUNTS[@]}"; do
	read -r rss_new ans_new secs < <(run new "$BIN/fire" "$n")
	want=$(expected "$n" "$secs")
	line="  $n devices (${secs}s): new fire peak RSS $((rss_new / 1024)) MB, $((rss_new * 1024 / n)) bytes/device, $ans_new answers of the schedule's $want"
	if [ "$n" -le "$OLD_MAX" ]; then
		read -r rss_old ans_old _ < <(run old "$OUT/fire-old" "$n")
		line+=" | previous fire $((rss_old / 1024)) MB, $((rss_old * 1024 / n)) bytes/device, $ans_old answers"
		line+=" | RATIO previous/new RSS $(awk -v a="$rss_old" -v b="$rss_new" 'BEGIN { printf "%.1f", a / b }')x"
	fi
	echo "$line"
	for who in new old; do
		[ -f "$OUT/$who.$n.err" ] || continue
		{ grep -E "^fire: [0-9ms]+ users=|^fire: summary" "$OUT/$who.$n.err" || true; } | tail -3 | sed "s/^/    $who: /"
	done
done
echo "  (goal: at most 2 GB at 10^6 devices, 1 GB aimed at; every device keeps its schedule)"
