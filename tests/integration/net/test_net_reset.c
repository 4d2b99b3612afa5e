// SPDX-License-Identifier: GPL-2.0-only
/*
 * reset between two fresh netns joined by a veth pair: an established TCP
 * connection that the rule names is aborted when the rule is armed (its
 * socket on the side the target holds sees ECONNABORTED, the other end a
 * RST: ECONNRESET), one on another port lives on; a connection made while
 * armed is aborted by the next sweep; --dev keeps to the sockets on that
 * device's addresses; a cgroup target keeps to the sockets its processes
 * made. Each case is a few connections, with waits of at most 2 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
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
#include <jansson.h>

#include <faultline/cgroup.h>
#include <faultline/net.h>
#include <faultline/state.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT       5022
#define OTHER_PORT 5023

struct ctx {
	struct fl_netns_pair pair;
	char run_dir[PATH_MAX];
	struct fl_state *st;
	char cgroup[PATH_MAX];
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

	if (c && c->cgroup[0])
		fl_fixture_cgroup_destroy(c->cgroup);
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

static struct fl_net_rule reset_rule(uint16_t dport)
{
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_TCP, .dir = FL_NET_ABI_BOTH, .action = FL_NET_ACT_RESET,
		.dport_lo = dport, .dport_hi = dport,
	};

	return r;
}

static struct fl_net_session *arm(struct ctx *c, const struct fl_net_target *t,
				  const struct fl_net_rule *r, double *ret_ms)
{
	struct fl_net_session *s = NULL;
	char err[256] = "";
	double t0;

	if (fl_net_session_open(r, 1, t, c->st, &s, err, sizeof(err))) {
		print_message("open: %s\n", err);
		fail();
	}
	t0 = now_ms();
	if (fl_net_session_attach(s, err, sizeof(err))) {
		print_message("attach: %s\n", err);
		fl_net_session_close(s);
		fail();
	}
	if (ret_ms)
		*ret_ms = now_ms() - t0;
	print_message("reset mechanism: %s\n", fl_net_session_reset_mechanism(s));
	return s;
}

static int listener(const struct ctx *c, uint16_t port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = c->pair.ip4[1],
	};
	int fd = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_STREAM), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

/* A connection from ns[0] (fd given, or a fresh socket) to ns[1]:port; the accepted end. */
static void connect_pair(const struct ctx *c, int l, uint16_t port, int fd, int *ret_tx,
			 int *ret_rx)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = c->pair.ip4[1],
	};

	if (fd < 0)
		fd = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	*ret_rx = accept(l, NULL, NULL);
	assert_true(*ret_rx >= 0);
	*ret_tx = fd;
}

/* The error a socket has, waiting up to ms for one: 0 = none (data is left unread). */
static int sock_error(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char b;
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	n = recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);
	return n < 0 ? errno : n == 0 ? EPIPE : 0;
}

/* Alive: a byte goes through both ways. */
static bool alive(int a, int b)
{
	char x = 'x', y = 0;

	return send(a, &x, 1, 0) == 1 && sock_error(b, 1000) == 0 && recv(b, &y, 1, 0) == 1 &&
	       y == 'x' && send(b, &x, 1, 0) == 1 && recv(a, &y, 1, 0) == 1;
}

static void test_established_connection_is_aborted_and_another_port_lives(void **state)
{
	struct ctx *c = *state;
	struct fl_net_target t = { .kind = FL_NET_TARGET_NETNS, .netns = c->pair.ns[0] };
	struct fl_net_rule r = reset_rule(PORT);
	struct fl_net_counters k;
	struct fl_net_session *s;
	int l1, l2, tx1, rx1, tx2, rx2, e1, e2;
	double ms, t0;

	SKIP_UNLESS_ROOT();
	l1 = listener(c, PORT);
	l2 = listener(c, OTHER_PORT);
	connect_pair(c, l1, PORT, -1, &tx1, &rx1);
	connect_pair(c, l2, OTHER_PORT, -1, &tx2, &rx2);
	s = arm(c, &t, &r, &ms);
	t0 = now_ms();
	/* The target is ns[0]: its socket is aborted, ns[1]'s end gets the RST. */
	e1 = sock_error(tx1, 0);
	e2 = sock_error(rx1, 2000);
	print_message("arm -> aborted: %.2f ms (the attach); local %s, peer %s (%.2f ms after the attach)\n",
		      ms, strerror(e1), strerror(e2), now_ms() - t0);
	assert_int_equal(e1, ECONNABORTED);
	assert_int_equal(e2, ECONNRESET);
	assert_true(alive(tx2, rx2));
	assert_int_equal(fl_net_session_counters(s, 0, &k), 0);
	assert_int_equal(k.matched, 1);
	assert_int_equal(k.injected, 1);
	fl_net_session_close(s);
	close(tx1);
	close(rx1);
	close(tx2);
	close(rx2);
	close(l1);
	close(l2);
}

