#!/bin/bash
# What a syscall hook costs bystanders on a kernel that allows fentry:
# Debian's kernel under qemu (tools/vmtest), since this host refuses fentry.
#
#   usage: tools/bench-vm-hooks.sh [BUILD_DIR]
#
# In the guest, rounds of two loads, fl-getppid-loop (20,000 getppid) and
# fl-open-loop (4,000 open + close), each run natively and under one empty
# program (bpf/bench_empty.bpf.c, held by fl-bpf-hook) on each hook a
# sys_enter rule could use: fentry on __x64_sys_fsync (a trampoline on that
# function alone), the fsync tracepoint and raw sys_enter (both set the
# syscall-trace work on every task), a native run between any two. The
# figure is the loop's CPU time per iteration, each hook's run divided by
# the mean of the native runs on either side, the median over the rounds
# with its range. qemu TCG on a shared host spreads a lot: a hook that
# costs bystanders nothing sits at 1 within that range.
#
# Two more rows are faultline's own crash point, `faultline syscall
# fsync:signal=SIGKILL --pid` on a sleeping process, while the loads run
# as bystanders: on fentry (what faultline picks where fentry loads) and
# on the fsync tracepoint (--hook tracepoint, what it
# picks where fentry is refused). The console says which hook each took.
#
# Environment: FL_BENCH_VM_ROUNDS (default 7), FL_BENCH_VM_HOOKS (the rows,
# default all: fl_fentry fl_tp fl_bench_fentry_fsync fl_bench_tp_fsync
# fl_bench_raw_tp), and tools/vmtest's.
set -euo pipefail

build=${1:-build}
rounds=${FL_BENCH_VM_ROUNDS:-7}
hooks=${FL_BENCH_VM_HOOKS:-fl_fentry fl_tp fl_bench_fentry_fsync fl_bench_tp_fsync fl_bench_raw_tp}
for h in $hooks; do
	case $h in
	fl_fentry | fl_tp | fl_bench_fentry_fsync | fl_bench_tp_fsync | fl_bench_raw_tp) ;;
	*) echo "bench-vm-hooks: FL_BENCH_VM_HOOKS: unknown row '$h'" >&2; exit 2 ;;
	esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench-vm-hooks: FL_BENCH_VM_ROUNDS must be a positive integer" >&2; exit 2; }
[[ -x $build/faultline ]] || { echo "bench-vm-hooks: $build/faultline missing: run make" >&2; exit 1; }
for t in fl-bpf-hook fl-getppid-loop fl-open-loop; do
	[[ -x $build/targets/$t ]] || { echo "bench-vm-hooks: $build/targets/$t missing: run make" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/fl-bench-vm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/none.list"

# The guest's part: busybox sh, results on the console as "RES LOAD HOOK NS".
guest=$(cat <<GUEST
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
run() {
	rm -f /tmp/h.out /tmp/h.err
	case "\$1" in
	native) ;;
	fl_fentry | fl_tp)
		# The crash point armed on another process; the loop is a bystander.
		hk=fentry; [ "\$1" = fl_tp ] && hk=tracepoint
		sleep 3600 & sp=\$!
		./build/faultline syscall --hook \$hk fsync:signal=SIGKILL --pid \$sp > /tmp/h.out 2> /tmp/h.err & hp=\$!
		i=0
		while ! grep -q armed /tmp/h.err 2>/dev/null && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
		echo "HOOK \$1 \$(grep -o 'on [a-z-]*)' /tmp/h.err)"
		;;
	*)
		./build/targets/fl-bpf-hook "\$1" > /tmp/h.out 2> /tmp/h.err & hp=\$!
		i=0
		while ! grep -q attached /tmp/h.out 2>/dev/null && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
		;;
	esac
	if [ "\$2" = getppid ]; then ./build/targets/fl-getppid-loop 20000; else ./build/targets/fl-open-loop 4000; fi |
		awk -v v="\$1" -v l="\$2" '\$1 == "iterations" { print "RES", l, v, \$10 }'
	case "\$1" in
	native) ;;
	fl_fentry | fl_tp) kill -TERM \$hp; wait \$hp; kill \$sp; wait \$sp ;;
	*) kill -TERM \$hp; wait \$hp ;;
	esac
}
r=0
while [ \$r -lt $rounds ]; do
	for l in getppid open; do
		run native \$l
		for v in $hooks; do run \$v \$l; run native \$l; done
	done
	r=\$((r + 1))
done
GUEST
)
echo "bench-vm-hooks: $rounds rounds in the VM (a few minutes under TCG); load $(cut -d' ' -f1-3 /proc/loadavg)"
BUILD=$build VMTEST_TESTS=$tmp/none.list VMTEST_QUIET=1 VMTEST_EXEC=$guest ./tools/vmtest/vmtest >"$tmp/vm.out" 2>&1 ||
	{ tail -n 20 "$tmp/vm.out" >&2; echo "bench-vm-hooks: the VM run failed" >&2; exit 1; }
grep -a '^HOOK ' "$build/vm/console.log" | tr -d '\r' | sort | uniq -c || true
grep -a '^RES ' "$build/vm/console.log" | tr -d '\r' | python3 -c '
import statistics as st, sys
seq = [l.split()[1:] for l in sys.stdin]
names = {"fl_fentry": "faultline fsync crash point, fentry",
         "fl_tp": "faultline fsync crash point, tracepoint",
         "fl_bench_fentry_fsync": "fentry __x64_sys_fsync",
         "fl_bench_tp_fsync": "tracepoint sys_enter_fsync",
         "fl_bench_raw_tp": "raw_tracepoint sys_enter"}
for load in ("getppid", "open"):
    runs = [(h, float(ns)) for l, h, ns in seq if l == load]
    nat = [ns for h, ns in runs if h == "native"]
    if not nat:
        sys.exit("bench-vm-hooks: no %s results in the console log" % load)
    print("%-8s native %8.1f ns/iter median (%d runs, %.1f-%.1f)" % (load, st.median(nat), len(nat), min(nat), max(nat)))
    for hook, name in names.items():
        # Each hook run against the mean of the native runs on either side.
        paired = [ns / ((runs[i - 1][1] + runs[i + 1][1]) / 2)
                  for i, (h, ns) in enumerate(runs)
                  if h == hook and 0 < i < len(runs) - 1 and
                  runs[i - 1][0] == "native" and runs[i + 1][0] == "native"]
        if not paired:
            print("  %-40s no result (refused or not run)" % name)
            continue
        print("  %-40s %.3fx native (median of %d paired rounds, %.3f-%.3f)" %
              (name, st.median(paired), len(paired), min(paired), max(paired)))
'
echo "bench-vm-hooks: load $(cut -d' ' -f1-3 /proc/loadavg)"
