// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline syscall` as a user runs it (root): every action and selector,
 * every kind of target (a launched command, --pid, --pid --follow,
 * --cgroup, --comm), first-fires-wins, --for, --log, --json, the refusals
 * (exit 2 with a reason, nothing touched), and bystanders running the same
 * calls that see no fault. The program under test is fl-errno-seq, which
 * prints one line per call; each test is bounded to a few seconds.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "helpers/bystander.h"
#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

#define MAX_ARGS 48
#define RUN_MS 15000

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

/* ------------------------------------------------------------- helpers */

static void build_argv(char **argv, const char *first, const char *arg, va_list ap)
{
	size_t n = 0;

	argv[n++] = (char *)first;
	for (; arg && n < MAX_ARGS - 1; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	assert_true(n < MAX_ARGS - 1);
	argv[n] = NULL;
}

/* faultline ARGS... (NULL-terminated), to completion. */
static void __attribute__((sentinel)) fl_run(struct fl_cli_result *r, const char *arg, ...)
{
	char *argv[MAX_ARGS];
	va_list ap;

	va_start(ap, arg);
	build_argv(argv, bin_fl, arg, ap);
	va_end(ap);
	assert_int_equal(fl_cli_run(argv, RUN_MS, r), 0);
	if (r->err[0])
		print_message("  faultline stderr: %s", r->err);
}

static struct fl_cli *__attribute__((sentinel)) start(const char *bin, const char *arg, ...)
{
	char *argv[MAX_ARGS];
	struct fl_cli *c = NULL;
	va_list ap;

	va_start(ap, arg);
	build_argv(argv, bin, arg, ap);
	va_end(ap);
	assert_int_equal(fl_cli_start(argv, &c), 0);
	return c;
}

static const char *in(const struct fl_fixture *fx, const char *name)
{
	return fl_test_path(fx->path, "%s", name);
}

static const char *num(long v)
{
	static char buf[8][24];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%ld", v);
	return buf[i];
}

static json_t *summary(const struct fl_cli_result *r)
{
	json_t *s = fl_cli_json_summary(r->out);

	if (!s)
		fail_msg("no JSON summary on stdout: '%s'", r->out);
	return s;
}

static json_t *rule_n(json_t *sum, size_t i)
{
	json_t *rule = json_array_get(json_object_get(sum, "rules"), i);

	if (!rule)
		fail_msg("the summary has no rule %zu", i);
	return rule;
}

static long long jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

/* What the target printed (without faultline's JSON lines). */
static char *lines_of(const struct fl_cli_result *r)
{
	char *s = fl_cli_strip_json(r->out);

	assert_non_null(s);
	return s;
}

/* Wait until the running target's output has a line containing needle. */
static bool output_has(struct fl_cli *c, const char *needle, int timeout_ms)
{
	uint64_t end = fl_cli_now_ms() + (uint64_t)timeout_ms;

	do {
		char *out = fl_cli_stdout(c);
		bool found = out && strstr(out, needle);

		free(out);
		if (found)
			return true;
		usleep(10000);
	} while (fl_cli_now_ms() < end);
	return false;
}

/* The longest duration (last field, microseconds) over fl-errno-seq -t lines. */
static long long max_us(const char *out, long long *min_ret)
{
	long long max = -1, min = -1;

	for (const char *line = out; line && *line;) {
		const char *eol = strchr(line, '\n');
		const char *sp = NULL;

		for (const char *p = line; p < (eol ? eol : line + strlen(line)); p++)
			if (*p == ' ')
				sp = p;
		if (sp) {
			long long us = atoll(sp + 1);

			if (us > max)
				max = us;
			if (min < 0 || us < min)
				min = us;
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	if (min_ret)
		*min_ret = min;
	return max;
}

static long long line_us(const char *out, int i)
{
	char prefix[16];
	const char *p;

	snprintf(prefix, sizeof(prefix), "%d ", i);
	for (p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, strlen(prefix))) {
			const char *eol = strchr(p, '\n'), *sp = NULL;

			for (const char *q = p; q < eol; q++)
				if (*q == ' ')
					sp = q;
			return sp ? atoll(sp + 1) : -1;
		}
	return -1;
}

/* Does `faultline probe` say mechanism works on this kernel? */
static bool mech_works(const char *mechanism)
{
	struct fl_cli_result r;
	json_t *root, *m;
	bool works;

	fl_run(&r, "probe", "--json", "--mechanism", mechanism, NULL);
	root = json_loads(r.out, 0, NULL);
	m = json_array_get(json_object_get(root, "mechanisms"), 0);
	works = m && !strcmp(json_string_value(json_object_get(m, "status")) ?: "", "works");
	json_decref(root);
	fl_cli_result_free(&r);
	return works;
}

/* error= on a running process: an LSM mechanism where the kernel has one, else cgroup-sock. */
static void assert_running_errno_mechanism(const char *got)
{
	if (mech_works("fmod-ret-security") || mech_works("bpf-lsm")) {
		if (strcmp(got, "fmod-ret-security") && strcmp(got, "bpf-lsm") &&
		    strcmp(got, "cgroup-sock"))
			fail_msg("mechanism '%s' for error= on a running process", got);
		return;
	}
	assert_string_equal(got, "cgroup-sock");
}

/*
 * A bystander's calls must neither fail nor die. Slowness only counts past
 * 1 s: an fsync on a busy disk or a preempted call can take a few hundred
 * ms, and no rule here delays anything by that much.
 */
#define BYSTANDER_SLOW_NS 1000000000ULL

static void assert_bystander_unharmed(const struct fl_bystander_stats *bs)
{
	print_message("  bystander: %llu calls, %llu faults (first errno %d, slowest %llu us)\n",
		      (unsigned long long)bs->calls, (unsigned long long)bs->faults,
		      bs->first_errno, (unsigned long long)bs->max_ns / 1000);
	assert_true(bs->calls > 0);
	assert_int_equal(bs->faults, 0);
	assert_int_equal(bs->signal, 0);
}

/* ---------------------------------------------- launched: actions */

static void test_error_fails_the_chosen_call_and_the_call_does_not_run(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	struct stat st;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "--json", "mkdir:error=EACCES:when=1", "--", bin_seq, "mkdir", "3",
	       in(fx, "d"), NULL);
	out = lines_of(&r);
	/* The second mkdir creates it: the first one never ran. */
	assert_string_equal(out, "1 EACCES\n2 0\n3 EEXIST\n");
	assert_int_equal(r.code, 0);
	assert_int_equal(stat(in(fx, "d"), &st), 0);
	json_t *s = summary(&r);

	assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "seccomp-notify");
	assert_int_equal(jint(rule_n(s, 0), "matched"), 3);
	assert_int_equal(jint(rule_n(s, 0), "injected"), 1);
	json_decref(s);
	free(out);
	fl_cli_result_free(&r);
}

