// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fault kinds of `faultline rpo`. Each sets the fault time
 * (rto.fault_ns: the moment the service lost its data or its life) and
 * the moment it was seen gone (rto.stopped_ns).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <faultline/rule.h>
#include <faultline/syscall.h>
#include "rpo_trial.h"

static int kill_now(struct rpo_trial *t)
{
	struct fl_rto *rto = &t->out->rto;

	rto->fault_ns = fl_rpo_now_ns();
	fl_rpo_service_signal(&t->svc, SIGKILL);
	if (fl_rpo_service_wait_gone(&t->svc, 10000000000ull)) {
		fl_rpo_trial_fail(t, "fault", -ETIMEDOUT, "the service survived SIGKILL for 10 s");
		return -ETIMEDOUT;
	}
	rto->stopped_ns = t->svc.exited_ns;
	return 0;
}

static int terminate(struct rpo_trial *t)
{
	struct fl_rto *rto = &t->out->rto;

	rto->fault_ns = fl_rpo_now_ns();
	fl_rpo_service_signal(&t->svc, t->cfg->term_signal);
	if (fl_rpo_service_wait_gone(&t->svc, t->cfg->term_timeout_ns)) {
		/* A graceful stop that is not: kill, as an orchestrator would. */
		fl_rpo_service_signal(&t->svc, SIGKILL);
		fl_rpo_service_wait_gone(&t->svc, 10000000000ull);
	}
	fl_rpo_service_signal(&t->svc, SIGKILL); /* the rest of the group */
	rto->stopped_ns = t->svc.exited_ns ? t->svc.exited_ns : fl_rpo_now_ns();
	return 0;
}

/* The crash comes from the service's own call: the fault time is its death. */
static int crashpoint(struct rpo_trial *t)
{
	struct fl_syscall_session *s = NULL;
	struct fl_rule_error rerr = { 0 };
	struct fl_rule rule;
	pid_t pid = t->svc.pid;
	struct fl_syscall_targets targets = { .pids = &pid, .n_pids = 1, .follow = true };
	int err;

	if (fl_rule_parse(t->cfg->crashpoint, &rule, &rerr)) {
		fl_rpo_trial_fail(t, "fault", -EINVAL, "crashpoint: %s", rerr.message);
		return -EINVAL;
	}
	err = fl_syscall_session_open(&rule, 1, NULL, &targets, NULL, NULL, &s);
	if (err) {
		fl_rpo_trial_fail(t, "fault", err, "crashpoint: cannot arm '%s': %s",
				  t->cfg->crashpoint, strerror(-err));
		return err;
	}
	err = fl_rpo_service_wait_gone(&t->svc, t->cfg->fault_timeout_ns);
	fl_syscall_session_close(s);
	if (err) {
		fl_rpo_trial_fail(t, "fault", err, "crashpoint '%s' did not strike within %.0f s",
				  t->cfg->crashpoint, t->cfg->fault_timeout_ns / 1e9);
		return err;
	}
	/* Whatever else is in the group dies with it, as on a real crash. */
	fl_rpo_service_signal(&t->svc, SIGKILL);
	t->out->rto.fault_ns = t->svc.exited_ns;
	t->out->rto.stopped_ns = t->svc.exited_ns;
	return 0;
}

int fl_rpo_fault_inject(struct rpo_trial *t)
{
	fl_rpo_trial_progress(t, "fault");
	switch (t->cfg->fault) {
	case FL_RPO_FAULT_KILL:
		return kill_now(t);
	case FL_RPO_FAULT_TERM:
		return terminate(t);
	case FL_RPO_FAULT_CRASHPOINT:
		return crashpoint(t);
	default:
		return fl_rpo_fault_inject_storage(t);
	}
}
