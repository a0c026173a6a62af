#!/usr/bin/env bash
# Tests under Fault (MASCOTS 2020): the paper's ARS model with the "three
# faults in a row" schedule, alarm devices repeating until answered, then the
# study's statistics and response-time figure.
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
Usage: pipelines/mascots2020.sh [--duration 60m] [--time-scale 1] [--devices 1] [--port 1337] [--seed 42] [--out DIR]

Runs arssim (--model minimal, --faults mascots) and 'plan mascots | fire' for
--duration of model time, then histo and plotrt. --time-scale F shortens every
model duration, the devices' think time and the run by F (0.05: an hour in
3 minutes); thresholds and the fault band are scaled alike.
Writes runs/DATE-mascots2020/ (plan, logs, events, statistics, figure, manifest.json).
USAGE
}

DURATION=60m SCALE=1 DEVICES=1 PORT=1337 SEED=42 OUT=${OUT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--time-scale) SCALE=$2; shift 2 ;;
	--devices) DEVICES=$2; shift 2 ;;
	*) common_opt "$@"; shift "$COMMON_SHIFT" ;;
	esac
done
need_tools arssim plan fire histo plotrt
port_free "$PORT"
start_run mascots2020 --duration "$DURATION" --time-scale "$SCALE" --devices "$DEVICES" --port "$PORT" --seed "$SEED"

s() { echo "$(mul "$1" "$SCALE")s"; } # scaled seconds
RUN_S=$(mul "$(secs "$DURATION")" "$SCALE")
bg arssim arssim --listen "127.0.0.1:$PORT" --model minimal --faults mascots --time-scale "$SCALE" --seed "$SEED" \
	--events "$RUN/events.jsonl" --log "$RUN/ars.log"
wait_port "$PORT"
say "alarm devices: $DEVICES for ${RUN_S}s (model time $DURATION at time scale $SCALE)"
run plan --seed "$SEED" mascots --devices "$DEVICES" --think "$(s 1)" --duration "${RUN_S}s" >"$RUN/plan.jsonl"
run fire --target ":$PORT" --feedback "$RUN/feedback.jsonl" --progress 30s "$RUN/plan.jsonl" >"$RUN/locust_log.log"
cleanup

set +e
run histo --time-scale "$SCALE" --require study --hgrm "$RUN/latency.hgrm" \
	"$RUN/locust_log.log" >"$RUN/histo.jsonl" 2>"$RUN/histo.stderr"
HISTO_RC=$?
set -e
[ $HISTO_RC -le 1 ] || { cat "$RUN/histo.stderr" >&2; die "histo failed"; }
run plotrt --title "Tests under Fault (MASCOTS 2020), model time (time scale $SCALE)" --events "$RUN/events.jsonl" \
	--fault-band 28s-36s --minus-min -o "$RUN/response-times.png" "$RUN/histo.jsonl" 2>/dev/null
run plotrt --kind dist -o "$RUN/distribution.png" "$RUN/histo.jsonl" 2>/dev/null
group_stats --time-scale "$SCALE" "$RUN/locust_log.log"
finish_run "$SEED"
plotrt -o "$RUN/report.html" "$RUN" 2>"$RUN/report.stderr" || die "plotrt could not write the report (see $RUN/report.stderr)"

echo "Tests under Fault — the study's statistics (model time; time scale $SCALE):"
grep -v '^histo: requirement violated$' "$RUN/histo.stderr" | sed 's/^histo: /  /' || true
echo "  faults injected: $(grep -c '"event":"fault"' "$RUN/events.jsonl" || true)"
echo "  figure: $RUN/response-times.png"
echo "  report: $RUN/report.html"
