// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where the sys_enter rules run: on fentry of the function of each
 * syscall they name where the kernel allows fentry
 * (userspace/syscall/enter_fentry.c; Debian's 6.1 under make check-vm, not
 * this project's hardened host, which refuses it), else on the tracepoints
 * of those syscalls (enter_tp.c), so that a bystander's other syscalls run
 * no program at all, and on raw sys_enter when a named syscall has no
 * tracepoint by its name. Either way every call of a target is seen: the
 * counts are exact. No timing: the kernel's own run counter of the program
 * (BPF_ENABLE_STATS) says whether it ran.
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "helpers/bystander.h"
#include "helpers/fixtures.h"
#include <faultline/kernfs.h>
#include <faultline/syscall.h>
#include "syscall/syscall_priv.h"

static bool require(void)
{
	struct fl_probe_result why;

	if (!fl_test_require_root())
		return false;
	if (fl_syscall_probe(&why)) {
		print_message("skip: bpf_send_signal unavailable: %s\n", why.detail);
		return false;
	}
	return true;
}

static bool has_tracepoint(const char *name)
{
	char path[PATH_MAX];

	fl_kernfs_ensure(FL_KERNFS_TRACEFS, NULL);
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/sys_enter_%s", name);
	return access(path, F_OK) == 0;
}

static int count_event(void *ctx, const struct fl_event *ev)
{
	(void)ev;
	(*(int *)ctx)++;
	return 0;
}

static void prog_info(int fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, info, &len), 0);
}

/* A child that stops itself, then makes n calls of sc (fsync or stat), then exits. */
static pid_t stopped_child(long sc, int n)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct stat st;
		int fd = open("/dev/null", O_RDONLY);

		raise(SIGSTOP);
		for (int i = 0; i < n; i++)
			if (sc == SYS_fsync)
				syscall(SYS_fsync, fd);
			else
				syscall(sc, "/", &st);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
	return pid;
}

/* Let the stopped child run to its end; it must exit 0 (SIGCONT is harmless). */
static void finish(pid_t pid)
{
	int status;

	kill(pid, SIGCONT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * Does this kernel load fentry programs? The probe's verdict (it loads
 * fentry/security_file_open); a refusal is a skip that names it.
 */
static bool require_fentry(void)
{
	struct fl_probe_result r;
	int err = fl_probe_mechanism(FL_MECH_FENTRY, &r);

	if (err) {
		print_message("skip: the fentry probe could not run: %s\n", strerror(-err));
		return false;
	}
	if (r.status != FL_PROBE_WORKS) {
		print_message("skip: this kernel refuses fentry (%s: %s): the sys_enter rules use the tracepoints here\n",
			      fl_probe_status_name(r.status), r.detail);
		return false;
	}
	return true;
}

static int expect_third_fsync(void *ctx, const struct fl_event *ev)
{
	int *events = ctx;

	(*events)++;
	assert_int_equal(ev->seq, 3);
	assert_int_equal(ev->op, SYS_fsync);
	assert_int_equal(ev->value, SIGKILL);
	assert_int_equal(ev->result, FL_RESULT_INJECTED);
	return 0;
}

/* A child that stops itself, then writes a line and fsyncs it, 10 times. */
static pid_t stopped_fsyncer(const char *log)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		raise(SIGSTOP);
		for (int i = 0; i < 10; i++)
			if (fd < 0 || write(fd, "x\n", 2) != 2 || syscall(SYS_fsync, fd))
				_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
	return pid;
}

/*
 * Where fentry loads, a crash point runs on __x64_sys_fsync itself: the
 * session says so, the program is a tracing one, the target dies at its
 * third fsync exactly, and a bystander fsyncing all along is neither
 * faulted nor counted.
 */
