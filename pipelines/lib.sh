# Shared by the pipelines: tool checks, run directories with a manifest,
# servers that are always cleaned up, and time arithmetic. Source it.
set -euo pipefail

PERFLAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PERFLAB_BIN:-$PERFLAB_ROOT/bin}
export PATH="$BIN:$PATH"
SHARED=${PERFLAB_SHARED:-$PERFLAB_ROOT/../shared}

die() { echo "$(basename "$0"): $*" >&2; exit 2; }
say() { echo "$(basename "$0"): $*" >&2; }

# need_tools checks that the binaries were built.
need_tools() {
	local t
	for t in "$@"; do
		[ -x "$BIN/$t" ] || die "$BIN/$t is missing: run 'make' first"
	done
}

# port_free refuses a port something already listens on.
port_free() {
	if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
		die "port $1 is busy: stop what listens there or choose another with --port"
	fi
}

# wait_port waits until a server answers on the port (5 s at most).
wait_port() {
	local i
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	die "nothing answers on port $1 after 5 s (see $RUN/*.stderr)"
}

# Servers started with bg are stopped on exit, Ctrl-C or SIGTERM.
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null || true
	done
	PIDS=()
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# bg NAME CMD...: start a server in the background, its stderr in the run dir.
bg() {
	local name=$1; shift
	record "$@"
	"$@" 2>"$RUN/$name.stderr" &
	PIDS+=("$!")
}

# mul A B: A×B for decimal numbers.
mul() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6g", a * b }'; }
# secs D: a duration like 60m, 90s, 1h or 1500ms in seconds.
secs() {
	awk -v d="$1" 'BEGIN {
		if (d ~ /ms$/) { sub(/ms$/, "", d); printf "%.6g", d / 1000; exit }
		u = substr(d, length(d)); n = substr(d, 1, length(d) - 1)
		if (u == "h") n *= 3600; else if (u == "m") n *= 60; else if (u != "s") n = d
		printf "%.6g", n }'
}

json_str() {
	local s=$1
	s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}
	printf '"%s"' "$s"
}

# start_run NAME ARGS...: make runs/DATE-NAME, remember how to re-run it.
start_run() {
	local name=$1; shift
	RUN_NAME=$name
	RUN=${OUT:-$PERFLAB_ROOT/runs/$(date +%Y%m%d-%H%M%S)-$name}
	mkdir -p "$RUN"
	RUN=$(cd "$RUN" && pwd)
	RUN_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	: >"$RUN/commands.txt"
	local q
	q=$(printf '%q ' "pipelines/$(basename "$0")" "$@") # from the repository root, where rerun.sh runs it
	printf '%s\n' "${q% }" >"$RUN/command"
	say "run directory: $RUN"
}

# record CMD...: note a command line in the run's manifest.
record() { printf '%q ' "$@" | sed 's/ $//' >>"$RUN/commands.txt"; echo >>"$RUN/commands.txt"; }

# run CMD...: record and run a command.
run() { record "$@"; "$@"; }

# finish_run SEED: write manifest.json.
finish_run() {
	local seed=$1 commit tools="" t cmds="" l first=1
	commit=$(git -C "$PERFLAB_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
	for t in plan fire histo plotrt rampctl arssim; do
		[ -x "$BIN/$t" ] && tools+="$(json_str "$t"): $(json_str "$("$BIN/$t" --version 2>/dev/null || echo unknown)"), "
	done
	while IFS= read -r l; do
		[ $first = 1 ] || cmds+=", "
		cmds+=$(json_str "$l"); first=0
	done <"$RUN/commands.txt"
	cat >"$RUN/manifest.json" <<JSON
{
  "type": "manifest",
  "version": 1,
  "experiment": $(json_str "$RUN_NAME"),
  "rerun": $(json_str "$(cat "$RUN/command")"),
  "git_commit": $(json_str "$commit"),
  "tools": { ${tools%, } },
  "seed": $seed,
  "commands": [ $cmds ],
  "start": $(json_str "$RUN_START"),
  "end": $(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),
  "machine": { "cpus": $(nproc), "os": $(json_str "$(uname -srm)"), "go": $(json_str "$(go env GOVERSION 2>/dev/null || echo unknown)") }
}
JSON
	say "manifest: $RUN/manifest.json"
}

# common_opt "$@": the options every pipeline takes (--port, --seed, --out,
# --help); anything else is an error. Sets COMMON_SHIFT to the words it used.
common_opt() {
	case $1 in
	--port | --seed | --out)
		[ $# -ge 2 ] || { usage >&2; die "$1 needs a value"; }
		case $1 in --port) PORT=$2 ;; --seed) SEED=$2 ;; --out) OUT=$2 ;; esac
		COMMON_SHIFT=2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument $1" ;;
	esac
}

# manifest_extend MEMBERS: add members ('"key": value, …' as JSON text) to
# the manifest.json that finish_run wrote (its last line closes the object).
manifest_extend() {
	local m=$RUN/manifest.json
	[ "$(tail -n 1 "$m")" = "}" ] || die "$m: cannot add to it: its last line is not '}'"
	{ sed '$d' "$m" | sed '$ s/$/,/'; printf '%s\n}\n' "$1"; } >"$m.tmp" && mv "$m.tmp" "$m"
}

# words STRING: split STRING into words as a shell would (quotes group, no
# expansion of $, `, * or ~), one NUL-terminated word each, for mapfile -d ''.
words() { printf '%s' "$1" | xargs -r printf '%s\0'; }

# group_stats [HISTO-FLAGS…] LOG…: histo --by name and --by status into the
# run directory (by-name.jsonl, by-status.jsonl), for the report's tables of
# statistics per request name and per status code. A run histo finds
# incomplete (exit 5) still gets its tables; any other failure is said once.
group_stats() {
	local by rc
	for by in name status; do
		set +e
		run histo -q --interval 0 --allow-incomplete --by "$by" "$@" >"$RUN/by-$by.jsonl" 2>>"$RUN/by.stderr"
		rc=$?
		set -e
		[ $rc -le 1 ] || say "histo --by $by failed (exit $rc, see $RUN/by.stderr): the report has no table per $by"
	done
}
