// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline net --pid`: one process's sockets, not its cgroup's. Two
 * agent processes share one cgroup and the loopback of a fresh netns
 * (tests/helpers/netns_pair); --pid names the first. Its datagrams are
 * dropped (on a socket it held before arming, on one it made in another
 * cgroup before it moved, and on one it opens while armed), the other
 * agent's all arrive to the same port; a connection it
 * accepts on a listener it held is hit; connect:error= fails its connect
 * alone; reset aborts its connection alone; SIGKILL of faultline leaves
 * no program on the cgroup; delay and rate (which pick packets by cgroup
 * or device) are refused on --pid;
 * the run ends when the process exits.
 * Bounded: 200 datagrams a burst, deadlines of a few seconds. Root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <faultline/cgroup.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define UDP_PORT   5301
#define TCP_PORT   5302   /* a listener of the test's, outside the cgroup */
#define LISTEN_PORT 5303  /* the target agent's own listener */
#define N          200

static char bin_fl[PATH_MAX];

/* A process of the cgroup, driven over a pipe: one command byte, one int back. */
struct agent {
	pid_t pid;
	int cmd, res;
};

struct ctx {
	void *session;
	struct fl_netns_pair pair;
	char cgroup[PATH_MAX];
	char before[PATH_MAX];      /* where the target agent made one socket before it moved */
	struct agent a[2];          /* [0] the --pid target, [1] its cgroup-mate */
	int rx;                     /* UDP receiver on 127.0.0.1:UDP_PORT in ns[0], outside */
	int tcp;                    /* TCP listener on 127.0.0.1:TCP_PORT in ns[0], outside */
};

static struct sockaddr_in lo4(uint16_t port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return a;
}

static int send_burst(int fd, int id)
{
	struct sockaddr_in a = lo4(UDP_PORT);
	int sent = 0;

	for (int i = 0; i < N; i++)
		if (sendto(fd, &id, sizeof(id), 0, (struct sockaddr *)&a, sizeof(a)) == sizeof(id))
			sent++;
	return sent;
}

/*
 * The agent: joins the cgroup, opens a UDP socket and a TCP listener (held
 * from before any arming), then serves commands: 'o' a burst on the old
 * socket, 'n' on a new one, 'c' a connect to TCP_PORT (errno back), 'a'
 * accept one connection on its listener and write 1000 bytes to it.
 */
static void agent_main(struct ctx *c, int id, int cmd, int res)
{
	struct sockaddr_in l = lo4(LISTEN_PORT), t = lo4(TCP_PORT);
	int old, pre = -1, lst = -1, kept = -1, one = 1, v;
	char op;

	/* The target makes one socket in another cgroup first, then moves. */
	if (id == 0 && (fl_cgroup_add_pid(c->before, getpid()) ||
			(pre = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM)) < 0))
		_exit(2);
	if (fl_cgroup_add_pid(c->cgroup, getpid()))
		_exit(2);
	old = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
	if (id == 0) {
		lst = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM);
		setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (lst < 0 || bind(lst, (struct sockaddr *)&l, sizeof(l)) || listen(lst, 4))
			_exit(3);
	}
	if (old < 0)
		_exit(3);
	v = 0;
	if (write(res, &v, sizeof(v)) != sizeof(v))
		_exit(4);
	while (read(cmd, &op, 1) == 1) {
		int fd;

		switch (op) {
		case 'o':
			v = send_burst(old, id);
			break;
		case 'p':
			v = pre < 0 ? -1 : send_burst(pre, id);
			break;
		case 'k':   /* a connection to TCP_PORT, kept open */
			kept = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM);
			v = kept < 0 ? -kept : connect(kept, (struct sockaddr *)&t, sizeof(t)) ? errno : 0;
			break;
		case 'r': { /* the kept connection's state: EAGAIN alive, else its error */
			char b;

			v = recv(kept, &b, 1, MSG_DONTWAIT) < 0 ? errno : 0;
			close(kept);
			kept = -1;
			break;
		}
		case 'n':
			fd = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
			v = fd < 0 ? fd : send_burst(fd, id);
			if (fd >= 0)
				close(fd);
			break;
		case 'c':
			fd = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM);
			v = fd < 0 ? -fd : connect(fd, (struct sockaddr *)&t, sizeof(t)) ? errno : 0;
			if (fd >= 0)
				close(fd);
			break;
		case 'a': {
			char buf[1000] = { 0 };

			fd = accept(lst, NULL, NULL);
			v = fd < 0 ? -errno : (int)write(fd, buf, sizeof(buf));
			if (fd >= 0) {
				usleep(700 * 1000);   /* its retransmissions run meanwhile */
				close(fd);
			}
			break;
		}
		default:
			_exit(0);
		}
		if (write(res, &v, sizeof(v)) != sizeof(v))
			_exit(4);
	}
	_exit(0);
}

