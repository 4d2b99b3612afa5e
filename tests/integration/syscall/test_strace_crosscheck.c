// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline against strace (root): the same when=/error= rule on the same
 * program (fl-errno-seq, one output line per call) gives the same results,
 * line for line, under `strace -f --inject=...` and under `faultline
 * syscall` (seccomp user notification, the default for a launched
 * error=). Crash points too: signal=SIGKILL:when=3 kills the program at the
 * same call under strace and under faultline, through send-signal and
 * through seccomp-notify. strace has no count=, so count= is checked
 * against the bounded when= range it stands for.
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

#define RUN_MS 20000

static char bin_fl[PATH_MAX], bin_seq[PATH_MAX];

static int setup(void **state)
{
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	fl_test_binary("targets/fl-errno-seq", bin_seq, sizeof(bin_seq));
	return fl_setup_tmpdir(state);
}

static bool require_tools(void)
{
	if (!fl_test_require_root())
		return false;
	if (access(bin_fl, X_OK) || access(bin_seq, X_OK)) {
		print_message("skip: %s or %s is not built (run make)\n", bin_fl, bin_seq);
		return false;
	}
	if (access("/usr/bin/strace", X_OK)) {
		print_message("skip: strace is not installed (tools/install-deps.sh installs it)\n");
		return false;
	}
	return true;
}

struct seq_run {
	char *lines;  /* what fl-errno-seq printed */
	int code;     /* exit code as a shell reports it */
	json_t *summary;
};

static void seq_run_free(struct seq_run *r)
{
	free(r->lines);
	json_decref(r->summary);
}

/* argv: the launcher's words, then fl-errno-seq SC N FILES... (file names relative to fx). */
static void run_seq(const struct fl_fixture *fx, char **launcher, const char *sc, int n,
		    const char *const *files, struct seq_run *ret)
{
	char *argv[32], nbuf[16];
	struct fl_cli_result r;
	size_t k = 0;

	for (; *launcher; launcher++)
		argv[k++] = *launcher;
	argv[k++] = bin_seq;
	argv[k++] = (char *)sc;
	snprintf(nbuf, sizeof(nbuf), "%d", n);
	argv[k++] = nbuf;
	for (; files && *files; files++)
		argv[k++] = (char *)fl_test_path(fx->path, "%s", *files);
	argv[k] = NULL;
	assert_true(k < 32);

	assert_int_equal(fl_cli_run(argv, RUN_MS, &r), 0);
	if (r.err[0])
		print_message("  %s: stderr: %s", argv[0], r.err);
	ret->lines = fl_cli_strip_json(r.out);
	ret->summary = fl_cli_json_summary(r.out);
	ret->code = r.code;
	fl_cli_result_free(&r);
}

static json_t *rule0(const struct seq_run *r)
{
	json_t *rule = json_array_get(json_object_get(r->summary, "rules"), 0);

	assert_non_null(rule);
	return rule;
}

struct check {
	const char *sc;
	int n;
	const char *const *files;
	const char *inject;   /* strace --inject=SC:INJECT */
	const char *rule;     /* faultline SC:RULE */
	const char *force;    /* --mechanism, or NULL */
	const char *mech;     /* the mechanism the summary must name */
	const char *want;     /* what the program prints under both */
	int code;             /* how both exit */
	int injected;         /* injections faultline must count */
	bool in_kernel;       /* the filter answers: faultline says it did not count */
};

/* Run the check under strace and under faultline: the same lines, the same exit. */
static void crosscheck(const struct fl_fixture *fx, const struct check *c)
{
	char strace_inject[256], fl_rule[256];
	struct seq_run st = { 0 }, fl = { 0 };

	snprintf(strace_inject, sizeof(strace_inject), "--inject=%s:%s", c->sc, c->inject);
	snprintf(fl_rule, sizeof(fl_rule), "%s:%s", c->sc, c->rule);
	/* LeakSanitizer cannot run under ptrace (make SAN=1): keep it out of the target. */
	char *strace_argv[] = { "strace", "-f", "-qq", "-E", "ASAN_OPTIONS=detect_leaks=0", "-o",
				"/dev/null", strace_inject, NULL };
	char *fl_argv[] = { bin_fl, "syscall", "--json", fl_rule, "--", NULL };
	char *fl_mech_argv[] = { bin_fl, "syscall", "--json", "--mechanism", (char *)c->force,
				 fl_rule, "--", NULL };

	run_seq(fx, strace_argv, c->sc, c->n, c->files, &st);
	run_seq(fx, c->force ? fl_mech_argv : fl_argv, c->sc, c->n, c->files, &fl);
	print_message("  strace %s -> exit %d\n%s", strace_inject, st.code, st.lines);
	print_message("  faultline %s%s%s -> exit %d\n%s", c->force ? "--mechanism " : "",
		      c->force ? c->force : "", fl_rule, fl.code, fl.lines);

	/* strace first: it is the reference. */
	assert_string_equal(st.lines, c->want);
	assert_int_equal(st.code, c->code);
	assert_string_equal(fl.lines, st.lines);
	assert_int_equal(fl.code, st.code);

	assert_non_null(fl.summary);
	assert_string_equal(json_string_value(json_object_get(rule0(&fl), "mechanism")), c->mech);
	if (c->in_kernel) {
		assert_true(json_is_true(json_object_get(rule0(&fl), "in_kernel")));
		assert_true(json_is_null(json_object_get(rule0(&fl), "matched")));
		assert_true(json_is_null(json_object_get(rule0(&fl), "injected")));
	} else {
		assert_true(json_is_false(json_object_get(rule0(&fl), "in_kernel")));
		assert_int_equal(json_integer_value(json_object_get(rule0(&fl), "injected")),
				 c->injected);
	}
	assert_int_equal(json_integer_value(json_object_get(fl.summary, "exit_status")), c->code);
	seq_run_free(&st);
	seq_run_free(&fl);
}