static void test_connection_made_while_armed_is_aborted_by_the_next_sweep(void **state)
{
	struct ctx *c = *state;
	struct fl_net_target t = { .kind = FL_NET_TARGET_NETNS, .netns = c->pair.ns[0] };
	struct fl_net_rule r = reset_rule(PORT);
	struct fl_net_counters k;
	struct fl_net_session *s;
	int l, tx, rx, e;
	double t0;

	SKIP_UNLESS_ROOT();
	l = listener(c, PORT);
	s = arm(c, &t, &r, NULL);
	connect_pair(c, l, PORT, -1, &tx, &rx);
	t0 = now_ms();
	e = sock_error(tx, 2000);
	print_message("connected while armed: %s after %.1f ms\n", strerror(e), now_ms() - t0);
	assert_int_equal(e, ECONNABORTED);
	/* The sweeper counts right after the abort, which the socket may see first. */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(fl_net_session_counters(s, 0, &k), 0);
		if (k.injected)
			break;
		usleep(10 * 1000);
	}
	assert_int_equal(k.injected, 1);
	fl_net_session_close(s);
	/* Disarmed: a new connection lives. */
	close(tx);
	close(rx);
	connect_pair(c, l, PORT, -1, &tx, &rx);
	usleep(300 * 1000);
	assert_true(alive(tx, rx));
	close(tx);
	close(rx);
	close(l);
}

/*
 * --dev on ns[1]'s end: the rule's dport=PORT fits the accepted sockets
 * (ingress: the peer sends to PORT); they are aborted, the client in ns[0]
 * gets the RST. count=1: only the first of two.
 */
static void test_dev_target_aborts_the_listeners_side_and_count_caps(void **state)
{
	struct ctx *c = *state;
	struct fl_net_target t = {
		.kind = FL_NET_TARGET_DEV, .netns = c->pair.ns[1], .dev = c->pair.dev[1],
	};
	struct fl_net_rule r = reset_rule(PORT);
	struct fl_net_counters k;
	struct fl_net_session *s;
	int l, tx1, rx1, tx2, rx2, a, b;

	SKIP_UNLESS_ROOT();
	r.count = 1;
	l = listener(c, PORT);
	connect_pair(c, l, PORT, -1, &tx1, &rx1);
	connect_pair(c, l, PORT, -1, &tx2, &rx2);
	s = arm(c, &t, &r, NULL);
	/* A socket reports its error once: read each once. */
	a = sock_error(rx1, 0);
	b = sock_error(rx2, 0);
	assert_int_equal(a ? a : b, ECONNABORTED);
	assert_int_equal(a ? b : a, 0);
	assert_int_equal(sock_error(a ? tx1 : tx2, 2000), ECONNRESET);
	assert_true(alive(a ? tx2 : tx1, a ? rx2 : rx1));
	assert_int_equal(fl_net_session_counters(s, 0, &k), 0);
	assert_int_equal(k.injected, 1);
	assert_int_equal(k.matched, 2);
	fl_net_session_close(s);
	close(tx1);
	close(rx1);
	close(tx2);
	close(rx2);
	close(l);
}

/*
 * A cgroup target: a child in the cgroup connects from ns[0]; the test's
 * own connection from ns[0] to the same port (not in the cgroup) lives.
 */
