// SPDX-License-Identifier: GPL-2.0-only
/*
 * The delay line's two ways to install its queue rules, inside a fresh
 * netns pair:
 * - nft's native `queue` (CONFIG_NFT_QUEUE, probe "nft-queue"), in a table
 *   of the line's own: it delays, IPv4 and IPv6, ingress and egress, and
 *   on a cgroup's egress (socket cgroupv2); stop deletes the table; a
 *   SIGKILL of the holder leaves the table, whose `bypass` lets traffic
 *   through with no reader, until `faultline cleanup` (core's cleanup) or
 *   the watchdog deletes it. These need nft_queue: the hardened 6.18 host
 *   lacks it and they skip there, saying so; the VM tier (Debian's 6.1)
 *   runs them.
 * - where nft-queue is missing, rules=nft is refused with nft's reason and
 *   leaves nothing; FAULTLINE_NET_DELAY=xtables takes iptables-nft even
 *   where nft-queue works.
 * - the nft-table record itself (any kernel with nf_tables): recorded
 *   before the table exists, undone at close, after a SIGKILL by the
 *   watchdog and by core's cleanup, and an absent table is no error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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

#include <faultline/cgroup.h>
#include <faultline/net_delay.h>
#include <faultline/probe.h>
#include <faultline/state.h>

#include "core/nft.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT 5321
#define MS   1000000ull

struct ctx {
	struct fl_netns_pair pair;
	char run_dir[PATH_MAX];
	struct fl_state *st;
	char cgroup[PATH_MAX];
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
	unsetenv("FAULTLINE_NET_DELAY");
	if (c->st)
		fl_state_close(c->st);
	if (c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	if (c->cgroup[0])
		fl_fixture_cgroup_destroy(c->cgroup);
	if (c->run_dir[0]) {
		fl_state_cleanup_all(c->run_dir, true, NULL);
		fl_fixture_tmpdir_destroy(c->run_dir);
	}
	free(c);
	return 0;
}

/* The probe's word on nft's native queue, once. */
static struct fl_probe_result nft_queue;

static bool nft_queue_works(void)
{
	if (nft_queue.status == FL_PROBE_UNKNOWN)
		assert_int_equal(fl_probe_mechanism(FL_MECH_NFT_QUEUE, &nft_queue), 0);
	return nft_queue.status == FL_PROBE_WORKS;
}

static bool have_iptables(void)
{
	return !access("/usr/sbin/iptables-nft", X_OK) || !access("/sbin/iptables-nft", X_OK);
}

#define NEED_ROOT()                           \
	do {                                  \
		if (!fl_test_require_root()) \
			skip();               \
	} while (0)

/* The native path's tests: they say why they skip (expected on the hardened 6.18). */
#define NEED_NATIVE()                                                                      \
	do {                                                                               \
		NEED_ROOT();                                                               \
		if (!nft_queue_works()) {                                                  \
			print_message("skip: nft-queue %s: %s (expected where nft_queue is " \
				      "missing, as on the hardened 6.18; the VM tier runs this)\n", \
				      fl_probe_status_name(nft_queue.status), nft_queue.detail); \
			skip();                                                            \
		}                                                                          \
	} while (0)

/* `nft list ruleset` in ns[side]. */
static void ruleset(struct ctx *c, int side, char *out, size_t len)
{
	char msg[256];

	assert_int_equal(fl_nft_run(c->pair.ns[side], "list ruleset", out, len, msg, sizeof(msg)), 0);
}

static bool has_delay_table(struct ctx *c, int side)
{
	static char out[16384];

	ruleset(c, side, out, sizeof(out));
	return strstr(out, "table inet faultline_delay_") != NULL;
}

static bool has_iptables_queue(struct ctx *c, int side)
{
	char out[4096] = "";

	fl_netns_pair_capture(&c->pair, side,
			      "iptables-nft -t mangle -S 2>/dev/null; ip6tables-nft -t mangle -S 2>/dev/null",
			      out, sizeof(out));
	return strstr(out, "NFQUEUE") != NULL;
}

