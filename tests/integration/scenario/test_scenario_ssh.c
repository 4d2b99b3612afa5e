// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline scenario run` on nodes over SSH (host: ssh://root@ADDR:PORT),
 * for real: two fresh netns on a bridge of their own (a /29 of
 * 10.231.202.0/24 picked by the pid), a real sshd (Debian openssh-server)
 * in each, and a scenario file written here with two redis-server nodes
 * whose data dirs are under this test's mkdtemp directory. The runner
 * mounts faultfs over each data dir over SSH, starts redis detached, and
 * runs: a crash and a restart of the first node, a pause of the second
 * with a duration, a partition between them healed, a full disk
 * (disk=write:error=ENOSPC) for a second and a power cut, while the
 * writes go to the first node. The result's events, writes, lost count
 * and the nodes' timelines are checked, then that nothing is left: no
 * faultfs mount, no redis-server, no session record, sshd stopped, the
 * netns and the bridge deleted. Root; skips when sshd or redis-server is
 * missing.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/shell.h"
#include "helpers/sshd_netns.h"

#define SSH_PORT   2222
#define RUN_MS     90000

static char bin_fl[PATH_MAX], bin_fs[PATH_MAX];

struct ctx {
	bool ready;
	char why[PATH_MAX + 128];
	char dir[64];
	char br[16], host_ip[16];
	bool br_made, run_sshd_made;
	struct fl_sshd_node n[2];
	struct fl_sshd_keys keys;      /* one host key for both nodes; client: the runner's */
	char known[PATH_MAX], wrapper[PATH_MAX], yaml[PATH_MAX], result[PATH_MAX];
};

static struct ctx *g;

#define NOT_READY(...)                                                     \
	do {                                                               \
		snprintf(c->why, sizeof(c->why), __VA_ARGS__);             \
		return 0;                                                  \
	} while (0)