static void test_retval_fakes_success_and_the_call_does_not_run(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	/* A faked mkdir creates nothing: the second one still succeeds. */
	fl_run(&r, "syscall", "mkdir:retval=0:when=1", "--", bin_seq, "mkdir", "2", in(fx, "d"),
	       NULL);
	out = lines_of(&r);
	assert_string_equal(out, "1 0\n2 0\n");
	assert_int_equal(r.code, 0);
	free(out);
	fl_cli_result_free(&r);

	fl_run(&r, "syscall", "getppid:retval=4242:when=2", "--", bin_seq, "getppid", "2", NULL);
	out = lines_of(&r);
	assert_non_null(strstr(out, "\n2 4242\n"));
	free(out);
	fl_cli_result_free(&r);
}

static void test_delay_stalls_only_the_chosen_call(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "--json", "fsync:delay=300ms:when=2", "--", bin_seq, "-t", "fsync",
	       "3", in(fx, "f"), NULL);
	out = lines_of(&r);
	print_message("  %s", out);
	assert_true(line_us(out, 2) >= 295000);
	assert_true(line_us(out, 1) < 200000);
	assert_true(line_us(out, 3) < 200000);
	assert_int_equal(fl_count_lines(out, " 0 "), 3); /* every call succeeded */
	json_t *s = summary(&r);

	assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "seccomp-notify");
	assert_int_equal(jint(rule_n(s, 0), "injected"), 1);
	json_decref(s);
	free(out);
	fl_cli_result_free(&r);
}

static void test_pause_stops_the_launched_process_then_the_call_runs(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	struct fl_cli *c;
	bool stopped;
	pid_t pid;
	char *out;

	if (!require_cli())
		skip();
	c = start(bin_fl, "syscall", "--json", "fsync:pause=600ms:when=2", "--", bin_seq, "-t",
		  "-i", "100", "fsync", "3", in(fx, "f"), NULL);
	pid = fl_proc_find_child(c->pid, "fl-errno-seq", 3000);
	assert_true(pid > 0);
	/* The whole process is stopped (state T), not just one call held. */
	stopped = fl_proc_wait_state(pid, "tT", 2000);
	assert_int_equal(fl_cli_wait(c, RUN_MS, &r), 0);
	fl_cli_free(c);
	out = lines_of(&r);
	print_message("  %s", out);
	assert_true(stopped);
	assert_true(line_us(out, 2) >= 590000);
	assert_int_equal(fl_count_lines(out, " 0 "), 3);
	assert_int_equal(r.code, 0);
	free(out);
	fl_cli_result_free(&r);
}

static void test_signal_and_error_rules_together_use_seccomp_for_both(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "--json", "fsync:error=EIO:when=1", "fsync:signal=SIGKILL:when=2",
	       "--", bin_seq, "fsync", "4", in(fx, "f"), NULL);
	out = lines_of(&r);
	/* Rule 1 counts only the calls rule 0 left: its 2nd is the 3rd fsync. */
	assert_string_equal(out, "1 EIO\n2 0\n");
	assert_int_equal(r.code, 128 + SIGKILL);
	json_t *s = summary(&r);

	assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "seccomp-notify");
	assert_string_equal(jstr(rule_n(s, 1), "mechanism"), "seccomp-notify");
	assert_int_equal(jint(s, "exit_status"), 128 + SIGKILL);
	json_decref(s);
	free(out);
	fl_cli_result_free(&r);
}

/* ---------------------------------------------- launched: selectors */

static void test_count_stops_after_n_injections(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "fsync:error=EIO:count=2", "--", bin_seq, "fsync", "4", in(fx, "f"),
	       NULL);
	out = lines_of(&r);
	assert_string_equal(out, "1 EIO\n2 EIO\n3 0\n4 0\n");
	free(out);
	fl_cli_result_free(&r);
}

static char *prob_run(const struct fl_fixture *fx, const char *seed_opt, const char *rule)
{
	struct fl_cli_result r;
	char *out;

	if (seed_opt)
		fl_run(&r, "syscall", "--seed", seed_opt, rule, "--", bin_seq, "fsync", "40",
		       in(fx, "f"), NULL);
	else
		fl_run(&r, "syscall", rule, "--", bin_seq, "fsync", "40", in(fx, "f"), NULL);
	assert_int_equal(r.code, 0);
	out = lines_of(&r);
	fl_cli_result_free(&r);
	return out;
}

static void test_prob_with_seed_gives_the_same_sequence_twice(void **state)
{
	struct fl_fixture *fx = *state;
	char *a, *b, *c, *d;
	size_t fails;

	if (!require_cli())
		skip();
	a = prob_run(fx, "42", "fsync:error=EIO:prob=50%");
	b = prob_run(fx, "42", "fsync:error=EIO:prob=50%");
	c = prob_run(fx, NULL, "fsync:error=EIO:prob=50%:seed=42");
	d = prob_run(fx, "43", "fsync:error=EIO:prob=50%");
	fails = fl_count_lines(a, "EIO");
	print_message("  --seed 42: %zu of 40 failed\n", fails);
	assert_true(fails > 4 && fails < 36);
	assert_string_equal(a, b);
	/* --seed N is the default seed= of every rule. */
	assert_string_equal(a, c);
	/* Another seed, another sequence (2^-40 odds of a false alarm). */
	assert_string_not_equal(a, d);
	free(a);
	free(b);
	free(c);
	free(d);
}

/* The EIO lines form a non-empty prefix and the last call succeeded. */
static void assert_failures_are_a_prefix(const char *out, int n)
{
	bool ok_seen = false;
	int fails = 0;

	for (int i = 1; i <= n; i++) {
		char line[32];

		snprintf(line, sizeof(line), "%d EIO\n", i);
		if (strstr(out, line)) {
			assert_false(ok_seen);
			fails++;
		} else {
			ok_seen = true;
		}
	}
	assert_true(fails >= 1);
	assert_true(ok_seen);
}