/* The records left in the session directory of st. */
static int records(struct fl_state *st)
{
	char cmd[PATH_MAX + 64], out[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c nft-table", fl_state_dir(st));
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	pclose(p);
	return atoi(out);
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* One datagram ns[0] -> ns[1]:PORT over family: its one-way time, 0 if lost. */
static uint64_t one_way(struct ctx *c, int family)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	uint32_t v = 7;
	uint64_t t0, took = 0;
	int tx, rx;

	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(PORT);
		a->sin_addr = c->pair.ip4[1];
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(PORT);
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

static struct fl_net_match udp_to(struct ctx *c, enum fl_net_dir dir)
{
	struct fl_net_match m = {
		.protos = FL_NET_PROTO_UDP, .dir = dir, .dport = { PORT, PORT },
	};

	(void)c;
	return m;
}

static struct fl_net_delay *start(struct ctx *c, int side, const struct fl_net_match *m,
				  uint64_t delay, uint8_t rules)
{
	struct fl_net_delay_params p = { .delay_ns = delay, .rules = rules };
	struct fl_net_delay *d = NULL;
	char err[512] = "";
	int rc = fl_net_delay_start(m, c->pair.ns[side], &p, c->st, &d, err, sizeof(err));

	if (rc)
		print_message("delay start: %s (%d)\n", err, rc);
	assert_int_equal(rc, 0);
	return d;
}

/* ---- nft's native queue ---------------------------------------------- */

static void test_native_rules_delay_both_families_then_go_with_stop(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = udp_to(c, FL_NET_DIR_EGRESS);
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d;
	static char out[16384];
	char err[512] = "";
	uint64_t v4, v6, t0, installed;

	NEED_NATIVE();
	t0 = now_ns();
	d = start(c, 0, &m, 30 * MS, FL_NET_DELAY_RULES_AUTO);
	installed = now_ns() - t0;
	assert_int_equal(fl_net_delay_mechanism(d), FL_MECH_NFT_QUEUE);
	assert_int_equal(fl_net_delay_n_rules(d), 2);
	ruleset(c, 0, out, sizeof(out));
	print_message("%s", out);
	assert_non_null(strstr(out, "table inet faultline_delay_"));
	assert_non_null(strstr(out, "bypass"));
	assert_false(has_iptables_queue(c, 0));
	assert_int_equal(records(c->st), 1);
	v4 = one_way(c, AF_INET);
	v6 = one_way(c, AF_INET6);
	print_message("native queue, 30 ms egress: IPv4 one-way %.2f ms, IPv6 %.2f ms; "
		      "start (probe cached, bind, table) took %.1f ms\n",
		      v4 / 1e6, v6 / 1e6, installed / 1e6);
	assert_true(v4 >= 30 * MS && v4 < 60 * MS);
	assert_true(v6 >= 30 * MS && v6 < 60 * MS);
	assert_int_equal(fl_net_delay_stop(d, &cnt, err, sizeof(err)), 0);
	assert_int_equal(cnt.delayed, 2);
	assert_false(has_delay_table(c, 0));
	assert_int_equal(records(c->st), 0);
}

static void test_native_ingress_on_a_device(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = udp_to(c, FL_NET_DIR_INGRESS);
	struct fl_net_delay_params p = { .delay_ns = 30 * MS };
	struct fl_net_delay *d = NULL;
	static char out[16384];
	char err[512] = "";
	uint64_t v4;

	NEED_NATIVE();
	snprintf(p.dev, sizeof(p.dev), "%s", c->pair.dev[1]);
	assert_int_equal(fl_net_delay_start(&m, c->pair.ns[1], &p, c->st, &d, err, sizeof(err)), 0);
	ruleset(c, 1, out, sizeof(out));
	assert_non_null(strstr(out, "iifname"));
	v4 = one_way(c, AF_INET);
	print_message("native queue, 30 ms ingress on %s: IPv4 one-way %.2f ms\n",
		      c->pair.dev[1], v4 / 1e6);
	assert_true(v4 >= 30 * MS && v4 < 60 * MS);
	assert_int_equal(fl_net_delay_stop(d, NULL, err, sizeof(err)), 0);
	assert_false(has_delay_table(c, 1));
}

/* A child in the cgroup sends one datagram from ns[0]; its one-way time. */
static uint64_t one_way_from_cgroup(struct ctx *c, const char *cgroup)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	uint64_t sent_at = 0, took = 0;
	int rx, status;
	pid_t pid;

	a.sin_addr = c->pair.ip4[1];
	rx = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_DGRAM);
	assert_true(rx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int tx;
		uint64_t t;

		/* The socket takes the cgroup of its maker, at socket(). */
		if (cgroup && fl_cgroup_add_pid(cgroup, getpid()))
			_exit(2);
		tx = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
		t = now_ns();
		if (tx < 0 || sendto(tx, &t, sizeof(t), 0, (struct sockaddr *)&a, sizeof(a)) !=
				      (ssize_t)sizeof(t))
			_exit(3);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (readable(rx, 2000) && recv(rx, &sent_at, sizeof(sent_at), 0) == (ssize_t)sizeof(sent_at))
		took = now_ns() - sent_at;
	close(rx);
	return took;
}

static void test_native_cgroup_egress_delays_only_the_cgroups_sockets(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = udp_to(c, FL_NET_DIR_EGRESS);
	struct fl_net_delay_params p = { .delay_ns = 40 * MS };
	struct fl_net_delay *d = NULL;
	char root[PATH_MAX], err[512] = "";
	static char out[16384];
	uint64_t in, out_of;

	NEED_NATIVE();
	assert_int_equal(fl_cgroup2_root(root, sizeof(root)), 0);
	assert_int_equal(fl_fixture_cgroup_create(c->cgroup, sizeof(c->cgroup)), 0);
	snprintf(p.cgroup, sizeof(p.cgroup), "%s", c->cgroup + strlen(root));
	m.family = FL_NET_IPV4;
	assert_int_equal(fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d, err, sizeof(err)), 0);
	ruleset(c, 0, out, sizeof(out));
	print_message("cgroup %s: the line took %s\n%s", p.cgroup,
		      fl_mechanism_name(fl_net_delay_mechanism(d)), out);
	in = one_way_from_cgroup(c, c->cgroup);
	out_of = one_way_from_cgroup(c, NULL);
	print_message("cgroup egress 40 ms: a member's datagram %.2f ms, another's %.2f ms\n",
		      in / 1e6, out_of / 1e6);
	assert_true(in >= 40 * MS && in < 80 * MS);
	assert_true(out_of > 0 && out_of < 20 * MS);
	/* 6.1 has nft_socket's cgroupv2 on output: the native rule says it. */
	assert_int_equal(fl_net_delay_mechanism(d), FL_MECH_NFT_QUEUE);
	assert_non_null(strstr(out, "socket cgroupv2 level"));
	assert_int_equal(fl_net_delay_stop(d, NULL, err, sizeof(err)), 0);
	assert_false(has_delay_table(c, 0));
}

