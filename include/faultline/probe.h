/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel probe: prove each injection mechanism on the running kernel by
 * loading and attaching a tiny program or by making the real call, then
 * pick the mechanism each fault type will use. Every domain asks this API;
 * none probes in its own way.
 */
#ifndef FAULTLINE_PROBE_H
#define FAULTLINE_PROBE_H

#include <stdbool.h>
#include <faultline/abi.h>
#include <faultline/mechanism.h>

enum fl_probe_status {
	FL_PROBE_UNKNOWN = 0, /* not probed yet */
	FL_PROBE_WORKS,       /* loaded, attached and seen to act */
	FL_PROBE_REFUSED,     /* the kernel said no (err holds the errno) */
	FL_PROBE_MISSING,     /* not built into this kernel / module absent */
};

struct fl_probe_result {
	enum fl_probe_status status;
	int  err;             /* positive errno for REFUSED/MISSING, else 0 */
	char detail[192];     /* what was proven, or the likely cause */
};

/* Fault types, each served by a ladder of mechanisms (DESIGN.md). */
enum fl_fault_kind {
	FL_FAULT_ERRNO_RUNNING = 0, /* syscall errno on a running process */
	FL_FAULT_ERRNO_LAUNCHED,    /* syscall errno on a launched process */
	FL_FAULT_DELAY_RUNNING,
	FL_FAULT_DELAY_LAUNCHED,
	FL_FAULT_CRASH_POINT,       /* signal at syscall entry */
	FL_FAULT_PROCESS_PAUSE,
	FL_FAULT_SOCKET_ERRNO,      /* socket/connect/sendmsg errno, running target */
	FL_FAULT_PACKET_DROP,       /* drop, corrupt, duplicate, partition */
	FL_FAULT_PACKET_DELAY,      /* delay, loss, reorder */
	FL_FAULT_PACKET_RATE,
	FL_FAULT_STORAGE,           /* faultfs */
	FL_FAULT_TCP_RESET,         /* abort established TCP connections (net reset) */
	FL_FAULT__COUNT,
};

struct fl_probe_pick {
	enum fl_mechanism mech;  /* valid only when found */
	bool found;
	char why[192];           /* why this one, or what is missing and what would work */
};

struct fl_probe_report {
	char kernel_release[65];
	char lockdown[32];       /* "none", "integrity", "confidentiality" or "" */
	unsigned mounted;        /* enum fl_kernfs mask: what this process had to mount */
	struct fl_probe_result mech[FL_MECH__COUNT];
	struct fl_probe_pick pick[FL_FAULT__COUNT];
};

/*
 * Probe every mechanism (needs root for most). Fills ret; returns 0 or
 * -errno. tracefs, bpffs, cgroup2 and securityfs are mounted first when
 * missing (fl_kernfs_ensure), so that a fresh machine is probed as it will
 * be used; ret->mounted says which. The mechanisms are probed side by side,
 * each in a forked process of its own (nothing is cached between calls).
 */
int fl_probe_all(struct fl_probe_report *ret);
/* Fill the kernel release, the lockdown mode and what was mounted only. */
void fl_probe_identify(struct fl_probe_report *report);
/* Probe one mechanism. */
int fl_probe_mechanism(enum fl_mechanism mech, struct fl_probe_result *ret);
/* Recompute ret->pick[] from ret->mech[]. Pure: usable on synthetic reports. */
void fl_probe_pick_all(struct fl_probe_report *report);

const char *fl_fault_kind_name(enum fl_fault_kind kind);
const char *fl_probe_status_name(enum fl_probe_status status);
/* fl_mechanism_name() and fl_mechanism_from_name(): <faultline/mechanism.h>. */

#endif /* FAULTLINE_PROBE_H */
