// SPDX-License-Identifier: GPL-2.0
/*
 * Probe programs for the syscall-tracing mechanisms. Each program acts only
 * on target_tgid, and only while userspace has set `armed`, so loading them
 * touches no other process. Userspace loads one program at a time.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define SIGKILL 9
/* bpf_loop refuses more iterations than this (BPF_MAX_LOOPS). */
#define LOOP_CAP (1u << 23)

const volatile __u32 target_tgid;
const volatile long target_nr;   /* syscall number, for sys_enter hooks */
const volatile __u64 delay_ns;

__u32 armed;
__u64 hits;
__s64 signal_ret;
__u64 spun_ns;

static __always_inline bool is_target(void)
{
	return armed && (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int fl_probe_tp(void *ctx)
{
	if (is_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int fl_probe_rawtp(struct bpf_raw_tracepoint_args *ctx)
{
	if (is_target() && (long)ctx->args[1] == target_nr)
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(fl_probe_tpbtf, struct pt_regs *regs, long id)
{
	if (is_target() && id == target_nr)
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

/*
 * The signal and delay probes hook sys_enter the way the syscall injector
 * (bpf/syscall.bpf.c) does, so they prove what it will use.
 */
SEC("raw_tracepoint/sys_enter")
int fl_probe_signal(struct bpf_raw_tracepoint_args *ctx)
{
	if (!is_target() || (long)ctx->args[1] != target_nr)
		return 0;
	__sync_fetch_and_add(&hits, 1);
	signal_ret = bpf_send_signal(SIGKILL);
	return 0;
}

static long spin_step(__u32 index, void *ctx)
{
	__u64 *deadline = ctx;

	return bpf_ktime_get_ns() >= *deadline;
}

SEC("raw_tracepoint/sys_enter")
int fl_probe_delay(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 start, deadline;

	if (!is_target() || (long)ctx->args[1] != target_nr)
		return 0;
	start = bpf_ktime_get_ns();
	deadline = start + delay_ns;
	bpf_loop(LOOP_CAP, spin_step, &deadline, 0);
	spun_ns = bpf_ktime_get_ns() - start;
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
