// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rules the seccomp filter answers by itself (fl_seccomp_sup_set_in_kernel):
 * a rule that fails every call of its syscalls needs no supervisor, so the
 * target runs to its end even when nobody answers notifications; rules
 * that need a decision, or that follow another rule on the same syscall,
 * still go to the supervisor and are counted exactly. No root needed, but
 * for the CLI's view (faultline syscall needs root).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include <faultline/probe.h>
#include <faultline/seccomp.h>

#define MAX_RULES 4
#define MAX_ARGS 32

static char bin_ops[PATH_MAX], bin_fl[PATH_MAX];

struct run {
	size_t n_ev;
	struct fl_seccomp_stats st[MAX_RULES];
	int status;
	char out[8192];
};

static int on_event(void *ctx, const struct fl_event *ev)
{
	struct run *r = ctx;

	(void)ev;
	r->n_ev++;
	return 0;
}

struct sup_thread {
	struct fl_seccomp_sup *sup;
	int err;
};

static void *sup_main(void *arg)
{
	struct sup_thread *t = arg;

	t->err = fl_seccomp_sup_run(t->sup, 20000);
	return NULL;
}

static void parse(const char *text, struct fl_rule *rule)
{
	struct fl_rule_error e = { 0 };

	if (fl_rule_parse(text, rule, &e))
		fail_msg("parse '%s': %s", text, e.message);
}

/* Reap pid within timeout_ms; false (and pid SIGKILLed, reaped) if it is still running. */
static bool reap_within(pid_t pid, int timeout_ms, int *status)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	bool exited;

	assert_true(pfd >= 0);
	exited = poll(&p, 1, timeout_ms) == 1;
	close(pfd);
	if (!exited)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return exited;
}

/*
 * Launch fl-sc-ops with ops under rules, the filter answering what it can.
 * supervise: run the supervisor while the target runs; otherwise nobody
 * answers a notification, and the target must finish on the filter alone.
 */
static void run_ops(const char *const *rules_text, size_t n_rules, bool supervise,
		    struct run *r, const char *const *ops)
{
	struct fl_rule rules[MAX_RULES];
	struct fl_seccomp_sup *sup = NULL;
	struct sup_thread t = { 0 };
	char *argv[MAX_ARGS], fdbuf[16];
	char tmpl[] = "/tmp/fl-sc-ik-XXXXXX";
	size_t n = 0;
	pthread_t th;
	pid_t pid;
	ssize_t got;
	int fd;

	for (size_t i = 0; i < n_rules; i++)
		parse(rules_text[i], &rules[i]);
	fd = mkstemp(tmpl); /* no O_CLOEXEC: the target writes here */
	assert_true(fd >= 0);
	unlink(tmpl);
	snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
	argv[n++] = bin_ops;
	argv[n++] = "-f";
	argv[n++] = fdbuf;
	for (; *ops && n < MAX_ARGS - 1; ops++)
		argv[n++] = (char *)*ops;
	argv[n] = NULL;

	assert_int_equal(fl_seccomp_sup_open(rules, n_rules, on_event, r, &sup), 0);
	assert_int_equal(fl_seccomp_sup_set_in_kernel(sup, true), 0);
	assert_int_equal(fl_seccomp_sup_launch(sup, argv, &pid), 0);
	/* The filter is fixed once the command runs. */
	assert_int_equal(fl_seccomp_sup_set_in_kernel(sup, false), -EBUSY);
	if (supervise) {
		t.sup = sup;
		assert_int_equal(pthread_create(&th, NULL, sup_main, &t), 0);
		assert_int_equal(waitpid(pid, &r->status, 0), pid);
		pthread_join(th, NULL);
		assert_int_equal(t.err, 0);
	} else if (!reap_within(pid, 10000, &r->status)) {
		fl_seccomp_sup_close(sup);
		close(fd);
		fail_msg("the target waited for a supervisor: its calls were notified");
	}
	for (size_t i = 0; i < n_rules; i++)
		assert_int_equal(fl_seccomp_sup_stats(sup, i, &r->st[i]), 0);
	fl_seccomp_sup_close(sup);
	got = pread(fd, r->out, sizeof(r->out) - 1, 0);
	assert_true(got >= 0);
	r->out[got] = '\0';
	close(fd);
}

