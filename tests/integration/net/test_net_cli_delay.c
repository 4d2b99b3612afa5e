// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline net with delay= rules, through the CLI, in a netns pair: the
 * NFQUEUE delay line adds the delay one way to the matching UDP and none to
 * another port; it mixes with a datapath rule and logs its counters; a
 * SIGTERM releases the held packets; delay on a cgroup is refused with the
 * reason; after a SIGKILL, 'faultline cleanup' leaves no NFQUEUE rule;
 * --log has one event per packet the line held or sent ahead (reorder=),
 * exactly as many as its counters say, with the packet's headers.
 * FAULTLINE_NET_DELAY=xtables keeps the delay line with its iptables-nft
 * rules on a kernel with netem and nft's queue too (Debian's 6.1 under make
 * check-vm), where test_net_shape and test_net_delay_nft cover those.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT       5111   /* delayed */
#define PORT_FREE  5112   /* never matched */
#define N_DGRAMS   100
#define GAP_MS     5

static char bin_fl[PATH_MAX];

struct ctx {
	void *session;
	struct fl_netns_pair pair;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	*state = c;
	setenv("FAULTLINE_NET_DELAY", "xtables", 1);
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	if (fl_cli_setup_session(&c->session))
		return -1;
	if (geteuid() != 0)
		return 0;
	if (fl_netns_pair_create(&c->pair)) {
		print_message("cannot create the netns pair\n");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (!c)
		return 0;
	fl_cli_teardown_session(&c->session);
	if (c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	free(c);
	return 0;
}

/* Root, the CLI, and the iptables-nft the delay line installs its rules with. */
static bool ready(void)
{
	if (!fl_cli_require(bin_fl, bin_fl))
		return false;
	if (access("/usr/sbin/iptables-nft", X_OK) && access("/sbin/iptables-nft", X_OK)) {
		print_message("skip: iptables-nft is not installed\n");
		return false;
	}
	return true;
}

#define REQUIRE()              \
	do {                   \
		if (!ready())  \
			skip(); \
	} while (0)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * N_DGRAMS datagrams from ns[0] to ns[1]:port, GAP_MS apart, each carrying
 * its send time; the one-way delays (ns, same clock) sorted into ret.
 * Returns how many arrived.
 */
static size_t one_way(struct ctx *c, uint16_t port, uint64_t *ret)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int tx = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
	int rx = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_DGRAM);
	uint64_t next = now_ns(), end;
	size_t sent = 0, got = 0;

	assert_true(tx >= 0 && rx >= 0);
	to.sin_addr = c->pair.ip4[1];
	assert_int_equal(bind(rx, (struct sockaddr *)&to, sizeof(to)), 0);
	end = next + (uint64_t)N_DGRAMS * GAP_MS * 1000000ull + 500000000ull;
	while (got < N_DGRAMS && now_ns() < end) {
		struct pollfd p = { .fd = rx, .events = POLLIN };
		uint64_t t = now_ns();
		int ms = sent < N_DGRAMS ? (t >= next ? 0 : (int)((next - t) / 1000000)) : 50;

		if (sent < N_DGRAMS && t >= next) {
			assert_int_equal(sendto(tx, &t, sizeof(t), 0, (struct sockaddr *)&to,
						sizeof(to)), (ssize_t)sizeof(t));
			sent++;
			next += GAP_MS * 1000000ull;
			continue;
		}
		if (poll(&p, 1, ms) == 1) {
			uint64_t sent_at;

			if (recv(rx, &sent_at, sizeof(sent_at), 0) == (ssize_t)sizeof(sent_at))
				ret[got++] = now_ns() - sent_at;
		}
	}
	close(tx);
	close(rx);
	qsort(ret, got, sizeof(*ret), cmp_u64);
	return got;
}

static bool nfqueue_left(struct ctx *c)
{
	char out[8192] = "";

	fl_netns_pair_capture(&c->pair, 0, "iptables-nft -t mangle -S 2>/dev/null; iptables-nft -S 2>/dev/null",
			      out, sizeof(out));
	return strstr(out, "NFQUEUE") != NULL;
}

