// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One `faultline rpo` run: per trial, start the service, load it, break it
 * at fault_at, restart it, keep the load on until it is back and steady,
 * read everything back and measure. A trial that cannot go on records
 * where and why, and the run goes on to the report: a result file is
 * always written.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include <faultline/rpo_load.h>
#include <faultline/state.h>
#include "managed.h"
#include "rpo_priv.h"
#include "trial.h"

void fl_rpo_config_defaults(struct fl_rpo_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->fault = FL_RPO_FAULT_KILL;
	cfg->fault_at_ns = 2000000000ull;
	cfg->after_ns = 2000000000ull;
	cfg->health_timeout_ns = 30000000000ull;
	cfg->ping_timeout_ns = FL_WL_PING_TIMEOUT_MS * 1000000ull;
	cfg->term_timeout_ns = 10000000000ull;
	cfg->term_signal = SIGTERM;
	cfg->fault_timeout_ns = 30000000000ull;
	cfg->fault_for_ns = 5000000000ull;
	cfg->readback_timeout_ns = FL_WL_READBACK_TIMEOUT_MS * 1000000ull;
	cfg->load.clients = 4;
	cfg->load.payload_len = 128;
	cfg->load.seed = 1;
	cfg->load.op_timeout_ms = 2000;
	cfg->trials = 1;
	cfg->rpo_max_ns = 60ull * 1000000000ull;
	cfg->rto_max_ns = 300ull * 1000000000ull;
	fl_objectives_defaults(&cfg->objectives);
	cfg->lost_max = UINT64_MAX;
}

/* Read back everything and judge it against the history. */
static void judge(struct rpo_trial *t)
{
	struct fl_rpo_trial *o = t->out;
	char why[256] = "";
	int err;

	err = fl_rpo_read_back(t->w, &o->back, &o->n_back, why, sizeof(why));
	if (err) {
		fl_rpo_trial_fail(t, "check", err, "reading back: %s", why[0] ? why : strerror(-err));
		return;
	}
	err = fl_rpo_check(o->ops, o->n_ops, o->back, o->n_back, o->rto.fault_ns, &o->check);
	if (err)
		fl_rpo_trial_fail(t, "check", err, "checking: %s", strerror(-err));
	else
		fl_rpo_fault_crosscheck(t);
	fl_rpo_timeline_judge(t);
	fl_rpo_recovery(o->ops, o->n_ops, o->start_ns + FL_RPO_WARMUP_NS, &o->rto);
	fl_rpo_net_judge(t);
	/* A client can get through before the next health poll does: that is health too. */
	if (o->rto.first_ok_ns && o->rto.first_ok_ns < o->rto.healthy_ns)
		o->rto.healthy_ns = o->rto.first_ok_ns;
}

static int await_healthy(struct rpo_trial *t, const char *phase);

/* Start the service and wait for it to answer. */
static int bring_up(struct rpo_trial *t, const char *cmd, bool restart)
{
	const char *phase = restart ? "restart" : "start";
	uint64_t spawn_ns;
	char why[256] = "";
	int err;

	/* The built-in writer that died is forgotten before a new one starts. */
	if (t->svc.builtin && fl_wl_service_gone(&t->svc))
		fl_workload_stopped(t->w);
	fl_wl_service_release(&t->svc);
	/* After the old group is removed: that wait is faultline's, not the service's. */
	spawn_ns = fl_now_ns();
	err = fl_wl_service_start_as(&t->svc, t->st, t->w, cmd, t->cfg->service_log,
				      t->cgroup_procs[0] ? t->cgroup_procs : NULL,
				      cmd ? t->cfg->user : NULL, why, sizeof(why));
	if (err) {
		fl_rpo_trial_fail(t, phase, err, "the service did not start: %s",
				  why[0] ? why : strerror(-err));
		return err;
	}
	/* Spawned: a built-in writer answers before start returns, clients with it. */
	if (restart)
		t->out->rto.restarted_ns = spawn_ns;
	return await_healthy(t, phase);
}