static int setup_inner(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	int base, id = getpid() % 100000;
	const char *missing;

	if (!c)
		return -1;
	g = c;
	*state = c;
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	fl_test_binary("faultfs", bin_fs, sizeof(bin_fs));
	if (geteuid() != 0 || !fl_test_require_root())
		NOT_READY("needs root (netns, sshd, FUSE)");
	missing = fl_sshd_missing();
	if (missing)
		NOT_READY("%s", missing);
	if (fl_test_sh("command -v redis-server >/dev/null && command -v redis-cli >/dev/null"))
		NOT_READY("redis-server is missing (Debian redis-server)");
	if (!fl_faultfs_require())
		NOT_READY("faultfs cannot mount here");
	if (access(bin_fl, X_OK) || access(bin_fs, X_OK))
		NOT_READY("%s or %s is not built", bin_fl, bin_fs);
	{
		char abs[PATH_MAX];

		if (!realpath(bin_fl, abs))
			return -1;
		strcpy(bin_fl, abs);
		if (!realpath(bin_fs, abs))
			return -1;
		strcpy(bin_fs, abs);
	}
	snprintf(c->dir, sizeof(c->dir), "/tmp/fl-scssh-XXXXXX");
	if (!mkdtemp(c->dir))
		return -1;

	/* A bridge on the host with both nodes' veths: one /29, no forwarding needed. */
	base = 8 * (getpid() % 32);
	snprintf(c->br, sizeof(c->br), "flsb%d", id);
	snprintf(c->host_ip, sizeof(c->host_ip), "10.231.202.%d", base + 1);
	if (fl_test_sh("ip link add %s type bridge && ip addr add %s/29 dev %s && ip link set %s up",
	       c->br, c->host_ip, c->br, c->br))
		return -1;
	c->br_made = true;
	for (int i = 0; i < 2; i++) {
		struct fl_sshd_node *n = &c->n[i];

		snprintf(n->ns, sizeof(n->ns), "fl-scssh-%c-%d", 'a' + i, getpid());
		snprintf(n->hdev, sizeof(n->hdev), "flh%c%d", 'a' + i, id);
		snprintf(n->ndev, sizeof(n->ndev), "fln%c%d", 'a' + i, id);
		snprintf(n->ip, sizeof(n->ip), "10.231.202.%d", base + 2 + i);
		n->port = SSH_PORT;
		if (fl_sshd_node_net(n, c->br, NULL, 29))
			return -1;
	}

	/* Keys: the hosts' (one for both), the runner's (authorized). */
	if (fl_sshd_keys_make(c->dir, false, &c->keys))
		return -1;
	snprintf(c->known, sizeof(c->known), "%s/known_hosts", c->dir);
	if (fl_test_write_file(c->known, "[%s]:%u %s\n[%s]:%u %s\n", c->n[0].ip, SSH_PORT,
		       c->keys.host_pub, c->n[1].ip, SSH_PORT, c->keys.host_pub))
		return -1;
	if (fl_sshd_privsep_dir(&c->run_sshd_made))
		return -1;
	for (int i = 0; i < 2; i++)
		if (fl_sshd_node_start(&c->n[i], c->dir, i ? "_b" : "_a", &c->keys,
				       "MaxStartups 100\nMaxSessions 100\n"))
			return -1;

	/*
	 * The hosts' faultline: this build, its state records in this test's
	 * directory (the runner's `faultline cleanup` there touches nothing
	 * else of this machine), and faultfs beside it.
	 */
	if (fl_test_sh("mkdir -p %s/bin %s/run && ln -s %s %s/bin/faultfs", c->dir, c->dir, bin_fs, c->dir))
		return -1;
	snprintf(c->wrapper, sizeof(c->wrapper), "%s/bin/faultline", c->dir);
	if (fl_test_write_file(c->wrapper, "#!/bin/sh\nFAULTLINE_RUN_DIR=%s/run exec %s \"$@\"\n", c->dir,
		       bin_fl) || chmod(c->wrapper, 0755))
		return -1;

	snprintf(c->yaml, sizeof(c->yaml), "%s/ssh.yaml", c->dir);
	snprintf(c->result, sizeof(c->result), "%s/r.json", c->dir);
	{
		const char *start = "exec redis-server --bind {addr} --port 6379 --dir {data} "
				    "--appendonly yes --save '' --protected-mode no";
		const char *health = "timeout 2 redis-cli -h {addr} -p 6379 ping | grep -q PONG";

		if (fl_test_write_file(c->yaml,
			       "name: ssh-redis\n"
			       "faultfs: durability=data\n"
			       "nodes:\n"
			       "  - {name: a, host: \"ssh://root@%s:%u\", data_dir: %s/a,\n"
			       "     start: \"%s\", health: \"%s\"}\n"
			       "  - {name: b, host: \"ssh://root@%s:%u\", data_dir: %s/b,\n"
			       "     start: \"%s\", health: \"%s\"}\n"
			       "workload: {kind: redis, target: a, clients: 2, rate: 200, "
			       "register: off, bank: off}\n"
			       "steps:\n"
			       "  - {at: 1s, fault: crash, node: a}\n"
			       "  - {at: 2s, action: restart, node: a}\n"
			       "  - {at: 3500ms, fault: pause, node: b, duration: 1s}\n"
			       "  - {at: 5s, fault: partition, sides: [[a], [b]]}\n"
			       "  - {at: 7500ms, action: heal}\n"
			       "  - {at: 8500ms, fault: \"disk=write:error=ENOSPC\", node: a, "
			       "duration: 1s}\n"
			       "  - {at: 10500ms, fault: powercut, node: a, duration: 1s}\n"
			       "duration: 17s\n",
			       c->n[0].ip, SSH_PORT, c->dir, start, health, c->n[1].ip, SSH_PORT,
			       c->dir, start, health))
			return -1;
	}
	c->ready = true;
	return 0;
}

static int group_teardown(void **state)
{
	struct ctx *c = *state;

	if (!c)
		return 0;
	for (int i = 0; i < 2; i++)
		fl_sshd_stop(&c->n[i]);
	if (c->ready)
		fl_test_sh("%s cleanup --run-dir %s/run >/dev/null 2>&1", bin_fl, c->dir);
	for (int i = 0; i < 2; i++)
		fl_sshd_node_del(&c->n[i]);
	if (c->br_made)
		fl_test_sh("ip link del %s", c->br);
	fl_sshd_privsep_release(c->run_sshd_made);
	/* Never into a mount a failed run left: umount first, rm stays on this fs. */
	if (c->dir[0]) {
		fl_test_sh("for m in %s/a %s/b; do mountpoint -q $m && umount -l $m; done; true", c->dir,
		   c->dir);
		fl_test_sh("rm -rf --one-file-system %s", c->dir);
	}
	free(c);
	return 0;
}

