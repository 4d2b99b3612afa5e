// SPDX-License-Identifier: GPL-2.0-only
/*
 * SIGTERM stops `faultline syscall` on running targets, and the summary is
 * printed and the exit status is 0 whenever it arrives (root):
 *   - during the start (planning probes the kernel, the programs load:
 *     about 100 ms), where it used to kill faultline by its default action
 *     (exit 143, no summary);
 *   - twice in a row once the rules are armed, where the second one, still
 *     pending when the runner unblocked signals, used to kill faultline
 *     before it printed the summary.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

#define RULE "getppid:signal=SIGKILL:when=100000000"

static char bin_fl[PATH_MAX], bin_seq[PATH_MAX];

static int setup(void **state)
{
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	fl_test_binary("targets/fl-errno-seq", bin_seq, sizeof(bin_seq));
	return fl_cli_setup_session(state);
}

static bool require_cli(void)
{
	return fl_cli_require(bin_fl, bin_seq);
}

static struct fl_cli *start_target(void)
{
	char *argv[] = { bin_seq, "-i", "50", "getppid", "100000", NULL };
	struct fl_cli *t = NULL;

	assert_int_equal(fl_cli_start(argv, &t), 0);
	return t;
}

/* json: the summary on stdout; else on stderr, after an "armed" line. */
static struct fl_cli *start_faultline(pid_t target, bool json)
{
	char pid[16];
	char *argv[] = { bin_fl, "syscall", RULE, "--pid", pid, json ? "--json" : NULL, NULL };
	struct fl_cli *fl = NULL;

	snprintf(pid, sizeof(pid), "%d", (int)target);
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	return fl;
}

/* Reap fl; true when it exited 0 with a JSON summary. */
static bool summarised(struct fl_cli *fl, unsigned k)
{
	struct fl_cli_result r;
	json_t *s;
	bool ok;

	fl_cli_wait(fl, 10000, &r);
	s = fl_cli_json_summary(r.out);
	ok = r.code == 0 && ((s && json_is_array(json_object_get(s, "rules"))) ||
			     strstr(r.err, "rule 0 " RULE));
	if (!ok)
		print_message("  try %u: exit %d, %s\n", k, r.code,
			      s || strstr(r.err, "rule 0 ") ? "summary printed" : "no summary");
	json_decref(s);
	fl_cli_result_free(&r);
	fl_cli_free(fl);
	return ok;
}

/*
 * Does pid take sig in hand yet: blocked for its signalfd or caught
 * (SigBlk, SigCgt in /proc/PID/status)? Before that a SIGTERM kills it by
 * default, which no program can prevent: the test's window starts there,
 * not at a fixed time after the fork (25 ms was not always enough under
 * load).
 */
static bool catches(pid_t pid, int sig, int timeout_ms)
{
	char path[64], line[256];
	unsigned long long mask;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (int waited = 0; waited <= timeout_ms; waited++) {
		FILE *f = fopen(path, "re");

		while (f && fgets(line, sizeof(line), f)) {
			if ((sscanf(line, "SigBlk: %llx", &mask) == 1 ||
			     sscanf(line, "SigCgt: %llx", &mask) == 1) && (mask >> (sig - 1) & 1)) {
				fclose(f);
				return true;
			}
		}
		if (f)
			fclose(f);
		usleep(1000);
	}
	return false;
}

static void test_sigterm_during_the_start_still_prints_the_summary(void **state)
{
	struct fl_cli *t;
	unsigned lost = 0, tries = 12;

	(void)state;
	if (!require_cli())
		skip();
	t = start_target();
	for (unsigned k = 0; k < tries; k++) {
		struct fl_cli *fl = start_faultline(t->pid, true);

		/* 0..165 ms after its handler is in: before or while the rules load. */
		assert_true(catches(fl->pid, SIGTERM, 10000));
		usleep(k * 15000);
		assert_int_equal(fl_cli_signal(fl, SIGTERM), 0);
		lost += !summarised(fl, k);
	}
	print_message("  %u SIGTERMs during the start: %u summaries lost\n", tries, lost);
	assert_int_equal(lost, 0);
	assert_true(strchr("SR", fl_proc_state(t->pid)) != NULL);
	fl_cli_free(t);
}

static void test_two_sigterms_once_armed_still_print_the_summary(void **state)
{
	struct fl_cli *t;
	unsigned lost = 0, tries = 10;

	(void)state;
	if (!require_cli())
		skip();
	t = start_target();
	for (unsigned k = 0; k < tries; k++) {
		struct fl_cli *fl = start_faultline(t->pid, false);
		char *err = NULL;

		for (int i = 0; i < 1000; i++) {
			free(err);
			err = fl_cli_stderr(fl);
			if (err && strstr(err, "armed"))
				break;
			usleep(5000);
		}
		assert_non_null(strstr(err, "armed"));
		free(err);
		assert_int_equal(fl_cli_signal(fl, SIGTERM), 0);
		usleep(k * 300);
		assert_int_equal(fl_cli_signal(fl, SIGTERM), 0);
		lost += !summarised(fl, k);
	}
	print_message("  %u double SIGTERMs: %u summaries lost\n", tries, lost);
	assert_int_equal(lost, 0);
	fl_cli_free(t);
}

/*
 * A launched command starts with no signal blocked, whichever runner
 * launches it: faultline blocks the signals it reads, and a fork inherits
 * that mask, which would leave the command deaf to SIGTERM and Ctrl-C.
 */
static void assert_launched_with_no_signal_blocked(const char *rule)
{
	char *argv[] = { bin_fl, "syscall", (char *)rule, "--", "grep", "^SigBlk:",
			 "/proc/self/status", NULL };
	struct fl_cli_result r;

	fl_cli_run(argv, 20000, &r);
	if (r.code != 0)
		print_message("exit %d\nstdout: %s\nstderr: %s\n", r.code, r.out, r.err);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "SigBlk:\t0000000000000000"));
	fl_cli_result_free(&r);
}

static void test_launched_commands_start_with_no_signal_blocked(void **state)
{
	(void)state;
	if (!require_cli())
		skip();
	/* seccomp-notify */
	assert_launched_with_no_signal_blocked("fsync:error=EIO:when=1000");
	/* a crash point: the BPF runner */
	assert_launched_with_no_signal_blocked("fsync:signal=SIGKILL:when=1000");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fl_cli_teardown_session)
	const struct CMUnitTest tests[] = {
		T(test_sigterm_during_the_start_still_prints_the_summary),
		T(test_two_sigterms_once_armed_still_print_the_summary),
		T(test_launched_commands_start_with_no_signal_blocked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
