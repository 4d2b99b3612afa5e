// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline scenario run` for real, as a user runs it: each of the six
 * example scenarios under examples/scenarios/ (one trial each, on its own
 * subnet, name and run dir) on real etcd, PostgreSQL and redis clusters,
 * judged from its faultline-scenario/2 result. Proves: the trial ran and
 * was measured, its events are the file's steps with their nodes
 * resolved, the expectations hold (etcd loses nothing to a power
 * cut of every node nor to its leader's partition, and the partition's
 * unavailability is measured; PostgreSQL with a synchronous standby loses
 * nothing; the asynchronous failovers' loss and RTO are measured; the
 * cascade's disk-full fault ran and counted), the register reads were
 * checked, the exit status is the verdict, and nothing of the cluster is
 * left. Also: a nemesis runs its seeded sequence; SIGINT ends a run
 * early, recovered and torn down, the result saying so; an invalid file
 * exits 2 with FILE:LINE:COL; a user without root is told so.
 *
 * Every run's figures are printed ("figures: ..."). About three minutes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <faultline/state.h>
#include "core/clock.h"
#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "../cluster/cluster_residue.h"

/* The longest example runs 25 s; bring-up, recovery, read-back and down add tens. */
#define RUN_TIMEOUT_MS 240000
/* From SIGINT to exit: the end's recovery (an etcd election), read-back and down. */
#define INTERRUPT_BOUND_MS 45000

enum need { NEED_NONE, NEED_ETCD, NEED_POSTGRES, NEED_REDIS };

static char faultline[PATH_MAX], base[PATH_MAX], state_dir[PATH_MAX];

static bool require(enum need need)
{
	char ff[PATH_MAX], path[PATH_MAX * 2];
	const char *old = getenv("PATH");
	glob_t g;

	/* NEED_NONE: the binary only (what is refused before anything runs). */
	if (need != NEED_NONE && !fl_test_require_root())
		return false;
	switch (need) {
	case NEED_NONE:
		break;
	case NEED_ETCD:
		if (access("/usr/bin/etcd", X_OK) || access("/usr/bin/etcdctl", X_OK)) {
			print_message("skip: etcd/etcdctl not installed (Debian etcd-server, "
				      "etcd-client: tools/install-deps.sh installs them)\n");
			return false;
		}
		break;
	case NEED_POSTGRES:
		if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g)) {
			print_message("skip: no PostgreSQL server (Debian postgresql: "
				      "tools/install-deps.sh installs it)\n");
			return false;
		}
		globfree(&g);
		break;
	case NEED_REDIS:
		if (access("/usr/bin/redis-server", X_OK) || access("/usr/bin/redis-cli", X_OK)) {
			print_message("skip: no redis-server/redis-cli (Debian redis-server, "
				      "redis-sentinel: tools/install-deps.sh installs them)\n");
			return false;
		}
		break;
	}
	if (need != NEED_NONE && access("/dev/fuse", R_OK | W_OK)) {
		print_message("skip: no /dev/fuse\n");
		return false;
	}
	if (access("examples/scenarios/cascade.yaml", R_OK)) {
		print_message("skip: examples/scenarios/ not found (run from the source tree)\n");
		return false;
	}
	if (!fl_test_binary("faultline", faultline, sizeof(faultline)) ||
	    !fl_test_binary("faultfs", ff, sizeof(ff)))
		return false;
	/* The library finds faultfs on $PATH; the sessions stay this test's own. */
	if (!base[0]) {
		snprintf(path, sizeof(path), "%s:%s", dirname(ff), old ? old : "/usr/bin:/bin");
		setenv("PATH", path, 1);
		assert_int_equal(fl_fixture_tmpdir_create(base, sizeof(base)), 0);
		assert_int_equal(fl_fixture_tmpdir_create(state_dir, sizeof(state_dir)), 0);
		/* PostgreSQL runs as postgres: it must reach its data dirs. */
		assert_int_equal(chmod(base, 0755), 0);
		setenv("FAULTLINE_RUN_DIR", state_dir, 1);
	}
	return true;
}

