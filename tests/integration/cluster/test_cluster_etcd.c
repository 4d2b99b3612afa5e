// SPDX-License-Identifier: GPL-2.0-only
/*
 * A real 3-node etcd cluster (Debian etcd-server 3.4) on faultline nodes:
 * netns on a hub bridge, cgroups, faultfs data dirs. The test process
 * reaches the nodes by address, as a workload client would, over etcd's
 * v3 HTTP gateway. Proves: a committed put is read back through another
 * node; the leader's crash elects another (and the key stays); pause and
 * partition make a node unhealthy and cut it off, resume and heal bring it
 * back; a power cut of every node keeps the committed key; down, and
 * cleanup after a SIGKILLed or finished `cluster up`, leave no netns,
 * veth, bridge, cgroup, mount or process behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <libgen.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include <faultline/cluster.h>
#include <faultline/state.h>
#include "cluster/cluster_priv.h"
#include "core/clock.h"
#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "cluster_residue.h"

#define SUBNET  "10.231.91.0/24"
#define SUBNET2 "10.231.92.0/24"

static char faultline[PATH_MAX], run_dir[PATH_MAX], state_dir[PATH_MAX];

static bool require_nodes(bool etcd)
{
	char ff[PATH_MAX], path[PATH_MAX * 2];
	const char *old = getenv("PATH");

	if (!fl_test_require_root())
		return false;
	if (etcd && (access("/usr/bin/etcd", X_OK) || access("/usr/bin/etcdctl", X_OK))) {
		print_message("skip: etcd/etcdctl not installed (Debian etcd-server, etcd-client: "
			      "tools/install-deps.sh installs them)\n");
		return false;
	}
	if (access("/dev/fuse", R_OK | W_OK)) {
		print_message("skip: no /dev/fuse\n");
		return false;
	}
	if (!fl_test_binary("faultline", faultline, sizeof(faultline)) ||
	    !fl_test_binary("faultfs", ff, sizeof(ff)))
		return false;
	/* The library finds faultfs on $PATH; cleanup's sessions stay this test's own. */
	snprintf(path, sizeof(path), "%s:%s", dirname(ff), old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	if (!run_dir[0]) {
		assert_int_equal(fl_fixture_tmpdir_create(run_dir, sizeof(run_dir)), 0);
		assert_int_equal(fl_fixture_tmpdir_create(state_dir, sizeof(state_dir)), 0);
		setenv("FAULTLINE_RUN_DIR", state_dir, 1);
	}
	return true;
}

static bool require(void)
{
	return require_nodes(true);
}

/* base64 of short ASCII, for etcd's JSON gateway. */
static void b64(const char *s, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		v |= i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned char)s[i + 2] : 0;
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

static int put(const char *addr, const char *key, const char *val, int timeout_ms)
{
	char k[64], v[64], body[256];
	json_t *r = NULL;
	int err;

	b64(key, k);
	b64(val, v);
	snprintf(body, sizeof(body), "{\"key\":\"%s\",\"value\":\"%s\"}", k, v);
	err = fl_http_post_json(addr, 2379, "/v3/kv/put", body, timeout_ms, &r);
	if (!err && !json_object_get(r, "header"))
		err = -EIO;
	json_decref(r);
	return err;
}

/* The value of key read through addr (linearizable): 0 and it in buf. */
static int get(const char *addr, const char *key, char *buf, size_t len, int timeout_ms)
{
	char k[64], body[128], want[64];
	json_t *r = NULL, *kv;
	int err;

	b64(key, k);
	snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k);
	err = fl_http_post_json(addr, 2379, "/v3/kv/range", body, timeout_ms, &r);
	if (err)
		return err;
	kv = json_array_get(json_object_get(r, "kvs"), 0);
	err = kv ? 0 : -ENOENT;
	if (!err)
		snprintf(buf, len, "%s", json_string_value(json_object_get(kv, "value")));
	json_decref(r);
	(void)want;
	return err;
}

static void assert_value(const char *addr, const char *key, const char *val)
{
	char got[128] = "", want[128];
	int err = -1;

	b64(val, want);
	/* A node that just came back may need a moment to serve reads. */
	for (int i = 0; i < 50 && err; i++) {
		err = get(addr, key, got, sizeof(got), 2000);
		if (err)
			fl_sleep_ms(100);
	}
	assert_int_equal(err, 0);
	assert_string_equal(got, want);
}

