// SPDX-License-Identifier: GPL-2.0-only
/*
 * The delay line's parts that need no privilege: its heap releases in
 * time order (arrival order among equals) and refuses past its capacity;
 * its rule builder writes the iptables rules a match asks for, and
 * refuses what iptables cannot say; the nft builder writes the same
 * matches as one table of native queue rules (bypass), with the device
 * and a cgroup (socket cgroupv2, its path below /sys/fs/cgroup).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/delay_priv.h"

static void test_heap_releases_in_time_then_arrival_order(void **state)
{
	struct delay_heap h;
	uint64_t seed = 1, last_at = 0, last_seq = 0;
	size_t n = 0;

	assert_int_equal(fl_delay_heap_init(&h, 1000), 0);
	for (uint64_t i = 0; i < 1000; i++) {
		struct delay_pkt p = { .seq = i, .id = (uint32_t)i };

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p.at_ns = (seed >> 33) % 50; /* many equal times */
		assert_int_equal(fl_delay_heap_push(&h, &p), 0);
	}
	{
		struct delay_pkt extra = { .at_ns = 0 };

		assert_int_equal(fl_delay_heap_push(&h, &extra), -ENOSPC);
	}
	while (fl_delay_heap_top(&h)) {
		const struct delay_pkt *t = fl_delay_heap_top(&h);

		if (n) {
			assert_true(t->at_ns >= last_at);
			if (t->at_ns == last_at)
				assert_true(t->seq > last_seq);
		}
		last_at = t->at_ns;
		last_seq = t->seq;
		fl_delay_heap_pop(&h);
		n++;
	}
	assert_int_equal(n, 1000);
	fl_delay_heap_pop(&h); /* empty: no-op */
	fl_delay_heap_free(&h);
}

