// SPDX-License-Identifier: GPL-2.0
/*
 * Probe programs for the trampoline and kprobe mechanisms, which hardened
 * kernels often refuse. They live apart from probe_trace so a refusal here
 * cannot block the others; userspace still loads one program at a time.
 * Each acts only on target_tgid while `armed` is set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EIO 5

#if defined(__TARGET_ARCH_x86)
#define SYS_PREFIX "__x64_"
#elif defined(__TARGET_ARCH_arm64)
#define SYS_PREFIX "__arm64_"
#elif defined(__TARGET_ARCH_s390)
#define SYS_PREFIX "__s390x_"
#else
#define SYS_PREFIX ""
#endif

const volatile __u32 target_tgid;

__u32 armed;
__u64 hits;

static __always_inline bool is_target(void)
{
	return armed && (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("fentry/security_file_open")
int BPF_PROG(fl_probe_fentry, struct file *file)
{
	if (is_target())
		__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("fmod_ret/security_file_open")
int BPF_PROG(fl_probe_fmsec, struct file *file, int ret)
{
	if (!is_target() || ret)
		return ret;
	__sync_fetch_and_add(&hits, 1);
	return -EIO;
}

SEC("lsm/file_open")
int BPF_PROG(fl_probe_lsm, struct file *file, int ret)
{
	if (!is_target() || ret)
		return ret;
	__sync_fetch_and_add(&hits, 1);
	return -EIO;
}

SEC("fmod_ret/" SYS_PREFIX "sys_getppid")
int BPF_PROG(fl_probe_fmsys, struct pt_regs *regs, long ret)
{
	if (!is_target())
		return 0;
	__sync_fetch_and_add(&hits, 1);
	return -EIO;
}

SEC("kprobe/" SYS_PREFIX "sys_getppid")
int fl_probe_kprobe(struct pt_regs *ctx)
{
	if (!is_target())
		return 0;
	__sync_fetch_and_add(&hits, 1);
	bpf_override_return(ctx, -EIO);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
