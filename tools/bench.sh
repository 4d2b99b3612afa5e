#!/bin/bash
# make bench: measure what faultline costs, side by side with its baseline in
# one run, and print the ratios together with the state of the machine.
#
#   usage: tools/bench.sh [BUILD_DIR] [--json]
#
#   (a) bystander  fl-open-loop natively vs. while a crash point is armed on
#                  another process (the sys_enter program runs, finds no target),
#                  vs. the floor: a program that does nothing on the same hook
#                  (and on tracepoint syscalls/sys_enter_fsync, tp_btf/sys_enter),
#                  in rounds of their own, in CPU time per iteration; the same
#                  for fl-getppid-loop (FL_BENCH_GETPPID_ITERS, 300000), where the
#                  cost per syscall shows best
#   (b) target     fl-open-loop launched under a rule that matches every
#                  openat and never fires: the in-kernel path (send-signal)
#   (c) seccomp    the same, forced through seccomp user notification: every
#                  openat goes to faultline and back, none is injected.
#                  Two more rows run a static copy of the loop (no loader
#                  openat to fail), each against strace --inject with the
#                  same rule in the same round:
#                  in-kernel  openat:error=EACCES, answered by the filter
#                             itself (SECCOMP_RET_ERRNO): every open fails
#                  when=1     openat:error=EIO:when=1: the first open fails,
#                             the supervisor lets the others through
#                  and the spread (min/median/max) of the per-round "times
#                  cheaper than strace" of each seccomp row
#   (d) reference  fiu-run with the open failpoint at probability 0 (the
#                  same loop), strace --inject and strace --seccomp-bpf
#                  (a shorter loop: strace is ~100x slower per call)
#   (e) faultline probe wall time
#   (f) stalls     a bystander's fsync loop (calls made, slowest call) while
#                  another process's fsyncs are delayed: natively (no rule),
#                  by the in-kernel spin at its cap (delay=2ms, bpf-loop-delay,
#                  on every call) and by delay=100ms (SIGSTOP/SIGCONT). A
#                  spin cannot be preempted, so it is capped where a
#                  bystander waits no longer than behind any busy process
#   (g) sqlite3    a realistic bystander: FL_BENCH_SQLITE_ROWS (20000) inserts,
#                  one transaction each, natively, with the rule of (a) armed,
#                  and with the floor's empty program; CPU time (user + system)
#
# Each round runs native, armed, native, target, native, seccomp, native,
# fiu-run, native: every measured run is compared with the mean of the
# native runs around it, so a drift in the machine's speed hits both sides
# alike. Times are medians over FL_BENCH_REPS rounds (default 7); the
# "x native" ratios are the medians of the per-round ratios, the "x strace"
# and "x fiu-run" ratios compare the median ns per iteration. The loop's
# own clock is used, so the start-up costs of faultline, strace or fiu-run
# stay out of the per-iteration numbers.
# Environment: FL_BENCH_REPS, FL_BENCH_ITERS (default 200000),
# FL_BENCH_TRACER_ITERS (default 20000, strace only).
set -u
# shellcheck source=tools/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"

build=build
json=0
for arg in "$@"; do
	case $arg in
	--json|-j) json=1 ;;
	-h|--help)
		sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
		exit 0 ;;
	-*) echo "bench: unknown option '$arg' (usage: tools/bench.sh [BUILD_DIR] [--json])" >&2
	    exit 2 ;;
	*) build=$arg ;;
	esac
done

reps=${FL_BENCH_REPS:-7}
iters=${FL_BENCH_ITERS:-200000}
tracer_iters=${FL_BENCH_TRACER_ITERS:-20000}
faultline=$build/faultline
loop=$build/targets/fl-open-loop
hook=$build/targets/fl-bpf-hook
bystander_rule='fsync:signal=SIGKILL:when=65535'
target_rule='openat:signal=SIGKILL:when=4000000000'
seccomp_rule='openat:error=EIO:when=100000000'
strace_inject='openat:error=EPERM:when=65535'
fiu_cmd='enable_random name=posix/io/oc/open,probability=0'
ik_rule='openat:error=EACCES'
w1_rule='openat:error=EIO:when=1'
per_run_timeout=90

for n in "$reps" "$iters" "$tracer_iters"; do
	if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
		echo "bench: FL_BENCH_REPS/ITERS/TRACER_ITERS must be positive integers, got '$n'" >&2
		exit 2
	fi
done
if [[ $(id -u) -ne 0 ]]; then
	echo "bench: needs root (faultline loads BPF programs); run: sudo make bench" >&2
	exit 1
fi
for bin in "$faultline" "$loop" "$hook"; do
	if [[ ! -x $bin ]]; then
		echo "bench: $bin is missing; run make first" >&2
		exit 1
	fi
done

# Progress goes to stderr so that --json leaves stdout to the JSON document.
note() {
	printf '%s\n' "$*" >&2
}

tmp=$(mktemp -d /tmp/faultline-bench.XXXXXX) || exit 1
armed_pid=
armed_child=

# End what we started, by pid: the armed faultline, then its sleep if the
# SIGTERM that faultline forwards did not reach it.
disarm() {
	if [[ -n $armed_pid ]]; then
		kill -TERM "$armed_pid" 2>/dev/null
		wait "$armed_pid" 2>/dev/null
		armed_pid=
	fi
	if [[ -n $armed_child ]]; then
		kill -KILL "$armed_child" 2>/dev/null
		armed_child=
	fi
}
# The empty program's holder (the bench's floor), by pid.
hook_pid=
hook_stop() {
	if [[ -n $hook_pid ]]; then
		kill -TERM "$hook_pid" 2>/dev/null
		wait "$hook_pid" 2>/dev/null
		hook_pid=
	fi
}
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	disarm
	hook_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) exit 1
		      if (NR % 2) print v[(NR + 1) / 2]
		      else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Run a command whose stdout holds fl-open-loop's line; print ns_per_iter.
# Fails (and prints nothing) when the command did, or the line is missing.
ns_per_iter() {
	local out=$tmp/run.out rc
	timeout -k 5 "$per_run_timeout" "$@" >"$out" 2>"$tmp/run.err"
	rc=$?
	if [[ $rc -ne 0 ]]; then
		note "bench: '$*' exited with status $rc: $(head -c 300 "$tmp/run.err")"
		return 1
	fi
	awk '$1 == "iterations" { print $6; found = 1 } END { exit !found }' "$out"
}

