// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which mechanism a delay= or rate= rule gets (fl_net_shape_pick): netem
 * where the probe found it, else the NFQUEUE delay line; HTB for rate;
 * what none can honour is refused at its column with the reason. And the
 * compiler leaves them to the caller (no kernel rule) when it shapes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/net.h>
#include <faultline/net_shape.h>
#include <faultline/rule.h>

static int pick(const char *text, enum fl_net_target_kind kind, bool netem,
		enum fl_net_shape_mech *m, struct fl_rule_error *err)
{
	struct fl_rule r;

	memset(err, 0, sizeof(*err));
	assert_int_equal(fl_rule_parse(text, &r, err), 0);
	assert_int_equal(fl_rule_check_domain(&r, FL_DOMAIN_NET, err), 0);
	return fl_net_shape_pick(&r, kind, netem, m, err);
}

static void test_delay_takes_netem_where_it_is_else_the_delay_line(void **state)
{
	enum fl_net_shape_mech m = FL_NET_SHAPE_NONE;
	struct fl_rule_error err;

	(void)state;
	assert_int_equal(pick("udp:delay=50ms~10ms:reorder=25%", FL_NET_TARGET_DEV, true, &m, &err), 0);
	assert_int_equal(m, FL_NET_SHAPE_NETEM);
	assert_int_equal(pick("udp:delay=50ms~10ms", FL_NET_TARGET_NETNS, false, &m, &err), 0);
	assert_int_equal(m, FL_NET_SHAPE_NFQUEUE);
	assert_int_equal(pick("tcp:rate=1mbit:dir=ingress", FL_NET_TARGET_DEV, false, &m, &err), 0);
	assert_int_equal(m, FL_NET_SHAPE_HTB);
	assert_int_equal(pick("tcp:drop", FL_NET_TARGET_CGROUP, true, &m, &err), 0);
	assert_int_equal(m, FL_NET_SHAPE_NONE);
	assert_string_equal(fl_net_shape_mech_name(FL_NET_SHAPE_NETEM, true), "netem+ifb");
	assert_string_equal(fl_net_shape_mech_name(FL_NET_SHAPE_HTB, false), "htb");
	assert_string_equal(fl_net_shape_mech_name(FL_NET_SHAPE_NFQUEUE, false), "nfqueue");
}

static void test_what_shaping_cannot_do_is_refused_at_its_column(void **state)
{
	static const struct {
		const char *text;
		enum fl_net_target_kind kind;
		unsigned column;
		const char *says;
	} cases[] = {
		{ "tcp:rate=1mbit", FL_NET_TARGET_CGROUP, 5, "rate needs an HTB class on a device" },
		{ "udp:delay=5ms", FL_NET_TARGET_CGROUP, 5, "cannot match the packets of one cgroup" },
		{ "tcp:rate=1mbit:prob=50%", FL_NET_TARGET_DEV, 16, "prob= on rate" },
		{ "udp:delay=5ms:count=3", FL_NET_TARGET_NETNS, 15, "count= on delay" },
	};
	enum fl_net_shape_mech m = FL_NET_SHAPE_NONE;
	struct fl_rule_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(pick(cases[i].text, cases[i].kind, true, &m, &err), -EOPNOTSUPP);
		if (!strstr(err.message, cases[i].says) || err.column != cases[i].column)
			fail_msg("%s: column %u: %s", cases[i].text, err.column, err.message);
	}
}

/* With .shape, delay= and rate= leave no kernel rule beside a drop that does. */
static void test_compile_leaves_shaping_to_the_caller(void **state)
{
	struct fl_net_compile_opts o = { .kind = FL_NET_TARGET_DEV, .start_ns = 1, .shape = true };
	const char *texts[] = { "tcp:rate=1mbit", "udp:delay=5ms", "udp:dport=9:drop" };
	struct fl_rule r[3];
	struct fl_rule_error err;
	struct fl_net_rule k[FL_NET_MAX_RULES];
	size_t origin[FL_NET_MAX_RULES], n = 0;
	int bad;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(fl_rule_parse(texts[i], &r[i], &err), 0);
	assert_int_equal(fl_net_compile(r, 3, &o, k, origin, FL_NET_MAX_RULES, &n, &bad, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(origin[0], 2);
	o.shape = false;
	assert_int_equal(fl_net_compile(r, 3, &o, k, origin, FL_NET_MAX_RULES, &n, &bad, &err),
			 -EOPNOTSUPP);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_takes_netem_where_it_is_else_the_delay_line),
		cmocka_unit_test(test_what_shaping_cannot_do_is_refused_at_its_column),
		cmocka_unit_test(test_compile_leaves_shaping_to_the_caller),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
