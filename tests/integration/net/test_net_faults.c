// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel network faults (bpf/net.bpf.c through <faultline/net.h>)
 * on real UDP traffic between two fresh netns joined by a veth pair: tc
 * clsact on ns[0]'s end. Every test is bounded in packets (at most
 * 2 x 10,000 small datagrams) and time (each exchange ends after 100 ms
 * of quiet), and its traffic never leaves the two namespaces.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/net.h>
#include <faultline/state.h>

#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT       5001
#define OTHER_PORT 5999

struct ctx {
	struct fl_netns_pair pair;
	char run_dir[PATH_MAX];
	struct fl_state *st;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	*state = c;
	if (!c || geteuid() != 0)
		return 0;
	if (fl_netns_pair_create(&c->pair)) {
		print_message("cannot create the netns pair\n");
		return -1;
	}
	if (fl_fixture_tmpdir_create(c->run_dir, sizeof(c->run_dir)) ||
	    fl_state_open(c->run_dir, &c->st))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c && c->st)
		fl_state_close(c->st);
	if (c && c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	if (c && c->run_dir[0])
		fl_fixture_tmpdir_destroy(c->run_dir);
	free(c);
	return 0;
}

static struct fl_net_rule udp_rule(uint8_t action, uint8_t dir, uint16_t dport)
{
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_UDP, .dir = dir, .action = action,
		.dport_lo = dport, .dport_hi = dport,
	};

	return r;
}

/* Arm rules on ns[0]'s veth end. */
static struct fl_net_session *arm(struct ctx *c, const struct fl_net_rule *rules, size_t n)
{
	struct fl_net_target t = {
		.kind = FL_NET_TARGET_DEV, .netns = c->pair.ns[0], .dev = c->pair.dev[0],
	};
	struct fl_net_session *s = NULL;
	char err[256] = "";

	if (fl_net_session_open(rules, n, &t, c->st, &s, err, sizeof(err)) ||
	    fl_net_session_attach(s, err, sizeof(err))) {
		print_message("arm: %s\n", err);
		fl_net_session_close(s);
		fail();
	}
	return s;
}

static struct fl_net_counters counters(struct fl_net_session *s, size_t i)
{
	struct fl_net_counters k;

	assert_int_equal(fl_net_session_counters(s, i, &k), 0);
	return k;
}

