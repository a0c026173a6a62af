#!/usr/bin/env bash
# The step-load experiment: rampctl raises the number of alarm devices against
# arssim's regression model until the study's requirement breaks.
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
Usage: pipelines/saturation.sh [--time-scale 0.1] [--model-file lr-2020] [--search fast] [--step-duration 2m]
                               [--warmup 20s] [--max-users 2000] [--port 1337] [--seed 42] [--out DIR]

Runs arssim --model lr (model file lr-2020 by default; see README for why not
rast-2022) and rampctl with the study's requirement (mean <= 10 s, max <= 30 s,
in model time), then draws latency against load. Durations are model time;
--time-scale F runs everything F times faster.
Writes runs/DATE-saturation/ (steps, legacy executor log, figure, manifest.json).
USAGE
}

SCALE=0.1 MODEL=lr-2020 SEARCH=fast STEP=2m WARMUP=20s MAXU=2000 PORT=1337 SEED=42 MAXPROC=60s OUT=${OUT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--time-scale) SCALE=$2; shift 2 ;;
	--model-file) MODEL=$2; shift 2 ;;
	--search) SEARCH=$2; shift 2 ;;
	--step-duration) STEP=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--max-users) MAXU=$2; shift 2 ;;
	--max-processing) MAXPROC=$2; shift 2 ;;
	*) common_opt "$@"; shift "$COMMON_SHIFT" ;;
	esac
done
need_tools arssim fire rampctl plotrt
port_free "$PORT"
start_run saturation --time-scale "$SCALE" --model-file "$MODEL" --search "$SEARCH" --step-duration "$STEP" \
	--warmup "$WARMUP" --max-users "$MAXU" --max-processing "$MAXPROC" --port "$PORT" --seed "$SEED"

s() { echo "$(mul "$(secs "$1")" "$SCALE")s"; } # model duration → real
bg arssim arssim --listen "127.0.0.1:$PORT" --model lr --model-file "$MODEL" --max-processing "$MAXPROC" \
	--time-scale "$SCALE" --seed "$SEED" --events "$RUN/events.jsonl"
wait_port "$PORT"
set +e
# the pause lets requests still in the model drain before the next level
run rampctl --target ":$PORT" --require study --time-scale "$SCALE" --think "$(s 1s)" --search "$SEARCH" \
	--step-duration "$(s "$STEP")" --warmup "$(s "$WARMUP")" --pause "$(s "$MAXPROC")" --max-users "$MAXU" \
	--legacy-log "$RUN/parameter-variation.log" >"$RUN/steps.jsonl" 2>"$RUN/rampctl.stderr"
RC=$?
set -e
cleanup
[ $RC -eq 0 ] || [ $RC -eq 1 ] || [ $RC -eq 3 ] || { cat "$RUN/rampctl.stderr" >&2; die "rampctl failed ($RC)"; }
run plotrt --title "Saturation of the ARS model ($MODEL), model time" -o "$RUN/latency-vs-load.png" "$RUN/steps.jsonl" 2>/dev/null
finish_run "$SEED"
plotrt -o "$RUN/report.html" "$RUN" 2>"$RUN/report.stderr" || die "plotrt could not write the report (see $RUN/report.stderr)"

echo "Saturation search ($SEARCH) against arssim --model lr --model-file $MODEL (time scale $SCALE):"
grep -v -e '^rampctl: level' -e '^fire: ' "$RUN/rampctl.stderr" | sed 's/^/  /' || true
echo "  figure: $RUN/latency-vs-load.png"
echo "  report: $RUN/report.html"
