// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The net domain's grammar (issue 13): every proto, match, action and
 * cross-check, the typed struct fl_net_match the datapath compiles, and
 * the canonical text that parses back into the same rule.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/rule.h>

/* Parsed and accepted by the net domain. */
static struct fl_rule net_ok(const char *text)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	if (fl_rule_parse(text, &rule, &err))
		fail_msg("'%s' was refused: %s", text, err.message);
	if (fl_rule_check_domain(&rule, FL_DOMAIN_NET, &err))
		fail_msg("'%s' refused in net: %s", text, err.message);
	return rule;
}

static void assert_parse_refused(const char *text, const char *message,
				 unsigned column)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	if (fl_rule_parse(text, &rule, &err) != -EINVAL)
		fail_msg("'%s' was parsed", text);
	assert_string_equal(err.message, message);
	assert_int_equal(err.column, column);
}

static void assert_net_refused(const char *text, const char *message,
			       unsigned column)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	if (fl_rule_parse(text, &rule, &err))
		fail_msg("'%s' was refused by the parser: %s", text,
			 err.message);
	if (fl_rule_check_domain(&rule, FL_DOMAIN_NET, &err) != -EINVAL)
		fail_msg("'%s' was accepted in net", text);
	assert_string_equal(err.message, message);
	assert_int_equal(err.column, column);
}

/* Net-accepted, formats as canonical, which parses back equal. */
static void assert_canonical(const char *text, const char *canonical)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule = net_ok(text), again;
	char buf[512];
	int n;

	n = fl_rule_format(&rule, buf, sizeof(buf));
	assert_int_equal(n, strlen(canonical));
	if (strcmp(buf, canonical))
		fail_msg("'%s' formats as '%s', expected '%s'", text, buf,
			 canonical);
	if (fl_rule_parse(buf, &again, &err))
		fail_msg("'%s' does not parse back: %s", buf, err.message);
	assert_true(fl_rule_equal(&rule, &again));
}

static const uint8_t zero16[16];

/* --- protos ---------------------------------------------------------- */

static void test_every_proto_is_a_net_op_with_its_bit(void **state)
{
	assert_int_equal(net_ok("ip:drop").net.protos, FL_NET_PROTO_IP);
	assert_int_equal(net_ok("ip6:drop").net.protos, FL_NET_PROTO_IP6);
	assert_int_equal(net_ok("tcp:drop").net.protos, FL_NET_PROTO_TCP);
	assert_int_equal(net_ok("udp:drop").net.protos, FL_NET_PROTO_UDP);
	assert_int_equal(net_ok("icmp:drop").net.protos, FL_NET_PROTO_ICMP);
	assert_int_equal(net_ok("any:drop").net.protos, FL_NET_PROTO_ANY);
	assert_int_equal(net_ok("*:drop").net.protos, FL_NET_PROTO_ANY);
	assert_int_equal(net_ok("tcp,udp:drop").net.protos,
			 FL_NET_PROTO_TCP | FL_NET_PROTO_UDP);
	assert_int_equal(net_ok("connect:error=ECONNREFUSED").net.protos,
			 FL_NET_PROTO_CONNECT);
	assert_int_equal(net_ok("sendmsg:error=EPERM").net.protos,
			 FL_NET_PROTO_SENDMSG);
	assert_int_equal(net_ok("bind:error=EADDRINUSE").net.protos,
			 FL_NET_PROTO_BIND);
	assert_int_equal(fl_net_proto_bit("sctp"), 0);
}

static void test_family_follows_ip_ip6_or_the_addresses(void **state)
{
	assert_int_equal(net_ok("ip:drop").net.family, FL_NET_IPV4);
	assert_int_equal(net_ok("ip6:drop").net.family, FL_NET_IPV6);
	assert_int_equal(net_ok("ip,ip6:drop").net.family, FL_NET_FAMILY_ANY);
	assert_int_equal(net_ok("tcp:drop").net.family, FL_NET_FAMILY_ANY);
	assert_int_equal(net_ok("tcp:drop:dst=[::1]").net.family, FL_NET_IPV6);
	assert_int_equal(net_ok("udp:drop:src=10.1.2.3").net.family,
			 FL_NET_IPV4);
}

