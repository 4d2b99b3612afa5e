// SPDX-License-Identifier: GPL-2.0-only
/*
 * The datapath on TCP and on IPv6 prefixes, between two fresh netns: a
 * dropped SYN leaves connect() pending while another port connects;
 * corrupt=payload reaches the application through TCP's (fixed)
 * checksum with one bit flipped; corrupt=wire is caught by TCP's checksum
 * and repaired by its retransmission; an IPv6 source prefix drops IPv6
 * only. Bounded: one connection per case, waits of at most 2 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/net.h>
#include <faultline/state.h>

#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT       5002
#define OTHER_PORT 5003
#define MSG        1000

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
	if (fl_netns_pair_create(&c->pair) ||
	    fl_fixture_tmpdir_create(c->run_dir, sizeof(c->run_dir)) ||
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

#define SKIP_UNLESS_ROOT()                   \
	do {                                 \
		if (!fl_test_require_root()) \
			skip();              \
	} while (0)

static struct fl_net_session *arm(struct ctx *c, const struct fl_net_rule *r)
{
	struct fl_net_target t = {
		.kind = FL_NET_TARGET_DEV, .netns = c->pair.ns[0], .dev = c->pair.dev[0],
	};
	struct fl_net_session *s = NULL;
	char err[256] = "";

	if (fl_net_session_open(r, 1, &t, c->st, &s, err, sizeof(err)) ||
	    fl_net_session_attach(s, err, sizeof(err))) {
		print_message("arm: %s\n", err);
		fl_net_session_close(s);
		fail();
	}
	return s;
}

static struct sockaddr_in addr1(const struct ctx *c, uint16_t port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = c->pair.ip4[1],
	};

	return a;
}

static int listener(const struct ctx *c, uint16_t port)
{
	struct sockaddr_in a = addr1(c, port);
	int fd = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_STREAM), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* A connect from ns[0]: true when it completed within ms. */
static bool connects(const struct ctx *c, uint16_t port, int ms, int *ret_fd)
{
	struct sockaddr_in a = addr1(c, port);
	int fd = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM | SOCK_NONBLOCK), err = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(err);

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return false;
	}
	if (poll(&pfd, 1, ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		close(fd);
		return false;
	}
	fcntl(fd, F_SETFL, 0);
	if (ret_fd)
		*ret_fd = fd;
	else
		close(fd);
	return true;
}

static void test_dropped_syn_leaves_connect_pending_and_other_ports_connect(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_TCP, .dir = FL_NET_ABI_EGRESS, .action = FL_NET_ACT_DROP,
		.dport_lo = PORT, .dport_hi = PORT,
	};
	struct fl_net_session *s;
	struct fl_net_counters k;
	int l1, l2;

	SKIP_UNLESS_ROOT();
	l1 = listener(c, PORT);
	l2 = listener(c, OTHER_PORT);
	s = arm(c, &r);
	assert_false(connects(c, PORT, 300, NULL));
	assert_true(connects(c, OTHER_PORT, 1000, NULL));
	assert_int_equal(fl_net_session_counters(s, 0, &k), 0);
	assert_true(k.matched >= 1);
	assert_int_equal(k.injected, k.matched);
	fl_net_session_close(s);
	assert_true(connects(c, PORT, 1000, NULL));
	close(l1);
	close(l2);
}

/* One MSG-byte message over a fresh connection: how many bits of it differ. */
static int bits_flipped_in_transfer(struct ctx *c, const struct fl_net_rule *r,
				    struct fl_net_counters *ret)
{
	uint8_t out[MSG], in[MSG];
	struct fl_net_session *s;
	int l, tx, rx, bits = 0;
	size_t got = 0;

	for (size_t i = 0; i < MSG; i++)
		out[i] = (uint8_t)(i * 13 + 1);
	l = listener(c, PORT);
	/* Armed after the handshake: count=1 must land on the data, not a SYN. */
	assert_true(connects(c, PORT, 1000, &tx));
	rx = accept(l, NULL, NULL);
	assert_true(rx >= 0);
	s = arm(c, r);
	assert_int_equal(send(tx, out, sizeof(out), 0), (ssize_t)sizeof(out));
	while (got < sizeof(in)) {
		struct pollfd pfd = { .fd = rx, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&pfd, 1, 2000), 1);
		n = recv(rx, in + got, sizeof(in) - got, 0);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(fl_net_session_counters(s, 0, ret), 0);
	fl_net_session_close(s);
	for (size_t i = 0; i < MSG; i++)
		bits += __builtin_popcount(in[i] ^ out[i]);
	close(tx);
	close(rx);
	close(l);
	return bits;
}

static void test_tcp_corrupt_payload_reaches_the_application(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_TCP, .dir = FL_NET_ABI_EGRESS,
		.action = FL_NET_ACT_CORRUPT_PAYLOAD, .dport_lo = PORT, .dport_hi = PORT,
		.count = 1,
	};
	struct fl_net_counters k;

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_netns_pair_sw_csum(&c->pair), 0);
	assert_int_equal(bits_flipped_in_transfer(c, &r, &k), 1);
	assert_int_equal(k.injected, 1);
}

static void test_tcp_corrupt_wire_is_caught_and_retransmitted(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_TCP, .dir = FL_NET_ABI_EGRESS,
		.action = FL_NET_ACT_CORRUPT_WIRE, .dport_lo = PORT, .dport_hi = PORT,
		.count = 1,
	};
	struct fl_net_counters k;

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_netns_pair_sw_csum(&c->pair), 0);
	assert_int_equal(bits_flipped_in_transfer(c, &r, &k), 0);
	assert_int_equal(k.injected, 1);
	/* The retransmission matched too, and was spared by count=1. */
	assert_true(k.matched >= 2);
}

static void test_ipv6_source_prefix_drops_ipv6_only(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_UDP, .dir = FL_NET_ABI_EGRESS, .action = FL_NET_ACT_DROP,
		.family = FL_NET_ABI_FAMILY_IP6, .src_plen = 64,
	};
	struct fl_udp_result u4, u6;
	struct fl_net_session *s;

	SKIP_UNLESS_ROOT();
	memcpy(r.src, &c->pair.ip6[0], 16);
	memset(r.src + 8, 0, 8);
	s = arm(c, &r);
	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET6, 0, PORT, 200, 64, 0, &u6), 0);
	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET, 0, PORT, 200, 64, 0, &u4), 0);
	fl_net_session_close(s);
	assert_int_equal(u6.sent, 200);
	assert_int_equal(u6.received, 0);
	assert_int_equal(u4.distinct, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_dropped_syn_leaves_connect_pending_and_other_ports_connect, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_tcp_corrupt_payload_reaches_the_application,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_corrupt_wire_is_caught_and_retransmitted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_source_prefix_drops_ipv6_only, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
