// SPDX-License-Identifier: GPL-2.0-only
/*
 * The NFQUEUE delay line, for real, inside a fresh netns pair (ns[0] holds
 * the queue rule and the line; ns[1] echoes):
 * - a TCP ping-pong with delay=50ms~10ms adds a p50 within +-2 ms of 50 ms;
 * - traffic that matches no rule is not delayed, and is not even queued;
 * - reorder=25% lets about that share overtake the held packets;
 * - stop releases what it holds at once, and max_held bounds it (fail open);
 * - after a SIGKILL of the holder the rule stays (and, with --queue-bypass,
 *   lets traffic through) until core's cleanup removes it.
 * - with an event ring, one event per held or reordered packet, with its
 *   headers; and what the ring costs the line's thread per packet.
 * All on the iptables-nft rules (FAULTLINE_NET_DELAY=xtables).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/net_delay.h>
#include <faultline/state.h>

#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT      5301  /* the delayed one */
#define PORT_FREE 5302  /* never matched */
#define MS        1000000ull

struct ctx {
	struct fl_netns_pair pair;
	char run_dir[PATH_MAX];
	struct fl_state *st;
	/* the echo servers in ns[1] */
	pthread_t tcp_thr, udp_thr;
	int tcp_listen, udp_free;
	bool tcp_on, udp_on;
	atomic_bool quit;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	*state = c;
	if (!c)
		return -1;
	c->tcp_listen = c->udp_free = -1;
	if (geteuid() != 0)
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