static int native_event(void *ctx, const struct fl_net_delay_event *ev)
{
	size_t *n = ctx;

	if (ev->pkt.hook == FL_NET_HOOK_NFT_QUEUE && ev->pkt.action == FL_NET_ACT_DELAY &&
	    ev->pkt.dport == PORT && ev->delay_ns == 30 * MS && ev->pkt.rule == 3)
		(*n)++;
	return 0;
}

/* Per-packet events on the native path: one per packet, mechanism nft-queue. */
static void test_native_line_fills_its_event_ring(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = udp_to(c, FL_NET_DIR_EGRESS);
	struct fl_net_delay_params p = { .delay_ns = 30 * MS, .rule = 3 };
	struct fl_net_delay_counters cnt;
	struct fl_net_delay *d = NULL;
	char err[512] = "", line[1024];
	size_t n = 0;

	NEED_NATIVE();
	assert_int_equal(fl_net_delay_ring_new(0, &p.events), 0);
	assert_int_equal(fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d, err, sizeof(err)), 0);
	assert_true(one_way(c, AF_INET) >= 30 * MS);
	assert_true(one_way(c, AF_INET6) >= 30 * MS);
	assert_int_equal(fl_net_delay_stop(d, &cnt, err, sizeof(err)), 0);
	assert_int_equal(fl_net_delay_ring_consume(p.events, native_event, &n), 2);
	assert_int_equal(n, 2);
	assert_int_equal(cnt.delayed, 2);
	{
		struct fl_net_delay_event ev = { .pkt = { .hook = FL_NET_HOOK_NFT_QUEUE,
							  .action = FL_NET_ACT_DELAY } };

		assert_true(fl_net_delay_event_to_json(&ev, 3, 0, line, sizeof(line)) > 0);
		assert_non_null(strstr(line, "\"mechanism\":\"nft-queue\""));
	}
	fl_net_delay_ring_free(p.events);
}