static int group_setup(void **state)
{
	if (!setup_inner(state))
		return 0;
	group_teardown(state);
	*state = NULL;
	return -1;
}

#define REQUIRE(c)                                                 \
	do {                                                       \
		if (!(c)->ready) {                                 \
			print_message("skip: %s\n", (c)->why);     \
			skip();                                    \
		}                                                  \
	} while (0)

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("JSON: '%s' is not an integer", key);
	return json_integer_value(v);
}

/* The event of step (not its undo, or its undo). */
static json_t *event(json_t *events, int step, bool undo)
{
	json_t *e;
	size_t i;

	json_array_foreach(events, i, e)
		if (json_integer_value(json_object_get(e, "step")) == step &&
		    json_is_true(json_object_get(e, "undo")) == undo)
			return e;
	fail_msg("no event of step %d%s", step, undo ? " (undo)" : "");
	return NULL;
}

static bool timeline_has(json_t *node, const char *what)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(node, "timeline"), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "what")) ?: "", what))
			return true;
	return false;
}

static void test_scenario_over_ssh_runs_every_fault_and_leaves_nothing(void **state)
{
	struct ctx *c = *state;
	char *argv[] = { bin_fl, "scenario", "run", c->yaml, "--trials", "1", "-o", c->result,
			 "--ssh-identity", c->keys.client, "--ssh-known-hosts", c->known,
			 "--ssh-host-key-check", "yes", "--ssh-faultline", c->wrapper, NULL };
	struct fl_cli_result res;
	json_error_t jerr;
	json_t *doc, *t, *events, *e, *nodes, *w;
	long long t0;
	size_t i;

	REQUIRE(c);
	t0 = fl_test_now_ms();
	assert_int_equal(fl_cli_run(argv, RUN_MS, &res), 0);
	print_message("scenario run over ssh: exit %d in %lld ms\n%s", res.code, fl_test_now_ms() - t0,
		      res.out);
	print_message("stderr:\n%s\n", res.err);
	assert_int_equal(res.code, 0);
	doc = json_load_file(c->result, 0, &jerr);
	if (!doc)
		fail_msg("%s: %s", c->result, jerr.text);
	t = json_array_get(json_object_get(doc, "trials"), 0);
	assert_true(json_is_true(json_object_get(t, "ok")));
	events = json_object_get(t, "events");
	json_array_foreach(events, i, e) {
		if (!json_is_true(json_object_get(e, "ok")))
			fail_msg("event %zu (step %lld) failed: %s", i,
				 (long long)json_integer_value(json_object_get(e, "step")),
				 json_string_value(json_object_get(e, "error")));
	}
	/* 7 steps, and the undos of the pause, the disk rule and the power cut (the load
	 * runs 17 s: slack for a loaded machine, where one SSH command can take a second). */
	assert_int_equal(json_array_size(events), 10);
	assert_string_equal(json_string_value(json_object_get(event(events, 1, false), "fault")),
			    "crash");
	assert_string_equal(json_string_value(json_object_get(event(events, 2, false), "action")),
			    "restart");
	assert_string_equal(json_string_value(json_object_get(event(events, 3, true), "fault")),
			    "pause");
	assert_string_equal(json_string_value(json_object_get(event(events, 4, false), "nodes")),
			    "a|b");
	e = event(events, 6, true);
	print_message("disk=write:error=ENOSPC on a for 1 s: %lld matched, %lld injected\n",
		      (long long)jint(e, "matched"), (long long)jint(e, "injected"));
	/* redis appends every write it acknowledges: a full disk refused some. */
	assert_true(jint(e, "injected") > 0);
	e = json_object_get(event(events, 7, false), "undone");
	assert_true(json_is_object(e));
	print_message("power cut of a: %lld writes, %lld bytes, %lld names undone\n",
		      (long long)jint(e, "writes"), (long long)jint(e, "bytes"),
		      (long long)jint(e, "names"));

	w = json_object_get(t, "writes");
	print_message("writes: %lld acknowledged, %lld lost, up %.0f ms, down %.0f ms\n",
		      (long long)jint(w, "acknowledged"), (long long)jint(w, "lost"),
		      json_number_value(json_object_get(t, "cluster_up_ms")),
		      json_number_value(json_object_get(t, "cluster_down_ms")));
	json_array_foreach(events, i, e) {
		char *one = json_dumps(e, JSON_COMPACT);

		print_message("event: %s\n", one);
		free(one);
	}
	{
		char *u = json_dumps(json_object_get(t, "unavailability"), JSON_COMPACT);

		print_message("unavailability: %s\n", u);
		free(u);
	}
	assert_true(jint(w, "acknowledged") > 200);
	assert_true(jint(w, "lost") >= 0 && jint(w, "lost") <= jint(w, "acknowledged"));
	nodes = json_object_get(t, "nodes");
	assert_int_equal(json_array_size(nodes), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 0), "name")),
			    "a");
	assert_true(timeline_has(json_array_get(nodes, 0), "crash"));
	assert_true(timeline_has(json_array_get(nodes, 0), "powercut"));
	assert_true(timeline_has(json_array_get(nodes, 0), "unhealthy"));
	assert_true(timeline_has(json_array_get(nodes, 1), "pause"));
	assert_true(timeline_has(json_array_get(nodes, 1), "partition"));
	/* a is the target: it read back what it acknowledged, less what it lost. */
	assert_true(json_is_true(json_object_get(json_array_get(nodes, 0), "read_back")));
	json_decref(doc);
	fl_cli_result_free(&res);

	/* Nothing left: no mount, no redis of ours, no state session. */
	assert_int_not_equal(fl_test_sh("mountpoint -q %s/a", c->dir), 0);
	assert_int_not_equal(fl_test_sh("mountpoint -q %s/b", c->dir), 0);
	assert_int_not_equal(fl_test_sh("pgrep -f 'redis-serve[r] %s:6379' >/dev/null", c->n[0].ip), 0);
	assert_int_not_equal(fl_test_sh("pgrep -f 'redis-serve[r] %s:6379' >/dev/null", c->n[1].ip), 0);
	assert_int_equal(fl_test_sh("[ -z \"$(ls -A %s/run 2>/dev/null | grep -v '^\\.')\" ]", c->dir), 0);
	/* The data (redis's AOF) stays: it is the user's. */
	assert_int_equal(fl_test_sh("ls %s/a/appendonlydir >/dev/null 2>&1", c->dir), 0);
}

