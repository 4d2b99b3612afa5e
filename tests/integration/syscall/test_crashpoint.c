// SPDX-License-Identifier: GPL-2.0-only
/*
 * Crash points end to end (root): `faultline syscall` kills a launched
 * command at the chosen call, touches nothing else, follows its children,
 * and leaves no BPF program behind however it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <jansson.h>

#include "helpers/bystander.h"
#include "helpers/fixtures.h"
#include <faultline/syscall.h>

#define PROG_PREFIX "fl_sc_"
#define MAX_IDS 64

static char bin_faultline[PATH_MAX], bin_writer[PATH_MAX], bin_forker[PATH_MAX];

static int find_bins(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";

	snprintf(bin_faultline, sizeof(bin_faultline), "%s/faultline", build);
	snprintf(bin_writer, sizeof(bin_writer), "%s/targets/fl-demo-writer", build);
	snprintf(bin_forker, sizeof(bin_forker), "%s/targets/fl-fork-fsync", build);
	return fl_setup_tmpdir(state);
}

/* Skips (with the reason) unless root, crash points work and the binaries exist. */
static bool require_crashpoints(void)
{
	struct fl_probe_result why;

	if (!fl_test_require_root())
		return false;
	if (fl_syscall_probe(&why)) {
		print_message("skip: bpf_send_signal unavailable: %s\n", why.detail);
		return false;
	}
	if (access(bin_faultline, X_OK) || access(bin_writer, X_OK) || access(bin_forker, X_OK)) {
		print_message("skip: %s or the test targets are not built (run make)\n",
			      bin_faultline);
		return false;
	}
	return true;
}

/*
 * The hook the sys_enter rules must take here: fentry where the probe
 * loads it (Debian's 6.1 under make check-vm), else the tracepoint of the
 * named syscall (this project's hardened host refuses fentry).
 */
static const char *expected_hook(void)
{
	struct fl_probe_result r;

	if (fl_probe_mechanism(FL_MECH_FENTRY, &r) == 0 && r.status == FL_PROBE_WORKS)
		return "fentry";
	print_message("fentry: %s (%s): the tracepoint carries the rule\n",
		      fl_probe_status_name(r.status), r.detail);
	return "tracepoint";
}

static void path_in(const struct fl_fixture *fx, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", fx->path, name);

	assert_true(n > 0 && (size_t)n < len);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Run argv with stdout to out_path (or /dev/null); returns the wait status. */
static int run(char *const argv[], const char *out_path)
{
	int status = -1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(out_path ? out_path : "/dev/null",
			      O_WRONLY | O_CREAT | O_TRUNC, 0644);

		int null = open("/dev/null", O_WRONLY);

		/* faultline's summary goes to stderr: keep test output readable. */
		if (fd < 0 || null < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0)
			_exit(120);
		execv(argv[0], argv);
		_exit(121);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* IDs of loaded BPF programs whose name starts with ours. */
static size_t our_prog_ids(__u32 *ids, size_t max)
{
	__u32 id = 0;
	size_t n = 0;

	while (n < max && bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(info.name, PROG_PREFIX, strlen(PROG_PREFIX)) == 0)
			ids[n++] = id;
		close(fd);
	}
	return n;
}

static bool prog_id_loaded(__u32 id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* IDs in now[] that were not in before[]: the programs this test loaded. */
static size_t new_ids(const __u32 *before, size_t nb, const __u32 *now, size_t nn, __u32 *ret)
{
	size_t n = 0;

	for (size_t i = 0; i < nn; i++) {
		bool old = false;

		for (size_t j = 0; j < nb; j++)
			old |= before[j] == now[i];
		if (!old)
			ret[n++] = now[i];
	}
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait up to timeout_ms for every id to be unloaded. */
static bool ids_gone_within(const __u32 *ids, size_t n, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		bool any = false;

		for (size_t i = 0; i < n; i++)
			any |= prog_id_loaded(ids[i]);
		if (!any)
			return true;
		if (now_ms() > end)
			return false;
		usleep(10000);
	}
}

static void test_when3_on_fsync_kills_launched_writer_at_third_fsync(void **state)
{
	struct fl_fixture *fx = *state;
	char log[PATH_MAX], events[PATH_MAX], out[PATH_MAX], *acks, *data, *evtext;
	json_error_t jerr;
	json_t *ev;
	int status;

	if (!require_crashpoints())
		skip();
	path_in(fx, "log", log, sizeof(log));
	path_in(fx, "events.jsonl", events, sizeof(events));
	path_in(fx, "stdout", out, sizeof(out));

	char *argv[] = { bin_faultline, "syscall", "--log", events,
			 "fsync:signal=SIGKILL:when=3", "--", bin_writer, log, "10", NULL };
	status = run(argv, out);

	/* faultline exits like a shell would: 128 + SIGKILL. */
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 128 + SIGKILL);

	acks = slurp(out);
	data = slurp(log);
	evtext = slurp(events);
	/* Two fsyncs returned; the third never did, though its record was written. */
	assert_string_equal(acks, "acked 1\nacked 2\n");
	assert_string_equal(data, "record 1\nrecord 2\nrecord 3\n");

	/* Exactly one event, on one line. */
	assert_int_equal(count_lines(evtext), 1);
	ev = json_loads(evtext, JSON_DISABLE_EOF_CHECK, &jerr);
	assert_non_null(ev);
	assert_int_equal(json_integer_value(json_object_get(ev, "seq")), 3);
	assert_int_equal(json_integer_value(json_object_get(ev, "value")), SIGKILL);
	assert_int_equal(json_integer_value(json_object_get(ev, "rule")), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "domain")), "syscall");
	assert_string_equal(json_string_value(json_object_get(ev, "action")), "signal");
	assert_string_equal(json_string_value(json_object_get(ev, "mechanism")), "send-signal");
	assert_string_equal(json_string_value(json_object_get(ev, "result")), "injected");
	assert_string_equal(json_string_value(json_object_get(ev, "op")), "fsync");
	json_decref(ev);
	free(acks);
	free(data);
	free(evtext);
}