static void test_for_selector_ends_the_rule_after_its_duration(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "fsync:error=EIO:for=300ms", "--", bin_seq, "-i", "100", "fsync",
	       "8", in(fx, "f"), NULL);
	out = lines_of(&r);
	print_message("  %s", out);
	assert_failures_are_a_prefix(out, 8);
	assert_int_equal(r.code, 0);
	free(out);
	fl_cli_result_free(&r);
}

static void test_for_option_stops_injecting_and_the_command_runs_on(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "--for", "300ms", "fsync:error=EIO", "--", bin_seq, "-i", "100",
	       "fsync", "8", in(fx, "f"), NULL);
	out = lines_of(&r);
	print_message("  %s", out);
	assert_failures_are_a_prefix(out, 8);
	assert_non_null(strstr(out, "8 0\n"));
	assert_int_equal(r.code, 0);
	free(out);
	fl_cli_result_free(&r);
}

static void test_path_glob_on_a_path_call_faults_only_matching_files(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "openat:error=EACCES:path=*.wal", "--", bin_seq, "openat", "4",
	       in(fx, "a.wal"), in(fx, "b.dat"), NULL);
	out = lines_of(&r);
	assert_string_equal(out, "1 EACCES\n2 ok\n3 EACCES\n4 ok\n");
	free(out);
	fl_cli_result_free(&r);
}

static void test_path_glob_on_an_fd_call_matches_the_fds_path(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "--json", "fsync:error=EIO:path=*.wal", "--", bin_seq, "fsync", "4",
	       in(fx, "a.wal"), in(fx, "b.dat"), NULL);
	out = lines_of(&r);
	assert_string_equal(out, "1 EIO\n2 0\n3 EIO\n4 0\n");
	json_t *s = summary(&r);

	assert_int_equal(jint(rule_n(s, 0), "injected"), 2);
	json_decref(s);
	free(out);
	fl_cli_result_free(&r);
}

static void test_first_rule_that_fires_wins_and_later_rules_do_not_count_the_call(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "--json", "fsync:error=EIO:when=2", "fsync:error=ENOSPC:when=2",
	       "--", bin_seq, "fsync", "4", in(fx, "f"), NULL);
	out = lines_of(&r);
	/* Call 2 is rule 0's; rule 1's 2nd call is then the 3rd fsync. */
	assert_string_equal(out, "1 0\n2 EIO\n3 ENOSPC\n4 0\n");
	json_t *s = summary(&r);

	assert_int_equal(jint(rule_n(s, 0), "injected"), 1);
	assert_int_equal(jint(rule_n(s, 1), "injected"), 1);
	assert_int_equal(jint(rule_n(s, 0), "rule"), 0);
	assert_int_equal(jint(rule_n(s, 1), "rule"), 1);
	json_decref(s);
	free(out);
	fl_cli_result_free(&r);
}

static void test_children_of_the_launched_command_are_targets(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "fsync:error=EIO", "--", bin_seq, "-F", "fsync", "2", in(fx, "f"),
	       NULL);
	out = lines_of(&r);
	assert_string_equal(out, "1 EIO\n2 EIO\n");
	free(out);
	fl_cli_result_free(&r);
}

/* ---------------------------------------------- output: log, json, exit */

static void test_log_file_gets_one_json_line_per_injection(void **state)
{
	struct fl_fixture *fx = *state;
	char log[PATH_MAX], line[4096];
	struct fl_cli_result r;
	int n = 0;
	FILE *f;

	if (!require_cli())
		skip();
	snprintf(log, sizeof(log), "%s", in(fx, "events.jsonl"));
	fl_run(&r, "syscall", "--log", log, "fsync:error=EIO:when=2..3", "--", bin_seq, "fsync",
	       "4", in(fx, "f"), NULL);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	f = fopen(log, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t jerr;
		json_t *ev = json_loads(line, 0, &jerr);

		if (!ev)
			fail_msg("log line %d is not JSON: %s (%s)", n + 1, line, jerr.text);
		assert_int_equal(jint(ev, "seq"), 2 + n);
		assert_int_equal(jint(ev, "rule"), 0);
		assert_int_equal(jint(ev, "value"), EIO);
		assert_string_equal(jstr(ev, "domain"), "syscall");
		assert_string_equal(jstr(ev, "action"), "error");
		assert_string_equal(jstr(ev, "mechanism"), "seccomp-notify");
		assert_string_equal(jstr(ev, "result"), "injected");
		assert_string_equal(jstr(ev, "op"), "fsync");
		assert_string_equal(jstr(ev, "comm"), "fl-errno-seq");
		assert_true(jint(ev, "pid") > 0);
		json_decref(ev);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 2);
}

static void test_log_dash_streams_events_to_stdout(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "--log", "-", "fsync:error=EIO:when=1", "--", bin_seq, "fsync", "2",
	       in(fx, "f"), NULL);
	char *out = lines_of(&r);

	/* The event line may land between the target's lines: both write to stdout. */
	assert_int_equal(fl_count_lines(r.out, "\"action\":\"error\""), 1);
	assert_string_equal(out, "1 EIO\n2 0\n");
	free(out);
	fl_cli_result_free(&r);
}

static void test_json_summary_has_every_field_and_the_exit_status(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	const char *keys[] = { "rule", "text", "mechanism", "hook", "matched", "injected",
			       "failed", "events_lost" };

	if (!require_cli())
		skip();
	fl_run(&r, "syscall", "-j", "fsync:error=EIO:when=2", "--", "/bin/sh", "-c",
	       "\"$0\" fsync 3 \"$1\"; exit 3", bin_seq, in(fx, "f"), NULL);
	/* faultline exits with the command's status. */
	assert_int_equal(r.code, 3);
	json_t *s = summary(&r), *rule = rule_n(s, 0);

	assert_true(jint(s, "pid") > 0);
	assert_int_equal(jint(s, "exit_status"), 3);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(rule, keys[i]));
	assert_string_equal(jstr(rule, "text"), "fsync:error=EIO:when=2");
	assert_int_equal(jint(rule, "matched"), 3);
	assert_int_equal(jint(rule, "injected"), 1);
	assert_int_equal(jint(rule, "failed"), 0);
	assert_int_equal(jint(rule, "events_lost"), 0);
	assert_int_equal(json_array_size(json_object_get(s, "rules")), 1);
	json_decref(s);
	fl_cli_result_free(&r);
}