static unsigned leader_of(struct fl_cluster *c, int timeout_ms)
{
	uint64_t t0 = fl_now_ns();
	char why[256];
	unsigned l = 0;

	while (fl_cluster_leader(c, 1000, &l, why, sizeof(why))) {
		if (ms_since(t0) > (uint64_t)timeout_ms)
			fail_msg("no leader after %d ms: %s", timeout_ms, why);
		fl_sleep_ms(20);
	}
	return l;
}

static void test_etcd_node_faults(void **state)
{
	struct fl_cluster_config cfg = { 0 };
	struct fl_cluster *c = NULL;
	struct fl_cluster_partition *p = NULL;
	char why[512] = "", dir[PATH_MAX + 16];
	unsigned l, nl, other, lone, rest[2];
	uint64_t t0;
	int err;

	(void)state;
	if (!require())
		skip();
	cfg.kind = fl_cluster_kind_find("etcd");
	assert_non_null(cfg.kind);
	cfg.name = "flt_etcd";
	cfg.subnet = SUBNET;
	cfg.run_dir = run_dir;
	/*
	 * Names durable at once: etcd 3.4 never fsyncs the directories it makes
	 * in a fresh data dir, so under strict a power cut takes the whole
	 * member/ (test_etcd_powercut_strict measures it).
	 */
	cfg.faultfs_opts = "durability=data";
	t0 = fl_now_ns();
	err = fl_cluster_up(&cfg, &c, why, sizeof(why));
	if (err)
		fail_msg("cluster up: %s", why);
	print_message("measure: 3-node etcd up to healthy in %" PRIu64 " ms\n", ms_since(t0));
	assert_int_equal(fl_cluster_n_nodes(c), 3);
	snprintf(dir, sizeof(dir), "%s/flt_etcd", run_dir);

	/* A put through one node is read back through another. */
	assert_int_equal(put(fl_cluster_node(c, 1)->addr, "k1", "v1", 3000), 0);
	assert_value(fl_cluster_node(c, 2)->addr, "k1", "v1");

	/* The leader's crash: the other two elect one of themselves. */
	l = leader_of(c, 5000);
	assert_int_equal(fl_node_crash(c, l, why, sizeof(why)), 0);
	assert_int_equal(fl_node_health(c, l, 1000), -EHOSTDOWN);
	t0 = fl_now_ns();
	do {
		nl = leader_of(c, 10000);
		if (nl == l)
			fl_sleep_ms(10);
	} while (nl == l && ms_since(t0) < 10000);
	assert_int_not_equal(nl, l);
	print_message("measure: new leader %s %" PRIu64 " ms after the leader's crash\n",
		      fl_cluster_node(c, nl)->name, ms_since(t0));
	assert_value(fl_cluster_node(c, nl)->addr, "k1", "v1");
	assert_int_equal(put(fl_cluster_node(c, nl)->addr, "k2", "v2", 3000), 0);
	assert_int_equal(fl_node_start(c, l, why, sizeof(why)), 0);
	assert_int_equal(fl_cluster_wait_healthy(c, 15000, why, sizeof(why)), 0);
	assert_value(fl_cluster_node(c, l)->addr, "k2", "v2");

	/* Pause a follower: unhealthy while frozen, a quorum still commits; resume. */
	nl = leader_of(c, 5000);
	other = (nl + 1) % 3;
	assert_int_equal(fl_node_pause(c, other, why, sizeof(why)), 0);
	assert_true(fl_node_paused(c, other));
	assert_int_not_equal(fl_node_health(c, other, 1500), 0);
	assert_int_equal(put(fl_cluster_node(c, nl)->addr, "k3", "v3", 3000), 0);
	assert_int_equal(fl_node_resume(c, other, why, sizeof(why)), 0);
	assert_false(fl_node_paused(c, other));
	assert_int_equal(fl_cluster_wait_healthy(c, 15000, why, sizeof(why)), 0);
	assert_value(fl_cluster_node(c, other)->addr, "k3", "v3");

	/* Partition a follower away: it cannot commit, the majority can; heal. */
	nl = leader_of(c, 5000);
	lone = (nl + 1) % 3;
	rest[0] = nl;
	rest[1] = (nl + 2) % 3;
	err = fl_cluster_partition(c, &lone, 1, rest, 2, NULL, &p, why, sizeof(why));
	if (err)
		fail_msg("partition: %s", why);
	/*
	 * Not acknowledged, yet not lost either: the cut-off member forwards the
	 * proposal, and it may commit after the heal (an indeterminate write).
	 */
	assert_int_not_equal(put(fl_cluster_node(c, lone)->addr, "k4cut", "cut", 1500), 0);
	assert_int_equal(put(fl_cluster_node(c, nl)->addr, "k4", "v4", 3000), 0);
	assert_int_equal(fl_cluster_heal(p, why, sizeof(why)), 0);
	assert_int_equal(fl_cluster_wait_healthy(c, 15000, why, sizeof(why)), 0);
	assert_value(fl_cluster_node(c, lone)->addr, "k4", "v4");

	/* Every node loses power at once; the committed key survives the restart. */
	assert_int_equal(put(fl_cluster_node(c, nl)->addr, "pc", "durable", 3000), 0);
	for (unsigned i = 0; i < 3; i++) {
		struct fl_node_powercut_report pr = { 0 };

		assert_int_equal(fl_node_powercut(c, i, &pr, why, sizeof(why)), 0);
		print_message("power cut %s: %" PRIu64 " writes, %" PRIu64 " names undone\n",
			      fl_cluster_node(c, i)->name, pr.writes_undone, pr.names_undone);
	}
	t0 = fl_now_ns();
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(fl_node_start(c, i, why, sizeof(why)), 0);
	err = fl_cluster_wait_healthy(c, 20000, why, sizeof(why));
	if (err)
		fail_msg("after the power cut: %s", why);
	print_message("measure: healthy %" PRIu64 " ms after a restart from a power cut\n",
		      ms_since(t0));
	assert_value(fl_cluster_node(c, 0)->addr, "pc", "durable");
	assert_value(fl_cluster_node(c, 2)->addr, "k1", "v1");

	t0 = fl_now_ns();
	assert_int_equal(fl_cluster_down(c, 5000, why, sizeof(why)), 0);
	print_message("measure: down in %" PRIu64 " ms\n", ms_since(t0));
	assert_no_residue("flt_etcd", dir);
	assert_int_equal(access(dir, F_OK), -1);
}