static int agent_start(struct ctx *c, int id)
{
	int cmd[2], res[2], v;
	pid_t pid;

	if (pipe2(cmd, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(cmd[1]);
		close(res[0]);
		agent_main(c, id, cmd[0], res[1]);
	}
	close(cmd[0]);
	close(res[1]);
	c->a[id] = (struct agent){ .pid = pid, .cmd = cmd[1], .res = res[0] };
	return read(res[0], &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

static int ask(struct ctx *c, int id, char op)
{
	int v = -9999;

	assert_int_equal(write(c->a[id].cmd, &op, 1), 1);
	assert_int_equal(read(c->a[id].res, &v, sizeof(v)), sizeof(v));
	return v;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct sockaddr_in u = lo4(UDP_PORT), t = lo4(TCP_PORT);
	int one = 1;

	if (!c)
		return -1;
	*state = c;
	c->rx = c->tcp = -1;
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	if (fl_cli_setup_session(&c->session))
		return -1;
	if (geteuid() != 0)
		return 0;
	if (fl_netns_pair_create(&c->pair) ||
	    fl_fixture_cgroup_create(c->cgroup, sizeof(c->cgroup)) ||
	    fl_fixture_cgroup_create(c->before, sizeof(c->before)))
		return -1;
	/* The agents first: they must not inherit the test's own sockets. */
	if (agent_start(c, 0) || agent_start(c, 1))
		return -1;
	c->rx = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
	c->tcp = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM);
	if (c->rx < 0 || c->tcp < 0 || bind(c->rx, (struct sockaddr *)&u, sizeof(u)) ||
	    setsockopt(c->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(c->tcp, (struct sockaddr *)&t, sizeof(t)) || listen(c->tcp, 16))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (!c)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (c->a[i].pid > 0) {
			kill(c->a[i].pid, SIGKILL);
			waitpid(c->a[i].pid, NULL, 0);
			close(c->a[i].cmd);
			close(c->a[i].res);
		}
	}
	if (c->rx >= 0)
		close(c->rx);
	if (c->tcp >= 0)
		close(c->tcp);
	fl_cli_teardown_session(&c->session);
	if (c->cgroup[0])
		fl_fixture_cgroup_destroy(c->cgroup);
	if (c->before[0])
		fl_fixture_cgroup_destroy(c->before);
	if (c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	free(c);
	return 0;
}

#define REQUIRE()                                        \
	do {                                             \
		if (!fl_cli_require(bin_fl, bin_fl))     \
			skip();                          \
	} while (0)

/* Datagrams read until 100 ms of quiet, per agent id. */
static void drain(int fd, int got[2])
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int id;

	got[0] = got[1] = 0;
	while (poll(&pfd, 1, 100) > 0)
		if (recv(fd, &id, sizeof(id), 0) == sizeof(id) && id >= 0 && id < 2)
			got[id]++;
}

static struct fl_cli *arm(char **argv)
{
	struct fl_cli *fl = NULL;

	assert_int_equal(fl_cli_start(argv, &fl), 0);
	if (fl_cli_wait_stderr(fl, "not moved", 8000)) {
		char *err = fl_cli_stderr(fl);

		fail_msg("not armed: %s", err ? err : "");
	}
	return fl;
}

/* SIGINT, then the JSON summary's rule i (matched, injected). */
static void stop(struct fl_cli *fl, size_t i, json_int_t *matched, json_int_t *injected,
		 char **err)
{
	struct fl_cli_result r;
	json_t *s, *rule;

	assert_int_equal(fl_cli_signal(fl, SIGINT), 0);
	assert_int_equal(fl_cli_wait(fl, 5000, &r), 0);
	fl_cli_free(fl);
	if (r.code)
		fail_msg("exit %d: %s", r.code, r.err);
	s = fl_cli_json_summary(r.out);
	assert_non_null(s);
	rule = json_array_get(json_object_get(s, "rules"), i);
	assert_non_null(rule);
	*matched = json_integer_value(json_object_get(rule, "matched"));
	*injected = json_integer_value(json_object_get(rule, "injected"));
	json_decref(s);
	*err = strdup(r.err);
	fl_cli_result_free(&r);
}

static void test_pid_drops_its_datagrams_alone_old_and_new_sockets(void **state)
{
	struct ctx *c = *state;
	char pid[16], *err, *argv[] = { bin_fl, "net", "udp:dport=5301:drop", "--pid", pid,
					"--json", NULL };
	json_int_t m, inj;
	int got_old[2], got_new[2], got_mate[2], got_new_mate[2];
	struct fl_cli *fl;

	REQUIRE();
	snprintf(pid, sizeof(pid), "%d", (int)c->a[0].pid);
	fl = arm(argv);
	assert_int_equal(ask(c, 0, 'o'), N);
	drain(c->rx, got_old);
	assert_int_equal(ask(c, 0, 'n'), N);   /* a socket opened while armed */
	drain(c->rx, got_new);
	assert_int_equal(ask(c, 1, 'o'), N);   /* the cgroup-mate, same port */
	drain(c->rx, got_mate);
	assert_int_equal(ask(c, 1, 'n'), N);
	drain(c->rx, got_new_mate);
	got_mate[1] += got_new_mate[1];
	stop(fl, 0, &m, &inj, &err);
	print_message("--pid %s: old socket %d of %d arrived, new socket %d of %d; its cgroup-mate %d of %d; matched %lld injected %lld\n",
		      pid, got_old[0], N, got_new[0], N, got_mate[1], 2 * N, (long long)m,
		      (long long)inj);
	assert_int_equal(got_old[0], 0);
	assert_int_equal(got_new[0], 0);
	assert_int_equal(got_mate[1], 2 * N);
	assert_int_equal(m, 2 * N);
	assert_int_equal(inj, 2 * N);
	assert_non_null(strstr(err, "only its own sockets' packets (the 3 IPv4/IPv6 sockets it holds"));
	print_message("%s", err);
	free(err);
}

/* cgroup_skb sees a socket through the cgroup it was made in: the programs go there too. */
static void test_pid_hits_a_socket_it_made_in_another_cgroup(void **state)
{
	struct ctx *c = *state;
	char pid[16], *err, *argv[] = { bin_fl, "net", "udp:dport=5301:drop", "--pid", pid,
					"--json", NULL };
	json_int_t m, inj;
	struct fl_cli *fl;
	int got[2];

	REQUIRE();
	snprintf(pid, sizeof(pid), "%d", (int)c->a[0].pid);
	fl = arm(argv);
	assert_int_equal(ask(c, 0, 'p'), N);
	drain(c->rx, got);
	stop(fl, 0, &m, &inj, &err);
	print_message("socket made in %s before the move: %d of %d arrived; matched %lld injected %lld\n",
		      c->before, got[0], N, (long long)m, (long long)inj);
	assert_int_equal(got[0], 0);
	assert_int_equal(inj, N);
	assert_non_null(strstr(err, "1 of its sockets were made in another cgroup"));
	assert_non_null(strstr(err, c->before));
	free(err);
}

static void test_pid_hits_a_connection_accepted_on_its_listener(void **state)
{
	struct ctx *c = *state;
	/* when=2..: the SYN-ACK (1st) passes, so the connection is made; then its data is lost */
	char pid[16], *err, *argv[] = { bin_fl, "net", "tcp:sport=5303:drop:dir=egress:when=2..1000000",
					"--pid", pid, "--json", NULL };
	struct sockaddr_in l = lo4(LISTEN_PORT);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500 * 1000 };
	char buf[1000];
	json_int_t m, inj;
	struct fl_cli *fl;
	ssize_t got;
	int fd;

	REQUIRE();
	snprintf(pid, sizeof(pid), "%d", (int)c->a[0].pid);
	fl = arm(argv);
	fd = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&l, sizeof(l)), 0);
	assert_int_equal(ask(c, 0, 'a'), 1000);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	got = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	stop(fl, 0, &m, &inj, &err);
	print_message("accepted connection: recv %zd (data lost), matched %lld injected %lld\n",
		      got, (long long)m, (long long)inj);
	assert_true(got < 0);
	assert_true(m >= 2);
	assert_true(inj >= 1);
	free(err);
}

