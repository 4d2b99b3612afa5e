// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl_net_compile: parsed net rules to the datapath's struct fl_net_rule,
 * every field mapped, protocol sets split where that is exact, and what
 * the datapath cannot do refused with the rule's column. No privileges.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/net.h>
#include <faultline/rule.h>

static int compile(const char *text, enum fl_net_target_kind kind, struct fl_net_rule *out,
		   size_t *n, struct fl_rule_error *err)
{
	struct fl_net_compile_opts o = { .kind = kind, .start_ns = 1000, .seed = 77 };
	struct fl_rule r;
	int bad = 5;
	int e;

	memset(err, 0, sizeof(*err));
	assert_int_equal(fl_rule_parse(text, &r, err), 0);
	assert_int_equal(fl_rule_check_domain(&r, FL_DOMAIN_NET, err), 0);
	e = fl_net_compile(&r, 1, &o, out, NULL, FL_NET_MAX_RULES, n, &bad, err);
	assert_int_equal(bad, e ? 0 : -1);
	return e;
}

static void test_udp_drop_maps_every_field(void **state)
{
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule_error err;
	size_t n = 0;

	assert_int_equal(compile("udp:src=10.1.0.0/16:dport=5000-5010:sport=7:dir=egress:drop:prob=30%:when=3..9+2:count=4:for=2s:seed=9",
				 FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].proto, FL_NET_ABI_UDP);
	assert_int_equal(k[0].action, FL_NET_ACT_DROP);
	assert_int_equal(k[0].dir, FL_NET_ABI_EGRESS);
	assert_int_equal(k[0].family, FL_NET_ABI_FAMILY_IP4);
	assert_int_equal(k[0].src_plen, 16);
	assert_int_equal(k[0].src[0], 10);
	assert_int_equal(k[0].src[1], 1);
	assert_int_equal(k[0].dst_plen, 0);
	assert_int_equal(k[0].dport_lo, 5000);
	assert_int_equal(k[0].dport_hi, 5010);
	assert_int_equal(k[0].sport_lo, 7);
	assert_int_equal(k[0].sport_hi, 7);
	assert_int_equal(k[0].prob_ppm, 300000);
	assert_int_equal(k[0].when_first, 3);
	assert_int_equal(k[0].when_last, 9);
	assert_int_equal(k[0].when_step, 2);
	assert_int_equal(k[0].count, 4);
	assert_int_equal(k[0].until_ns, 1000 + 2000000000ull);
	assert_int_equal(k[0].seed, 9);
	/* the checker of the loader agrees */
	assert_int_equal(fl_net_rules_check(k, n, FL_NET_TARGET_DEV, NULL, 0), 0);
}

static void test_defaults_and_seed_from_options(void **state)
{
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule_error err;
	size_t n = 0;

	assert_int_equal(compile("tcp:dport=5432:drop", FL_NET_TARGET_NETNS, k, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].dir, FL_NET_ABI_BOTH);
	assert_int_equal(k[0].prob_ppm, 0);   /* always */
	assert_int_equal(k[0].when_first, 0);
	assert_int_equal(k[0].when_last, 0);
	assert_int_equal(k[0].count, 0);
	assert_int_equal(k[0].until_ns, 0);
	assert_int_equal(k[0].seed, 77);
	assert_int_equal(k[0].family, FL_NET_ABI_FAMILY_ANY);
	assert_int_equal(compile("tcp:when=5:drop", FL_NET_TARGET_NETNS, k, &n, &err), 0);
	assert_int_equal(k[0].when_first, 5);
	assert_int_equal(k[0].when_last, 5);
	assert_int_equal(compile("tcp:when=5+3:drop", FL_NET_TARGET_NETNS, k, &n, &err), 0);
	assert_int_equal(k[0].when_last, 0);  /* no end */
	assert_int_equal(k[0].when_step, 3);
}

