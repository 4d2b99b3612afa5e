// SPDX-License-Identifier: GPL-2.0-only
/* The shared test helpers themselves: target, bystander, fixtures. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/bystander.h"
#include "helpers/fixtures.h"
#include "helpers/target.h"

/* Each step: a close(-1), reporting its result as -errno. */
static int steps_child(struct fl_target_child *c)
{
	for (int i = 0; i < 3; i++) {
		if (fl_target_child_wait_step(c))
			return 1;
		fl_target_child_report(c, close(-1) < 0 ? -errno : 0);
	}
	return 7;
}

static void test_child_reports_one_value_per_step_then_exits(void **state)
{
	struct fl_target *t;
	int64_t v;
	int status;

	assert_int_equal(fl_target_spawn(steps_child, NULL, &t), 0);
	assert_true(t->pid > 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fl_target_read(t, &v, 50), -ETIMEDOUT);
		assert_int_equal(fl_target_step(t), 0);
		assert_int_equal(fl_target_read(t, &v, 2000), 0);
		assert_int_equal(v, -EBADF);
	}
	assert_int_equal(fl_target_wait(t, &status, 2000), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	assert_int_equal(fl_target_read(t, &v, 100), -EPIPE);
	fl_target_free(t);
}

static void test_kill_ends_child_blocked_waiting_for_step(void **state)
{
	struct fl_target *t;
	int status;

	assert_int_equal(fl_target_spawn(steps_child, NULL, &t), 0);
	assert_int_equal(fl_target_wait(t, &status, 50), -ETIMEDOUT);
	assert_int_equal(fl_target_kill(t), 0);
	assert_int_equal(fl_target_wait(t, &status, 2000), 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	/* Reaped: the pid is not ours any more, so it is never signalled. */
	assert_int_equal(fl_target_kill(t), -ESRCH);
	fl_target_free(t);
}

static void test_held_exec_target_runs_only_after_step(void **state)
{
	char *argv[] = { "sh", "-c", "exit 5", NULL };
	struct fl_target *t;
	int status;

	assert_int_equal(fl_target_spawn_exec(argv, true, &t), 0);
	assert_int_equal(fl_target_wait(t, &status, 100), -ETIMEDOUT);
	assert_int_equal(fl_target_step(t), 0);
	assert_int_equal(fl_target_wait(t, &status, 5000), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 5);
	fl_target_free(t);
}

static void test_free_kills_and_reaps_a_running_target(void **state)
{
	char *argv[] = { "sleep", "100", NULL };
	struct fl_target *t;
	pid_t pid;

	assert_int_equal(fl_target_spawn_exec(argv, false, &t), 0);
	pid = t->pid;
	fl_target_free(t);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_bystander_counts_calls_and_sees_no_faults(void **state)
{
	struct fl_fixture *fx = *state;
	static const enum fl_bystander_op ops[] = {
		FL_BYSTANDER_OPENAT_CLOSE, FL_BYSTANDER_FSYNC, FL_BYSTANDER_WRITE,
		FL_BYSTANDER_GETPID,
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct fl_bystander_opts o = { .op = ops[i], .dir = fx->path };
		struct fl_bystander_stats s;
		struct fl_bystander *b;

		assert_int_equal(fl_bystander_start(&o, &b), 0);
		usleep(50000);
		assert_int_equal(fl_bystander_stop(b, &s), 0);
		assert_true(s.calls > 0);
		assert_int_equal(s.faults, 0);
		assert_int_equal(s.signal, 0);
	}
}

static int always_eio(void *ctx)
{
	return -EIO;
}

static void test_bystander_counts_failed_calls_and_death_by_signal(void **state)
{
	struct fl_bystander_opts o = { .op = FL_BYSTANDER_CUSTOM, .fn = always_eio };
	struct fl_bystander_stats s;
	struct fl_bystander *b;

	assert_int_equal(fl_bystander_start(&o, &b), 0);
	usleep(20000);
	assert_int_equal(fl_bystander_stop(b, &s), 0);
	assert_true(s.faults > 0 && s.faults == s.calls);
	assert_int_equal(s.first_errno, EIO);

	o.op = FL_BYSTANDER_GETPID;
	assert_int_equal(fl_bystander_start(&o, &b), 0);
	usleep(20000);
	kill(fl_bystander_pid(b), SIGTERM);
	usleep(20000);
	assert_int_equal(fl_bystander_stop(b, &s), 0);
	assert_int_equal(s.signal, SIGTERM);
	assert_true(s.faults >= 1);
}

static void test_tmpdir_fixture_is_removed_with_its_content(void **state)
{
	char path[PATH_MAX], file[PATH_MAX + 8];
	int fd;

	assert_int_equal(fl_fixture_tmpdir_create(path, sizeof(path)), 0);
	snprintf(file, sizeof(file), "%s/f", path);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fl_fixture_tmpdir_destroy(path), 0);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_cgroup2_root_is_found_in_mountinfo(void **state)
{
	char root[PATH_MAX], ctl[PATH_MAX + 32];

	assert_int_equal(fl_fixture_cgroup2_root(root, sizeof(root)), 0);
	snprintf(ctl, sizeof(ctl), "%s/cgroup.procs", root);
	assert_int_equal(access(ctl, F_OK), 0);
}

static void test_root_fixtures_create_and_remove(void **state)
{
	char path[PATH_MAX], name[64], ns[PATH_MAX];

	if (!fl_test_require_root())
		skip();
	assert_int_equal(fl_fixture_tmpfs_create(path, sizeof(path)), 0);
	assert_int_equal(fl_fixture_tmpfs_destroy(path), 0);
	assert_int_equal(access(path, F_OK), -1);

	assert_int_equal(fl_fixture_cgroup_create(path, sizeof(path)), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(fl_fixture_cgroup_destroy(path), 0);
	assert_int_equal(access(path, F_OK), -1);

	fl_fixture_netns_name(name, sizeof(name));
	snprintf(ns, sizeof(ns), "/run/netns/%s", name);
	assert_int_equal(fl_fixture_netns_create(name), 0);
	assert_int_equal(access(ns, F_OK), 0);
	{
		char *argv[] = { "ip", "link", "set", "lo", "up", NULL };

		assert_int_equal(fl_fixture_netns_cmd(name, argv), 0);
	}
	assert_int_equal(fl_fixture_netns_delete(name), 0);
	assert_int_equal(access(ns, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_reports_one_value_per_step_then_exits),
		cmocka_unit_test(test_kill_ends_child_blocked_waiting_for_step),
		cmocka_unit_test(test_held_exec_target_runs_only_after_step),
		cmocka_unit_test(test_free_kills_and_reaps_a_running_target),
		cmocka_unit_test_setup_teardown(test_bystander_counts_calls_and_sees_no_faults,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test(test_bystander_counts_failed_calls_and_death_by_signal),
		cmocka_unit_test(test_tmpdir_fixture_is_removed_with_its_content),
		cmocka_unit_test(test_cgroup2_root_is_found_in_mountinfo),
		cmocka_unit_test(test_root_fixtures_create_and_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