static void test_verbose_prints_each_injection_on_stderr(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result quiet, loud;

	if (!require_cli())
		skip();
	fl_run(&quiet, "syscall", "fsync:error=EIO:when=1..3", "--", bin_seq, "fsync", "4",
	       in(fx, "f"), NULL);
	fl_run(&loud, "syscall", "-v", "fsync:error=EIO:when=1..3", "--", bin_seq, "fsync", "4",
	       in(fx, "f"), NULL);
	/* The same summary, plus one line per injection. */
	assert_int_equal(fl_count_lines(loud.err, ""), fl_count_lines(quiet.err, "") + 3);
	assert_int_equal(loud.code, 0);
	fl_cli_result_free(&quiet);
	fl_cli_result_free(&loud);
}

/* Launch argv's command under rule: exit code want, and a message naming the command. */
static void cannot_run(const char *rule, const char *cmd, int want)
{
	struct fl_cli_result r;

	fl_run(&r, "syscall", rule, "--", cmd, NULL);
	print_message("  %s -- %s: exit %d\n", rule, cmd, r.code);
	assert_int_equal(r.code, want);
	assert_non_null(strstr(r.err, cmd));
	fl_cli_result_free(&r);
}

static void test_missing_command_exits_127_and_unexecutable_126(void **state)
{
	struct fl_fixture *fx = *state;
	char missing[PATH_MAX], noexec[PATH_MAX];
	FILE *f;

	if (!require_cli())
		skip();
	snprintf(missing, sizeof(missing), "%s", in(fx, "no-such-command"));
	snprintf(noexec, sizeof(noexec), "%s", in(fx, "not-executable"));
	f = fopen(noexec, "w");
	assert_non_null(f);
	fclose(f);
	/* The same on both launch paths: seccomp-notify and send-signal. */
	cannot_run("fsync:error=EIO", missing, 127);
	cannot_run("fsync:signal=SIGKILL", missing, 127);
	cannot_run("fsync:error=EIO", noexec, 126);
	cannot_run("fsync:signal=SIGKILL", noexec, 126);
}

/* ---------------------------------------------- bystanders */

static void test_bystander_fsyncing_beside_a_launched_target_sees_no_fault(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_bystander_opts bo = { .op = FL_BYSTANDER_FSYNC, .dir = fx->path,
					.slow_ns = BYSTANDER_SLOW_NS };
	struct fl_bystander_stats bs;
	struct fl_bystander *b = NULL;
	struct fl_cli_result r;
	char *out;

	if (!require_cli())
		skip();
	assert_int_equal(fl_bystander_start(&bo, &b), 0);
	fl_run(&r, "syscall", "fsync:error=EIO", "fsync:delay=10ms", "--", bin_seq, "-i", "10",
	       "fsync", "50", in(fx, "f"), NULL);
	assert_int_equal(fl_bystander_stop(b, &bs), 0);
	out = lines_of(&r);
	assert_int_equal(fl_count_lines(out, "EIO"), 50);
	assert_bystander_unharmed(&bs);
	free(out);
	fl_cli_result_free(&r);
}

/* ---------------------------------------------- running targets */

struct running {
	struct fl_cli *target;
	struct fl_cli *fl;
	struct fl_cli_result res;
	char *target_out;
	int target_code;
};

/* Wait for faultline (timeout_ms) and then for the target (kill it if it still runs). */
static void finish(struct running *run, int fl_timeout_ms, int target_timeout_ms)
{
	struct fl_cli_result tr;

	if (run->fl) {
		assert_int_equal(fl_cli_wait(run->fl, fl_timeout_ms, &run->res), 0);
		fl_cli_free(run->fl);
		run->fl = NULL;
	}
	fl_cli_wait(run->target, target_timeout_ms, &tr);
	fl_cli_free(run->target);
	run->target = NULL;
	run->target_out = tr.out;
	run->target_code = tr.code;
	free(tr.err);
}

static void running_free(struct running *run)
{
	fl_cli_free(run->fl);
	fl_cli_free(run->target);
	fl_cli_result_free(&run->res);
	free(run->target_out);
}

static void test_pid_signal_kills_the_running_process_at_the_call(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_bystander_opts bo = { .op = FL_BYSTANDER_FSYNC, .dir = fx->path,
					.slow_ns = BYSTANDER_SLOW_NS };
	struct fl_bystander_stats bs;
	struct fl_bystander *b = NULL;
	struct running run = { 0 };
	uint64_t died;

	if (!require_cli())
		skip();
	assert_int_equal(fl_bystander_start(&bo, &b), 0);
	run.target = start(bin_seq, "-i", "20", "fsync", "400", in(fx, "f"), NULL);
	run.fl = start(bin_fl, "syscall", "--json", "fsync:signal=SIGKILL", "--pid",
		       num(run.target->pid), NULL);
	/* The target dies of SIGKILL ... */
	struct fl_cli_result tr;

	assert_int_equal(fl_cli_wait(run.target, 8000, &tr), 0);
	died = fl_cli_now_ms();
	assert_int_equal(tr.code, 128 + SIGKILL);
	fl_cli_result_free(&tr);
	finish(&run, 5000, 0);
	/* ... and faultline ends by itself once its only --pid target is gone. */
	assert_int_equal(run.res.code, 0);
	assert_true(fl_cli_now_ms() - died < 3000);
	json_t *s = summary(&run.res);

	assert_true(json_is_null(json_object_get(s, "pid")));
	assert_true(json_is_null(json_object_get(s, "exit_status")));
	assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "send-signal");
	assert_int_equal(jint(rule_n(s, 0), "injected"), 1);
	json_decref(s);

	assert_int_equal(fl_bystander_stop(b, &bs), 0);
	assert_bystander_unharmed(&bs);
	running_free(&run);
}

static void test_pid_repeated_targets_all_and_ends_when_all_are_gone(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli *a, *b, *fl;
	struct fl_cli_result ra, rb, rf;

	if (!require_cli())
		skip();
	a = start(bin_seq, "-i", "20", "fsync", "400", in(fx, "a"), NULL);
	b = start(bin_seq, "-i", "20", "fdatasync", "400", in(fx, "b"), NULL);
	fl = start(bin_fl, "syscall", "fsync,fdatasync:signal=SIGKILL", "--pid", num(a->pid),
		   "--pid", num(b->pid), NULL);
	fl_cli_wait(a, 8000, &ra);
	fl_cli_wait(b, 8000, &rb);
	assert_int_equal(fl_cli_wait(fl, 5000, &rf), 0);
	assert_int_equal(ra.code, 128 + SIGKILL);
	assert_int_equal(rb.code, 128 + SIGKILL);
	assert_int_equal(rf.code, 0);
	fl_cli_result_free(&ra);
	fl_cli_result_free(&rb);
	fl_cli_result_free(&rf);
	fl_cli_free(a);
	fl_cli_free(b);
	fl_cli_free(fl);
}

