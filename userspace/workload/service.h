/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A managed service: the process faultline started for a workload (a
 * user's command, or the built-in writer of file: and sqlite:), in its own
 * process group and cgroup, so a fault reaches every process of it; and
 * its health, by a command or by the workload's ping. rpo starts, breaks
 * and restarts one; clusters and backups start theirs the same way.
 */
#ifndef FL_WORKLOAD_SERVICE_H
#define FL_WORKLOAD_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <faultline/state.h>
#include <faultline/workload.h>

struct fl_wl_service {
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
	bool cgroup_borrowed;    /* the caller's v2 group (cgroup_procs): killed in, not removed */
	struct fl_state *st;
	uint64_t cgroup_record;
};
/*
 * Start cmd with sh -c in a new process group, its output appended to
 * log (NULL: /dev/null), its first process moved into cgroup_procs (a
 * cgroup.procs file, or NULL) before exec; cmd NULL: the built-in writer.
 */
int fl_wl_service_start(struct fl_wl_service *s, struct fl_state *st, struct fl_workload *w,
			 const char *cmd, const char *log, const char *cgroup_procs,
			 char *errbuf, size_t errlen);
/*
 * The same, cmd (and nothing else faultline runs) as user (a name or a
 * uid; NULL: as the caller): its uid, gid, supplementary groups, HOME,
 * USER and LOGNAME, in the directory faultline runs in when the user may
 * enter it, else in its home. The process group, the cgroup and the log
 * are set up as root first. -ENOENT for an unknown user (errbuf says so).
 */
int fl_wl_service_start_as(struct fl_wl_service *s, struct fl_state *st, struct fl_workload *w,
			    const char *cmd, const char *log, const char *cgroup_procs,
			    const char *user, char *errbuf, size_t errlen);
/*
 * Can sh -c run cmd as "exec cmd"? One simple command whose name is a path
 * or a program on $PATH (no list, pipeline, group, substitution, leading
 * assignment, keyword or builtin-only name).
 */
bool fl_wl_shell_can_exec(const char *cmd);
/*
 * Kill what is left in the service's cgroup and remove it; its state
 * record is dropped only once the group is gone.
 */
void fl_wl_service_release(struct fl_wl_service *s);
/* Reap without blocking; true once the service's processes are all gone. */
bool fl_wl_service_gone(struct fl_wl_service *s);
/* Signal the whole process group. */
int fl_wl_service_signal(struct fl_wl_service *s, int sig);
/* Wait up to timeout_ns for the service to be gone; -ETIMEDOUT. */
int fl_wl_service_wait_gone(struct fl_wl_service *s, uint64_t timeout_ns);
/* SIGTERM, then SIGKILL after timeout_ns; always reaps. */
void fl_wl_service_stop(struct fl_wl_service *s, uint64_t timeout_ns);
/*
 * Poll health (health_cmd exit 0, else the workload's ping) until it
 * answers, the service dies (-ECHILD) or timeout_ns passes (-ETIMEDOUT).
 */
int fl_wl_service_wait_healthy(struct fl_wl_service *s, struct fl_workload *w,
				const char *health_cmd, uint64_t timeout_ns,
				volatile int *interrupted);
/* The workload's ping gets this long to answer (exec: a new client to start, too). */
#define FL_WL_PING_TIMEOUT_MS 500
/*
 * The same, each ping given ping_timeout_ms, and the last ping's failure
 * in errbuf (when health_cmd is NULL): what to tell the user on a timeout.
 */
int fl_wl_service_wait_healthy_why(struct fl_wl_service *s, struct fl_workload *w,
				    const char *health_cmd, int ping_timeout_ms,
				    uint64_t timeout_ns, volatile int *interrupted,
				    char *errbuf, size_t errlen);

#endif /* FL_WORKLOAD_SERVICE_H */