/* The holder: start a native line, say so, wait to be killed. */
static void holder(struct ctx *c, int fd, bool watchdog, uint8_t rules)
{
	struct fl_net_match m = udp_to(c, FL_NET_DIR_EGRESS);
	struct fl_net_delay_params p = { .delay_ns = 5000 * MS, .rules = rules };
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

static pid_t start_holder(struct ctx *c, bool watchdog)
{
	int fds[2];
	char ok = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		holder(c, fds[1], watchdog, FL_NET_DELAY_RULES_NFT);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	return pid;
}

static void test_native_dead_reader_bypasses_then_cleanup_deletes_the_table(void **state)
{
	struct ctx *c = *state;
	struct fl_cleanup_report rep = { 0 };
	int status;
	uint64_t took;
	pid_t pid;

	NEED_NATIVE();
	pid = start_holder(c, false);
	assert_true(has_delay_table(c, 0));
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* The table outlives its reader, and bypass lets the traffic through. */
	assert_true(has_delay_table(c, 0));
	took = one_way(c, AF_INET);
	print_message("no reader: a matching datagram took %.2f ms (bypass)\n", took / 1e6);
	assert_true(took > 0 && took < 20 * MS);
	assert_int_equal(fl_state_cleanup_all(c->run_dir, false, &rep), 0);
	for (size_t i = 0; i < rep.n_items; i++)
		print_message("cleanup: %s: %s\n", rep.items[i].what,
			      rep.items[i].err ? rep.items[i].message : "removed");
	assert_int_equal(rep.failed, 0);
	assert_true(rep.removed >= 1);
	fl_cleanup_report_free(&rep);
	assert_false(has_delay_table(c, 0));
}

static void test_native_watchdog_deletes_the_table_after_a_sigkill(void **state)
{
	struct ctx *c = *state;
	uint64_t t0, took;
	int status;
	pid_t pid;

	NEED_NATIVE();
	pid = start_holder(c, true);
	assert_true(has_delay_table(c, 0));
	t0 = now_ns();
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	while (has_delay_table(c, 0) && now_ns() - t0 < 10000 * MS)
		usleep(10000);
	took = now_ns() - t0;
	print_message("watchdog deleted the nft table %.0f ms after the SIGKILL\n", took / 1e6);
	assert_false(has_delay_table(c, 0));
}

/* ---- the choice ------------------------------------------------------- */

static void test_forced_native_where_it_is_missing_is_refused_and_leaves_nothing(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = udp_to(c, FL_NET_DIR_BOTH);
	struct fl_net_delay_params p = { .delay_ns = 10 * MS, .rules = FL_NET_DELAY_RULES_NFT };
	struct fl_net_delay *d = NULL;
	char err[512] = "";
	int rc;

	NEED_ROOT();
	if (nft_queue_works()) {
		print_message("skip: nft-queue works on this kernel: nothing to refuse\n");
		skip();
	}
	rc = fl_net_delay_start(&m, c->pair.ns[0], &p, c->st, &d, err, sizeof(err));
	print_message("rules=nft where nft-queue is %s: %d, %s\n",
		      fl_probe_status_name(nft_queue.status), rc, err);
	assert_int_equal(rc, -EPROTO);
	assert_null(d);
	assert_non_null(strstr(err, "nft table inet faultline_delay_"));
	assert_false(has_delay_table(c, 0));
	assert_int_equal(records(c->st), 0);
}

static void test_env_xtables_takes_iptables_even_where_native_works(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = udp_to(c, FL_NET_DIR_EGRESS);
	struct fl_net_delay *d;
	char err[512] = "";
	uint64_t v4;

	NEED_ROOT();
	if (!have_iptables()) {
		print_message("skip: iptables-nft is not installed\n");
		skip();
	}
	print_message("nft-queue here: %s\n", nft_queue_works() ? "works" : "missing");
	assert_int_equal(setenv("FAULTLINE_NET_DELAY", "xtables", 1), 0);
	d = start(c, 0, &m, 30 * MS, FL_NET_DELAY_RULES_AUTO);
	unsetenv("FAULTLINE_NET_DELAY");
	assert_int_equal(fl_net_delay_mechanism(d), FL_MECH_NFQUEUE);
	assert_true(has_iptables_queue(c, 0));
	assert_false(has_delay_table(c, 0));
	v4 = one_way(c, AF_INET);
	assert_true(v4 >= 30 * MS && v4 < 60 * MS);
	assert_int_equal(fl_net_delay_stop(d, NULL, err, sizeof(err)), 0);
	assert_false(has_iptables_queue(c, 0));
}

/* Rule install time, each way: start to stop, 10 lines (the probe is cached). */
static void test_install_time_native_vs_xtables(void **state)
{
	struct ctx *c = *state;
	struct fl_net_match m = udp_to(c, FL_NET_DIR_BOTH);
	char err[512] = "";
	double ms[2] = { 0, 0 };
	bool native = false;

	NEED_ROOT();
	native = nft_queue_works();
	for (int way = native ? 0 : 1; way < 2; way++) {
		for (int i = 0; i < 10; i++) {
			struct fl_net_delay *d;
			uint64_t t0 = now_ns();

			d = start(c, 0, &m, 10 * MS, way == 0 ? FL_NET_DELAY_RULES_NFT
							      : FL_NET_DELAY_RULES_XTABLES);
			ms[way] += (now_ns() - t0) / 1e6 / 10;
			assert_int_equal(fl_net_delay_stop(d, NULL, err, sizeof(err)), 0);
		}
	}
	print_message("start of a line with 4 rules (both families, both chains), mean of 10: "
		      "nft native %.1f ms%s, iptables-nft %.1f ms\n",
		      ms[0], native ? "" : " (not here)", ms[1]);
}

/* ---- the nft-table record, on any nf_tables kernel --------------------- */

#define T_CHAIN "add table inet fl_test_rec\nadd chain inet fl_test_rec c { type filter hook output priority 0; }\n"

static bool has_table(struct ctx *c, const char *name)
{
	static char out[16384];

	ruleset(c, 0, out, sizeof(out));
	return strstr(out, name) != NULL;
}

static void test_an_nft_table_record_is_undone_at_close_and_absent_is_no_error(void **state)
{
	struct ctx *c = *state;
	struct fl_state *st;
	char msg[256];

	NEED_ROOT();
	assert_int_equal(fl_state_open(c->run_dir, &st), 0);
	assert_int_equal(fl_state_record_nft_table(st, c->pair.ns[0], "inet", "fl_test_rec", NULL), 0);
	assert_int_equal(fl_nft_run(c->pair.ns[0], T_CHAIN, NULL, 0, msg, sizeof(msg)), 0);
	assert_true(has_table(c, "fl_test_rec"));
	/* never created */
	assert_int_equal(fl_state_record_nft_table(st, c->pair.ns[0], "inet", "fl_test_absent", NULL), 0);
	/* refused: it would go into an nft command */
	assert_int_equal(fl_state_record_nft_table(st, NULL, "inet", "x; flush ruleset", NULL), -EINVAL);
	assert_int_equal(fl_state_record_nft_table(st, NULL, "nope", "t", NULL), -EINVAL);
	assert_int_equal(fl_state_close(st), 0);
	assert_false(has_table(c, "fl_test_rec"));
}

/* A holder records and adds a table (no queue: any nf_tables kernel), then dies. */
static void table_holder(struct ctx *c, int fd, bool watchdog)
{
	struct fl_state *st;

	if (fl_state_open(c->run_dir, &st) || (watchdog && fl_state_watchdog_start(st)) ||
	    fl_state_record_nft_table(st, c->pair.ns[0], "inet", "fl_test_rec", NULL) ||
	    fl_nft_run(c->pair.ns[0], T_CHAIN, NULL, 0, NULL, 0))
		_exit(1);
	if (write(fd, "a", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static void killed_table_holder(struct ctx *c, bool watchdog)
{
	int fds[2], status;
	char ok = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		table_holder(c, fds[1], watchdog);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	assert_true(has_table(c, "fl_test_rec"));
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_an_nft_table_outliving_a_sigkill_goes_with_cleanup(void **state)
{
	struct ctx *c = *state;
	struct fl_cleanup_report rep = { 0 };

	NEED_ROOT();
	killed_table_holder(c, false);
	assert_true(has_table(c, "fl_test_rec"));
	assert_int_equal(fl_state_cleanup_all(c->run_dir, false, &rep), 0);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(rep.removed, 1);
	assert_non_null(strstr(rep.items[0].what, "nft table inet fl_test_rec in netns "));
	fl_cleanup_report_free(&rep);
	assert_false(has_table(c, "fl_test_rec"));
}

static void test_an_nft_table_outliving_a_sigkill_goes_with_the_watchdog(void **state)
{
	struct ctx *c = *state;
	uint64_t t0 = now_ns();

	NEED_ROOT();
	killed_table_holder(c, true);
	while (has_table(c, "fl_test_rec") && now_ns() - t0 < 10000 * MS)
		usleep(10000);
	print_message("watchdog deleted the table %.0f ms after the SIGKILL\n",
		      (now_ns() - t0) / 1e6);
	assert_false(has_table(c, "fl_test_rec"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_native_rules_delay_both_families_then_go_with_stop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_native_ingress_on_a_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_native_cgroup_egress_delays_only_the_cgroups_sockets,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_native_line_fills_its_event_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_native_dead_reader_bypasses_then_cleanup_deletes_the_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_native_watchdog_deletes_the_table_after_a_sigkill,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_forced_native_where_it_is_missing_is_refused_and_leaves_nothing,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_xtables_takes_iptables_even_where_native_works,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_time_native_vs_xtables, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_an_nft_table_record_is_undone_at_close_and_absent_is_no_error,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_nft_table_outliving_a_sigkill_goes_with_cleanup,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_an_nft_table_outliving_a_sigkill_goes_with_the_watchdog,
			setup, teardown),
	};

	return cmocka_run_group_tests_name("net delay line: nft native queue and its table", tests,
					   NULL, NULL);
}