/*
 * Under durability=strict (the default), what does a power cut of every
 * node cost a fresh etcd cluster? Measured, not judged: the directory
 * names etcd never fsynced are undone, and with them its member data.
 */
static void test_etcd_powercut_strict(void **state)
{
	struct fl_cluster_config cfg = { 0 };
	struct fl_cluster *c = NULL;
	char why[512] = "", got[64], dir[PATH_MAX + 16];
	uint64_t names = 0;
	int err;

	(void)state;
	if (!require())
		skip();
	cfg.kind = fl_cluster_kind_find("etcd");
	cfg.name = "flt_strict";
	cfg.subnet = SUBNET;
	cfg.run_dir = run_dir;
	err = fl_cluster_up(&cfg, &c, why, sizeof(why));
	if (err)
		fail_msg("cluster up: %s", why);
	snprintf(dir, sizeof(dir), "%s/flt_strict", run_dir);
	assert_int_equal(put(fl_cluster_node(c, 0)->addr, "pc", "durable", 3000), 0);
	for (unsigned i = 0; i < 3; i++) {
		struct fl_node_powercut_report pr = { 0 };

		assert_int_equal(fl_node_powercut(c, i, &pr, why, sizeof(why)), 0);
		names += pr.names_undone;
	}
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(fl_node_start(c, i, why, sizeof(why)), 0);
	err = fl_cluster_wait_healthy(c, 20000, why, sizeof(why));
	assert_int_equal(err, 0);
	err = get(fl_cluster_node(c, 0)->addr, "pc", got, sizeof(got), 2000);
	print_message("measure: strict power cut of all 3 nodes: %" PRIu64 " names undone; the "
		      "acknowledged key %s\n", names, err == 0 ? "survived" : "is LOST");
	/* The cut reached the disk: something was volatile and went. */
	assert_true(names > 0);
	assert_int_equal(fl_cluster_down(c, 5000, why, sizeof(why)), 0);
	assert_no_residue("flt_strict", dir);
}

