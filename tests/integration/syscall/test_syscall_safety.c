// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nothing outlives `faultline syscall` (root). faultline is SIGKILLed in
 * the middle of a fault, and within 1 s:
 *   - a launched target stalled in a seccomp-notified call is gone (killed,
 *     never left running under a filter whose supervisor is gone);
 *   - no BPF program or link of ours is left (checked through the kernel's
 *     id lists and through `bpftool -j prog show`), and a running target's
 *     calls are no longer faulted;
 *   - a running target stopped by pause= is continued (the watchdog undoes
 *     the record faultline left under /run/faultline).
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
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/bpf_progs.h"
#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

#define MAX_IDS 256
#define LIMIT_MS 1000 /* the safety contract's "within 1 s" */

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

static const char *in(const struct fl_fixture *fx, const char *name)
{
	return fl_test_path(fx->path, "%s", name);
}

/* Is pid blocked in syscall nr right now (/proc/PID/syscall)? */
static bool in_syscall(pid_t pid, long nr)
{
	char path[64], buf[64];
	FILE *f;
	bool yes = false;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		yes = atol(buf) == nr && buf[0] != '-';
	if (f)
		fclose(f);
	return yes;
}

/* SIGKILL faultline and reap it; returns the time of the kill. */
static uint64_t sigkill(struct fl_cli *fl)
{
	struct fl_cli_result r;
	uint64_t t0 = fl_cli_now_ms();

	assert_int_equal(fl_cli_signal(fl, SIGKILL), 0);
	fl_cli_wait(fl, 2000, &r);
	assert_int_equal(r.code, 128 + SIGKILL);
	fl_cli_result_free(&r);
	return t0;
}

static void test_sigkilled_supervisor_takes_its_stalled_launched_target_down(void **state)
{
	struct fl_fixture *fx = *state;
	__u32 mine[MAX_IDS];
	struct fl_cli *fl;
	size_t nm;
	pid_t target;
	uint64_t t0, gone_ms = 0;
	int status = 0;
	bool reaped = false;

	if (!require_cli())
		skip();
	/* The orphaned target comes back to us, so that we can see how it ended. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	fl = NULL;
	{
		char *argv[] = { bin_fl, "syscall", "fsync:delay=5s", "--", bin_seq, "fsync", "3",
				 (char *)in(fx, "f"), NULL };

		assert_int_equal(fl_cli_start(argv, &fl), 0);
	}
	target = fl_proc_find_child(fl->pid, "fl-errno-seq", 3000);
	assert_true(target > 0);
	/* Stalled in its first fsync, waiting for the supervisor's answer. */
	for (int i = 0; i < 300 && !in_syscall(target, SYS_fsync); i++)
		usleep(10000);
	assert_true(in_syscall(target, SYS_fsync));
	usleep(200000);
	/* The seccomp path needs no BPF program; whatever it holds must go with it. */
	nm = fl_bpf_prog_ids_of_pid(fl->pid, mine, MAX_IDS);

	t0 = sigkill(fl);
	while (fl_cli_now_ms() - t0 < 3000) {
		pid_t r = waitpid(target, &status, WNOHANG);

		if (r == target) {
			reaped = true;
			gone_ms = fl_cli_now_ms() - t0;
			break;
		}
		usleep(2000);
	}
	print_message("  target gone %llu ms after the SIGKILL\n", (unsigned long long)gone_ms);
	assert_true(reaped);
	assert_true(gone_ms <= LIMIT_MS);
	/* Killed, not let run on with ENOSYS from a filter nobody answers. */
	assert_true(WIFSIGNALED(status));
	char *out = fl_cli_stdout(fl);

	assert_string_equal(out, "");
	free(out);

	assert_false(fl_bpf_any_loaded(mine, nm));
	/* Reap the rest of the session (its watchdog), then stop being a subreaper. */
	for (int i = 0; i < 100 && waitpid(-1, NULL, WNOHANG) >= 0; i++)
		usleep(10000);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	fl_cli_free(fl);
}

/*
 * faultline RULE --pid on a target that runs fl-errno-seq SC (with file):
 * once armed (and, with fault_seen, once the fault shows in the target's
 * output), SIGKILL faultline. Within 1 s its programs and links are gone,
 * and the target runs on, unstopped and no longer faulted.
 */
