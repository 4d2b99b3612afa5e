/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside fl_syscall_run: run.c checks the configuration, sets up the stop
 * signals and hands over to the loop of the mechanism family, run_bpf.c
 * or run_seccomp.c. The state of a run, and what both loops need (the
 * clock, stop signals, reaping the command, progress), live here and in
 * run_util.c, below all three, so that no loop calls back into run.c.
 */
#ifndef FL_SYSCALL_RUN_UTIL_H
#define FL_SYSCALL_RUN_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <faultline/syscall.h>

/* How often a loop looks for the command's exit when it has no pidfd. */
#define FL_SC_RUN_REAP_MS 100

struct fl_sc_run {
	const struct fl_syscall_run_cfg *cfg;
	struct fl_syscall_targets targets;  /* cfg's, with .launched set */
	fl_event_cb on_event;               /* never NULL */
	void (*on_phase)(void *ctx, enum fl_syscall_run_phase phase,
			 const struct fl_syscall_run_result *now);
	void *ctx;
	struct fl_syscall_run_result res;   /* res.plan is the plan to run */
	int sfd;                            /* signalfd of cfg->stop_signals, or -1 */
	int pidfd;                          /* the command's, or -1 */
	enum fl_syscall_run_step step;      /* where a failure happens */
};

/* What fl_sc_run_signal() read. */
enum fl_sc_stop {
	FL_SC_STOP_NONE,     /* nothing to read */
	FL_SC_STOP_FIRST,    /* the first stop signal: stop injecting, pass it on */
	FL_SC_STOP_GIVE_UP,  /* a second one: stop waiting for the command */
};

uint64_t fl_sc_run_now_ns(void);

/* Milliseconds from now to deadline (rounded up, 0 if past), at most cap (-1: none). */
int fl_sc_run_timeout(uint64_t deadline, int cap);

/* The command is pid: watch it for its exit (a pidfd, or polling). */
void fl_sc_run_watch(struct fl_sc_run *r, pid_t pid);

/* Reap the command if it exited (wait: until it does). True once reaped. */
bool fl_sc_run_reap(struct fl_sc_run *r, bool wait);

/* Read one stop signal; *ret_from_tty: the kernel sent it (a terminal's ^C). */
enum fl_sc_stop fl_sc_run_signal(struct fl_sc_run *r, bool *ret_from_tty);

void fl_sc_run_phase(struct fl_sc_run *r, enum fl_syscall_run_phase phase);

/* The loops: 0 once the run is over, or -errno with r->step set. */
int fl_sc_run_bpf(struct fl_sc_run *r);
int fl_sc_run_seccomp(struct fl_sc_run *r);

#endif /* FL_SYSCALL_RUN_UTIL_H */
