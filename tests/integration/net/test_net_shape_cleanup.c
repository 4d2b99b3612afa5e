// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nothing of a shaping run (<faultline/net_shape.h>) outlives it, through
 * the library: fl_net_shape_stop leaves no HTB root, no clsact it made and
 * no IFB, and forgets every record; a process SIGKILLed while shaping
 * (no watchdog here) leaves them, and core's cleanup (what `faultline
 * cleanup` runs) removes them from the records alone. A clsact that was
 * there before stays. Everything happens inside a fresh netns pair.
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/net_shape.h>
#include <faultline/rule.h>
#include <faultline/state.h>

#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

struct ctx {
	struct fl_netns_pair pair;
	char run_dir[PATH_MAX];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	*state = c;
	if (!c || geteuid() != 0)
		return 0;
	if (fl_netns_pair_create(&c->pair) ||
	    fl_fixture_tmpdir_create(c->run_dir, sizeof(c->run_dir)))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c && c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	if (c && c->run_dir[0]) {
		fl_state_cleanup_all(c->run_dir, true, NULL);
		fl_fixture_tmpdir_destroy(c->run_dir);
	}
	free(c);
	return 0;
}

#define SKIP_UNLESS_ROOT()                   \
	do {                                 \
		if (!fl_test_require_root()) \
			skip();              \
	} while (0)

/* ns[0]'s links and qdiscs, as ip and tc print them. */
static void show(struct ctx *c, char *buf, size_t len)
{
	assert_int_equal(fl_netns_pair_capture(&c->pair, 0,
					       "ip -br link; tc qdisc show; tc filter show dev flv0 ingress",
					       buf, len), 0);
}

static bool left(struct ctx *c, const char *what)
{
	char out[8192];

	show(c, out, sizeof(out));
	return strstr(out, what) != NULL;
}

/* 'tcp:rate=1mbit' both ways on ns[0]: an HTB root on flv0, an IFB with its own, a selector. */
static struct fl_net_shape *start(struct ctx *c, struct fl_state *st)
{
	struct fl_net_target t = { .kind = FL_NET_TARGET_NETNS, .netns = c->pair.ns[0] };
	enum fl_net_shape_mech m = FL_NET_SHAPE_NONE;
	struct fl_rule_error rerr = { 0 };
	struct fl_net_shape *s = NULL;
	struct fl_rule r;
	char err[512] = "";

	assert_int_equal(fl_rule_parse("tcp:dport=5000:rate=1mbit", &r, &rerr), 0);
	assert_int_equal(fl_net_shape_pick(&r, t.kind, false, &m, &rerr), 0);
	assert_int_equal(m, FL_NET_SHAPE_HTB);
	if (fl_net_shape_start(&r, &m, 1, &t, false, st, &s, err, sizeof(err)))
		fail_msg("shape: %s", err);
	return s;
}

static size_t records(struct fl_state *st)
{
	char cmd[PATH_MAX + 32], out[64] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls %s | wc -l", fl_state_dir(st));
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	pclose(f);
	return (size_t)strtoul(out, NULL, 10);
}

static void test_stop_leaves_nothing_and_forgets_every_record(void **state)
{
	struct ctx *c = *state;
	struct fl_state *st;
	struct fl_net_shape *s;
	size_t before;
	char err[256] = "";

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	before = records(st);
	s = start(c, st);
	assert_true(left(c, "htb fa17:"));
	assert_true(left(c, FL_NET_SHAPE_IFB_PREFIX));
	assert_true(left(c, "mirred"));
	assert_true(fl_net_shape_uses_ifb(s, 0));
	/* root, filter, IFB, IFB's root and filter, clsact, selector */
	assert_int_equal(records(st), before + 7);
	if (fl_net_shape_stop(s, err, sizeof(err)))
		fail_msg("stop: %s", err);
	assert_false(left(c, "htb fa17:"));
	assert_false(left(c, FL_NET_SHAPE_IFB_PREFIX));
	assert_false(left(c, "clsact"));
	assert_int_equal(records(st), before);
	fl_net_shape_free(s);
	assert_int_equal(fl_state_close(st), 0);
}

static void test_a_clsact_that_was_there_stays(void **state)
{
	struct ctx *c = *state;
	struct fl_state *st;
	struct fl_net_shape *s;

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_netns_pair_sh(&c->pair, 0, "tc qdisc add dev flv0 clsact"), 0);
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	s = start(c, st);
	fl_net_shape_free(s);
	assert_int_equal(fl_state_close(st), 0);
	assert_true(left(c, "clsact"));
	assert_false(left(c, "mirred"));
	assert_false(left(c, FL_NET_SHAPE_IFB_PREFIX));
	fl_netns_pair_sh(&c->pair, 0, "tc qdisc del dev flv0 clsact");
}

static void test_sigkill_then_core_cleanup_leaves_nothing(void **state)
{
	struct ctx *c = *state;
	struct fl_cleanup_report rep = { 0 };
	int fds[2], status;
	char ok = 0;
	pid_t pid;

	SKIP_UNLESS_ROOT();
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fl_state *st;

		close(fds[0]);
		if (fl_state_open(c->run_dir, &st))
			_exit(1);
		start(c, st);
		if (write(fds[1], "a", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* netlink objects and devices outlive their controller... */
	assert_true(left(c, "htb fa17:"));
	assert_true(left(c, FL_NET_SHAPE_IFB_PREFIX));
	/* ...until the cleanup reads the records made before they were created. */
	assert_int_equal(fl_state_cleanup_all(c->run_dir, false, &rep), 0);
	print_message("cleanup: %u removed, %u failed\n", rep.removed, rep.failed);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(rep.removed, 7);
	fl_cleanup_report_free(&rep);
	assert_false(left(c, "htb fa17:"));
	assert_false(left(c, FL_NET_SHAPE_IFB_PREFIX));
	assert_false(left(c, "clsact"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stop_leaves_nothing_and_forgets_every_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_clsact_that_was_there_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_then_core_cleanup_leaves_nothing, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
