/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Between the pieces of the rpo session runner. */
#ifndef FL_RPO_PRIV_H
#define FL_RPO_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <faultline/state.h>

#include <faultline/rpo_session.h>
#include <faultline/workload.h>

#include "rpo_util.h"

/* driver.c: the client threads and their history. */
struct fl_rpo_driver;
int fl_rpo_driver_start(struct fl_workload *w, const struct fl_rpo_load *load,
			struct fl_rpo_driver **ret);
uint64_t fl_rpo_driver_acked(const struct fl_rpo_driver *d);
/* Stop, join, and hand over every client's history merged (may be NULL). */
int fl_rpo_driver_stop(struct fl_rpo_driver *d, struct fl_op **ret_ops, size_t *ret_n);

/* service.c: the service process. */
struct fl_rpo_service {
	pid_t pid;               /* 0: not running */
	bool builtin;
	bool reaped;
	int wstatus;
	uint64_t exited_ns;      /* the leader was reaped and its cgroup emptied */
	/*
	 * A user's service runs in a cgroup v2 group of its own: daemons call
	 * setsid() (PostgreSQL's backends do), so the process group does not
	 * reach them all, the cgroup does.
	 */
	char cgroup[4096];
	bool cgroup_borrowed;    /* the OOM fault's v2 group: killed in, not removed */
	struct fl_state *st;
	uint64_t cgroup_record;
};
/*
 * Start cmd with sh -c in a new process group, its output appended to
 * log (NULL: /dev/null), its first process moved into cgroup_procs (a
 * cgroup.procs file, or NULL) before exec; cmd NULL: the built-in writer.
 */
int fl_rpo_service_start(struct fl_rpo_service *s, struct fl_state *st, struct fl_workload *w,
			 const char *cmd, const char *log, const char *cgroup_procs,
			 char *errbuf, size_t errlen);
/*
 * Can sh -c run cmd as "exec cmd"? One simple command whose name is a path
 * or a program on $PATH (no list, pipeline, group, substitution, leading
 * assignment, keyword or builtin-only name).
 */
bool fl_rpo_shell_can_exec(const char *cmd);
/*
 * Kill what is left in the service's cgroup and remove it; its state
 * record is dropped only once the group is gone.
 */
void fl_rpo_service_release(struct fl_rpo_service *s);
/* Reap without blocking; true once the service's processes are all gone. */
bool fl_rpo_service_gone(struct fl_rpo_service *s);
/* Signal the whole process group. */
int fl_rpo_service_signal(struct fl_rpo_service *s, int sig);
/* Wait up to timeout_ns for the service to be gone; -ETIMEDOUT. */
int fl_rpo_service_wait_gone(struct fl_rpo_service *s, uint64_t timeout_ns);
/* SIGTERM, then SIGKILL after timeout_ns; always reaps. */
void fl_rpo_service_stop(struct fl_rpo_service *s, uint64_t timeout_ns);
/*
 * Poll health (health_cmd exit 0, else the workload's ping) until it
 * answers, the service dies (-ECHILD) or timeout_ns passes (-ETIMEDOUT).
 */
int fl_rpo_service_wait_healthy(struct fl_rpo_service *s, struct fl_workload *w,
				const char *health_cmd, uint64_t timeout_ns,
				volatile int *interrupted);

#endif /* FL_RPO_PRIV_H */