static struct fl_udp_result udp(struct ctx *c, int from, int family, uint16_t dport,
				unsigned n, size_t size)
{
	struct fl_udp_result r;

	assert_int_equal(fl_netns_pair_udp(&c->pair, from, family, 0, dport, n, size, 0, &r), 0);
	assert_int_equal(r.sent, n);
	return r;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

#define SKIP_UNLESS_ROOT()                   \
	do {                                 \
		if (!fl_test_require_root()) \
			skip();              \
	} while (0)

static unsigned lossy_run(struct ctx *c, uint64_t seed, struct fl_net_counters *ret)
{
	struct fl_net_rule r = udp_rule(FL_NET_ACT_DROP, FL_NET_ABI_EGRESS, PORT);
	struct fl_net_session *s;
	struct fl_udp_result u;

	r.prob_ppm = 300000;
	r.seed = seed;
	s = arm(c, &r, 1);
	u = udp(c, 0, AF_INET, PORT, 10000, 32);
	*ret = counters(s, 0);
	fl_net_session_close(s);
	assert_int_equal(u.received, u.intact);
	assert_int_equal(u.received, u.distinct);
	/* Every datagram the rule spared arrived: the losses are ours alone. */
	assert_int_equal(ret->matched, 10000);
	assert_int_equal(ret->injected, 10000 - u.received);
	return 10000 - u.received;
}

static void test_drop_prob_30pct_measures_30_within_2_and_repeats_with_seed(void **state)
{
	struct ctx *c = *state;
	struct fl_net_counters k1, k2, k3;
	unsigned lost1, lost2, lost3;

	SKIP_UNLESS_ROOT();
	lost1 = lossy_run(c, 42, &k1);
	lost2 = lossy_run(c, 42, &k2);
	lost3 = lossy_run(c, 43, &k3);
	print_message("prob=30%%: lost %u, %u (seed 42), %u (seed 43) of 10000\n",
		      lost1, lost2, lost3);
	assert_in_range(lost1, 2800, 3200);
	assert_in_range(lost3, 2800, 3200);
	assert_int_equal(lost1, lost2);
	/* Another seed draws other packets (equal totals would be a 1-in-100 fluke). */
	assert_int_not_equal(lost1, lost3);
}

static void test_nonmatching_rule_lets_every_datagram_through(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = udp_rule(FL_NET_ACT_DROP, FL_NET_ABI_BOTH, OTHER_PORT);
	struct fl_net_session *s;
	struct fl_udp_result u4, u6;

	SKIP_UNLESS_ROOT();
	s = arm(c, &r, 1);
	u4 = udp(c, 0, AF_INET, PORT, 2000, 64);
	u6 = udp(c, 1, AF_INET6, PORT, 2000, 64);
	assert_int_equal(counters(s, 0).matched, 0);
	fl_net_session_close(s);
	assert_int_equal(u4.distinct, 2000);
	assert_int_equal(u4.received, 2000);
	assert_int_equal(u6.distinct, 2000);
	assert_int_equal(u6.received, 2000);
}

static void test_partition_drops_both_ways_and_heals_on_detach(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_ANY, .dir = FL_NET_ABI_EGRESS, .action = FL_NET_ACT_PARTITION,
		.family = FL_NET_ABI_FAMILY_IP4, .dst_plen = 32,
	};
	struct fl_net_session *s;
	char err[256] = "";
	struct fl_net_target t = {
		.kind = FL_NET_TARGET_DEV, .netns = c->pair.ns[0], .dev = c->pair.dev[0],
	};
	uint64_t t0, t1, t2, t3, t4;

	SKIP_UNLESS_ROOT();
	memcpy(r.dst, &c->pair.ip4[1], 4);
	t0 = now_us();
	assert_int_equal(fl_net_session_open(&r, 1, &t, c->st, &s, err, sizeof(err)), 0);
	t1 = now_us();
	assert_int_equal(fl_net_session_attach(s, err, sizeof(err)), 0);
	t2 = now_us();
	/* Armed when attach returns: the very first datagram after it is hit. */
	assert_int_equal(udp(c, 0, AF_INET, PORT, 1, 64).received, 0);
	assert_int_equal(udp(c, 0, AF_INET, PORT, 200, 64).received, 0);
	assert_int_equal(udp(c, 1, AF_INET, PORT, 200, 64).received, 0);
	/* IPv6 is not in the partitioned prefix. */
	assert_int_equal(udp(c, 0, AF_INET6, PORT, 200, 64).distinct, 200);
	assert_int_equal(counters(s, 0).injected, 401);
	t3 = now_us();
	assert_int_equal(fl_net_session_detach(s, err, sizeof(err)), 0);
	t4 = now_us();
	assert_int_equal(udp(c, 0, AF_INET, PORT, 1, 64).distinct, 1);
	print_message("partition: open (load) %.1f ms, attach %.1f ms, detach %.1f ms\n",
		      (t1 - t0) / 1000.0, (t2 - t1) / 1000.0, (t4 - t3) / 1000.0);
	assert_int_equal(udp(c, 0, AF_INET, PORT, 200, 64).distinct, 200);
	assert_int_equal(udp(c, 1, AF_INET, PORT, 200, 64).distinct, 200);
	fl_net_session_close(s);
}

static void test_corrupt_wire_is_dropped_by_the_receivers_udp_checksum(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = udp_rule(FL_NET_ACT_CORRUPT_WIRE, FL_NET_ABI_EGRESS, PORT);
	struct fl_net_session *s;
	struct fl_udp_result u;

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_netns_pair_sw_csum(&c->pair), 0);
	s = arm(c, &r, 1);
	u = udp(c, 0, AF_INET, PORT, 500, 128);
	assert_int_equal(counters(s, 0).injected, 500);
	fl_net_session_close(s);
	print_message("corrupt=wire: %u of 500 reached the application\n", u.received);
	assert_int_equal(u.received, 0);
}

static void corrupt_payload(struct ctx *c, int family, int from, uint8_t dir)
{
	struct fl_net_rule r = udp_rule(FL_NET_ACT_CORRUPT_PAYLOAD, dir, PORT);
	struct fl_net_session *s;
	struct fl_udp_result u;

	s = arm(c, &r, 1);
	u = udp(c, from, family, PORT, 500, 128);
	assert_int_equal(counters(s, 0).injected, 500);
	fl_net_session_close(s);
	assert_int_equal(u.received, 500);
	assert_int_equal(u.one_bit, 500);
}

