// SPDX-License-Identifier: GPL-2.0-only
/*
 * reject between two fresh netns joined by a veth pair: the peer fails
 * fast. A connect to a port that IS listening in ns[1] is refused
 * (ECONNREFUSED) within milliseconds, whether the rule sits on ns[0]'s end
 * (the SYN leaves: the RST comes back in) or on ns[1]'s end (the SYN
 * arrives: the RST goes back out); a connected UDP socket gets
 * ECONNREFUSED from an ICMP port unreachable although ns[1] has a socket
 * bound to the port; IPv4 and IPv6; a data segment of an established
 * connection is answered with a RST and the connection sees ECONNRESET;
 * traffic the rule does not match goes through. Each case is one or two
 * connections, with waits of at most 2 s.
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/net.h>
#include <faultline/state.h>

#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT       5012
#define OTHER_PORT 5013
/* "fails fast": a refused connect takes far less than a SYN retransmission (1 s). */
#define FAST_MS    200

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

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* reject on the veth end of ns[side]. */
static struct fl_net_session *arm(struct ctx *c, int side, const struct fl_net_rule *r)
{
	struct fl_net_target t = {
		.kind = FL_NET_TARGET_DEV, .netns = c->pair.ns[side], .dev = c->pair.dev[side],
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

static struct fl_net_rule reject_rule(uint8_t proto, uint16_t dport)
{
	struct fl_net_rule r = {
		.proto = proto, .dir = FL_NET_ABI_BOTH, .action = FL_NET_ACT_REJECT,
		.dport_lo = dport, .dport_hi = dport,
	};

	return r;
}

static socklen_t peer_addr(const struct ctx *c, int family, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr = c->pair.ip4[1];
		return sizeof(*a);
	}
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	a6->sin6_addr = c->pair.ip6[1];
	return sizeof(*a6);
}

/* A socket of ns[1] bound to port (listening for TCP). */
static int server(const struct ctx *c, int family, int type, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(c, family, port, &ss);
	int fd = fl_netns_pair_socket(&c->pair, 1, family, type), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/*
 * A TCP connect from ns[0]: 0 when it completed within ms, else the
 * socket error (ETIMEDOUT when nothing came back). *ret_ms: how long.
 */
static int tcp_connect(const struct ctx *c, int family, uint16_t port, int ms, int *ret_fd,
		       double *ret_ms)
{
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(c, family, port, &ss), elen = sizeof(int);
	int fd = fl_netns_pair_socket(&c->pair, 0, family, SOCK_STREAM | SOCK_NONBLOCK), err = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	double t0 = now_ms();

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		err = errno;
	} else if (poll(&pfd, 1, ms) != 1) {
		err = ETIMEDOUT;
	} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen)) {
		err = errno;
	}
	if (ret_ms)
		*ret_ms = now_ms() - t0;
	if (!err && ret_fd) {
		fcntl(fd, F_SETFL, 0);
		*ret_fd = fd;
	} else {
		close(fd);
	}
	return err;
}

static void connect_is_refused_fast(struct ctx *c, int family, int side)
{
	struct fl_net_rule r = reject_rule(FL_NET_ABI_TCP, PORT);
	struct fl_net_counters k;
	struct fl_net_session *s;
	int l1, l2;
	double ms;

	l1 = server(c, family, SOCK_STREAM, PORT);
	l2 = server(c, family, SOCK_STREAM, OTHER_PORT);
	s = arm(c, side, &r);
	assert_int_equal(tcp_connect(c, family, PORT, 2000, NULL, &ms), ECONNREFUSED);
	print_message("connect refused after %.2f ms (%s, rule on ns[%d])\n", ms,
		      family == AF_INET ? "IPv4" : "IPv6", side);
	assert_true(ms < FAST_MS);
	/* The port that does not match connects. */
	assert_int_equal(tcp_connect(c, family, OTHER_PORT, 2000, NULL, NULL), 0);
	assert_int_equal(fl_net_session_counters(s, 0, &k), 0);
	assert_true(k.injected >= 1);
	fl_net_session_close(s);
	/* Disarmed: the port connects again. */
	assert_int_equal(tcp_connect(c, family, PORT, 2000, NULL, NULL), 0);
	close(l1);
	close(l2);
}

static void test_connect_refused_by_a_rule_on_the_senders_end(void **state)
{
	SKIP_UNLESS_ROOT();
	connect_is_refused_fast(*state, AF_INET, 0);
}

static void test_connect_refused_by_a_rule_on_the_listeners_end(void **state)
{
	SKIP_UNLESS_ROOT();
	connect_is_refused_fast(*state, AF_INET, 1);
}

static void test_connect_refused_over_ipv6_both_ends(void **state)
{
	SKIP_UNLESS_ROOT();
	connect_is_refused_fast(*state, AF_INET6, 0);
	connect_is_refused_fast(*state, AF_INET6, 1);
}

/*
 * A connected UDP socket of ns[0] sends to a port that ns[1] has a socket
 * bound to: the ICMP unreachable that comes back is reject's own, and the
 * socket's next call fails with ECONNREFUSED.
 */