/* --- src= / dst= ----------------------------------------------------- */

static void test_ipv4_cidr_and_bare_address(void **state)
{
	struct fl_rule r = net_ok("tcp:drop:dst=10.0.0.0/8:src=192.168.1.7");
	static const uint8_t ten[16] = { 10 };
	static const uint8_t host[16] = { 192, 168, 1, 7 };

	assert_int_equal(r.keys, FL_KEY_DST | FL_KEY_SRC);
	assert_int_equal(r.net.dst.family, FL_NET_IPV4);
	assert_int_equal(r.net.dst.prefix_len, 8);
	assert_memory_equal(r.net.dst.addr, ten, 16);
	assert_int_equal(r.net.src.family, FL_NET_IPV4);
	assert_int_equal(r.net.src.prefix_len, 32);
	assert_memory_equal(r.net.src.addr, host, 16);
	r = net_ok("tcp:drop:dst=0.0.0.0/0");
	assert_int_equal(r.net.dst.prefix_len, 0);
	assert_memory_equal(r.net.dst.addr, zero16, 16);
}

static void test_ipv6_in_brackets_or_with_escaped_colons(void **state)
{
	static const uint8_t fd00[16] = { 0xfd, 0x00 };
	static const uint8_t one[16] = { [15] = 1 };
	const char *forms[] = {
		"udp:drop:dst=[fd00::/64]", "udp:drop:dst=[fd00::]/64",
		"udp:drop:dst=fd00\\:\\:/64",
	};
	struct fl_rule r;
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		r = net_ok(forms[i]);
		assert_int_equal(r.net.dst.family, FL_NET_IPV6);
		assert_int_equal(r.net.dst.prefix_len, 64);
		assert_memory_equal(r.net.dst.addr, fd00, 16);
	}
	r = net_ok("ip6:drop:src=[::1]");
	assert_int_equal(r.net.src.prefix_len, 128);
	assert_memory_equal(r.net.src.addr, one, 16);
	/* absent keys leave family 0: match any address */
	assert_int_equal(r.net.dst.family, FL_NET_FAMILY_ANY);
}

static void test_address_errors_point_at_the_value(void **state)
{
	assert_parse_refused("tcp:dst=10.0.0.1/8:drop",
			     "invalid dst= '10.0.0.1/8' at column 9: bits set past the prefix length (did you mean dst=10.0.0.0/8?)",
			     9);
	assert_parse_refused("tcp:src=[fd00::1/64]:drop",
			     "invalid src= '[fd00::1/64]' at column 9: bits set past the prefix length (did you mean src=[fd00::/64]?)",
			     9);
	assert_parse_refused("tcp:dst=10.0.0.0/33:drop",
			     "invalid dst= '10.0.0.0/33' at column 9: an IPv4 prefix length is 0 to 32",
			     9);
	assert_parse_refused("tcp:dst=[fd00::/129]:drop",
			     "invalid dst= '[fd00::/129]' at column 9: an IPv6 prefix length is 0 to 128",
			     9);
	assert_parse_refused("tcp:dst=10.0.0.0/:drop",
			     "invalid dst= '10.0.0.0/' at column 9: the prefix length after '/' is not a number",
			     9);
	assert_parse_refused("tcp:dst=1.2.3:drop",
			     "invalid dst= '1.2.3' at column 9: not an IPv4 or IPv6 address or CIDR prefix",
			     9);
	assert_parse_refused("tcp:drop:dst=[fd00::1]x",
			     "invalid dst= '[fd00::1]x' at column 14: text after ']'",
			     14);
	assert_parse_refused("tcp:dst=[fd00::/64:drop",
			     "unclosed '[' at column 9", 9);
}

static void test_unbracketed_ipv6_gets_a_hint(void **state)
{
	assert_parse_refused("ip6:src=::1:drop",
			     "missing value for 'src=' at column 9 (an IPv6 address goes inside [...], as src=[::1])",
			     9);
	assert_parse_refused("ip6:dst=fd00::1:drop",
			     "invalid dst= 'fd00' at column 9: not an IPv4 or IPv6 address or CIDR prefix (an IPv6 address goes inside [...], as dst=[fd00::1])",
			     9);
}

