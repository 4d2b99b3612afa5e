// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl_syscall_run, the library's whole syscall run, without the CLI (root):
 * a launched command on the seccomp supervisor and on a BPF crash point,
 * a command that cannot run, running targets until for_ns or a stop
 * signal, and the configurations it refuses before touching anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/rule.h>
#include <faultline/syscall.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static char bin_seq[PATH_MAX];

/* What the callbacks saw. */
struct seen {
	unsigned injected, failed;
	unsigned armed, disarmed, gave_up;
};

static int on_event(void *ctx, const struct fl_event *ev)
{
	struct seen *s = ctx;

	if (ev->result == FL_RESULT_INJECTED)
		s->injected++;
	else
		s->failed++;
	return 0;
}

static void on_phase(void *ctx, enum fl_syscall_run_phase phase,
		     const struct fl_syscall_run_result *now)
{
	struct seen *s = ctx;

	s->armed += phase == FL_SC_RUN_ARMED;
	s->disarmed += phase == FL_SC_RUN_DISARMED;
	s->gave_up += phase == FL_SC_RUN_GAVE_UP;
}

static const struct fl_syscall_run_ops ops = { .on_event = on_event, .on_phase = on_phase };

static void rule(const char *text, struct fl_rule *ret)
{
	struct fl_rule_error err;

	assert_int_equal(fl_rule_parse(text, ret, &err), 0);
}

static bool require(void)
{
	if (!fl_test_require_root())
		return false;
	return fl_test_binary("targets/fl-errno-seq", bin_seq, sizeof(bin_seq));
}

/* signal= rules plan to send-signal: skip (with why) where it does not work. */
static bool require_send_signal(void)
{
	struct fl_probe_result probe;

	if (!require())
		return false;
	if (fl_syscall_probe(&probe)) {
		print_message("skip: bpf_send_signal unavailable: %s\n", probe.detail);
		return false;
	}
	return true;
}

/* Run with the command's stdout on /dev/null: its lines are not ours. */
static int run_quiet(const struct fl_syscall_run_cfg *cfg, struct seen *s,
		     struct fl_syscall_run_result *res, struct fl_syscall_run_error *why)
{
	int saved = dup(1), null = open("/dev/null", O_WRONLY), err;

	dup2(null, 1);
	err = fl_syscall_run(cfg, &ops, s, res, why);
	dup2(saved, 1);
	close(saved);
	close(null);
	return err;
}

static void test_launched_command_on_seccomp_reports_each_injection(void **state)
{
	char *argv[] = { bin_seq, "getppid", "5", NULL };
	struct fl_syscall_run_result res;
	struct fl_syscall_run_error why;
	struct seen s = { 0 };
	struct fl_rule r;

	if (!require())
		skip();
	rule("getppid:error=EPERM:when=2..3", &r);
	{
		struct fl_syscall_run_cfg cfg = { .rules = &r, .n_rules = 1, .argv = argv };

		assert_int_equal(run_quiet(&cfg, &s, &res, &why), 0);
	}
	assert_int_equal(res.plan.mech[0], FL_MECH_SECCOMP_NOTIFY);
	assert_true(res.exited && WIFEXITED(res.wstatus) && WEXITSTATUS(res.wstatus) == 0);
	assert_true(res.pid > 0);
	assert_int_equal(res.stats[0].matched, 5);
	assert_int_equal(res.stats[0].injected, 2);
	assert_int_equal(s.injected, 2);
	assert_int_equal(s.armed, 1);
	assert_int_equal(res.stop_signal, 0);
}

static void test_launched_command_meets_a_bpf_crash_point(void **state)
{
	char *argv[] = { bin_seq, "getppid", "5", NULL };
	struct fl_syscall_run_result res;
	struct fl_syscall_run_error why;
	struct seen s = { 0 };
	struct fl_rule r;

	if (!require_send_signal())
		skip();
	rule("getppid:signal=SIGKILL:when=3", &r);
	{
		struct fl_syscall_run_cfg cfg = { .rules = &r, .n_rules = 1, .argv = argv };

		assert_int_equal(run_quiet(&cfg, &s, &res, &why), 0);
	}
	assert_int_equal(res.plan.mech[0], FL_MECH_SEND_SIGNAL);
	assert_true(res.exited && WIFSIGNALED(res.wstatus) && WTERMSIG(res.wstatus) == SIGKILL);
	assert_int_equal(res.stats[0].injected, 1);
	assert_int_equal(s.injected, 1);
}