static void test_pid_connect_error_fails_its_connect_alone(void **state)
{
	struct ctx *c = *state;
	char pid[16], *err, *argv[] = { bin_fl, "net", "connect:dport=5302:error=ECONNREFUSED",
					"--pid", pid, "--json", NULL };
	json_int_t m, inj;
	struct fl_cli *fl;
	int e0, e1;

	REQUIRE();
	snprintf(pid, sizeof(pid), "%d", (int)c->a[0].pid);
	fl = arm(argv);
	e0 = ask(c, 0, 'c');
	e1 = ask(c, 1, 'c');
	stop(fl, 0, &m, &inj, &err);
	/* the mate's connection sits in the backlog: take it away */
	{
		struct pollfd pfd = { .fd = c->tcp, .events = POLLIN };

		while (poll(&pfd, 1, 50) > 0)
			close(accept(c->tcp, NULL, NULL));
	}
	print_message("connect: --pid's errno %d (%s), its cgroup-mate's %d\n", e0, strerror(e0),
		      e1);
	assert_int_equal(e0, ECONNREFUSED);
	assert_int_equal(e1, 0);
	assert_int_equal(m, 1);
	assert_int_equal(inj, 1);
	free(err);
}

/* Programs attached to the cgroup, as bpftool lists them (empty: none). */
static void cgroup_progs(const char *cg, char *out, size_t len)
{
	char cmd[PATH_MAX + 64];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "bpftool cgroup show '%s' 2>&1", cg);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

