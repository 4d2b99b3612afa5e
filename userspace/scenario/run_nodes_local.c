// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runner's nodes on this machine: a cluster of the cluster room
 * (netns, cgroup, faultfs per node), brought up for one trial.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errbuf.h"
#include "run_priv.h"

static void cluster_progress(void *arg, const char *msg)
{
	sc_progress(arg, "%s", msg);
}

static int up(struct sc_run *r, char *errbuf, size_t errlen)
{
	const char *settings[FL_SCENARIO_MAX_SETTINGS + 1] = { NULL };
	char *owned[FL_SCENARIO_MAX_SETTINGS] = { NULL };
	struct fl_cluster_config cfg = {
		.name = r->plan->name, .kind = r->plan->kind, .nodes = r->s->n_nodes,
		.node_cfg = r->plan->node_cfg, .subnet = r->o->subnet, .run_dir = r->o->run_dir,
		.settings = settings, .faultfs_opts = r->s->faultfs,
		.progress = cluster_progress, .progress_arg = r,
	};
	int err = 0;

	for (unsigned i = 0; !err && i < r->s->n_settings; i++)
		if (asprintf(&owned[i], "%s=%s", r->s->settings[i].key, r->s->settings[i].value) < 0)
			err = -ENOMEM;
		else
			settings[i] = owned[i];
	if (!err)
		err = fl_cluster_up(&cfg, &r->c, errbuf, errlen);
	for (unsigned i = 0; i < r->s->n_settings; i++)
		free(owned[i]);
	if (!err)
		r->n = (unsigned)fl_cluster_n_nodes(r->c);
	return err;
}

static int down(struct sc_run *r, char *errbuf, size_t errlen)
{
	int err = fl_cluster_down(r->c, 10000, errbuf, errlen);

	r->c = NULL;
	return err;
}

static int client_spec(struct sc_run *r, unsigned i, char **ret)
{
	return fl_cluster_client_spec(r->c, i, ret);
}

static int start(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	return fl_node_start(r->c, i, errbuf, errlen);
}

static int stop(struct sc_run *r, unsigned i, int timeout_ms, char *errbuf, size_t errlen)
{
	return fl_node_stop(r->c, i, timeout_ms, errbuf, errlen);
}

static int crash(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	return fl_node_crash(r->c, i, errbuf, errlen);
}

static int pause_node(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	return fl_node_pause(r->c, i, errbuf, errlen);
}

static int resume(struct sc_run *r, unsigned i, char *errbuf, size_t errlen)
{
	return fl_node_resume(r->c, i, errbuf, errlen);
}

static int powercut(struct sc_run *r, unsigned i, struct fl_node_powercut_report *rep,
		    char *errbuf, size_t errlen)
{
	return fl_node_powercut(r->c, i, rep, errbuf, errlen);
}

static int health(struct sc_run *r, unsigned i, int timeout_ms)
{
	return fl_node_health(r->c, i, timeout_ms);
}

static bool running(struct sc_run *r, unsigned i)
{
	size_t n = 0;
	pid_t pid;

	return !fl_node_pids(r->c, i, &pid, 1, &n) && n > 0;
}

static int wait_healthy(struct sc_run *r, int timeout_ms, char *errbuf, size_t errlen)
{
	return fl_cluster_wait_healthy(r->c, timeout_ms, errbuf, errlen);
}

static int partition(struct sc_run *r, const unsigned *a, size_t na, const unsigned *b,
		     size_t nb, void **ret, char *errbuf, size_t errlen)
{
	struct fl_cluster_partition *p = NULL;
	int err = fl_cluster_partition(r->c, a, na, b, nb, NULL, &p, errbuf, errlen);

	if (!err)
		*ret = p;
	return err;
}

static int heal(struct sc_run *r, void *p, char *errbuf, size_t errlen)
{
	(void)r;
	return fl_cluster_heal(p, errbuf, errlen);
}

static int fault_arm(struct sc_run *r, unsigned i, enum fl_node_fault_kind kind, const char *rule,
		     void **ret, char *mech, size_t mech_len, char *errbuf, size_t errlen)
{
	struct fl_node_fault *f = NULL;
	/* The fault's own state and watchdog: it goes if this process dies. */
	int err = fl_node_fault_arm(r->c, i, kind, rule, NULL, &f, NULL, errbuf, errlen);

	if (err)
		return err;
	snprintf(mech, mech_len, "%s", fl_node_fault_mechanism(f));
	*ret = f;
	return 0;
}

static int fault_clear(struct sc_run *r, void *f, uint64_t *ret_matched, uint64_t *ret_injected,
		       char *errbuf, size_t errlen)
{
	struct fl_node_fault_stats st = { 0 };
	int err = fl_node_fault_clear(f, &st, errbuf, errlen);

	(void)r;
	*ret_matched = st.matched;
	*ret_injected = st.injected;
	return err;
}

static int leader(struct sc_run *r, int timeout_ms, unsigned *ret)
{
	return fl_cluster_leader(r->c, timeout_ms, ret, NULL, 0);
}

static int promote(struct sc_run *r, unsigned i, int timeout_ms, char *errbuf, size_t errlen)
{
	return fl_cluster_promote(r->c, i, timeout_ms, errbuf, errlen);
}

static void log_tail(struct sc_run *r, unsigned i)
{
	const struct fl_cluster_node *n = fl_cluster_node(r->c, i);
	char buf[4096], *line, *save = NULL;
	FILE *f = fopen(n->log, "re");
	long size;
	size_t got;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	/* The last five lines. */
	for (int k = 0, pos = (int)got; pos > 0; pos--)
		if (buf[pos - 1] == '\n' && pos != (int)got && ++k == 5) {
			memmove(buf, buf + pos, got - (size_t)pos + 1);
			break;
		}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		sc_progress(r, "%s log: %s", n->name, line);
}

const struct sc_nodes_ops sc_nodes_local = {
	.name = "local",
	.mechanism = {
		[FL_SOP_POWERCUT] = "cgroup.kill, then faultfs power cut (FUSE)",
		[FL_SOP_CRASH] = "cgroup.kill (SIGKILL to every process)",
		[FL_SOP_STOP] = "the node's stop command, else SIGTERM",
		[FL_SOP_PAUSE] = "cgroup.freeze",
		[FL_SOP_PARTITION] = "tc BPF drop on the nodes' veths",
	},
	.up = up, .down = down, .client_spec = client_spec,
	.start = start, .stop = stop, .crash = crash, .pause = pause_node, .resume = resume,
	.powercut = powercut, .health = health, .running = running, .wait_healthy = wait_healthy,
	.partition = partition, .heal = heal, .fault_arm = fault_arm, .fault_clear = fault_clear,
	.leader = leader, .promote = promote, .log_tail = log_tail,
};
