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
# Environment: FL_BENCH_VM_ROUNDS (default 7), and tools/vmtest's.
set -euo pipefail

build=${1:-build}
rounds=${FL_BENCH_VM_ROUNDS:-7}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench-vm-hooks: FL_BENCH_VM_ROUNDS must be a positive integer" >&2; exit 2; }
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
	if [ "\$1" != native ]; then
		./build/targets/fl-bpf-hook "\$1" > /tmp/h.out 2> /tmp/h.err & hp=\$!
		i=0
		while ! grep -q attached /tmp/h.out && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done
	fi
	if [ "\$2" = getppid ]; then ./build/targets/fl-getppid-loop 20000; else ./build/targets/fl-open-loop 4000; fi |
		awk -v v="\$1" -v l="\$2" '\$1 == "iterations" { print "RES", l, v, \$10 }'
	if [ "\$1" != native ]; then kill -TERM \$hp; wait \$hp; fi
}
r=0
while [ \$r -lt $rounds ]; do
	for l in getppid open; do
		run native \$l
		for v in fl_bench_fentry_fsync fl_bench_tp_fsync fl_bench_raw_tp; do run \$v \$l; run native \$l; done
	done
	r=\$((r + 1))
done
GUEST
)
echo "bench-vm-hooks: $rounds rounds in the VM (a few minutes under TCG); load $(cut -d' ' -f1-3 /proc/loadavg)"
BUILD=$build VMTEST_TESTS=$tmp/none.list VMTEST_QUIET=1 VMTEST_EXEC=$guest ./tools/vmtest/vmtest >"$tmp/vm.out" 2>&1 ||
	{ tail -n 20 "$tmp/vm.out" >&2; echo "bench-vm-hooks: the VM run failed" >&2; exit 1; }
grep -a '^RES ' "$build/vm/console.log" | tr -d '\r' | python3 -c '
import statistics as st, sys
seq = [l.split()[1:] for l in sys.stdin]
names = {"fl_bench_fentry_fsync": "fentry __x64_sys_fsync",
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
            print("  %-27s no result (refused?)" % name)
            continue
        print("  %-27s %.3fx native (median of %d paired rounds, %.3f-%.3f)" %
              (name, st.median(paired), len(paired), min(paired), max(paired)))
'
echo "bench-vm-hooks: load $(cut -d' ' -f1-3 /proc/loadavg)"