static void test_mixed_local_and_ssh_nodes_are_refused(void **state)
{
	struct ctx *c = *state;
	char path[PATH_MAX + 16];
	char *argv[] = { bin_fl, "scenario", "run", path, NULL };
	struct fl_cli_result res;

	REQUIRE(c);
	snprintf(path, sizeof(path), "%s/mixed.yaml", c->dir);
	assert_int_equal(fl_test_write_file(path,
				    "nodes:\n"
				    "  - {name: a, start: \"sleep 100\", data_dir: %s/m1}\n"
				    "  - {name: b, start: \"sleep 100\", data_dir: %s/m2,\n"
				    "     host: \"ssh://root@%s:%u\"}\n"
				    "workload: {kind: redis, target: a}\n"
				    "steps: [{at: 1s, fault: crash, node: a}]\n",
				    c->dir, c->dir, c->n[1].ip, SSH_PORT), 0);
	assert_int_equal(fl_cli_run(argv, 20000, &res), 0);
	print_message("%s", res.err);
	assert_int_equal(res.code, 2);
	assert_non_null(strstr(res.err, "node a has no host:"));
	assert_non_null(strstr(res.err, "not mixed"));
	fl_cli_result_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed_local_and_ssh_nodes_are_refused),
		cmocka_unit_test(test_scenario_over_ssh_runs_every_fault_and_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