static void test_pid_sigkill_leaves_no_program_on_the_cgroup(void **state)
{
	struct ctx *c = *state;
	char pid[16], out[4096], *argv[] = { bin_fl, "net", "udp:dport=5301:drop",
					     "connect:dport=5302:error=EPERM", "--pid", pid, NULL };
	struct fl_cli_result r;
	struct fl_cli *fl;
	int got[2];

	REQUIRE();
	snprintf(pid, sizeof(pid), "%d", (int)c->a[0].pid);
	fl = arm(argv);
	cgroup_progs(c->before, out, sizeof(out));
	assert_non_null(strstr(out, "egress"));
	cgroup_progs(c->cgroup, out, sizeof(out));
	assert_non_null(strstr(out, "sock_create"));
	assert_non_null(strstr(out, "ingress") ? out : NULL);
	assert_int_equal(fl_cli_signal(fl, SIGKILL), 0);
	assert_int_equal(fl_cli_wait(fl, 5000, &r), 0);
	fl_cli_free(fl);
	fl_cli_result_free(&r);
	cgroup_progs(c->cgroup, out, sizeof(out));
	print_message("after SIGKILL, bpftool cgroup show: '%s'\n", out);
	assert_null(strstr(out, "sock_create"));
	assert_null(strstr(out, "ingress"));
	assert_null(strstr(out, "egress"));
	assert_null(strstr(out, "connect4"));
	cgroup_progs(c->before, out, sizeof(out));
	assert_null(strstr(out, "egress"));
	assert_int_equal(ask(c, 0, 'o'), N);
	drain(c->rx, got);
	assert_int_equal(got[0], N);
	assert_int_equal(ask(c, 0, 'c'), 0);
	close(accept(c->tcp, NULL, NULL));
}