static void udp_gets_econnrefused(struct ctx *c, int family, int side)
{
	struct fl_net_rule r = reject_rule(FL_NET_ABI_UDP, PORT);
	struct sockaddr_storage ss;
	socklen_t len = peer_addr(c, family, PORT, &ss);
	struct fl_net_counters k;
	struct fl_net_session *s;
	int srv, fd, err = 0;
	socklen_t elen = sizeof(err);
	char buf[16] = "ping";
	double t0, ms;
	ssize_t n = 0;

	srv = server(c, family, SOCK_DGRAM, PORT);
	fd = fl_netns_pair_socket(&c->pair, 0, family, SOCK_DGRAM);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	s = arm(c, side, &r);
	t0 = now_ms();
	assert_int_equal(send(fd, buf, 4, 0), 4);
	/* The error arrives with the ICMP message: wait for it on the socket. */
	for (int i = 0; i < 200 && !err; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		poll(&pfd, 1, 10);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	}
	ms = now_ms() - t0;
	if (!err) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		err = n < 0 ? errno : 0;
	}
	print_message("UDP error %s after %.2f ms (%s, rule on ns[%d])\n", strerror(err), ms,
		      family == AF_INET ? "IPv4" : "IPv6", side);
	assert_int_equal(err, ECONNREFUSED);
	/* Nothing reached the bound socket of ns[1]. */
	assert_true(recv(srv, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	assert_int_equal(fl_net_session_counters(s, 0, &k), 0);
	assert_int_equal(k.injected, 1);
	fl_net_session_close(s);
	close(fd);
	close(srv);
}

static void test_connected_udp_gets_econnrefused_from_icmp(void **state)
{
	SKIP_UNLESS_ROOT();
	udp_gets_econnrefused(*state, AF_INET, 0);
	udp_gets_econnrefused(*state, AF_INET, 1);
}

static void test_connected_udp6_gets_econnrefused_from_icmpv6(void **state)
{
	SKIP_UNLESS_ROOT();
	udp_gets_econnrefused(*state, AF_INET6, 0);
	udp_gets_econnrefused(*state, AF_INET6, 1);
}

/* Data on an established connection: the RST that answers it resets the sender. */
static void established_gets_reset(struct ctx *c, int family, int side)
{
	struct fl_net_rule r = reject_rule(FL_NET_ABI_TCP, PORT);
	struct fl_net_session *s;
	int l, fd, rx, err = 0;
	char buf[64] = "hello";
	ssize_t n;

	l = server(c, family, SOCK_STREAM, PORT);
	assert_int_equal(tcp_connect(c, family, PORT, 2000, &fd, NULL), 0);
	rx = accept(l, NULL, NULL);
	assert_true(rx >= 0);
	s = arm(c, side, &r);
	assert_int_equal(send(fd, buf, 5, 0), 5);
	{
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 2000), 1);
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	err = n < 0 ? errno : 0;
	print_message("established connection: recv %zd, %s (rule on ns[%d])\n", n,
		      strerror(err), side);
	assert_int_equal(n, -1);
	assert_int_equal(err, ECONNRESET);
	/* The receiver got nothing: the segment was dropped. */
	assert_true(recv(rx, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	fl_net_session_close(s);
	close(fd);
	close(rx);
	close(l);
}

static void test_established_connection_data_is_answered_with_a_reset(void **state)
{
	SKIP_UNLESS_ROOT();
	established_gets_reset(*state, AF_INET, 0);
	established_gets_reset(*state, AF_INET6, 0);
}

/* On the listener's end the segment arrives from the peer: the RST goes back out. */
static void test_established_connection_reset_from_the_listeners_end(void **state)
{
	SKIP_UNLESS_ROOT();
	established_gets_reset(*state, AF_INET, 1);
}

/*
 * With checksums in software (no tx offload), the answers reach the
 * receiving stack as CHECKSUM_NONE and are verified there: the RST's and
 * the ICMP message's checksums must be right, not merely trusted.
 */
static void test_answers_carry_checksums_the_receiver_verifies(void **state)
{
	struct ctx *c = *state;

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_netns_pair_sw_csum(&c->pair), 0);
	connect_is_refused_fast(c, AF_INET, 1);
	connect_is_refused_fast(c, AF_INET6, 1);
	udp_gets_econnrefused(c, AF_INET, 0);
	udp_gets_econnrefused(c, AF_INET, 1);
	udp_gets_econnrefused(c, AF_INET6, 0);
	udp_gets_econnrefused(c, AF_INET6, 1);
	established_gets_reset(c, AF_INET, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_refused_by_a_rule_on_the_senders_end,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused_by_a_rule_on_the_listeners_end,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused_over_ipv6_both_ends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connected_udp_gets_econnrefused_from_icmp,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_connected_udp6_gets_econnrefused_from_icmpv6,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_established_connection_data_is_answered_with_a_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_established_connection_reset_from_the_listeners_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_carry_checksums_the_receiver_verifies,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
