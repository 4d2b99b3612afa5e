// SPDX-License-Identifier: GPL-2.0-only
/*
 * seccomp user notification for launched targets, end to end: every
 * action and selector on a real launched command, a cross-check against
 * strace --inject, bystanders that see nothing, and a SIGKILLed supervisor
 * whose target dies with it. No root needed (NO_NEW_PRIVS).
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/bystander.h"
#include "helpers/fixtures.h"
#include "helpers/sc_ops.h"
#include <faultline/probe.h>
#include <faultline/seccomp.h>

static char bin_ops[PATH_MAX], bin_loop[PATH_MAX];

static bool require_seccomp(void)
{
	if (!fl_sc_ops_can_run(bin_ops))
		return false;
	if (access(bin_loop, X_OK)) {
		print_message("skip: %s not built (run make)\n", bin_loop);
		return false;
	}
	return true;
}

static void in_dir(const struct fl_fixture *fx, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", fx->path, name);

	assert_true(n > 0 && (size_t)n < len);
}

static size_t count_lines(const char *out, const char *needle)
{
	size_t n = 0;

	for (const char *p = out; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- tests */

/* How many openat calls the dynamic loader makes before main(): it differs by system. */
static uint64_t loader_openats(void)
{
	const char *never[] = { "openat:error=ENOENT:when=1000000" };
	struct fl_sc_ops_run r = { 0 };

	fl_sc_ops_run(bin_ops, never, 1, (const char *[]){ NULL }, &r);
	return r.st[0].matched;
}

static void test_error_when_3_fails_exactly_the_third_openat(void **state)
{
	struct fl_fixture *fx = *state;
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], oa[PATH_MAX + 8], ob[PATH_MAX + 8],
	     oc[PATH_MAX + 8], rule[64];
	const char *rules[] = { rule };
	struct fl_sc_ops_run r = { 0 };
	uint64_t loader;

	if (!require_seccomp())
		skip();
	in_dir(fx, "a", a, sizeof(a));
	in_dir(fx, "b", b, sizeof(b));
	in_dir(fx, "c", c, sizeof(c));
	snprintf(oa, sizeof(oa), "open:%s", a);
	snprintf(ob, sizeof(ob), "open:%s", b);
	snprintf(oc, sizeof(oc), "open:%s", c);
	/* The dynamic loader's openat calls count too, as under strace: skip past them. */
	loader = loader_openats();
	snprintf(rule, sizeof(rule), "openat:error=ENOENT:when=%llu", (unsigned long long)loader + 3);
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ oa, ob, oc, NULL }, &r);
	assert_int_equal(r.n_ev, 1);
	assert_int_equal(r.ev[0].seq, loader + 3);
	assert_int_equal(r.ev[0].value, ENOENT);
	assert_int_equal(r.ev[0].mechanism, FL_MECH_SECCOMP_NOTIFY);
	assert_int_equal(r.ev[0].op, fl_syscall_nr("openat"));
	assert_int_equal(r.ev[0].pid, r.ev[0].tid);
	assert_int_equal(r.st[0].injected, 1);
	assert_int_equal(r.st[0].matched, loader + 3);
	/* Only the program's third open failed. */
	assert_int_equal(count_lines(r.out, "-ENOENT"), 1);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
}

static void test_when_2_plus_2_gives_the_same_results_as_strace_inject(void **state)
{
	struct fl_fixture *fx = *state;
	char rule[64];
	const char *rules[] = { rule };
	const char *ops[16];
	char names[6][PATH_MAX + 8], cmd[8192], strace_out[8192] = "";
	struct fl_sc_ops_run r = { 0 };
	size_t n = 0, len = 0;
	FILE *p;

	if (!require_seccomp())
		skip();
	if (access("/usr/bin/strace", X_OK)) {
		print_message("skip: strace is not installed\n");
		skip();
	}
	/*
	 * Both count the dynamic loader's openat calls, and a failed one of
	 * them stops the program before main(): start past them.
	 */
	snprintf(rule, sizeof(rule), "openat:error=EACCES:when=%llu+2",
		 (unsigned long long)loader_openats() + 2);
	len = (size_t)snprintf(cmd, sizeof(cmd), "strace -f -o /dev/null --inject=%s %s -f 3",
			       rule, bin_ops);
	for (int i = 0; i < 6; i++) {
		char name[8], path[PATH_MAX];

		snprintf(name, sizeof(name), "x%d", i);
		in_dir(fx, name, path, sizeof(path));
		snprintf(names[i], sizeof(names[i]), "open:%s", path);
		ops[n++] = names[i];
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " %s", names[i]);
	}
	ops[n] = NULL;
	/* The same output fd under both, so even the fd numbers match. */
	snprintf(cmd + len, sizeof(cmd) - len, " 3>&1");
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(strace_out, 1, sizeof(strace_out) - 1, p);
	strace_out[len] = '\0';
	assert_int_equal(pclose(p), 0);

	fl_sc_ops_run(bin_ops, rules, 1, ops, &r);
	print_message("strace:     %s", strace_out);
	print_message("faultline:  %s", r.out);
	assert_string_equal(r.out, strace_out);
	assert_int_equal(count_lines(r.out, "-EACCES"), 3);
}