static void test_missing_command_fails_at_launch_on_both_mechanisms(void **state)
{
	const char *rules[] = { "fsync:error=EIO", "fsync:signal=SIGKILL" };
	char *argv[] = { "/nonexistent/faultline-test-command", NULL };

	if (!require_send_signal())
		skip();
	for (size_t i = 0; i < 2; i++) {
		struct fl_syscall_run_cfg cfg = { .n_rules = 1, .argv = argv };
		struct fl_syscall_run_result res;
		struct fl_syscall_run_error why;
		struct seen s = { 0 };
		struct fl_rule r;

		rule(rules[i], &r);
		cfg.rules = &r;
		assert_int_equal(fl_syscall_run(&cfg, &ops, &s, &res, &why), -ENOENT);
		assert_int_equal(why.step, FL_SC_RUN_STEP_LAUNCH);
		assert_int_equal(s.armed, 0);
	}
}

/* A process that calls getppid every 10 ms until killed. */
static pid_t start_target(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;) {
			getppid();
			usleep(10000);
		}
	}
	return pid;
}

static void stop_target(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_running_target_run_ends_with_for_ns(void **state)
{
	struct fl_syscall_run_result res;
	struct fl_syscall_run_error why;
	struct seen s = { 0 };
	struct fl_rule r;
	pid_t pid;
	uint64_t t0;

	if (!require_send_signal())
		skip();
	rule("getppid:signal=SIGKILL:when=1000000000", &r);
	pid = start_target();
	{
		struct fl_syscall_run_cfg cfg = {
			.rules = &r, .n_rules = 1, .for_ns = 300 * 1000000ull,
			.targets = { .pids = &pid, .n_pids = 1 },
		};

		t0 = now_ms();
		assert_int_equal(fl_syscall_run(&cfg, &ops, &s, &res, &why), 0);
	}
	print_message("  run took %llu ms\n", (unsigned long long)(now_ms() - t0));
	assert_true(now_ms() - t0 >= 300);
	assert_int_equal(s.armed, 1);
	assert_int_equal(s.disarmed, 1);
	assert_int_equal(res.pid, 0);
	assert_false(res.exited);
	assert_int_equal(res.stats[0].injected, 0);
	/* The target was left alone, alive. */
	assert_int_equal(kill(pid, 0), 0);
	stop_target(pid);
}

static void test_stop_signal_ends_a_running_target_run(void **state)
{
	struct fl_syscall_run_result res;
	struct fl_syscall_run_error why;
	struct seen s = { 0 };
	sigset_t stop, old;
	struct fl_rule r;
	pid_t pid, killer;
	uint64_t t0;

	if (!require_send_signal())
		skip();
	rule("getppid:signal=SIGKILL:when=1000000000", &r);
	sigemptyset(&stop);
	sigaddset(&stop, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &stop, &old), 0);
	pid = start_target();
	killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		usleep(500000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	{
		struct fl_syscall_run_cfg cfg = {
			.rules = &r, .n_rules = 1, .for_ns = 20ull * 1000000000,
			.targets = { .pids = &pid, .n_pids = 1 }, .stop_signals = &stop,
		};

		t0 = now_ms();
		assert_int_equal(fl_syscall_run(&cfg, &ops, &s, &res, &why), 0);
	}
	print_message("  stopped %llu ms after the start\n", (unsigned long long)(now_ms() - t0));
	assert_true(now_ms() - t0 < 10000);
	assert_int_equal(res.stop_signal, SIGUSR1);
	assert_int_equal(s.disarmed, 1);
	assert_false(res.gave_up);
	/* A running target is not sent the stop signal: it is not ours. */
	assert_int_equal(kill(pid, 0), 0);
	waitpid(killer, NULL, 0);
	stop_target(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_bad_configurations_are_refused_before_anything_runs(void **state)
{
	char *argv[] = { "/bin/true", NULL };
	pid_t self = getpid(), other = 1;
	struct fl_syscall_run_cfg none = { .n_rules = 1, .argv = NULL };
	struct fl_syscall_run_cfg zero = { .n_rules = 0, .argv = argv };
	struct fl_syscall_run_cfg both = {
		.n_rules = 1, .argv = argv, .targets = { .pids = &other, .n_pids = 1 },
	};
	struct fl_syscall_run_cfg me = { .n_rules = 1, .targets = { .pids = &self, .n_pids = 1 } };
	struct fl_syscall_run_cfg *bad[] = { &none, &zero, &both, &me };
	struct fl_rule r;

	rule("fsync:error=EIO", &r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fl_syscall_run_result res;
		struct fl_syscall_run_error why;
		struct seen s = { 0 };

		bad[i]->rules = &r;
		assert_int_equal(fl_syscall_run(bad[i], &ops, &s, &res, &why), -EINVAL);
		assert_int_equal(why.step, FL_SC_RUN_STEP_SETUP);
		assert_int_equal(s.armed, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launched_command_on_seccomp_reports_each_injection),
		cmocka_unit_test(test_launched_command_meets_a_bpf_crash_point),
		cmocka_unit_test(test_missing_command_fails_at_launch_on_both_mechanisms),
		cmocka_unit_test(test_running_target_run_ends_with_for_ns),
		cmocka_unit_test(test_stop_signal_ends_a_running_target_run),
		cmocka_unit_test(test_bad_configurations_are_refused_before_anything_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
