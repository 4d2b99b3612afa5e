// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nothing of a network session outlives it: after detach, and after a
 * SIGKILL of the process holding the session followed by core's cleanup
 * (what `faultline cleanup` runs), `tc qdisc show` / `tc filter show`
 * inside the netns list no clsact qdisc and no filter of ours. A clsact
 * qdisc that was there before stays. Everything happens inside a fresh
 * netns pair.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/net.h>
#include <faultline/state.h>

#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT 5001

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

/* What tc says about dev in ns[0]: its qdiscs, then its filters both ways. */
static void tc_show(struct ctx *c, const char *dev, char *buf, size_t len)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "tc qdisc show dev %s; tc filter show dev %s ingress; tc filter show dev %s egress",
		 dev, dev, dev);
	assert_int_equal(fl_netns_pair_capture(&c->pair, 0, cmd, buf, len), 0);
}

static bool has_clsact(struct ctx *c, const char *dev)
{
	char out[4096];

	tc_show(c, dev, out, sizeof(out));
	return strstr(out, "clsact") != NULL;
}

static bool has_our_filter(struct ctx *c, const char *dev)
{
	char out[4096];

	tc_show(c, dev, out, sizeof(out));
	return strstr(out, "fl_net_tc") != NULL;
}

static struct fl_net_rule drop_rule(void)
{
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_UDP, .dir = FL_NET_ABI_BOTH, .action = FL_NET_ACT_DROP,
		.dport_lo = PORT, .dport_hi = PORT,
	};

	return r;
}

static struct fl_net_session *arm(struct ctx *c, struct fl_state *st, enum fl_net_target_kind kind)
{
	struct fl_net_rule r = drop_rule();
	struct fl_net_target t = {
		.kind = kind, .netns = c->pair.ns[0], .dev = c->pair.dev[0],
	};
	struct fl_net_session *s = NULL;
	char err[256] = "";

	if (fl_net_session_open(&r, 1, &t, st, &s, err, sizeof(err)) ||
	    fl_net_session_attach(s, err, sizeof(err))) {
		print_message("arm: %s\n", err);
		fl_net_session_close(s);
		return NULL;
	}
	return s;
}

static void test_detach_leaves_no_qdisc_and_no_filter(void **state)
{
	struct ctx *c = *state;
	struct fl_net_session *s;
	struct fl_state *st;
	char err[256];

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	assert_false(has_clsact(c, c->pair.dev[0]));
	s = arm(c, st, FL_NET_TARGET_DEV);
	assert_non_null(s);
	assert_true(has_clsact(c, c->pair.dev[0]));
	assert_true(has_our_filter(c, c->pair.dev[0]));
	assert_int_equal(fl_net_session_detach(s, err, sizeof(err)), 0);
	assert_false(has_clsact(c, c->pair.dev[0]));
	assert_false(has_our_filter(c, c->pair.dev[0]));
	/* ns[1] was never named: never touched. */
	assert_int_equal(fl_netns_pair_sh(&c->pair, 1, "! tc qdisc show | grep -q clsact"), 0);
	fl_net_session_close(s);
	assert_int_equal(fl_state_close(st), 0);
}

static void test_a_clsact_qdisc_that_was_there_stays(void **state)
{
	struct ctx *c = *state;
	struct fl_net_session *s;
	struct fl_state *st;

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_netns_pair_sh(&c->pair, 0, "tc qdisc add dev flv0 clsact"), 0);
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	s = arm(c, st, FL_NET_TARGET_DEV);
	assert_non_null(s);
	assert_true(has_our_filter(c, c->pair.dev[0]));
	fl_net_session_close(s);
	assert_false(has_our_filter(c, c->pair.dev[0]));
	assert_true(has_clsact(c, c->pair.dev[0]));
	/* Nothing recorded remains to undo: closing the state removes nothing else. */
	assert_int_equal(fl_state_close(st), 0);
	assert_true(has_clsact(c, c->pair.dev[0]));
}

static void test_netns_target_covers_every_device_but_lo(void **state)
{
	struct ctx *c = *state;
	struct fl_net_session *s;
	struct fl_state *st;

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_netns_pair_sh(&c->pair, 0,
					  "ip link add flx0 type veth peer name flx1"), 0);
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	s = arm(c, st, FL_NET_TARGET_NETNS);
	assert_non_null(s);
	assert_true(has_our_filter(c, "flv0"));
	assert_true(has_our_filter(c, "flx0"));
	assert_true(has_our_filter(c, "flx1"));
	assert_false(has_clsact(c, "lo"));
	fl_net_session_close(s);
	assert_false(has_clsact(c, "flv0"));
	assert_false(has_clsact(c, "flx0"));
	assert_false(has_clsact(c, "flx1"));
	assert_int_equal(fl_state_close(st), 0);
}

static void test_a_second_session_on_a_taken_device_fails_and_changes_nothing(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = drop_rule();
	struct fl_net_target t = {
		.kind = FL_NET_TARGET_DEV, .netns = c->pair.ns[0], .dev = c->pair.dev[0],
	};
	struct fl_net_session *first, *second = NULL;
	struct fl_state *st;
	char err[256] = "";

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	first = arm(c, st, FL_NET_TARGET_DEV);
	assert_non_null(first);
	assert_int_equal(fl_net_session_open(&r, 1, &t, st, &second, err, sizeof(err)), 0);
	assert_int_equal(fl_net_session_attach(second, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "is taken"));
	fl_net_session_close(second);
	/* The first session's filters and qdisc are still there, and still its own. */
	assert_true(has_our_filter(c, c->pair.dev[0]));
	assert_true(has_clsact(c, c->pair.dev[0]));
	fl_net_session_close(first);
	assert_false(has_our_filter(c, c->pair.dev[0]));
	assert_false(has_clsact(c, c->pair.dev[0]));
	assert_int_equal(fl_state_close(st), 0);
}

/* The controller: arm, say so through fd, then wait to be killed. */
static void controller(struct ctx *c, int fd)
{
	struct fl_state *st;

	if (fl_state_open(c->run_dir, &st) || !arm(c, st, FL_NET_TARGET_DEV))
		_exit(1);
	if (write(fd, "a", 1) != 1)
		_exit(1);
	for (;;)
		pause();
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
		close(fds[0]);
		controller(c, fds[1]);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	assert_true(has_our_filter(c, c->pair.dev[0]));
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* tc filters are netlink objects: they outlive their controller... */
	assert_true(has_our_filter(c, c->pair.dev[0]));
	/* ...until the cleanup reads the records made before they were created. */
	assert_int_equal(fl_state_cleanup_all(c->run_dir, false, &rep), 0);
	print_message("cleanup: %u removed, %u failed\n", rep.removed, rep.failed);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(rep.removed, 3); /* the clsact qdisc and two filters */
	fl_cleanup_report_free(&rep);
	assert_false(has_our_filter(c, c->pair.dev[0]));
	assert_false(has_clsact(c, c->pair.dev[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detach_leaves_no_qdisc_and_no_filter,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_clsact_qdisc_that_was_there_stays,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_netns_target_covers_every_device_but_lo,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_second_session_on_a_taken_device_fails_and_changes_nothing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_then_core_cleanup_leaves_nothing,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