static void test_pid_pause_stops_the_process_and_continues_it(void **state)
{
	struct fl_fixture *fx = *state;
	struct running run = { 0 };
	long long max;

	if (!require_cli())
		skip();
	run.target = start(bin_seq, "-t", "-i", "20", "fsync", "100", in(fx, "f"), NULL);
	run.fl = start(bin_fl, "syscall", "--json", "--for", "4s", "fsync:pause=700ms:count=1",
		       "--pid", num(run.target->pid), NULL);
	pid_t fl_pid = run.fl->pid;

	assert_true(fl_proc_wait_state(run.target->pid, "tT", 3000));
	/* Continued after the pause, not left stopped. */
	assert_true(fl_proc_wait_state(run.target->pid, "RSD", 2000));
	fl_cli_signal(run.fl, SIGINT);
	finish(&run, 5000, 5000);
	/* The record of the stopped process was removed on exit. */
	assert_false(fl_cli_session_left(fl_pid));
	max = max_us(run.target_out, NULL);
	print_message("  longest fsync: %lld us\n", max);
	assert_true(max >= 650000);
	assert_int_equal(run.target_code, 0);
	json_t *s = summary(&run.res);

	assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "sigstop");
	assert_int_equal(jint(rule_n(s, 0), "injected"), 1);
	json_decref(s);
	running_free(&run);
}

static void test_pid_pause_longer_than_for_is_ended_when_faultline_exits(void **state)
{
	struct fl_fixture *fx = *state;
	struct running run = { 0 };
	pid_t fl_pid;

	if (!require_cli())
		skip();
	run.target = start(bin_seq, "-i", "20", "fsync", "100", in(fx, "f"), NULL);
	run.fl = start(bin_fl, "syscall", "--for", "1s", "fsync:pause=30s:count=1", "--pid",
		       num(run.target->pid), NULL);
	fl_pid = run.fl->pid;
	assert_true(fl_proc_wait_state(run.target->pid, "tT", 3000));
	assert_int_equal(fl_cli_wait(run.fl, 5000, &run.res), 0);
	fl_cli_free(run.fl);
	run.fl = NULL;
	assert_int_equal(run.res.code, 0);
	/* At --for, faultline continued what it stopped before it exited. */
	assert_true(strchr("RSD", fl_proc_state(run.target->pid)) != NULL);
	assert_false(fl_cli_session_left(fl_pid));
	finish(&run, 0, 5000);
	assert_int_equal(run.target_code, 0);
	running_free(&run);
}

static void test_pid_short_delay_spins_in_the_kernel(void **state)
{
	struct fl_fixture *fx = *state;
	struct running run = { 0 };
	long long max, min;

	if (!require_cli())
		skip();
	run.target = start(bin_seq, "-t", "-i", "10", "fsync", "150", in(fx, "f"), NULL);
	run.fl = start(bin_fl, "syscall", "--json", "--for", "1500ms", "fsync:delay=2ms",
		       "--pid", num(run.target->pid), NULL);
	finish(&run, 5000, 8000);
	max = max_us(run.target_out, &min);
	print_message("  fsync: %lld..%lld us\n", min, max);
	assert_true(max >= 1950);
	assert_int_equal(run.res.code, 0);
	assert_int_equal(run.target_code, 0);
	json_t *s = summary(&run.res);

	assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "bpf-loop-delay");
	assert_true(jint(rule_n(s, 0), "injected") >= 1);
	json_decref(s);
	running_free(&run);
}

static int udp_connect(void *ctx)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	r = connect(s, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	close(s);
	return r;
}

/* error= on a socket call of a running process: cgroup-sock; a bystander connects freely. */
static void socket_error_on_pid(const char *sc, const char *rule, const char *err_name)
{
	struct fl_bystander_opts bo = { .op = FL_BYSTANDER_CUSTOM, .fn = udp_connect,
					.slow_ns = BYSTANDER_SLOW_NS };
	struct fl_bystander_stats bs;
	struct fl_bystander *b = NULL;
	struct running run = { 0 };

	if (!require_cli())
		skip();
	assert_int_equal(fl_bystander_start(&bo, &b), 0);
	run.target = start(bin_seq, "-i", "20", sc, "100", NULL);
	run.fl = start(bin_fl, "syscall", "--json", "--for", "1500ms", rule, "--pid",
		       num(run.target->pid), NULL);
	finish(&run, 5000, 5000);
	assert_int_equal(fl_bystander_stop(b, &bs), 0);
	print_message("  %s: %zu of 100 failed with %s\n", rule,
		      fl_count_lines(run.target_out, err_name), err_name);
	assert_true(fl_count_lines(run.target_out, err_name) >= 1);
	assert_int_equal(run.res.code, 0);
	json_t *s = summary(&run.res);

	assert_running_errno_mechanism(jstr(rule_n(s, 0), "mechanism"));
	assert_true(jint(rule_n(s, 0), "injected") >= 1);
	json_decref(s);
	assert_bystander_unharmed(&bs);
	running_free(&run);
}

static void test_pid_connect_error_uses_cgroup_sock(void **state)
{
	socket_error_on_pid("connect", "connect:error=ECONNREFUSED", "ECONNREFUSED");
}

static void test_pid_socket_error_uses_cgroup_sock(void **state)
{
	socket_error_on_pid("socket", "socket:error=EACCES", "EACCES");
}

static void test_pid_bind_error_uses_cgroup_sock(void **state)
{
	socket_error_on_pid("bind", "bind:error=EADDRINUSE", "EADDRINUSE");
}