static void test_pid_reset_aborts_its_connection_alone(void **state)
{
	struct ctx *c = *state;
	char pid[16], *err, *argv[] = { bin_fl, "net", "tcp:dport=5302:reset", "--pid", pid,
					"--for", "300ms", "--json", NULL };
	int e0, e1, peer[2];
	json_int_t m, inj;
	struct fl_cli *fl;

	REQUIRE();
	snprintf(pid, sizeof(pid), "%d", (int)c->a[0].pid);
	assert_int_equal(ask(c, 0, 'k'), 0);
	assert_int_equal(ask(c, 1, 'k'), 0);
	peer[0] = accept(c->tcp, NULL, NULL);
	peer[1] = accept(c->tcp, NULL, NULL);
	assert_true(peer[0] >= 0 && peer[1] >= 0);
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	{
		struct fl_cli_result r;
		json_t *s, *rule;

		assert_int_equal(fl_cli_wait(fl, 5000, &r), 0);
		fl_cli_free(fl);
		if (r.code)
			fail_msg("exit %d: %s", r.code, r.err);
		s = fl_cli_json_summary(r.out);
		assert_non_null(s);
		rule = json_array_get(json_object_get(s, "rules"), 0);
		m = json_integer_value(json_object_get(rule, "matched"));
		inj = json_integer_value(json_object_get(rule, "injected"));
		json_decref(s);
		err = strdup(r.err);
		fl_cli_result_free(&r);
	}
	e0 = ask(c, 0, 'r');
	e1 = ask(c, 1, 'r');
	close(peer[0]);
	close(peer[1]);
	print_message("reset on --pid: its connection %s, its cgroup-mate's %s; connections matched %lld reset %lld\n",
		      strerror(e0), strerror(e1), (long long)m, (long long)inj);
	assert_int_equal(e0, ECONNABORTED);
	assert_int_equal(e1, EAGAIN);
	assert_int_equal(m, 1);
	assert_int_equal(inj, 1);
	assert_non_null(strstr(err, "TCP connections (reset: those in its file table"));
	free(err);
}

static void test_pid_refuses_delay_and_rate_naming_the_column(void **state)
{
	static const char *rules[] = { "udp:dport=5301:delay=10ms:dir=egress",
				       "tcp:dport=5302:rate=1mbit" };
	struct ctx *c = *state;
	struct fl_cli_result r;
	char pid[16];

	REQUIRE();
	snprintf(pid, sizeof(pid), "%d", (int)c->a[0].pid);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		char *argv[] = { bin_fl, "net", (char *)rules[i], "--pid", pid, "--for", "1s", NULL };

		assert_int_equal(fl_cli_run(argv, 5000, &r), 0);
		/* rate: refused on any cgroup already (HTB shapes a device) */
		if (r.code != 2 || !strstr(r.err, i == 1 ? "cgroup" : "on --pid is not built") ||
		    !strstr(r.err, "at column"))
			fail_msg("%s: exit %d: %s", rules[i], r.code, r.err);
		fl_cli_result_free(&r);
	}
}

static void test_pid_run_ends_when_the_process_exits(void **state)
{
	struct ctx *c = *state;
	char *sleeper[] = { "sleep", "0.7", NULL };
	char pid[16], *argv[] = { bin_fl, "net", "udp:dport=5301:drop", "--pid", pid, "--json",
				  NULL };
	struct fl_cli_result r;
	struct fl_cli *s;
	json_t *j;

	REQUIRE();
	s = NULL;
	assert_int_equal(fl_cli_start(sleeper, &s), 0);
	assert_int_equal(fl_cgroup_add_pid(c->cgroup, s->pid), 0);
	snprintf(pid, sizeof(pid), "%d", (int)s->pid);
	assert_int_equal(fl_cli_run(argv, 5000, &r), 0);
	fl_cli_free(s);
	print_message("--pid on a process that exits: faultline ended after %llu ms, exit %d\n",
		      (unsigned long long)r.ms, r.code);
	assert_int_equal(r.code, 0);
	assert_false(r.timed_out);
	assert_non_null(strstr(r.err, "exited"));
	j = fl_cli_json_summary(r.out);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "stopped_by")), "exit");
	json_decref(j);
	fl_cli_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_drops_its_datagrams_alone_old_and_new_sockets),
		cmocka_unit_test(test_pid_hits_a_socket_it_made_in_another_cgroup),
		cmocka_unit_test(test_pid_hits_a_connection_accepted_on_its_listener),
		cmocka_unit_test(test_pid_connect_error_fails_its_connect_alone),
		cmocka_unit_test(test_pid_sigkill_leaves_no_program_on_the_cgroup),
		cmocka_unit_test(test_pid_reset_aborts_its_connection_alone),
		cmocka_unit_test(test_pid_refuses_delay_and_rate_naming_the_column),
		cmocka_unit_test(test_pid_run_ends_when_the_process_exits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