static void test_cli_up_status_down_then_cleanup(void **state)
{
	struct fl_cli_result r;
	char dir[PATH_MAX + 16];

	(void)state;
	if (!require())
		skip();
	snprintf(dir, sizeof(dir), "%s/flt_cli", run_dir);
	{
		char *argv[] = { faultline, "cluster", "up", "etcd", "--name", "flt_cli", "--subnet",
				 SUBNET2, "--run-dir", run_dir, "--json", NULL };

		assert_int_equal(fl_cli_run(argv, 60000, &r), 0);
		if (r.code)
			fail_msg("cluster up: %s", r.err);
		assert_non_null(strstr(r.out, "\"addr\":\"10.231.92.11\""));
		assert_non_null(strstr(r.out, "\"health\":\"healthy\""));
		assert_non_null(strstr(r.err, "node n3 started at 10.231.92.13"));
		fl_cli_result_free(&r);
	}
	/* Left running by a process that exited: reachable, and status finds it. */
	assert_int_equal(put("10.231.92.12", "cli", "yes", 3000), 0);
	{
		char *argv[] = { faultline, "cluster", "status", "flt_cli", "--run-dir", run_dir,
				 "--json", NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		assert_int_equal(r.code, 0);
		assert_non_null(strstr(r.out, "\"leader\":\"n"));
		fl_cli_result_free(&r);
	}
	{
		char *argv[] = { faultline, "cluster", "down", "flt_cli", "--run-dir", run_dir, NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		if (r.code)
			fail_msg("cluster down: %s", r.err);
		fl_cli_result_free(&r);
	}
	assert_no_residue("flt_cli", dir);

	/* Up again, left running, then `faultline cleanup` (its controller is gone). */
	{
		char *argv[] = { faultline, "cluster", "up", "etcd", "--name", "flt_cli", "--subnet",
				 SUBNET2, "--run-dir", run_dir, NULL };

		assert_int_equal(fl_cli_run(argv, 60000, &r), 0);
		if (r.code)
			fail_msg("cluster up: %s", r.err);
		fl_cli_result_free(&r);
	}
	{
		char *argv[] = { faultline, "cleanup", NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		assert_int_equal(r.code, 0);
		assert_non_null(strstr(r.out, "netns fl-flt_cli-hub"));
		fl_cli_result_free(&r);
	}
	assert_no_residue("flt_cli", dir);
	{
		char *argv[] = { faultline, "cluster", "status", "flt_cli", "--run-dir", run_dir, NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		/* cleanup removed its description with the rest. */
		assert_int_equal(r.code, 1);
		assert_non_null(strstr(r.err, "no cluster flt_cli is up"));
		fl_cli_result_free(&r);
	}
}

/* connect() to addr:1 from here: refused = the node is reachable and answers. */
static int probe_tcp(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(1) };
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * The exec kind (the user's own commands): each node's service runs in
 * the node's netns and cgroup, with its template filled in; the host
 * reaches each node's address; pause freezes it, stop ends it.
 */
static void test_exec_kind_runs_inside_each_node(void **state)
{
	struct fl_cli_result r;
	struct fl_cluster *c = NULL;
	char why[512] = "", dir[PATH_MAX + 16];
	char *up[] = { faultline, "cluster", "up", "exec", "--name", "flt_exec", "--nodes", "2",
		       "--start", "exec sleep 600 {index}", "--health", "test -d {data}",
		       "--subnet", SUBNET2, "--run-dir", run_dir, NULL };
	char *down[] = { faultline, "cluster", "down", "flt_exec", "--run-dir", run_dir,
			 "--timeout", "2s", NULL };

	(void)state;
	if (!require_nodes(false))
		skip();
	snprintf(dir, sizeof(dir), "%s/flt_exec", run_dir);
	assert_int_equal(fl_cli_run(up, 30000, &r), 0);
	if (r.code)
		fail_msg("cluster up exec: %s", r.err);
	fl_cli_result_free(&r);
	assert_int_equal(fl_cluster_open(run_dir, "flt_exec", &c, why, sizeof(why)), 0);
	assert_int_equal(fl_cluster_n_nodes(c), 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct fl_cluster_node *n = fl_cluster_node(c, i);
		char path[PATH_MAX + 64], cmd[256] = "", want[64], cg[PATH_MAX];
		struct stat ns, own;
		pid_t pid = 0;
		size_t np = 0;
		FILE *f;

		assert_int_equal(fl_node_pids(c, i, &pid, 1, &np), 0);
		assert_int_equal(np, 1);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		assert_int_equal(stat(path, &own), 0);
		snprintf(path, sizeof(path), "/run/netns/%s", n->netns);
		assert_int_equal(stat(path, &ns), 0);
		assert_true(own.st_ino == ns.st_ino && own.st_dev == ns.st_dev);
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(cg, sizeof(cg), f))
			if (!strncmp(cg, "0::", 3))
				break;
		fclose(f);
		snprintf(want, sizeof(want), "/faultline-cluster-flt_exec/%s\n", n->name);
		assert_non_null(strstr(cg, want));
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_true(fread(cmd, 1, sizeof(cmd) - 1, f) > 0);
		fclose(f);
		assert_string_equal(cmd + strlen(cmd) + 1, "600");
		assert_string_equal(cmd + strlen(cmd) + 5, i ? "2" : "1");
		assert_int_equal(fl_cluster_node_faultfs_pid(n, &pid), 0);
		assert_int_equal(probe_tcp(n->addr), -ECONNREFUSED);
		assert_int_equal(fl_node_health(c, i, 2000), 0);
	}
	assert_int_equal(fl_node_pause(c, 0, why, sizeof(why)), 0);
	assert_int_equal(fl_node_health(c, 0, 500), -ETIMEDOUT);
	assert_int_equal(fl_node_resume(c, 0, why, sizeof(why)), 0);
	assert_int_equal(fl_node_health(c, 0, 2000), 0);
	assert_int_equal(fl_node_stop(c, 1, 2000, why, sizeof(why)), 0);
	assert_int_equal(fl_node_health(c, 1, 2000), -EHOSTDOWN);
	/* A service that cannot join its node is an error, not a silent start. */
	assert_int_equal(rmdir(fl_cluster_node(c, 1)->cgroup), 0);
	assert_int_equal(fl_node_start(c, 1, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "cannot start node n2"));
	fl_cluster_free(c);
	{
		/* The host's side of flt_exec holds 10.231.92.1: a second cluster there is refused. */
		char *clash[] = { faultline, "cluster", "up", "exec", "--name", "flt_clash",
				  "--start", "exec sleep 600", "--subnet", SUBNET2, "--run-dir",
				  run_dir, NULL };
		char cdir[PATH_MAX + 16];

		assert_int_equal(fl_cli_run(clash, 30000, &r), 0);
		assert_int_equal(r.code, 1);
		assert_non_null(strstr(r.err, "is in use on this host (flc-flt_exec has 10.231.92.1)"));
		fl_cli_result_free(&r);
		snprintf(cdir, sizeof(cdir), "%s/flt_clash", run_dir);
		assert_no_residue("flt_clash", cdir);
		assert_int_equal(access(cdir, F_OK), -1);
	}
	assert_int_equal(fl_cli_run(down, 30000, &r), 0);
	if (r.code)
		fail_msg("cluster down: %s", r.err);
	fl_cli_result_free(&r);
	assert_no_residue("flt_exec", dir);
}

static void test_sigkilled_up_is_removed_by_cleanup(void **state)
{
	struct fl_cli_result r;
	struct fl_cli *cli = NULL;
	char dir[PATH_MAX + 16];
	char *argv[] = { faultline, "cluster", "up", "etcd", "--name", "flt_kill", "--subnet",
			 SUBNET2, "--run-dir", run_dir, NULL };
	char *clean[] = { faultline, "cleanup", NULL };

	(void)state;
	if (!require())
		skip();
	snprintf(dir, sizeof(dir), "%s/flt_kill", run_dir);
	assert_int_equal(fl_cli_start(argv, &cli), 0);
	/* Killed with every object made and the services starting. */
	assert_int_equal(fl_cli_wait_stderr(cli, "node n2 started", 30000), 0);
	assert_int_equal(fl_cli_signal(cli, SIGKILL), 0);
	fl_cli_wait(cli, 5000, &r);
	fl_cli_result_free(&r);
	fl_cli_free(cli);
	/* The watchdog may be at it already: cleanup waits for its lock, then finds the rest. */
	assert_int_equal(fl_cli_run(clean, 30000, &r), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	assert_no_residue("flt_kill", dir);
}

static int teardown(void **state)
{
	(void)state;
	/* A failed test leaves its cluster up: undo every session of ours first. */
	if (state_dir[0])
		fl_state_cleanup_all(state_dir, true, NULL);
	if (run_dir[0])
		fl_fixture_tmpdir_destroy(run_dir);
	if (state_dir[0])
		fl_fixture_tmpdir_destroy(state_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etcd_node_faults),
		cmocka_unit_test(test_etcd_powercut_strict),
		cmocka_unit_test(test_cli_up_status_down_then_cleanup),
		cmocka_unit_test(test_exec_kind_runs_inside_each_node),
		cmocka_unit_test(test_sigkilled_up_is_removed_by_cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