struct run {
	char dir[PATH_MAX + 32];  /* --run-dir: this run's own */
	char out[PATH_MAX + 64];  /* -o */
	struct fl_cli_result r;
	json_t *doc;
	json_t *trial;           /* the one trial (borrowed from doc) */
};

static void run_paths(struct run *run, const char *name)
{
	memset(run, 0, sizeof(*run));
	snprintf(run->dir, sizeof(run->dir), "%s/%s", base, name);
	assert_int_equal(mkdir(run->dir, 0755), 0);
	snprintf(run->out, sizeof(run->out), "%s/result.json", run->dir);
}

static void load_result(struct run *run)
{
	json_error_t jerr;

	run->doc = json_load_file(run->out, 0, &jerr);
	if (!run->doc) {
		print_message("stderr:\n%s\n", run->r.err);
		fail_msg("no result in %s (%s); exit %d", run->out, jerr.text, run->r.code);
	}
	assert_string_equal(json_string_value(json_object_get(run->doc, "schema")),
			    "faultline-scenario/2");
	assert_int_equal(json_array_size(json_object_get(run->doc, "trials")), 1);
	run->trial = json_array_get(json_object_get(run->doc, "trials"), 0);
}

static void run_free(struct run *run)
{
	json_decref(run->doc);
	fl_cli_result_free(&run->r);
}

static double num(const json_t *o, const char *path)
{
	char buf[256], *save = NULL;
	const json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	if (!json_is_number(v))
		fail_msg("%s: expected a number", path);
	return json_number_value(v);
}

static const json_t *get(const json_t *o, const char *path)
{
	char buf[256], *save = NULL;
	const json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	if (!v)
		fail_msg("%s: missing", path);
	return v;
}

/*
 * The common verdict of a finished run: one trial, measured, not
 * interrupted, every event ok, writes acknowledged, the exit status its
 * `passed`, and nothing of the cluster left.
 */
static void check_run(struct run *run, const char *name)
{
	const json_t *t, *events;
	bool passed;

	assert_false(run->r.timed_out);
	load_result(run);
	t = run->trial;
	if (!json_is_true(json_object_get(t, "ok"))) {
		print_message("stderr:\n%s\n", run->r.err);
		fail_msg("trial not measured (phase %s): %s",
			 json_string_value(json_object_get(t, "phase")),
			 json_string_value(json_object_get(t, "error")));
	}
	assert_string_equal(json_string_value(get(run->doc, "cluster_name")), name);
	assert_true(json_is_false(get(run->doc, "interrupted")));
	assert_int_equal(num(run->doc, "summary.measured"), 1);
	passed = json_is_true(get(run->doc, "passed"));
	if (run->r.code != (passed ? 0 : 1)) {
		print_message("stderr:\n%s\n", run->r.err);
		fail_msg("exit %d, but passed is %s", run->r.code, passed ? "true" : "false");
	}
	events = get(t, "events");
	for (size_t i = 0; i < json_array_size(events); i++) {
		const json_t *e = json_array_get(events, i);

		if (!json_is_true(json_object_get(e, "ok")))
			fail_msg("event %zu (step %lld %s) failed: %s", i,
				 (long long)json_integer_value(json_object_get(e, "step")),
				 json_string_value(json_object_get(e, json_object_get(e, "fault") ?
								   "fault" : "action")),
				 json_string_value(json_object_get(e, "error")));
	}
	assert_true(num(t, "writes.acknowledged") > 0);
	assert_true(num(t, "writes.acknowledged") <= num(t, "writes.attempted"));
	/* Nothing of the cluster is left, and its directory under the run dir is gone. */
	assert_no_residue(name, run->dir);
	{
		char cdir[PATH_MAX * 2];

		snprintf(cdir, sizeof(cdir), "%s/%s", run->dir, name);
		if (access(cdir, F_OK) == 0)
			fail_msg("the cluster's directory %s is left", cdir);
	}
}

/* A duration in ms, or "never" (null). */
static const char *ms_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_number(v))
		snprintf(buf, len, "%.1f", json_number_value(v));
	else
		snprintf(buf, len, "never");
	return buf;
}

