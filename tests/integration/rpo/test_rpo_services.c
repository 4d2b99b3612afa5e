// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline rpo` through the CLI against real servers from the Debian
 * packages, started by faultline itself with --start (a foreground
 * command) and started again the same way after the fault: redis with
 * appendfsync always and PostgreSQL with fsync and synchronous_commit on
 * lose nothing acknowledged under SIGKILL or SIGTERM. The lossy settings
 * run too and report what they lost, which is not asserted: a server may
 * be lucky.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include <faultline/rpo_session.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"
#include "helpers/services.h"

/* Acknowledged writes per second before the fault, from the history. */
static double rate_before_fault(json_t *trial)
{
	json_int_t fault = fl_json_int(trial, "times_ns.fault"), n = 0;
	json_t *ops = json_object_get(json_object_get(trial, "history"), "ops"), *op;
	size_t i;

	json_array_foreach(ops, i, op) {
		if (!strcmp(json_string_value(json_array_get(op, 4)), "ok") &&
		    json_integer_value(json_array_get(op, 3)) < fault)
			n++;
	}
	return fault > 0 ? (double)n * 1e9 / (double)fault : 0;
}

/* The service log without the refusals of health checks: what explains a failure. */
static void print_log(const char *path)
{
	char line[1024], keep[12][1024];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "starting up") || strstr(line, "not yet accepting") ||
		    strstr(line, "Consistent recovery"))
			continue;
		snprintf(keep[n++ % 12], sizeof(keep[0]), "%s", line);
	}
	fclose(f);
	print_message("service log, last lines:\n");
	for (size_t i = n > 12 ? n - 12 : 0; i < n; i++)
		print_message("  %s", keep[i % 12]);
}

/* "stop 1.2 ms, restart ..." from rto.phases_ns, null phases as "-". */
static const char *phases(json_t *trial, char *buf, size_t len)
{
	static const char *const names[] = { "stop", "restart", "recovery", "first_ok" };
	json_t *p = json_object_get(json_object_get(trial, "rto"), "phases_ns");
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < 4 && n < len; i++) {
		json_t *v = json_object_get(p, names[i]);

		if (json_is_integer(v))
			n += (size_t)snprintf(buf + n, len - n, "%s%s %.1f ms", i ? ", " : "",
					      names[i], json_integer_value(v) / 1e6);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s -", i ? ", " : "", names[i]);
	}
	return buf;
}

struct run {
	enum fl_svc_kind kind;
	enum fl_svc_durability durability;
	const char *fault;
	const char *trials;
	const char *term_timeout;
	const char *label;
	const char *term_signal;  /* --term-signal, or NULL */
};

/* One `faultline rpo` run against a fresh server; checks every trial of its result. */
static void run_rpo(const struct run *r, bool expect_no_loss)
{
	char why[1024] = "", slog[FL_SVC_PATH];
	const char *opt[5] = { NULL };
	struct fl_service s;
	struct fl_rpo_cli_result res;
	json_t *result, *trial;
	size_t i, k = 0;

	if (fl_service_create(&s, r->kind, r->durability, why, sizeof(why)))
		fail_msg("%s fixture: %s", fl_service_name(r->kind), why);
	snprintf(slog, sizeof(slog), "%s/service.log", s.root);
	/* The options a run may set, packed first: the NULL after them ends the arguments. */
	if (r->term_timeout) {
		opt[k++] = "--term-timeout";
		opt[k++] = r->term_timeout;
	}
	if (r->term_signal) {
		opt[k++] = "--term-signal";
		opt[k++] = r->term_signal;
	}
	fl_rpo_cli_run(s.root, FL_RPO_CLI_TIMEOUT_MS, &res, "-w", s.url, "--start", s.start_cmd,
		       "-d", s.data, "--service-log", slog, "--fault", r->fault, "--fault-at", "1s",
		       "--after", "1s", "--trials", r->trials ? r->trials : "1",
		       opt[0], opt[1], opt[2], opt[3], NULL);
	if (res.code != 0) {
		print_message("%s: exit %d\nstderr: %s\n", r->label, res.code, res.err);
		print_log(slog);
	}
	if (!res.result)
		fail_msg("%s: no result file %s/result.json", r->label, s.root);
	result = res.result;
	/* faultline stopped what it started. */
	assert_false(fl_service_up(&s));

	json_array_foreach(json_object_get(result, "trials"), i, trial) {
		json_t *c = json_object_get(trial, "counts");
		json_t *times = json_object_get(trial, "times_ns");
		char ph[160], label[128];

		snprintf(label, sizeof(label), "%s trial %zu", r->label, i);
		fl_rpo_assert_no_error(trial, label);
		print_message("%s trial %zu: %lld acknowledged (%.0f writes/s before the fault), "
			      "%lld lost, %lld unknown, %lld failed, %lld recovered; "
			      "RPO %.1f ms, RTO %.1f ms (%s)\n", r->label, i,
			      (long long)fl_json_int(c, "acknowledged"), rate_before_fault(trial),
			      (long long)fl_json_int(c, "lost"),
			      (long long)fl_json_int(c, "unknown"),
			      (long long)fl_json_int(c, "failed"),
			      (long long)fl_json_int(c, "recovered"),
			      fl_json_int(trial, "rpo.ns") / 1e6,
			      fl_json_int(trial, "rto.ns") / 1e6,
			      phases(trial, ph, sizeof(ph)));
		assert_true(fl_json_int(c, "acknowledged") > 0);
		/* Restarted through --start, and writes went through again. */
		assert_true(fl_json_int(times, "restarted") > fl_json_int(times, "fault"));
		assert_true(fl_json_int(times, "first_ok") > fl_json_int(times, "fault"));
		assert_int_equal(fl_json_int(c, "unexpected"), 0);
		assert_int_equal(fl_json_int(c, "duplicates"), 0);
		if (expect_no_loss) {
			assert_int_equal(fl_json_int(c, "lost"), 0);
			assert_int_equal(fl_json_int(c, "lost_corrupt"), 0);
		}
	}
	if (expect_no_loss)
		assert_int_equal(res.code, 0);
	fl_rpo_cli_result_free(&res);
	fl_service_destroy(&s);
}

