// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl_simulate_failure for real, one domain each: a faultfs rule and a
 * power cut on a real mount, a syscall crash point on a process of ours,
 * a net rule in a netns pair, a process stopped and continued. Each
 * checks that the fault bites while armed and is gone once cleared.
 * (The node domain is fl_node_fault_arm's, tested in tests/integration/cluster.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/recovery.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

static int try_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "x", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

static void fs_rule_and_powercut(void **state)
{
	struct fl_faultfs_mount *m = *state;
	struct fl_failure f = { .domain = FL_FAILURE_FS, .rule = "write:error=EIO" };
	struct fl_failure_handle *h;
	char why[256] = "";
	uint64_t matched, injected;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(m, NULL), 0);
	f.mountpoint = m->mnt;
	assert_int_equal(try_write(fl_test_path(m->mnt, "a")), 0);
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), 0);
	assert_int_equal(try_write(fl_test_path(m->mnt, "a")), -EIO);
	assert_int_equal(fl_failure_counters(h, &matched, &injected), 0);
	assert_int_equal(fl_failure_clear(h, why, sizeof(why)), 0);
	assert_int_equal(try_write(fl_test_path(m->mnt, "a")), 0);

	/* A rule faultfs refuses: its own reason. */
	f.rule = "write:error=ENOTANERRNO";
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), -EINVAL);
	print_message("refused: %s\n", why);

	/* A power cut: a file never fsynced, nor its directory, is gone. */
	assert_int_equal(try_write(fl_test_path(m->mnt, "b")), 0);
	assert_int_equal(access(fl_test_path(m->mnt, "b"), F_OK), 0);
	f.rule = NULL;
	f.powercut = true;
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), 0);
	assert_int_not_equal(access(fl_test_path(m->mnt, "b"), F_OK), 0);
	assert_int_equal(fl_failure_clear(h, why, sizeof(why)), 0);
	assert_int_equal(try_write(fl_test_path(m->mnt, "b")), 0);
}

static void syscall_crash_point(void **state)
{
	struct fl_failure f = { .domain = FL_FAILURE_SYSCALL, .rule = "fsync:signal=SIGKILL" };
	struct fl_failure_handle *h;
	char why[256] = "";
	int go[2], st, err;
	pid_t pid;

	(void)state;
	if (!fl_test_require_root())
		skip();
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		fsync(1);
		_exit(0);
	}
	close(go[0]);
	f.pid = pid;
	err = fl_simulate_failure(&f, why, sizeof(why), &h);
	if (err == -EOPNOTSUPP) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		print_message("skip: %s\n", why);
		skip();
	}
	assert_int_equal(err, 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(go[1]);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(fl_failure_clear(h, why, sizeof(why)), 0);
}

/* A datagram from ns[0] to ns[1]:port: did it arrive within 300 ms? */
static bool udp_arrives(const struct fl_netns_pair *p, int rx)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9999),
				  .sin_addr = p->ip4[1] };
	int tx = fl_netns_pair_socket(p, 0, AF_INET, SOCK_DGRAM);
	char buf[8];
	bool got;

	assert_true(tx >= 0);
	assert_int_equal(sendto(tx, "hi", 2, 0, (struct sockaddr *)&to, sizeof(to)), 2);
	got = recv(rx, buf, sizeof(buf), 0) == 2;
	close(tx);
	return got;
}

static void net_rule_in_a_netns(void **state)
{
	struct fl_netns_pair p;
	struct fl_failure f = { .domain = FL_FAILURE_NET, .rule = "udp:dport=9999:drop" };
	struct fl_failure_handle *h;
	struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(9999) };
	struct timeval tv = { .tv_usec = 300000 };
	uint64_t matched = 0, injected = 0;
	char why[512] = "";
	int rx, err;

	(void)state;
	if (!fl_test_require_root())
		skip();
	assert_int_equal(fl_netns_pair_create(&p), 0);
	rx = fl_netns_pair_socket(&p, 1, AF_INET, SOCK_DGRAM);
	assert_true(rx >= 0);
	at.sin_addr = p.ip4[1];
	assert_int_equal(bind(rx, (struct sockaddr *)&at, sizeof(at)), 0);
	assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_true(udp_arrives(&p, rx));

	f.netns = p.ns[1];
	err = fl_simulate_failure(&f, why, sizeof(why), &h);
	if (err)
		print_message("net: %s\n", why);
	assert_int_equal(err, 0);
	assert_false(udp_arrives(&p, rx));
	assert_int_equal(fl_failure_counters(h, &matched, &injected), 0);
	assert_true(injected >= 1);
	assert_int_equal(fl_failure_clear(h, why, sizeof(why)), 0);
	assert_true(udp_arrives(&p, rx));

	/* What this path cannot do: delay needs the shaping `faultline net` sets up. */
	f.rule = "udp:delay=10ms";
	err = fl_simulate_failure(&f, why, sizeof(why), &h);
	print_message("delay: %d %s\n", err, why);
	assert_int_equal(err, -EOPNOTSUPP);
	close(rx);
	fl_netns_pair_destroy(&p);
}

static void process_stop_and_continue(void **state)
{
	struct fl_failure f = { .domain = FL_FAILURE_PROCESS, .signal = SIGSTOP };
	struct fl_failure_handle *h;
	char why[256] = "";
	int st;
	pid_t pid = fork();

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	f.process = pid;
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), 0);
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	assert_true(WIFSTOPPED(st));
	assert_int_equal(fl_failure_clear(h, why, sizeof(why)), 0);
	assert_int_equal(waitpid(pid, &st, WCONTINUED), pid);
	assert_true(WIFCONTINUED(st));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fs_rule_and_powercut, fl_faultfs_setup,
						fl_faultfs_teardown),
		cmocka_unit_test(syscall_crash_point),
		cmocka_unit_test(net_rule_in_a_netns),
		cmocka_unit_test(process_stop_and_continue),
	};

	return cmocka_run_group_tests_name("recovery api failures", tests, NULL, NULL);
}