static void test_when_range_with_step_and_count_limit_injections(void **state)
{
	struct fl_fixture *fx = *state;
	char log[PATH_MAX], out[PATH_MAX], *acks;
	int status;

	if (!require_crashpoints())
		skip();
	path_in(fx, "log", log, sizeof(log));
	path_in(fx, "stdout", out, sizeof(out));

	/* SIGCONT is harmless: the writer survives, so each injection is counted. */
	char *argv[] = { bin_faultline, "syscall", "--json",
			 "fsync:signal=SIGCONT:when=2..8+3:count=2", "--", bin_writer, log, "10",
			 NULL };
	status = run(argv, out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* The last stdout line is faultline's JSON summary. */
	acks = slurp(out);
	char *summary = strstr(acks, "{\"");
	assert_non_null(summary);
	json_t *root = json_loads(summary, 0, NULL);
	assert_non_null(root);
	json_t *rule = json_array_get(json_object_get(root, "rules"), 0);
	assert_int_equal(json_integer_value(json_object_get(rule, "matched")), 10);
	/* when=2..8+3 picks 2, 5, 8; count=2 stops after two. */
	assert_int_equal(json_integer_value(json_object_get(rule, "injected")), 2);
	assert_string_equal(json_string_value(json_object_get(rule, "mechanism")), "send-signal");
	assert_string_equal(json_string_value(json_object_get(rule, "hook")), expected_hook());
	assert_int_equal(json_integer_value(json_object_get(root, "exit_status")), 0);
	json_decref(root);
	free(acks);
}

static int count_event(void *ctx, const struct fl_event *ev)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_bystander_doing_fsync_sees_no_fault(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_bystander_opts bo = { .op = FL_BYSTANDER_FSYNC, .dir = fx->path };
	struct fl_bystander_stats bs;
	struct fl_syscall_session *s = NULL;
	struct fl_syscall_stats st;
	struct fl_bystander *b = NULL;
	struct fl_rule rule;
	char log[PATH_MAX];
	int events = 0, status;
	pid_t pid;

	if (!require_crashpoints())
		skip();
	path_in(fx, "log", log, sizeof(log));
	/* Every fsync of a target dies. */
	assert_int_equal(fl_rule_parse("fsync:signal=SIGKILL", &rule, NULL), 0);
	assert_int_equal(fl_syscall_session_open(&rule, 1, NULL, NULL, count_event, &events, &s), 0);
	assert_int_equal(fl_bystander_start(&bo, &b), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		raise(SIGSTOP); /* wait until the parent made us a target */
		for (int i = 0; i < 5; i++)
			if (fd < 0 || write(fd, "x\n", 2) != 2 || fsync(fd))
				_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
	assert_int_equal(fl_syscall_session_add_target(s, pid, true), 0);
	kill(pid, SIGCONT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	/* Keep the rule armed while the bystander goes on fsyncing. */
	usleep(300000);
	fl_syscall_session_poll(s, 100);
	assert_int_equal(fl_syscall_session_stats(s, 0, &st), 0);
	assert_int_equal(fl_bystander_stop(b, &bs), 0);
	fl_syscall_session_close(s);

	print_message("bystander: %llu calls, %llu faults\n",
		      (unsigned long long)bs.calls, (unsigned long long)bs.faults);
	assert_true(bs.calls > 0);
	assert_int_equal(bs.faults, 0);
	assert_int_equal(bs.signal, 0);
	/* Only the target's one fsync was even counted. */
	assert_int_equal(st.matched, 1);
	assert_int_equal(st.injected, 1);
	assert_int_equal(events, 1);
}

static void test_children_forked_by_target_are_targets(void **state)
{
	struct fl_fixture *fx = *state;
	char file[PATH_MAX], events[PATH_MAX], *evtext;
	json_t *ev;
	int status;

	if (!require_crashpoints())
		skip();
	path_in(fx, "file", file, sizeof(file));
	path_in(fx, "events.jsonl", events, sizeof(events));

	/* The launched parent never fsyncs; only its child does. */
	char *argv[] = { bin_faultline, "syscall", "--log", events,
			 "fsync:signal=SIGKILL:when=1", "--", bin_forker, file, NULL };
	status = run(argv, NULL);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 100 + SIGKILL);

	evtext = slurp(events);
	ev = json_loads(evtext, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(ev);
	assert_int_equal(json_integer_value(json_object_get(ev, "seq")), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "comm")), "fl-fork-fsync");
	json_decref(ev);
	free(evtext);
}

static void test_programs_are_gone_after_session_close(void **state)
{
	__u32 before[MAX_IDS], now[MAX_IDS], mine[MAX_IDS];
	struct fl_syscall_session *s = NULL;
	struct fl_rule rule;
	size_t nb, nn, nm;
	int events = 0;

	if (!require_crashpoints())
		skip();
	assert_int_equal(fl_rule_parse("fsync:signal=SIGKILL:when=3", &rule, NULL), 0);
	nb = our_prog_ids(before, MAX_IDS);
	assert_int_equal(fl_syscall_session_open(&rule, 1, NULL, NULL, count_event, &events, &s), 0);
	nn = our_prog_ids(now, MAX_IDS);
	nm = new_ids(before, nb, now, nn, mine);
	/* sys_enter, fork, exec, exit */
	assert_int_equal(nm, 4);
	fl_syscall_session_close(s);
	assert_true(ids_gone_within(mine, nm, 1000));
}

static bool is_sleep(pid_t pid)
{
	char path[64], comm[32] = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "sleep", 5) == 0;
}

