// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl_syscall_run: one whole syscall fault run, for `faultline syscall` and
 * for any program that links libfaultline. Checks the configuration, plans
 * if the caller did not, watches the stop signals and hands over to the
 * loop of the plan's mechanism family (run_bpf.c, run_seccomp.c). Nothing
 * here prints: the caller hears of events and progress through ops and of
 * a failure through the step it happened at.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "run_util.h"

static int ignore_event(void *ctx, const struct fl_event *ev)
{
	return 0;
}

static int check(const struct fl_syscall_run_cfg *cfg)
{
	const struct fl_syscall_targets *t = &cfg->targets;

	if (!cfg->rules || cfg->n_rules == 0 || cfg->n_rules > FL_SC_MAX_RULES)
		return -EINVAL;
	if (cfg->argv && (!cfg->argv[0] || t->n_pids || t->n_cgroups || t->comm))
		return -EINVAL; /* a command, or running targets: not both */
	if (!cfg->argv && !t->n_pids && !t->n_cgroups && !t->comm)
		return -EINVAL;
	/* Stopping ourselves at a syscall would hang the run that continues us. */
	for (size_t i = 0; i < t->n_pids; i++)
		if (t->pids[i] == getpid())
			return -EINVAL;
	return 0;
}

/* Plan, or take the caller's plan as it is. */
static int plan(struct fl_sc_run *r, struct fl_syscall_run_error *err)
{
	const struct fl_syscall_run_cfg *cfg = r->cfg;
	struct fl_rule_error rule_err = { 0 };
	int bad_rule = -1, e;

	if (cfg->plan) {
		if (cfg->plan->n_rules != cfg->n_rules)
			return -EINVAL;
		r->res.plan = *cfg->plan;
	} else {
		r->step = FL_SC_RUN_STEP_PLAN;
		e = fl_syscall_plan(cfg->rules, cfg->n_rules, &r->targets, -1, &r->res.plan,
				    &bad_rule, &rule_err);
		if (e) {
			if (err) {
				err->rule = bad_rule;
				err->plan = rule_err;
			}
			return e;
		}
		r->step = FL_SC_RUN_STEP_SETUP;
	}
	/* The supervisor serves launched commands only. */
	if (r->res.plan.mech[0] == FL_MECH_SECCOMP_NOTIFY && !cfg->argv)
		return -EINVAL;
	return 0;
}

int fl_syscall_run(const struct fl_syscall_run_cfg *cfg, const struct fl_syscall_run_ops *ops,
		   void *ctx, struct fl_syscall_run_result *ret,
		   struct fl_syscall_run_error *err)
{
	struct fl_sc_run r = {
		.cfg = cfg, .ctx = ctx, .sfd = -1, .pidfd = -1, .step = FL_SC_RUN_STEP_SETUP,
		.res = { .enter_hook = -1 },
	};
	bool masked = false;
	sigset_t oldmask;
	int e;

	if (err) {
		memset(err, 0, sizeof(*err));
		err->rule = -1;
	}
	e = check(cfg);
	if (e)
		goto out;
	r.targets = cfg->targets;
	r.targets.launched = cfg->argv != NULL;
	r.on_event = ops && ops->on_event ? ops->on_event : ignore_event;
	r.on_phase = ops ? ops->on_phase : NULL;
	e = plan(&r, err);
	if (e)
		goto out;

	if (cfg->stop_signals) {
		/* Blocked already, if the caller did as told: then this changes nothing. */
		e = -pthread_sigmask(SIG_BLOCK, cfg->stop_signals, &oldmask);
		if (e)
			goto out;
		masked = true;
		r.sfd = signalfd(-1, cfg->stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
		if (r.sfd < 0) {
			e = -errno;
			goto out;
		}
	}
	if (r.res.plan.mech[0] == FL_MECH_SECCOMP_NOTIFY)
		e = fl_sc_run_seccomp(&r);
	else
		e = fl_sc_run_bpf(&r);
	if (!e)
		*ret = r.res;
out:
	if (e && err)
		err->step = r.step;
	if (r.pidfd >= 0)
		close(r.pidfd);
	if (r.sfd >= 0)
		close(r.sfd);
	if (masked)
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	return e;
}
