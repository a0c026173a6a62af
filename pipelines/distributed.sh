#!/usr/bin/env bash
# shellcheck disable=SC2016 # the remote commands are single-quoted on purpose: they expand on the hosts
# Many machines: the N segments of one load plan (fire --segment I/N), run at
# once on the hosts of a GNU parallel sshloginfile and started at one common
# instant (fire --start-at); their logs and feedback come back and histo
# merges them exactly, checking that every segment is there once, started in
# time and ended ok. GNU parallel does the remote work (ssh, shipping fire
# with --basefile, --return, --joblog); nothing is retried.
# shellcheck source=pipelines/lib.sh
source "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
Usage: pipelines/distributed.sh --hosts FILE --plan 'plan …' [--target ADDR] [--segments N]
         [--start-delay D] [--format locust|jsonl] [--fire-args '…'] [--port 1337] [--seed 42] [--out DIR]

Runs the plan as N segments (default: one per host) with GNU parallel over ssh.
--hosts FILE is GNU parallel's --sshloginfile format, one host a line:
  10.0.0.5                        user@10.0.0.6
  ssh -p 2222 -i key 10.0.0.7     :  (this machine)
Blank lines and lines starting with # are skipped; a line's @group/ and N/
prefixes are replaced (segments go to the hosts in turn and all of a host's
segments run at once). Hosts need ssh without a prompt, sh and rsync; fire
and the plan are shipped there (--basefile) and removed afterwards.
--plan is a 'plan …' command run here (its seed is --seed) or a plan file.
--target is what fire on the hosts sends to (fire --target); without it,
arssim --model none is started here on 127.0.0.1:--port (hosts on this machine
only). --start-delay: how long after launch every segment starts (default:
measured from the hosts' ssh round trips, at least 2s). --fire-args: more
flags for every fire (words split as by a shell).
Before anything runs, every host is checked: unreachable, busy (a segment of
another run still there), missing rsync, another architecture or a clock more
than 1 s off is refused.
Writes runs/DATE-distributed/: seg-I.log and seg-I.feedback.jsonl per segment,
joblog (GNU parallel's), segments.stderr, histo.jsonl, the figure,
manifest.json (hosts, segments, start lags, exit codes, complete) and
parallel/ (the joblogs of the check, shipping, fetching and clean-up).
Exit codes: 0 complete, 5 incomplete (a segment failed, was killed, started
late or did not come back: reported, never retried), 2 usage or a refused
host, 130 stopped (what was measured is still fetched and evaluated).
USAGE
}

HOSTS="" PLAN="" TARGET="" SEGMENTS="" START_DELAY="" FORMAT=locust FIRE_ARGS="" PORT=1337 SEED=42 OUT=${OUT:-}
ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--hosts | --plan | --target | --segments | --start-delay | --format | --fire-args)
		[ $# -ge 2 ] || { usage >&2; die "$1 needs a value"; }
		case $1 in
		--hosts) HOSTS=$2 ;; --plan) PLAN=$2 ;; --target) TARGET=$2 ;; --segments) SEGMENTS=$2 ;;
		--start-delay) START_DELAY=$2 ;; --format) FORMAT=$2 ;; --fire-args) FIRE_ARGS=$2 ;;
		esac
		shift 2 ;;
	*) common_opt "$@"; shift "$COMMON_SHIFT" ;;
	esac
done
[ -n "$HOSTS" ] || { usage >&2; die "--hosts FILE is required"; }
[ -n "$PLAN" ] || { usage >&2; die "--plan is required ('plan …' or a plan file)"; }
if [ ! -r "$HOSTS" ] || [ -d "$HOSTS" ]; then die "--hosts $HOSTS: no such readable file"; fi
case $FORMAT in locust) EXT=log ;; jsonl) EXT=jsonl ;; *) die "--format $FORMAT: expected locust or jsonl" ;; esac
case $SEGMENTS in "" | [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | 1000) ;; *) die "--segments $SEGMENTS: expected a whole number from 1 to 1000" ;; esac
if [ -n "$START_DELAY" ]; then
	START_DELAY_S=$(secs "$START_DELAY")
	awk -v d="$START_DELAY_S" 'BEGIN { exit !(d ~ /^[0-9.]+$/ && d >= 0.1 && d <= 3600) }' ||
		die "--start-delay $START_DELAY: expected a duration from 100ms to 1h (e.g. 5s)"
fi
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed $SEED: expected a whole number"
need_tools plan fire histo plotrt
for t in parallel rsync ssh; do
	command -v "$t" >/dev/null || die "$t is missing here (Debian: apt-get install parallel rsync openssh-client)"