	if (!c)
		return 0;
	atomic_store(&c->quit, true);
	if (c->tcp_on)
		pthread_join(c->tcp_thr, NULL);
	if (c->udp_on)
		pthread_join(c->udp_thr, NULL);
	if (c->tcp_listen >= 0)
		close(c->tcp_listen);
	if (c->udp_free >= 0)
		close(c->udp_free);
	if (c->st)
		fl_state_close(c->st);
	if (c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	if (c->run_dir[0]) {
		fl_state_cleanup_all(c->run_dir, true, NULL);
		fl_fixture_tmpdir_destroy(c->run_dir);
	}
	free(c);
	return 0;
}

/* Root, and the iptables the line installs its rules with. */
static bool ready(void)
{
	if (!fl_test_require_root())
		return false;
	if (access("/usr/sbin/iptables-nft", X_OK) && access("/sbin/iptables-nft", X_OK)) {
		print_message("skip: iptables-nft is not installed\n");
		return false;
	}
	return true;
}

#define SKIP_UNLESS_ROOT()   \
	do {                 \
		if (!ready()) \
			skip();      \
	} while (0)

static struct sockaddr_in addr_of(struct ctx *c, int side, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr = c->pair.ip4[side];
	return a;
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* ---- echo servers in ns[1] ------------------------------------------- */

static void *tcp_echo(void *arg)
{
	struct ctx *c = arg;
	int fd = -1;
	char b[256];

	while (!atomic_load(&c->quit)) {
		if (fd < 0) {
			if (readable(c->tcp_listen, 50))
				fd = accept(c->tcp_listen, NULL, NULL);
			continue;
		}
		if (!readable(fd, 50))
			continue;
		ssize_t n = recv(fd, b, sizeof(b), 0);

		if (n <= 0) {
			close(fd);
			fd = -1;
			continue;
		}
		if (send(fd, b, (size_t)n, 0) != n)
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *udp_echo(void *arg)
{
	struct ctx *c = arg;
	char b[256];

	while (!atomic_load(&c->quit)) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (!readable(c->udp_free, 50))
			continue;
		n = recvfrom(c->udp_free, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
		if (n > 0)
			sendto(c->udp_free, b, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void start_tcp_echo(struct ctx *c)
{
	struct sockaddr_in a = addr_of(c, 1, PORT);
	int one = 1;

	c->tcp_listen = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_STREAM);
	assert_true(c->tcp_listen >= 0);
	setsockopt(c->tcp_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(c->tcp_listen, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(c->tcp_listen, 4), 0);
	assert_int_equal(pthread_create(&c->tcp_thr, NULL, tcp_echo, c), 0);
	c->tcp_on = true;
}

static void start_udp_echo(struct ctx *c)
{
	struct sockaddr_in a = addr_of(c, 1, PORT_FREE);

	c->udp_free = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_DGRAM);
	assert_true(c->udp_free >= 0);
	assert_int_equal(bind(c->udp_free, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(pthread_create(&c->udp_thr, NULL, udp_echo, c), 0);
	c->udp_on = true;
}

/* One round trip on a connected socket, in ns; 0 on a lost one. */
static uint64_t round_trip(int fd)
{
	uint64_t t0 = now_ns();
	char b = 'x';

	if (send(fd, &b, 1, 0) != 1 || !readable(fd, 2000) || recv(fd, &b, 1, 0) != 1)
		return 0;
	return now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort v[0..n) and give its p-th percentile. */
static uint64_t pct(uint64_t *v, size_t n, unsigned p)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(n - 1) * p / 100];
}

/* ---- the line -------------------------------------------------------- */

static struct fl_net_match match_of(struct ctx *c, unsigned proto, uint16_t dport)
{
	struct fl_net_match m = {
		.protos = proto, .family = FL_NET_IPV4, .dir = FL_NET_DIR_EGRESS,
		.dst = { .family = FL_NET_IPV4, .prefix_len = 32 },
		.dport = { dport, dport },
	};

	memcpy(m.dst.addr, &c->pair.ip4[1], 4);
	return m;
}

static struct fl_net_delay *line(struct ctx *c, unsigned proto, uint64_t delay, uint64_t jitter,
				 uint32_t reorder_ppm, uint32_t max_held)
{
	struct fl_net_match m = match_of(c, proto, PORT);
	struct fl_net_delay_params p = {
		.delay_ns = delay, .jitter_ns = jitter, .reorder_ppm = reorder_ppm,
		.seed = 42, .max_held = max_held,
	};
	struct fl_net_delay *d = NULL;
	char err[512] = "";
	int rc = fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d, err, sizeof(err));

	if (rc)
		print_message("delay start: %s (%d)\n", err, rc);
	assert_int_equal(rc, 0);
	return d;
}

static bool has_queue_rule(struct ctx *c)
{
	char out[4096] = "";

	fl_netns_pair_capture(&c->pair, 0, "iptables-nft -t mangle -S", out, sizeof(out));
	return strstr(out, "NFQUEUE") != NULL;
}

static void stop(struct ctx *c, struct fl_net_delay *d, struct fl_net_delay_counters *cnt)
{
	char err[512] = "";

	assert_int_equal(fl_net_delay_stop(d, cnt, err, sizeof(err)), 0);
	assert_false(has_queue_rule(c));
}

/* ---- tests ----------------------------------------------------------- */

#define N_BASE  50
#define N_DELAY 200

static void test_tcp_ping_pong_50ms_jitter_10ms_p50_within_2ms(void **state)
{
	struct ctx *c = *state;
	static uint64_t base[N_BASE], added[N_DELAY];
	struct sockaddr_in a;
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d;
	uint64_t base_p50, p50, p95, t0, wall, zero_p50, zero_p95;
	int fd, one = 1;

	SKIP_UNLESS_ROOT();
	start_tcp_echo(c);
	a = addr_of(c, 1, PORT);
	fd = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM);
	assert_true(fd >= 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	for (size_t i = 0; i < N_BASE; i++) {
		base[i] = round_trip(fd);
		assert_true(base[i] > 0);
	}
	base_p50 = pct(base, N_BASE, 50);

	d = line(c, FL_NET_PROTO_TCP, 50 * MS, 10 * MS, 0, 0);
	assert_true(has_queue_rule(c));
	t0 = now_ns();
	for (size_t i = 0; i < N_DELAY; i++) {
		uint64_t rtt = round_trip(fd);

		assert_true(rtt > 0);
		added[i] = rtt > base_p50 ? rtt - base_p50 : 0;
	}
	wall = now_ns() - t0;
	p50 = pct(added, N_DELAY, 50);
	p95 = pct(added, N_DELAY, 95);
	stop(c, d, &cnt);

	/* Without jitter the error left is the line's own: wake-up and verdict. */
	d = line(c, FL_NET_PROTO_TCP, 50 * MS, 0, 0, 0);
	for (size_t i = 0; i < N_BASE; i++) {
		uint64_t rtt = round_trip(fd);

		assert_true(rtt > 0);
		base[i] = rtt > base_p50 ? rtt - base_p50 : 0;
	}
	zero_p50 = pct(base, N_BASE, 50);
	zero_p95 = pct(base, N_BASE, 95);
	stop(c, d, NULL);
	close(fd);
	print_message("delay 50ms (no jitter) over %d TCP round trips: added p50 %.3f ms, p95 %.3f ms\n",
		      N_BASE, zero_p50 / 1e6, zero_p95 / 1e6);
	print_message("delay 50ms~10ms over %d TCP round trips: added p50 %.2f ms, p95 %.2f ms, "
		      "min %.2f, max %.2f (base rtt p50 %.3f ms)\n",
		      N_DELAY, p50 / 1e6, p95 / 1e6, added[0] / 1e6, added[N_DELAY - 1] / 1e6,
		      base_p50 / 1e6);
	print_message("line: queued %llu delayed %llu reordered %llu overflowed %llu "
		      "verdict errors %llu; thread cpu %.2f ms = %.1f us/packet, %.3f%% of one core\n",
		      (unsigned long long)cnt.queued, (unsigned long long)cnt.delayed,
		      (unsigned long long)cnt.reordered, (unsigned long long)cnt.overflowed,
		      (unsigned long long)cnt.verdict_errors, cnt.cpu_ns / 1e6,
		      cnt.queued ? cnt.cpu_ns / 1e3 / cnt.queued : 0.0,
		      100.0 * cnt.cpu_ns / wall);
	assert_true(p50 >= 48 * MS && p50 <= 52 * MS);
	assert_true(zero_p50 >= 50 * MS && zero_p50 <= 52 * MS);
	/* uniform in [-10, +10]: p95 near +9 ms, nothing past +10 ms beyond scheduling noise */
	assert_true(p95 >= 55 * MS && p95 <= 63 * MS);
	assert_true(added[0] >= 39 * MS);
	assert_true(cnt.queued >= N_DELAY);
	assert_int_equal(cnt.overflowed, 0);
	assert_int_equal(cnt.verdict_errors, 0);
}

static void test_non_matching_traffic_is_neither_queued_nor_delayed(void **state)
{
	struct ctx *c = *state;
	static uint64_t rtt[100];
	struct sockaddr_in a;
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d;
	uint64_t p95;
	int fd;

	SKIP_UNLESS_ROOT();
	start_udp_echo(c);
	a = addr_of(c, 1, PORT_FREE);
	fd = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	/* Every UDP packet to PORT waits 100 ms; those to PORT_FREE must not. */
	d = line(c, FL_NET_PROTO_UDP, 100 * MS, 0, 0, 0);
	for (size_t i = 0; i < 100; i++) {
		rtt[i] = round_trip(fd);
		assert_true(rtt[i] > 0);
	}
	p95 = pct(rtt, 100, 95);
	fl_net_delay_read(d, &cnt);
	print_message("non-matching UDP rtt p50 %.3f ms, p95 %.3f ms; queued %llu\n",
		      rtt[50] / 1e6, p95 / 1e6, (unsigned long long)cnt.queued);
	assert_true(p95 < 20 * MS);
	assert_int_equal(cnt.queued, 0);
	stop(c, d, &cnt);
	close(fd);
}

/* A receiver in ns[1] on PORT and a sender in ns[0] to it. */
static void udp_pair(struct ctx *c, int *tx, int *rx)
{
	struct sockaddr_in a = addr_of(c, 1, PORT);
	int big = 1 << 20;

	*rx = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_DGRAM);
	*tx = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
	assert_true(*rx >= 0 && *tx >= 0);
	setsockopt(*rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	assert_int_equal(bind(*rx, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(connect(*tx, (struct sockaddr *)&a, sizeof(a)), 0);
}

static void send_seq(int tx, uint32_t seq)
{
	assert_int_equal(send(tx, &seq, sizeof(seq), 0), (ssize_t)sizeof(seq));
}

/* Datagrams read until quiet for quiet_ms; their numbers in order of arrival. */
static size_t drain(int rx, uint32_t *got, size_t max, int quiet_ms)
{
	size_t n = 0;

	while (n < max && readable(rx, quiet_ms)) {
		if (recv(rx, &got[n], sizeof(got[n]), 0) == (ssize_t)sizeof(got[n]))
			n++;
	}
	return n;
}

#define N_REORDER 400

static void test_reorder_25pct_lets_packets_overtake(void **state)
{
	struct ctx *c = *state;
	static uint32_t got[N_REORDER];
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d;
	struct timespec gap = { 0, 500000 };
	size_t n, overtook = 0;
	int tx, rx;

	SKIP_UNLESS_ROOT();
	udp_pair(c, &tx, &rx);
	d = line(c, FL_NET_PROTO_UDP, 20 * MS, 0, 250000, 0);
	for (uint32_t i = 0; i < N_REORDER; i++) {
		send_seq(tx, i);
		nanosleep(&gap, NULL);
	}
	n = drain(rx, got, N_REORDER, 300);
	/* An overtaker arrives ahead of a lower number still held. */
	for (size_t i = 0; i + 1 < n; i++)
		overtook += got[i] > got[i + 1];
	stop(c, d, &cnt);
	print_message("reorder 25%%: %zu of %d received, %llu sent at once (%.1f%%), %zu inversions; "
		      "thread cpu %.1f us/packet at 2000 packets/s\n",
		      n, N_REORDER, (unsigned long long)cnt.reordered,
		      100.0 * cnt.reordered / (cnt.queued ? cnt.queued : 1), overtook,
		      cnt.queued ? cnt.cpu_ns / 1e3 / cnt.queued : 0.0);
	assert_int_equal(n, N_REORDER);
	assert_int_equal(cnt.queued, N_REORDER);
	assert_true(cnt.reordered >= N_REORDER * 15 / 100 && cnt.reordered <= N_REORDER * 35 / 100);
	assert_int_equal(cnt.delayed + cnt.reordered, N_REORDER);
	assert_true(overtook > 0);
	close(tx);
	close(rx);
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One datagram and the kernel's arrival time (CLOCK_REALTIME), 0 if none. */
static uint64_t recv_stamped(int rx, uint32_t *v)
{
	char ctl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { .iov_base = v, .iov_len = sizeof(*v) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;

	if (recvmsg(rx, &mh, 0) != (ssize_t)sizeof(*v))
		return 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
	}
	return 0;
}

static void test_stop_releases_held_packets_at_once(void **state)
{
	struct ctx *c = *state;
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d;
	uint32_t got[8];
	uint64_t t0, took = 0, stopped;
	char err[512] = "";
	int tx, rx, one = 1;

	SKIP_UNLESS_ROOT();
	udp_pair(c, &tx, &rx);
	assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)), 0);
	d = line(c, FL_NET_PROTO_UDP, 5000 * MS, 0, 0, 0);
	for (uint32_t i = 0; i < 5; i++)
		send_seq(tx, i);
	assert_false(readable(rx, 200));
	fl_net_delay_read(d, &cnt);
	assert_int_equal(cnt.held, 5);
	t0 = real_ns();
	assert_int_equal(fl_net_delay_stop(d, &cnt, err, sizeof(err)), 0);
	stopped = real_ns() - t0;
	for (int i = 0; i < 5; i++) {
		uint64_t at;

		assert_true(readable(rx, 1000));
		at = recv_stamped(rx, &got[i]);
		assert_true(at > 0);
		took = at > t0 ? at - t0 : 0;
	}
	assert_false(readable(rx, 50));
	print_message("stop with 5 held (of 5 s): the 5th arrived %.2f ms after stop was called; "
		      "stop returned after %.1f ms (it removes the rule with iptables-nft)\n",
		      took / 1e6, stopped / 1e6);
	assert_true(took < 100 * MS);
	assert_int_equal(cnt.delayed, 5);
	assert_int_equal(cnt.held, 0);
	assert_false(has_queue_rule(c));
	close(tx);
	close(rx);
}

static void test_a_full_line_fails_open_and_counts(void **state)
{
	struct ctx *c = *state;
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d;
	uint32_t got[32];
	int tx, rx;

	SKIP_UNLESS_ROOT();
	udp_pair(c, &tx, &rx);
	d = line(c, FL_NET_PROTO_UDP, 5000 * MS, 0, 0, 8);
	for (uint32_t i = 0; i < 20; i++)
		send_seq(tx, i);
	/* The 12 past the first 8 pass at once, in order. */
	assert_int_equal(drain(rx, got, 32, 300), 12);
	assert_int_equal(got[0], 8);
	assert_int_equal(got[11], 19);
	fl_net_delay_read(d, &cnt);
	assert_int_equal(cnt.held, 8);
	assert_int_equal(cnt.overflowed, 12);
	stop(c, d, &cnt);
	assert_int_equal(drain(rx, got, 32, 300), 8);
	close(tx);
	close(rx);
}

struct seen {
	size_t n;
	uint64_t delay;
};

/* Counts the events that are right: each held or reordered UDP packet to PORT, in order. */
static int count_event(void *ctx, const struct fl_net_delay_event *ev)
{
	struct seen *s = ctx;

	/* 20 bytes of IPv4, 8 of UDP, the 4-byte number */
	if (ev->pkt.action == FL_NET_ACT_DELAY && ev->pkt.l4 == 17 && ev->pkt.dport == PORT &&
	    ev->pkt.len == 32 && ev->pkt.dir == FL_NET_ABI_EGRESS && ev->pkt.seq == s->n + 1 &&
	    ev->pkt.family == FL_NET_ABI_FAMILY_IP4 && ev->pkt.ifindex > 0 &&
	    (ev->reordered ? ev->delay_ns == 0 : ev->delay_ns == s->delay))
		s->n++;
	return 0;
}

#define N_COST 2000

/*
 * 2,000 UDP packets at 2,000 packets/s through a 5 ms line with reorder=10%,
 * without and with the event ring (drained as it fills, as --log does):
 * the thread's CPU per packet each way.
 */
static void test_event_ring_cost_per_packet_and_one_event_each(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = match_of(c, FL_NET_PROTO_UDP, PORT);
	double us[2];
	struct seen events = { .delay = 5 * MS };
	int tx, rx;

	SKIP_UNLESS_ROOT();
	udp_pair(c, &tx, &rx);
	for (int with = 0; with < 2; with++) {
		struct fl_net_delay_params p = { .delay_ns = 5 * MS, .reorder_ppm = 100000,
						 .seed = 9 };
		struct fl_net_delay_ring *ring = NULL;
		struct fl_net_delay_counters cnt;
		struct fl_net_delay *d = NULL;
		struct timespec gap = { 0, 500000 };
		uint32_t got[64];
		char err[512] = "";

		if (with) {
			assert_int_equal(fl_net_delay_ring_new(0, &ring), 0);
			p.events = ring;
		}
		assert_int_equal(fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d, err,
						    sizeof(err)), 0);
		for (uint32_t i = 0; i < N_COST; i++) {
			send_seq(tx, i);
			nanosleep(&gap, NULL);
			if (ring && i % 256 == 0)
				fl_net_delay_ring_consume(ring, count_event, &events);
			while (readable(rx, 0) && recv(rx, got, sizeof(got), 0) > 0)
				;
		}
		usleep(50000);
		assert_int_equal(fl_net_delay_stop(d, &cnt, err, sizeof(err)), 0);
		while (readable(rx, 20) && recv(rx, got, sizeof(got), 0) > 0)
			;
		us[with] = cnt.cpu_ns / 1e3 / (cnt.queued ? cnt.queued : 1);
		assert_int_equal(cnt.queued, N_COST);
		if (ring) {
			fl_net_delay_ring_consume(ring, count_event, &events);
			print_message("events: %zu (delayed %llu + reordered %llu), lost %llu\n", events.n,
				      (unsigned long long)cnt.delayed,
				      (unsigned long long)cnt.reordered,
				      (unsigned long long)fl_net_delay_ring_lost(ring));
			assert_int_equal(events.n, cnt.delayed + cnt.reordered);
			assert_int_equal(fl_net_delay_ring_lost(ring), 0);
			fl_net_delay_ring_free(ring);
		}
	}
	print_message("delay line thread cpu at 2000 packets/s: %.1f us/packet without events, "
		      "%.1f us/packet with the event ring\n", us[0], us[1]);
	close(tx);
	close(rx);
}

/* A ring too small for the burst: the line never waits, it counts what it gave up. */
static void test_a_full_event_ring_counts_lost_events_and_delays_on(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = match_of(c, FL_NET_PROTO_UDP, PORT);
	struct fl_net_delay_params p = { .delay_ns = 20 * MS };
	struct fl_net_delay_ring *ring = NULL;
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d = NULL;
	uint32_t got[64];
	struct seen events = { .delay = 20 * MS };
	char err[512] = "";
	int tx, rx;

	SKIP_UNLESS_ROOT();
	udp_pair(c, &tx, &rx);
	assert_int_equal(fl_net_delay_ring_new(8, &ring), 0);
	p.events = ring;
	assert_int_equal(fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d, err, sizeof(err)), 0);
	/* a second line cannot take the same ring */
	{
		struct fl_net_delay *d2 = NULL;

		assert_int_equal(fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d2, err,
						    sizeof(err)), -EBUSY);
		assert_null(d2);
	}
	for (uint32_t i = 0; i < 20; i++)
		send_seq(tx, i);
	assert_int_equal(drain(rx, got, 64, 300), 20);
	assert_int_equal(fl_net_delay_stop(d, &cnt, err, sizeof(err)), 0);
	assert_int_equal(fl_net_delay_ring_consume(ring, count_event, &events), 8);
	assert_int_equal(events.n, 8);
	assert_int_equal(cnt.delayed, 20);
	assert_int_equal(fl_net_delay_ring_lost(ring), 12);
	fl_net_delay_ring_free(ring);
	close(tx);
	close(rx);
}

/* One datagram from ns[0] to ns[1] PORT over family: its one-way time, 0 if lost. */
static uint64_t one_way_port(struct ctx *c, int family, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int tx, rx;
	uint32_t v = 7;
	uint64_t t0, took = 0;

	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		*a = addr_of(c, 1, port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = c->pair.ip6[1];
		len = sizeof(*a);
	}
	rx = fl_netns_pair_socket(&c->pair, 1, family, SOCK_DGRAM);
	tx = fl_netns_pair_socket(&c->pair, 0, family, SOCK_DGRAM);
	assert_true(rx >= 0 && tx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&ss, len), 0);
	t0 = now_ns();
	assert_int_equal(sendto(tx, &v, sizeof(v), 0, (struct sockaddr *)&ss, len),
			 (ssize_t)sizeof(v));
	if (readable(rx, 2000) && recv(rx, &v, sizeof(v), 0) == (ssize_t)sizeof(v))
		took = now_ns() - t0;
	close(tx);
	close(rx);
	return took;
}

static uint64_t one_way(struct ctx *c, int family)
{
	return one_way_port(c, family, PORT);
}

static void test_ingress_delays_ipv4_and_ipv6_on_the_receiver(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = {
		.protos = FL_NET_PROTO_UDP, .dir = FL_NET_DIR_INGRESS, .dport = { PORT, PORT },
	};
	struct fl_net_delay_params p = { .delay_ns = 30 * MS };
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d = NULL;
	char err[512] = "", out[4096] = "";
	uint64_t v4, v6;

	SKIP_UNLESS_ROOT();
	/* The line sits in ns[1], on INPUT, for both families. */
	assert_int_equal(fl_net_delay_start(&m, c->pair.ns[1], &p, c->st, &d, err, sizeof(err)), 0);
	assert_int_equal(fl_net_delay_n_rules(d), 2);
	fl_netns_pair_capture(&c->pair, 1, "iptables-nft -t mangle -S INPUT; ip6tables-nft -t mangle -S INPUT",
			      out, sizeof(out));
	print_message("%s", out);
	assert_non_null(strstr(out, "--queue-bypass"));
	v4 = one_way(c, AF_INET);
	v6 = one_way(c, AF_INET6);
	print_message("ingress 30 ms: IPv4 one-way %.2f ms, IPv6 %.2f ms\n", v4 / 1e6, v6 / 1e6);
	assert_true(v4 >= 30 * MS && v4 < 45 * MS);
	assert_true(v6 >= 30 * MS && v6 < 45 * MS);
	assert_int_equal(fl_net_delay_stop(d, &cnt, err, sizeof(err)), 0);
	assert_int_equal(cnt.delayed, 2);
	out[0] = '\0';
	fl_netns_pair_capture(&c->pair, 1, "iptables-nft -t mangle -S; ip6tables-nft -t mangle -S",
			      out, sizeof(out));
	assert_null(strstr(out, "NFQUEUE"));
}

static void test_two_lines_in_one_netns_keep_their_own_delays(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m1 = { .protos = FL_NET_PROTO_UDP, .family = FL_NET_IPV4,
				   .dir = FL_NET_DIR_INGRESS, .dport = { PORT, PORT } };
	struct fl_net_match m2 = m1;
	struct fl_net_delay_params p1 = { .delay_ns = 20 * MS }, p2 = { .delay_ns = 60 * MS };
	struct fl_net_delay *d1 = NULL, *d2 = NULL;
	char err[512] = "";
	uint64_t t1, t2;

	SKIP_UNLESS_ROOT();
	m2.dport = (struct fl_port_range){ PORT + 2, PORT + 2 };
	assert_int_equal(fl_net_delay_start(&m1, c->pair.ns[1], &p1, c->st, &d1, err, sizeof(err)), 0);
	assert_int_equal(fl_net_delay_start(&m2, c->pair.ns[1], &p2, c->st, &d2, err, sizeof(err)), 0);
	assert_int_not_equal(fl_net_delay_queue_num(d1), fl_net_delay_queue_num(d2));
	t1 = one_way_port(c, AF_INET, PORT);
	t2 = one_way_port(c, AF_INET, PORT + 2);
	print_message("two lines: 20 ms took %.2f ms, 60 ms took %.2f ms\n", t1 / 1e6, t2 / 1e6);
	assert_true(t1 >= 20 * MS && t1 < 35 * MS);
	assert_true(t2 >= 60 * MS && t2 < 75 * MS);
	assert_int_equal(fl_net_delay_stop(d1, NULL, err, sizeof(err)), 0);
	assert_int_equal(fl_net_delay_stop(d2, NULL, err, sizeof(err)), 0);
}

static void test_a_match_it_cannot_queue_is_refused_and_installs_nothing(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = match_of(c, FL_NET_PROTO_ICMP, PORT);
	struct fl_net_delay_params p = { .delay_ns = 10 * MS };
	struct fl_net_delay *d = NULL;
	char err[256] = "";

	SKIP_UNLESS_ROOT();
	assert_int_equal(fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "tcp or udp"));
	m = match_of(c, FL_NET_PROTO_CONNECT, 0);
	assert_int_equal(fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d, err, sizeof(err)),
			 -EINVAL);
	assert_null(d);
	assert_false(has_queue_rule(c));
}