static void test_redis_always_kill(void **state)
{
	const struct run r = { FL_SVC_REDIS, FL_SVC_SAFEST, "kill", "2", NULL,
			       "redis appendfsync=always, kill", NULL };

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	run_rpo(&r, true);
}

static void test_redis_always_term(void **state)
{
	const struct run r = { FL_SVC_REDIS, FL_SVC_SAFEST, "term", NULL, NULL,
			       "redis appendfsync=always, term", NULL };

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	run_rpo(&r, true);
}

/* Memory only: a kill takes everything since the start with it. Reported, not asserted. */
static void test_redis_no_aof_kill(void **state)
{
	const struct run r = { FL_SVC_REDIS, FL_SVC_NONE, "kill", NULL, NULL,
			       "redis appendonly=no, kill", NULL };

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	run_rpo(&r, false);
}

static void test_postgres_sync_kill(void **state)
{
	const struct run r = { FL_SVC_POSTGRES, FL_SVC_SAFEST, "kill", "2", NULL,
			       "postgres synchronous_commit=on, kill", NULL };

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_POSTGRES))
		skip();
	run_rpo(&r, true);
}

/*
 * SIGTERM is PostgreSQL's smart shutdown: it waits for every client to
 * leave, and the load never does; so after --term-timeout it is killed.
 */
static void test_postgres_sync_term(void **state)
{
	const struct run r = { FL_SVC_POSTGRES, FL_SVC_SAFEST, "term", NULL, "2s",
			       "postgres synchronous_commit=on, term", NULL };

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_POSTGRES))
		skip();
	run_rpo(&r, true);
}

/* SIGINT is PostgreSQL's fast shutdown: clients are cut off, the stop is quick and clean. */
static void test_postgres_sync_fast_shutdown(void **state)
{
	const struct run r = { FL_SVC_POSTGRES, FL_SVC_SAFEST, "term", NULL, "5s",
			       "postgres synchronous_commit=on, term with SIGINT", "SIGINT" };

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_POSTGRES))
		skip();
	run_rpo(&r, true);
}

/* Commits acknowledged before their WAL is flushed: a kill may lose the last ones. */
static void test_postgres_async_commit_kill(void **state)
{
	const struct run r = { FL_SVC_POSTGRES, FL_SVC_RELAXED, "kill", NULL, NULL,
			       "postgres synchronous_commit=off, kill", NULL };

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_POSTGRES))
		skip();
	run_rpo(&r, false);
}

/* Is a cgroup faultline-rpo-svc-<controller>-N left in the cgroup v2 root? */
static bool service_cgroup_left(pid_t controller)
{
	char root[PATH_MAX], prefix[64];
	struct dirent *de;
	bool left = false;
	DIR *d;

	if (fl_fixture_cgroup2_root(root, sizeof(root)))
		return false;
	snprintf(prefix, sizeof(prefix), "faultline-rpo-svc-%d-", (int)controller);
	d = opendir(root);
	assert_non_null(d);
	while ((de = readdir(d)))
		left |= !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(d);
	return left;
}

