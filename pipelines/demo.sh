#!/usr/bin/env bash
# make demo: a short, time-scaled Tests-under-Fault run and a short saturation
# search on loopback (about two minutes), then where the figures are.
source "$(dirname "$0")/lib.sh"
case ${1:-} in -h | --help) echo "Usage: pipelines/demo.sh (make demo)"; exit 0 ;; esac
need_tools arssim plan fire histo plotrt rampctl
PORT=${PORT:-$(( 20000 + RANDOM % 20000 ))}
echo "== 1/2 Tests under Fault: 20 model minutes at time scale 0.05 (1 minute) =="
bash "$(dirname "$0")/mascots2020.sh" --duration 20m --time-scale 0.05 --port "$PORT"
echo
echo "== 2/2 Saturation search: alarm devices against the regression model, time scale 0.05 =="
bash "$(dirname "$0")/saturation.sh" --time-scale 0.05 --step-duration 60s --warmup 20s --port "$PORT"
echo
echo "Done. Every run directory above holds its plan, logs, statistics, figures and manifest.json."
