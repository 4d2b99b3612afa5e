#!/bin/bash
# make bench: measure what faultline costs, side by side with its baseline in
# one run, and print the ratios together with the state of the machine.
#
#   usage: tools/bench.sh [BUILD_DIR] [--json]
#
#   (a) bystander  fl-open-loop natively vs. while a crash point is armed on
#                  another process (the sys_enter program runs, finds no target)
#   (b) target     fl-open-loop launched under a rule that matches every
#                  openat and never fires, vs. native
#   (c) reference  strace --inject on the same loop (and fiu-run if installed)
#   (d) faultline probe wall time
#
# Each round runs native, armed, native, target, native: every measured run
# is compared with the mean of the native runs around it, so a drift in the
# machine's speed hits both sides alike. Times are medians over
# FL_BENCH_REPS rounds (default 7), ratios the medians of the per-round
# ratios. The loop's own clock is used, so the start-up costs of faultline
# or strace stay out of the per-iteration numbers.
# Environment: FL_BENCH_REPS, FL_BENCH_ITERS (default 200000),
# FL_BENCH_TRACER_ITERS (default 20000: strace is 10-20x slower per iteration).
set -u

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
bystander_rule='fsync:signal=SIGKILL:when=65535'
target_rule='openat:signal=SIGKILL:when=4000000000'
strace_inject='openat:error=EPERM:when=65535'
fiu_cmd='enable_random name=posix/io/oc/open,probability=0'
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
for bin in "$faultline" "$loop"; do
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
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	disarm
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