static void test_programs_are_gone_within_1s_after_faultline_is_sigkilled(void **state)
{
	__u32 before[MAX_IDS], now[MAX_IDS], mine[MAX_IDS];
	size_t nb, nn, nm = 0;
	char children[64], buf[64];
	pid_t fl, cmd = 0;
	int status;

	if (!require_crashpoints())
		skip();
	/* The orphaned command comes back to us, so we can reap it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	nb = our_prog_ids(before, MAX_IDS);
	fl = fork();
	assert_true(fl >= 0);
	if (fl == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(bin_faultline, bin_faultline, "syscall", "fsync:signal=SIGKILL:when=1000",
		      "--", "/bin/sleep", "30", (char *)NULL);
		_exit(121);
	}
	/* Wait for the session to be up and the command launched. */
	for (int i = 0; i < 500 && (nm < 4 || !cmd); i++) {
		FILE *f;

		usleep(10000);
		nn = our_prog_ids(now, MAX_IDS);
		nm = new_ids(before, nb, now, nn, mine);
		snprintf(children, sizeof(children), "/proc/%d/task/%d/children", fl, fl);
		f = fopen(children, "r");
		/* Probe children come and go first: wait for the command itself. */
		if (f && fgets(buf, sizeof(buf), f) && is_sleep(atoi(buf)))
			cmd = atoi(buf);
		if (f)
			fclose(f);
	}
	assert_int_equal(nm, 4);
	assert_true(cmd > 0);

	assert_int_equal(kill(fl, SIGKILL), 0);
	assert_int_equal(waitpid(fl, &status, 0), fl);
	assert_true(ids_gone_within(mine, nm, 1000));

	/* The command outlives its launcher (it is not ours to kill by design). */
	assert_int_equal(kill(cmd, 0), 0);
	kill(cmd, SIGKILL);
	waitpid(cmd, NULL, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void test_bpf_rule_check_refuses_what_only_seccomp_does(void **state)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	(void)state;
	assert_int_equal(fl_rule_parse("write:retval=0", &rule, NULL), 0);
	assert_int_equal(fl_syscall_rule_check(&rule, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.message, "seccomp-notify"));

	assert_int_equal(fl_rule_parse("openat:signal=SIGKILL:path=/x/*", &rule, NULL), 0);
	assert_int_equal(fl_syscall_rule_check(&rule, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.message, "path="));

	/* seed= is drawn in the kernel from seed+nth, error= has hooks. */
	assert_int_equal(fl_rule_parse("fsync:signal=SIGKILL:prob=50%:seed=7", &rule, NULL), 0);
	assert_int_equal(fl_syscall_rule_check(&rule, &err), 0);
	assert_int_equal(fl_rule_parse("connect:error=ECONNREFUSED", &rule, NULL), 0);
	assert_int_equal(fl_syscall_rule_check(&rule, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_when3_on_fsync_kills_launched_writer_at_third_fsync,
						find_bins, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_when_range_with_step_and_count_limit_injections,
						find_bins, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_bystander_doing_fsync_sees_no_fault,
						find_bins, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_children_forked_by_target_are_targets,
						find_bins, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_programs_are_gone_after_session_close,
						find_bins, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_programs_are_gone_within_1s_after_faultline_is_sigkilled,
						find_bins, fl_teardown_tmpdir),
		cmocka_unit_test(test_bpf_rule_check_refuses_what_only_seccomp_does),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