static void test_crash_point_on_fentry_fires_at_the_nth_call_and_skips_bystanders(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_bystander_opts bo = { .op = FL_BYSTANDER_FSYNC, .dir = fx->path };
	struct fl_syscall_session *s = NULL;
	struct fl_bystander *b = NULL;
	struct fl_bystander_stats bs;
	struct fl_syscall_stats st;
	struct bpf_prog_info info;
	struct fl_rule rule;
	char log[PATH_MAX], buf[64];
	int events = 0, status, fd;
	ssize_t n;
	pid_t pid;

	if (!require() || !require_fentry())
		skip();
	if (snprintf(log, sizeof(log), "%s/log", fx->path) >= (int)sizeof(log))
		fail_msg("tmpdir path too long");
	assert_int_equal(fl_rule_parse("fsync:signal=SIGKILL:when=3", &rule, NULL), 0);
	assert_int_equal(fl_syscall_session_open(&rule, 1, NULL, NULL, expect_third_fsync,
						 &events, &s), 0);
	assert_int_equal(fl_syscall_session_enter_hook(s), FL_MECH_FENTRY);
	prog_info(fl_sc_session_enter_fd(s), &info);
	assert_int_equal(info.type, BPF_PROG_TYPE_TRACING);
	assert_int_equal(fl_bystander_start(&bo, &b), 0);

	pid = stopped_fsyncer(log);
	assert_int_equal(fl_syscall_session_add_target(s, pid, false), 0);
	kill(pid, SIGCONT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	fl_syscall_session_poll(s, 100);
	assert_int_equal(fl_syscall_session_stats(s, 0, &st), 0);
	assert_int_equal(fl_bystander_stop(b, &bs), 0);
	fl_syscall_session_close(s);

	/* Three lines written: the kill came at the third fsync, not before. */
	fd = open(log, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 6);
	print_message("bystander: %llu fsyncs, %llu faults; target: matched %llu\n",
		      (unsigned long long)bs.calls, (unsigned long long)bs.faults,
		      (unsigned long long)st.matched);
	assert_true(bs.calls > 0);
	assert_int_equal(bs.faults, 0);
	/* The bystander's fsyncs were not counted: the target's three alone. */
	assert_int_equal(st.matched, 3);
	assert_int_equal(st.injected, 1);
	assert_int_equal(events, 1);
}

/*
 * A rule on vhangup, a syscall nobody makes: its program must not run for
 * 20000 getppid calls. fentry: the hook must be fentry (else either).
 */
static void rule_on_vhangup_runs_no_program(bool fentry)
{
	struct fl_syscall_session *s = NULL;
	struct bpf_prog_info before, after;
	struct fl_rule rule;
	int events = 0, stats, fd;

	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0) {
		print_message("skip: BPF_ENABLE_STATS: %s\n", strerror(errno));
		skip();
	}
	assert_int_equal(fl_rule_parse("vhangup:signal=SIGCONT", &rule, NULL), 0);
	assert_int_equal(fl_syscall_session_open(&rule, 1, NULL, NULL, count_event, &events, &s), 0);
	fd = fl_sc_session_enter_fd(s);
	assert_true(fd >= 0);
	prog_info(fd, &before);
	/* fentry where the kernel allows it, else the tracepoint. */
	if (fentry)
		assert_int_equal(before.type, BPF_PROG_TYPE_TRACING);
	assert_true(before.type == BPF_PROG_TYPE_TRACEPOINT || before.type == BPF_PROG_TYPE_TRACING);
	assert_int_equal(fl_syscall_session_enter_hook(s), before.type == BPF_PROG_TYPE_TRACING ?
							   FL_MECH_FENTRY : FL_MECH_TRACEPOINT);
	/* On raw sys_enter, the program would run 20000 times here. */
	for (int i = 0; i < 20000; i++)
		syscall(SYS_getppid);
	prog_info(fd, &after);
	fl_syscall_session_close(s);
	close(stats);
	print_message("program runs during 20000 getppid: %llu\n",
		      (unsigned long long)(after.run_cnt - before.run_cnt));
	assert_int_equal(after.run_cnt - before.run_cnt, 0);
	assert_int_equal(events, 0);
}