static void test_delay_30ms_on_the_matching_port_only(void **state)
{
	struct ctx *c = *state;
	char rule[64];
	char *argv[] = { bin_fl, "net", rule, "--netns", c->pair.ns[0], "--for", "3s",
			 "--seed", "7", "--json", "-v", NULL };
	uint64_t d[N_DGRAMS], free_d[N_DGRAMS];
	size_t n, n_free;
	struct fl_cli_result r;
	struct fl_cli *fl;
	json_t *sum, *r0;

	REQUIRE();
	snprintf(rule, sizeof(rule), "udp:dport=%d:delay=30ms", PORT);
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	assert_true(nfqueue_left(c));
	n = one_way(c, PORT, d);
	n_free = one_way(c, PORT_FREE, free_d);
	assert_int_equal(fl_cli_wait(fl, 10000, &r), 0);
	fl_cli_free(fl);
	if (r.code)
		print_message("faultline: exit %d\nstderr: %s\n", r.code, r.err);
	assert_int_equal(r.code, 0);
	print_message("delayed port: %zu arrived, p50 %.3f ms, p95 %.3f ms; other port: p50 %.3f ms\n",
		      n, d[n / 2] / 1e6, d[(n - 1) * 95 / 100] / 1e6, free_d[n_free / 2] / 1e6);
	assert_int_equal(n, N_DGRAMS);
	assert_int_equal(n_free, N_DGRAMS);
	assert_true(d[n / 2] >= 27000000ull &&
		    d[n / 2] <= 30000000ull + fl_cli_scaled_ms(3) * 1000000ull);
	assert_true(free_d[n_free / 2] < 3000000ull);
	sum = fl_cli_json_summary(r.out);
	assert_non_null(sum);
	r0 = json_array_get(json_object_get(sum, "rules"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "mechanism")), "nfqueue");
	assert_true(json_integer_value(json_object_get(r0, "queued")) >= N_DGRAMS);
	assert_true(json_integer_value(json_object_get(r0, "delayed")) >= N_DGRAMS);
	assert_int_equal(json_integer_value(json_object_get(r0, "reordered")), 0);
	assert_int_equal(json_integer_value(json_object_get(r0, "overflowed")), 0);
	json_decref(sum);
	fl_cli_result_free(&r);
	/* Stopped at --for: the queue rules are gone. */
	assert_false(nfqueue_left(c));
}

static void test_delay_on_a_cgroup_is_refused(void **state)
{
	char *argv[] = { bin_fl, "net", "udp:delay=30ms", "--cgroup", "/", NULL };
	struct fl_cli_result r;

	(void)state;
	REQUIRE();
	assert_int_equal(fl_cli_run(argv, 5000, &r), 0);
	if (r.code != 2 || !strstr(r.err, "udp:delay=30ms: delay needs the NFQUEUE delay line") ||
	    !strstr(r.err, "cannot match the packets of one cgroup") || !strstr(r.err, "at column 5"))
		fail_msg("exit %d: %s", r.code, r.err);
	fl_cli_result_free(&r);
}