static bool require_seccomp(void)
{
	struct fl_probe_result why;

	if (fl_probe_mechanism(FL_MECH_SECCOMP_NOTIFY, &why) || why.status != FL_PROBE_WORKS) {
		print_message("skip: seccomp user notification unavailable: %s\n", why.detail);
		return false;
	}
	if (access(bin_ops, X_OK)) {
		print_message("skip: %s not built (run make)\n", bin_ops);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- tests */

static void test_a_rule_without_conditions_needs_no_supervisor(void **state)
{
	const struct fl_fixture *fx = *state;
	const char *rules[] = { "mkdir:error=EROFS" };
	char op[PATH_MAX + 8], want[3 * (PATH_MAX + 32)];
	struct run r = { 0 };
	int n;

	if (!require_seccomp())
		skip();
	snprintf(op, sizeof(op), "mkdir:%s/d", fx->path);
	/* Nobody answers notifications here: only the filter can fail these calls. */
	run_ops(rules, 1, false, &r, (const char *[]){ "loop:3", op, "getppid", NULL });
	n = snprintf(want, sizeof(want), "mkdir %s/d -EROFS\nmkdir %s/d -EROFS\nmkdir %s/d -EROFS\n"
		     "getppid - 0\n", fx->path, fx->path, fx->path);
	assert_true(n > 0 && (size_t)n < sizeof(want));
	assert_string_equal(r.out, want);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	/* Not counted, and said so: no number that looks like a count of 0. */
	assert_true(r.st[0].in_kernel);
	assert_int_equal(r.st[0].matched, 0);
	assert_int_equal(r.st[0].injected, 0);
	assert_int_equal(r.n_ev, 0);
}

static void test_rules_that_need_a_decision_stay_with_the_supervisor(void **state)
{
	const struct fl_fixture *fx = *state;
	/*
	 * 0: when= needs counting. 1: fails every mkdir, but rule 0 comes
	 * first on mkdir. 2: first on unlink with no condition: the filter.
	 * 3: count= needs counting.
	 */
	const char *rules[] = { "mkdir:error=EPERM:when=2", "mkdir:error=EROFS",
				"unlink:error=EBUSY", "getppid:error=EIO:count=1" };
	char mk[PATH_MAX + 16], un[PATH_MAX + 16], want[6 * (PATH_MAX + 16)];
	struct run r = { 0 };
	int n;

	if (!require_seccomp())
		skip();
	snprintf(mk, sizeof(mk), "mkdir:%s/d", fx->path);
	snprintf(un, sizeof(un), "unlink:%s/f", fx->path);
	run_ops(rules, 4, true, &r,
		(const char *[]){ "loop:3", mk, "loop:2", un, "loop:2", "getppid", NULL });
	n = snprintf(want, sizeof(want),
		     "mkdir %s/d -EROFS\nmkdir %s/d -EPERM\nmkdir %s/d -EROFS\n"
		     "unlink %s/f -EBUSY\nunlink %s/f -EBUSY\ngetppid - -EIO\ngetppid - 0\n",
		     fx->path, fx->path, fx->path, fx->path, fx->path);
	assert_true(n > 0 && (size_t)n < sizeof(want));
	assert_string_equal(r.out, want);
	assert_false(r.st[0].in_kernel);
	assert_int_equal(r.st[0].matched, 3);
	assert_int_equal(r.st[0].injected, 1);
	assert_false(r.st[1].in_kernel);
	assert_int_equal(r.st[1].matched, 2);
	assert_int_equal(r.st[1].injected, 2);
	assert_true(r.st[2].in_kernel);
	assert_false(r.st[3].in_kernel);
	assert_int_equal(r.st[3].matched, 2);
	assert_int_equal(r.st[3].injected, 1);
	/* One event per injection the supervisor made: 1 + 2 + 1. */
	assert_int_equal(r.n_ev, 4);
}

static void test_each_selector_keeps_a_rule_with_the_supervisor(void **state)
{
	const struct fl_fixture *fx = *state;
	char path_rule[PATH_MAX + 32];
	const char *rules[] = { "mkdir:error=EROFS:when=1+", "mkdir:error=EROFS:prob=50%",
				"mkdir:error=EROFS:count=5", path_rule, "mkdir:error=EROFS:for=1h" };
	char op[PATH_MAX + 8];

	if (!require_seccomp())
		skip();
	snprintf(path_rule, sizeof(path_rule), "mkdir:error=EROFS:path=%s/*", fx->path);
	snprintf(op, sizeof(op), "mkdir:%s/d", fx->path);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct run r = { 0 };

		run_ops(&rules[i], 1, true, &r, (const char *[]){ "loop:2", op, NULL });
		/* when=1+ is every call: the filter can answer it. */
		assert_int_equal(r.st[0].in_kernel, i == 0);
		if (i == 0)
			continue;
		print_message("  %s: matched %llu\n", rules[i], (unsigned long long)r.st[0].matched);
		assert_int_equal(r.st[0].matched, 2);
	}
}

static void test_handshake_passes_an_in_kernel_sendmsg_rule(void **state)
{
	/* The launcher hands the listener over with exactly these calls. */
	const char *rules[] = { "sendmsg,recvmsg:error=EIO" };
	struct run r = { 0 };

	(void)state;
	if (!require_seccomp())
		skip();
	run_ops(rules, 1, false, &r, (const char *[]){ "getppid", NULL });
	assert_string_equal(r.out, "getppid - 0\n");
	assert_true(r.st[0].in_kernel);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
}

/*
 * The CLI: by default such a rule says it was not counted; --for and
 * --mechanism seccomp-notify keep it with the supervisor, counted.
 */
static void cli_rule0(const char *opt, const char *opt_val, const char *op, json_t **ret)
{
	char *argv[12];
	struct fl_cli_result r;
	size_t n = 0;

	argv[n++] = bin_fl;
	argv[n++] = "syscall";
	argv[n++] = "--json";
	if (opt) {
		argv[n++] = (char *)opt;
		argv[n++] = (char *)opt_val;
	}
	argv[n++] = "mkdir:error=EROFS";
	argv[n++] = "--";
	argv[n++] = bin_ops;
	argv[n++] = "loop:2";
	argv[n++] = (char *)op;
	argv[n] = NULL;
	assert_int_equal(fl_cli_run(argv, 20000, &r), 0);
	assert_int_equal(r.code, 0);
	assert_int_equal(fl_count_lines(r.out, "-EROFS"), 2);
	*ret = fl_cli_json_summary(r.out);
	assert_non_null(*ret);
	fl_cli_result_free(&r);
}

static void test_cli_says_not_counted_unless_for_or_forced_notify(void **state)
{
	const struct fl_fixture *fx = *state;
	const char *opts[][2] = { { NULL, NULL }, { "--for", "1h" },
				  { "--mechanism", "seccomp-notify" } };
	char op[PATH_MAX + 8];

	if (!fl_test_require_root() || !require_seccomp())
		skip();
	if (access(bin_fl, X_OK)) {
		print_message("skip: %s not built (run make)\n", bin_fl);
		skip();
	}
	snprintf(op, sizeof(op), "mkdir:%s/d", fx->path);
	for (size_t i = 0; i < 3; i++) {
		json_t *s, *rule;

		cli_rule0(opts[i][0], opts[i][1], op, &s);
		rule = json_array_get(json_object_get(s, "rules"), 0);
		assert_non_null(rule);
		if (i == 0) {
			assert_true(json_is_true(json_object_get(rule, "in_kernel")));
			assert_true(json_is_null(json_object_get(rule, "matched")));
			assert_true(json_is_null(json_object_get(rule, "injected")));
		} else {
			assert_true(json_is_false(json_object_get(rule, "in_kernel")));
			assert_int_equal(json_integer_value(json_object_get(rule, "matched")), 2);
			assert_int_equal(json_integer_value(json_object_get(rule, "injected")), 2);
		}
		json_decref(s);
	}
}

static int setup(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";

	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	snprintf(bin_ops, sizeof(bin_ops), "%s/targets/fl-sc-ops", build);
	if (bin_ops[0] != '/') {
		char cwd[PATH_MAX / 2];

		if (!getcwd(cwd, sizeof(cwd)))
			return -1;
		snprintf(bin_ops, sizeof(bin_ops), "%s/%s/targets/fl-sc-ops", cwd, build);
	}
	return fl_setup_tmpdir(state);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fl_teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_rule_without_conditions_needs_no_supervisor),
		T(test_rules_that_need_a_decision_stay_with_the_supervisor),
		T(test_each_selector_keeps_a_rule_with_the_supervisor),
		T(test_handshake_passes_an_in_kernel_sendmsg_rule),
		T(test_cli_says_not_counted_unless_for_or_forced_notify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