done
if [ ! -f "$PLAN" ]; then
	mapfile -d '' PLAN_WORDS < <(words "$PLAN")
	[ "${PLAN_WORDS[0]:-}" = plan ] || die "--plan $PLAN: expected a 'plan …' command line or a plan file"
	case " ${PLAN_WORDS[*]} " in *" --seed"*) die "--plan: give the seed with --seed (it goes into the manifest)" ;; esac
fi
mapfile -d '' FIRE_WORDS < <(words "$FIRE_ARGS")
for w in "${FIRE_WORDS[@]}"; do
	case $w in --segment* | --start-at* | --run* | --target* | -t | --format* | -o | --output* | --feedback*)
		die "--fire-args: $w is set by the pipeline" ;;
	esac
done

# read_hosts: LOGIN[k] (k from 1) is line LINE[k] of the hosts file without
# GNU parallel's @group/ and N/ prefixes.
read_hosts() {
	local l n=0 k
	LOGIN=() LINE=()
	while IFS= read -r l || [ -n "$l" ]; do
		n=$((n + 1))
		l=${l%$'\r'}
		l=$(printf '%s' "$l" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e 's/[[:space:]][[:space:]]*/ /g')
		case $l in "" | "#"*) continue ;; esac
		l=$(printf '%s' "$l" | sed -e 's,^@[^/]*/\{0\,1\},,' -e 's,^[0-9][0-9]*/,,')
		[ -n "$l" ] || die "$HOSTS:$n: no sshlogin after the prefixes"
		for k in "${!LOGIN[@]}"; do
			[ "${LOGIN[$k]}" != "$l" ] || die "$HOSTS:$n: the same host as line ${LINE[$k]} ($l): give more --segments instead"
		done
		LOGIN[${#LOGIN[@]} + 1]=$l
		LINE[${#LINE[@]} + 1]=$n
	done <"$HOSTS"
	[ ${#LOGIN[@]} -gt 0 ] || die "$HOSTS: no host in it (one sshlogin a line, as GNU parallel's --sshloginfile)"
}
read_hosts
NHOSTS=${#LOGIN[@]}
N=${SEGMENTS:-$NHOSTS}
USED=$((N < NHOSTS ? N : NHOSTS)) # segment i runs on host (i-1) % USED + 1
[ "$USED" = "$NHOSTS" ] || say "only $N segments: hosts $((USED + 1))–$NHOSTS of $HOSTS are left out"

start_run distributed "${ARGS[@]}"
R=$(basename "$RUN" | tr -c 'A-Za-z0-9._:\n-' '-' | cut -c1-128) # fire --run: a valid run name
WD=.perflab-dist/$R                                                # each host's working directory, under its login directory
STAGE=$RUN/$WD                                                      # what is shipped; also the working directory of ':'
PHASES=$RUN/parallel # GNU parallel's joblogs and output of the check, ship, fetch and clean-up
mkdir -p "$PHASES"
cp "$HOSTS" "$RUN/hosts"
SLOTS=() HOSTARGS=() HOST=() # HOST[i]: the host of segment i
for ((i = 1; i <= N; i++)); do HOST[i]=$(((i - 1) % USED + 1)); SLOTS[HOST[i]]=$((${SLOTS[HOST[i]]:-0} + 1)); done
: >"$RUN/sshlogins"
for ((k = 1; k <= USED; k++)); do
	printf '@host%d/%d/%s\n' "$k" "${SLOTS[k]}" "${LOGIN[k]}" >>"$RUN/sshlogins"
	HOSTARGS+=("$k@host$k")
done

# par ARGS...: GNU parallel on the run's hosts, one job per argument
# "I@hostK" on host K only. --plain: a user's ~/.parallel/config or $PARALLEL
# cannot add options (retries among them). In a session of its own, so that
# Ctrl-C reaches this script only (on_stop decides what to stop).
par() { (cd "$RUN" && exec setsid -w parallel --plain --will-cite --slf "$RUN/sshlogins" --hostgroups "$@" </dev/null); }
# load_joblog FILE: JL_START, JL_RT, JL_EXIT, JL_SIG indexed by the job's
# sequence number (its argument's place) from a GNU parallel joblog.
load_joblog() {
	local seq start rt exit sig
	JL_START=() JL_RT=() JL_EXIT=() JL_SIG=()
	[ -f "$1" ] || return 0
	while IFS=$'\t' read -r seq _ start rt _ _ exit sig _; do
		[[ $seq =~ ^[0-9]+$ ]] || continue
		JL_START[seq]=$start JL_RT[seq]=${rt// /} JL_EXIT[seq]=$exit JL_SIG[seq]=$sig
	done <"$1"
}

# shellcheck source=pipelines/distributed-remote.sh
source "$(dirname "$0")/distributed-remote.sh"

# --- every segment's outcome, the merged statistics, the manifest ------------
# segfacts I: "LAG STATUS COUNT ERRORS" from segment I's start and end
# records (in its feedback, else the head and tail of its log); "-" where
# there is none.
segfacts() {
	local fb=$RUN/seg-$1.feedback.jsonl log=$RUN/seg-$1.$EXT
	{ [ ! -f "$fb" ] || cat "$fb"; [ ! -f "$log" ] || { head -n 50 "$log"; tail -n 50 "$log"; }; } 2>/dev/null | awk '
		function val(s, k,   m) {
			if (!match(s, "\"" k "\":(\"[^\"]*\"|[-0-9.eE+]+)")) return ""
			m = substr(s, RSTART + length(k) + 3, RLENGTH - length(k) - 3); gsub(/"/, "", m); return m
		}
		/"type":"segment"/ && /"phase":"start"/ && lag == "" { lag = val($0, "lag_ms") }
		/"type":"segment"/ && /"phase":"end"/ && !ended { ended = 1; st = val($0, "status"); c = val($0, "count") + 0; e = val($0, "errors") + 0 }
		END { print (lag == "" ? "-" : lag), (st == "" ? "-" : st), (ended ? c : "-"), (ended ? e : "-") }'
}

evaluate() {
	local i k exit sig lag status count errors problems=()
	COMPLETE=true SEGJSON="" HISTO_RC=""
	load_joblog "$RUN/joblog"
	for ((i = 1; i <= N; i++)); do
		k=${HOST[i]}
		exit=${JL_EXIT[i]:-} sig=${JL_SIG[i]:-}
		read -r lag status count errors < <(segfacts "$i")
		[ "$lag" != - ] || lag=""
		[ "$status" != - ] || status=""
		[ "$count" != - ] || count=""
		[ "$errors" != - ] || errors=""
		SEG_EXIT[i]=${exit:--1} SEG_SIG[i]=${sig:-0} SEG_LAG[i]=$lag SEG_STATUS[i]=$status SEG_COUNT[i]=$count SEG_ERRORS[i]=$errors
		[ -s "$RUN/seg-$i.$EXT" ] && SEG_LOG[i]=seg-$i.$EXT || SEG_LOG[i]=""
		[ -s "$RUN/seg-$i.feedback.jsonl" ] && SEG_FB[i]=seg-$i.feedback.jsonl || SEG_FB[i]=""
		local why=""
		if [ "${SEG_EXIT[i]}" != 0 ] || [ "${SEG_SIG[i]}" != 0 ]; then
			why="exit ${SEG_EXIT[i]}"
			[ "${SEG_SIG[i]}" = 0 ] || why+=", signal ${SEG_SIG[i]}"
		fi
		[ "$status" = ok ] || why="${why:+$why, }${status:-no end record}"
		[ -n "${SEG_LOG[i]}" ] || why="${why:+$why, }no log came back"
		[ -z "$why" ] || { problems+=("segment $i/$N on host $k (${LOGIN[k]}): $why"); COMPLETE=false; }
		SEGJSON+="${SEGJSON:+,
    }{\"segment\": \"$i/$N\", \"host\": $k, \"exit\": ${SEG_EXIT[i]}, \"signal\": ${SEG_SIG[i]},${lag:+ \"lag_ms\": $lag,}${status:+ \"status\": $(json_str "$status"),} \"count\": ${SEG_COUNT[i]:-0}, \"errors\": ${SEG_ERRORS[i]:-0}, \"log\": $(json_str "${SEG_LOG[i]}"), \"feedback\": $(json_str "${SEG_FB[i]}")}"
	done
	local logs=()
	for ((i = 1; i <= N; i++)); do [ -z "${SEG_LOG[i]}" ] || logs+=("$RUN/${SEG_LOG[i]}"); done
	if [ ${#logs[@]} -gt 0 ]; then
		set +e
		run histo "${logs[@]}" >"$RUN/histo.jsonl" 2>"$RUN/histo.stderr"
		HISTO_RC=$?
		set -e
		group_stats "${logs[@]}"
		case $HISTO_RC in
		0 | 1) ;;
		5) problems+=("histo: the merged run is incomplete: $(grep -v '^histo: warning' "$RUN/histo.stderr" | tail -1)"); COMPLETE=false ;;
		*) problems+=("histo failed (exit $HISTO_RC): $(tail -1 "$RUN/histo.stderr")"); COMPLETE=false ;;
		esac
		if [ -s "$RUN/histo.jsonl" ]; then
			run plotrt --title "$N segments on $USED hosts ($R)" -o "$RUN/response-times.png" "$RUN/histo.jsonl" 2>"$RUN/plotrt.stderr" ||
				say "plotrt failed: $(tail -1 "$RUN/plotrt.stderr")"
		fi
	else
		problems+=("no segment's log came back: nothing to evaluate")
		COMPLETE=false
	fi
	PROBLEMS=("${problems[@]}")
}

write_manifest() {
	local k hosts="" segs=() i
	for ((k = 1; k <= USED; k++)); do
		segs=()
		for ((i = k; i <= N; i += USED)); do segs+=("\"$i/$N\""); done
		hosts+="${hosts:+,
    }{\"host\": $k, \"sshlogin\": $(json_str "${LOGIN[k]}"), \"segments\": [$(IFS=,; echo "${segs[*]}")], \"arch\": $(json_str "${FACT[$k,arch]}"), \"cpus\": ${FACT[$k,cpus]}, \"load\": ${FACT[$k,load]}, \"clock_offset_ms\": ${OFFSET[k]}}"
	done
	finish_run "$SEED"
	manifest_extend "  \"run\": $(json_str "$R"),
  \"start_at\": $(json_str "${START_AT:-}"),
  \"hosts\": [
    $hosts
  ],
  \"segments\": [
    $SEGJSON
  ],
  \"complete\": $COMPLETE${HISTO_RC:+,
  \"histo_exit\": $HISTO_RC}"
}

summary() {
	local i k
	echo "Distributed run $R: $N segments on $USED hosts, started at $START_AT"
	for ((i = 1; i <= N; i++)); do
		k=${HOST[i]}
		printf '  segment %s on host %d (%s): exit %s, %s, lag %s ms, %s responses, %s errors\n' "$i/$N" "$k" "${LOGIN[k]}" \
			"${SEG_EXIT[i]}" "${SEG_STATUS[i]:-no end record}" "${SEG_LAG[i]:-?}" "${SEG_COUNT[i]:-?}" "${SEG_ERRORS[i]:-?}"
	done
	if [ -s "$RUN/histo.stderr" ]; then
		echo "merged (histo over the segments' logs):"
		grep -v '^histo: warning' "$RUN/histo.stderr" | sed 's/^histo: /  /' || true
	fi
	[ ! -f "$RUN/response-times.png" ] || echo "  figure: $RUN/response-times.png"
}

# --- the run -----------------------------------------------------------------
STOPPED=0 PAR_PID=""
# shellcheck disable=SC2317 # a trap handler
on_stop() {
	if [ "$STOPPED" = 1 ]; then
		[ -z "$PAR_PID" ] || kill -INT "$PAR_PID" 2>/dev/null || true
		say "stopped at once: what the segments wrote stays on their hosts in $WD"
		cleanup
		exit 130
	fi
	STOPPED=1
	say "stopping: every fire gets SIGTERM, and what it measured is fetched (Ctrl-C again to leave it there)"
	[ -z "$PAR_PID" ] || stop_segments
}
trap on_stop INT TERM

check_hosts
make_plan
if [ -z "$TARGET" ]; then
	need_tools arssim
	port_free "$PORT"
	say "no --target: arssim --model none on 127.0.0.1:$PORT here (only hosts on this machine reach it)"
	bg arssim arssim --listen "127.0.0.1:$PORT" --model none --seed "$SEED"
	wait_port "$PORT"
	TARGET=127.0.0.1:$PORT
fi
ship
# From here on every step runs whatever the one before it found, and a
# command that Ctrl-C cut short must not end the script before the manifest.
set +e
[ $STOPPED = 0 ] && run_segments
fetch
clean_hosts
cleanup
evaluate
write_manifest
summary
if [ $STOPPED = 1 ]; then
	say "stopped: the statistics cover what the segments measured until then"
	exit 130
fi
if [ "$COMPLETE" != true ]; then
	{
		echo "$(basename "$0"): ======== INCOMPLETE RUN: its numbers are NOT those of the whole plan ========"
		for p in "${PROBLEMS[@]}"; do echo "$(basename "$0"): $p"; done
		echo "$(basename "$0"): nothing was retried; see $RUN/joblog, $RUN/segments.stderr and $RUN/manifest.json"
	} >&2
	exit 5
fi
[ "$HISTO_RC" = 1 ] && exit 1
exit 0