static void print_figures(const struct run *run, const char *what)
{
	const json_t *t = run->trial;
	char rpo[32], rto[32];

	print_message("figures: %s: acknowledged %.0f, lost %.0f, rpo_ms %s, rto_ms %s, "
		      "availability %.2f%%, leader changes %.0f, cluster up %.0f ms, down %.0f ms, "
		      "exit %d\n", what, num(t, "writes.acknowledged"), num(t, "writes.lost"),
		      ms_text(get(t, "writes.rpo_ms"), rpo, sizeof(rpo)),
		      ms_text(json_object_get(t, "rto_ms"), rto, sizeof(rto)),
		      num(t, "availability"), num(t, "leader_changes"), num(t, "cluster_up_ms"),
		      num(t, "cluster_down_ms"), run->r.code);
}

static void scenario_run(const char *file, const char *name, const char *subnet,
			 struct run *run)
{
	char *argv[] = { faultline, "scenario", "run", (char *)file, "--trials", "1", "--name",
			 (char *)name, "--subnet", (char *)subnet, "--run-dir", run->dir, "-o",
			 run->out, NULL };

	assert_int_equal(fl_cli_run(argv, RUN_TIMEOUT_MS, &run->r), 0);
}

static void run_example(const char *example, const char *name, const char *subnet,
			struct run *run)
{
	char file[PATH_MAX];

	snprintf(file, sizeof(file), "examples/scenarios/%s.yaml", example);
	run_paths(run, name);
	scenario_run(file, name, subnet, run);
	check_run(run, name);
	print_figures(run, example);
}

/* The non-undo event of step (1-based); fails when it did not run. */
static const json_t *step_event(const json_t *t, unsigned step)
{
	const json_t *events = get(t, "events");

	for (size_t i = 0; i < json_array_size(events); i++) {
		const json_t *e = json_array_get(events, i);

		if (json_integer_value(json_object_get(e, "step")) == step &&
		    json_is_false(json_object_get(e, "undo")))
			return e;
	}
	fail_msg("step %u: no event", step);
	return NULL;
}

/* Does the result's environment say that what went through mech? */
static bool has_mechanism(const json_t *doc, const char *what, const char *mech)
{
	const json_t *list = json_object_get(get(doc, "environment"), "mechanisms");

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *e = json_array_get(list, i);

		if (!strcmp(json_string_value(json_object_get(e, "for")) ?: "", what) &&
		    !strcmp(json_string_value(json_object_get(e, "mechanism")) ?: "", mech))
			return true;
	}
	return false;
}

static const json_t *undo_event(const json_t *t, unsigned step)
{
	const json_t *events = get(t, "events");

	for (size_t i = 0; i < json_array_size(events); i++) {
		const json_t *e = json_array_get(events, i);

		if (json_integer_value(json_object_get(e, "step")) == step &&
		    json_is_true(json_object_get(e, "undo")))
			return e;
	}
	return NULL;
}

/*
 * Step's event is the fault (or action) op on nodes: an exact list, or
 * "?" for any one node (a role resolved when it ran).
 */
static const json_t *assert_step(const json_t *t, unsigned step, const char *kind,
				 const char *op, const char *nodes)
{
	const json_t *e = step_event(t, step);
	const char *got = json_string_value(json_object_get(e, "nodes"));

	assert_string_equal(json_string_value(get(e, "source")), "step");
	if (!json_object_get(e, kind))
		fail_msg("step %u: expected %s %s, got %s", step, kind, op,
			 json_dumps(e, JSON_COMPACT));
	assert_string_equal(json_string_value(json_object_get(e, kind)), op);
	assert_non_null(got);
	if (!strcmp(nodes, "?")) {
		if (got[0] != 'n' || got[1] < '1' || got[1] > '9' || got[2])
			fail_msg("step %u (%s): nodes \"%s\", expected one node", step, op, got);
	} else {
		assert_string_equal(got, nodes);
	}
	assert_true(num(e, "done_ms") >= num(e, "at_ms"));
	return e;
}