static void test_sigkill_then_cleanup_leaves_no_nfqueue_rule(void **state)
{
	struct ctx *c = *state;
	char *argv[] = { bin_fl, "net", "udp:dport=5111:delay=30ms", "--netns", c->pair.ns[0],
			 NULL };
	char *cleanup[] = { bin_fl, "cleanup", NULL };
	struct fl_cli_result r;
	struct fl_cli *fl;

	REQUIRE();
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	assert_true(nfqueue_left(c));
	assert_int_equal(fl_cli_signal(fl, SIGKILL), 0);
	fl_cli_wait(fl, 5000, &r);
	fl_cli_free(fl);
	assert_int_equal(r.code, 128 + SIGKILL);
	fl_cli_result_free(&r);
	assert_int_equal(fl_cli_run(cleanup, 10000, &r), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	assert_false(nfqueue_left(c));
}

/* A drop rule (datapath) beside a delay rule (delay line); --log carries the line's counters. */
static void test_mixed_with_drop_and_log(void **state)
{
	struct ctx *c = *state;
	/* the log holds a line per dropped datagram too (about 400 bytes each) */
	static char buf[1 << 17];
	char log[] = "/tmp/fl-net-delay-log.XXXXXX", drop[64], delay[64];
	char *argv[] = { bin_fl, "net", drop, delay, "--netns", c->pair.ns[0], "--for", "2s",
			 "--log", log, NULL };
	uint64_t d[N_DGRAMS], dropped[N_DGRAMS];
	struct fl_cli_result r;
	struct fl_cli *fl;
	size_t n, n_drop;
	FILE *f;
	int fd;

	REQUIRE();
	fd = mkstemp(log);
	assert_true(fd >= 0);
	close(fd);
	snprintf(drop, sizeof(drop), "udp:dport=%d:drop", PORT_FREE);
	snprintf(delay, sizeof(delay), "udp:dport=%d:delay=20ms", PORT);
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	n = one_way(c, PORT, d);
	n_drop = one_way(c, PORT_FREE, dropped);
	assert_int_equal(fl_cli_wait(fl, 10000, &r), 0);
	fl_cli_free(fl);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.err, "(tc, nfqueue)"));
	assert_non_null(strstr(r.err, "[nfqueue]  queued 100  delayed 100  reordered 0  overflowed 0"));
	fl_cli_result_free(&r);
	assert_int_equal(n, N_DGRAMS);
	assert_int_equal(n_drop, 0);
	print_message("delayed port: %zu arrived, p50 %.3f ms\n", n, d[n / 2] / 1e6);
	/* Never early; late by what the scheduler adds (the emulator's, under qemu). */
	assert_true(d[n / 2] >= 18000000ull &&
		    d[n / 2] <= 20000000ull + fl_cli_scaled_ms(3) * 1000000ull);
	f = fopen(log, "r");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	unlink(log);
	assert_non_null(strstr(buf, "\"mechanism\":\"nfqueue\",\"matched\":100,\"injected\":100,\"final\":true,\"queued\":100,\"delayed\":100,\"reordered\":0,\"overflowed\":0"));
	/* and one event per datagram the drop rule took */
	assert_int_equal(fl_count_lines(buf, "\"domain\":\"net\",\"rule\":0,\"action\":\"drop\""),
			 N_DGRAMS);
	assert_false(nfqueue_left(c));
}

/* SIGTERM with packets held for 2 s: they arrive at once, and the rules go. */
static void test_sigterm_releases_held_packets(void **state)
{
	struct ctx *c = *state;
	char rule[64];
	char *argv[] = { bin_fl, "net", rule, "--netns", c->pair.ns[0], NULL };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct fl_cli_result r;
	struct fl_cli *fl;
	uint64_t t0, x = 1;
	int tx, rx, got = 0;

	REQUIRE();
	snprintf(rule, sizeof(rule), "udp:dport=%d:delay=2s", PORT);
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	tx = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
	rx = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_DGRAM);
	assert_true(tx >= 0 && rx >= 0);
	to.sin_addr = c->pair.ip4[1];
	assert_int_equal(bind(rx, (struct sockaddr *)&to, sizeof(to)), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sendto(tx, &x, sizeof(x), 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)sizeof(x));
	usleep(100000);
	t0 = now_ns();
	assert_int_equal(fl_cli_signal(fl, SIGTERM), 0);
	while (got < 5 && now_ns() - t0 < 1500000000ull) {
		struct pollfd p = { .fd = rx, .events = POLLIN };

		if (poll(&p, 1, 100) == 1 && recv(rx, &x, sizeof(x), 0) == (ssize_t)sizeof(x))
			got++;
	}
	print_message("%d held datagrams arrived %.1f ms after SIGTERM\n", got,
		      (now_ns() - t0) / 1e6);
	close(tx);
	close(rx);
	assert_int_equal(got, 5);
	assert_int_equal(fl_cli_wait(fl, 5000, &r), 0);
	fl_cli_free(fl);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	assert_false(nfqueue_left(c));
}