/* --- ports, dir= ----------------------------------------------------- */

static void test_port_ranges_keep_the_single_port_view(void **state)
{
	struct fl_rule r = net_ok("tcp:drop:dport=5000-5100:sport=22");

	assert_int_equal(r.net.dport.first, 5000);
	assert_int_equal(r.net.dport.last, 5100);
	assert_int_equal(r.dport, 5000);
	assert_int_equal(r.net.sport.first, 22);
	assert_int_equal(r.net.sport.last, 22);
	assert_int_equal(r.sport, 22);
	r = net_ok("udp:drop:dport=1-65535");
	assert_int_equal(r.net.dport.first, 1);
	assert_int_equal(r.net.dport.last, 65535);
	r = net_ok("udp:drop");
	assert_int_equal(r.net.dport.first, 0);
	assert_int_equal(r.net.dport.last, 0);
}

static void test_port_range_errors(void **state)
{
	assert_parse_refused("tcp:dport=9-3:drop",
			     "invalid port range '9-3' at column 11: the first port is larger than the last",
			     11);
	assert_parse_refused("tcp:dport=1-0:drop",
			     "invalid port '1-0' at column 11: from 1 to 65535", 11);
	assert_parse_refused("tcp:sport=1-70000:drop",
			     "invalid port '1-70000' at column 11: from 1 to 65535",
			     11);
	assert_parse_refused("tcp:dport=5-:drop",
			     "invalid port '5-' at column 11: empty", 11);
}

static void test_dir_values_default_and_typos(void **state)
{
	assert_int_equal(net_ok("tcp:drop").net.dir, FL_NET_DIR_BOTH);
	assert_int_equal(net_ok("tcp:drop:dir=egress").net.dir,
			 FL_NET_DIR_EGRESS);
	assert_int_equal(net_ok("tcp:drop:dir=ingress").net.dir,
			 FL_NET_DIR_INGRESS);
	assert_int_equal(net_ok("tcp:drop:dir=both").net.dir, FL_NET_DIR_BOTH);
	assert_parse_refused("tcp:dir=egres:drop",
			     "unknown dir 'egres' at column 9: did you mean 'egress'? (use egress, ingress or both)",
			     9);
	assert_parse_refused("tcp:dir=out:drop",
			     "unknown dir 'out' at column 9: use egress, ingress or both",
			     9);
}

/* --- actions --------------------------------------------------------- */

static void test_every_net_action(void **state)
{
	struct fl_rule r;

	assert_int_equal(net_ok("tcp:drop").action, FL_ACTION_DROP);
	assert_int_equal(net_ok("tcp:reject").action, FL_ACTION_REJECT);
	assert_int_equal(net_ok("any:partition").action, FL_ACTION_PARTITION);
	assert_int_equal(net_ok("udp:duplicate").action, FL_ACTION_DUPLICATE);
	assert_int_equal(net_ok("tcp:reset").action, FL_ACTION_RESET);
	assert_int_equal(net_ok("tcp:rate=1mbit").arg.rate_bps, 1000000);
	assert_int_equal(net_ok("tcp:rate=10kbit").arg.rate_bps, 10000);
	assert_int_equal(net_ok("tcp:rate=1gbit").arg.rate_bps, 1000000000);
	r = net_ok("udp:delay=50ms~10ms:reorder=25%");
	assert_int_equal(r.action, FL_ACTION_DELAY);
	assert_int_equal(r.arg.delay.ns, 50000000);
	assert_int_equal(r.arg.delay.jitter_ns, 10000000);
	assert_int_equal(r.net.reorder_ppm, 250000);
	assert_int_equal(r.keys, FL_KEY_REORDER);
	assert_int_equal(net_ok("tcp:corrupt").arg.corrupt, FL_CORRUPT_DEFAULT);
	assert_int_equal(net_ok("tcp:corrupt=wire").arg.corrupt,
			 FL_CORRUPT_WIRE);
	assert_int_equal(net_ok("tcp:corrupt=payload:bytes=2").arg.corrupt,
			 FL_CORRUPT_PAYLOAD);
	r = net_ok("connect:dport=5432:error=ECONNREFUSED");
	assert_int_equal(r.arg.error, ECONNREFUSED);
	assert_int_equal(r.net.dport.first, 5432);
	assert_string_equal(fl_action_name(FL_ACTION_REJECT), "reject");
	assert_string_equal(fl_action_name(FL_ACTION_PARTITION), "partition");
	assert_string_equal(fl_action_name(FL_ACTION_RESET), "reset");
}

