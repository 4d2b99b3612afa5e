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
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/sc_ops.h"
#include <faultline/probe.h>
#include <faultline/seccomp.h>

static char bin_ops[PATH_MAX], bin_fl[PATH_MAX];

/* ---------------------------------------------------------------- tests */

static void test_a_rule_without_conditions_needs_no_supervisor(void **state)
{
	const struct fl_fixture *fx = *state;
	const char *rules[] = { "mkdir:error=EROFS" };
	char op[PATH_MAX + 8], want[3 * (PATH_MAX + 32)];
	struct fl_sc_ops_run r = { .in_kernel = true, .unsupervised = true };
	int n;

	if (!fl_sc_ops_can_run(bin_ops))
		skip();
	snprintf(op, sizeof(op), "mkdir:%s/d", fx->path);
	/* Nobody answers notifications here: only the filter can fail these calls. */
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ "loop:3", op, "getppid", NULL }, &r);
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
	struct fl_sc_ops_run r = { .in_kernel = true };
	int n;

	if (!fl_sc_ops_can_run(bin_ops))
		skip();
	snprintf(mk, sizeof(mk), "mkdir:%s/d", fx->path);
	snprintf(un, sizeof(un), "unlink:%s/f", fx->path);
	fl_sc_ops_run(bin_ops, rules, 4,
		(const char *[]){ "loop:3", mk, "loop:2", un, "loop:2", "getppid", NULL }, &r);
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

	if (!fl_sc_ops_can_run(bin_ops))
		skip();
	snprintf(path_rule, sizeof(path_rule), "mkdir:error=EROFS:path=%s/*", fx->path);
	snprintf(op, sizeof(op), "mkdir:%s/d", fx->path);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct fl_sc_ops_run r = { .in_kernel = true };

		fl_sc_ops_run(bin_ops, &rules[i], 1, (const char *[]){ "loop:2", op, NULL }, &r);
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
	struct fl_sc_ops_run r = { .in_kernel = true, .unsupervised = true };

	(void)state;
	if (!fl_sc_ops_can_run(bin_ops))
		skip();
	fl_sc_ops_run(bin_ops, rules, 1, (const char *[]){ "getppid", NULL }, &r);
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

	if (!fl_test_require_root() || !fl_sc_ops_can_run(bin_ops))
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
