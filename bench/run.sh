#!/usr/bin/env bash
# make bench: perflab's tools against their peers, side by side in one run,
# interleaved (this machine is noisy), printing ratios. Installs the peers:
# wrk and python3-locust (apt), bombardier and vegeta (go install).
# Usage: bench/run.sh [throughput|open|memory|histo|histo_merge|arssim|delay|rampctl|teasim|distributed|soak|devices|skew ...]   (default: all)
# SOAK_SECONDS sets the soak's length (default 600: ten minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
export PATH="$BIN:$HOME/go/bin:$PATH"
SECS=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
OUT=$(mktemp -d /tmp/perflab-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }
trap cleanup EXIT INT TERM

install_peers() {
	command -v wrk >/dev/null && command -v locust >/dev/null || {
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q wrk python3-locust >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q wrk python3-locust >/dev/null; }
	}
	command -v bombardier >/dev/null || go install github.com/codesenberg/bombardier@v1.2.6
	command -v vegeta >/dev/null || go install github.com/tsenart/vegeta/v12@v12.13.0
	go build -o "$BIN/bench-target" ./bench/target
	go build -o "$BIN/bench-soak" ./bench/soak
}

# timed FILE CMD...: run CMD, write "wall user sys maxrss_kb" to FILE.
timed() { local f=$1; shift; /usr/bin/time -f "%e %U %S %M" -o "$f" "$@"; }
field() { awk -v i="$2" '{ print $i }' "$1"; }
py() { python3 -c "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
target() { # target PORT [ARGS]: the bare fasthttp server on core 0
	local port=$1; shift
	taskset -c 0 "$BIN/bench-target" -listen "127.0.0.1:$port" "$@" & PIDS+=("$!"); sleep 0.5
}

# (1) max throughput at 50 connections, generator on core 1, server on core 0
bench_throughput() {
	echo "== (1) throughput: 50 connections for ${SECS}s, target on core 0, generator on core 1, $ROUNDS rounds interleaved =="
	target 18501
	local r fire_rps=() bomb_rps=() loc_rps=() fire_cpu=() bomb_cpu=() loc_cpu=()
	for r in $(seq 1 "$ROUNDS"); do
		plan constant --users 50 --duration "${SECS}s" >"$OUT/p.jsonl"
		timed "$OUT/t.fire" taskset -c 1 fire -t :18501 --progress 0 --feedback "$OUT/fb.jsonl" -o /dev/null "$OUT/p.jsonl" 2>/dev/null
		local n; n=$(py "import json;print([json.loads(l) for l in open('$OUT/fb.jsonl')][-1]['count'])")
		fire_rps+=("$(awk -v n="$n" -v s="$SECS" 'BEGIN{printf "%.0f", n/s}')")
		fire_cpu+=("$(awk -v u="$(field "$OUT/t.fire" 2)" -v s="$(field "$OUT/t.fire" 3)" -v n="$n" 'BEGIN{printf "%.1f", (u+s)/n*1e6}')")

		timed "$OUT/t.bomb" taskset -c 1 bombardier -c 50 -d "${SECS}s" -o json -p r http://127.0.0.1:18501/ >"$OUT/bomb.json" 2>/dev/null
		n=$(py "import json;r=json.load(open('$OUT/bomb.json'))['result'];print(r['req2xx'])")
		bomb_rps+=("$(awk -v n="$n" -v s="$SECS" 'BEGIN{printf "%.0f", n/s}')")
		bomb_cpu+=("$(awk -v u="$(field "$OUT/t.bomb" 2)" -v s="$(field "$OUT/t.bomb" 3)" -v n="$n" 'BEGIN{printf "%.1f", (u+s)/n*1e6}')")

		(cd "$OUT" && timed "$OUT/t.loc" taskset -c 1 locust -f "$ROOT/bench/locust_max.py" --headless -u 50 -r 50 -t "${SECS}s" \
			--host http://127.0.0.1:18501 --csv "$OUT/loc" --only-summary >/dev/null 2>&1) || true
		n=$(py "import csv;print([r for r in csv.DictReader(open('$OUT/loc_stats.csv')) if r['Name']=='Aggregated'][0]['Request Count'])")
		loc_rps+=("$(awk -v n="$n" -v s="$SECS" 'BEGIN{printf "%.0f", n/s}')")
		loc_cpu+=("$(awk -v u="$(field "$OUT/t.loc" 2)" -v s="$(field "$OUT/t.loc" 3)" -v n="$n" 'BEGIN{printf "%.1f", (u+s)/n*1e6}')")
		echo "  round $r: fire ${fire_rps[-1]} req/s (${fire_cpu[-1]} µs CPU/req) | bombardier ${bomb_rps[-1]} (${bomb_cpu[-1]}) | Locust FastHttpUser ${loc_rps[-1]} (${loc_cpu[-1]})"
	done
	cleanup
	local f b l fc bc
	f=$(printf '%s\n' "${fire_rps[@]}" | sort -n | tail -1); b=$(printf '%s\n' "${bomb_rps[@]}" | sort -n | tail -1)
	l=$(printf '%s\n' "${loc_rps[@]}" | sort -n | tail -1)
	fc=$(printf '%s\n' "${fire_cpu[@]}" | sort -n | head -1); bc=$(printf '%s\n' "${bomb_cpu[@]}" | sort -n | head -1)
	local fm bm
	fm=$(printf '%s\n' "${fire_rps[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	bm=$(printf '%s\n' "${bomb_rps[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	echo "  best: fire $f req/s, bombardier $b, Locust $l; medians: fire $fm, bombardier $bm (ratio $(ratio "$fm" "$bm"))"
	echo "  RATIO fire/bombardier throughput: $(ratio "$f" "$b") (goal >= 0.9); CPU per request fire/bombardier: $(ratio "$fc" "$bc") (goal <= 1.3)"
	echo "  RATIO fire/Locust FastHttpUser throughput: $(ratio "$f" "$l") (goal >= 10)"
	# The same, fire and bombardier alternating in 2 s slices: this machine's
	# speed drifts between 10 s rounds more than the two tools differ.
	local slices=$((ROUNDS * 5)) sf=0 sb=0 cf=0 cb=0
	target 18501
	plan constant --users 50 --duration 2s >"$OUT/p2.jsonl"
	for r in $(seq 1 "$slices"); do
		timed "$OUT/t.fire" taskset -c 1 fire -t :18501 --progress 0 --feedback "$OUT/fb.jsonl" -o /dev/null "$OUT/p2.jsonl" 2>/dev/null
		n=$(py "import json;print([json.loads(l) for l in open('$OUT/fb.jsonl')][-1]['count'])")
		sf=$((sf + n)); cf=$(awk -v c="$cf" -v u="$(field "$OUT/t.fire" 2)" -v s="$(field "$OUT/t.fire" 3)" 'BEGIN { print c + u + s }')
		timed "$OUT/t.bomb" taskset -c 1 bombardier -c 50 -d 2s -o json -p r http://127.0.0.1:18501/ >"$OUT/bomb.json" 2>/dev/null
		n=$(py "import json;r=json.load(open('$OUT/bomb.json'))['result'];print(r['req2xx'])")
		sb=$((sb + n)); cb=$(awk -v c="$cb" -v u="$(field "$OUT/t.bomb" 2)" -v s="$(field "$OUT/t.bomb" 3)" 'BEGIN { print c + u + s }')
	done
	cleanup
	echo "  $slices alternating 2 s slices: fire $((sf / slices / 2)) req/s ($(awk -v c="$cf" -v n="$sf" 'BEGIN { printf "%.1f", c / n * 1e6 }') µs CPU/req), bombardier $((sb / slices / 2)) ($(awk -v c="$cb" -v n="$sb" 'BEGIN { printf "%.1f", c / n * 1e6 }'))"
	echo "  RATIO fire/bombardier over the slices: throughput $(ratio "$sf" "$sb") (goal >= 0.9), CPU per request $(awk -v a="$cf" -v b="$sf" -v c="$cb" -v d="$sb" 'BEGIN { printf "%.2f", (a / b) / (c / d) }') (goal <= 1.3)"
}

# (2) open model: 20,000 req/s for SECS, achieved rate and send lag; Vegeta beside
bench_open() {
	local rate=${BENCH_RATE:-20000}
	echo "== (2) open model: $rate req/s for ${SECS}s (target core 0, generator core 1) =="
	target 18502
	local r
	for r in $(seq 1 "$ROUNDS"); do
		plan constant --rate "$rate" --duration "${SECS}s" >"$OUT/p.jsonl"
		taskset -c 1 fire -t :18502 --progress 0 --feedback "$OUT/fb.jsonl" -o /dev/null "$OUT/p.jsonl" 2>/dev/null
		py "
import json
s=[json.loads(l) for l in open('$OUT/fb.jsonl')][-1]
sent=s['count']+s['errors']+s.get('missed',0)
print('  round $r: fire achieved %.0f req/s (%.2f%% of %d), send lag p99 %.3f ms, max %.3f ms, latency p99 %.3f ms, missed %d' % (sent/$SECS, 100*sent/($rate*$SECS), $rate, s.get('send_lag_p99_ms',0), s.get('send_lag_max_ms',0), s['p99_ms'], s.get('missed',0)))"
		echo "GET http://127.0.0.1:18502/" | taskset -c 1 vegeta attack -rate "$rate" -duration "${SECS}s" -max-workers 200 >"$OUT/veg.bin" 2>/dev/null || true
		vegeta report -type json <"$OUT/veg.bin" >"$OUT/veg.json"
		py "
import json
r=json.load(open('$OUT/veg.json'))
print('  round $r: vegeta (max 200 workers) achieved %.0f req/s (%.2f%% of %d), latency p99 %.3f ms, success %.1f%%' % (r['rate'], 100*r['rate']/$rate, $rate, r['latencies']['99th']/1e6, 100*r['success']))"
	done
	cleanup
}

# (3) memory: fire's RSS after 10 s and after 60 s at 5,000 req/s
bench_memory() {
	echo "== (3) memory: fire's max RSS, open model 5,000 req/s, 10 s and 60 s =="
	target 18503
	local d
	for d in 10 60; do
		plan constant --rate 5000 --duration "${d}s" >"$OUT/p.jsonl"
		timed "$OUT/t.mem" taskset -c 1 fire -t :18503 --progress 0 -o /dev/null "$OUT/p.jsonl" 2>/dev/null
		echo "  ${d}s: max RSS $(( $(field "$OUT/t.mem" 4) / 1024 )) MB (goal <= 64 MB, flat)"
	done
	cleanup
}

# (4) histo against the original evaluator's parsing on a 2,000,000-response log
bench_histo() {
	echo "== (4) log parsing: histo vs the original Python evaluator's parsing, 2,000,000 responses =="
	[ -f "$OUT/big.log" ] || go run ./bench/genlog.go 2000000 >"$OUT/big.log"
	local r
	for r in $(seq 1 "$ROUNDS"); do
		timed "$OUT/t.h" histo -q "$OUT/big.log" >"$OUT/h.jsonl"
		timed "$OUT/t.p" python3 bench/orig_parse.py "$OUT/big.log" >/dev/null
		local h p
		h=$(field "$OUT/t.h" 1); p=$(field "$OUT/t.p" 1)
		echo "  round $r: histo ${h}s ($(awk -v t="$h" 'BEGIN{printf "%.2f", 2.2/t}') M lines/s, RSS $(( $(field "$OUT/t.h" 4) / 1024 )) MB) | Python ${p}s ($(awk -v t="$p" 'BEGIN{printf "%.0f", 2.2e6/t/1000}') k lines/s) | RATIO $(ratio "$p" "$h")x (goal >= 20)"
	done
}

# (9) histo merging 100 segments' feedback, beside cat-ing the files
bench_histo_merge() { HISTO="$BIN/histo" bash bench/histo_merge.sh; }

# (5) arssim --model none against a bare fasthttp server, wrk with 50 connections, server on core 0
bench_arssim() {
	local slices=$((ROUNDS * 5)) r b a sb=0 sa=0 ratios=() post
	echo "== (5) arssim --model none vs a bare fasthttp server: the same POST /fake_call, wrk -t1 -c50, both servers on core 0, wrk on core 1, $slices slices of 2 s alternating =="
	post=$OUT/post.lua
	printf 'wrk.method = "POST"\nwrk.body = "{\\"id\\":\\"070010\\",\\"body\\":\\"alarm\\"}"\n' >"$post"
	target 18505 # both stay up; the one not under load is idle
	taskset -c 0 arssim --listen 127.0.0.1:18506 --model none 2>/dev/null & PIDS+=("$!"); sleep 0.5
	for r in $(seq 1 "$slices"); do
		b=$(taskset -c 1 wrk -t1 -c50 -d2s -s "$post" http://127.0.0.1:18505/fake_call 2>/dev/null | awk '/Requests\/sec/ { print $2 }')
		a=$(taskset -c 1 wrk -t1 -c50 -d2s -s "$post" http://127.0.0.1:18506/fake_call 2>/dev/null | awk '/Requests\/sec/ { print $2 }')
		sb=$(awk -v x="$sb" -v y="$b" 'BEGIN { print x + y }'); sa=$(awk -v x="$sa" -v y="$a" 'BEGIN { print x + y }')
		ratios+=("$(ratio "$a" "$b")")
	done
	cleanup
	echo "  bare fasthttp $(awk -v s="$sb" -v n="$slices" 'BEGIN { printf "%.0f", s / n }') req/s | arssim (model none) $(awk -v s="$sa" -v n="$slices" 'BEGIN { printf "%.0f", s / n }') req/s (means over the slices)"
	echo "  slice ratios: $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "min %s, median %s, max %s", v[1], (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[NR] }')"
	echo "  arssim's handler alone (model none): $(go test -run - -bench HandlerNone ./sims/arssim/ars | awk '/^Benchmark/ { print $3, $4 }') per request"
	echo "  RATIO arssim/bare, all slices: $(ratio "$sa" "$sb") (goal >= 0.8)"
}

# (6) arssim's delay accuracy with 10,000 requests waiting in the model
bench_delay() {
	echo "== (6) arssim delay accuracy: lr model with a constant 2 s prediction, 5,000 req/s (10,000 waiting) =="
	arssim --listen 127.0.0.1:18507 --model lr --model-file bench/constant-2s.json --max-processing 10s 2>"$OUT/ars.err" & PIDS+=("$!"); sleep 0.5
	plan constant --rate 5000 --duration "${SECS}s" --method POST --path /fake_call >"$OUT/p.jsonl"
	fire -t :18507 --progress 0 --max-inflight 20000 --connections 12000 --format jsonl "$OUT/p.jsonl" 2>/dev/null >"$OUT/s.jsonl"
	curl -s http://127.0.0.1:18507/_arssim/state >"$OUT/state.json"
	cleanup
	py "
import json
s=json.load(open('$OUT/state.json'))
print('  arssim itself: %d requests, answers left %.3f ms (p99), %.3f ms (max) after the model\'s instant (goal p99 <= 1 ms)' % (s['processed'], s['late_p99_ms'], s['late_max_ms']))
d=sorted(json.loads(l)['latency_us']-2000000 for l in open('$OUT/s.jsonl'))
n=len(d); q=lambda p: d[min(n-1,int(p*n))]/1000
print('  seen by fire: %d responses, latency over the 2 s model (incl. loopback, fire and its schedule): p50 %.3f ms, p99 %.3f ms, max %.3f ms' % (n, q(.5), q(.99), d[-1]/1000))"
}

# (7) rampctl: fast vs linear search at equal precision, on the acceptance system (time-scaled by 10)
bench_rampctl() {
	echo "== (7) rampctl fast vs linear (5 % precision) on the single-server system: capacity 300 devices =="
	arssim --listen 127.0.0.1:18508 --model minimal --processing 1ms 2>/dev/null & PIDS+=("$!"); sleep 0.5
	local common="--target :18508 --max-p99 200ms --think 100ms --step-duration 2s --warmup 700ms --max-users 2000"
	timed "$OUT/t.fast" rampctl $common --search fast >"$OUT/fast.jsonl" 2>/dev/null || true
	timed "$OUT/t.lin" rampctl $common --search linear --start 15 --step 15 >"$OUT/lin.jsonl" 2>/dev/null || true
	cleanup
	local f l
	f=$(field "$OUT/t.fast" 1); l=$(field "$OUT/t.lin" 1)
	echo "  fast: $(grep -o '"saturation_users":[0-9]*' "$OUT/fast.jsonl") in ${f}s ($(grep -c '"type":"step"' "$OUT/fast.jsonl") levels)"
	echo "  linear (step 15 = 5 % of 300): $(grep -o '"saturation_users":[0-9]*' "$OUT/lin.jsonl") in ${l}s ($(grep -c '"type":"step"' "$OUT/lin.jsonl") levels)"
	echo "  RATIO fast/linear wall time: $(ratio "$f" "$l") (goal <= 0.5, end goal <= 0.25)"
}

# (8) teasim under the TeaStore High profile (up to 2,000 users thinking 1 s)
bench_teasim() {
	local secs=${BENCH_TEASIM_SECONDS:-120}
	echo "== (8) teasim under the High profile (sessions, up to 2,000 users, 1 s think), first ${secs}s =="
	local csv=../shared/data/teastore-profiles/increasingHighIntensity.csv
	[ -f "$csv" ] || { echo "  skipped: $csv is missing"; return; }
	teasim --listen 127.0.0.1:18580 --logs-listen 127.0.0.1:18581 2>"$OUT/tea.err" & PIDS+=("$!"); sleep 0.5
	plan profile --workload teastore "$csv" | awk -v lim="$((secs * 1000))" '/"type":"stage"/ { match($0, /"at_ms":[0-9.]+/); if (substr($0, RSTART + 8, RLENGTH - 8) + 0 >= lim) next }
		/"type":"end"/ { print "{\"type\":\"end\",\"at_ms\":" lim "}"; next } { print }' >"$OUT/p.jsonl"
	fire -t http://127.0.0.1:18580/tools.descartes.teastore.webui --progress 0 --feedback "$OUT/fb.jsonl" -o /dev/null "$OUT/p.jsonl" 2>/dev/null
	cleanup
	py "
import json
recs=[json.loads(l) for l in open('$OUT/fb.jsonl')]
s=recs[-1]; peak=max(r['rps'] for r in recs if r['type']=='interval')
print('  fire: %d requests, %d errors, peak %.0f req/s; latency p50 %.1f ms, p99 %.1f ms (the model alone: 10.6–40 ms)' % (s['count'], s['errors'], peak, s['p50_ms'], s['p99_ms']))"
	sed 's/^/  /' "$OUT/tea.err" | grep "answers left" || true
}

# (13) segment start skew of pipelines/distributed.sh over ssh (bench/distributed_skew.sh)
bench_distributed() { bash bench/distributed_skew.sh "${BENCH_SKEW_ROUNDS:-10}"; }

# (10) soak: both simulators at once under good, slow, silent, aborted and malformed clients
bench_soak() {
	local secs=${SOAK_SECONDS:-600}
	echo "== (10) soak: arssim and teasim for ${secs}s under a mix of good, slow, silent, aborted and malformed clients =="
	"$BIN/bench-soak" -seconds "$secs" -arssim "$BIN/arssim" -teasim "$BIN/teasim" -model-file bench/constant-2s.json | sed 's/^/  /'
}

# (11) many devices: fire's RSS per waiting device at 10^4, 10^5, 10^6 beside the previous design
bench_devices() { bash bench/fire_devices.sh; }

# (12) segment start skew: 4 local segments with a common --start-at, p99 over 20 runs
bench_skew() { bash bench/fire_skew.sh 4 20; }

make -s build
install_peers
echo "perflab bench — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -srm), rounds $ROUNDS × ${SECS}s"
for b in ${@:-throughput open memory histo histo_merge arssim delay rampctl teasim distributed soak devices skew}; do
	"bench_$b"
done
rm -rf "$OUT"