/* --log: one line per delayed (and per reordered) packet, and no other. */
static void test_log_has_an_event_per_delayed_and_reordered_packet(void **state)
{
	struct ctx *c = *state;
	static char buf[1 << 17];
	char log[] = "/tmp/fl-net-delay-events.XXXXXX", rule[80], dst[64], want[160], mech[32];
	char *argv[] = { bin_fl, "net", rule, "--netns", c->pair.ns[0], "--for", "2s",
			 "--seed", "3", "--log", log, "--json", "-v", NULL };
	uint64_t d[N_DGRAMS], other[N_DGRAMS];
	json_int_t delayed, reordered;
	struct fl_cli_result r;
	struct fl_cli *fl;
	size_t n, events, n_reordered;
	json_t *sum, *r0;
	FILE *f;
	int fd;

	REQUIRE();
	fd = mkstemp(log);
	assert_true(fd >= 0);
	close(fd);
	snprintf(rule, sizeof(rule), "udp:dport=%d:delay=10ms:reorder=20%%", PORT);
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	n = one_way(c, PORT, d);
	one_way(c, PORT_FREE, other); /* not matched: no event */
	assert_int_equal(fl_cli_wait(fl, 10000, &r), 0);
	fl_cli_free(fl);
	if (r.code)
		print_message("faultline: exit %d\nstderr: %s\n", r.code, r.err);
	assert_int_equal(r.code, 0);
	assert_int_equal(n, N_DGRAMS);
	sum = fl_cli_json_summary(r.out);
	assert_non_null(sum);
	r0 = json_array_get(json_object_get(sum, "rules"), 0);
	delayed = json_integer_value(json_object_get(r0, "delayed"));
	reordered = json_integer_value(json_object_get(r0, "reordered"));
	snprintf(mech, sizeof(mech), "%s", json_string_value(json_object_get(r0, "mechanism")));
	json_decref(sum);
	fl_cli_result_free(&r);
	if (strcmp(mech, "nfqueue") && strcmp(mech, "nft-queue")) {
		unlink(log);
		print_message("skip: delay took %s here, not the delay line (its per-packet events "
			      "are the delay line's)\n", mech);
		skip();
	}

	f = fopen(log, "r");
	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	unlink(log);
	events = fl_count_lines(buf, "\"domain\":\"net\",\"rule\":0,\"action\":\"delay\"");
	n_reordered = fl_count_lines(buf, "\"reordered\":true");
	print_message("delay 10ms reorder 20%%: %zu events (%zu reordered); line: delayed %lld, "
		      "reordered %lld\n", events, n_reordered, (long long)delayed, (long long)reordered);
	{
		char *first = strstr(buf, "{\"ts_ns\"");

		if (first)
			print_message("first event: %.*s\n", (int)strcspn(first, "\n"), first);
	}
	assert_int_equal(delayed + reordered, N_DGRAMS);
	assert_true(reordered > 0);
	assert_int_equal(events, (size_t)(delayed + reordered));
	assert_int_equal(n_reordered, (size_t)reordered);
	/* the held ones carry their hold, and every one the packet's headers */
	assert_int_equal(fl_count_lines(buf, "\"value\":10000000,"), (size_t)delayed);
	assert_int_equal(fl_count_lines(buf, "\"delay_ns\":10000000}"), (size_t)delayed);
	inet_ntop(AF_INET, &c->pair.ip4[1], dst, sizeof(dst));
	snprintf(want, sizeof(want), "\"dir\":\"egress\",\"proto\":\"udp\",\"src\":\"");
	assert_int_equal(fl_count_lines(buf, want), events);
	snprintf(want, sizeof(want), "\"dst\":\"%s\",\"sport\":", dst);
	assert_int_equal(fl_count_lines(buf, want), events);
	snprintf(want, sizeof(want), "\"dport\":%d,\"ifindex\":", PORT);
	assert_int_equal(fl_count_lines(buf, want), events);
	/* 20 bytes of IPv4, 8 of UDP, the 8-byte send time */
	assert_int_equal(fl_count_lines(buf, ",\"len\":36,"), events);
	/* nfqueue here, nft-queue where nft has its queue */
	assert_int_equal(fl_count_lines(buf, "\"action\":\"delay\",\"mechanism\":\"nf"), events);
	/* the counts lines: nothing lost */
	assert_int_equal(fl_count_lines(buf, "\"final\":true,\"queued\":100"), 1);
	assert_true(fl_count_lines(buf, "\"events_lost\":") >= 1);
	assert_int_equal(fl_count_lines(buf, "\"events_lost\":0"),
			 fl_count_lines(buf, "\"events_lost\":"));
	assert_false(nfqueue_left(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_30ms_on_the_matching_port_only),
		cmocka_unit_test(test_mixed_with_drop_and_log),
		cmocka_unit_test(test_sigterm_releases_held_packets),
		cmocka_unit_test(test_delay_on_a_cgroup_is_refused),
		cmocka_unit_test(test_sigkill_then_cleanup_leaves_no_nfqueue_rule),
		cmocka_unit_test(test_log_has_an_event_per_delayed_and_reordered_packet),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