# faultline's --json summary (the last line of FILE that starts with '{'):
# does rule 0 show matched >= MIN and injected == INJ? Prints why not.
summary_is() {
	local file=$1 min=$2 inj=$3 line m j
	line=$(grep '^{' "$file" | tail -n 1)
	m=$(printf '%s' "$line" | grep -o '"matched":[0-9]*' | head -n 1 | cut -d: -f2)
	j=$(printf '%s' "$line" | grep -o '"injected":[0-9]*' | head -n 1 | cut -d: -f2)
	if [[ -z $m || -z $j ]] || ((m < min || j != inj)); then
		printf 'summary %s (want matched >= %s, injected %s)\n' "${line:-missing}" "$min" "$inj"
		return 1
	fi
}

# Start faultline with a rule on a sleeping process and return once the rule
# is live: faultline attaches before it forks, and lets the child exec only
# after its pid is a target, so a child that has exec'd sleep means "armed".
arm() {
	local child exe i
	"$faultline" syscall --json "$bystander_rule" -- sleep 60 >"$tmp/armed.out" \
		2>"$tmp/armed.err" &
	armed_pid=$!
	for ((i = 0; i < 500; i++)); do
		child=$(pgrep -P "$armed_pid" 2>/dev/null | head -n 1)
		if [[ -n $child ]]; then
			exe=$(readlink "/proc/$child/exe" 2>/dev/null)
			if [[ $exe == */sleep ]]; then
				armed_child=$child
				return 0
			fi
		fi
		if ! kill -0 "$armed_pid" 2>/dev/null; then
			note "bench: faultline did not arm: $(head -c 300 "$tmp/armed.err")"
			armed_pid=
			return 1
		fi
		sleep 0.01
	done
	note "bench: faultline did not arm within 5 s"
	disarm
	return 1
}

# Processes other than ours that used at least a quarter of a CPU over 1 s.
busy_processes() {
	local hz
	hz=$(getconf CLK_TCK)
	cat /proc/[0-9]*/stat 2>/dev/null >"$tmp/stat.0"
	sleep 1
	cat /proc/[0-9]*/stat 2>/dev/null >"$tmp/stat.1"
	awk -v hz="$hz" -v self=$$ '
		function parse(line, r) {
			# comm may hold spaces and parentheses: cut at the last ")".
			r = substr(line, index(line, "(") + 1)
			comm = substr(r, 1, match(r, /\) [A-Za-z] [0-9-]+ [0-9-]+/) - 1)
			n = split(substr(r, RSTART + 2), f, " ")
			ppid = f[2]
			return f[12] + f[13]
		}
		FNR == 1 { pass++ }
		{ pid = $1 + 0; t = parse($0) }
		pass == 1 { t0[pid] = t; next }
		pid != self && ppid != self && (pid in t0) {
			pct = (t - t0[pid]) * 100 / hz
			if (pct >= 25)
				printf "%s(pid %d) %.0f%%\n", comm, pid, pct
		}' "$tmp/stat.0" "$tmp/stat.1" | sort -t' ' -k3 -g -r | head -n 5 | paste -sd ',' - |
		sed 's/,/, /g'
}

json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/ }
	printf '"%s"' "$s"
}

# The in-kernel and when=1 rows fail opens, so they need a loop without a
# dynamic loader (whose own openat would fail first): a static copy,
# compiled here from the tree's source.
static_loop=$tmp/fl-open-loop-static
have_static=0
loop_src=$(dirname "$0")/../tests/targets/fl-open-loop.c
if "${CC:-cc}" -O2 -static -o "$static_loop" "$loop_src" 2>"$tmp/cc.err"; then
	have_static=1
else
	static_note="skipped: no static build of fl-open-loop: $(head -c 200 "$tmp/cc.err")"
fi

# The loop's own count of failed opens in its last output.
loop_failed() {
	awk '$1 == "iterations" { print $12 }' "$tmp/run.out"
}

# --- machine state ------------------------------------------------------------
kernel=$(uname -r)
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[[ -z $cpu ]] && cpu=$(uname -m)
ncpu=$(nproc)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
spectre=$(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2 2>/dev/null || echo unknown)
note "bench: sampling other processes' CPU use for 1 s ..."
busy=$(busy_processes)

# --- interleaved runs --------------------------------------------------------
have_fiu=0
command -v fiu-run >/dev/null 2>&1 && have_fiu=1
declare -a nat_a=() nat_b=() nat_c=() nat_d=() nat_e=() armed=() target=() sec=() st=() st_sec=()
declare -a nat_small=() fiu=() probe=()
declare -a p_noise=() p_armed=() p_target=() p_sec=() p_st=() p_st_sec=() p_fiu=()
declare -a nat_s=() ik=() w1=() st_ik=() st_w1=() p_ik=() p_w1=() c_sec=() c_ik=() c_w1=()
ik_check=ok
w1_check=ok
target_check=ok
seccomp_check=ok
bench_start=$(date +%s%N)

# a / ((b + c) / 2): a run against the mean of the native runs around it.
paired() {
	awk -v a="$1" -v b="$2" -v c="${3:-$2}" 'BEGIN { printf "%.4f", 2 * a / (b + c) }'
}