static void test_actions_and_addresses(void **state)
{
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule_error err;
	size_t n = 0;

	assert_int_equal(compile("ip:dst=10.251.1.2:partition", FL_NET_TARGET_NETNS, k, &n, &err), 0);
	assert_int_equal(k[0].action, FL_NET_ACT_PARTITION);
	assert_int_equal(k[0].dir, FL_NET_ABI_BOTH);
	assert_int_equal(k[0].proto, FL_NET_ABI_IP);
	assert_int_equal(k[0].dst_plen, 32);
	assert_int_equal(compile("udp:corrupt", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(k[0].action, FL_NET_ACT_CORRUPT_WIRE);
	assert_int_equal(compile("udp:corrupt=wire", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(k[0].action, FL_NET_ACT_CORRUPT_WIRE);
	assert_int_equal(compile("udp:corrupt=payload", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(k[0].action, FL_NET_ACT_CORRUPT_PAYLOAD);
	assert_int_equal(compile("udp:duplicate:dir=ingress", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(k[0].action, FL_NET_ACT_DUPLICATE);
	assert_int_equal(k[0].dir, FL_NET_ABI_INGRESS);
	assert_int_equal(compile("ip6:src=[fd00:fa17::]/48:drop", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(k[0].proto, FL_NET_ABI_IP6);
	assert_int_equal(k[0].family, FL_NET_ABI_FAMILY_IP6);
	assert_int_equal(k[0].src_plen, 48);
	assert_int_equal(k[0].src[0], 0xfd);
	assert_int_equal(k[0].src[3], 0x17);
	assert_int_equal(compile("any:drop", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(k[0].proto, FL_NET_ABI_ANY);
	assert_int_equal(compile("icmp:drop:dir=egress", FL_NET_TARGET_CGROUP, k, &n, &err), 0);
	assert_int_equal(k[0].proto, FL_NET_ABI_ICMP);
}

static void test_protocol_sets_split_or_fold(void **state)
{
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule_error err;
	size_t n = 0;

	assert_int_equal(compile("tcp,udp:dport=53:drop:prob=50%", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(k[0].proto, FL_NET_ABI_TCP);
	assert_int_equal(k[1].proto, FL_NET_ABI_UDP);
	assert_int_equal(k[1].dport_lo, 53);
	assert_int_equal(k[1].prob_ppm, 500000);
	assert_int_equal(compile("ip,ip6:drop", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].proto, FL_NET_ABI_ANY);
	assert_int_equal(compile("*:drop", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].proto, FL_NET_ABI_ANY);
	/* ip with an IPv4 address holds tcp entirely */
	assert_int_equal(compile("ip,tcp:dst=10.0.0.1:drop", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].proto, FL_NET_ABI_IP);
	/* ip holds IPv4 tcp only: overlapping kernel rules would not be exact */
	assert_int_equal(compile("ip,tcp:drop", FL_NET_TARGET_DEV, k, &n, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.message, "overlap"));
	assert_int_equal(err.column, 4);
	/* when= and count= would count per protocol */
	assert_int_equal(compile("tcp,udp:drop:count=3", FL_NET_TARGET_DEV, k, &n, &err), -EOPNOTSUPP);
	assert_int_equal(err.column, 14);
	assert_non_null(strstr(err.message, "count="));
	assert_int_equal(compile("tcp,udp:when=2:drop", FL_NET_TARGET_DEV, k, &n, &err), -EOPNOTSUPP);
	assert_int_equal(err.column, 9);
}

static void test_what_the_datapath_cannot_do_is_refused_at_its_column(void **state)
{
	static const struct {
		const char *text;
		enum fl_net_target_kind kind;
		unsigned column;
		const char *says;
	} cases[] = {
		{ "tcp:dport=5432:reject", FL_NET_TARGET_CGROUP, 16, "connect:dport=N:error=ECONNREFUSED" },
		{ "udp:delay=50ms~10ms", FL_NET_TARGET_DEV, 5, "delay needs netem or the NFQUEUE delay line (<faultline/net_shape.h>), which this caller does not set up" },
		{ "udp:delay=50ms:reorder=25%", FL_NET_TARGET_DEV, 5, "delay needs" },
		{ "tcp:rate=1mbit", FL_NET_TARGET_NETNS, 5, "rate needs htb/tbf" },
		{ "connect:dport=5432:error=ECONNREFUSED", FL_NET_TARGET_NETNS, 20, "cgroup sock_addr hooks, which attach to a cgroup" },
		{ "bind:sport=80:error=EADDRINUSE", FL_NET_TARGET_DEV, 15, "--cgroup" },
		{ "udp:corrupt:bytes=4", FL_NET_TARGET_DEV, 13, "bytes=" },
		{ "udp:corrupt", FL_NET_TARGET_CGROUP, 5, "cgroup" },
		{ "udp:duplicate", FL_NET_TARGET_CGROUP, 5, "cgroup" },
		{ "tcp:host=db:drop", FL_NET_TARGET_DEV, 5, "host=" },
		{ "tcp:drop:prob=0%", FL_NET_TARGET_DEV, 10, "never" },
	};
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule_error err;
	size_t n = 99;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k[0].proto = 0xee;
		assert_int_equal(compile(cases[i].text, cases[i].kind, k, &n, &err), -EOPNOTSUPP);
		if (!strstr(err.message, cases[i].says) || err.column != cases[i].column)
			fail_msg("%s: column %u: %s", cases[i].text, err.column, err.message);
		assert_non_null(strstr(err.message, "at column"));
		/* outputs untouched */
		assert_int_equal(n, 99);
		assert_int_equal(k[0].proto, 0xee);
	}
}

/* reject on a device or netns, reset (tcp) anywhere: one kernel rule each, selectors kept. */
static void test_reject_and_reset_compile(void **state)
{
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule_error err;
	size_t n = 0;

	assert_int_equal(compile("tcp,udp:dport=53:reject:prob=50%", FL_NET_TARGET_DEV, k, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(k[0].action, FL_NET_ACT_REJECT);
	assert_int_equal(k[1].action, FL_NET_ACT_REJECT);
	assert_int_equal(k[1].proto, FL_NET_ABI_UDP);
	assert_int_equal(k[0].prob_ppm, 500000);
	assert_int_equal(compile("ip6:reject", FL_NET_TARGET_NETNS, k, &n, &err), 0);
	assert_int_equal(k[0].proto, FL_NET_ABI_IP6);
	assert_int_equal(compile("tcp:dport=5432:reset:count=3", FL_NET_TARGET_CGROUP, k, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].action, FL_NET_ACT_RESET);
	assert_int_equal(k[0].count, 3);
	assert_int_equal(k[0].dport_lo, 5432);
	/* both ways: src= is either end of the connection */
	assert_int_equal(compile("tcp:src=10.0.0.0/8:reset", FL_NET_TARGET_NETNS, k, &n, &err), 0);
	assert_int_equal(k[0].dir, FL_NET_ABI_BOTH);
	assert_int_equal(k[0].src_plen, 8);
}

static void test_socket_calls_compile_on_a_cgroup(void **state)
{
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule_error err;
	size_t n = 0;

	assert_int_equal(compile("connect:dst=10.0.0.0/8:dport=5432:error=ECONNREFUSED:count=2",
				 FL_NET_TARGET_CGROUP, k, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(k[0].proto, FL_NET_ABI_CONNECT);
	assert_int_equal(k[0].action, FL_NET_ACT_ERROR);
	assert_int_equal(k[0].error, ECONNREFUSED);
	assert_int_equal(k[0].family, FL_NET_ABI_FAMILY_IP4);
	assert_int_equal(k[0].dst_plen, 8);
	assert_int_equal(k[0].dport_lo, 5432);
	assert_int_equal(k[0].dport_hi, 5432);
	assert_int_equal(k[0].count, 2);
	assert_int_equal(k[0].seed, 77);
	assert_int_equal(compile("bind:sport=80-81:error=EADDRINUSE:prob=50%", FL_NET_TARGET_CGROUP,
				 k, &n, &err), 0);
	assert_int_equal(k[0].proto, FL_NET_ABI_BIND);
	assert_int_equal(k[0].error, EADDRINUSE);
	assert_int_equal(k[0].sport_hi, 81);
	assert_int_equal(k[0].prob_ppm, 500000);
	/* one kernel rule per call, each the same errno */
	assert_int_equal(compile("connect,sendmsg:dport=53:error=EHOSTUNREACH", FL_NET_TARGET_CGROUP,
				 k, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(k[0].proto, FL_NET_ABI_CONNECT);
	assert_int_equal(k[1].proto, FL_NET_ABI_SENDMSG);
	assert_int_equal(k[1].error, EHOSTUNREACH);
	/* the loader takes them on a cgroup, and on nothing else */
	assert_int_equal(fl_net_rules_check(k, n, FL_NET_TARGET_CGROUP, err.message,
					    sizeof(err.message)), 0);
	assert_int_equal(fl_net_rules_check(k, n, FL_NET_TARGET_NETNS, err.message,
					    sizeof(err.message)), -EOPNOTSUPP);
	assert_non_null(strstr(err.message, "sock_addr"));
	/* error is theirs only, and they take no other action */
	k[0].action = FL_NET_ACT_DROP;
	assert_int_equal(fl_net_rules_check(k, 1, FL_NET_TARGET_CGROUP, err.message,
					    sizeof(err.message)), -EINVAL);
	k[0].action = FL_NET_ACT_ERROR;
	k[0].proto = FL_NET_ABI_TCP;
	assert_int_equal(fl_net_rules_check(k, 1, FL_NET_TARGET_CGROUP, err.message,
					    sizeof(err.message)), -EINVAL);
	k[0].proto = FL_NET_ABI_CONNECT;
	k[0].error = 0;
	assert_int_equal(fl_net_rules_check(k, 1, FL_NET_TARGET_CGROUP, err.message,
					    sizeof(err.message)), -EINVAL);
}

static void test_origin_and_the_rule_limit(void **state)
{
	struct fl_net_compile_opts o = { .kind = FL_NET_TARGET_DEV, .seed = 1 };
	struct fl_rule r[3];
	struct fl_rule_error err;
	struct fl_net_rule k[FL_NET_MAX_RULES];
	size_t origin[FL_NET_MAX_RULES], n = 0;
	int bad;

	assert_int_equal(fl_rule_parse("udp:drop", &r[0], &err), 0);
	assert_int_equal(fl_rule_parse("tcp,icmp:drop:for=1s", &r[1], &err), 0);
	assert_int_equal(fl_rule_parse("tcp:host=db:drop", &r[2], &err), 0);
	assert_int_equal(fl_net_compile(r, 2, &o, k, origin, FL_NET_MAX_RULES, &n, &bad, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(origin[0], 0);
	assert_int_equal(origin[1], 1);
	assert_int_equal(origin[2], 1);
	assert_true(k[1].until_ns > 1000000000ull); /* start 0 = now */
	assert_int_equal(fl_net_compile(r, 3, &o, k, origin, FL_NET_MAX_RULES, &n, &bad, &err),
			 -EOPNOTSUPP);
	assert_int_equal(bad, 2);
	assert_int_equal(fl_net_compile(r, 2, &o, k, origin, 2, &n, &bad, &err), -EOPNOTSUPP);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(err.message, "too many"));
}

/* With the delay line: delay= rules become no kernel rule; their unsupported selectors are refused. */
static void test_delay_rules_go_to_the_delay_line(void **state)
{
	static const struct {
		const char *text;
		unsigned column;
		const char *says;
	} refused[] = {
		{ "udp:delay=30ms:when=3", 16, "when= on delay" },
		{ "udp:delay=30ms:prob=50%", 16, "prob= on delay" },
		{ "udp:delay=30ms:count=2", 16, "count= on delay" },
		{ "udp:delay=30ms:for=1s", 16, "for= on delay" },
	};
	struct fl_net_compile_opts o = { .kind = FL_NET_TARGET_NETNS, .seed = 1, .delay_line = true };
	struct fl_rule r[3];
	struct fl_rule_error err;
	struct fl_net_rule k[FL_NET_MAX_RULES];
	size_t origin[FL_NET_MAX_RULES], n = 99;
	int bad;

	(void)state;
	assert_int_equal(fl_rule_parse("udp:dport=1:delay=30ms~5ms:reorder=10%:seed=3", &r[0], &err), 0);
	assert_int_equal(fl_rule_parse("tcp:drop", &r[1], &err), 0);
	assert_int_equal(fl_rule_parse("udp:dport=2:delay=5ms", &r[2], &err), 0);
	assert_int_equal(fl_net_compile(r, 3, &o, k, origin, FL_NET_MAX_RULES, &n, &bad, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(origin[0], 1);
	assert_int_equal(k[0].proto, FL_NET_ABI_TCP);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		n = 99;
		assert_int_equal(fl_rule_parse(refused[i].text, &r[0], &err), 0);
		assert_int_equal(fl_net_compile(r, 1, &o, k, origin, FL_NET_MAX_RULES, &n, &bad, &err),
				 -EOPNOTSUPP);
		if (!strstr(err.message, refused[i].says) || err.column != refused[i].column)
			fail_msg("%s: column %u: %s", refused[i].text, err.column, err.message);
		assert_int_equal(n, 99);
	}
	/* Without the delay line (a cgroup): refused with the reason. */
	o.kind = FL_NET_TARGET_CGROUP;
	o.delay_line = false;
	assert_int_equal(fl_rule_parse("udp:delay=30ms", &r[0], &err), 0);
	assert_int_equal(fl_net_compile(r, 1, &o, k, origin, FL_NET_MAX_RULES, &n, &bad, &err),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err.message, "cannot match the packets of one cgroup"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_drop_maps_every_field),
		cmocka_unit_test(test_defaults_and_seed_from_options),
		cmocka_unit_test(test_actions_and_addresses),
		cmocka_unit_test(test_protocol_sets_split_or_fold),
		cmocka_unit_test(test_what_the_datapath_cannot_do_is_refused_at_its_column),
		cmocka_unit_test(test_reject_and_reset_compile),
		cmocka_unit_test(test_socket_calls_compile_on_a_cgroup),
		cmocka_unit_test(test_origin_and_the_rule_limit),
		cmocka_unit_test(test_delay_rules_go_to_the_delay_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