static const char *const one_file[] = { "f", NULL };

static void test_fsync_error_when_3_fails_the_same_call_as_strace(void **state)
{
	if (!require_tools())
		skip();
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 6, .files = one_file,
		.inject = "error=EIO:when=3", .rule = "error=EIO:when=3", .mech = "seccomp-notify",
		.want = "1 0\n2 0\n3 EIO\n4 0\n5 0\n6 0\n", .injected = 1 });
}

static void test_fsync_error_when_range_with_step_matches_strace(void **state)
{
	if (!require_tools())
		skip();
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 8, .files = one_file,
		.inject = "error=EIO:when=2..6+2", .rule = "error=EIO:when=2..6+2",
		.mech = "seccomp-notify",
		.want = "1 0\n2 EIO\n3 0\n4 EIO\n5 0\n6 EIO\n7 0\n8 0\n", .injected = 3 });
}

static void test_fsync_when_step_with_count_matches_the_bounded_strace_range(void **state)
{
	if (!require_tools())
		skip();
	/* 4, 7, 10 ... at most twice == strace's 4..7+3 */
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 12, .files = one_file,
		.inject = "error=ENOSPC:when=4..7+3", .rule = "error=ENOSPC:when=4+3:count=2",
		.mech = "seccomp-notify",
		.want = "1 0\n2 0\n3 0\n4 ENOSPC\n5 0\n6 0\n7 ENOSPC\n8 0\n9 0\n10 0\n11 0\n12 0\n",
		.injected = 2 });
}

static void test_fdatasync_open_ended_step_matches_strace(void **state)
{
	if (!require_tools())
		skip();
	crosscheck(*state, &(struct check){
		.sc = "fdatasync", .n = 9, .files = one_file,
		.inject = "error=EROFS:when=4+3", .rule = "error=EROFS:when=4+3",
		.mech = "seccomp-notify",
		.want = "1 0\n2 0\n3 0\n4 EROFS\n5 0\n6 0\n7 EROFS\n8 0\n9 0\n", .injected = 2 });
}

/* How many sc calls fl-errno-seq makes before its own (the loader's, a sanitizer's). */
static int calls_before_main(const struct fl_fixture *fx, const char *sc)
{
	char *trace = strdup(fl_test_path(fx->path, "before-main.strace"));
	char filter[64], line[4096], call[64];
	struct fl_cli_result r;
	int n = 0;
	FILE *f;

	snprintf(filter, sizeof(filter), "trace=%s", sc);
	snprintf(call, sizeof(call), "%s(", sc);
	/* LeakSanitizer cannot run under ptrace (make SAN=1): keep it out of the target. */
	char *argv[] = { "strace", "-f", "-qq", "-E", "ASAN_OPTIONS=detect_leaks=0", "-e", filter,
			 "-o", trace, bin_seq, "getppid", "1", NULL };

	assert_int_equal(fl_cli_run(argv, RUN_MS, &r), 0);
	fl_cli_result_free(&r);
	f = fopen(trace, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, call) != NULL;
	fclose(f);
	unlink(trace);
	free(trace);
	return n;
}

