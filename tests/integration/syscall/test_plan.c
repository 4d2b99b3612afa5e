// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl_syscall_plan: DESIGN.md's ladders, rule by rule, on the running
 * kernel. Expectations that depend on the kernel ask the probe what it
 * allows, so the same test holds on this host and in the VM tier.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/syscall.h>
#include "helpers/fixtures.h"

static const struct fl_syscall_targets launched = { .launched = true };
static const pid_t self_pid[] = { 1 };
static const struct fl_syscall_targets running = { .pids = self_pid, .n_pids = 1 };

static bool works(enum fl_mechanism m)
{
	struct fl_probe_result r;

	return fl_probe_mechanism(m, &r) == 0 && r.status == FL_PROBE_WORKS;
}

/* Plan texts[] for t; returns the error, fills plan and msg. */
static int plan(const char *const *texts, size_t n, const struct fl_syscall_targets *t,
		int force, struct fl_syscall_plan *p, char *msg, size_t len)
{
	struct fl_rule rules[FL_SC_MAX_RULES];
	struct fl_rule_error err = { 0 };
	int bad, ret;

	for (size_t i = 0; i < n; i++)
		if (fl_rule_parse(texts[i], &rules[i], &err))
			fail_msg("parse '%s': %s", texts[i], err.message);
	ret = fl_syscall_plan(rules, n, t, force, p, &bad, &err);
	snprintf(msg, len, "%s", ret ? err.message : "");
	if (ret)
		print_message("refused: %s\n", msg);
	return ret;
}

#define PLAN1(text, t, force, p, msg) \
	plan((const char *const[]){ text }, 1, t, force, p, msg, sizeof(msg))

static bool setup_ok(void)
{
	if (!fl_test_require_root())
		return false;
	if (!works(FL_MECH_SEND_SIGNAL) || !works(FL_MECH_SECCOMP_NOTIFY)) {
		print_message("skip: bpf_send_signal or seccomp notification unavailable\n");
		return false;
	}
	return true;
}

static void test_launched_commands_use_seccomp_unless_all_rules_are_crash_points(void **state)
{
	struct fl_syscall_plan p;
	char msg[400];

	(void)state;
	if (!setup_ok())
		skip();
	assert_int_equal(PLAN1("fsync:error=EIO:when=3", &launched, -1, &p, msg), 0);
	assert_int_equal(p.mech[0], FL_MECH_SECCOMP_NOTIFY);
	assert_int_equal(PLAN1("fsync:signal=SIGKILL:when=3", &launched, -1, &p, msg), 0);
	assert_int_equal(p.mech[0], FL_MECH_SEND_SIGNAL);
	/* A mixed set stays in one mechanism, so rule order holds. */
	assert_int_equal(plan((const char *const[]){ "fsync:signal=SIGKILL:when=5",
						     "fsync:error=EIO:when=3" },
			      2, &launched, -1, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.mech[0], FL_MECH_SECCOMP_NOTIFY);
	assert_int_equal(p.mech[1], FL_MECH_SECCOMP_NOTIFY);
	/* "*" cannot be notified: the BPF ladder takes it. */
	assert_int_equal(PLAN1("*:pause=10ms:when=100", &launched, -1, &p, msg), 0);
	assert_int_equal(p.mech[0], FL_MECH_SIGSTOP);
}

static void test_running_targets_delay_spins_short_and_stops_long(void **state)
{
	struct fl_syscall_plan p;
	char msg[400];

	(void)state;
	if (!setup_ok())
		skip();
	assert_int_equal(PLAN1("write:delay=1ms", &running, -1, &p, msg), 0);
	assert_int_equal(p.mech[0], works(FL_MECH_BPF_LOOP_DELAY) ? FL_MECH_BPF_LOOP_DELAY
								 : FL_MECH_SIGSTOP);
	assert_int_equal(PLAN1("write:delay=2s", &running, -1, &p, msg), 0);
	assert_int_equal(p.mech[0], FL_MECH_SIGSTOP);
	assert_int_equal(PLAN1("write:delay=2s", &running, FL_MECH_BPF_LOOP_DELAY, &p, msg),
			 -EOPNOTSUPP);
	assert_non_null(strstr(msg, "2ms"));
	assert_int_equal(PLAN1("fsync:pause=1s", &running, -1, &p, msg), 0);
	assert_int_equal(p.mech[0], FL_MECH_SIGSTOP);
	assert_int_equal(PLAN1("fsync:signal=SIGKILL", &running, -1, &p, msg), 0);
	assert_int_equal(p.mech[0], FL_MECH_SEND_SIGNAL);
}

/*
 * A stop signal as a crash point would leave the process stopped with
 * nothing to continue it: refused, naming pause=, for running and
 * launched targets alike.
 */
static void test_stop_signals_as_crash_points_are_refused_for_pause(void **state)
{
	static const char *const stops[] = {
		"fsync:signal=SIGSTOP:when=5", "fsync:signal=SIGTSTP", "write:signal=SIGTTOU",
		"fsync:signal=19",
	};
	struct fl_syscall_plan p;
	char msg[400];

	(void)state;
	if (!setup_ok())
		skip();
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		assert_int_equal(PLAN1(stops[i], &running, -1, &p, msg), -EOPNOTSUPP);
		assert_non_null(strstr(msg, "pause="));
		assert_int_equal(PLAN1(stops[i], &launched, -1, &p, msg), -EOPNOTSUPP);
		assert_int_equal(PLAN1(stops[i], &running, FL_MECH_SEND_SIGNAL, &p, msg),
				 -EOPNOTSUPP);
	}
	assert_int_equal(PLAN1("fsync:signal=SIGKILL", &running, -1, &p, msg), 0);
	assert_int_equal(PLAN1("fsync:pause=1s", &running, -1, &p, msg), 0);
}