# Start faultline with a rule on a sleeping process and return once the rule
# is live: faultline attaches before it forks, and lets the child exec only
# after its pid is a target, so a child that has exec'd sleep means "armed".
arm() {
	local child exe i
	"$faultline" syscall "$bystander_rule" -- sleep 60 >/dev/null 2>"$tmp/armed.err" &
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
declare -a nat_a=() nat_b=() nat_c=() armed=() target=() st=() st_sec=() nat_small=() fiu=() probe=()
declare -a p_noise=() p_armed=() p_target=() p_st=() p_st_sec=() p_fiu=()
target_check=ok
bench_start=$(date +%s%N)

# a / ((b + c) / 2): a run against the mean of the native runs around it.
paired() {
	awk -v a="$1" -v b="$2" -v c="${3:-$2}" 'BEGIN { printf "%.4f", 2 * a / (b + c) }'
}

for ((r = 1; r <= reps; r++)); do
	note "bench: round $r/$reps"
	# native, armed, native, target, native: each measured run sits between
	# two native ones, so a drift of the machine's speed cancels out.
	v=$(ns_per_iter "$loop" "$iters") || exit 1
	nat_a+=("$v")

	arm || exit 1
	v=$(ns_per_iter "$loop" "$iters") || exit 1
	armed+=("$v")
	disarm
	if ! grep -q 'matched 0  injected 0' "$tmp/armed.err"; then
		note "bench: the bystander rule saw calls it should not have: $(cat "$tmp/armed.err")"
		exit 1
	fi

	v=$(ns_per_iter "$loop" "$iters") || exit 1
	nat_b+=("$v")

	v=$(ns_per_iter "$faultline" syscall "$target_rule" -- "$loop" "$iters") || exit 1
	target+=("$v")
	# Every openat of the loop matched, none was injected.
	if ! awk -v n="$iters" '/^rule 0 / { for (i = 1; i < NF; i++) {
			if ($i == "matched") m = $(i + 1)
			if ($i == "injected") j = $(i + 1) }
			ok = (m >= n && j == 0) } END { exit !ok }' "$tmp/run.err"; then
		target_check="unexpected summary: $(tr '\n' ' ' <"$tmp/run.err")"
	fi

	v=$(ns_per_iter "$loop" "$iters") || exit 1
	nat_c+=("$v")
	p_armed+=("$(paired "${armed[-1]}" "${nat_a[-1]}" "${nat_b[-1]}")")
	p_noise+=("$(paired "${nat_b[-1]}" "${nat_a[-1]}" "${nat_c[-1]}")")
	p_target+=("$(paired "${target[-1]}" "${nat_b[-1]}" "${nat_c[-1]}")")

	# The tracers are ~10-30x slower per call: a shorter loop keeps the run
	# bounded, so they get their own native run of the same length.
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
	if ((have_fiu)); then
		v=$(ns_per_iter fiu-run -x -f '' -c "$fiu_cmd" "$loop" "$tracer_iters") || exit 1
		fiu+=("$v")
		p_fiu+=("$(paired "$v" "${nat_small[-1]}")")
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
bench_s=$(awk -v a="$bench_start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

m_nat=$(median "${nat_a[@]}" "${nat_b[@]}" "${nat_c[@]}")
m_armed=$(median "${armed[@]}")
m_target=$(median "${target[@]}")
m_small=$(median "${nat_small[@]}")
m_st=$(median "${st[@]}")
m_st_sec=$(median "${st_sec[@]}")
m_probe=$(median "${probe[@]}")
m_fiu=
((have_fiu)) && m_fiu=$(median "${fiu[@]}")

# The ratios are medians of the paired per-round ratios.
ratio() {
	awk -v r="$(median "$@")" 'BEGIN { printf "%.3f", r }'
}
r_noise=$(ratio "${p_noise[@]}")
r_armed=$(ratio "${p_armed[@]}")
r_target=$(ratio "${p_target[@]}")
r_st=$(ratio "${p_st[@]}")
r_st_sec=$(ratio "${p_st_sec[@]}")
r_fiu=
((have_fiu)) && r_fiu=$(ratio "${p_fiu[@]}")
# Verdicts against the targets of the project issue.
verdict() {
	awk -v r="$1" -v max="$2" 'BEGIN { print (r <= max) ? "met" : "MISSED" }'
}
v_armed=$(verdict "$r_armed" 1.02)
v_target=$(verdict "$r_target" 1.20)

# --- report ------------------------------------------------------------------
m_mid=$(median "${nat_b[@]}")
m_outer=$(median "${nat_a[@]}" "${nat_c[@]}")
fiu_note='skipped: fiu-run not installed (Debian package fiu-utils)'

if ((json)); then
	list() {
		local IFS=,
		printf '[%s]' "$*"
	}
	# name ns baseline_ns ratio runs baseline_runs paired [target verdict]
	row() {
		printf '    {"name": %s, "ns_per_iter": %s, "baseline_ns_per_iter": %s, "ratio": %s,\n' \
			"$(json_str "$1")" "$2" "$3" "$4"
		printf '     "runs": %s, "baseline_runs": %s, "paired_ratios": %s' "$5" "$6" "$7"
		if [[ $# -ge 9 ]]; then
			printf ', "target_ratio": %s, "verdict": %s' "$8" "$(json_str "$9")"
		fi
		printf '}'
	}
	natives=$(list "${nat_a[@]}" "${nat_b[@]}" "${nat_c[@]}")
	printf '{\n  "machine": {"kernel": %s, "cpu": %s, "nproc": %s,\n' \
		"$(json_str "$kernel")" "$(json_str "$cpu")" "$ncpu"
	printf '    "loadavg_start": %s, "loadavg_end": %s, "busy_processes": %s, "spectre_v2": %s},\n' \
		"$(json_str "$load_start")" "$(json_str "$load_end")" \
		"$(json_str "${busy:-none}")" "$(json_str "$spectre")"
	printf '  "repetitions": %s, "iterations": %s, "tracer_iterations": %s,\n' \
		"$reps" "$iters" "$tracer_iters"
	printf '  "statistic": "median; ratio = median of per-round run / mean of the native runs around it",\n'
	printf '  "seconds": %s,\n  "benchmarks": [\n' "$bench_s"
	row "noise floor: native vs native" "$m_mid" "$m_outer" "$r_noise" \
		"$(list "${nat_b[@]}")" "$(list "${nat_a[@]}" "${nat_c[@]}")" "$(list "${p_noise[@]}")"
	printf ',\n'
	row "bystander: faultline $bystander_rule armed on another process" "$m_armed" "$m_nat" \
		"$r_armed" "$(list "${armed[@]}")" "$natives" "$(list "${p_armed[@]}")" 1.02 "$v_armed"
	printf ',\n'
	row "target: faultline $target_rule (matches every openat, never fires)" "$m_target" \
		"$m_nat" "$r_target" "$(list "${target[@]}")" "$natives" "$(list "${p_target[@]}")" \
		1.20 "$v_target"
	printf ',\n'
	row "strace -o /dev/null --inject=$strace_inject" "$m_st" "$m_small" "$r_st" \
		"$(list "${st[@]}")" "$(list "${nat_small[@]}")" "$(list "${p_st[@]}")"
	printf ',\n'
	row "strace -o /dev/null -f --seccomp-bpf -e trace=openat --inject=$strace_inject" \
		"$m_st_sec" "$m_small" "$r_st_sec" "$(list "${st_sec[@]}")" \
		"$(list "${nat_small[@]}")" "$(list "${p_st_sec[@]}")"
	if ((have_fiu)); then
		printf ',\n'
		row "fiu-run -x -c '$fiu_cmd'" "$m_fiu" "$m_small" "$r_fiu" \
			"$(list "${fiu[@]}")" "$(list "${nat_small[@]}")" "$(list "${p_fiu[@]}")"
	fi
	printf '\n  ],\n'
	if ((have_fiu)); then
		printf '  "fiu_run": "measured",\n'
	else
		printf '  "fiu_run": %s,\n' "$(json_str "$fiu_note")"
	fi
	printf '  "target_summary_check": %s,\n' "$(json_str "$target_check")"
	printf '  "probe_wall_ms": {"median": %s, "runs": %s}\n}\n' "$m_probe" "$(list "${probe[@]}")"
	exit 0
fi

printf '\nfaultline bench: fl-open-loop (open + close of /dev/null), %d interleaved rounds\n\n' "$reps"
printf '  kernel       %s\n' "$kernel"
printf '  cpu          %s x %s\n' "$ncpu" "$cpu"
printf '  load average %s at start, %s at end\n' "$load_start" "$load_end"
printf '  busy now     %s\n' "${busy:-none (no other process used 25%% of a CPU or more)}"
printf '  spectre_v2   %s\n\n' "$spectre"

trow() {
	printf '  %-50s %9s %9s %8s  %s\n' "$@"
}
trow "ns per iteration, median" "measured" "native" "ratio" "target"
trow "--------------------------------------------------" "--------" "------" "-----" "------"
trow "noise floor: native vs native, N=$iters" "$m_mid" "$m_outer" "${r_noise}x" "-"
trow "(a) bystander, rule armed on another process" "$m_armed" "$m_nat" "${r_armed}x" \
	"<= 1.02x $v_armed"
trow "(b) target, openat rule matching, never firing" "$m_target" "$m_nat" "${r_target}x" \
	"<= 1.20x $v_target"
trow "(c) strace --inject, N=$tracer_iters" "$m_st" "$m_small" "${r_st}x" "reference"
trow "(c) strace -f --seccomp-bpf -e trace=openat" "$m_st_sec" "$m_small" "${r_st_sec}x" "reference"
if ((have_fiu)); then
	trow "(c) fiu-run -x, open failpoint at probability 0" "$m_fiu" "$m_small" "${r_fiu}x" "reference"
else
	printf '  %-50s %s\n' "(c) fiu-run" "$fiu_note"
fi
printf '  %-50s %9s ms\n' "(d) faultline probe, wall time" "$m_probe"
printf '\n'
printf '  ratio: median over the rounds of (run / mean of the native runs around it)\n'
printf '  (a) faultline syscall '\''%s'\'' -- sleep 60, loop is no target\n' "$bystander_rule"
printf '  (b) faultline syscall '\''%s'\'' -- fl-open-loop %s\n' "$target_rule" "$iters"
printf '  (c) --inject=%s fires only when N >= 65535\n' "$strace_inject"
[[ $target_check != ok ]] && printf '  WARNING (b): %s\n' "$target_check"
printf '  paired ratios (a) %s\n' "${p_armed[*]}"
printf '  paired ratios (b) %s\n' "${p_target[*]}"
printf '  paired ratios noise %s\n' "${p_noise[*]}"
printf '  %s s in all\n' "$bench_s"
exit 0
