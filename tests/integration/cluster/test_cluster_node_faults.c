// SPDX-License-Identifier: GPL-2.0-only
/*
 * Node faults with a rule on a real 3-node etcd cluster (Debian
 * etcd-server 3.4): disk= (faultfs ENOSPC on a node's data dir: its etcd
 * cannot write its WAL and stops serving; cleared, it starts again and
 * catches up), syscall= (a pause at fdatasync in the leader's cgroup:
 * every commit waits for it; cleared, commits are fast again), net= (a
 * drop of the client port on a node's veth: puts through it time out;
 * cleared, they pass). Then the CLI forms: `cluster fault` and `cluster
 * partition` held for --for 1s with --json, ended by SIGTERM, and
 * SIGKILLed (the watchdog clears the rule, heals the partition), and
 * `cluster node`. No netns, veth, cgroup, mount, process or state session
 * is left behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <faultline/cluster.h>
#include <faultline/fs.h>
#include <faultline/rule.h>
#include <faultline/state.h>
#include "cluster/cluster_priv.h"
#include "core/http.h"
#include "core/clock.h"
#include "helpers/cli_run.h"
#include "helpers/fixtures.h"
#include "cluster_residue.h"

#define SUBNET     "10.231.94.0/24"
#define SUBNET_CLI "10.231.95.0/24"
#define PAUSE_MS   200

static char faultline[PATH_MAX], run_dir[PATH_MAX], state_dir[PATH_MAX];

static bool require(void)
{
	char ff[PATH_MAX], path[PATH_MAX * 2];
	const char *old = getenv("PATH");

	if (!fl_test_require_root())
		return false;
	if (access("/usr/bin/etcd", X_OK)) {
		print_message("skip: etcd not installed (Debian etcd-server: tools/install-deps.sh "
			      "installs it)\n");
		return false;
	}
	if (access("/dev/fuse", R_OK | W_OK)) {
		print_message("skip: no /dev/fuse\n");
		return false;
	}
	if (!fl_test_binary("faultline", faultline, sizeof(faultline)) ||
	    !fl_test_binary("faultfs", ff, sizeof(ff)))
		return false;
	snprintf(path, sizeof(path), "%s:%s", dirname(ff), old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	if (!run_dir[0]) {
		assert_int_equal(fl_fixture_tmpdir_create(run_dir, sizeof(run_dir)), 0);
		assert_int_equal(fl_fixture_tmpdir_create(state_dir, sizeof(state_dir)), 0);
		setenv("FAULTLINE_RUN_DIR", state_dir, 1);
	}
	return true;
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

/* key reads back as val through addr (a node that just came back may need a moment). */
static void assert_value(const char *addr, const char *key, const char *val)
{
	char k[64], body[128], want[64];
	const char *got = NULL;
	json_t *r = NULL;

	b64(key, k);
	b64(val, want);
	snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k);
	for (int i = 0; i < 50 && !got; i++) {
		json_decref(r);
		r = NULL;
		if (!fl_http_post_json(addr, 2379, "/v3/kv/range", body, 2000, &r))
			got = json_string_value(json_object_get(
				json_array_get(json_object_get(r, "kvs"), 0), "value"));
		if (!got)
			fl_sleep_ms(100);
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	json_decref(r);
}

static unsigned leader_of(struct fl_cluster *c)
{
	uint64_t t0 = fl_now_ns();
	char why[256];
	unsigned l = 0;

	while (fl_cluster_leader(c, 1000, &l, why, sizeof(why))) {
		if (ms_since(t0) > 10000)
			fail_msg("no leader: %s", why);
		fl_sleep_ms(20);
	}
	return l;
}

/* How many fault rules node i's faultfs holds. */
static size_t fs_rules(const struct fl_cluster *c, unsigned i)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *rep = NULL;
	size_t n;
	int fd;

	assert_int_equal(fl_fs_connect(fl_cluster_node(c, i)->data, &fd), 0);
	assert_int_equal(fl_fs_request(fd, req, &rep, 5000), 0);
	close(fd);
	json_decref(req);
	n = json_array_size(json_object_get(rep, "rules"));
	json_decref(rep);
	return n;
}