/* rule i's arguments, space-joined. */
static void joined(const struct delay_rule *r, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s", r->binary);

	for (size_t i = 0; r->argv[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " %s", r->argv[i]);
}

static struct delay_rule rules[DELAY_MAX_RULES];

static void test_rules_cover_both_families_and_chains(void **state)
{
	struct fl_net_match m = {
		.protos = FL_NET_PROTO_TCP | FL_NET_PROTO_UDP, .dir = FL_NET_DIR_BOTH,
		.dport = { 1000, 2000 }, .sport = { 5432, 5432 },
	};
	char s[512], err[128] = "";
	size_t n = 0;

	assert_int_equal(fl_delay_rules_build(&m, 4242, "", "", rules, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 8); /* 2 families x 2 chains x 2 protocols */
	joined(&rules[0], s, sizeof(s));
	assert_string_equal(s, "iptables-nft OUTPUT -p tcp --sport 5432 --dport 1000:2000 "
			       "-m comment --comment faultline-delay -j NFQUEUE --queue-num 4242 "
			       "--queue-bypass");
	joined(&rules[3], s, sizeof(s));
	assert_non_null(strstr(s, "iptables-nft INPUT -p udp"));
	joined(&rules[7], s, sizeof(s));
	assert_non_null(strstr(s, "ip6tables-nft INPUT -p udp"));
}

static void test_rules_for_an_address_keep_its_family(void **state)
{
	struct fl_net_match m = {
		.protos = FL_NET_PROTO_ICMP, .family = FL_NET_IPV6, .dir = FL_NET_DIR_INGRESS,
		.src = { .family = FL_NET_IPV6, .prefix_len = 64 },
	};
	char s[512], err[128] = "";
	size_t n = 0;

	assert_int_equal(inet_pton(AF_INET6, "fd00:1::", m.src.addr), 1);
	assert_int_equal(fl_delay_rules_build(&m, 7, "", "", rules, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	joined(&rules[0], s, sizeof(s));
	assert_non_null(strstr(s, "ip6tables-nft INPUT -p ipv6-icmp -s fd00:1::/64 -m comment"));

	m = (struct fl_net_match){
		.protos = FL_NET_PROTO_ANY, .family = FL_NET_IPV4, .dir = FL_NET_DIR_EGRESS,
		.dst = { .family = FL_NET_IPV4, .prefix_len = 24, .addr = { 10, 1, 2, 0 } },
	};
	assert_int_equal(fl_delay_rules_build(&m, 7, "", "", rules, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	joined(&rules[0], s, sizeof(s));
	assert_non_null(strstr(s, "iptables-nft OUTPUT -d 10.1.2.0/24 -m comment"));
}

/* --dev: the device goes into each chain's rule, -o on OUTPUT and -i on INPUT. */
static void test_rules_for_a_device_name_it_per_chain(void **state)
{
	struct fl_net_match m = { .protos = FL_NET_PROTO_UDP, .dir = FL_NET_DIR_BOTH,
				  .family = FL_NET_IPV4 };
	char s[512], err[128] = "";
	size_t n = 0;

	(void)state;
	assert_int_equal(fl_delay_rules_build(&m, 9, "veth7", "", rules, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	joined(&rules[0], s, sizeof(s));
	assert_non_null(strstr(s, "iptables-nft OUTPUT -o veth7 -p udp"));
	joined(&rules[1], s, sizeof(s));
	assert_non_null(strstr(s, "iptables-nft INPUT -i veth7 -p udp"));
}

/* A cgroup: its sockets' packets on OUTPUT (-m cgroup --path); ingress has no honest match. */
static void test_rules_for_a_cgroup_are_egress_only(void **state)
{
	struct fl_net_match m = { .protos = FL_NET_PROTO_UDP, .dir = FL_NET_DIR_EGRESS,
				  .family = FL_NET_IPV4 };
	char s[512], err[128] = "";
	size_t n = 0;

	(void)state;
	assert_int_equal(fl_delay_rules_build(&m, 9, "", "/db", rules, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	joined(&rules[0], s, sizeof(s));
	assert_non_null(strstr(s, "iptables-nft OUTPUT -p udp -m cgroup --path /db -m comment"));
	m.dir = FL_NET_DIR_BOTH;
	assert_int_equal(fl_delay_rules_build(&m, 9, "", "/db", rules, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "dir=egress"));
}

static void test_rules_refuse_what_iptables_cannot_say(void **state)
{
	struct fl_net_match ports_any = { .protos = FL_NET_PROTO_ANY, .dport = { 80, 80 } };
	struct fl_net_match sock = { .protos = FL_NET_PROTO_CONNECT };
	struct fl_net_match v6_only_ip = { .protos = FL_NET_PROTO_IP, .family = FL_NET_IPV6 };
	char err[128] = "";
	size_t n = 99;

	assert_int_equal(fl_delay_rules_build(&ports_any, 1, "", "", rules, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tcp or udp"));
	assert_int_equal(fl_delay_rules_build(&sock, 1, "", "", rules, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "queues packets"));
	assert_int_equal(fl_delay_rules_build(&v6_only_ip, 1, "", "", rules, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(n, 99);
}

static struct delay_nft nft;

static void test_nft_table_covers_both_families_and_chains(void **state)
{
	struct fl_net_match m = {
		.protos = FL_NET_PROTO_TCP | FL_NET_PROTO_UDP, .dir = FL_NET_DIR_BOTH,
		.dport = { 1000, 2000 }, .sport = { 5432, 5432 },
	};
	char err[128] = "";

	(void)state;
	assert_int_equal(fl_delay_nft_build(&m, 4242, "", "", "", &nft, err, sizeof(err)), 0);
	assert_int_equal(nft.n_rules, 8);
	assert_non_null(strstr(nft.table, "faultline_delay_"));
	assert_non_null(strstr(nft.script, "add chain inet faultline_delay_"));
	assert_non_null(strstr(nft.script, " output { type filter hook output priority -150; policy accept; }\n"));
	assert_non_null(strstr(nft.script, " input { type filter hook input priority -150; policy accept; }\n"));
	assert_non_null(strstr(nft.script, " output meta nfproto ipv4 meta l4proto tcp tcp sport 5432 "
				     "tcp dport 1000-2000 queue num 4242 bypass\n"));
	assert_non_null(strstr(nft.script, " input meta nfproto ipv6 meta l4proto udp udp sport 5432 "
				     "udp dport 1000-2000 queue num 4242 bypass\n"));
}

static void test_nft_table_with_addresses_a_device_and_a_cgroup(void **state)
{
	struct fl_net_match m = {
		.protos = FL_NET_PROTO_ICMP, .family = FL_NET_IPV6, .dir = FL_NET_DIR_INGRESS,
		.src = { .family = FL_NET_IPV6, .prefix_len = 64 },
	};
	char err[160] = "";

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "fd00:1::", m.src.addr), 1);
	assert_int_equal(fl_delay_nft_build(&m, 7, "veth7", "", "", &nft, err, sizeof(err)), 0);
	assert_int_equal(nft.n_rules, 1);
	assert_non_null(strstr(nft.script, " input iifname \"veth7\" meta nfproto ipv6 meta l4proto "
				     "ipv6-icmp ip6 saddr fd00:1::/64 queue num 7 bypass\n"));
	assert_null(strstr(nft.script, "hook output"));

	m = (struct fl_net_match){ .protos = FL_NET_PROTO_UDP, .family = FL_NET_IPV4,
				   .dir = FL_NET_DIR_EGRESS,
				   .dst = { .family = FL_NET_IPV4, .prefix_len = 24, .addr = { 10, 1, 2, 0 } } };
	/* nft resolves the path below /sys/fs/cgroup: a hybrid host's cgroup2 is at .../unified */
	assert_int_equal(fl_delay_nft_build(&m, 9, "", "/db/x", "/sys/fs/cgroup", &nft, err, sizeof(err)), 0);
	assert_non_null(strstr(nft.script, " output meta nfproto ipv4 meta l4proto udp socket cgroupv2 "
				     "level 2 \"db/x\" ip daddr 10.1.2.0/24 queue num 9 bypass\n"));
	assert_int_equal(fl_delay_nft_build(&m, 9, "", "/db", "/sys/fs/cgroup/unified", &nft, err, sizeof(err)), 0);
	assert_non_null(strstr(nft.script, "socket cgroupv2 level 1 \"unified/db\""));
	assert_int_equal(fl_delay_nft_build(&m, 9, "", "/db", "/mnt/cg2", &nft, err, sizeof(err)), -EOPNOTSUPP);
	assert_non_null(strstr(err, "/mnt/cg2"));
	assert_int_equal(fl_delay_nft_build(&m, 9, "", "/d\"b", "/sys/fs/cgroup", &nft, err, sizeof(err)), -EINVAL);
	m.dir = FL_NET_DIR_BOTH;
	assert_int_equal(fl_delay_nft_build(&m, 9, "", "/db", "/sys/fs/cgroup", &nft, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "dir=egress"));
}

static void test_nft_table_refuses_what_the_rules_cannot_say(void **state)
{
	struct fl_net_match ports_any = { .protos = FL_NET_PROTO_ANY, .dport = { 80, 80 } };
	struct fl_net_match sock = { .protos = FL_NET_PROTO_CONNECT };
	struct fl_net_match v6_only_ip = { .protos = FL_NET_PROTO_IP, .family = FL_NET_IPV6 };
	char err[128] = "";

	(void)state;
	assert_int_equal(fl_delay_nft_build(&ports_any, 1, "", "", "", &nft, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tcp or udp"));
	assert_int_equal(fl_delay_nft_build(&sock, 1, "", "", "", &nft, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "queues packets"));
	assert_int_equal(fl_delay_nft_build(&v6_only_ip, 1, "", "", "", &nft, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_releases_in_time_then_arrival_order),
		cmocka_unit_test(test_rules_cover_both_families_and_chains),
		cmocka_unit_test(test_rules_for_an_address_keep_its_family),
		cmocka_unit_test(test_rules_for_a_device_name_it_per_chain),
		cmocka_unit_test(test_rules_for_a_cgroup_are_egress_only),
		cmocka_unit_test(test_rules_refuse_what_iptables_cannot_say),
		cmocka_unit_test(test_nft_table_covers_both_families_and_chains),
		cmocka_unit_test(test_nft_table_with_addresses_a_device_and_a_cgroup),
		cmocka_unit_test(test_nft_table_refuses_what_the_rules_cannot_say),
	};

	return cmocka_run_group_tests_name("net delay line parts", tests, NULL, NULL);
}