static void test_retval_fakes_a_successful_unlink_that_never_ran(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "unlink:retval=0" };
	char f[PATH_MAX], op[PATH_MAX + 8], want[PATH_MAX + 16];
	struct fl_sc_ops_run r = { 0 };
	struct stat st;
	int fd;

	if (!require_seccomp())
		skip();
	in_dir(fx, "keep", f, sizeof(f));
	fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(op, sizeof(op), "unlink:%s", f);
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ op, NULL }, &r);
	snprintf(want, sizeof(want), "unlink %s 0\n", f);
	assert_string_equal(r.out, want);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(r.st[0].injected, 1);
	assert_int_equal(r.ev[0].action, FL_ACTION_RETVAL);
}

/* The last field of the first line that starts with prefix. */
static long field_us(const char *out, const char *prefix)
{
	const char *l = out, *sp;

	while (l && strncmp(l, prefix, strlen(prefix))) {
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	if (!l || !*l)
		return -1;
	sp = strchr(l, '\n');
	while (sp > l && sp[-1] != ' ')
		sp--;
	return atol(sp);
}

static void test_delay_stalls_the_call_but_not_other_targets_or_bystanders(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "openat:delay=300ms:path=*slow*" };
	char slow[PATH_MAX + 8], fast[PATH_MAX + 8], p[PATH_MAX];
	struct fl_bystander_opts bo = { .op = FL_BYSTANDER_OPENAT_CLOSE, .dir = fx->path };
	struct fl_bystander_stats bs;
	struct fl_bystander *b;
	struct fl_sc_ops_run r = { .timed = true };
	const char *l;

	if (!require_seccomp())
		skip();
	in_dir(fx, "slow", p, sizeof(p));
	snprintf(slow, sizeof(slow), "open:%s", p);
	in_dir(fx, "fast", p, sizeof(p));
	snprintf(fast, sizeof(fast), "open:%s", p);
	assert_int_equal(fl_bystander_start(&bo, &b), 0);
	/* The child opens "fast" while the parent's "slow" open is stalled. */
	fl_sc_ops_run(bin_ops, rules, 1,
		      (const char *[]){ "fork", "sleep:50", "loop:5", fast, "end", slow, NULL }, &r);
	assert_int_equal(fl_bystander_stop(b, &bs), 0);
	print_message("%s", r.out);
	assert_true(field_us(r.out, "open ") >= 300000);
	assert_int_equal(count_lines(r.out, "copen"), 5);
	for (l = r.out; (l = strstr(l, "copen")); l++)
		assert_true(field_us(l, "copen") < 100000); /* not held up by "slow" */
	assert_int_equal(r.st[0].injected, 1);
	assert_int_equal(r.ev[0].value, 300000000);
	assert_true(bs.calls > 0);
	assert_int_equal(bs.faults, 0);
}

static void test_signal_kills_at_mkdir_before_the_directory_exists(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "mkdir:signal=SIGKILL" };
	char d[PATH_MAX], op[PATH_MAX + 8];
	struct fl_sc_ops_run r = { 0 };
	struct stat st;

	if (!require_seccomp())
		skip();
	in_dir(fx, "never", d, sizeof(d));
	snprintf(op, sizeof(op), "mkdir:%s", d);
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ op, NULL }, &r);
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGKILL);
	assert_int_equal(stat(d, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(r.out, "");
	assert_int_equal(r.st[0].injected, 1);
	assert_int_equal(r.ev[0].value, SIGKILL);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void watch_stopped(struct fl_sc_ops_run *r, pid_t pid)
{
	uint64_t end = mono_ns() + 1000000000ull;
	bool *seen = r->arg;

	while (mono_ns() < end && !*seen) {
		if (proc_state(pid) == 'T')
			*seen = true;
		usleep(5000);
	}
}

static void test_pause_stops_the_process_then_lets_the_call_run(void **state)
{
	const char *rules[] = { "getppid:pause=500ms" };
	bool seen_stopped = false;
	struct fl_sc_ops_run r = {
		.timed = true, .during = watch_stopped, .arg = &seen_stopped
	};

	if (!require_seccomp())
		skip();
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ "getppid", NULL }, &r);
	assert_true(seen_stopped);
	assert_non_null(strstr(r.out, "getppid - 0 "));
	assert_true(field_us(r.out, "getppid") >= 500000);
	assert_int_equal(r.st[0].injected, 1);
	assert_true(WIFEXITED(r.status));
}