static void test_pid_follow_makes_future_children_targets(void **state)
{
	struct fl_fixture *fx = *state;
	struct running run = { 0 };

	if (!require_cli())
		skip();
	/* The parent never fsyncs; each call runs in a fresh child. */
	run.target = start(bin_seq, "-F", "-i", "50", "fsync", "60", in(fx, "f"), NULL);
	run.fl = start(bin_fl, "syscall", "--json", "--for", "3s", "fsync:signal=SIGKILL", "--pid",
		       num(run.target->pid), "--follow", NULL);
	assert_true(output_has(run.target, "SIGKILL", 3000));
	uint64_t t0 = fl_cli_now_ms();

	fl_cli_signal(run.target, SIGTERM);
	/* The parent and its followed children are gone: faultline ends before --for. */
	finish(&run, 5000, 2000);
	print_message("  faultline ended %llu ms after its last target\n",
		      (unsigned long long)(fl_cli_now_ms() - t0));
	assert_true(fl_cli_now_ms() - t0 < 1000);
	assert_int_equal(run.res.code, 0);
	json_t *s = summary(&run.res);

	assert_true(jint(rule_n(s, 0), "injected") >= 1);
	json_decref(s);
	running_free(&run);
}

static void test_pid_without_follow_leaves_children_alone(void **state)
{
	struct fl_fixture *fx = *state;
	struct running run = { 0 };

	if (!require_cli())
		skip();
	run.target = start(bin_seq, "-F", "-i", "50", "fsync", "30", in(fx, "f"), NULL);
	run.fl = start(bin_fl, "syscall", "--json", "--for", "1500ms", "fsync:signal=SIGKILL",
		       "--pid", num(run.target->pid), NULL);
	finish(&run, 5000, 5000);
	assert_int_equal(fl_count_lines(run.target_out, "SIGKILL"), 0);
	assert_int_equal(run.target_code, 0);
	json_t *s = summary(&run.res);

	assert_int_equal(jint(rule_n(s, 0), "injected"), 0);
	json_decref(s);
	running_free(&run);
}

static int move_to_cgroup(const char *cg, pid_t pid)
{
	char path[PATH_MAX + 16];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%d\n", (int)pid) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

/* The sub-cgroup the --cgroup test makes: the fixture's cleanup cannot remove a parent. */
static char cg_sub[PATH_MAX + 8];

static int teardown_cgroup_sub(void **state)
{
	char root[PATH_MAX];

	if (cg_sub[0] && fl_fixture_cgroup2_root(root, sizeof(root)) == 0) {
		char procs[PATH_MAX + 32], pid[32];
		FILE *f;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_sub);
		f = fopen(procs, "re");
		while (f && fgets(pid, sizeof(pid), f))
			move_to_cgroup(root, atoi(pid));
		if (f)
			fclose(f);
		rmdir(cg_sub);
		cg_sub[0] = '\0';
	}
	return fl_cli_teardown_session(state);
}

static void test_cgroup_targets_every_process_in_it_and_below(void **state)
{
	struct fl_fixture *fx = *state;
	char cg[PATH_MAX], dir[PATH_MAX];
	char *sub = cg_sub;
	struct fl_cli *in_cg, *in_sub, *outside, *fl;
	struct fl_cli_result r1, r2, r3, rf;

	if (!require_cli())
		skip();
	snprintf(dir, sizeof(dir), "%s", fx->path);
	assert_int_equal(fl_fixture_cgroup_create(cg, sizeof(cg)), 0);
	snprintf(cg_sub, sizeof(cg_sub), "%s/sub", cg);
	assert_int_equal(mkdir(sub, 0755), 0);

	in_cg = start(bin_seq, "-i", "20", "fsync", "400", fl_test_path(dir, "a"), NULL);
	in_sub = start(bin_seq, "-i", "20", "fsync", "400", fl_test_path(dir, "b"), NULL);
	outside = start(bin_seq, "-i", "20", "fsync", "100", fl_test_path(dir, "c"), NULL);
	assert_int_equal(move_to_cgroup(cg, in_cg->pid), 0);
	assert_int_equal(move_to_cgroup(sub, in_sub->pid), 0);

	fl = start(bin_fl, "syscall", "--json", "--for", "2500ms", "fsync:signal=SIGKILL",
		   "--cgroup", cg, NULL);
	fl_cli_wait(in_cg, 6000, &r1);
	fl_cli_wait(in_sub, 6000, &r2);
	assert_int_equal(fl_cli_wait(fl, 6000, &rf), 0);
	fl_cli_wait(outside, 6000, &r3);

	assert_int_equal(r1.code, 128 + SIGKILL);
	assert_int_equal(r2.code, 128 + SIGKILL);
	assert_int_equal(r3.code, 0);
	assert_int_equal(rf.code, 0);
	json_t *s = summary(&rf);

	assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "send-signal");
	assert_int_equal(jint(rule_n(s, 0), "injected"), 2);
	json_decref(s);
	fl_cli_result_free(&r1);
	fl_cli_result_free(&r2);
	fl_cli_result_free(&r3);
	fl_cli_result_free(&rf);
	fl_cli_free(in_cg);
	fl_cli_free(in_sub);
	fl_cli_free(outside);
	fl_cli_free(fl);
	assert_int_equal(rmdir(sub), 0);
	cg_sub[0] = '\0';
	assert_int_equal(fl_fixture_cgroup_destroy(cg), 0);
}

static void test_comm_targets_threads_with_that_name_only(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_bystander_opts bo = { .op = FL_BYSTANDER_FSYNC, .dir = fx->path,
					.slow_ns = BYSTANDER_SLOW_NS };
	struct fl_bystander_stats bs;
	struct fl_bystander *b = NULL;
	struct fl_cli *named, *other, *fl;
	struct fl_cli_result rn, ro, rf;
	char comm[16];

	if (!require_cli())
		skip();
	snprintf(comm, sizeof(comm), "fl-cm-%d", (int)getpid() % 100000);
	assert_int_equal(fl_bystander_start(&bo, &b), 0);
	named = start(bin_seq, "-c", comm, "-i", "20", "fsync", "400", in(fx, "a"), NULL);
	other = start(bin_seq, "-c", "fl-cm-other", "-i", "20", "fsync", "100", in(fx, "b"), NULL);
	fl = start(bin_fl, "syscall", "--json", "--for", "2500ms", "fsync:signal=SIGKILL",
		   "--comm", comm, NULL);
	fl_cli_wait(named, 6000, &rn);
	assert_int_equal(fl_cli_wait(fl, 6000, &rf), 0);
	fl_cli_wait(other, 6000, &ro);
	assert_int_equal(fl_bystander_stop(b, &bs), 0);

	assert_int_equal(rn.code, 128 + SIGKILL);
	assert_int_equal(ro.code, 0);
	assert_int_equal(rf.code, 0);
	assert_bystander_unharmed(&bs);
	json_t *s = summary(&rf);

	assert_int_equal(jint(rule_n(s, 0), "injected"), 1);
	json_decref(s);
	fl_cli_result_free(&rn);
	fl_cli_result_free(&ro);
	fl_cli_result_free(&rf);
	fl_cli_free(named);
	fl_cli_free(other);
	fl_cli_free(fl);
}

