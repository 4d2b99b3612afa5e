// SPDX-License-Identifier: GPL-2.0-only
/*
 * The redis-replica kind, for real (Debian redis-server, sentinels by
 * redis-server --sentinel): n1 the master, n2 and n3 replicas, a sentinel
 * in every node. The test reaches them by address with hiredis, as a
 * workload client would. Proves: a write on the master, acknowledged by a
 * replica (WAIT), is read on a replica; the settings reach every redis; the crash of the master's node
 * (its redis and its sentinel) makes the other sentinels fail over within
 * a bound, the leader (library and `faultline cluster status`) is the new
 * master, and it has the write; down leaves no netns, veth, cgroup, mount
 * or process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <faultline/cluster.h>
#include <faultline/state.h>
#include "core/clock.h"
#include "helpers/cli_run.h"
#include "helpers/fixtures.h"
#include "cluster_residue.h"

#define SUBNET      "10.231.43.0/24"
/*
 * down-after 1 s, then an election: about 2 s; an aborted attempt waits
 * twice the failover timeout (3 s) for the next, so one retry takes 8 s.
 */
#define FAILOVER_MS 20000

static char faultline[PATH_MAX], run_dir[PATH_MAX], state_dir[PATH_MAX];

static bool require(void)
{
	char ff[PATH_MAX], path[PATH_MAX * 2];
	const char *old = getenv("PATH");

	if (!fl_test_require_root())
		return false;
	if (access("/usr/bin/redis-server", X_OK) || access("/usr/bin/redis-cli", X_OK)) {
		print_message("skip: no redis-server/redis-cli (Debian redis-server, redis-sentinel: "
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
	snprintf(path, sizeof(path), "%s:%s", dirname(ff), old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	if (!run_dir[0]) {
		assert_int_equal(fl_fixture_tmpdir_create(run_dir, sizeof(run_dir)), 0);
		assert_int_equal(fl_fixture_tmpdir_create(state_dir, sizeof(state_dir)), 0);
		setenv("FAULTLINE_RUN_DIR", state_dir, 1);
	}
	return true;
}

/* One command on addr:6379; the reply (caller frees), or NULL. */
static redisReply *cmd(const char *addr, const char *fmt, ...)
{
	struct timeval tv = { 2, 0 };
	redisContext *rc = redisConnectWithTimeout(addr, 6379, tv);
	redisReply *r = NULL;
	va_list ap;

	if (rc && !rc->err) {
		redisSetTimeout(rc, tv);
		va_start(ap, fmt);
		r = redisvCommand(rc, fmt, ap);
		va_end(ap);
	}
	redisFree(rc);
	return r;
}

/* GET key on addr into buf: 0, or -ENOENT / -EIO. */
static int get(const char *addr, const char *key, char *buf, size_t len)
{
	redisReply *r = cmd(addr, "GET %s", key);
	int err = -EIO;

	if (r && r->type == REDIS_REPLY_STRING) {
		snprintf(buf, len, "%s", r->str);
		err = 0;
	} else if (r && r->type == REDIS_REPLY_NIL) {
		err = -ENOENT;
	}
	freeReplyObject(r);
	return err;
}

static void test_redis_write_replica_failover(void **state)
{
	static const char *const settings[] = { "appendonly=yes", "appendfsync=always", NULL };
	struct fl_cluster_config cfg = { 0 };
	struct fl_cluster *c = NULL;
	struct fl_cli_result res;
	char why[512] = "", dir[PATH_MAX + 16], got[64], want[64];
	const char *a1, *a2;
	unsigned l = 9;
	uint64_t t0;
	redisContext *rc;
	redisReply *r;
	int err;

	(void)state;
	if (!require())
		skip();
	cfg.kind = fl_cluster_kind_find("redis-replica");
	assert_non_null(cfg.kind);
	cfg.name = "krd";
	cfg.subnet = SUBNET;
	cfg.run_dir = run_dir;
	cfg.healthy_timeout_ms = 40000;
	cfg.settings = settings;
	t0 = fl_now_ns();
	err = fl_cluster_up(&cfg, &c, why, sizeof(why));
	if (err)
		fail_msg("up: %s", why);
	print_message("redis-replica: 3 nodes up and healthy in %" PRIu64 " ms\n", ms_since(t0));
	snprintf(dir, sizeof(dir), "%s/krd", run_dir);
	assert_int_equal(fl_node_health(c, 2, 2000), 0);
	a1 = fl_cluster_node(c, 0)->addr;
	a2 = fl_cluster_node(c, 1)->addr;
	assert_int_equal(fl_cluster_leader(c, 2000, &l, why, sizeof(why)), 0);
	assert_int_equal(l, 0);
	/* The settings reach every redis. */
	r = cmd(a2, "CONFIG GET appendfsync");
	assert_true(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
	assert_string_equal(r->element[1]->str, "always");
	freeReplyObject(r);

	/* SET on the master, acknowledged once a replica has it (WAIT on the same link). */
	{
		struct timeval tv = { 5, 0 };

		rc = redisConnectWithTimeout(a1, 6379, tv);
		assert_true(rc && !rc->err);
		redisSetTimeout(rc, tv);
		r = redisCommand(rc, "SET acked yes");
		assert_true(r && r->type == REDIS_REPLY_STATUS);
		freeReplyObject(r);
		r = redisCommand(rc, "WAIT 1 5000");
		assert_true(r && r->type == REDIS_REPLY_INTEGER);
		assert_true(r->integer >= 1);
		freeReplyObject(r);
		redisFree(rc);
	}
	/* The replica has it, and refuses writes of its own. */
	assert_int_equal(get(a2, "acked", got, sizeof(got)), 0);
	assert_string_equal(got, "yes");
	r = cmd(a2, "SET no no");
	assert_true(r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "READONLY"));
	freeReplyObject(r);
	/* No promotion by hand: the sentinels do it. */
	assert_int_equal(fl_cluster_promote(c, 1, 1000, why, sizeof(why)), -EOPNOTSUPP);

	/* The master's node crashes (its sentinel with it): the others fail over. */
	assert_int_equal(fl_node_crash(c, 0, why, sizeof(why)), 0);
	t0 = fl_now_ns();
	for (;;) {
		if (fl_cluster_leader(c, 1000, &l, why, sizeof(why)) == 0 && l != 0)
			break;
		if (ms_since(t0) > FAILOVER_MS)
			fail_msg("no failover after %d ms: %s", FAILOVER_MS, why);
		fl_sleep_ms(50);
	}
	print_message("redis-replica: sentinels failed over to n%u in %" PRIu64 " ms\n", l + 1,
		      ms_since(t0));
	/* The new master takes writes (once it knows it is one), and has the earlier one. */
	for (;;) {
		r = cmd(fl_cluster_node(c, l)->addr, "SET after yes");
		err = r && r->type == REDIS_REPLY_STATUS ? 0 : -EIO;
		freeReplyObject(r);
		if (!err)
			break;
		if (ms_since(t0) > FAILOVER_MS)
			fail_msg("n%u takes no write %d ms after the crash", l + 1, FAILOVER_MS);
		fl_sleep_ms(50);
	}
	print_message("redis-replica: first write on the new master %" PRIu64 " ms after the "
		      "crash\n", ms_since(t0));
	assert_int_equal(get(fl_cluster_node(c, l)->addr, "acked", got, sizeof(got)), 0);
	assert_string_equal(got, "yes");
	{
		char *argv[] = { faultline, "cluster", "status", "krd", "--run-dir", run_dir,
				 "--json", NULL };

		snprintf(want, sizeof(want), "\"leader\":\"n%u\"", l + 1);
		assert_int_equal(fl_cli_run(argv, 30000, &res), 0);
		if (!strstr(res.out, want))
			fail_msg("status does not say %s: %s", want, res.out);
		fl_cli_result_free(&res);
	}
	assert_int_equal(fl_cluster_down(c, 5000, why, sizeof(why)), 0);
	assert_no_residue("krd", dir);
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
		cmocka_unit_test(test_redis_write_replica_failover),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
