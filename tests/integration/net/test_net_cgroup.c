// SPDX-License-Identifier: GPL-2.0-only
/*
 * A cgroup target (cgroup_skb): a process in the cgroup loses its UDP
 * datagrams on the loopback of a fresh netns, while another process (not
 * in the cgroup) sending the same datagrams to the same port on the same
 * loopback loses none. And the actions cgroup_skb cannot do are refused
 * with the reason, not turned into no-ops.
 */
#include <arpa/inet.h>
#include <errno.h>
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/cgroup.h>
#include <faultline/net.h>

#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT 5001
#define N    200

struct ctx {
	struct fl_netns_pair pair;
	char cgroup[PATH_MAX];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	*state = c;
	if (!c || geteuid() != 0)
		return 0;
	if (fl_netns_pair_create(&c->pair) ||
	    fl_fixture_cgroup_create(c->cgroup, sizeof(c->cgroup)))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c && c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	if (c && c->cgroup[0])
		fl_fixture_cgroup_destroy(c->cgroup);
	free(c);
	return 0;
}

#define SKIP_UNLESS_ROOT()                   \
	do {                                 \
		if (!fl_test_require_root()) \
			skip();              \
	} while (0)

static struct sockaddr_in loopback(void)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return a;
}

/* N datagrams to 127.0.0.1:PORT from a new socket in ns[0]: how many were sent. */
static int send_n(const struct fl_netns_pair *p)
{
	struct sockaddr_in a = loopback();
	int fd = fl_netns_pair_socket(p, 0, AF_INET, SOCK_DGRAM), sent = 0;

	if (fd < 0)
		return fd;
	for (int i = 0; i < N; i++)
		if (sendto(fd, &i, sizeof(i), 0, (struct sockaddr *)&a, sizeof(a)) == sizeof(i))
			sent++;
	close(fd);
	return sent;
}

/* Read until 100 ms of quiet. */
static int drain(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int got = 0, v;

	while (poll(&pfd, 1, 100) > 0)
		if (recv(fd, &v, sizeof(v), 0) == sizeof(v))
			got++;
	return got;
}

static void test_process_in_cgroup_loses_datagrams_and_bystander_does_not(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_UDP, .dir = FL_NET_ABI_BOTH, .action = FL_NET_ACT_DROP,
		.dport_lo = PORT, .dport_hi = PORT,
	};
	struct fl_net_target t = { .kind = FL_NET_TARGET_CGROUP, .cgroup = c->cgroup };
	struct sockaddr_in a = loopback();
	struct fl_net_session *s = NULL;
	struct fl_net_counters k;
	char err[256] = "";
	int rx, status, got_target, got_bystander;
	pid_t pid;

	if (!fl_test_require_root())
		skip();
	rx = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
	assert_true(rx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	if (fl_net_session_open(&r, 1, &t, NULL, &s, err, sizeof(err)) ||
	    fl_net_session_attach(s, err, sizeof(err))) {
		print_message("arm: %s\n", err);
		fail();
	}
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The target: joins the cgroup, then opens its socket. */
		if (fl_cgroup_add_pid(c->cgroup, getpid()))
			_exit(2);
		_exit(send_n(&c->pair) == N ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	got_target = drain(rx);
	/* The bystander: this process, outside the cgroup, same port, same loopback. */
	assert_int_equal(send_n(&c->pair), N);
	got_bystander = drain(rx);
	assert_int_equal(fl_net_session_counters(s, 0, &k), 0);
	fl_net_session_close(s);
	close(rx);
	print_message("in the cgroup: %d of %d arrived; bystander: %d of %d\n",
		      got_target, N, got_bystander, N);
	assert_int_equal(got_target, 0);
	assert_int_equal(got_bystander, N);
	assert_int_equal(k.matched, N);
	assert_int_equal(k.injected, N);
}

static void test_cgroup_refuses_duplicate_and_corrupt_with_the_reason(void **state)
{
	struct ctx *c = *state;
	static const uint8_t refused[] = { FL_NET_ACT_DUPLICATE, FL_NET_ACT_CORRUPT_WIRE,
					   FL_NET_ACT_CORRUPT_PAYLOAD };
	struct fl_net_target t = { .kind = FL_NET_TARGET_CGROUP, .cgroup = c->cgroup };

	SKIP_UNLESS_ROOT();
	for (size_t i = 0; i < sizeof(refused); i++) {
		struct fl_net_rule r = {
			.proto = FL_NET_ABI_UDP, .dir = FL_NET_ABI_EGRESS, .action = refused[i],
		};
		struct fl_net_session *s = NULL;
		char err[256] = "";

		assert_int_equal(fl_net_session_open(&r, 1, &t, NULL, &s, err, sizeof(err)),
				 -EOPNOTSUPP);
		assert_null(s);
		assert_non_null(strstr(err, "cgroup"));
		assert_non_null(strstr(err, "tc clsact"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_process_in_cgroup_loses_datagrams_and_bystander_does_not, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_cgroup_refuses_duplicate_and_corrupt_with_the_reason, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