/* Where fentry loads, a rule on a syscall nobody makes runs no program for others. */
static void test_fentry_hook_runs_no_program_for_other_syscalls(void **state)
{
	(void)state;
	if (!require() || !require_fentry())
		skip();
	rule_on_vhangup_runs_no_program(true);
}

static void test_bystander_syscalls_run_no_program(void **state)
{
	(void)state;
	if (!require())
		skip();
	/* A syscall nobody makes, with a tracepoint of its own. */
	if (!has_tracepoint("vhangup")) {
		print_message("skip: no syscalls:sys_enter_vhangup tracepoint\n");
		skip();
	}
	rule_on_vhangup_runs_no_program(false);
}

static void test_every_named_call_of_a_target_is_seen_on_its_tracepoint(void **state)
{
	struct fl_syscall_session *s = NULL;
	struct fl_syscall_stats st;
	struct bpf_prog_info info;
	struct fl_rule rule;
	int events = 0;
	pid_t pid;

	(void)state;
	if (!require())
		skip();
	if (!has_tracepoint("fsync")) {
		print_message("skip: no syscalls:sys_enter_fsync tracepoint\n");
		skip();
	}
	assert_int_equal(fl_rule_parse("fsync:signal=SIGCONT", &rule, NULL), 0);
	assert_int_equal(fl_syscall_session_open(&rule, 1, NULL, NULL, count_event, &events, &s), 0);
	prog_info(fl_sc_session_enter_fd(s), &info);
	assert_true(info.type == BPF_PROG_TYPE_TRACEPOINT || info.type == BPF_PROG_TYPE_TRACING);
	pid = stopped_child(SYS_fsync, 200);
	assert_int_equal(fl_syscall_session_add_target(s, pid, false), 0);
	finish(pid);
	fl_syscall_session_poll(s, 100);
	assert_int_equal(fl_syscall_session_stats(s, 0, &st), 0);
	fl_syscall_session_close(s);
	assert_int_equal(st.matched, 200);
	assert_int_equal(st.injected, 200);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(events, 200);
}

static void test_a_syscall_without_a_tracepoint_by_its_name_uses_raw_sys_enter(void **state)
{
	struct fl_syscall_session *s = NULL;
	struct fl_syscall_stats st;
	struct bpf_prog_info info;
	struct fl_rule rule;
	int events = 0;
	pid_t pid;

	(void)state;
	if (!require())
		skip();
#ifdef SYS_stat
	/* x86-64's stat is the kernel's sys_newstat: no sys_enter_stat. */
	if (has_tracepoint("stat") || !has_tracepoint("newstat")) {
		print_message("skip: this kernel names stat's tracepoint sys_enter_stat\n");
		skip();
	}
	assert_int_equal(fl_rule_parse("stat:signal=SIGCONT", &rule, NULL), 0);
	assert_int_equal(fl_syscall_session_open(&rule, 1, NULL, NULL, count_event, &events, &s), 0);
	prog_info(fl_sc_session_enter_fd(s), &info);
	assert_int_equal(info.type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	assert_int_equal(fl_syscall_session_enter_hook(s), FL_MECH_RAW_TP);
	pid = stopped_child(SYS_stat, 7);
	assert_int_equal(fl_syscall_session_add_target(s, pid, false), 0);
	finish(pid);
	fl_syscall_session_poll(s, 100);
	assert_int_equal(fl_syscall_session_stats(s, 0, &st), 0);
	fl_syscall_session_close(s);
	assert_int_equal(st.matched, 7);
	assert_int_equal(st.injected, 7);
	assert_int_equal(events, 7);
#else
	print_message("skip: this architecture has no stat syscall\n");
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bystander_syscalls_run_no_program),
		cmocka_unit_test(test_every_named_call_of_a_target_is_seen_on_its_tracepoint),
		cmocka_unit_test(test_a_syscall_without_a_tracepoint_by_its_name_uses_raw_sys_enter),
		cmocka_unit_test_setup_teardown(
			test_crash_point_on_fentry_fires_at_the_nth_call_and_skips_bystanders,
			fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test(test_fentry_hook_runs_no_program_for_other_syscalls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
