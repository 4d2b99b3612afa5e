/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One function per mechanism. Each proves the mechanism for real (load,
 * attach, trigger, observe) and fills the result; it returns 0 when it
 * could decide, or a negative errno when the probe itself broke.
 * Every probe undoes what it created before it returns.
 */
#ifndef FAULTLINE_PROBE_INTERNAL_H
#define FAULTLINE_PROBE_INTERNAL_H

#include <stdarg.h>
#include <faultline/probe.h>

#include "probe/probe_result.h"

/* probe_bpf.c: programs from bpf/probe_trace.bpf.c and bpf/probe_attach.bpf.c */
int fl_probe_tracepoint(struct fl_probe_result *r);
int fl_probe_raw_tp(struct fl_probe_result *r);
int fl_probe_tp_btf(struct fl_probe_result *r);
int fl_probe_send_signal(struct fl_probe_result *r);
int fl_probe_bpf_loop_delay(struct fl_probe_result *r);
int fl_probe_fentry(struct fl_probe_result *r);
int fl_probe_fmod_ret_security(struct fl_probe_result *r);
int fl_probe_bpf_lsm(struct fl_probe_result *r);
int fl_probe_fmod_ret_syscall(struct fl_probe_result *r);
int fl_probe_kprobe_override(struct fl_probe_result *r);
/* probe_bpf_net.c: programs from bpf/probe_net.bpf.c */
int fl_probe_cgroup_sock(struct fl_probe_result *r);
int fl_probe_cgroup_skb(struct fl_probe_result *r);
int fl_probe_tc(struct fl_probe_result *r);
int fl_probe_xdp(struct fl_probe_result *r);
/* probe_sys.c: real calls, no BPF */
int fl_probe_seccomp_notify(struct fl_probe_result *r);
int fl_probe_fuse(struct fl_probe_result *r);
int fl_probe_cgroup2(struct fl_probe_result *r);
int fl_probe_sigstop(struct fl_probe_result *r);
/* probe_sock_destroy.c: the two ways net reset aborts a connection */
int fl_probe_bpf_sock_destroy(struct fl_probe_result *r);
int fl_probe_sock_diag_destroy(struct fl_probe_result *r);
/* probe_qdisc.c, probe_nfqueue.c */
int fl_probe_netem(struct fl_probe_result *r);
int fl_probe_fq(struct fl_probe_result *r);
int fl_probe_htb(struct fl_probe_result *r);
int fl_probe_tbf(struct fl_probe_result *r);
int fl_probe_nfqueue(struct fl_probe_result *r);
int fl_probe_nft_queue(struct fl_probe_result *r);

/*
 * probe_parallel.c: probe (fl_probe_mechanism) for each selected
 * mechanism, all at once in forked workers; ret[m] gets each verdict (a
 * probe that broke: FL_PROBE_UNKNOWN and why). 0, or -errno when nothing
 * could be probed.
 */
typedef int (*fl_probe_fn)(enum fl_mechanism mech, struct fl_probe_result *ret);
int fl_probe_parallel(const bool selected[FL_MECH__COUNT], fl_probe_fn probe,
		      struct fl_probe_result *ret);

#endif