/* The holder: start a line, say so, wait to be killed. */
static void holder(struct ctx *c, int fd, bool watchdog)
{
	struct fl_net_match m = match_of(c, FL_NET_PROTO_UDP, PORT);
	struct fl_net_delay_params p = { .delay_ns = 5000 * MS };
	struct fl_net_delay *d;
	struct fl_state *st;

	if (fl_state_open(c->run_dir, &st) || (watchdog && fl_state_watchdog_start(st)) ||
	    fl_net_delay_start(&m, c->pair.ns[0], &p, st, &d, NULL, 0))
		_exit(1);
	if (write(fd, "a", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static void test_sigkill_of_the_holder_then_cleanup_removes_the_rule(void **state)
{
	struct ctx *c = *state;
	struct fl_cleanup_report rep = { 0 };
	uint32_t got[4];
	int fds[2], status, tx, rx;
	char ok = 0;
	pid_t pid;

	SKIP_UNLESS_ROOT();
	udp_pair(c, &tx, &rx);
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		holder(c, fds[1], false);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	assert_true(has_queue_rule(c));
	/* Held by the live holder... */
	send_seq(tx, 1);
	assert_false(readable(rx, 200));
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* ...the rule outlives it, but --queue-bypass lets traffic through with no reader. */
	assert_true(has_queue_rule(c));
	send_seq(tx, 2);
	assert_int_equal(drain(rx, got, 4, 300), 1);
	assert_int_equal(got[0], 2);
	assert_int_equal(fl_state_cleanup_all(c->run_dir, false, &rep), 0);
	print_message("cleanup: %u removed, %u failed\n", rep.removed, rep.failed);
	assert_int_equal(rep.failed, 0);
	assert_true(rep.removed >= 1);
	fl_cleanup_report_free(&rep);
	assert_false(has_queue_rule(c));
	close(tx);
	close(rx);
}

static void test_sigkill_of_the_holder_then_its_watchdog_removes_the_rule(void **state)
{
	struct ctx *c = *state;
	int fds[2], status;
	uint64_t t0, took;
	char ok = 0;
	pid_t pid;

	SKIP_UNLESS_ROOT();
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		holder(c, fds[1], true);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	assert_true(has_queue_rule(c));
	t0 = now_ns();
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	while (has_queue_rule(c) && now_ns() - t0 < 10000 * MS)
		usleep(10000);
	took = now_ns() - t0;
	print_message("watchdog removed the queue rule %.0f ms after the SIGKILL\n", took / 1e6);
	assert_false(has_queue_rule(c));
}

static void test_a_line_without_a_state_opens_and_closes_its_own(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = match_of(c, FL_NET_PROTO_UDP, PORT);
	struct fl_net_delay_params p = { .delay_ns = 10 * MS };
	struct fl_net_delay *d = NULL;
	char err[512] = "", cmd[PATH_MAX + 64], out[256] = "";

	SKIP_UNLESS_ROOT();
	assert_int_equal(setenv(FL_STATE_RUN_DIR_ENV, c->run_dir, 1), 0);
	assert_int_equal(fl_net_delay_start(&m, c->pair.ns[0], &p, NULL, &d, err, sizeof(err)), 0);
	unsetenv(FL_STATE_RUN_DIR_ENV);
	assert_true(has_queue_rule(c));
	/* its own session (and the one setup opened) */
	snprintf(cmd, sizeof(cmd), "ls %s | wc -l", c->run_dir);
	fl_netns_pair_capture(&c->pair, 0, cmd, out, sizeof(out));
	assert_int_equal(atoi(out), 2);
	assert_int_equal(fl_net_delay_stop(d, NULL, err, sizeof(err)), 0);
	assert_false(has_queue_rule(c));
	fl_netns_pair_capture(&c->pair, 0, cmd, out, sizeof(out));
	assert_int_equal(atoi(out), 1);
}

int main(void)
{
	/*
	 * These cases read the rules back with iptables-nft: they prove the
	 * xtables path on every kernel (where nft has its native queue too, the
	 * line would take that; test_net_delay_nft proves that path).
	 */
	setenv("FAULTLINE_NET_DELAY", "xtables", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_ping_pong_50ms_jitter_10ms_p50_within_2ms,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_matching_traffic_is_neither_queued_nor_delayed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder_25pct_lets_packets_overtake,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_releases_held_packets_at_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_full_line_fails_open_and_counts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingress_delays_ipv4_and_ipv6_on_the_receiver,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_lines_in_one_netns_keep_their_own_delays,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_match_it_cannot_queue_is_refused_and_installs_nothing,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sigkill_of_the_holder_then_cleanup_removes_the_rule,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sigkill_of_the_holder_then_its_watchdog_removes_the_rule,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_line_without_a_state_opens_and_closes_its_own,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_ring_cost_per_packet_and_one_event_each,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_full_event_ring_counts_lost_events_and_delays_on,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("net delay line", tests, NULL, NULL);
}