static void test_running_mode_ends_on_sigint_and_leaves_the_target_running(void **state)
{
	struct fl_fixture *fx = *state;
	struct running run = { 0 };
	uint64_t t0;

	if (!require_cli())
		skip();
	run.target = start(bin_seq, "-i", "20", "fsync", "400", in(fx, "f"), NULL);
	run.fl = start(bin_fl, "syscall", "--json", "fsync:signal=SIGKILL:when=100000000",
		       "--pid", num(run.target->pid), NULL);
	usleep(1000000);
	t0 = fl_cli_now_ms();
	assert_int_equal(fl_cli_signal(run.fl, SIGINT), 0);
	assert_int_equal(fl_cli_wait(run.fl, 2000, &run.res), 0);
	fl_cli_free(run.fl);
	run.fl = NULL;
	assert_true(fl_cli_now_ms() - t0 < 1000);
	assert_int_equal(run.res.code, 0);
	json_t *s = summary(&run.res);

	assert_true(jint(rule_n(s, 0), "matched") > 0);
	assert_int_equal(jint(rule_n(s, 0), "injected"), 0);
	json_decref(s);
	assert_true(strchr("RSD", fl_proc_state(run.target->pid)) != NULL);
	fl_cli_signal(run.target, SIGTERM);
	finish(&run, 0, 2000);
	running_free(&run);
}

/* ---------------------------------------------- refusals */

/* faultline ARGS must exit 2 with a message containing every needle; the target is unharmed. */
static void assert_refused(const struct fl_cli_result *r, const char *const *needles)
{
	print_message("  exit %d: %s", r->code, r->err);
	assert_int_equal(r->code, 2);
	assert_true(r->err[0] != '\0');
	for (; needles && *needles; needles++)
		if (!strcasestr(r->err, *needles))
			fail_msg("the message does not mention '%s': %s", *needles, r->err);
}

/*
 * faultline [--mechanism MECH] RULE --pid TARGET must be refused with a
 * message that mentions needle, and leave the target untouched. --for:
 * should it be accepted after all, it ends and the test fails quickly.
 */
static void refused_on_pid(const struct fl_fixture *fx, const char *mech, const char *rule,
			   const char *needle)
{
	struct fl_cli_result r;
	struct fl_cli *t;

	if (!require_cli())
		skip();
	t = start(bin_seq, "-i", "20", "fsync", "300", in(fx, "f"), NULL);
	if (mech)
		fl_run(&r, "syscall", "--for", "1s", "--mechanism", mech, rule, "--pid",
		       num(t->pid), NULL);
	else
		fl_run(&r, "syscall", "--for", "1s", rule, "--pid", num(t->pid), NULL);
	assert_refused(&r, (const char *[]){ needle, NULL });
	fl_cli_result_free(&r);

	/* The target was not touched: running, and every call succeeded. */
	assert_true(output_has(t, "3 0\n", 3000));
	assert_true(strchr("RSD", fl_proc_state(t->pid)) != NULL);
	fl_cli_wait(t, 0, &r);
	assert_int_equal(fl_count_lines(r.out, "E"), 0);
	fl_cli_result_free(&r);
	fl_cli_free(t);
}

/*
 * --hook starts the crash point lower down fentry, tracepoint, raw-tp: the
 * summary names the hook that carried it, and an unknown hook is refused
 * before anything runs.
 */
static void test_hook_option_picks_where_the_crash_point_runs(void **state)
{
	struct fl_fixture *fx = *state;
	const char *hooks[] = { "tracepoint", "raw-tp" };
	struct fl_cli_result r;

	if (!require_cli())
		skip();
	for (size_t i = 0; i < 2; i++) {
		fl_run(&r, "syscall", "--json", "--hook", hooks[i], "fsync:signal=SIGKILL:when=2",
		       "--", bin_seq, "fsync", "3", in(fx, "f"), NULL);
		assert_int_equal(r.code, 128 + SIGKILL);
		json_t *s = summary(&r);

		assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "send-signal");
		assert_string_equal(jstr(rule_n(s, 0), "hook"), hooks[i]);
		assert_int_equal(jint(rule_n(s, 0), "injected"), 1);
		json_decref(s);
		fl_cli_result_free(&r);
	}
	fl_run(&r, "syscall", "--hook", "kprobe", "fsync:signal=SIGKILL", "--", bin_seq, "fsync",
	       "1", in(fx, "f"), NULL);
	assert_refused(&r, (const char *[]){ "--hook: unknown hook 'kprobe'", NULL });
	fl_cli_result_free(&r);
}

/* A negative --seed is refused, not wrapped to 2^64-1. */
static void test_negative_seed_is_refused(void **state)
{
	refused_on_pid(*state, NULL, "--seed=-1", "--seed: '-1' is not a number");
}

/* A 100 KB rule with binary bytes in it is echoed cut and escaped. */
static void test_errors_echo_a_huge_binary_rule_cut_and_escaped(void **state)
{
	static char rule[100 * 1024];
	struct fl_cli_result r;

	(void)state;
	if (!require_cli())
		skip();
	memset(rule, 'a', sizeof(rule) - 1);
	memcpy(rule, "fsync:error=E\x01\xff", 15);
	fl_run(&r, "syscall", rule, "--pid", "1", NULL);
	print_message("  %s", r.err);
	assert_int_equal(r.code, 2);
	assert_true(strlen(r.err) < 400);
	assert_non_null(strstr(r.err, "fsync:error=E\\x01\\xffaaa"));
	assert_non_null(strstr(r.err, "...:"));
	for (const char *c = r.err; *c; c++)
		assert_true(*c == '\n' || (*c >= 0x20 && *c < 0x7f));
	fl_cli_result_free(&r);
}

static void test_pid_error_on_fsync_is_refused_and_launching_is_suggested(void **state)
{
	/* error= on fsync needs an LSM or fmod_ret hook, refused by this kernel. */
	refused_on_pid(*state, NULL, "fsync:error=EIO", "launch");
}

/*
 * Past the spin's 2 ms cap a running process is stopped instead: the call
 * still returns DUR later, and every thread of the process waits with it.
 */