static void test_path_glob_faults_only_wal_files_even_relative_ones(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "openat:error=EIO:path=*.wal" };
	char a[PATH_MAX + 8], b[PATH_MAX + 8], p[PATH_MAX], cwd[PATH_MAX];
	struct fl_sc_ops_run r = { 0 };

	if (!require_seccomp())
		skip();
	in_dir(fx, "a.wal", p, sizeof(p));
	snprintf(a, sizeof(a), "open:%s", p);
	in_dir(fx, "b.txt", p, sizeof(p));
	snprintf(b, sizeof(b), "open:%s", p);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(fx->path), 0); /* the target inherits it */
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ a, b, "open:rel.wal", "open:rel.txt", NULL }, &r);
	assert_int_equal(chdir(cwd), 0);
	print_message("%s", r.out);
	assert_int_equal(count_lines(r.out, "-EIO"), 2);
	assert_non_null(strstr(r.out, "a.wal -EIO"));
	assert_non_null(strstr(r.out, "rel.wal -EIO"));
	assert_null(strstr(r.out, "txt -EIO"));
	assert_int_equal(r.st[0].matched, 2); /* the loader's opens do not match */
}

static void test_prob_with_seed_gives_the_same_sequence_twice(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "openat:error=EIO:prob=50%:seed=1:path=*/p" };
	char op[PATH_MAX + 8], p[PATH_MAX];
	struct fl_sc_ops_run r1 = { 0 }, r2 = { 0 };
	const char *ops[] = { "loop:40", op, NULL };
	size_t fails;

	if (!require_seccomp())
		skip();
	in_dir(fx, "p", p, sizeof(p));
	snprintf(op, sizeof(op), "open:%s", p);
	fl_sc_ops_run(bin_ops, rules, 1, ops, &r1);
	fl_sc_ops_run(bin_ops, rules, 1, ops, &r2);
	assert_string_equal(r1.out, r2.out);
	fails = count_lines(r1.out, "-EIO");
	print_message("prob=50%%:seed=1: %zu of 40 failed\n", fails);
	assert_true(fails > 5 && fails < 35);
	assert_int_equal(r1.st[0].matched, 40);
}

static void test_count_2_limits_injections_to_two(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "openat:error=EIO:count=2:path=*/c" };
	char op[PATH_MAX + 8], p[PATH_MAX];
	struct fl_sc_ops_run r = { 0 };

	if (!require_seccomp())
		skip();
	in_dir(fx, "c", p, sizeof(p));
	snprintf(op, sizeof(op), "open:%s", p);
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ "loop:6", op, NULL }, &r);
	assert_int_equal(count_lines(r.out, "-EIO"), 2);
	assert_int_equal(r.st[0].matched, 6);
	assert_int_equal(r.st[0].injected, 2);
}

static void test_first_rule_that_fires_wins_and_later_rules_do_not_see_the_call(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "openat:error=EIO:path=*/f:when=2",
				"openat:error=ENOENT:path=*/f" };
	char op[PATH_MAX + 8], p[PATH_MAX];
	struct fl_sc_ops_run r = { 0 };
	const char *l1, *l2, *l3;

	if (!require_seccomp())
		skip();
	in_dir(fx, "f", p, sizeof(p));
	snprintf(op, sizeof(op), "open:%s", p);
	fl_sc_ops_run(bin_ops, rules, 2, (const char *[]){ "loop:3", op, NULL }, &r);
	l1 = strstr(r.out, "-ENOENT");
	l2 = l1 ? strstr(l1 + 1, "-EIO") : NULL;
	l3 = l2 ? strstr(l2 + 1, "-ENOENT") : NULL;
	assert_non_null(l3);
	assert_int_equal(r.st[0].matched, 3);
	assert_int_equal(r.st[0].injected, 1);
	assert_int_equal(r.st[1].matched, 2);
	assert_int_equal(r.st[1].injected, 2);
	assert_int_equal(r.ev[1].rule_id, 0);
	assert_int_equal(r.ev[0].rule_id, 1);
}