static void test_abi_action_numbers_are_stable(void **state)
{
	assert_int_equal(FL_ACTION_DUPLICATE, 11);
	assert_int_equal(FL_ACTION_REORDER, 12);
	assert_int_equal(FL_ACTION_RATE, 13);
	assert_int_equal(FL_ACTION_REJECT, 14);
	assert_int_equal(FL_ACTION_PARTITION, 15);
	assert_int_equal(FL_ACTION_RESET, 16);
}

static void test_reorder_needs_delay_and_a_positive_share(void **state)
{
	assert_parse_refused("tcp:drop:reorder=5%",
			     "'reorder' only applies to delay=, at column 10 (netem reorders by sending some packets undelayed)",
			     10);
	assert_parse_refused("tcp:delay=1ms:reorder=0%",
			     "reorder= must be more than 0%, got '0%' at column 23",
			     23);
	assert_parse_refused("tcp:delay=1ms:reorder=x",
			     "invalid reorder= 'x' at column 23: not a percentage or a fraction",
			     23);
	/* bare, 'reorder' is still the old action, so it is a second one */
	assert_parse_refused("tcp:delay=1ms:reorder",
			     "second action 'reorder' at column 15 (the rule already has 'delay' at column 5)",
			     15);
}

static void test_corrupt_modes_belong_to_their_domain(void **state)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule r;

	assert_parse_refused("tcp:corrupt=wir",
			     "unknown corrupt mode 'wir' at column 13: did you mean 'wire'? (use wire or payload)",
			     13);
	assert_parse_refused("write:corrupt=zer",
			     "unknown corrupt mode 'zer' at column 15: did you mean 'zero'? (use bitflip, zero or random)",
			     15);
	assert_net_refused("tcp:corrupt=zero",
			   "corrupt=zero is a fs mode, at column 13 (the net domain takes wire or payload)",
			   13);
	assert_int_equal(fl_rule_parse("write:corrupt=wire", &r, &err), 0);
	assert_int_equal(fl_rule_check_domain(&r, FL_DOMAIN_FS, &err), -EINVAL);
	assert_string_equal(err.message,
			    "corrupt=wire is a net mode, at column 15 (the fs domain takes bitflip, zero or random)");
	assert_int_equal(err.column, 15);
	assert_int_equal(fl_rule_parse("write:corrupt", &r, &err), 0);
	assert_int_equal(fl_rule_check_domain(&r, FL_DOMAIN_FS, &err), -EINVAL);
	assert_string_equal(err.message,
			    "'corrupt' needs a mode in the fs domain, at column 7 (use corrupt=bitflip, zero or random)");
	assert_int_equal(err.column, 7);
	/* and the fs modes still work there */
	assert_int_equal(fl_rule_parse("write:corrupt=random", &r, &err), 0);
	assert_int_equal(fl_rule_check_domain(&r, FL_DOMAIN_FS, &err), 0);
}

/* --- cross-checks ---------------------------------------------------- */

static void test_family_contradictions(void **state)
{
	assert_net_refused("ip:dst=[::1]:drop",
			   "an IPv6 dst= contradicts 'ip' at column 1 (use ip6), at column 4",
			   4);
	assert_net_refused("ip6:src=10.0.0.1:drop",
			   "an IPv4 src= contradicts 'ip6' at column 1 (use ip), at column 5",
			   5);
	assert_net_refused("ip,ip6:dst=10.0.0.0/8:drop",
			   "an IPv4 dst= contradicts 'ip6' at column 4 (use ip), at column 8",
			   8);
	assert_net_refused("tcp:src=10.0.0.1:dst=[::1]:drop",
			   "src= is IPv4 and dst= IPv6, but a packet has one family, at column 18",
			   18);
}

