# The remote steps of pipelines/distributed.sh, sourced by it: checking the
# hosts, shipping fire and the plan, running, stopping and fetching the
# segments, cleaning the hosts. Every step is one GNU parallel run over the
# hosts (par); the commands in single quotes run on the hosts.
# shellcheck shell=bash disable=SC2016,SC2153,SC2154 # globals are the main script's

# --- the hosts, checked before anything runs ---------------------------------
PREFLIGHT='d=$(pwd)/.perflab-dist
echo "arch $(uname -sm)"
echo "cpus $(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)"
echo "load $(cut -d" " -f1 /proc/loadavg 2>/dev/null || echo 0)"
if command -v rsync >/dev/null 2>&1; then echo "rsync yes"; else echo "rsync no"; fi
ls -l /proc/[0-9]*/cwd 2>/dev/null | grep -F -- "-> $d/" | sed "s,.*/proc/\([0-9]*\)/cwd.*,\1," | while read -r p; do
	echo "busy $p $(tr "\0" " " </proc/"$p"/cmdline 2>/dev/null | cut -c1-120)"
done
echo "clock $(date +%s.%N)"'
# load_facts: FACT[K,NAME] is host K's answer NAME (arch, cpus, …); BUSY[K]
# the first process found in a working directory there.
declare -A FACT
BUSY=()
load_facts() {
	local k line name
	while IFS=$'\t' read -r k line; do
		[[ $k =~ ^[0-9]+$ ]] || continue
		name=${line%% *}
		if [ "$name" = busy ]; then BUSY[k]=${BUSY[k]:-${line#busy }}; else FACT[$k,$name]=${line#* }; fi
	done <"$PHASES/preflight.out"
}

check_hosts() {
	say "checking $USED hosts: $(printf '%s; ' "${LOGIN[@]:1:USED}" | sed 's/; $//')"
	local t0
	t0=$(date +%s.%N)
	par --timeout 60 --joblog "$PHASES/preflight.joblog" --tagstring '{}' -q sh -c "$PREFLIGHT" check {} \
		::: "${HOSTARGS[@]}" >"$PHASES/preflight.out" 2>"$PHASES/preflight.stderr" || true
	CHECK_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	local k bad=0 rc arch here start rt clock why
	here=$(uname -sm)
	load_facts
	load_joblog "$PHASES/preflight.joblog"
	for ((k = 1; k <= USED; k++)); do
		why=""
		rc=${JL_EXIT[k]:-} arch=${FACT[$k,arch]:-}
		if [ "$rc" != 0 ] || [ -z "$arch" ]; then
			why="unreachable (ssh exit ${rc:-none}): $(grep -v '^parallel: ' "$PHASES/preflight.stderr" | awk -F'\t' -v k="$k" '$1 == k { sub(/\r.*/, "", $2); if ($2 != "") print $2 }' | tail -1)"
		elif [ "$arch" != "$here" ]; then
			why="it is $arch, fire here is built for $here"
		elif [ "${LOGIN[k]}" != ":" ] && [ "${FACT[$k,rsync]:-}" != yes ]; then
			why="rsync is missing there (GNU parallel ships files with it): apt-get install rsync"
		elif [ -n "${BUSY[k]:-}" ]; then
			why="busy: a segment of another run still runs there (pid ${BUSY[k]})"
		fi
		start=${JL_START[k]:-0} rt=${JL_RT[k]:-0} clock=${FACT[$k,clock]:-0}
		OFFSET[k]=$(awk -v s="$start" -v r="$rt" -v c="$clock" 'BEGIN { o = 0; if (c < s) o = c - s; else if (c > s + r) o = c - s - r; printf "%.0f", o * 1000 }')
		if [ -z "$why" ] && [ "${OFFSET[k]#-}" -gt 1000 ]; then
			why="its clock is at least ${OFFSET[k]} ms off this machine's: every segment starts by its own clock (set up NTP)"
		elif [ -z "$why" ] && [ "${OFFSET[k]#-}" -gt 10 ]; then
			say "warning: host $k (${LOGIN[k]}): its clock is at least ${OFFSET[k]} ms off this machine's: its segment starts that much off"
		fi
		if [ -z "$why" ] && awk -v l="${FACT[$k,load]:-0}" -v c="${FACT[$k,cpus]:-0}" 'BEGIN { exit !(l > c) }'; then
			say "warning: host $k (${LOGIN[k]}): load average ${FACT[$k,load]} on ${FACT[$k,cpus]} CPUs: fire will compete for them"
		fi
		if [ -n "$why" ]; then
			echo "$(basename "$0"): host $k ($HOSTS:${LINE[k]}: ${LOGIN[k]}): $why" >&2
			bad=$((bad + 1))
		fi
	done
	[ $bad = 0 ] || die "$bad of $USED hosts refused: nothing was started (details: $PHASES/preflight.stderr)"
}

# --- the plan, and fire and the plan shipped to every host -------------------
make_plan() {
	if [ -f "$PLAN" ]; then
		run cp "$PLAN" "$RUN/plan.jsonl"
	else
		run plan --seed "$SEED" "${PLAN_WORDS[@]:1}" >"$RUN/plan.jsonl" 2>"$RUN/plan.stderr" || { cat "$RUN/plan.stderr" >&2; die "--plan failed"; }
	fi
}

ship() {
	mkdir -p "$STAGE"
	cp -L "$BIN/fire" "$STAGE/fire"
	cp "$RUN/plan.jsonl" "$STAGE/plan.jsonl"
	local want got k
	want=$(cd "$STAGE" && cksum fire plan.jsonl)
	say "shipping fire and the plan to $USED hosts"
	par --workdir "$WD" --basefile "$STAGE/./fire" --basefile "$STAGE/./plan.jsonl" \
		--joblog "$PHASES/ship.joblog" --tagstring '{}' -q sh -c 'cksum fire plan.jsonl' ship {} ::: "${HOSTARGS[@]}" \
		>"$PHASES/ship.out" 2>"$PHASES/ship.stderr" || true
	load_joblog "$PHASES/ship.joblog"
	for ((k = 1; k <= USED; k++)); do
		got=$(awk -F'\t' -v k="$k" '$1 == k { print $2 }' "$PHASES/ship.out")
		if [ "$got" != "$want" ] || [ "${JL_EXIT[k]:-}" != 0 ]; then
			cat "$PHASES/ship.stderr" >&2
			local j
			for ((j = 1; j <= USED; j++)); do FETCHED[j]=1; done
			clean_hosts # what did arrive elsewhere
			die "host $k (${LOGIN[k]}): fire and the plan did not arrive intact (cksum: ${got:-nothing}): nothing was started"
		fi
	done
}

# --- the segments, started together -----------------------------------------
# Each job execs fire, so its exit code is fire's and a stop reaches fire: GNU
# parallel sends TERM once (fire stops sending, waits for what is in flight
# and writes its summary) and KILL only 15 s later.
RUNCMD='i=$1 n=$2 at=$3 run=$4 target=$5 format=$6 ext=$7; shift 7
exec ./fire --segment "$i/$n" --start-at "$at" --run "$run" --target "$target" --format "$format" \
	-o "seg-$i.$ext" --feedback "seg-$i.feedback.jsonl" --progress 10s "$@" plan.jsonl'

run_segments() {
	local delay now args=()
	# Long enough for GNU parallel to start (seconds of Perl on a loaded
	# machine), log into every host once more and exec fire there: what the
	# check of the hosts took (the same steps, and a scan of /proc) twice
	# over, a second more, and 20 ms a segment for parallel to spawn its
	# ssh; at least 2 s. (1.5 × the check + 0.5 s was 1.4 s short once on a
	# machine running make test beside a CPU hog.)
	delay=${START_DELAY_S:-$(awk -v c="$CHECK_S" -v n="$N" 'BEGIN { d = 2 * c + 1 + 0.02 * n; printf "%.1f", (d < 2 ? 2 : d) }')}
	now=$(date +%s.%N)
	START_AT=$(date -u -d "@$(awk -v a="$now" -v d="$delay" 'BEGIN { printf "%.3f", a + d }')" +%Y-%m-%dT%H:%M:%S.%3NZ)
	for ((i = 1; i <= N; i++)); do args+=("$i@host${HOST[i]}"); done
	say "$N segments start at $START_AT (in ${delay}s); their stderr is tagged I/N"
	record parallel --joblog "$RUN/joblog" ./fire --segment "{}/$N" --start-at "$START_AT" --run "$R" --target "$TARGET" \
		--format "$FORMAT" -o "seg-{}.$EXT" --feedback "seg-{}.feedback.jsonl" --progress 10s "${FIRE_WORDS[@]}" plan.jsonl
	# In the background, so that on_stop runs at once on Ctrl-C and stops
	# the segments (once, on their hosts) while this waits for them.
	# (Not par: $! must be parallel itself, for a second Ctrl-C to stop it.)
	(cd "$RUN" && exec setsid -w parallel --plain --will-cite --slf "$RUN/sshlogins" --hostgroups --workdir "$WD" \
		--joblog "$RUN/joblog" --line-buffer --tagstring "{}/$N" --halt never --termseq TERM,15000,KILL,25 \
		-q sh -c "$RUNCMD" segment {} "$N" "$START_AT" "$R" "$TARGET" "$FORMAT" "$EXT" "${FIRE_WORDS[@]}" \
		::: "${args[@]}" </dev/null) > >(trap '' INT; exec tee -a "$RUN/segments.stderr" >&2) 2>&1 &
	PAR_PID=$!
	while kill -0 "$PAR_PID" 2>/dev/null; do wait "$PAR_PID" || true; done
	PAR_PID=""
}

# stop_segments: SIGTERM, once, to every fire still running in the run's
# working directory on every host (fire then finishes what is in flight and
# writes its summary). Done here rather than through ssh hanging up, which a
# shared ssh connection (ControlMaster) never does.
STOPCMD='ls -l /proc/[0-9]*/cwd 2>/dev/null | grep -F -- "-> $(pwd)" | sed "s,.*/proc/\([0-9]*\)/cwd.*,\1," |
	while read -r p; do [ "$(cat /proc/"$p"/comm 2>/dev/null)" != fire ] || kill -TERM "$p"; done; true'
# shellcheck disable=SC2317 # called from the trap handler
stop_segments() {
	par --workdir "$WD" --joblog "$PHASES/stop.joblog" -q sh -c "$STOPCMD" stop {} ::: "${HOSTARGS[@]}" \
		>/dev/null 2>"$PHASES/stop.stderr" || say "could not reach every host to stop its segments: see $PHASES/stop.stderr"
}

# --- what they wrote, brought back and checked, then the hosts cleaned -------
# A stopped fire may still be writing its summary: wait (20 s at most) until
# no fire runs in the working directory, then print the files' checksums.
FETCHCMD='i=$1; n=0
while [ $n -lt 200 ] && ls -l /proc/[0-9]*/cwd 2>/dev/null | grep -F -- "-> $(pwd)" |
	sed "s,.*/proc/\([0-9]*\)/cwd.*,\1," | while read -r p; do [ "$(cat /proc/"$p"/comm 2>/dev/null)" != fire ] || echo fire; done | grep -q fire; do
	sleep 0.1; n=$((n + 1))
done
for f in seg-"$i".*; do [ ! -f "$f" ] || cksum "$f"; done'

fetch() {
	local i k f want got args=()
	for ((i = 1; i <= N; i++)); do args+=("$i@host${HOST[i]}"); done
	set +e
	par --workdir "$WD" --joblog "$PHASES/fetch.joblog" --tagstring '{}' --return "seg-{}.$EXT" --return "seg-{}.feedback.jsonl" \
		-q sh -c "$FETCHCMD" fetch {} ::: "${args[@]}" >"$PHASES/fetch.out" 2>"$PHASES/fetch.stderr"
	set -e
	FETCHED=() # FETCHED[k]: every file host k has came back intact
	for ((k = 1; k <= USED; k++)); do FETCHED[k]=1; done
	load_joblog "$PHASES/fetch.joblog"
	for ((i = 1; i <= N; i++)); do
		k=${HOST[i]}
		while IFS= read -r f; do
			[ -n "$f" ] || continue
			if [ "${LOGIN[k]}" = ":" ]; then
				mv "$STAGE/$f" "$RUN/$f" # this machine: the files are in the working directory
			fi
			want=$(awk -F'\t' -v i="$i" -v f="$f" '$1 == i { n = split($2, w, " "); if (w[n] == f) print w[1], w[2] }' "$PHASES/fetch.out")
			got=$(cd "$RUN" && cksum "$f" 2>/dev/null | awk '{ print $1, $2 }')
			if [ "$want" != "$got" ]; then
				say "segment $i/$N: $f did not come back intact from host $k (${LOGIN[k]}): it stays there in $WD"
				FETCHED[k]=0
			fi
		done < <(awk -F'\t' -v i="$i" '$1 == i { n = split($2, w, " "); print w[n] }' "$PHASES/fetch.out")
		[ "${JL_EXIT[i]:-}" = 0 ] || {
			say "segment $i/$N: could not fetch from host $k (${LOGIN[k]}): $(awk -F'\t' -v i="$i" '$1 == i { sub(/\r.*/, "", $2); if ($2 != "") print $2 }' "$PHASES/fetch.stderr" | tail -1)"
			FETCHED[k]=0
		}
	done
}

clean_hosts() {
	local k args=()
	for ((k = 1; k <= USED; k++)); do
		if [ "${FETCHED[k]:-0}" = 1 ]; then args+=("$k@host$k"); else say "host $k (${LOGIN[k]}): $WD is left there"; fi
	done
	[ ${#args[@]} -gt 0 ] || return 0
	par --joblog "$PHASES/clean.joblog" -q sh -c 'rm -rf "$1"; rmdir .perflab-dist 2>/dev/null; true' clean "$WD" \
		::: "${args[@]}" >/dev/null 2>"$PHASES/clean.stderr" || say "could not clean up every host: see $PHASES/clean.stderr"
	rm -f "$STAGE/fire" "$STAGE/plan.jsonl"
	rmdir "$STAGE" "$RUN/.perflab-dist" 2>/dev/null || true
}