static void test_openat_counts_the_loaders_calls_like_strace(void **state)
{
	static const char *const files[] = { "a", "b", NULL };
	struct seq_run plain = { 0 };
	char *none[] = { NULL };
	char inject[64];
	int before;

	if (!require_tools())
		skip();
	/*
	 * The dynamic loader's openat calls come first and count, under both.
	 * How many there are depends on the system: count them with strace,
	 * then aim at the 2nd and 4th of the program's own calls.
	 */
	before = calls_before_main(*state, "openat");
	print_message("  %d openat calls before main\n", before);
	run_seq(*state, none, "openat", 4, files, &plain);
	assert_string_equal(plain.lines, "1 ok\n2 ok\n3 ok\n4 ok\n");
	seq_run_free(&plain);

	snprintf(inject, sizeof(inject), "error=EACCES:when=%d..%d+2", before + 2, before + 4);
	crosscheck(*state, &(struct check){
		.sc = "openat", .n = 4, .files = files, .inject = inject, .rule = inject,
		.mech = "seccomp-notify", .want = "1 ok\n2 EACCES\n3 ok\n4 EACCES\n",
		.injected = 2 });
}

static void test_open_when_3_matches_strace(void **state)
{
	char inject[64];
	int before;

	if (!require_tools())
		skip();
	/* SYS_open: the loader never calls it (a sanitizer's runtime may). */
	before = calls_before_main(*state, "open");
	snprintf(inject, sizeof(inject), "error=ENOENT:when=%d", before + 3);
	crosscheck(*state, &(struct check){
		.sc = "open", .n = 5, .files = (const char *const[]){ "x", "y", NULL },
		.inject = inject, .rule = inject, .mech = "seccomp-notify",
		.want = "1 ok\n2 ok\n3 ENOENT\n4 ok\n5 ok\n", .injected = 1 });
}

static void test_fsync_retval_when_2_matches_strace(void **state)
{
	if (!require_tools())
		skip();
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 3, .files = one_file,
		.inject = "retval=7:when=2", .rule = "retval=7:when=2", .mech = "seccomp-notify",
		.want = "1 0\n2 7\n3 0\n", .injected = 1 });
}

static void test_crash_point_under_strace_and_send_signal_dies_at_the_same_call(void **state)
{
	if (!require_tools())
		skip();
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 6, .files = one_file,
		.inject = "signal=SIGKILL:when=3", .rule = "signal=SIGKILL:when=3",
		.force = "send-signal", .mech = "send-signal",
		.want = "1 0\n2 0\n", .code = 128 + SIGKILL, .injected = 1 });
}

static void test_crash_point_under_strace_and_seccomp_dies_at_the_same_call(void **state)
{
	if (!require_tools())
		skip();
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 6, .files = one_file,
		.inject = "signal=SIGKILL:when=3", .rule = "signal=SIGKILL:when=3",
		.force = "seccomp-notify", .mech = "seccomp-notify",
		.want = "1 0\n2 0\n", .code = 128 + SIGKILL, .injected = 1 });
}

static void test_crash_point_without_mechanism_uses_send_signal(void **state)
{
	if (!require_tools())
		skip();
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 6, .files = one_file,
		.inject = "signal=SIGKILL:when=3", .rule = "signal=SIGKILL:when=3",
		.mech = "send-signal", .want = "1 0\n2 0\n", .code = 128 + SIGKILL,
		.injected = 1 });
}

/*
 * Every call failed: the filter answers by itself, with the same result as
 * strace; forced through the supervisor, the same again, and counted.
 */
static void test_fsync_error_on_every_call_matches_strace_in_the_kernel_and_notified(void **state)
{
	if (!require_tools())
		skip();
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 3, .files = one_file,
		.inject = "error=EIO", .rule = "error=EIO", .mech = "seccomp-notify",
		.want = "1 EIO\n2 EIO\n3 EIO\n", .in_kernel = true });
	crosscheck(*state, &(struct check){
		.sc = "fsync", .n = 3, .files = one_file,
		.inject = "error=EIO", .rule = "error=EIO", .force = "seccomp-notify",
		.mech = "seccomp-notify", .want = "1 EIO\n2 EIO\n3 EIO\n", .injected = 3 });
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fl_teardown_tmpdir)
	const struct CMUnitTest tests[] = {
		T(test_fsync_error_when_3_fails_the_same_call_as_strace),
		T(test_fsync_error_when_range_with_step_matches_strace),
		T(test_fsync_when_step_with_count_matches_the_bounded_strace_range),
		T(test_fdatasync_open_ended_step_matches_strace),
		T(test_openat_counts_the_loaders_calls_like_strace),
		T(test_open_when_3_matches_strace),
		T(test_fsync_retval_when_2_matches_strace),
		T(test_crash_point_under_strace_and_send_signal_dies_at_the_same_call),
		T(test_crash_point_under_strace_and_seccomp_dies_at_the_same_call),
		T(test_crash_point_without_mechanism_uses_send_signal),
		T(test_fsync_error_on_every_call_matches_strace_in_the_kernel_and_notified),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