for ((r = 1; r <= reps; r++)); do
	note "bench: round $r/$reps"
	# native, native, target, native, seccomp, native, fiu-run, native:
	# each measured run sits between two native ones, so a drift of the
	# machine's speed cancels out.
	v=$(ns_per_iter "$loop" "$iters") || exit 1
	nat_a+=("$v")

	v=$(ns_per_iter "$loop" "$iters") || exit 1
	nat_b+=("$v")

	v=$(ns_per_iter "$faultline" syscall --json "$target_rule" -- "$loop" "$iters") || exit 1
	target+=("$v")
	# Every openat of the loop matched, none was injected.
	why=$(summary_is "$tmp/run.out" "$iters" 0) || target_check=$why

	v=$(ns_per_iter "$loop" "$iters") || exit 1
	nat_c+=("$v")

	v=$(ns_per_iter "$faultline" syscall --json --mechanism seccomp-notify "$seccomp_rule" \
		-- "$loop" "$iters") || exit 1
	sec+=("$v")
	why=$(summary_is "$tmp/run.out" "$iters" 0) || seccomp_check=$why
	grep -q '"mechanism":"seccomp-notify"' "$tmp/run.out" ||
		seccomp_check="not run through seccomp-notify: $(grep '^{' "$tmp/run.out")"

	v=$(ns_per_iter "$loop" "$iters") || exit 1
	nat_d+=("$v")
	p_noise+=("$(paired "${nat_b[-1]}" "${nat_a[-1]}" "${nat_c[-1]}")")
	p_target+=("$(paired "${target[-1]}" "${nat_b[-1]}" "${nat_c[-1]}")")
	p_sec+=("$(paired "${sec[-1]}" "${nat_c[-1]}" "${nat_d[-1]}")")

	if ((have_fiu)); then
		v=$(ns_per_iter fiu-run -x -f '' -c "$fiu_cmd" "$loop" "$iters") || exit 1
		fiu+=("$v")
		v=$(ns_per_iter "$loop" "$iters") || exit 1
		nat_e+=("$v")
		p_fiu+=("$(paired "${fiu[-1]}" "${nat_d[-1]}" "${nat_e[-1]}")")
	fi

	# strace is ~100x slower per call: a shorter loop keeps the run
	# bounded, so it gets its own native run of the same length.
	v=$(ns_per_iter "$loop" "$tracer_iters") || exit 1
	nat_small+=("$v")
	v=$(ns_per_iter strace -o /dev/null --inject="$strace_inject" \
		"$loop" "$tracer_iters") || exit 1
	st+=("$v")
	p_st+=("$(paired "$v" "${nat_small[-1]}")")
	v=$(ns_per_iter strace -o /dev/null -f --seccomp-bpf -e trace=openat \
		--inject="$strace_inject" "$loop" "$tracer_iters") || exit 1
	st_sec+=("$v")
	p_st_sec+=("$(paired "$v" "${nat_small[-1]}")")
	# (c): times cheaper than strace --inject in this round.
	c_sec+=("$(awk -v a="${st[-1]}" -v b="${sec[-1]}" 'BEGIN { printf "%.2f", a / b }')")

	if ((have_static)); then
		v=$(ns_per_iter "$static_loop" "$iters") || exit 1
		nat_s+=("$v")
		v=$(ns_per_iter "$faultline" syscall --json "$ik_rule" -- "$static_loop" "$iters") ||
			exit 1
		ik+=("$v")
		# The filter failed every open, and faultline says it did not count them.
		if [[ $(loop_failed) != "$iters" ]] || ! grep -q '"in_kernel":true' "$tmp/run.out"; then
			ik_check="failed $(loop_failed) of $iters: $(grep '^{' "$tmp/run.out")"
		fi
		v=$(ns_per_iter "$faultline" syscall --json "$w1_rule" -- "$static_loop" "$iters") ||
			exit 1
		w1+=("$v")
		if [[ $(loop_failed) != 1 ]] || ! why=$(summary_is "$tmp/run.out" "$iters" 1); then
			w1_check="failed $(loop_failed) (want 1) ${why:-}"
		fi
		v=$(ns_per_iter "$static_loop" "$iters") || exit 1
		nat_s+=("$v")
		p_ik+=("$(paired "${ik[-1]}" "${nat_s[-2]}" "${nat_s[-1]}")")
		p_w1+=("$(paired "${w1[-1]}" "${nat_s[-2]}" "${nat_s[-1]}")")
		v=$(ns_per_iter strace -o /dev/null --inject="$ik_rule" "$static_loop" \
			"$tracer_iters") || exit 1
		st_ik+=("$v")
		v=$(ns_per_iter strace -o /dev/null --inject="$w1_rule" "$static_loop" \
			"$tracer_iters") || exit 1
		st_w1+=("$v")
		c_ik+=("$(awk -v a="${st_ik[-1]}" -v b="${ik[-1]}" 'BEGIN { printf "%.2f", a / b }')")
		c_w1+=("$(awk -v a="${st_w1[-1]}" -v b="${w1[-1]}" 'BEGIN { printf "%.2f", a / b }')")
	fi

	t0=$(date +%s%N)
	timeout -k 5 30 "$faultline" probe >/dev/null 2>&1
	rc=$?
	t1=$(date +%s%N)
	if [[ $rc -ne 0 ]]; then
		note "bench: faultline probe exited with status $rc"
		exit 1
	fi
	probe+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')")
done
# (a) Bystanders, in rounds of their own: native runs around each of the
# floor (a program that does nothing on a syscall hook: bpf/bench_empty.bpf.c,
# held by fl-bpf-hook) and faultline armed on another process, the order
# rotated each round. CPU time per iteration: the entry path's cost is CPU,
# and the time other processes hold the CPU stays out of it.
hook_start() {
	local i
	"$hook" "$1" >"$tmp/hook.out" 2>"$tmp/hook.err" &
	hook_pid=$!
	for ((i = 0; i < 500; i++)); do
		grep -q '^attached' "$tmp/hook.out" 2>/dev/null && return 0
		if ! kill -0 "$hook_pid" 2>/dev/null; then
			note "bench: fl-bpf-hook $1: $(head -c 300 "$tmp/hook.err")"
			hook_pid=
			return 1
		fi
		sleep 0.01
	done
	note "bench: fl-bpf-hook $1 did not attach within 5 s"
	hook_stop
	return 1
}
# Run "$@" with variant $1 on: native, armed (faultline), or a bench_empty program.
with_variant() {
	local variant=$1 rc why
	shift
	case $variant in
	native) "$@"; return ;;
	armed) arm || return 1 ;;
	*) hook_start "$variant" || return 1 ;;
	esac
	"$@"
	rc=$?
	if [[ $variant == armed ]]; then
		disarm
		if ! why=$(summary_is "$tmp/armed.out" 0 0) ||
			grep -q '"matched":[1-9]' "$tmp/armed.out"; then
			note "bench: the bystander rule saw calls it should not have: $why"
			return 1
		fi
	else
		hook_stop
	fi
	return $rc
}
# CPU ns per iteration of a loop target: fl-open-loop (open + close) or
# fl-getppid-loop (the cheapest syscall: the per-syscall cost shows best).
open_cpu() {
	loop_cpu "$loop" "$iters"
}
getppid_cpu() {
	loop_cpu "$getppid_loop" "$getppid_iters"
}
loop_cpu() {
	timeout -k 5 "$per_run_timeout" "$@" >"$tmp/by.out" 2>"$tmp/by.err" ||
		{ note "bench: $1 failed: $(head -c 300 "$tmp/by.err")"; return 1; }
	awk '$1 == "iterations" { print $10; found = 1 } END { exit !found }' "$tmp/by.out"
}
# The realistic bystander: sqlite3 inserting FL_BENCH_SQLITE_ROWS rows, one
# transaction each (WAL, synchronous=NORMAL), into a fresh database; its
# CPU time (user + system) in ms.
sqlite_rows=${FL_BENCH_SQLITE_ROWS:-20000}
sqlite_cpu() {
	local t
	rm -f "$tmp/by.db" "$tmp/by.db-wal" "$tmp/by.db-shm"
	t=$( { TIMEFORMAT='%U %S'; time sqlite3 "$tmp/by.db" <"$tmp/by.sql" >/dev/null 2>&1; } 2>&1) ||
		{ note "bench: sqlite3 failed"; return 1; }
	awk -v t="$t" 'BEGIN { split(t, f, " "); printf "%.1f", (f[1] + f[2]) * 1000 }'
}
# One round of LOAD (open, getppid, sqlite): a native run around each
# variant, the variants' order rotated by the round number R. Results go
# to by_runs[LOAD:VARIANT] and by_paired[LOAD:VARIANT] (lists), natives to
# by_runs[LOAD:native].
by_round() {
	local load=$1 r=$2 n k var prev next v
	shift 2
	n=$#
	local -a vars=("$@")
	prev=$("${load}_cpu") || return 1
	by_runs[$load:native]+="$prev "
	for ((k = 0; k < n; k++)); do
		var=${vars[(k + r) % n]}
		v=$(with_variant "$var" "${load}_cpu") || return 1
		next=$("${load}_cpu") || return 1
		by_runs[$load:native]+="$next "
		by_runs[$load:$var]+="$v "
		by_paired[$load:$var]+="$(paired "$v" "$prev" "$next") "
		prev=$next
	done
}
getppid_loop=$build/targets/fl-getppid-loop
getppid_iters=${FL_BENCH_GETPPID_ITERS:-300000}
declare -A by_runs=() by_paired=()
by_loads=(open getppid)
if command -v sqlite3 >/dev/null 2>&1; then
	by_loads+=(sqlite)
	{
		printf 'PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n'
		printf 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n'
		for ((i = 0; i < sqlite_rows; i++)); do
			printf "INSERT INTO t(v) VALUES('row %d, a bystander of faultline');\n" "$i"
		done
	} >"$tmp/by.sql"