static void test_ports_need_tcp_or_udp(void **state)
{
	assert_net_refused("icmp:dport=1:drop",
			   "'dport' needs tcp or udp, and 'icmp' at column 1 has no ports, at column 6",
			   6);
	assert_net_refused("ip6:sport=1:drop",
			   "'sport' needs tcp or udp, and 'ip6' at column 1 has no ports, at column 5",
			   5);
	assert_net_refused("tcp,ip:dport=53:drop",
			   "'dport' needs tcp or udp, and 'ip' at column 5 has no ports, at column 8",
			   8);
	assert_net_refused("any:dport=53:drop",
			   "'dport' needs tcp or udp, and 'any' at column 1 has no ports, at column 5",
			   5);
}

static void test_error_only_on_socket_calls_and_only_error_there(void **state)
{
	assert_net_refused("udp:error=EIO",
			   "error= only applies to the socket calls connect, sendmsg and bind, not to the packet protocol 'udp', at column 5",
			   5);
	assert_net_refused("connect:drop",
			   "'drop' is a packet action; the socket call 'connect' only takes error=, at column 9",
			   9);
	assert_net_refused("tcp,connect:drop",
			   "'connect' is a socket call and 'tcp' a packet protocol: one rule takes one kind, at column 5",
			   5);
	assert_net_refused("connect:error=EPERM:dir=egress",
			   "dir= applies to packets, not to the socket call 'connect', at column 21",
			   21);
}

static void test_socket_calls_match_their_own_end(void **state)
{
	struct fl_rule r = net_ok("bind:sport=80:src=[::1]:error=EADDRINUSE");

	assert_int_equal(r.net.sport.first, 80);
	r = net_ok("sendmsg:dst=[::1]:dport=53:error=EPERM");
	assert_int_equal(r.net.dst.family, FL_NET_IPV6);
	assert_net_refused("bind:dport=80:error=EADDRINUSE",
			   "bind has no destination: its address and port are src= and sport=, 'dport' at column 6",
			   6);
	assert_net_refused("connect:sport=1:error=EPERM",
			   "'connect' is matched by where it goes: use dst= and dport=, not 'sport' at column 9",
			   9);
}

static void test_partition_and_reset_have_no_direction(void **state)
{
	assert_net_refused("any:partition:dir=egress",
			   "partition works both ways, so dir= does not apply, at column 15",
			   15);
	assert_net_refused("tcp:reset:dir=ingress",
			   "reset works both ways, so dir= does not apply, at column 11",
			   11);
	assert_net_refused("udp:reset",
			   "reset tears down TCP connections, and 'udp' at column 1 is not tcp, at column 5",
			   5);
	assert_int_equal(net_ok("tcp:rate=1mbit:dir=ingress").net.dir,
			 FL_NET_DIR_INGRESS);
}

static void test_net_keys_stay_out_of_other_domains(void **state)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule r;

	assert_int_equal(fl_rule_parse("write:drop:dst=10.0.0.0/8", &r, &err), 0);
	assert_int_equal(fl_rule_check_domain(&r, FL_DOMAIN_FS, &err), -EINVAL);
	assert_string_equal(err.message,
			    "'dst' does not apply to the fs domain, at column 12");
	assert_int_equal(fl_rule_parse("connect:error=EPERM:dir=egress", &r,
				       &err), 0);
	assert_int_equal(fl_rule_check_domain(&r, FL_DOMAIN_SYSCALL, &err),
			 -EINVAL);
	assert_string_equal(err.message,
			    "'dir' does not apply to the syscall domain, at column 21");
}

static void test_host_key_is_unchanged(void **state)
{
	struct fl_rule r = net_ok("tcp:drop:host=[::1]:dst=[::1]");

	assert_string_equal(r.host, "::1");
	assert_int_equal(r.keys, FL_KEY_HOST | FL_KEY_DST);
}

/* --- round trip -------------------------------------------------------- */