static void assert_register_valid(const json_t *t)
{
	const json_t *reg = get(t, "reads.register");

	if (!json_is_true(json_object_get(reg, "ran")))
		fail_msg("register reads did not run: %s",
			 json_string_value(json_object_get(reg, "skipped")));
	if (!json_is_true(get(reg, "check.valid")))
		fail_msg("register reads invalid: %s",
			 json_dumps(get(reg, "check"), JSON_COMPACT));
	assert_true(num(reg, "check.reads_checked") > 0);
	print_message("register: %.0f reads checked, %.0f anomalies\n",
		      num(reg, "check.reads_checked"), num(reg, "check.anomalies_total"));
}

/* --- the six examples -------------------------------------------------------- */

static void test_etcd_powercut_all(void **state)
{
	struct run run;
	const json_t *t, *e;

	(void)state;
	if (!require(NEED_ETCD))
		skip();
	run_example("etcd-powercut-all", "scx_pcall", "10.231.150.0/24", &run);
	t = run.trial;
	e = assert_step(t, 1, "fault", "powercut", "n1,n2,n3");
	assert_non_null(json_object_get(e, "undone"));
	assert_step(t, 2, "action", "restart", "n1,n2,n3");
	/* Raft commit before the ack: nothing acknowledged is lost, on any node. */
	assert_int_equal(num(t, "writes.lost"), 0);
	assert_float_equal(num(t, "writes.rpo_ms"), 0, 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(num(json_array_get(get(t, "nodes"), i), "lost"), 0);
	/* Everything was down: the outage is measured, and the writes came back. */
	assert_true(num(t, "rto_ms") > 0);
	assert_register_valid(t);
	assert_true(json_is_true(get(run.doc, "passed")));
	run_free(&run);
}

static void test_etcd_leader_partition(void **state)
{
	struct run run;
	const json_t *t, *un;

	(void)state;
	if (!require(NEED_ETCD))
		skip();
	run_example("etcd-leader-partition", "scx_lpart", "10.231.151.0/24", &run);
	t = run.trial;
	assert_step(t, 1, "fault", "partition", "?");
	assert_step(t, 2, "action", "heal", "");
	assert_int_equal(num(t, "writes.lost"), 0);
	/* The majority elected another leader; the clients waited for it. */
	assert_true(num(t, "leader_changes") >= 1);
	assert_true(num(t, "rto_ms") > 0);
	un = get(t, "unavailability");
	assert_true(json_array_size(un) >= 1);
	assert_int_equal(json_array_size(get(json_array_get(un, 0), "clients_ms")), 4);
	assert_true(num(t, "availability") > 0 && num(t, "availability") < 100);
	assert_register_valid(t);
	run_free(&run);
}

static void test_pg_async_failover(void **state)
{
	struct run run;
	const json_t *t;

	(void)state;
	if (!require(NEED_POSTGRES))
		skip();
	run_example("pg-async-failover", "scx_pgasync", "10.231.152.0/24", &run);
	t = run.trial;
	assert_step(t, 1, "fault", "powercut", "n1");
	assert_step(t, 2, "action", "promote", "n2");
	assert_step(t, 3, "action", "restart", "n1");
	/* Loss possible: measured, a number (maybe 0), with its window. */
	assert_true(num(t, "writes.lost") >= 0);
	assert_true(json_is_number(get(t, "writes.rpo_ms")));
	assert_true(json_is_array(get(t, "writes.lost_ids")));
	assert_true(num(t, "rto_ms") > 0);
	assert_true(num(t, "leader_changes") >= 1);
	assert_true(json_is_true(get(t, "split_brain.checked")));
	run_free(&run);
}

static void test_pg_sync(void **state)
{
	struct run run;
	const json_t *t;

	(void)state;
	if (!require(NEED_POSTGRES))
		skip();
	run_example("pg-sync", "scx_pgsync", "10.231.153.0/24", &run);
	t = run.trial;
	assert_step(t, 1, "fault", "powercut", "n1");
	assert_step(t, 2, "action", "promote", "n2");
	/* The standby applied each commit before its ack: nothing lost. */
	assert_int_equal(num(t, "writes.lost"), 0);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(num(json_array_get(get(t, "nodes"), i), "lost"), 0);
	/*
	 * Measured, whatever it is: the promoted replica keeps
	 * synchronous_standby_names '*' with no standby left, so its commits
	 * may wait for good (null: never back).
	 */
	assert_true(json_is_number(get(t, "rto_ms")) || json_is_null(get(t, "rto_ms")));
	assert_int_equal(json_array_size(get(t, "unavailability")), 1);
	assert_int_equal(json_array_size(get(t, "split_brain.evidence")), 0);
	run_free(&run);
}

static void test_redis_sentinel_failover(void **state)
{
	struct run run;
	const json_t *t, *crash, *restart;

	(void)state;
	if (!require(NEED_REDIS))
		skip();
	run_example("redis-sentinel-failover", "scx_redis", "10.231.154.0/24", &run);
	t = run.trial;
	crash = assert_step(t, 1, "fault", "crash", "?");
	restart = assert_step(t, 2, "action", "restart", "?");
	/* old-primary: the node that was crashed. */
	assert_string_equal(json_string_value(json_object_get(restart, "nodes")),
			    json_string_value(json_object_get(crash, "nodes")));
	assert_true(num(t, "writes.lost") >= 0);
	assert_true(json_is_number(get(t, "writes.rpo_ms")));
	assert_true(num(t, "rto_ms") > 0);
	/* Sentinel failed over by itself. */
	assert_true(num(t, "leader_changes") >= 1);
	run_free(&run);
}

static void test_cascade(void **state)
{
	struct run run;
	const json_t *t, *disk, *clear;

	(void)state;
	if (!require(NEED_ETCD))
		skip();
	run_example("cascade", "scx_cascade", "10.231.155.0/24", &run);
	t = run.trial;
	assert_step(t, 1, "fault", "partition", "n1|n2,n3");
	assert_step(t, 2, "fault", "powercut", "n2");
	disk = assert_step(t, 3, "fault", "disk", "n3");
	assert_step(t, 4, "action", "heal", "");
	assert_step(t, 5, "action", "restart", "n2");
	/* Each waited for the one before. */
	assert_true(num(step_event(t, 2), "at_ms") >= num(step_event(t, 1), "done_ms"));
	assert_true(num(disk, "at_ms") >= num(step_event(t, 2), "done_ms"));
	assert_string_equal(json_string_value(get(disk, "rule")), "write:error=ENOSPC");
	assert_true(json_is_integer(get(disk, "matched")));
	assert_true(json_is_integer(get(disk, "injected")));
	/*
	 * Its 5 s ended before the run's: cleared, with what the rule saw and
	 * did. Unless n2 led when it lost power: n3 alone has no quorum, so
	 * step 3 waited the whole effect timeout (20 s) for a leader and its
	 * 5 s outlast the run.
	 */
	clear = undo_event(t, 3);
	if (!clear && json_is_true(get(step_event(t, 2), "effect_timeout"))) {
		print_message("cascade: n2 led at its power cut; no leader came, the disk fault "
			      "started at %.0f ms and outlasted the run\n", num(disk, "at_ms"));
	} else {
		assert_non_null(clear);
		assert_true(json_is_true(get(clear, "ok")));
		assert_true(json_is_integer(get(clear, "matched")));
		assert_true(json_is_integer(get(clear, "injected")));
		assert_true(num(clear, "injected") <= num(clear, "matched"));
		print_message("cascade: disk=ENOSPC on n3 matched %.0f, injected %.0f\n",
			      num(clear, "matched"), num(clear, "injected"));
	}
	assert_int_equal(num(t, "writes.lost"), 0);
	assert_register_valid(t);
	run_free(&run);
}

/* --- a nemesis, SIGINT, bad input, no root ----------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
}

/* The nemesis' generator (run_sched.c): splitmix64, the same on every machine. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * A nemesis of crash and pause every 3 s, seed 7: every event is the
 * nemesis', in the order the seed gives (so a rerun replays it), each
 * fault undone after half an interval; etcd loses nothing.
 */
static void test_nemesis_seeded(void **state)
{
	static const char *const faults[] = { "crash", "pause" };
	struct run run;
	char file[PATH_MAX + 96];
	const json_t *t, *events;
	uint64_t seed = 7;
	size_t k = 0;

	(void)state;
	if (!require(NEED_ETCD))
		skip();
	run_paths(&run, "scx_nem");
	snprintf(file, sizeof(file), "%s/nemesis.yaml", run.dir);
	write_file(file, "name: nemesis\n"
			 "cluster: etcd\n"
			 "workload: {target: leader, clients: 4, rate: 200}\n"
			 "nemesis: {faults: [crash, pause], interval: 3s, seed: 7}\n"
			 "objectives: {rpo: 0s}\n"
			 "duration: 12s\n");
	scenario_run(file, "scx_nem", "10.231.156.0/24", &run);
	check_run(&run, "scx_nem");
	print_figures(&run, "nemesis");
	t = run.trial;
	events = get(t, "events");
	for (size_t i = 0; i < json_array_size(events); i++) {
		const json_t *e = json_array_get(events, i);
		const char *op = json_string_value(json_object_get(e, "fault"));
		char want_node[8];
		uint64_t f, n;

		assert_string_equal(json_string_value(get(e, "source")), "nemesis");
		assert_true(json_is_null(get(e, "step")));
		assert_non_null(op);
		if (json_is_true(get(e, "undo")))
			continue;
		f = splitmix64(&seed) % 2;
		n = splitmix64(&seed) % 3;
		snprintf(want_node, sizeof(want_node), "n%u", (unsigned)n + 1);
		print_message("nemesis %zu: %s %s at %.0f ms\n", k + 1, op,
			      json_string_value(json_object_get(e, "nodes")), num(e, "at_ms"));
		assert_string_equal(op, faults[f]);
		assert_string_equal(json_string_value(json_object_get(e, "nodes")), want_node);
		/* Every interval: at 3 s, 6 s, 9 s ... */
		assert_true(num(e, "at_ms") >= 3000.0 * (double)(k + 1));
		/*
		 * ... within the load: a fault at its end (12 s) is measured by
		 * nothing, and its unavailability would read "never back".
		 */
		if (num(e, "at_ms") >= 12000.0)
			fail_msg("nemesis fault %zu at %.0f ms: at or past the load's end (12 s)",
				 k + 1, num(e, "at_ms"));
		k++;
	}
	/* 12 s at an interval of 3 s: at 3, 6 and 9 s. */
	assert_int_equal(k, 3);
	assert_int_equal(num(t, "writes.lost"), 0);
	/* Each fault's clients wrote again: an RTO, not "never". */
	assert_int_equal(json_array_size(get(t, "unavailability")), 3);
	assert_true(json_is_number(get(t, "rto_ms")));
	run_free(&run);
}

/*
 * SIGINT during the load (the leader partitioned): the run ends soon,
 * heals, reads back and tears the cluster down; the result says it was
 * interrupted, and the steps after the signal did not run.
 */
static void test_sigint_ends_the_run(void **state)
{
	struct run run;
	struct fl_cli *cli = NULL;
	char *argv[] = { faultline, "scenario", "run", "examples/scenarios/etcd-leader-partition.yaml",
			 "--trials", "1", "--name", "scx_int", "--subnet", "10.231.157.0/24",
			 "--run-dir", NULL, "-o", NULL, NULL };
	uint64_t t_sig;
	const json_t *t, *events;

	(void)state;
	if (!require(NEED_ETCD))
		skip();
	run_paths(&run, "scx_int");
	argv[11] = run.dir;
	argv[13] = run.out;
	assert_int_equal(fl_cli_start(argv, &cli), 0);
	assert_int_equal(fl_cli_wait_stderr(cli, "load on", 60000), 0);
	/* The partition (at 3 s) is in place; the heal (at 10 s) is not yet. */
	fl_sleep_ms(5000);
	t_sig = fl_now_ns();
	assert_int_equal(fl_cli_signal(cli, SIGINT), 0);
	fl_cli_wait(cli, INTERRUPT_BOUND_MS, &run.r);
	fl_cli_free(cli);
	assert_false(run.r.timed_out);
	print_message("SIGINT: exited %d after %llu ms\n", run.r.code,
		      (unsigned long long)ms_since(t_sig));
	assert_true(WIFEXITED(run.r.status));
	assert_int_not_equal(run.r.code, 125);
	load_result(&run);
	t = run.trial;
	assert_true(json_is_true(get(run.doc, "interrupted")));
	/* The load stopped at the signal, not at its 15 s. */
	assert_true(num(t, "load_ms") < 10000);
	if (json_is_true(get(t, "ok"))) {
		events = get(t, "events");
		for (size_t i = 0; i < json_array_size(events); i++)
			assert_int_not_equal(json_integer_value(json_object_get(
				json_array_get(events, i), "step")), 2);
		assert_int_equal(num(t, "writes.lost"), 0);
	} else {
		print_message("interrupted trial not measured (phase %s): %s\n",
			      json_string_value(json_object_get(t, "phase")),
			      json_string_value(json_object_get(t, "error")));
	}
	assert_no_residue("scx_int", run.dir);
	run_free(&run);
}

/*
 * net= and syscall= faults through a scenario: armed on the node, their
 * counters read when their duration clears them, the cluster whole after.
 */
static void test_rule_faults(void **state)
{
	static const char yaml[] =
		"name: rule-faults\n"
		"cluster: etcd\n"
		"faultfs: durability=data\n"
		"workload: {target: leader, clients: 2, rate: 100, register: off, bank: off}\n"
		"steps:\n"
		"  - {at: 1s, fault: \"net=tcp:dport=2380:drop\", node: follower, duration: 2s}\n"
		"  - {at: 4s, fault: \"syscall=fdatasync:pause=50ms\", node: leader, duration: 2s}\n"
		"duration: 8s\n";
	char file[PATH_MAX + 64];
	const json_t *t, *net, *sys;
	struct run run;

	(void)state;
	if (!require(NEED_ETCD))
		skip();
	run_paths(&run, "scx_rule");
	snprintf(file, sizeof(file), "%s/rules.yaml", run.dir);
	write_file(file, yaml);
	scenario_run(file, "scx_rule", "10.231.159.0/24", &run);
	check_run(&run, "scx_rule");
	t = run.trial;
	net = undo_event(t, 1);
	sys = undo_event(t, 2);
	print_message("net=: matched %.0f injected %.0f; syscall=: matched %.0f injected %.0f\n",
		      num(net, "matched"), num(net, "injected"), num(sys, "matched"),
		      num(sys, "injected"));
	/* A follower's peer traffic never stops: the drop saw packets; the leader fsyncs its WAL. */
	assert_true(num(net, "injected") > 0);
	assert_true(num(sys, "injected") > 0);
	assert_int_equal(num(t, "writes.lost"), 0);
	/* What carried each rule: tc on the follower's veth, the BPF stop for a pause. */
	assert_true(has_mechanism(run.doc, "fault net", "tc-bpf"));
	assert_true(has_mechanism(run.doc, "fault syscall", "sigstop"));
	run_free(&run);
}

/*
 * A run killed outright leaves its cluster to the cluster's watchdog, and
 * `faultline cleanup` finds nothing more: no netns, veth, bridge, cgroup,
 * mount or process is left.
 */
static void test_sigkill_then_cleanup(void **state)
{
	char *argv[] = { faultline, "scenario", "run", "examples/scenarios/etcd-leader-partition.yaml",
			 "--trials", "1", "--name", "scx_kill", "--subnet", "10.231.160.0/24",
			 "--run-dir", NULL, "-o", NULL, NULL };
	char *cleanup[] = { faultline, "cleanup", NULL };
	struct fl_cli_result cr;
	struct fl_cli *cli = NULL;
	struct run run;

	(void)state;
	if (!require(NEED_ETCD))
		skip();
	run_paths(&run, "scx_kill");
	argv[11] = run.dir;
	argv[13] = run.out;
	assert_int_equal(fl_cli_start(argv, &cli), 0);
	assert_int_equal(fl_cli_wait_stderr(cli, "load on", 60000), 0);
	/* The partition (at 3 s) is in place. */
	fl_sleep_ms(4500);
	assert_int_equal(fl_cli_signal(cli, SIGKILL), 0);
	fl_cli_wait(cli, 10000, &run.r);
	fl_cli_free(cli);
	assert_int_equal(fl_cli_run(cleanup, 60000, &cr), 0);
	print_message("cleanup after SIGKILL: exit %d: %s%s\n", cr.code, cr.out, cr.err);
	fl_cli_result_free(&cr);
	assert_no_residue("scx_kill", run.dir);
	run_free(&run);
}

static void test_invalid_file_exits_2(void **state)
{
	struct run run;
	char file[PATH_MAX + 96], want[PATH_MAX + 160];
	char *argv[] = { faultline, "scenario", "run", file, "--trials", "1", "--name", "scx_bad",
			 "--subnet", "10.231.158.0/24", "--run-dir", NULL, "-o", NULL, NULL };

	(void)state;
	if (!require(NEED_NONE))
		skip();
	run_paths(&run, "scx_bad");
	argv[11] = run.dir;
	argv[13] = run.out;
	snprintf(file, sizeof(file), "%s/bad.yaml", run.dir);
	write_file(file, "name: bad\n"
			 "cluster: etcd\n"
			 "steps:\n"
			 "  - {at: 1s, fault: crash, node: n1}\n"
			 "  - {at: 5 seconds, fault: crash, node: n2}\n");
	assert_int_equal(fl_cli_run(argv, 30000, &run.r), 0);
	assert_int_equal(run.r.code, 2);
	snprintf(want, sizeof(want), "%s:5:10: steps[2].at: expected a duration", file);
	if (!strstr(run.r.err, want))
		fail_msg("expected \"%s\" in:\n%s", want, run.r.err);
	/* Nothing ran: no result, no cluster. */
	assert_int_equal(access(run.out, F_OK), -1);
	assert_no_residue("scx_bad", run.dir);
	run_free(&run);
}

static void test_needs_root(void **state)
{
	struct run run;
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", faultline,
			 "scenario", "run", "examples/scenarios/etcd-leader-partition.yaml",
			 "--name", "scx_user", "--run-dir", NULL, "-o", NULL, NULL };

	(void)state;
	if (!require(NEED_NONE))
		skip();
	if (geteuid() != 0) {
		print_message("skip: not root, so nothing to drop\n");
		skip();
	}
	if (access("/usr/bin/setpriv", X_OK)) {
		print_message("skip: no setpriv (util-linux) to drop root\n");
		skip();
	}
	run_paths(&run, "scx_user");
	argv[11] = run.dir;
	argv[13] = run.out;
	assert_int_equal(fl_cli_run(argv, 30000, &run.r), 0);
	if (run.r.code == 126 || run.r.code == 127) {
		print_message("skip: uid 65534 cannot run %s: %s\n", faultline, run.r.err);
		run_free(&run);
		skip();
	}
	assert_int_equal(run.r.code, 2);
	if (!strstr(run.r.err, "scenario run: needs root"))
		fail_msg("expected the root message in:\n%s", run.r.err);
	/* It names the command that needs none. */
	assert_non_null(strstr(run.r.err, "faultline scenario check"));
	assert_int_equal(access(run.out, F_OK), -1);
	assert_no_residue("scx_user", run.dir);
	run_free(&run);
}

static int teardown(void **state)
{
	(void)state;
	/* A failed test leaves its cluster up: undo every session of ours first. */
	if (state_dir[0])
		fl_state_cleanup_all(state_dir, true, NULL);
	if (base[0])
		fl_fixture_tmpdir_destroy(base);
	if (state_dir[0])
		fl_fixture_tmpdir_destroy(state_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_file_exits_2),
		cmocka_unit_test(test_needs_root),
		cmocka_unit_test(test_etcd_powercut_all),
		cmocka_unit_test(test_etcd_leader_partition),
		cmocka_unit_test(test_pg_async_failover),
		cmocka_unit_test(test_pg_sync),
		cmocka_unit_test(test_redis_sentinel_failover),
		cmocka_unit_test(test_cascade),
		cmocka_unit_test(test_nemesis_seeded),
		cmocka_unit_test(test_sigint_ends_the_run),
		cmocka_unit_test(test_rule_faults),
		cmocka_unit_test(test_sigkill_then_cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