static void test_corrupt_payload_arrives_with_one_bit_flipped(void **state)
{
	struct ctx *c = *state;

	SKIP_UNLESS_ROOT();
	/* Software checksums: the receiver really checks the fixed one. */
	assert_int_equal(fl_netns_pair_sw_csum(&c->pair), 0);
	corrupt_payload(c, AF_INET, 0, FL_NET_ABI_EGRESS);
	corrupt_payload(c, AF_INET6, 0, FL_NET_ABI_EGRESS);
	corrupt_payload(c, AF_INET, 1, FL_NET_ABI_INGRESS);
}

static void test_duplicate_delivers_every_datagram_twice(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = udp_rule(FL_NET_ACT_DUPLICATE, FL_NET_ABI_EGRESS, PORT);
	struct fl_net_session *s;
	struct fl_udp_result u;

	SKIP_UNLESS_ROOT();
	s = arm(c, &r, 1);
	u = udp(c, 0, AF_INET, PORT, 300, 64);
	assert_int_equal(counters(s, 0).injected, 300);
	fl_net_session_close(s);
	assert_int_equal(u.distinct, 300);
	assert_int_equal(u.received, 600);

	r.dir = FL_NET_ABI_INGRESS;
	s = arm(c, &r, 1);
	u = udp(c, 1, AF_INET6, PORT, 300, 64);
	assert_int_equal(counters(s, 0).injected, 300);
	fl_net_session_close(s);
	assert_int_equal(u.distinct, 300);
	assert_int_equal(u.received, 600);
}

static void test_dir_ingress_only_and_egress_only(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = udp_rule(FL_NET_ACT_DROP, FL_NET_ABI_INGRESS, PORT);
	struct fl_net_session *s;

	SKIP_UNLESS_ROOT();
	s = arm(c, &r, 1);
	assert_int_equal(udp(c, 0, AF_INET, PORT, 200, 64).distinct, 200); /* out of ns0 */
	assert_int_equal(udp(c, 1, AF_INET, PORT, 200, 64).received, 0);   /* into ns0 */
	fl_net_session_close(s);

	r.dir = FL_NET_ABI_EGRESS;
	s = arm(c, &r, 1);
	assert_int_equal(udp(c, 0, AF_INET, PORT, 200, 64).received, 0);
	assert_int_equal(udp(c, 1, AF_INET, PORT, 200, 64).distinct, 200);
	fl_net_session_close(s);
}

static void test_count_and_when_select_which_matches_are_hit(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = udp_rule(FL_NET_ACT_DROP, FL_NET_ABI_EGRESS, PORT);
	struct fl_net_session *s;
	struct fl_udp_result u;

	SKIP_UNLESS_ROOT();
	/* when=11..50/step 10 picks matches 11, 21, 31, 41; count=3 keeps the first 3. */
	r.when_first = 11;
	r.when_last = 50;
	r.when_step = 10;
	r.count = 3;
	s = arm(c, &r, 1);
	u = udp(c, 0, AF_INET, PORT, 100, 64);
	assert_int_equal(counters(s, 0).injected, 3);
	fl_net_session_close(s);
	assert_int_equal(u.distinct, 97);

	/* when=..5 (no first): matches 1 to 5. */
	r = udp_rule(FL_NET_ACT_DROP, FL_NET_ABI_EGRESS, PORT);
	r.when_last = 5;
	s = arm(c, &r, 1);
	u = udp(c, 0, AF_INET, PORT, 20, 64);
	assert_int_equal(counters(s, 0).injected, 5);
	fl_net_session_close(s);
	assert_int_equal(u.distinct, 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_drop_prob_30pct_measures_30_within_2_and_repeats_with_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonmatching_rule_lets_every_datagram_through,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_drops_both_ways_and_heals_on_detach,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_corrupt_wire_is_dropped_by_the_receivers_udp_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_payload_arrives_with_one_bit_flipped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_delivers_every_datagram_twice,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_ingress_only_and_egress_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_and_when_select_which_matches_are_hit,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