static void test_canonical_forms_round_trip(void **state)
{
	assert_canonical("udp:dst=[fd00::/64]:dport=5000-5100:delay=50ms~10ms:reorder=25%",
			 "udp:delay=50ms~10ms:reorder=25%:dport=5000-5100:dst=[fd00::/64]");
	assert_canonical("udp:dst=fd00\\:\\:/64:drop", "udp:drop:dst=[fd00::/64]");
	assert_canonical("udp:dst=[fd00::]/64:drop", "udp:drop:dst=[fd00::/64]");
	assert_canonical("ip6:dst=[::1/128]:drop", "ip6:drop:dst=[::1]");
	assert_canonical("ip:src=10.0.0.1/32:dir=egress:drop",
			 "ip:drop:src=10.0.0.1:dir=egress");
	assert_canonical("tcp:dst=0.0.0.0/0:reject", "tcp:reject:dst=0.0.0.0/0");
	assert_canonical("any:partition:src=10.0.0.0/8",
			 "any:partition:src=10.0.0.0/8");
	assert_canonical("tcp:reset:dport=5432", "tcp:reset:dport=5432");
	assert_canonical("tcp:corrupt", "tcp:corrupt");
	assert_canonical("tcp:corrupt=payload:bytes=2",
			 "tcp:corrupt=payload:bytes=2");
	assert_canonical("udp:duplicate:prob=1%:dir=both",
			 "udp:duplicate:prob=1%:dir=both");
	assert_canonical("tcp:rate=1000kbit:dir=ingress",
			 "tcp:rate=1mbit:dir=ingress");
	assert_canonical("connect:dport=5432:error=ECONNREFUSED",
			 "connect:error=ECONNREFUSED:dport=5432");
	assert_canonical("tcp:dport=22:sport=1024-65535:drop:host=db:seed=1",
			 "tcp:drop:seed=1:dport=22:sport=1024-65535:host=db");
}

static void test_equal_compares_the_net_match(void **state)
{
	struct fl_rule a = net_ok("tcp:drop:dst=10.0.0.0/8");
	struct fl_rule b = net_ok("tcp:drop:dst=10.0.0.0/9");
	struct fl_rule c = net_ok("tcp:drop:dport=1-2");
	struct fl_rule d = net_ok("tcp:drop:dport=1-3");
	struct fl_rule e = net_ok("tcp:drop:dir=egress");
	struct fl_rule f = net_ok("tcp:drop:dir=ingress");
	struct fl_rule g = net_ok("tcp:delay=1ms:reorder=1%");
	struct fl_rule h = net_ok("tcp:delay=1ms:reorder=2%");
	struct fl_rule i = net_ok("tcp:reject");

	assert_false(fl_rule_equal(&a, &b));
	assert_false(fl_rule_equal(&c, &d));
	assert_false(fl_rule_equal(&e, &f));
	assert_false(fl_rule_equal(&g, &h));
	assert_false(fl_rule_equal(&i, &a));
	assert_true(fl_rule_equal(&a, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_proto_is_a_net_op_with_its_bit),
		cmocka_unit_test(test_family_follows_ip_ip6_or_the_addresses),
		cmocka_unit_test(test_ipv4_cidr_and_bare_address),
		cmocka_unit_test(test_ipv6_in_brackets_or_with_escaped_colons),
		cmocka_unit_test(test_address_errors_point_at_the_value),
		cmocka_unit_test(test_unbracketed_ipv6_gets_a_hint),
		cmocka_unit_test(test_port_ranges_keep_the_single_port_view),
		cmocka_unit_test(test_port_range_errors),
		cmocka_unit_test(test_dir_values_default_and_typos),
		cmocka_unit_test(test_every_net_action),
		cmocka_unit_test(test_abi_action_numbers_are_stable),
		cmocka_unit_test(test_reorder_needs_delay_and_a_positive_share),
		cmocka_unit_test(test_corrupt_modes_belong_to_their_domain),
		cmocka_unit_test(test_family_contradictions),
		cmocka_unit_test(test_ports_need_tcp_or_udp),
		cmocka_unit_test(test_error_only_on_socket_calls_and_only_error_there),
		cmocka_unit_test(test_socket_calls_match_their_own_end),
		cmocka_unit_test(test_partition_and_reset_have_no_direction),
		cmocka_unit_test(test_net_keys_stay_out_of_other_domains),
		cmocka_unit_test(test_host_key_is_unchanged),
		cmocka_unit_test(test_canonical_forms_round_trip),
		cmocka_unit_test(test_equal_compares_the_net_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