static void test_running_targets_errors_follow_the_errno_ladder(void **state)
{
	bool lsm = works(FL_MECH_BPF_LSM), fmod = works(FL_MECH_FMOD_RET_SECURITY);
	struct fl_syscall_plan p;
	char msg[400];
	int ret;

	(void)state;
	if (!setup_ok())
		skip();
	/* No LSM hook runs in fsync, on any kernel. */
	assert_int_equal(PLAN1("fsync:error=EIO", &running, -1, &p, msg), -EOPNOTSUPP);
	assert_non_null(strstr(msg, "launch"));

	ret = PLAN1("openat:error=EACCES", &running, -1, &p, msg);
	if (lsm || fmod) {
		assert_int_equal(ret, 0);
		assert_int_equal(p.mech[0], lsm ? FL_MECH_BPF_LSM : FL_MECH_FMOD_RET_SECURITY);
	} else {
		assert_int_equal(ret, -EOPNOTSUPP);
		assert_non_null(strstr(msg, "bpf-lsm"));
		assert_non_null(strstr(msg, "launch"));
	}

	ret = PLAN1("connect:error=ECONNREFUSED", &running, -1, &p, msg);
	if (lsm || fmod || works(FL_MECH_CGROUP_SOCK)) {
		assert_int_equal(ret, 0);
		if (!lsm && !fmod)
			assert_int_equal(p.mech[0], FL_MECH_CGROUP_SOCK);
	}
	assert_int_equal(PLAN1("connect:error=ECONNREFUSED", &running, FL_MECH_CGROUP_SOCK,
			       &p, msg), works(FL_MECH_CGROUP_SOCK) ? 0 : -EOPNOTSUPP);
}

static void test_refusals_name_what_would_work(void **state)
{
	struct fl_syscall_plan p;
	char msg[400];

	(void)state;
	if (!setup_ok())
		skip();
	assert_int_equal(PLAN1("write:retval=0", &running, -1, &p, msg), -EOPNOTSUPP);
	assert_non_null(strstr(msg, "seccomp-notify"));
	assert_int_equal(PLAN1("openat:signal=SIGKILL:path=/data/*", &running, -1, &p, msg),
			 -EOPNOTSUPP);
	assert_non_null(strstr(msg, "path="));
	assert_int_equal(PLAN1("openat:error=EIO:path=/data/*", &launched, -1, &p, msg), 0);
	assert_int_equal(p.mech[0], FL_MECH_SECCOMP_NOTIFY);
	/* seccomp cannot reach a running process. */
	assert_int_equal(PLAN1("fsync:error=EIO", &running, FL_MECH_SECCOMP_NOTIFY, &p, msg),
			 -EOPNOTSUPP);
	assert_non_null(strstr(msg, "'--'"));
	/* Not a syscall mechanism at all. */
	assert_int_equal(PLAN1("fsync:error=EIO", &launched, FL_MECH_TC, &p, msg), -EOPNOTSUPP);
}

static void test_rules_sharing_a_syscall_across_hooks_are_refused(void **state)
{
	struct fl_syscall_plan p;
	char msg[400];

	(void)state;
	if (!setup_ok() || !works(FL_MECH_CGROUP_SOCK))
		skip();
	/* connect at sys_enter (signal) and in the socket hook (error): counted twice. */
	assert_int_equal(plan((const char *const[]){ "connect:signal=SIGKILL:when=9",
						     "connect:error=ECONNREFUSED" },
			      2, &running, -1, &p, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "first rule that fires wins"));
	/* Different syscalls: fine. */
	assert_int_equal(plan((const char *const[]){ "fsync:signal=SIGKILL:when=9",
						     "connect:error=ECONNREFUSED" },
			      2, &running, -1, &p, msg, sizeof(msg)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launched_commands_use_seccomp_unless_all_rules_are_crash_points),
		cmocka_unit_test(test_running_targets_delay_spins_short_and_stops_long),
		cmocka_unit_test(test_stop_signals_as_crash_points_are_refused_for_pause),
		cmocka_unit_test(test_running_targets_errors_follow_the_errno_ladder),
		cmocka_unit_test(test_refusals_name_what_would_work),
		cmocka_unit_test(test_rules_sharing_a_syscall_across_hooks_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