/* Wait for the service to answer its health check; the trial fails with why not. */
static int await_healthy(struct rpo_trial *t, const char *phase)
{
	char why[256] = "";
	int err;

	fl_rpo_trial_progress(t, phase);
	err = fl_wl_service_wait_healthy_why(&t->svc, t->w, t->cfg->health_cmd,
					      (int)(t->cfg->ping_timeout_ns / 1000000),
					      t->cfg->health_timeout_ns, fl_rpo_interrupted(),
					      why, sizeof(why));
	if (err == -ECHILD)
		fl_rpo_trial_fail(t, phase, err, "the service %s %d before it was healthy%s%s",
				  WIFSIGNALED(t->svc.wstatus) ? "was killed by signal" : "exited with status",
				  WIFSIGNALED(t->svc.wstatus) ? WTERMSIG(t->svc.wstatus)
							      : WEXITSTATUS(t->svc.wstatus),
				  t->cfg->service_log ? "; see " : "",
				  t->cfg->service_log ? t->cfg->service_log : "");
	else if (err == -ETIMEDOUT)
		fl_rpo_trial_fail(t, phase, err, "the service was not healthy within %.1f s%s%s",
				  t->cfg->health_timeout_ns / 1e9, why[0] ? "; last ping: " : "",
				  why);
	else if (err)
		fl_rpo_trial_fail(t, phase, err, "interrupted");
	return err;
}

static void run_trial(const struct fl_rpo_config *cfg, struct fl_state *st, unsigned index,
		      struct fl_rpo_trial *out, fl_rpo_progress_cb progress, void *ctx)
{
	struct rpo_trial t = {
		.cfg = cfg, .st = st, .index = index, .out = out,
		.progress = progress, .ctx = ctx,
	};
	struct fl_rpo_load load = cfg->load;
	char why[256] = "";
	int err;

	out->seed = cfg->load.seed + index;
	load.seed = out->seed;
	err = fl_workload_open(cfg->workload, &t.w, why, sizeof(why));
	if (err) {
		fl_rpo_trial_fail(&t, "setup", err, "%s", why);
		return;
	}
	fl_workload_set_readback_timeout(t.w, cfg->readback_timeout_ns / 1000000ull > INT_MAX ?
					 INT_MAX : (int)(cfg->readback_timeout_ns / 1000000ull));
	if (fl_rpo_fault_setup(&t))
		goto out;
	if (bring_up(&t, cfg->start_cmd, false))
		goto out;
	err = fl_workload_reset(t.w, why, sizeof(why));
	if (err) {
		fl_rpo_trial_fail(&t, "start", err, "cannot empty the store: %s", why);
		goto out;
	}
	fl_rpo_timeline_start(&t);

	err = fl_rpo_driver_start(t.w, &load, &t.driver);
	if (err) {
		fl_rpo_trial_fail(&t, "load", err, "cannot start the clients: %s", strerror(-err));
		goto out;
	}
	out->start_ns = fl_now_ns();
	if (!fl_rpo_trial_wait(&t, out->start_ns + cfg->fault_at_ns, "load")) {
		fl_rpo_trial_fail(&t, "load", -EINTR, "interrupted");
		goto out;
	}

	if (fl_rpo_fault_inject(&t))
		goto out;
	fl_rpo_timeline_stop(&t);
	/* A network fault healed: the service never went away, so it is not restarted. */
	if (fl_rpo_fault_is_network(cfg->fault) ? await_healthy(&t, "heal") :
	    bring_up(&t, cfg->start_cmd && cfg->restart_cmd ? cfg->restart_cmd : cfg->start_cmd,
		     true))
		goto out;
	out->rto.healthy_ns = fl_now_ns();
	if (!fl_rpo_trial_wait(&t, out->rto.healthy_ns + cfg->after_ns, "recovery"))
		fl_rpo_trial_fail(&t, "recovery", -EINTR, "interrupted");
out:
	if (t.driver) {
		err = fl_rpo_driver_stop(t.driver, &out->ops, &out->n_ops);
		t.driver = NULL;
		if (err)
			fl_rpo_trial_fail(&t, "load", err, "history lost: %s", strerror(-err));
	}
	fl_rpo_timeline_stop(&t);
	/* Read back only from a service that came back. */
	if (!out->err)
		judge(&t);
	fl_wl_service_stop(&t.svc, cfg->term_timeout_ns);
	if (t.svc.builtin)
		fl_workload_stopped(t.w);
	fl_rpo_timeline_free(&t);
	fl_rpo_fault_teardown(&t);
	fl_rpo_trial_progress(&t, out->err ? "failed" : "done");
	fl_workload_close(t.w);
}