fi
for ((r = 0; r < reps; r++)); do
	note "bench (a): bystander round $((r + 1))/$reps"
	by_round open "$r" fl_bench_raw_tp armed fl_bench_tp_fsync fl_bench_tp_btf || exit 1
	by_round getppid "$r" fl_bench_raw_tp armed fl_bench_tp_fsync || exit 1
	if [[ ${by_loads[2]:-} == sqlite ]]; then
		by_round sqlite "$r" armed fl_bench_tp_fsync fl_bench_raw_tp || exit 1
	fi
done
# shellcheck disable=SC2206 # the lists are numbers, split on purpose
{
	armed=(${by_runs[open:armed]})
	p_armed=(${by_paired[open:armed]})
	by_nat=(${by_runs[open:native]})
}
# (f) One window of FL_BENCH_STALL_S seconds: the bystander's fsync count and
# slowest call (us) while a target fsyncs in a loop, under RULE or none ("-").
stall_s=${FL_BENCH_STALL_S:-3}
stall_run() {
	local rule=$1 tp fp='' out
	"$build/targets/fl-errno-seq" fsync 1000000000 "$tmp/stall-t" >/dev/null &
	tp=$!
	if [[ $rule != - ]]; then
		"$faultline" syscall --json --for "$((stall_s + 2))s" "$rule" --pid "$tp" \
			>"$tmp/stall-fl.out" 2>/dev/null &
		fp=$!
		sleep 0.5
	fi
	timeout "${stall_s}s" "$build/targets/fl-errno-seq" -t fsync 1000000000 "$tmp/stall-b" \
		>"$tmp/stall-b.out"
	kill "$tp" 2>/dev/null
	wait "$tp" 2>/dev/null
	[[ -n $fp ]] && wait "$fp" 2>/dev/null
	out=$(awk '{ n++; if ($3 > m) m = $3 } END { printf "%d %d", n, m }' "$tmp/stall-b.out")
	if [[ -n $fp ]] && ! grep -q '"injected":[1-9]' "$tmp/stall-fl.out"; then
		note "bench (f): '$rule' injected nothing: $(tail -c 300 "$tmp/stall-fl.out")"
	fi
	printf '%s\n' "$out"
}
stall_nat=() stall_spin=() stall_stop=() stall_nat_max=() stall_spin_max=() stall_stop_max=()
note "bench (f): bystander fsync stalls, $stall_s s windows"
for ((r = 1; r <= 3; r++)); do
	read -r c m < <(stall_run -); stall_nat+=("$c"); stall_nat_max+=("$m")
	read -r c m < <(stall_run 'fsync:delay=2ms'); stall_spin+=("$c"); stall_spin_max+=("$m")
	read -r c m < <(stall_run -); stall_nat+=("$c"); stall_nat_max+=("$m")
	read -r c m < <(stall_run 'fsync:delay=100ms'); stall_stop+=("$c"); stall_stop_max+=("$m")
