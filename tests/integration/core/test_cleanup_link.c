// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "link" state record (fl_state_record_link), which ingress shaping
 * writes before it creates its IFB: the undo deletes an IFB of that name,
 * leaves a device of that name of another kind alone (someone else's), and
 * counts a device already gone, or its whole netns, as removed.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/state.h>

#include "helpers/netns_pair.h"

struct ctx {
	struct fl_netns_pair pair;
	char run_dir[64];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	*state = c;
	if (geteuid() != 0)
		return 0;
	snprintf(c->run_dir, sizeof(c->run_dir), "/tmp/fl-link-run.XXXXXX");
	if (!mkdtemp(c->run_dir) || fl_netns_pair_create(&c->pair))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char cmd[128];

	if (c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	if (c->run_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", c->run_dir);
		(void)!system(cmd);
	}
	free(c);
	return 0;
}

static bool has_link(struct ctx *c, const char *name)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "ip link show dev %s >/dev/null 2>&1", name);
	return fl_netns_pair_sh(&c->pair, 0, cmd) == 0;
}

static void test_an_ifb_is_deleted_another_kind_is_kept(void **state)
{
	struct ctx *c = *state;
	struct fl_state_link ifb = { .netns = c->pair.ns[0], .ifname = "flifbtest0", .kind = "ifb" };
	struct fl_state_link other = { .netns = c->pair.ns[0], .ifname = "flifbtest1", .kind = "ifb" };
	struct fl_state_link gone = { .netns = c->pair.ns[0], .ifname = "flifbtest2", .kind = "ifb" };
	struct fl_state_link no_ns = { .netns = "fl-no-such-netns", .ifname = "x", .kind = "ifb" };
	struct fl_cleanup_report rep = { 0 };
	struct fl_state *st;

	if (geteuid() != 0)
		skip();
	assert_int_equal(fl_netns_pair_sh(&c->pair, 0, "ip link add flifbtest0 type ifb && "
				       "ip link add flifbtest1 type bridge"), 0);
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	assert_int_equal(fl_state_record_link(st, &ifb, NULL), 0);
	assert_int_equal(fl_state_record_link(st, &other, NULL), 0);
	assert_int_equal(fl_state_record_link(st, &gone, NULL), 0);
	assert_int_equal(fl_state_record_link(st, &no_ns, NULL), 0);
	assert_int_equal(fl_state_close_report(st, &rep), 0);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(rep.removed, 4);
	assert_false(has_link(c, "flifbtest0"));
	assert_true(has_link(c, "flifbtest1"));
	assert_non_null(strstr(rep.items[0].what, "link ifb"));
	fl_cleanup_report_free(&rep);
	fl_netns_pair_sh(&c->pair, 0, "ip link del flifbtest1");
}

static void test_bad_link_records_are_refused(void **state)
{
	struct ctx *c = *state;
	struct fl_state_link no_kind = { .ifname = "a" };
	struct fl_state_link long_name = { .ifname = "a-name-too-long-for-linux", .kind = "ifb" };
	struct fl_state_link slash = { .ifname = "a/b", .kind = "ifb" };
	struct fl_state *st;

	if (geteuid() != 0)
		skip();
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	assert_int_equal(fl_state_record_link(st, &no_kind, NULL), -EINVAL);
	assert_int_equal(fl_state_record_link(st, &long_name, NULL), -EINVAL);
	assert_int_equal(fl_state_record_link(st, &slash, NULL), -EINVAL);
	assert_int_equal(fl_state_close(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_ifb_is_deleted_another_kind_is_kept),
		cmocka_unit_test(test_bad_link_records_are_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
