#!/usr/bin/env bash
# Replays a day of the real production load against arssim with the
# production preset and regression model, and plots the response time over the day.
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
Usage: pipelines/production-trace.sh [--day 2020-12-28] [--without-alarms] [--speedup 60] [--from HH:MM:SS --to HH:MM:SS]
                                     [--port 1337] [--seed 42] [--out DIR]

Plays ../shared/data/gs-production-workload/All_requests_per_time_unit_DAY.log
(or Requests_without_alarms_DAY.log) --speedup times faster as an open-model
arrival rate; arssim runs --preset production --model lr (rast-2022) at time
scale 1/speedup, so its delays shrink alike. Reports in model time.
USAGE
}

DAY=2020-12-28 KIND=All_requests_per_time_unit SPEEDUP=60 FROM="" TO="" PORT=1337 SEED=42 OUT=${OUT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--day) DAY=$2; shift 2 ;;
	--without-alarms) KIND=Requests_without_alarms; shift ;;
	--speedup) SPEEDUP=$2; shift 2 ;;
	--from) FROM=$2; shift 2 ;;
	--to) TO=$2; shift 2 ;;
	*) common_opt "$@"; shift "$COMMON_SHIFT" ;;
	esac
done
TRACE="$SHARED/data/gs-production-workload/${KIND}_$DAY.log"
[ -f "$TRACE" ] || die "trace $TRACE not found (../shared/data is needed)"
need_tools arssim plan fire histo plotrt
port_free "$PORT"
start_run production-trace --day "$DAY" --speedup "$SPEEDUP" ${FROM:+--from "$FROM"} ${TO:+--to "$TO"} --port "$PORT" --seed "$SEED"
[ "$KIND" = Requests_without_alarms ] && echo "--without-alarms" >>"$RUN/command"

SCALE=$(awk -v s="$SPEEDUP" 'BEGIN { printf "%.6g", 1 / s }')
bg arssim arssim --listen "127.0.0.1:$PORT" --preset production --model lr --model-file rast-2022 \
	--time-scale "$SCALE" --seed "$SEED" --log "$RUN/ars.log"
wait_port "$PORT"
run plan --seed "$SEED" trace "$TRACE" --speedup "$SPEEDUP" ${FROM:+--from "$FROM"} ${TO:+--to "$TO"} >"$RUN/plan.jsonl"
say "replaying $(basename "$TRACE") ${FROM:+from $FROM }${TO:+to $TO }at ${SPEEDUP}x"
run fire --target ":$PORT" --max-inflight 20000 --feedback "$RUN/feedback.jsonl" --progress 30s "$RUN/plan.jsonl" >"$RUN/locust_log.log"
cleanup
set +e
# one interval per minute of the day: histo's --interval is real time, a model minute is 60 × SCALE s
run histo --time-scale "$SCALE" --interval "$(mul 60 "$SCALE")s" "$RUN/locust_log.log" >"$RUN/histo.jsonl" 2>"$RUN/histo.stderr"
if [ "$KIND" = All_requests_per_time_unit ]; then # the alarms alone: what EN 50136 judges
	run histo --time-scale "$SCALE" --interval 0 --name ID_REQ_KC_STORE7D3BPACKET --require study \
		"$RUN/locust_log.log" >"$RUN/alarms.jsonl" 2>"$RUN/alarms.stderr"
fi
set -e
CLOCK=$(grep -m1 '"type":"stage"' "$RUN/plan.jsonl" | sed -n 's/.*"label":"\([0-9:]*\)".*/\1/p') # the trace's first second
group_stats --time-scale "$SCALE" "$RUN/locust_log.log"
run plotrt --title "Production load of $DAY against the ARS model (rast-2022), model time" --limits none \
	${CLOCK:+--model-clock "$CLOCK"} -o "$RUN/response-times.png" "$RUN/histo.jsonl" 2>/dev/null
finish_run "$SEED"
plotrt -o "$RUN/report.html" "$RUN" 2>"$RUN/report.stderr" || die "plotrt could not write the report (see $RUN/report.stderr)"
echo "Production trace $DAY (${SPEEDUP}x, model time):"
grep -v '^histo: requirement violated$' "$RUN/histo.stderr" | sed 's/^histo: /  /' || true
if [ -f "$RUN/alarms.stderr" ]; then
	echo "  the alarms alone (ID_REQ_KC_STORE7D3BPACKET):"
	grep -v '^histo: requirement violated$' "$RUN/alarms.stderr" | sed 's/^histo: /    /' || true
fi
echo "  figure: $RUN/response-times.png (each point: one minute of the day)"
echo "  report: $RUN/report.html"