static void test_for_ends_the_rule_after_its_duration(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "openat:error=EIO:for=300ms:path=*/f" };
	char op[PATH_MAX + 8], p[PATH_MAX];
	struct fl_sc_ops_run r = { 0 };

	if (!require_seccomp())
		skip();
	in_dir(fx, "f", p, sizeof(p));
	snprintf(op, sizeof(op), "open:%s", p);
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ op, "sleep:500", op, NULL }, &r);
	assert_int_equal(count_lines(r.out, "-EIO"), 1);
	assert_non_null(strstr(r.out, "-EIO\nopen"));
	assert_int_equal(r.st[0].injected, 1);
	assert_int_equal(r.st[0].matched, 1); /* after for=, calls no longer match */
}

static void test_launch_handshake_is_neither_notified_nor_counted(void **state)
{
	/* the launcher's child passes the listener with exactly these calls */
	const char *rules[] = { "sendmsg,recvmsg:error=EIO" };
	struct fl_sc_ops_run r = { 0 };

	if (!require_seccomp())
		skip();
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ "getppid", NULL }, &r);
	assert_string_equal(r.out, "getppid - 0\n");
	assert_int_equal(r.st[0].matched, 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
}

static void test_children_of_the_launched_command_are_targets_too(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "openat:error=EPERM:path=*/kid" };
	char op[PATH_MAX + 8], p[PATH_MAX];
	struct fl_sc_ops_run r = { 0 };

	if (!require_seccomp())
		skip();
	in_dir(fx, "kid", p, sizeof(p));
	snprintf(op, sizeof(op), "open:%s", p);
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ "fork", op, "end", NULL }, &r);
	assert_non_null(strstr(r.out, "copen"));
	assert_int_equal(count_lines(r.out, "-EPERM"), 1);
	assert_int_not_equal(r.ev[0].pid, 0);
}

static void test_a_bystander_running_the_same_calls_sees_no_fault(void **state)
{
	struct fl_fixture *fx = *state;
	const char *rules[] = { "openat:error=EACCES:path=*/t" };
	struct fl_bystander_opts bo = { .op = FL_BYSTANDER_OPENAT_CLOSE, .dir = fx->path };
	struct fl_bystander_stats bs;
	struct fl_bystander *b;
	char op[PATH_MAX + 8], p[PATH_MAX];
	struct fl_sc_ops_run r = { 0 };

	if (!require_seccomp())
		skip();
	in_dir(fx, "t", p, sizeof(p));
	snprintf(op, sizeof(op), "open:%s", p);
	assert_int_equal(fl_bystander_start(&bo, &b), 0);
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ "loop:50", op, NULL }, &r);
	usleep(100000);
	assert_int_equal(fl_bystander_stop(b, &bs), 0);
	assert_int_equal(r.st[0].injected, 50);
	assert_true(bs.calls > 0);
	assert_int_equal(bs.faults, 0);
}

/* A supervisor in its own process, SIGKILLed while its target is stalled. */
static void test_sigkilled_supervisor_takes_its_target_down_within_1s(void **state)
{
	int pfd[2];
	pid_t sup_pid, target = 0, w;
	uint64_t t0;
	bool gone = false, group_gone;
	int status;

	if (!require_seccomp())
		skip();
	/* Orphans come to us, so the test can see them die and reap them. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	sup_pid = fork();
	assert_true(sup_pid >= 0);
	if (sup_pid == 0) {
		struct fl_rule rule;
		struct fl_seccomp_sup *sup;
		/* a grandchild (no pdeathsig of its own) sleeps in the group */
		char *argv[] = { bin_ops, "fork", "sleep:30000", "end", "getppid", "sleep:30000",
				 NULL };
		pid_t pid;

		if (fl_rule_parse("getppid:delay=30s", &rule, NULL) ||
		    fl_seccomp_sup_open(&rule, 1, NULL, NULL, &sup) ||
		    fl_seccomp_sup_launch(sup, argv, &pid))
			_exit(1);
		if (write(pfd[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		fl_seccomp_sup_run(sup, -1);
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &target, sizeof(target)), sizeof(target));
	close(pfd[0]);
	usleep(200000); /* the target is now stalled in its delayed getppid */
	assert_int_equal(proc_state(target) == 'S' || proc_state(target) == 'R', true);

	assert_int_equal(kill(sup_pid, SIGKILL), 0);
	assert_int_equal(waitpid(sup_pid, &status, 0), sup_pid);
	t0 = mono_ns();
	while (mono_ns() - t0 < 1000000000ull) {
		w = waitpid(target, &status, WNOHANG);
		if (w == target) {
			gone = true;
			break;
		}
		usleep(5000);
	}
	print_message("target gone after %.0f ms\n", (double)(mono_ns() - t0) / 1e6);
	/* The grandchild and the watchdog were reparented to us. */
	while (mono_ns() - t0 < 1000000000ull) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(-target, 0) < 0 && errno == ESRCH)
			break;
		usleep(5000);
	}
	group_gone = kill(-target, 0) < 0 && errno == ESRCH;
	if (!gone || !group_gone)
		kill(-target, SIGKILL); /* ours: do not leave it behind */
	usleep(50000);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	assert_true(gone);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(group_gone);
}

