/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One trial in progress, shared by session.c, fault.c, fault_storage.c and
 * timeline_glue.c. trial.c holds what they all report to (failure,
 * progress, the interrupt flag), below every one of them.
 */
#ifndef FL_RPO_TRIAL_H
#define FL_RPO_TRIAL_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>

#include <faultline/state.h>
#include "rpo_priv.h"

/* The first half second of load is not the steady state to come back to. */
#define FL_RPO_WARMUP_NS (500ull * 1000 * 1000)

struct fl_rpo_faultfs;
struct fl_rpo_oom;
struct fl_timeline;
struct fl_tl_event;

struct rpo_trial {
	const struct fl_rpo_config *cfg;
	struct fl_state *st;
	unsigned index;
	struct fl_rpo_trial *out;
	fl_rpo_progress_cb progress;
	void *ctx;
	struct fl_workload *w;
	struct fl_wl_service svc;
	struct fl_rpo_driver *driver;
	struct fl_rpo_faultfs *faultfs;   /* mounted over the data dir, or NULL */
	struct fl_rpo_oom *oom;           /* the memory cgroup, or NULL */
	char cgroup_procs[PATH_MAX];      /* where the service's first process goes */
	struct fl_timeline *timeline;
	const struct fl_tl_event *tl_events; /* stopped timeline's events */
	size_t n_tl_events;
	bool tl_stopped;
	uint64_t tl_start_ns;             /* the timeline watches from here on */
	uint64_t wlog_mark;               /* faultfs write-log seq before the load */
	uint64_t *volatile_ids;           /* records in ranges volatile at the cut, sorted */
	size_t n_volatile_ids;
	uint64_t last_progress_ns, last_acked;
};

/* trial.c */
__attribute__((format(printf, 4, 5)))
void fl_rpo_trial_fail(struct rpo_trial *t, const char *phase, int err, const char *fmt, ...);
void fl_rpo_trial_progress(struct rpo_trial *t, const char *phase);
bool fl_rpo_trial_wait(struct rpo_trial *t, uint64_t until, const char *phase);
volatile int *fl_rpo_interrupted(void);

/* fault.c: the fault itself (kill, term, crashpoint here; the rest in fault_storage.c). */
int fl_rpo_fault_inject(struct rpo_trial *t);
/*
 * fault_storage.c: what a trial needs before the service starts (faultfs
 * over the data directory for powercut, disk-fail or --faultfs; the
 * memory cgroup for oom), those faults, and the undo.
 */
int fl_rpo_fault_setup(struct rpo_trial *t);
int fl_rpo_fault_inject_storage(struct rpo_trial *t);
void fl_rpo_fault_teardown(struct rpo_trial *t);
/* After the check: compare the lost writes with faultfs's volatile ones. */
void fl_rpo_fault_crosscheck(struct rpo_trial *t);

/*
 * fault_net.c: a network fault (partition, net=RULE) on the service's
 * cgroup, armed for fault_for and healed before it returns, on every path;
 * and, with the whole history, what the clients saw of it.
 */
int fl_rpo_fault_inject_net(struct rpo_trial *t);
void fl_rpo_net_judge(struct rpo_trial *t);

/* timeline_glue.c: the kernel durability timeline around the fault. */
void fl_rpo_timeline_start(struct rpo_trial *t);
/* Detach at the fault; the events stay for judging. */
void fl_rpo_timeline_stop(struct rpo_trial *t);
/* With the whole history: acknowledged writes no barrier covered in time. */
void fl_rpo_timeline_judge(struct rpo_trial *t);
void fl_rpo_timeline_free(struct rpo_trial *t);

#endif /* FL_RPO_TRIAL_H */
