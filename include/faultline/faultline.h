/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libfaultline, the whole public API in one include. Each domain also has
 * its own header, from the bottom room up:
 *
 *   core      rule.h (the rule grammar), event.h (injection events),
 *             state.h (what must be undone, the watchdog, cleanup),
 *             cgroup.h, kernfs.h (tracefs, bpffs, cgroup2 mounted on demand)
 *   probe     probe.h: which kernel mechanism works here, per fault type
 *   syscall   syscall.h, seccomp.h, syscall_abi.h: syscall faults
 *   net       net.h, net_abi.h: packet and socket-call faults (tc, cgroup
 *             BPF); net_delay.h: the NFQUEUE delay line; net_shape.h,
 *             net_shape_abi.h: netem/HTB shaping, ingress through an IFB
 *   fs        fs.h: the faultfs control socket
 *   workload  workload.h: drive writes into a service and read them back
 *   rpo       rpo.h, rpo_session.h, timeline.h: RPO/RTO trials
 *   remote    remote.h: the same faultline commands on a real host over ssh
 *
 * abi.h is shared with the BPF programs. Link with `pkg-config --libs
 * faultline`.
 */
#ifndef FAULTLINE_FAULTLINE_H
#define FAULTLINE_FAULTLINE_H

#include <faultline/abi.h>
#include <faultline/rule.h>
#include <faultline/event.h>
#include <faultline/state.h>
#include <faultline/cgroup.h>
#include <faultline/kernfs.h>
#include <faultline/probe.h>
#include <faultline/syscall_abi.h>
#include <faultline/syscall.h>
#include <faultline/net_abi.h>
#include <faultline/net.h>
#include <faultline/net_delay.h>
#include <faultline/net_shape.h>
#include <faultline/seccomp.h>
#include <faultline/fs.h>
#include <faultline/fs_daemon.h>
#include <faultline/workload.h>
#include <faultline/rpo.h>
#include <faultline/rpo_session.h>
#include <faultline/timeline.h>
#include <faultline/history.h>
#include <faultline/register.h>
#include <faultline/bank.h>
#include <faultline/cluster.h>
#include <faultline/scenario.h>
#include <faultline/remote.h>
#include <faultline/recovery.h>

#endif /* FAULTLINE_FAULTLINE_H */