static void sigkill_mid_running(const struct fl_fixture *fx, const char *sc, bool file,
				const char *rule, const char *fault_seen)
{
	__u32 before[MAX_IDS], mine[MAX_IDS];
	struct fl_cli *t = NULL, *fl = NULL;
	size_t nb, nm, mark;
	uint64_t t0, links_ms, gone_ms;
	char pid[16], *out;

	if (!require_cli())
		skip();
	nb = fl_bpf_our_prog_ids(before, MAX_IDS);
	{
		char *argv[] = { bin_seq, "-i", "20", (char *)sc, "1000",
				 file ? (char *)in(fx, "f") : NULL, NULL };

		assert_int_equal(fl_cli_start(argv, &t), 0);
	}
	snprintf(pid, sizeof(pid), "%d", (int)t->pid);
	{
		char *argv[] = { bin_fl, "syscall", (char *)rule, "--pid", pid, NULL };

		assert_int_equal(fl_cli_start(argv, &fl), 0);
	}
	/* Programs of ours appear: the session is (being) set up. */
	assert_true(fl_bpf_wait_new_progs(before, nb, 1, 5000, mine, MAX_IDS) >= 1);
	if (fault_seen) {
		uint64_t end = fl_cli_now_ms() + 3000;
		bool seen = false;

		while (!seen && fl_cli_now_ms() < end) {
			out = fl_cli_stdout(t);
			seen = strstr(out, fault_seen) != NULL;
			free(out);
			usleep(10000);
		}
		assert_true(seen);
	} else {
		usleep(300000);
	}
	/* What faultline holds, not what other sessions loaded meanwhile. */
	nm = fl_bpf_prog_ids_of_pid(fl->pid, mine, MAX_IDS);
	print_message("  faultline holds %zu programs, %zu links\n", nm, fl_bpf_links_of(mine, nm));
	assert_true(nm >= 1);

	t0 = sigkill(fl);
	/* Detached (no link left) first, then unloaded (the kernel frees them after RCU). */
	while (fl_bpf_links_of(mine, nm) && fl_cli_now_ms() - t0 <= 3000)
		usleep(2000);
	links_ms = fl_cli_now_ms() - t0;
	while (fl_bpf_any_loaded(mine, nm) && fl_cli_now_ms() - t0 <= 3000)
		usleep(2000);
	gone_ms = fl_cli_now_ms() - t0;
	print_message("  links gone %llu ms, programs unloaded %llu ms after the SIGKILL\n",
		      (unsigned long long)links_ms, (unsigned long long)gone_ms);
	assert_true(links_ms <= LIMIT_MS);
	assert_true(gone_ms <= LIMIT_MS);
	assert_int_equal(fl_bpftool_count_progs(mine, nm), 0);

	/* The target runs on, unfaulted: new calls succeed. */
	assert_true(strchr("RSD", fl_proc_state(t->pid)) != NULL);
	out = fl_cli_stdout(t);
	mark = strlen(out);
	free(out);
	usleep(300000);
	out = fl_cli_stdout(t);
	assert_true(fl_count_lines(out + mark, " 0") >= 3);
	assert_int_equal(fl_count_lines(out + mark, " E"), 0);
	free(out);
	fl_cli_free(t);
	fl_cli_free(fl);
}

static void test_sigkilled_faultline_leaves_no_crash_point_program_on_a_running_target(void **state)
{
	sigkill_mid_running(*state, "fsync", true, "fsync:signal=SIGKILL:when=100000000", NULL);
}

static void test_sigkilled_faultline_leaves_no_spinning_delay_on_a_running_target(void **state)
{
	sigkill_mid_running(*state, "fsync", true, "fsync:delay=2ms", NULL);
}

static void test_sigkilled_faultline_leaves_no_socket_hook_on_a_running_target(void **state)
{
	sigkill_mid_running(*state, "connect", false, "connect:error=ECONNREFUSED",
			    "ECONNREFUSED");
}

static void test_sigkilled_faultline_continues_a_process_it_paused(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli *t = NULL, *fl = NULL;
	uint64_t t0, cont_ms;
	char pid[16], *out;
	pid_t fl_pid;
	size_t mark;

	if (!require_cli())
		skip();
	{
		char *argv[] = { bin_seq, "-i", "20", "fsync", "1000", (char *)in(fx, "f"), NULL };

		assert_int_equal(fl_cli_start(argv, &t), 0);
	}
	snprintf(pid, sizeof(pid), "%d", (int)t->pid);
	{
		char *argv[] = { bin_fl, "syscall", "fsync:pause=30s:count=1", "--pid", pid, NULL };

		assert_int_equal(fl_cli_start(argv, &fl), 0);
	}
	fl_pid = fl->pid;
	assert_true(fl_proc_wait_state(t->pid, "tT", 5000));
	usleep(200000);
	assert_true(strchr("tT", fl_proc_state(t->pid)) != NULL);

	t0 = sigkill(fl);
	assert_true(fl_proc_wait_state(t->pid, "RSD", 3000));
	cont_ms = fl_cli_now_ms() - t0;
	print_message("  target continued %llu ms after the SIGKILL\n",
		      (unsigned long long)cont_ms);
	assert_true(cont_ms <= LIMIT_MS);

	/* It runs again, and the session's records were undone and removed. */
	out = fl_cli_stdout(t);
	mark = strlen(out);
	free(out);
	usleep(300000);
	out = fl_cli_stdout(t);
	assert_true(fl_count_lines(out + mark, " 0") >= 3);
	free(out);
	assert_false(fl_cli_session_left(fl_pid));
	fl_cli_free(t);
	fl_cli_free(fl);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fl_cli_teardown_session)
	const struct CMUnitTest tests[] = {
		T(test_sigkilled_supervisor_takes_its_stalled_launched_target_down),
		T(test_sigkilled_faultline_leaves_no_crash_point_program_on_a_running_target),
		T(test_sigkilled_faultline_leaves_no_spinning_delay_on_a_running_target),
		T(test_sigkilled_faultline_leaves_no_socket_hook_on_a_running_target),
		T(test_sigkilled_faultline_continues_a_process_it_paused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