done
m_stall_nat=$(median "${stall_nat[@]}")
m_stall_spin=$(median "${stall_spin[@]}")
m_stall_stop=$(median "${stall_stop[@]}")
r_stall_spin=$(awk -v a="$m_stall_spin" -v b="$m_stall_nat" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
r_stall_stop=$(awk -v a="$m_stall_stop" -v b="$m_stall_nat" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
mx_stall_nat=$(median "${stall_nat_max[@]}")
mx_stall_spin=$(median "${stall_spin_max[@]}")
mx_stall_stop=$(median "${stall_stop_max[@]}")

bench_s=$(awk -v a="$bench_start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

m_nat=$(median "${nat_a[@]}" "${nat_b[@]}" "${nat_c[@]}" "${nat_d[@]}" ${nat_e[@]+"${nat_e[@]}"})
m_armed=$(median "${armed[@]}")
m_target=$(median "${target[@]}")
m_sec=$(median "${sec[@]}")
m_small=$(median "${nat_small[@]}")
m_st=$(median "${st[@]}")
m_st_sec=$(median "${st_sec[@]}")
m_probe=$(median "${probe[@]}")
m_fiu=
((have_fiu)) && m_fiu=$(median "${fiu[@]}")

# "x native": medians of the paired per-round ratios.
ratio() {
	awk -v r="$(median "$@")" 'BEGIN { printf "%.3f", r }'
}
r_noise=$(ratio "${p_noise[@]}")
r_armed=$(ratio "${p_armed[@]}")
r_target=$(ratio "${p_target[@]}")
r_sec=$(ratio "${p_sec[@]}")
r_st=$(ratio "${p_st[@]}")
r_st_sec=$(ratio "${p_st_sec[@]}")
r_fiu=
((have_fiu)) && r_fiu=$(ratio "${p_fiu[@]}")
# "x strace", "x fiu-run": ns per iteration against the reference's; "-" without one.
vs() {
	if [[ -z $2 ]]; then
		printf -- '-'
	else
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
	fi
}
# Verdicts against the targets of the project issue.
verdict() {
	awk -v r="$1" -v max="$2" 'BEGIN { print (r <= max) ? "met" : "MISSED" }'
}
v_armed=$(verdict "$r_armed" 1.02)
# margin: per round, faultline's ratio minus the floor's (same hook), median.
margin_of() {
	# shellcheck disable=SC2206 # lists of numbers, split on purpose
	local -a a=($1) b=($2) d=()
	for ((k = 0; k < ${#a[@]}; k++)); do
		d+=("$(awk -v x="${a[k]}" -v y="${b[k]}" 'BEGIN { printf "%.4f", x - y }')")
	done
	awk -v r="$(median "${d[@]}")" 'BEGIN { printf "%.3f", r }'
}
# by_fig LOAD VARIANT: "median ratio" of a variant of a load.
by_fig() {
	# shellcheck disable=SC2086
	printf '%s %s' "$(median ${by_runs[$1:$2]})" "$(ratio ${by_paired[$1:$2]})"
}
# Faultline's hook for the bench's fsync rule is the fsync tracepoint: its floor.
m_by_nat=$(median "${by_nat[@]}")
read -r _ r_floor < <(by_fig open fl_bench_tp_fsync)
by_margin=$(margin_of "${by_paired[open:armed]}" "${by_paired[open:fl_bench_tp_fsync]}")
if [[ -n ${by_runs[sqlite:armed]:-} ]]; then
	read -r _ r_sq_armed < <(by_fig sqlite armed)
	read -r _ r_sq_floor < <(by_fig sqlite fl_bench_tp_fsync)
	sq_margin=$(margin_of "${by_paired[sqlite:armed]}" "${by_paired[sqlite:fl_bench_tp_fsync]}")
	v_sq=$(verdict "$r_sq_armed" 1.01)
fi
declare -A by_label=([native]="native"
	[fl_bench_raw_tp]="empty raw_tracepoint/sys_enter"
	[fl_bench_tp_fsync]="empty tracepoint syscalls/sys_enter_fsync"
	[fl_bench_tp_btf]="empty tp_btf/sys_enter"
	[armed]="faultline armed on another process")
declare -A by_unit=([open]="CPU ns per open+close" [getppid]="CPU ns per getppid"
	[sqlite]="CPU ms per $sqlite_rows inserts")
v_target=$(verdict "$r_target" 1.20)
# Issue 17: the seccomp path at least 10x cheaper than strace --inject.
sec_vs_st=$(vs "$m_sec" "$m_st")
v_sec=$(verdict "$sec_vs_st" 0.10)
cheaper_st=$(awk -v a="$m_st" -v b="$m_sec" 'BEGIN { printf "%.1f", a / b }')
cheaper_st_sec=$(awk -v a="$m_st_sec" -v b="$m_sec" 'BEGIN { printf "%.1f", a / b }')
# min/median/max of a list, for the spread of per-round ratios.
spread() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s %.2f %s", v[1], m, v[NR] }'
}
read -r cs_min cs_med cs_max < <(spread "${c_sec[@]}")
if ((have_static)); then
	m_nat_s=$(median "${nat_s[@]}")
	m_ik=$(median "${ik[@]}")
	m_w1=$(median "${w1[@]}")
	m_st_ik=$(median "${st_ik[@]}")
	m_st_w1=$(median "${st_w1[@]}")
	r_ik=$(ratio "${p_ik[@]}")
	r_w1=$(ratio "${p_w1[@]}")
	read -r ci_min ci_med ci_max < <(spread "${c_ik[@]}")
	read -r cw_min cw_med cw_max < <(spread "${c_w1[@]}")
	# Met when even the worst round was 10x cheaper than strace.
	v_ik=$(awk -v r="$ci_min" 'BEGIN { print (r >= 10) ? "met" : "MISSED" }')
	v_w1=$(awk -v r="$cw_min" 'BEGIN { print (r >= 10) ? "met" : "MISSED" }')
fi

# --- figures for make bench's results.json (tools/bench-lib.sh) ---------------
# Spread of a list of per-round ratios: "min max".
min_max() { read -r a _ b < <(spread "$@"); printf '%s %s' "$a" "$b"; }
# shellcheck disable=SC2046 # min_max gives two words on purpose
bench_figure syscall "bystander open+close, $bystander_rule armed on another process" \
	"$m_armed" "CPU ns/iter" native "$m_by_nat" "$r_armed" lower 1.02 \
	$(min_max "${p_armed[@]}") "floor (an empty program on its hook) $r_floor; faultline minus the floor per round, median: $by_margin"
for load in "${by_loads[@]}"; do
	for var in fl_bench_raw_tp fl_bench_tp_fsync fl_bench_tp_btf armed; do
		[[ -n ${by_runs[$load:$var]:-} ]] || continue
		[[ $load == open && $var == armed ]] && continue
		read -r m rr < <(by_fig "$load" "$var")
		goal=
		[[ $load == sqlite && $var == armed ]] && goal=1.01
		# shellcheck disable=SC2046,SC2086
		bench_figure syscall "bystander $load: ${by_label[$var]}" "$m" "${by_unit[$load]}" \
			native "$(median ${by_runs[$load:native]})" "$rr" lower "$goal" \
			$(min_max ${by_paired[$load:$var]})
	done
done
# shellcheck disable=SC2046
bench_figure syscall "target in-kernel: $target_rule (never fires)" "$m_target" ns/iter native \
	"$m_nat" "$r_target" lower 1.20 $(min_max "${p_target[@]}")
bench_figure syscall "seccomp-notify target $seccomp_rule: times cheaper than strace --inject" \
	"$m_sec" ns/iter "strace --inject" "$m_st" "$cs_med" higher 10 "$cs_min" "$cs_max" \
	"per round, strace in the same round"
if ((have_static)); then
	bench_figure syscall "filter answers $ik_rule: times cheaper than strace --inject" \
		"$m_ik" ns/iter "strace --inject, same rule" "$m_st_ik" "$ci_med" higher 10 \
		"$ci_min" "$ci_max" "static loop; per round"
	bench_figure syscall "$w1_rule after its firing: times cheaper than strace --inject" \
		"$m_w1" ns/iter "strace --inject, same rule" "$m_st_w1" "$cw_med" higher 10 \
		"$cw_min" "$cw_max" "static loop; per round"
fi
# shellcheck disable=SC2046
bench_figure syscall "faultline probe, wall time" "$m_probe" ms "" "" "$m_probe" lower 500 \
	$(min_max "${probe[@]}")
bench_figure syscall "bystander fsyncs while another's are delayed 2 ms (in-kernel spin)" \
	"$m_stall_spin" calls native "$m_stall_nat" "$r_stall_spin" higher "" "" "" \
	"slowest call $mx_stall_spin us (native $mx_stall_nat)"

# --- report ------------------------------------------------------------------
m_mid=$(median "${nat_b[@]}")
m_outer=$(median "${nat_a[@]}" "${nat_c[@]}")
fiu_note='skipped: fiu-run not installed (Debian package fiu-utils; tools/install-deps.sh)'

if ((json)); then
	list() {
		local IFS=,
		printf '[%s]' "$*"
	}
	num_or_null() {
		if [[ $1 == - || -z $1 ]]; then printf 'null'; else printf '%s' "$1"; fi
	}
	# name ns baseline_ns ratio runs baseline_runs paired [target verdict]
	row() {
		printf '    {"name": %s, "ns_per_iter": %s, "baseline_ns_per_iter": %s, "ratio": %s,\n' \
			"$(json_str "$1")" "$2" "$3" "$4"
		printf '     "vs_strace": %s, "vs_fiu_run": %s,\n' \
			"$(num_or_null "$(vs "$2" "$m_st")")" "$(num_or_null "$(vs "$2" "$m_fiu")")"
		printf '     "runs": %s, "baseline_runs": %s, "paired_ratios": %s' "$5" "$6" "$7"
		if [[ $# -ge 9 ]]; then
			printf ', "target_ratio": %s, "verdict": %s' "$8" "$(json_str "$9")"
		fi
		printf '%s}' "${row_extra:-}"
	}
	natives=$(list "${nat_a[@]}" "${nat_b[@]}" "${nat_c[@]}" "${nat_d[@]}" \
		${nat_e[@]+"${nat_e[@]}"})
	printf '{\n  "machine": {"kernel": %s, "cpu": %s, "nproc": %s,\n' \
		"$(json_str "$kernel")" "$(json_str "$cpu")" "$ncpu"
	printf '    "loadavg_start": %s, "loadavg_end": %s, "busy_processes": %s, "spectre_v2": %s},\n' \
		"$(json_str "$load_start")" "$(json_str "$load_end")" \
		"$(json_str "${busy:-none}")" "$(json_str "$spectre")"
	printf '  "repetitions": %s, "iterations": %s, "tracer_iterations": %s,\n' \
		"$reps" "$iters" "$tracer_iters"
	printf '  "statistic": %s,\n' "$(json_str "median; ratio = median of per-round run / \
mean of the native runs around it; vs_* = median ns per iteration / the reference's")"
	printf '  "seconds": %s,\n  "benchmarks": [\n' "$bench_s"
	row "noise floor: native vs native" "$m_mid" "$m_outer" "$r_noise" \
		"$(list "${nat_b[@]}")" "$(list "${nat_a[@]}" "${nat_c[@]}")" "$(list "${p_noise[@]}")"
	printf ',\n'
	# (a) is in CPU ns per iteration, against its own native runs.
	row_extra=$(printf ',\n     "clock": "cpu", "floor_ratio": %s, "margin_over_floor": %s' \
		"$r_floor" "$by_margin")
	m_st_keep=$m_st m_fiu_keep=$m_fiu m_st='' m_fiu=''
	row "bystander: faultline $bystander_rule armed on another process" "$m_armed" \
		"$m_by_nat" "$r_armed" "$(list "${armed[@]}")" "$(list "${by_nat[@]}")" \
		"$(list "${p_armed[@]}")" 1.02 "$v_armed"
	for load in "${by_loads[@]}"; do
		for var in fl_bench_raw_tp fl_bench_tp_fsync fl_bench_tp_btf armed; do
			[[ -n ${by_runs[$load:$var]:-} ]] || continue
			[[ $load == open && $var == armed ]] && continue
			row_extra=$(printf ',\n     "clock": "cpu", "unit": %s' \
				"$(json_str "${by_unit[$load]}")")
			by_target=()
			if [[ $var == armed ]]; then
				row_extra+=$(printf ', "margin_over_floor": %s' "$(margin_of \
					"${by_paired[$load:armed]}" "${by_paired[$load:fl_bench_tp_fsync]}")")
				[[ $load == sqlite ]] && by_target=(1.01 "$v_sq")
			fi
			read -r m rr < <(by_fig "$load" "$var")
			printf ',\n'
			# shellcheck disable=SC2086
			row "bystander $load: ${by_label[$var]}" "$m" "$(median ${by_runs[$load:native]})" \
				"$rr" "$(list ${by_runs[$load:$var]})" "$(list ${by_runs[$load:native]})" \
				"$(list ${by_paired[$load:$var]})" ${by_target[@]+"${by_target[@]}"}
		done
	done
	row_extra=
	m_st=$m_st_keep m_fiu=$m_fiu_keep
	printf ',\n'
	row "target, in-kernel: faultline $target_rule (matches every openat, never fires)" \
		"$m_target" "$m_nat" "$r_target" "$(list "${target[@]}")" "$natives" \
		"$(list "${p_target[@]}")" 1.20 "$v_target"
	printf ',\n'
	row_extra=$(printf ',\n     "vs_strace_target": 0.10, "vs_strace_verdict": %s, %s %s, %s %s' \
		"$(json_str "$v_sec")" '"times_cheaper_than_strace":' "$cheaper_st" \
		'"times_cheaper_than_strace_seccomp_bpf":' "$cheaper_st_sec")
	row "target, seccomp: faultline --mechanism seccomp-notify $seccomp_rule" "$m_sec" \
		"$m_nat" "$r_sec" "$(list "${sec[@]}")" "$natives" "$(list "${p_sec[@]}")"
	row_extra=
	if ((have_fiu)); then
		printf ',\n'
		row "fiu-run -x -c '$fiu_cmd'" "$m_fiu" "$m_nat" "$r_fiu" \
			"$(list "${fiu[@]}")" "$natives" "$(list "${p_fiu[@]}")"
	fi
	printf ',\n'
	row "strace -o /dev/null --inject=$strace_inject" "$m_st" "$m_small" "$r_st" \
		"$(list "${st[@]}")" "$(list "${nat_small[@]}")" "$(list "${p_st[@]}")"
	printf ',\n'
	row "strace -o /dev/null -f --seccomp-bpf -e trace=openat --inject=$strace_inject" \
		"$m_st_sec" "$m_small" "$r_st_sec" "$(list "${st_sec[@]}")" \
		"$(list "${nat_small[@]}")" "$(list "${p_st_sec[@]}")"
	if ((have_static)); then
		printf ',\n'
		row_extra=$(printf ',\n     "own_strace_ns_per_iter": %s, "times_cheaper_than_own_strace": {"min": %s, "median": %s, "max": %s, "runs": %s}, "vs_strace_verdict": %s' \
			"$m_st_ik" "$ci_min" "$ci_med" "$ci_max" "$(list "${c_ik[@]}")" "$(json_str "$v_ik")")
		row "target, seccomp filter in the kernel: faultline $ik_rule (static loop, every open fails)" \
			"$m_ik" "$m_nat_s" "$r_ik" "$(list "${ik[@]}")" "$(list "${nat_s[@]}")" \
			"$(list "${p_ik[@]}")"
		printf ',\n'
		row_extra=$(printf ',\n     "own_strace_ns_per_iter": %s, "times_cheaper_than_own_strace": {"min": %s, "median": %s, "max": %s, "runs": %s}, "vs_strace_verdict": %s' \
			"$m_st_w1" "$cw_min" "$cw_med" "$cw_max" "$(list "${c_w1[@]}")" "$(json_str "$v_w1")")
		row "target, seccomp after the last firing: faultline $w1_rule (static loop)" \
			"$m_w1" "$m_nat_s" "$r_w1" "$(list "${w1[@]}")" "$(list "${nat_s[@]}")" \
			"$(list "${p_w1[@]}")"
		row_extra=
		printf ',\n'
		row "strace -o /dev/null --inject=$ik_rule (static loop)" "$m_st_ik" "$m_nat_s" \
			null "$(list "${st_ik[@]}")" "$(list "${nat_s[@]}")" "[]"
		printf ',\n'
		row "strace -o /dev/null --inject=$w1_rule (static loop)" "$m_st_w1" "$m_nat_s" \
			null "$(list "${st_w1[@]}")" "$(list "${nat_s[@]}")" "[]"
	fi
	printf '\n  ],\n'
	printf '  "seccomp_notify_times_cheaper_than_strace": {"min": %s, "median": %s, "max": %s, "runs": %s},\n' \
		"$cs_min" "$cs_med" "$cs_max" "$(list "${c_sec[@]}")"
	printf '  "static_loop": %s,\n' "$(json_str "${static_note:-measured}")"
	printf '  "in_kernel_check": %s, "when1_check": %s,\n' "$(json_str "$ik_check")" \
		"$(json_str "$w1_check")"
	if ((have_fiu)); then
		printf '  "fiu_run": "measured",\n'
	else
		printf '  "fiu_run": %s,\n' "$(json_str "$fiu_note")"
	fi
	printf '  "target_summary_check": %s,\n' "$(json_str "$target_check")"
	printf '  "seccomp_summary_check": %s,\n' "$(json_str "$seccomp_check")"
	printf '  "probe_wall_ms": {"median": %s, "runs": %s},\n' "$m_probe" "$(list "${probe[@]}")"
	printf '  "bystander_stalls": {"window_s": %s, "native_calls": %s, "native_max_us": %s,\n' \
		"$stall_s" "$m_stall_nat" "$mx_stall_nat"
	printf '    "spin_2ms": {"calls": %s, "ratio": %s, "max_us": %s, "runs": %s},\n' \
		"$m_stall_spin" "$r_stall_spin" "$mx_stall_spin" "$(list "${stall_spin[@]}")"
	printf '    "sigstop_100ms": {"calls": %s, "ratio": %s, "max_us": %s, "runs": %s}}\n}\n' \
		"$m_stall_stop" "$r_stall_stop" "$mx_stall_stop" "$(list "${stall_stop[@]}")"
	exit 0
fi

printf '\nfaultline bench: fl-open-loop (open + close of /dev/null), %d interleaved rounds\n\n' "$reps"
printf '  kernel       %s\n' "$kernel"
printf '  cpu          %s x %s\n' "$ncpu" "$cpu"
printf '  load average %s at start, %s at end\n' "$load_start" "$load_end"
printf '  busy now     %s\n' "${busy:-none (no other process used 25% of a CPU or more)}"
printf '  spectre_v2   %s\n\n' "$spectre"

trow() {
	printf '  %-46s %9s %9s %9s %9s  %s\n' "$@"
}
trow "ns per iteration (median), N=$iters" "measured" "x native" "x strace" "x fiu-run" \
	"target"
trow "----------------------------------------------" "--------" "--------" "--------" \
	"---------" "------"
trow "noise floor: native vs native" "$m_mid" "$r_noise" "$(vs "$m_mid" "$m_st")" \
	"$(vs "$m_mid" "$m_fiu")" "-"
trow "native" "$m_nat" "1.000" "$(vs "$m_nat" "$m_st")" "$(vs "$m_nat" "$m_fiu")" "-"
trow "(a) bystander, rule armed on another process" "$m_armed" "$r_armed" "-" "-" \
	"<= 1.02x native: $v_armed"
trow "(b) target, in-kernel, matching, never firing" "$m_target" "$r_target" \
	"$(vs "$m_target" "$m_st")" "$(vs "$m_target" "$m_fiu")" "<= 1.20x native: $v_target"
trow "(c) target, seccomp-notify, never injecting" "$m_sec" "$r_sec" "$sec_vs_st" \
	"$(vs "$m_sec" "$m_fiu")" "<= 0.10x strace: $v_sec"
if ((have_fiu)); then
	trow "(d) fiu-run -x, open failpoint probability 0" "$m_fiu" "$r_fiu" \
		"$(vs "$m_fiu" "$m_st")" "1.000" "reference"
else
	printf '  %-46s %s\n' "(d) fiu-run" "$fiu_note"
fi
trow "(d) strace --inject, N=$tracer_iters" "$m_st" "$r_st" "1.000" "$(vs "$m_st" "$m_fiu")" \
	"reference"
trow "(d) strace -f --seccomp-bpf, N=$tracer_iters" "$m_st_sec" "$r_st_sec" \
	"$(vs "$m_st_sec" "$m_st")" "$(vs "$m_st_sec" "$m_fiu")" "reference"
if ((have_static)); then
	trow "(c) in-kernel filter, $ik_rule" "$m_ik" "$r_ik" "$(vs "$m_ik" "$m_st_ik")" "-" \
		">= 10x cheaper: $v_ik"
	trow "(c) $w1_rule, after its firing" "$m_w1" "$r_w1" "$(vs "$m_w1" "$m_st_w1")" "-" \
		">= 10x cheaper: $v_w1"
	trow "(d) strace --inject=$ik_rule, N=$tracer_iters" "$m_st_ik" "-" "1.000" "-" "reference"
	trow "(d) strace --inject=$w1_rule, N=$tracer_iters" "$m_st_w1" "-" "1.000" "-" \
		"reference"
else
	printf '  %-46s %s\n' "(c) in-kernel and when=1 rows" "$static_note"
fi
printf '  %-46s %9s ms\n' "(e) faultline probe, wall time" "$m_probe"
printf '  %-46s %9s calls, slowest %s us\n' "(f) bystander fsyncs in ${stall_s} s, native" \
	"$m_stall_nat" "$mx_stall_nat"
printf '  %-46s %9s calls (%sx native), slowest %s us\n' \
	"(f) ... target spins delay=2ms each fsync" "$m_stall_spin" "$r_stall_spin" "$mx_stall_spin"
printf '  %-46s %9s calls (%sx native), slowest %s us\n' \
	"(f) ... target delay=100ms (sigstop)" "$m_stall_stop" "$r_stall_stop" "$mx_stall_stop"
printf '\n  bystanders, CPU time (median) and x native (median of paired ratios), %d rounds:\n' \
	"$reps"
printf '  %-44s %18s %18s %18s\n' "" "open+close ns/iter" "getppid ns/call" \
	"sqlite3 ms/${sqlite_rows}"
for var in native fl_bench_raw_tp fl_bench_tp_fsync fl_bench_tp_btf armed; do
	line=$(printf '  %-44s' "${by_label[$var]}")
	for load in open getppid sqlite; do
		if [[ -z ${by_runs[$load:$var]:-} ]]; then
			line+=$(printf ' %18s' "-")
		elif [[ $var == native ]]; then
			# shellcheck disable=SC2086
			line+=$(printf ' %18s' "$(median ${by_runs[$load:native]})")
		else
			read -r m rr < <(by_fig "$load" "$var")
			line+=$(printf ' %9s %7sx' "$m" "$rr")
		fi
	done
	printf '%s\n' "$line"
done
for var in fl_bench_raw_tp fl_bench_tp_fsync armed; do
	# shellcheck disable=SC2086
	printf '  getppid: %-44s %+.1f ns per syscall\n' "${by_label[$var]}" \
		"$(awk -v a="$(median ${by_runs[getppid:$var]})" \
			-v b="$(median ${by_runs[getppid:native]})" 'BEGIN { print a - b }')"
done
# The margin is the median of per-round differences, not the difference of
# the medians: under noise the two part.
printf '  (a) open+close: faultline %sx, floor %sx (an empty program on its hook);\n' \
	"$r_armed" "$r_floor"
printf '      faultline minus the floor per round, median: %s\n' "$by_margin"
printf '      <= 1.02x native: %s\n' "$v_armed"
if [[ -n ${by_runs[sqlite:armed]:-} ]]; then
	printf '  (g) sqlite3 %s inserts: faultline %sx, floor %sx, per-round margin %s; <= 1.01x native: %s\n' \
		"$sqlite_rows" "$r_sq_armed" "$r_sq_floor" "$sq_margin" "$v_sq"
else
	printf '  (g) sqlite3 bystander: skipped, sqlite3 is not installed\n'
fi
printf '\n'
printf '  seccomp path: %sx cheaper than strace --inject, %sx cheaper than strace --seccomp-bpf\n' \
	"$cheaper_st" "$cheaper_st_sec"
printf '  times cheaper than strace, per round, min/median/max: (c) notify %s/%s/%s' \
	"$cs_min" "$cs_med" "$cs_max"
if ((have_static)); then
	printf ', in-kernel %s/%s/%s, when=1 %s/%s/%s' "$ci_min" "$ci_med" "$ci_max" \
		"$cw_min" "$cw_med" "$cw_max"
fi
printf '\n'
printf '  (c) in-kernel and when=1 rows: a static fl-open-loop, x native against its native runs,\n'
printf '      x strace against strace --inject with the same rule on the same loop\n'
printf '  x native: median over the rounds of (run / mean of the native runs around it)\n'
printf '  x strace, x fiu-run: median ns per iteration / the reference'"'"'s (strace: N=%s)\n' \
	"$tracer_iters"
printf '  (a) faultline syscall '"'"'%s'"'"' -- sleep 60, loop is no target; CPU ns\n' \
	"$bystander_rule"
printf '      per iteration against native runs of its own block: floor %sx, per-round margin %s\n' \
	"$r_floor" "$by_margin"
printf '  (b) faultline syscall '"'"'%s'"'"' -- fl-open-loop %s\n' "$target_rule" "$iters"
printf '  (c) faultline syscall --mechanism seccomp-notify '"'"'%s'"'"' -- fl-open-loop %s\n' \
	"$seccomp_rule" "$iters"
printf '  (d) fiu-run -x -c '"'"'%s'"'"'; strace --inject=%s fires only when N >= 65535\n' \
	"$fiu_cmd" "$strace_inject"
[[ $target_check != ok ]] && printf '  WARNING (b): %s\n' "$target_check"
[[ $seccomp_check != ok ]] && printf '  WARNING (c): %s\n' "$seccomp_check"
[[ $ik_check != ok ]] && printf '  WARNING (c) in-kernel: %s\n' "$ik_check"
[[ $w1_check != ok ]] && printf '  WARNING (c) when=1: %s\n' "$w1_check"
printf '  paired ratios (a) %s\n' "${p_armed[*]}"
printf '  paired ratios (a) floor %s\n' "${by_paired[open:fl_bench_tp_fsync]}"
[[ -n ${by_runs[sqlite:armed]:-} ]] && printf '  paired ratios (g) %s; floor %s\n' \
	"${by_paired[sqlite:armed]}" "${by_paired[sqlite:fl_bench_tp_fsync]}"
printf '  paired ratios (b) %s\n' "${p_target[*]}"
printf '  paired ratios (c) %s\n' "${p_sec[*]}"
((have_fiu)) && printf '  paired ratios (d) fiu-run %s\n' "${p_fiu[*]}"
printf '  paired ratios noise %s\n' "${p_noise[*]}"
printf '  %s s in all\n' "$bench_s"
exit 0
