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

#include <faultline/mechanism.h>
#include <faultline/rule.h>
#include <faultline/syscall.h>
#include <faultline/timeline.h>
#include "trial.h"

static int kill_now(struct rpo_trial *t)
{
	struct fl_rto *rto = &t->out->rto;

	snprintf(t->out->mechanism, sizeof(t->out->mechanism), "kill(2) SIGKILL");
	rto->fault_ns = fl_now_ns();
	fl_wl_service_signal(&t->svc, SIGKILL);
	if (fl_wl_service_wait_gone(&t->svc, 10000000000ull)) {
		fl_rpo_trial_fail(t, "fault", -ETIMEDOUT, "the service survived SIGKILL for 10 s");
		return -ETIMEDOUT;
	}
	rto->stopped_ns = t->svc.exited_ns;
	return 0;
}

static int terminate(struct rpo_trial *t)
{
	struct fl_rto *rto = &t->out->rto;

	snprintf(t->out->mechanism, sizeof(t->out->mechanism), "kill(2) SIG%s",
		 sigabbrev_np(t->cfg->term_signal) ?: "?");
	rto->fault_ns = fl_now_ns();
	fl_wl_service_signal(&t->svc, t->cfg->term_signal);
	if (fl_wl_service_wait_gone(&t->svc, t->cfg->term_timeout_ns)) {
		/* A graceful stop that is not: kill, as an orchestrator would. */
		fl_wl_service_signal(&t->svc, SIGKILL);
		fl_wl_service_wait_gone(&t->svc, 10000000000ull);
	}
	fl_wl_service_signal(&t->svc, SIGKILL); /* the rest of the group */
	rto->stopped_ns = t->svc.exited_ns ? t->svc.exited_ns : fl_now_ns();
	return 0;
}

/* "fsync" of "fsync:signal=SIGKILL:when=50": the calls the rule names. */
static void rule_calls(const char *rule, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(rule, ":"), rule);
}

/*
 * The barrier calls the kernel timeline saw the service make on the data
 * directory ("fdatasync 1520, fsync 3"); empty when it saw none or did not run.
 */
static void barriers_seen(struct rpo_trial *t, char *buf, size_t len)
{
	const char *names[8];
	size_t counts[8] = { 0 }, n = 0, used = 0;

	buf[0] = '\0';
	fl_rpo_timeline_stop(t); /* detached now: its events can be read */
	for (size_t i = 0; i < t->n_tl_events; i++) {
		const struct fl_tl_event *e = &t->tl_events[i];
		size_t j;

		if (e->kind != FL_TL_BARRIER || !e->syscall)
			continue;
		for (j = 0; j < n && strcmp(names[j], e->syscall); j++)
			;
		if (j == n && n < 8)
			names[n++] = e->syscall;
		if (j < n)
			counts[j]++;
	}
	for (size_t j = 0; j < n && used < len; j++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s %zu", j ? ", " : "",
					 names[j], counts[j]);
}

/* Why an armed crash point never killed the service, from its counters. */
static void why_no_strike(struct rpo_trial *t, struct fl_syscall_session *s, char *buf,
			  size_t len)
{
	struct fl_syscall_stats st = { 0 };
	char calls[64], seen[160];

	rule_calls(t->cfg->crashpoint, calls, sizeof(calls));
	if (fl_syscall_session_stats(s, 0, &st)) {
		snprintf(buf, len, "its counters could not be read");
		return;
	}
	if (st.matched == 0) {
		barriers_seen(t, seen, sizeof(seen));
		snprintf(buf, len, "the rule matched no call: the service made 0 %s calls%s%s%s",
			 calls, seen[0] ? "; on the data directory it called " : "", seen,
			 seen[0] ? " (name that call: redis 7, for one, uses fdatasync)" :
			 !strcmp(calls, "fsync") ? " (redis 7, for one, uses fdatasync, not fsync)" : "");
	} else if (st.injected == 0) {
		snprintf(buf, len, "the rule matched %llu %s call%s but its when=/prob=/count= "
			 "selected none", (unsigned long long)st.matched, calls,
			 st.matched == 1 ? "" : "s");
	} else if (st.failed) {
		snprintf(buf, len, "the kernel refused the signal %llu time%s (bpf_send_signal)",
			 (unsigned long long)st.failed, st.failed == 1 ? "" : "s");
	} else {
		snprintf(buf, len, "the signal was sent %llu time%s, yet the service is still "
			 "running (is the signal caught or blocked?)",
			 (unsigned long long)st.injected, st.injected == 1 ? "" : "s");
	}
}

/* The crash comes from the service's own call: the fault time is its death. */
static int crashpoint(struct rpo_trial *t)
{
	struct fl_syscall_session *s = NULL;
	struct fl_rule_error rerr = { 0 };
	struct fl_rule rule;
	struct fl_syscall_plan plan;
	int bad;
	pid_t pid = t->svc.pid;
	const char *cgroup = t->svc.cgroup;
	/*
	 * The service's own cgroup reaches every process of it, forked before
	 * the rule was armed or after (a shell's server, a daemon's workers);
	 * the pid (and what it forks from now on) covers the built-in writer.
	 */
	struct fl_syscall_targets targets = {
		.pids = &pid, .n_pids = 1, .follow = true,
		.cgroups = &cgroup, .n_cgroups = cgroup[0] ? 1 : 0,
	};
	char why[320];
	int err;

	if (fl_rule_parse(t->cfg->crashpoint, &rule, &rerr)) {
		fl_rpo_trial_fail(t, "fault", -EINVAL, "crashpoint: %s", rerr.message);
		return -EINVAL;
	}
	/* Planned here, as the session would, to say which mechanism carried it. */
	err = fl_syscall_plan(&rule, 1, &targets, -1, &plan, &bad, &rerr);
	if (err) {
		fl_rpo_trial_fail(t, "fault", err, "crashpoint: cannot arm '%s': %s",
				  t->cfg->crashpoint, rerr.message);
		return err;
	}
	snprintf(t->out->mechanism, sizeof(t->out->mechanism), "%s",
		 fl_mechanism_name(plan.mech[0]));
	err = fl_syscall_session_open(&rule, 1, &plan, &targets, NULL, NULL, &s);
	if (err) {
		fl_rpo_trial_fail(t, "fault", err, "crashpoint: cannot arm '%s': %s",
				  t->cfg->crashpoint, strerror(-err));
		return err;
	}
	err = fl_wl_service_wait_gone(&t->svc, t->cfg->fault_timeout_ns);
	if (err)
		why_no_strike(t, s, why, sizeof(why));
	fl_syscall_session_close(s);
	if (err) {
		fl_rpo_trial_fail(t, "fault", err, "crashpoint '%s' did not strike within %.0f s: %s",
				  t->cfg->crashpoint, t->cfg->fault_timeout_ns / 1e9, why);
		return err;
	}
	/* Whatever else is in the group dies with it, as on a real crash. */
	fl_wl_service_signal(&t->svc, SIGKILL);
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
	case FL_RPO_FAULT_PARTITION:
	case FL_RPO_FAULT_NET:
		return fl_rpo_fault_inject_net(t);
	default:
		return fl_rpo_fault_inject_storage(t);
	}
}