static void test_pid_long_delay_stops_the_process_with_sigstop(void **state)
{
	struct fl_fixture *fx = *state;
	struct running run = { 0 };
	long long max, min;

	if (!require_cli())
		skip();
	run.target = start(bin_seq, "-t", "-i", "10", "fsync", "100", in(fx, "f"), NULL);
	run.fl = start(bin_fl, "syscall", "--json", "--for", "1500ms", "fsync:delay=300ms:count=1",
		       "--pid", num(run.target->pid), NULL);
	finish(&run, 5000, 8000);
	max = max_us(run.target_out, &min);
	print_message("  fsync: %lld..%lld us\n", min, max);
	assert_true(max >= 290000);
	assert_int_equal(run.res.code, 0);
	assert_int_equal(run.target_code, 0);
	json_t *s = summary(&run.res);

	assert_string_equal(jstr(rule_n(s, 0), "mechanism"), "sigstop");
	assert_int_equal(jint(rule_n(s, 0), "injected"), 1);
	json_decref(s);
	running_free(&run);
}

static void test_pid_long_delay_forced_to_spin_is_refused(void **state)
{
	/* The in-kernel spin is capped at 2ms (FL_SC_SPIN_MAX_NS). */
	refused_on_pid(*state, "bpf-loop-delay", "fsync:delay=2s", "2ms");
}

static void test_pid_retval_is_refused(void **state)
{
	refused_on_pid(*state, NULL, "fsync:retval=0", "retval");
}

static void test_pid_path_selector_is_refused(void **state)
{
	refused_on_pid(*state, NULL, "fsync:signal=SIGKILL:path=*.wal", "path");
}

static void test_pid_forced_mechanism_that_cannot_honour_the_rule_is_refused(void **state)
{
	refused_on_pid(*state, "cgroup-sock", "fsync:signal=SIGKILL", "cgroup-sock");
}

static void test_refusals_of_a_launch_exit_2_and_run_nothing(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cli_result r;
	char mark[PATH_MAX];

	if (!require_cli())
		skip();
	snprintf(mark, sizeof(mark), "%s", in(fx, "launched"));

	fl_run(&r, "syscall", "--mechanism", "no-such-mechanism", "fsync:error=EIO", "--", "touch",
	       mark, NULL);
	assert_refused(&r, (const char *[]){ "no-such-mechanism", NULL });
	fl_cli_result_free(&r);

	/* send-signal only sends signals. */
	fl_run(&r, "syscall", "--mechanism", "send-signal", "fsync:error=EIO", "--", "touch", mark,
	       NULL);
	assert_refused(&r, (const char *[]){ "send-signal", NULL });
	fl_cli_result_free(&r);

	/* Where the kernel refuses BPF LSM (lockdown), forcing it is refused. */
	if (!mech_works("bpf-lsm")) {
		fl_run(&r, "syscall", "--mechanism", "bpf-lsm", "openat:error=EIO", "--", "touch",
		       mark, NULL);
		assert_refused(&r, (const char *[]){ "bpf-lsm", NULL });
		fl_cli_result_free(&r);
	}

	fl_run(&r, "syscall", "fsync:error=ENOTANERRNO", "--", "touch", mark, NULL);
	assert_refused(&r, NULL);
	fl_cli_result_free(&r);

	fl_run(&r, "syscall", "--pid", "1", "fsync:signal=SIGKILL", "--", "touch", mark, NULL);
	assert_refused(&r, NULL);
	fl_cli_result_free(&r);

	assert_int_not_equal(access(mark, F_OK), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fl_cli_teardown_session)
	const struct CMUnitTest tests[] = {
		T(test_error_fails_the_chosen_call_and_the_call_does_not_run),
		T(test_retval_fakes_success_and_the_call_does_not_run),
		T(test_delay_stalls_only_the_chosen_call),
		T(test_pause_stops_the_launched_process_then_the_call_runs),
		T(test_signal_and_error_rules_together_use_seccomp_for_both),
		T(test_count_stops_after_n_injections),
		T(test_prob_with_seed_gives_the_same_sequence_twice),
		T(test_for_selector_ends_the_rule_after_its_duration),
		T(test_for_option_stops_injecting_and_the_command_runs_on),
		T(test_path_glob_on_a_path_call_faults_only_matching_files),
		T(test_path_glob_on_an_fd_call_matches_the_fds_path),
		T(test_first_rule_that_fires_wins_and_later_rules_do_not_count_the_call),
		T(test_children_of_the_launched_command_are_targets),
		T(test_log_file_gets_one_json_line_per_injection),
		T(test_log_dash_streams_events_to_stdout),
		T(test_json_summary_has_every_field_and_the_exit_status),
		T(test_verbose_prints_each_injection_on_stderr),
		T(test_missing_command_exits_127_and_unexecutable_126),
		T(test_bystander_fsyncing_beside_a_launched_target_sees_no_fault),
		T(test_pid_signal_kills_the_running_process_at_the_call),
		T(test_pid_repeated_targets_all_and_ends_when_all_are_gone),
		T(test_pid_pause_stops_the_process_and_continues_it),
		T(test_pid_pause_longer_than_for_is_ended_when_faultline_exits),
		T(test_pid_short_delay_spins_in_the_kernel),
		T(test_pid_connect_error_uses_cgroup_sock),
		T(test_pid_socket_error_uses_cgroup_sock),
		T(test_pid_bind_error_uses_cgroup_sock),
		T(test_pid_follow_makes_future_children_targets),
		T(test_pid_without_follow_leaves_children_alone),
		cmocka_unit_test_setup_teardown(test_cgroup_targets_every_process_in_it_and_below,
						setup, teardown_cgroup_sub),
		T(test_comm_targets_threads_with_that_name_only),
		T(test_running_mode_ends_on_sigint_and_leaves_the_target_running),
		T(test_pid_error_on_fsync_is_refused_and_launching_is_suggested),
		T(test_pid_long_delay_stops_the_process_with_sigstop),
		T(test_hook_option_picks_where_the_crash_point_runs),
		T(test_negative_seed_is_refused),
		T(test_errors_echo_a_huge_binary_rule_cut_and_escaped),
		T(test_pid_long_delay_forced_to_spin_is_refused),
		T(test_pid_retval_is_refused),
		T(test_pid_path_selector_is_refused),
		T(test_pid_forced_mechanism_that_cannot_honour_the_rule_is_refused),
		T(test_refusals_of_a_launch_exit_2_and_run_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
