// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl_net_rules_check: a malformed compiled rule is refused with -EINVAL,
 * an action the in-kernel path cannot do with -EOPNOTSUPP, each with a
 * reason naming the rule; nothing is loaded. No privileges needed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/net.h>

static struct fl_net_rule good(void)
{
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_UDP, .dir = FL_NET_ABI_EGRESS, .action = FL_NET_ACT_DROP,
		.dport_lo = 5000, .dport_hi = 5010,
	};

	return r;
}

static int check(const struct fl_net_rule *r, enum fl_net_target_kind kind, char *err)
{
	return fl_net_rules_check(r, 1, kind, err, 256);
}

static void test_good_rules_pass_on_every_target(void **state)
{
	struct fl_net_rule r = good();
	char err[256];

	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), 0);
	assert_int_equal(check(&r, FL_NET_TARGET_NETNS, err), 0);
	assert_int_equal(check(&r, FL_NET_TARGET_CGROUP, err), 0);
	r.action = FL_NET_ACT_DUPLICATE;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), 0);
	r = good();
	r.family = FL_NET_ABI_FAMILY_IP6;
	r.dst_plen = 128;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), 0);
}

static void test_malformed_rules_are_refused_with_einval(void **state)
{
	struct fl_net_rule r;
	char err[256];

	r = good(); r.dir = 0;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EINVAL);
	assert_non_null(strstr(err, "rule 1: dir"));
	r = good(); r.dport_lo = 6000;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EINVAL);
	r = good(); r.proto = FL_NET_ABI_ICMP;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EINVAL);
	assert_non_null(strstr(err, "ports"));
	r = good(); r.family = FL_NET_ABI_FAMILY_IP4; r.src_plen = 33;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EINVAL);
	r = good(); r.src_plen = 8; /* a prefix without a family */
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EINVAL);
	r = good(); r.proto = FL_NET_ABI_IP6; r.dport_hi = r.dport_lo = 0;
	r.family = FL_NET_ABI_FAMILY_IP4;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EINVAL);
	r = good(); r.when_first = 10; r.when_last = 5;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EINVAL);
	r = good(); r.action = 99;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EINVAL);
	assert_int_equal(fl_net_rules_check(&r, 0, FL_NET_TARGET_DEV, err, sizeof(err)), -EINVAL);
	assert_int_equal(fl_net_rules_check(&r, FL_NET_MAX_RULES + 1, FL_NET_TARGET_DEV, err,
					    sizeof(err)), -EINVAL);
}

static void test_actions_this_path_cannot_do_are_refused_with_eopnotsupp(void **state)
{
	static const uint8_t elsewhere[] = { FL_NET_ACT_DELAY, FL_NET_ACT_RATE };
	static const uint8_t tc_only[] = { FL_NET_ACT_CORRUPT_WIRE, FL_NET_ACT_CORRUPT_PAYLOAD,
					   FL_NET_ACT_DUPLICATE, FL_NET_ACT_REJECT };
	struct fl_net_rule r = good();
	char err[256];

	for (size_t i = 0; i < sizeof(elsewhere); i++) {
		r.action = elsewhere[i];
		assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), -EOPNOTSUPP);
	}
	for (size_t i = 0; i < sizeof(tc_only); i++) {
		r.action = tc_only[i];
		assert_int_equal(check(&r, FL_NET_TARGET_CGROUP, err), -EOPNOTSUPP);
		assert_non_null(strstr(err, "cgroup"));
	}
	/* reject: on devices (tc) */
	r.action = FL_NET_ACT_REJECT;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), 0);
	assert_int_equal(check(&r, FL_NET_TARGET_NETNS, err), 0);
}

/* reset: tcp on every target (no packet hook: reset.c), and tcp only. */
static void test_reset_takes_tcp_on_every_target(void **state)
{
	struct fl_net_rule r = good();
	char err[256];

	r.action = FL_NET_ACT_RESET;
	r.proto = FL_NET_ABI_TCP;
	assert_int_equal(check(&r, FL_NET_TARGET_DEV, err), 0);
	assert_int_equal(check(&r, FL_NET_TARGET_NETNS, err), 0);
	assert_int_equal(check(&r, FL_NET_TARGET_CGROUP, err), 0);
	r.proto = FL_NET_ABI_UDP;
	assert_int_equal(check(&r, FL_NET_TARGET_NETNS, err), -EINVAL);
	assert_non_null(strstr(err, "tcp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_rules_pass_on_every_target),
		cmocka_unit_test(test_malformed_rules_are_refused_with_einval),
		cmocka_unit_test(test_actions_this_path_cannot_do_are_refused_with_eopnotsupp),
		cmocka_unit_test(test_reset_takes_tcp_on_every_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