static void test_cgroup_target_aborts_only_its_processes_connections(void **state)
{
	struct ctx *c = *state;
	struct fl_net_target t = { .kind = FL_NET_TARGET_CGROUP };
	struct fl_net_rule r = reset_rule(PORT);
	struct fl_net_session *s;
	int l, tx, rx, ctx_rx, ready[2], status;
	char nspath[PATH_MAX], b;
	pid_t pid;

	SKIP_UNLESS_ROOT();
	if (fl_fixture_cgroup_create(c->cgroup, sizeof(c->cgroup)))
		skip();
	t.cgroup = c->cgroup;
	l = listener(c, PORT);
	connect_pair(c, l, PORT, -1, &tx, &rx);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in a = {
			.sin_family = AF_INET, .sin_port = htons(PORT), .sin_addr = c->pair.ip4[1],
		};
		int nsfd, fd;

		close(ready[0]);
		snprintf(nspath, sizeof(nspath), "/run/netns/%s", c->pair.ns[0]);
		nsfd = open(nspath, O_RDONLY);
		if (fl_cgroup_add_pid(c->cgroup, getpid()) || nsfd < 0 ||
		    setns(nsfd, CLONE_NEWNET))
			_exit(100);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
			_exit(101);
		if (write(ready[1], "r", 1) != 1)
			_exit(102);
		_exit(sock_error(fd, 3000));
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	ctx_rx = accept(l, NULL, NULL);
	assert_true(ctx_rx >= 0);
	s = arm(c, &t, &r, NULL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	print_message("the cgroup's connection: %s\n", strerror(WEXITSTATUS(status)));
	assert_int_equal(WEXITSTATUS(status), ECONNABORTED);
	assert_int_equal(sock_error(ctx_rx, 2000), ECONNRESET);
	assert_true(alive(tx, rx));
	fl_net_session_close(s);
	close(ctx_rx);
	close(tx);
	close(rx);
	close(l);
}

/* Through the CLI: the summary counts the connections it reset. */
static void test_cli_json_says_how_many_connections_were_reset(void **state)
{
	struct ctx *c = *state;
	char bin[PATH_MAX], rule[64];
	char *argv[] = { bin, "net", rule, "--netns", c->pair.ns[0], "--for", "300ms", "--json",
			 NULL };
	struct fl_cli_result res;
	void *session = NULL;
	int l, tx1, rx1, tx2, rx2, e;
	json_t *j, *r0;

	fl_test_binary("faultline", bin, sizeof(bin));
	if (!fl_cli_require(bin, bin))
		skip();
	assert_int_equal(fl_cli_setup_session(&session), 0);
	snprintf(rule, sizeof(rule), "tcp:dport=%d:reset", PORT);
	l = listener(c, PORT);
	connect_pair(c, l, PORT, -1, &tx1, &rx1);
	connect_pair(c, l, PORT, -1, &tx2, &rx2);
	assert_int_equal(fl_cli_run(argv, 5000, &res), 0);
	if (res.code)
		print_message("faultline: exit %d: %s\n", res.code, res.err);
	assert_int_equal(res.code, 0);
	j = fl_cli_json_summary(res.out);
	assert_non_null(j);
	r0 = json_array_get(json_object_get(j, "rules"), 0);
	assert_non_null(r0);
	print_message("%s\n", res.out);
	assert_int_equal(json_integer_value(json_object_get(r0, "connections_reset")), 2);
	assert_int_equal(json_integer_value(json_object_get(r0, "matched")), 2);
	assert_non_null(strstr(json_string_value(json_object_get(r0, "mechanism")), "destroy"));
	e = sock_error(tx1, 0);
	assert_int_equal(e, ECONNABORTED);
	assert_int_equal(sock_error(tx2, 0), ECONNABORTED);
	json_decref(j);
	fl_cli_result_free(&res);
	fl_cli_teardown_session(&session);
	close(tx1);
	close(rx1);
	close(tx2);
	close(rx2);
	close(l);
}

/* The same on the fallback path, which kernels before 6.5 take. */
static void test_sock_diag_path_aborts_the_same(void **state)
{
	SKIP_UNLESS_ROOT();
	setenv("FAULTLINE_NET_RESET", "sock-diag", 1);
	test_established_connection_is_aborted_and_another_port_lives(state);
	unsetenv("FAULTLINE_NET_RESET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_established_connection_is_aborted_and_another_port_lives, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_connection_made_while_armed_is_aborted_by_the_next_sweep, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_dev_target_aborts_the_listeners_side_and_count_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_cgroup_target_aborts_only_its_processes_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sock_diag_path_aborts_the_same, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cli_json_says_how_many_connections_were_reset,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
