#!/usr/bin/env bash
# The alarm-device experiment with real Locust as the load tester in place of
# fire: its log is evaluated by histo and plotrt, then rampctl --exec steps
# Locust itself. The original infrastructure's load tester still plugs in.
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
Usage: pipelines/locust.sh [--duration 10m] [--time-scale 0.05] [--devices 5] [--max-users 40] [--port 1337] [--seed 42] [--out DIR]

1. arssim (paper model, mascots faults) under Locust (pipelines/locust/alarm.py, headless) for
   --duration of model time; histo and plotrt draw the response times.
2. rampctl --exec steps Locust against arssim's paper model (p99 <= 3 s model time) up to --max-users.
Installs Debian's python3-locust with apt-get if locust is missing (needs root).
USAGE
}

DURATION=10m SCALE=0.05 DEVICES=5 MAXU=40 PORT=1337 SEED=42 OUT=${OUT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--time-scale) SCALE=$2; shift 2 ;;
	--devices) DEVICES=$2; shift 2 ;;
	--max-users) MAXU=$2; shift 2 ;;
	*) common_opt "$@"; shift "$COMMON_SHIFT" ;;
	esac
done
need_tools arssim histo plotrt rampctl
if ! command -v locust >/dev/null; then
	[ "$(id -u)" = 0 ] || die "locust is missing: apt-get install python3-locust (as root)"
	say "installing Debian's python3-locust"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-locust >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-locust >/dev/null; } ||
		die "could not install python3-locust"
fi
port_free "$PORT"
start_run locust --duration "$DURATION" --time-scale "$SCALE" --devices "$DEVICES" --max-users "$MAXU" --port "$PORT" --seed "$SEED"
LOCUSTFILE="$PERFLAB_ROOT/pipelines/locust/alarm.py"
export ALARM_THINK=$(mul 1 "$SCALE")
RUN_S=$(awk -v d="$(mul "$(secs "$DURATION")" "$SCALE")" 'BEGIN { printf "%d", d + 0.5 }')
[ "$RUN_S" -ge 1 ] || RUN_S=1

bg arssim arssim --listen "127.0.0.1:$PORT" --model minimal --faults mascots --time-scale "$SCALE" --seed "$SEED" \
	--events "$RUN/events.jsonl"
wait_port "$PORT"
say "Locust: $DEVICES alarm devices for ${RUN_S}s"
record env ALARM_THINK="$ALARM_THINK" locust -f "$LOCUSTFILE" --headless -u "$DEVICES" -r "$DEVICES" -t "${RUN_S}s" \
	--host "http://127.0.0.1:$PORT" --logfile "$RUN/locust_log.log" --loglevel INFO --only-summary
locust -f "$LOCUSTFILE" --headless -u "$DEVICES" -r "$DEVICES" -t "${RUN_S}s" --host "http://127.0.0.1:$PORT" \
	--logfile "$RUN/locust_log.log" --loglevel INFO --only-summary >"$RUN/locust.stdout" 2>"$RUN/locust.stderr" || true
set +e
run histo --time-scale "$SCALE" --require study "$RUN/locust_log.log" >"$RUN/histo.jsonl" 2>"$RUN/histo.stderr"
set -e
grep -q '"type":"summary","start":"0001' "$RUN/histo.jsonl" && die "Locust wrote no response (see $RUN/locust.stderr)"
group_stats --time-scale "$SCALE" "$RUN/locust_log.log"
run plotrt --title "Tests under Fault with Locust as the load tester (model time)" --events "$RUN/events.jsonl" \
	--fault-band 28s-36s -o "$RUN/response-times.png" "$RUN/histo.jsonl" 2>/dev/null
cleanup

bg arssim2 arssim --listen "127.0.0.1:$PORT" --model minimal --time-scale "$SCALE" --seed "$SEED"
wait_port "$PORT"
STEP=$(awk -v s="$SCALE" 'BEGIN { d = 80 * s; if (d < 4) d = 4; printf "%ds", d }')
set +e
run rampctl --exec "ALARM_THINK=$ALARM_THINK locust -f $LOCUSTFILE --headless -u {users} -r {users} -t {duration} --host http://127.0.0.1:$PORT --logfile {log} --loglevel INFO --only-summary >/dev/null 2>&1" \
	--exec-dir "$RUN/levels" --time-scale "$SCALE" --max-p99 3s --start 5 --max-users "$MAXU" \
	--step-duration "$STEP" --warmup 1s --legacy-log "$RUN/parameter-variation.log" >"$RUN/steps.jsonl" 2>"$RUN/rampctl.stderr"
RC=$?
set -e
cleanup
[ $RC -le 1 ] || [ $RC -eq 3 ] || { cat "$RUN/rampctl.stderr" >&2; die "rampctl --exec failed ($RC)"; }
run plotrt --title "Locust stepped by rampctl --exec (model time)" -o "$RUN/latency-vs-load.png" "$RUN/steps.jsonl" 2>/dev/null
finish_run "$SEED"
plotrt -o "$RUN/report.html" "$RUN" 2>"$RUN/report.stderr" || die "plotrt could not write the report (see $RUN/report.stderr)"

echo "Locust as the load tester (model time; time scale $SCALE):"
grep -v '^histo: requirement violated$' "$RUN/histo.stderr" | sed 's/^histo: /  /' || true
grep -v -e '^rampctl: level' -e '^fire: ' "$RUN/rampctl.stderr" | sed 's/^/  /' || true
echo "  figures: $RUN/response-times.png $RUN/latency-vs-load.png"
echo "  report: $RUN/report.html"