static void summarize(struct fl_rpo_result *r)
{
	uint64_t *rpo = calloc(r->n_trials + 1, sizeof(*rpo));
	uint64_t *rto = calloc(r->n_trials + 1, sizeof(*rto));
	bool rpo_met = true, lost_met = true;
	size_t n = 0;

	r->rpo_met = r->rto_met = r->lost_met = false;
	if (!rpo || !rto)
		goto out;
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rpo_trial *t = &r->trials[i];

		/* Could not measure: reported with its cause, no verdict either way. */
		if (t->err)
			continue;
		rpo[n] = t->check.rpo_ns;
		rto[n] = fl_rpo_rto_ns(&t->rto);
		rpo_met &= fl_rpo_rpo_met(&t->check, r->cfg.rpo_max_ns);
		lost_met &= fl_rpo_lost_met(&t->check, r->cfg.lost_max);
		if (t->check.lost > r->lost_worst)
			r->lost_worst = t->check.lost;
		n++;
	}
	r->n_measured = n;
	if (n) {
		fl_rpo_stats(rpo, n, &r->rpo);
		fl_rpo_stats(rto, n, &r->rto);
		r->mttr_ns = r->rto.mean;
		r->rpo_met = rpo_met;
		r->lost_met = lost_met;
		r->rto_met = r->rto.max <= r->cfg.rto_max_ns;
	}
	/* Out of memory: no verdict, so no objective passes. */
	if (fl_rpo_judge_objectives(r))
		r->verdict.pass = false;
out:
	free(rpo);
	free(rto);
}

/* A built-in store's data directory is the one its file is in. */
static void default_data_dir(struct fl_rpo_result *r)
{
	struct fl_workload *w;
	const char *path;
	char *slash;

	if (r->cfg.data_dir || fl_workload_open(r->cfg.workload, &w, NULL, 0))
		return;
	path = fl_workload_store_path(w);
	if (path) {
		snprintf(r->data_dir, sizeof(r->data_dir), "%s", path);
		slash = strrchr(r->data_dir, '/');
		if (slash == r->data_dir)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			snprintf(r->data_dir, sizeof(r->data_dir), ".");
		r->cfg.data_dir = r->data_dir;
	}
	fl_workload_close(w);
}

int fl_rpo_run(const struct fl_rpo_config *cfg, fl_rpo_progress_cb progress, void *ctx,
	       struct fl_rpo_result **ret)
{
	return fl_rpo_run_why(cfg, progress, ctx, ret, NULL, 0);
}

int fl_rpo_run_why(const struct fl_rpo_config *cfg, fl_rpo_progress_cb progress, void *ctx,
		   struct fl_rpo_result **ret, char *errbuf, size_t errlen)
{
	struct fl_rpo_result *r;
	struct fl_state *st = NULL;
	int err;

	if (!cfg->workload || !cfg->trials || !cfg->load.clients)
		return -EINVAL;
	err = fl_rpo_config_check(cfg, errbuf, errlen);
	if (err)
		return err;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	default_data_dir(r);
	r->trials = calloc(cfg->trials, sizeof(*r->trials));
	if (!r->trials) {
		free(r);
		return -ENOMEM;
	}
	/* A managed server that cannot be made is the first trial's failure, with its reason. */
	err = fl_rpo_managed_resolve(r, r->trials[0].error, sizeof(r->trials[0].error));
	if (err) {
		r->trials[0].err = err;
		snprintf(r->trials[0].phase, sizeof(r->trials[0].phase), "setup");
		r->n_trials = 1;
		summarize(r);
		*ret = r;
		return 0;
	}
	/* Mounts, cgroups and stopped processes are recorded: nothing outlives a killed run. */
	err = fl_state_open(NULL, &st);
	if (err)
		fl_rpo_explain_refusal(&r->cfg, "creating its state directory", err, errbuf, errlen);
	if (!err)
		err = fl_state_watchdog_start(st);
	/* What else needs root, before anything starts; then the service's user gets its directory. */
	if (!err)
		err = fl_rpo_preflight(&r->cfg, errbuf, errlen);
	if (err) {
		if (st)
			fl_state_close(st);
		fl_rpo_result_free(r);  /* a managed server goes with it */
		return err;
	}
	*fl_rpo_interrupted() = 0;
	for (unsigned i = 0; i < cfg->trials; i++) {
		run_trial(&r->cfg, st, i, &r->trials[i], progress, ctx);
		r->n_trials++;
		if (*fl_rpo_interrupted())
			break;
	}
	fl_state_close(st);
	fl_rpo_managed_discard(r);
	summarize(r);
	*ret = r;
	return 0;
}

void fl_rpo_result_free(struct fl_rpo_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_trials; i++) {
		free(r->trials[i].ops);
		free(r->trials[i].back);
	}
	free(r->trials);
	fl_wl_managed_free(r->managed);
	free(r);
}
