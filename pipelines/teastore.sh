#!/usr/bin/env bash
# The TeaStore load profiles against teasim: browsing sessions (plan teastore
# semantics), as many users as the profile's req/s, each thinking 1 s — the
# study's Locust load shape — then statistics and the response-time figure.
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
Usage: pipelines/teastore.sh [--profile low|low2|low4|low8|med|high] [--seconds N] [--port 8080] [--seed 42] [--out DIR]

Replays ../shared/data/teastore-profiles/increasing<Profile>Intensity.csv (120 s)
against teasim (RAST 2022 TeaStore model) with fire; --seconds N plays only the
first N seconds. Writes runs/DATE-teastore/.
USAGE
}

PROFILE=med SECONDS_LIMIT=0 PORT=8080 SEED=42 OUT=${OUT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--profile) PROFILE=$2; shift 2 ;;
	--seconds) SECONDS_LIMIT=$2; shift 2 ;;
	*) common_opt "$@"; shift "$COMMON_SHIFT" ;;
	esac
done
case $PROFILE in
low) F=Low ;; low2) F=Low2 ;; low4) F=Low4 ;; low8) F=Low8 ;; med) F=Med ;; high) F=High ;;
*) die "--profile $PROFILE: expected low, low2, low4, low8, med or high" ;;
esac
CSV="$SHARED/data/teastore-profiles/increasing${F}Intensity.csv"
[ -f "$CSV" ] || die "profile $CSV not found (../shared/data is needed)"
need_tools teasim plan fire histo plotrt
port_free "$PORT"
port_free "$((PORT + 1))"
start_run teastore --profile "$PROFILE" --seconds "$SECONDS_LIMIT" --port "$PORT" --seed "$SEED"

bg teasim teasim --listen "127.0.0.1:$PORT" --logs-listen "127.0.0.1:$((PORT + 1))" --seed "$SEED" --log "$RUN/teasim.log"
wait_port "$PORT"
run plan --seed "$SEED" profile --workload teastore "$CSV" >"$RUN/plan.jsonl"
if [ "$SECONDS_LIMIT" != 0 ]; then # cut the plan: stages before the limit, then the end
	awk -v lim="$((SECONDS_LIMIT * 1000))" '/"type":"stage"/ { match($0, /"at_ms":[0-9.]+/); if (substr($0, RSTART + 8, RLENGTH - 8) + 0 >= lim) next }
		/"type":"end"/ { print "{\"type\":\"end\",\"at_ms\":" lim "}"; next } { print }' "$RUN/plan.jsonl" >"$RUN/plan.cut" && mv "$RUN/plan.cut" "$RUN/plan.jsonl"
fi
say "TeaStore $F profile against teasim"
run fire --target "http://127.0.0.1:$PORT/tools.descartes.teastore.webui" --feedback "$RUN/feedback.jsonl" --progress 20s \
	"$RUN/plan.jsonl" >"$RUN/locust_log.log"
cleanup
set +e
run histo --exceed 100ms,1s "$RUN/locust_log.log" >"$RUN/histo.jsonl" 2>"$RUN/histo.stderr"
set -e
group_stats --exceed 100ms,1s "$RUN/locust_log.log"
run plotrt --title "TeaStore $F profile against teasim" --limits none -o "$RUN/response-times.png" "$RUN/histo.jsonl" 2>/dev/null
finish_run "$SEED"
plotrt -o "$RUN/report.html" "$RUN" 2>"$RUN/report.stderr" || die "plotrt could not write the report (see $RUN/report.stderr)"
echo "TeaStore $F profile against teasim:"
grep -v '^histo: requirement violated$' "$RUN/histo.stderr" | sed 's/^histo: /  /' || true
grep -h "teasim:" "$RUN/teasim.stderr" | tail -1 | sed 's/^/  /'
echo "  figure: $RUN/response-times.png"
echo "  report: $RUN/report.html"