/* Not an assertion: the cost of notified-but-not-injected openat calls. */
static double loop_ns(char *const argv[], struct fl_seccomp_sup *sup)
{
	char tmpl[] = "/tmp/fl-sc-bench-XXXXXX", buf[512];
	int fd = mkstemp(tmpl), saved, status;
	unsigned long long elapsed = 0;
	pid_t pid;
	ssize_t n;

	assert_true(fd >= 0);
	unlink(tmpl);
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	if (sup) {
		assert_int_equal(fl_seccomp_sup_launch(sup, argv, &pid), 0);
	} else {
		pid = fork();
		if (pid == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
	}
	dup2(saved, 1);
	close(saved);
	if (sup)
		fl_seccomp_sup_run(sup, 20000);
	waitpid(pid, &status, 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	sscanf(buf, "iterations %*u elapsed_ns %llu", &elapsed);
	return (double)elapsed;
}

static void test_overhead_of_notified_openat_is_reported(void **state)
{
	char *argv[] = { bin_loop, "20000", NULL };
	char *sargv[] = { "/usr/bin/strace", "-f", "-o", "/dev/null",
			  "--inject=openat:error=EIO:when=65535", bin_loop, "20000", NULL };
	struct fl_rule rule;
	struct fl_seccomp_sup *sup;
	double native, notified, traced = 0;

	if (!require_seccomp())
		skip();
	fl_sc_ops_parse("openat:error=EIO:when=1000000000", &rule);
	native = loop_ns(argv, NULL);
	assert_int_equal(fl_seccomp_sup_open(&rule, 1, NULL, NULL, &sup), 0);
	notified = loop_ns(argv, sup);
	fl_seccomp_sup_close(sup);
	if (!access(sargv[0], X_OK))
		traced = loop_ns(sargv, NULL);
	print_message("open+close x20000: native %.0f ns/iter, seccomp-notify %.0f ns/iter (%.1fx native)",
		      native / 20000, notified / 20000, notified / native);
	if (traced > 0)
		print_message(", strace --inject %.0f ns/iter (%.1fx native, seccomp %.1fx cheaper)\n",
			      traced / 20000, traced / native, traced / notified);
	else
		print_message(", strace not installed\n");
	assert_true(native > 0 && notified > 0);
}

static int setup(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";

	snprintf(bin_ops, sizeof(bin_ops), "%s/targets/fl-sc-ops", build);
	snprintf(bin_loop, sizeof(bin_loop), "%s/targets/fl-open-loop", build);
	/* absolute: tests chdir */
	if (bin_ops[0] != '/') {
		char cwd[PATH_MAX / 2];

		if (!getcwd(cwd, sizeof(cwd)))
			return -1;
		snprintf(bin_ops, sizeof(bin_ops), "%s/%s/targets/fl-sc-ops", cwd, build);
		snprintf(bin_loop, sizeof(bin_loop), "%s/%s/targets/fl-open-loop", cwd, build);
	}
	return fl_setup_tmpdir(state);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fl_teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_error_when_3_fails_exactly_the_third_openat),
		T(test_when_2_plus_2_gives_the_same_results_as_strace_inject),
		T(test_retval_fakes_a_successful_unlink_that_never_ran),
		T(test_delay_stalls_the_call_but_not_other_targets_or_bystanders),
		T(test_signal_kills_at_mkdir_before_the_directory_exists),
		T(test_pause_stops_the_process_then_lets_the_call_run),
		T(test_path_glob_faults_only_wal_files_even_relative_ones),
		T(test_prob_with_seed_gives_the_same_sequence_twice),
		T(test_count_2_limits_injections_to_two),
		T(test_first_rule_that_fires_wins_and_later_rules_do_not_see_the_call),
		T(test_for_ends_the_rule_after_its_duration),
		T(test_launch_handshake_is_neither_notified_nor_counted),
		T(test_children_of_the_launched_command_are_targets_too),
		T(test_a_bystander_running_the_same_calls_sees_no_fault),
		T(test_sigkilled_supervisor_takes_its_target_down_within_1s),
		T(test_overhead_of_notified_openat_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
