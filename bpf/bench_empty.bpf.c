// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of `make bench`: programs that do nothing, on the hooks a
 * syscall rule could use. Whatever a bystander pays while one of them is
 * attached, it pays for the hook itself, not for faultline's program
 * (tools/bench.sh attaches one at a time with fl-bpf-hook).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* The hook bpf/syscall.bpf.c uses. */
SEC("raw_tracepoint/sys_enter")
int fl_bench_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(fl_bench_tp_btf, struct pt_regs *regs, long id)
{
	return 0;
}

/* One syscall's tracepoint: perf_syscall_enter() on the same sys_enter. */
SEC("tracepoint/syscalls/sys_enter_fsync")
int fl_bench_tp_fsync(void *ctx)
{
	return 0;
}

/*
 * fentry on the syscall's own function: a trampoline on that function
 * alone, no tracepoint. Refused by this project's hardened host kernel;
 * measured under make check-vm (Debian's kernel). x86-64's name.
 */
SEC("fentry/__x64_sys_fsync")
int BPF_PROG(fl_bench_fentry_fsync, const struct pt_regs *regs)
{
	return 0;
}