/* No session is left in our state root (the cluster's went at down). */
static void assert_no_sessions(void)
{
	struct dirent *de;
	DIR *d = opendir(state_dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			fail_msg("state session %s is left", de->d_name);
	closedir(d);
}

static void test_disk_syscall_net_faults_on_etcd_nodes(void **state)
{
	struct fl_cluster_config cfg = { 0 };
	struct fl_cluster *c = NULL;
	struct fl_node_fault *f = NULL;
	struct fl_node_fault_stats s;
	struct fl_rule_error re = { 0 };
	char why[512] = "", dir[PATH_MAX + 16];
	unsigned l, fol;
	uint64_t t0, ms;
	int err;

	(void)state;
	if (!require())
		skip();
	cfg.kind = fl_cluster_kind_find("etcd");
	cfg.name = "flt_nf";
	cfg.subnet = SUBNET;
	cfg.run_dir = run_dir;
	cfg.faultfs_opts = "durability=data";
	err = fl_cluster_up(&cfg, &c, why, sizeof(why));
	if (err)
		fail_msg("cluster up: %s", why);
	snprintf(dir, sizeof(dir), "%s/flt_nf", run_dir);
	assert_int_equal(put(fl_cluster_node(c, 0)->addr, "k0", "v0", 3000), 0);

	/* A bad rule is refused by its domain's parser, at its column; nothing is armed. */
	err = fl_node_fault_arm(c, 0, FL_NODE_DISK, "write:error=ENOSPCX", NULL, &f, &re, why,
				sizeof(why));
	assert_int_equal(err, -EINVAL);
	assert_int_equal(re.column, 13);
	assert_non_null(strstr(why, "ENOSPCX"));
	err = fl_node_fault_arm(c, 0, FL_NODE_NET, "tcp:drop:port=1", NULL, &f, &re, why,
				sizeof(why));
	assert_int_equal(err, -EINVAL);
	assert_int_equal(re.column, 10);
	assert_int_equal(fs_rules(c, 0), 0);

	/* disk=: a follower whose disk is full cannot append to its WAL and goes down. */
	l = leader_of(c);
	fol = (l + 1) % 3;
	err = fl_node_fault_arm(c, fol, FL_NODE_DISK, "write:error=ENOSPC", NULL, &f, &re, why,
				sizeof(why));
	if (err)
		fail_msg("disk fault: %s", why);
	assert_int_equal(fs_rules(c, fol), 1);
	/* The majority still commits. */
	assert_int_equal(put(fl_cluster_node(c, l)->addr, "k1", "v1", 3000), 0);
	t0 = fl_now_ns();
	while (fl_node_health(c, fol, 1000) == 0 && ms_since(t0) < 10000)
		fl_sleep_ms(50);
	assert_int_not_equal(fl_node_health(c, fol, 1000), 0);
	print_message("measure: follower unhealthy %" PRIu64 " ms after its disk filled\n",
		      ms_since(t0));
	assert_int_equal(fl_node_fault_clear(f, &s, why, sizeof(why)), 0);
	print_message("disk %s: %" PRIu64 " matched, %" PRIu64 " injected\n", s.rule, s.matched,
		      s.injected);
	assert_true(s.injected >= 1);
	assert_string_equal(s.mechanism, "faultfs");
	assert_int_equal(fs_rules(c, fol), 0);
	/* Cleared, it starts again and catches up (what is left of it goes first). */
	fl_node_crash(c, fol, why, sizeof(why));
	assert_int_equal(fl_node_start(c, fol, why, sizeof(why)), 0);
	assert_int_equal(fl_cluster_wait_healthy(c, 15000, why, sizeof(why)), 0);
	assert_value(fl_cluster_node(c, fol)->addr, "k1", "v1");

	/* syscall=: every fdatasync of the leader stops it PAUSE_MS; so does each commit. */
	l = leader_of(c);
	err = fl_node_fault_arm(c, l, FL_NODE_SYSCALL, "fdatasync:pause=200ms", NULL, &f, &re,
				why, sizeof(why));
	if (err)
		fail_msg("syscall fault: %s", why);
	t0 = fl_now_ns();
	assert_int_equal(put(fl_cluster_node(c, l)->addr, "k2", "v2", 5000), 0);
	ms = ms_since(t0);
	print_message("measure: a put with the leader's fdatasync paused %d ms: %" PRIu64 " ms\n",
		      PAUSE_MS, ms);
	assert_true(ms >= PAUSE_MS - 10);
	assert_int_equal(fl_node_fault_stats(f, &s), 0);
	assert_true(s.injected >= 1);
	assert_int_equal(fl_node_fault_clear(f, &s, why, sizeof(why)), 0);
	print_message("syscall %s (%s): %" PRIu64 " matched, %" PRIu64 " injected\n", s.rule,
		      s.mechanism, s.matched, s.injected);
	t0 = fl_now_ns();
	assert_int_equal(put(fl_cluster_node(c, l)->addr, "k3", "v3", 5000), 0);
	ms = ms_since(t0);
	print_message("measure: the same put after the clear: %" PRIu64 " ms\n", ms);
	assert_true(ms < PAUSE_MS);

	/* net=: the client port of a node dropped on its veth; cleared, puts pass again. */
	fol = (leader_of(c) + 1) % 3;
	err = fl_node_fault_arm(c, fol, FL_NODE_NET, "tcp:drop:dport=2379", NULL, &f, &re, why,
				sizeof(why));
	if (err)
		fail_msg("net fault: %s", why);
	assert_int_not_equal(put(fl_cluster_node(c, fol)->addr, "k4", "cut", 800), 0);
	assert_int_equal(fl_node_fault_stats(f, &s), 0);
	assert_true(s.injected >= 1);
	assert_string_equal(s.mechanism, "tc-bpf");
	assert_int_equal(fl_node_fault_clear(f, &s, why, sizeof(why)), 0);
	print_message("net %s: %" PRIu64 " matched, %" PRIu64 " injected\n", s.rule, s.matched,
		      s.injected);
	assert_int_equal(put(fl_cluster_node(c, fol)->addr, "k4", "v4", 3000), 0);

	assert_int_equal(fl_cluster_down(c, 5000, why, sizeof(why)), 0);
	assert_no_residue("flt_nf", dir);
	assert_no_sessions();
}

/* Start argv, wait for needle on its stderr. */
static struct fl_cli *start_until(char **argv, const char *needle)
{
	struct fl_cli *cli = NULL;

	assert_int_equal(fl_cli_start(argv, &cli), 0);
	if (fl_cli_wait_stderr(cli, needle, 15000)) {
		char *e = fl_cli_stderr(cli);

		fail_msg("no '%s' from %s %s: %s", needle, argv[1], argv[2], e);
	}
	return cli;
}

static json_int_t json_int_at(json_t *o, const char *path0, const char *key)
{
	json_t *v = path0 ? json_array_get(json_object_get(o, path0), 0) : o;

	return json_integer_value(json_object_get(v, key));
}

static void test_cli_fault_partition_node(void **state)
{
	struct fl_cli_result r;
	struct fl_cli *cli;
	struct fl_cluster *c = NULL;
	char why[512] = "", dir[PATH_MAX + 16], fname[16], needle[64];
	unsigned l, fol;
	json_t *j;
	uint64_t t0;

	(void)state;
	if (!require())
		skip();
	snprintf(dir, sizeof(dir), "%s/flt_nfcli", run_dir);
	{
		char *argv[] = { faultline, "cluster", "up", "etcd", "--name", "flt_nfcli",
				 "--subnet", SUBNET_CLI, "--run-dir", run_dir, "--faultfs-opts",
				 "durability=data", NULL };

		assert_int_equal(fl_cli_run(argv, 60000, &r), 0);
		if (r.code)
			fail_msg("cluster up: %s", r.err);
		fl_cli_result_free(&r);
	}
	assert_int_equal(fl_cluster_open(run_dir, "flt_nfcli", &c, why, sizeof(why)), 0);

	/* fault --for 1s --json on a follower: what it injected while held. */
	l = leader_of(c);
	fol = (l + 1) % 3;
	snprintf(fname, sizeof(fname), "%s", fl_cluster_node(c, fol)->name);
	snprintf(needle, sizeof(needle), "disk fault armed on %s", fname);
	{
		char *argv[] = { faultline, "cluster", "fault", "--name", "flt_nfcli", fname,
				 "disk=write:error=ENOSPC", "--for", "1s", "--run-dir", run_dir,
				 "--json", NULL };

		cli = start_until(argv, needle);
		/* Replicated to the follower, whose WAL append fails: the majority commits. */
		assert_int_equal(put(fl_cluster_node(c, l)->addr, "c1", "v1", 3000), 0);
		assert_int_equal(fl_cli_wait(cli, 10000, &r), 0);
		fl_cli_free(cli);
		if (r.code)
			fail_msg("cluster fault: %s", r.err);
		j = json_loads(r.out, 0, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "ended_by")), "for");
		assert_true(json_int_at(j, "faults", "injected") >= 1);
		assert_string_equal(json_string_value(json_object_get(
			json_array_get(json_object_get(j, "faults"), 0), "kind")), "disk");
		assert_true(json_real_value(json_object_get(j, "held_ms")) >= 1000);
		json_decref(j);
		fl_cli_result_free(&r);
		assert_int_equal(fs_rules(c, fol), 0);
	}
	/* node: its etcd gave up on its disk; crash what is left, start it, ask its health. */
	{
		char *crash[] = { faultline, "cluster", "node", "--name", "flt_nfcli", fname, "crash",
				  "--run-dir", run_dir, "--json", NULL };
		char *start[] = { faultline, "cluster", "node", "--name", "flt_nfcli", fname, "start",
				  "--run-dir", run_dir, "--json", NULL };
		char *health[] = { faultline, "cluster", "node", "--name", "flt_nfcli", fname,
				   "health", "--run-dir", run_dir, "--json", NULL };

		assert_int_equal(fl_cli_run(crash, 10000, &r), 0);
		assert_int_equal(r.code, 0);
		assert_non_null(strstr(r.out, "\"action\":\"crash\",\"ok\":true"));
		fl_cli_result_free(&r);
		assert_int_equal(fl_cli_run(health, 10000, &r), 0);
		assert_int_equal(r.code, 1);
		assert_non_null(strstr(r.out, "\"health\":\"unhealthy\""));
		fl_cli_result_free(&r);
		assert_int_equal(fl_cli_run(start, 10000, &r), 0);
		assert_int_equal(r.code, 0);
		fl_cli_result_free(&r);
		t0 = fl_now_ns();
		for (;;) {
			int code;

			assert_int_equal(fl_cli_run(health, 10000, &r), 0);
			code = r.code;
			fl_cli_result_free(&r);
			if (!code)
				break;
			if (ms_since(t0) > 15000)
				fail_msg("%s not healthy 15 s after its start", fname);
			fl_sleep_ms(100);
		}
		assert_value(fl_cluster_node(c, fol)->addr, "c1", "v1");
	}
	/* partition --for 1s --json: n1 is cut off, cannot commit; healed after. */
	{
		char *argv[] = { faultline, "cluster", "partition", "--name", "flt_nfcli", "n1",
				 "--for", "1s", "--run-dir", run_dir, "--json", NULL };

		cli = start_until(argv, "n1 cut off from n2,n3");
		assert_int_not_equal(put("10.231.95.11", "c2", "cut", 500), 0);
		assert_int_equal(fl_cli_wait(cli, 10000, &r), 0);
		fl_cli_free(cli);
		if (r.code)
			fail_msg("cluster partition: %s", r.err);
		j = json_loads(r.out, 0, NULL);
		assert_non_null(j);
		assert_true(json_is_true(json_object_get(j, "healed")));
		assert_true(json_int_at(j, NULL, "dropped") >= 1);
		assert_int_equal(json_array_size(json_object_get(j, "from")), 2);
		json_decref(j);
		fl_cli_result_free(&r);
		assert_int_equal(fl_cluster_wait_healthy(c, 15000, why, sizeof(why)), 0);
		assert_int_equal(put("10.231.95.11", "c2", "v2", 3000), 0);
	}
	/* A partition SIGKILLed while it holds is healed by its watchdog. */
	{
		char *argv[] = { faultline, "cluster", "partition", "--name", "flt_nfcli", "n1",
				 "--from", "n2,n3", "--run-dir", run_dir, NULL };

		cli = start_until(argv, "n1 cut off from n2,n3");
		assert_int_not_equal(put("10.231.95.11", "c5", "cut", 500), 0);
		assert_int_equal(fl_cli_signal(cli, SIGKILL), 0);
		fl_cli_wait(cli, 5000, &r);
		fl_cli_free(cli);
		fl_cli_result_free(&r);
		assert_int_equal(fl_cluster_wait_healthy(c, 15000, why, sizeof(why)), 0);
		assert_int_equal(put("10.231.95.11", "c5", "v5", 3000), 0);
	}
	/* Without --for it holds until SIGTERM, then clears and reports. */
	{
		char *argv[] = { faultline, "cluster", "fault", "--name", "flt_nfcli", "n3",
				 "net=tcp:drop:dport=2379", "--run-dir", run_dir, NULL };

		cli = start_until(argv, "net fault armed on n3");
		assert_int_not_equal(put("10.231.95.13", "c3", "cut", 500), 0);
		assert_int_equal(fl_cli_signal(cli, SIGTERM), 0);
		assert_int_equal(fl_cli_wait(cli, 10000, &r), 0);
		fl_cli_free(cli);
		assert_int_equal(r.code, 0);
		assert_non_null(strstr(r.out, "n3 net=tcp:drop:dport=2379 (tc-bpf)"));
		assert_non_null(strstr(r.out, "cleared (SIGTERM)"));
		fl_cli_result_free(&r);
		assert_int_equal(put("10.231.95.13", "c3", "v3", 3000), 0);
	}
	/* Killed while holding: its watchdog clears the faultfs rule. */
	{
		char *argv[] = { faultline, "cluster", "fault", "--name", "flt_nfcli", "n3",
				 "disk=fsync:error=EIO", "--run-dir", run_dir, NULL };

		cli = start_until(argv, "disk fault armed on n3");
		assert_int_equal(fs_rules(c, 2), 1);
		assert_int_equal(fl_cli_signal(cli, SIGKILL), 0);
		fl_cli_wait(cli, 5000, &r);
		fl_cli_free(cli);
		fl_cli_result_free(&r);
		t0 = fl_now_ns();
		while (fs_rules(c, 2) && ms_since(t0) < 5000)
			fl_sleep_ms(20);
		assert_int_equal(fs_rules(c, 2), 0);
		print_message("measure: a SIGKILLed fault's rule cleared by its watchdog in %" PRIu64
			      " ms\n", ms_since(t0));
	}
	/* A bad rule: refused at its column, exit 2, nothing armed. */
	{
		char *argv[] = { faultline, "cluster", "fault", "--name", "flt_nfcli", "n1",
				 "syscall=fsync:pausex=1s", "--for", "1s", "--run-dir", run_dir,
				 NULL };

		assert_int_equal(fl_cli_run(argv, 10000, &r), 0);
		assert_int_equal(r.code, 2);
		assert_non_null(strstr(r.err, "unknown key 'pausex' at column 7"));
		fl_cli_result_free(&r);
	}
	fl_cluster_free(c);
	{
		char *argv[] = { faultline, "cluster", "down", "flt_nfcli", "--run-dir", run_dir,
				 NULL };

		assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
		if (r.code)
			fail_msg("cluster down: %s", r.err);
		fl_cli_result_free(&r);
	}
	assert_no_residue("flt_nfcli", dir);
	assert_no_sessions();
}

static int teardown(void **state)
{
	(void)state;
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
		cmocka_unit_test(test_disk_syscall_net_faults_on_etcd_nodes),
		cmocka_unit_test(test_cli_fault_partition_node),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