/* Files named faultline-wlog-* in dir (the run's $TMPDIR). */
static unsigned wlogs_in(const char *dir)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, "faultline-wlog-", 15);
	closedir(d);
	return n;
}

static bool data_mounted(const char *dir)
{
	char line[1024], pat[FL_SVC_PATH + 2];
	bool found = false;
	FILE *f = fopen("/proc/self/mounts", "re");

	assert_non_null(f);
	snprintf(pat, sizeof(pat), " %s ", dir);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, pat) != NULL;
	fclose(f);
	return found;
}

/*
 * SIGKILL `faultline rpo --start ... --faultfs` at several points of a
 * trial (starting, under load, around the fault and the restart, in
 * recovery): within 5 s its watchdog has killed the service it started
 * (nothing answers on the port), removed its cgroup, unmounted faultfs
 * and removed the temporary write log.
 */
static void test_a_sigkilled_rpo_leaves_no_service_cgroup_or_write_log(void **state)
{
	static const int kill_ms[] = { 400, 1300, 1700, 2600 };
	char why[1024] = "", tmp[FL_SVC_PATH], slog[FL_SVC_PATH];
	struct fl_service s;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	if (fl_service_create(&s, FL_SVC_REDIS, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("redis fixture: %s", why);
	snprintf(tmp, sizeof(tmp), "%s/tmp", s.root);
	snprintf(slog, sizeof(slog), "%s/service.log", s.root);
	assert_int_equal(mkdir(tmp, 0700), 0);
	/* The write log goes to $TMPDIR: this test's own directory. */
	setenv("TMPDIR", tmp, 1);
	for (size_t k = 0; k < sizeof(kill_ms) / sizeof(kill_ms[0]); k++) {
		char *argv[] = { fl_rpo_cli_bin(), "rpo", "--quiet", "-o", "/dev/null", "-w", s.url,
				 "--start", s.start_cmd, "-d", s.data, "--faultfs",
				 "--service-log", slog,
				 "--fault", "kill", "--fault-at", "1s", "--after", "2s", NULL };
		struct fl_cli_result res;
		struct fl_cli *c;
		pid_t pid;
		bool up = true, cg = true, mnt = true;
		unsigned wl = 1;

		assert_int_equal(fl_cli_start(argv, &c), 0);
		pid = c->pid;
		usleep((useconds_t)kill_ms[k] * 1000);
		assert_int_equal(fl_cli_signal(c, SIGKILL), 0);
		fl_cli_wait(c, 5000, &res);
		fl_cli_free(c);
		for (int i = 0; i < 100; i++) {
			up = fl_service_up(&s);
			cg = service_cgroup_left(pid);
			mnt = data_mounted(s.data);
			wl = wlogs_in(tmp);
			if (!up && !cg && !mnt && !wl)
				break;
			usleep(50000);
		}
		print_message("SIGKILL at %d ms: service %s, cgroup %s, faultfs %s, "
			      "%u write log(s)\n", kill_ms[k],
			      up ? "RUNNING" : "gone", cg ? "LEFT" : "gone",
			      mnt ? "MOUNTED" : "gone", wl);
		if (res.code != 128 + SIGKILL)
			print_log(slog);
		if (res.code != 128 + SIGKILL)
			fail_msg("faultline ended before the SIGKILL (exit %d): %s", res.code, res.err);
		fl_cli_result_free(&res);
		fl_service_stop(&s); /* whatever was left, before the next round or a failure */
		assert_false(up);
		assert_false(cg);
		assert_false(mnt);
		assert_int_equal(wl, 0);
	}
	unsetenv("TMPDIR");
	fl_service_destroy(&s);
}

/*
 * Each start and restart runs in a new cgroup faultline-rpo-svc-PID-N:
 * after a run that finished, none is left (a group whose last task has
 * just exited answers rmdir with EBUSY for a moment: retried).
 */
static void test_a_finished_rpo_leaves_no_service_cgroups(void **state)
{
	char why[1024] = "", cmd[4200];
	struct fl_service s;
	struct fl_cli_result res;
	struct fl_cli *c;
	pid_t pid;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	if (fl_service_create(&s, FL_SVC_REDIS, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("redis fixture: %s", why);
	/* The server as a child of the shell, on faultfs: the release races its exit. */
	snprintf(cmd, sizeof(cmd), "true && %s",
		 !strncmp(s.start_cmd, "exec ", 5) ? s.start_cmd + 5 : s.start_cmd);
	{
		char *argv[] = { fl_rpo_cli_bin(), "rpo", "--quiet", "-o", "/dev/null", "-w", s.url,
				 "--start", cmd, "-d", s.data, "--faultfs",
				 "--fault", "kill", "--fault-at", "500ms",
				 "--after", "300ms", "--trials", "4", NULL };

		assert_int_equal(fl_cli_start(argv, &c), 0);
	}
	pid = c->pid;
	assert_int_equal(fl_cli_wait(c, 120000, &res), 0);
	fl_cli_free(c);
	if (res.code != 0)
		print_message("exit %d: %s\n", res.code, res.err);
	assert_int_equal(res.code, 0);
	assert_false(service_cgroup_left(pid));
	assert_false(fl_cli_session_left(pid));
	fl_cli_result_free(&res);
	fl_service_destroy(&s);
}

/*
 * A crash point on a server that sh -c forked before the rule was armed
 * (a compound --start cannot be exec'ed): the rule reaches it through the
 * service's cgroup, and redis 7 with appendfsync always crashes at its
 * 50th fdatasync and loses nothing.
 */
static void test_redis_crashpoint_reaches_a_server_the_shell_forked(void **state)
{
	char why[1024] = "", cmd[4200];
	const char *server;
	struct fl_service s;
	json_t *result, *trial;
	int code;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	if (fl_service_create(&s, FL_SVC_REDIS, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("redis fixture: %s", why);
	server = !strncmp(s.start_cmd, "exec ", 5) ? s.start_cmd + 5 : s.start_cmd;
	/* Two commands: sh stays the leader, the server is its child. */
	snprintf(cmd, sizeof(cmd), "true && %s", server);
	code = fl_rpo_cli(s.root, &result, NULL, "-w", s.url, "--start", cmd, "-d", s.data,
			  "--fault", "crashpoint=fdatasync:signal=SIGKILL:when=50",
			  "--fault-at", "1s", "--after", "1s", NULL);
	trial = fl_rpo_trial(result, 0);
	fl_rpo_assert_no_error(trial, "crashpoint");
	assert_int_equal(code, 0);
	assert_int_equal(fl_rpo_count(trial, "lost"), 0);
	assert_false(fl_service_up(&s));
	json_decref(result);
	fl_service_destroy(&s);
}

/* Redis 7 never calls fsync: the crash point cannot strike, and the result says why. */
static void test_a_crashpoint_that_never_strikes_says_why(void **state)
{
	char why[1024] = "";
	struct fl_rpo_config cfg;
	struct fl_rpo_result *r = NULL;
	struct fl_service s;
	const char *msg;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	if (fl_service_create(&s, FL_SVC_REDIS, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("redis fixture: %s", why);
	fl_rpo_config_defaults(&cfg);
	cfg.workload = s.url;
	cfg.start_cmd = s.start_cmd;
	cfg.data_dir = s.data;
	cfg.fault = FL_RPO_FAULT_CRASHPOINT;
	cfg.crashpoint = "fsync:signal=SIGKILL:when=50";
	cfg.fault_at_ns = 500000000ull;
	cfg.fault_timeout_ns = 3000000000ull;
	assert_int_equal(fl_rpo_run(&cfg, NULL, NULL, &r), 0);
	assert_int_equal(r->n_trials, 1);
	msg = r->trials[0].error;
	print_message("%s\n", msg);
	assert_int_equal(r->trials[0].err, -ETIMEDOUT);
	assert_non_null(strstr(msg, "the service made 0 fsync calls"));
	assert_non_null(strstr(msg, "fdatasync"));
	fl_rpo_result_free(r);
	assert_false(fl_service_up(&s));
	fl_service_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_redis_always_kill, fl_cli_setup_session,
						fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_redis_always_term, fl_cli_setup_session,
						fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_redis_no_aof_kill, fl_cli_setup_session,
						fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_postgres_sync_kill, fl_cli_setup_session,
						fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_postgres_sync_term, fl_cli_setup_session,
						fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_postgres_sync_fast_shutdown, fl_cli_setup_session,
						fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_postgres_async_commit_kill, fl_cli_setup_session,
						fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_a_sigkilled_rpo_leaves_no_service_cgroup_or_write_log,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_a_finished_rpo_leaves_no_service_cgroups,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_redis_crashpoint_reaches_a_server_the_shell_forked,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_a_crashpoint_that_never_strikes_says_why,
						fl_cli_setup_session, fl_cli_teardown_session),
	};

	/* FL_TEST_FILTER=test_redis_* runs only those (cmocka's glob). */
	if (getenv("FL_TEST_FILTER"))
		cmocka_set_test_filter(getenv("FL_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
