// SPDX-License-Identifier: GPL-2.0-only
/*
 * Services as people run them: `faultline rpo --user USER` runs --start and
 * --restart as the service's own user, on faultfs (mounted with
 * allow_other, checked by faultfs's default_permissions). PostgreSQL
 * refuses to run as root, so a finished trial proves it ran as postgres;
 * redis runs as redis and its files are redis's. An unknown user, or
 * --user where it cannot apply, is refused before anything starts. A run
 * without root says which step needs root and why.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
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

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"
#include "helpers/services.h"

static bool service_ready(enum fl_svc_kind kind, const char *user)
{
	if (!fl_rpo_cli_require_service(kind) || !fl_faultfs_require())
		return false;
	if (!getpwnam(user)) {
		print_message("skip: no user %s (the package creates it)\n", user);
		return false;
	}
	return true;
}

/* Run argv (faultline first), print its stderr; the exit code, its stderr in *ret_err. */
static int run(char **argv, char **ret_err)
{
	struct fl_cli_result r;
	int code;

	assert_int_equal(fl_cli_run(argv, 120000, &r), 0);
	print_message("  exit %d: %s", r.code, r.err);
	code = r.code;
	if (ret_err)
		*ret_err = strdup(r.err);
	fl_cli_result_free(&r);
	return code;
}

/*
 * The fixture's start command switches to the server's user with
 * "setpriv ... -- "; without that, --user is what switches.
 */
static void without_setpriv(const char *cmd, char *buf, size_t len)
{
	const char *sp = strstr(cmd, "setpriv "), *end = sp ? strstr(sp, " -- ") : NULL;

	if (!end)
		fail_msg("the fixture's start command has no setpriv: %s", cmd);
	/* The whole word: "/usr/bin/setpriv ... -- " goes, path and all. */
	while (sp > cmd && sp[-1] != ' ')
		sp--;
	snprintf(buf, len, "%.*s%s", (int)(sp - cmd), cmd, end + 4);
}

/*
 * The server started by `faultline rpo --user USER --start CMD --faultfs`,
 * killed and restarted the same way: one finished trial that lost nothing.
 */
static void run_as_user(enum fl_svc_kind kind, const char *user)
{
	char why[512] = "", slog[FL_SVC_PATH], start[2048], label[128];
	struct fl_service s;
	json_t *res, *t;
	struct stat sb;
	int code;

	if (fl_service_create(&s, kind, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("%s fixture: %s", fl_service_name(kind), why);
	without_setpriv(s.start_cmd, start, sizeof(start));
	snprintf(slog, sizeof(slog), "%s/service.log", s.root);
	code = fl_rpo_cli(s.root, &res, NULL, "-w", s.url, "--user", user, "--start", start,
			  "-d", s.data, "--faultfs", "--service-log", slog, "--fault", "kill",
			  "--fault-at", "1s", "--after", "1s", NULL);
	t = fl_rpo_trial(res, 0);
	snprintf(label, sizeof(label), "%s as %s", fl_service_name(kind), user);
	fl_rpo_assert_no_error(t, label);
	print_message("%s as %s on faultfs: %lld acknowledged, %lld lost\n", fl_service_name(kind),
		      user, (long long)fl_rpo_count(t, "acknowledged"),
		      (long long)fl_rpo_count(t, "lost"));
	assert_int_equal(code, 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "config"), "user")),
			    user);
	assert_true(fl_rpo_count(t, "acknowledged") > 0);
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	/* What the server created through faultfs is its user's. */
	assert_int_equal(stat(kind == FL_SVC_REDIS ? fl_test_path(s.data, "appendonlydir") :
			      fl_test_path(s.data, "pg_wal"), &sb), 0);
	assert_int_equal(sb.st_uid, getpwnam(user)->pw_uid);
	/* faultline stopped what it started, and unmounted faultfs. */
	assert_false(fl_service_up(&s));
	assert_false(fl_faultfs_is_mounted(s.data));
	json_decref(res);
	fl_service_destroy(&s);
}

static void test_postgres_runs_as_postgres_on_faultfs(void **state)
{
	(void)state;
	if (!service_ready(FL_SVC_POSTGRES, "postgres"))
		skip();
	run_as_user(FL_SVC_POSTGRES, "postgres");
}

static void test_redis_runs_as_redis_on_faultfs(void **state)
{
	(void)state;
	if (!service_ready(FL_SVC_REDIS, "redis"))
		skip();
	run_as_user(FL_SVC_REDIS, "redis");
}

/* The service's commands see the user's uid, gid, groups, HOME and USER. */
static void test_the_service_gets_the_users_identity_and_a_data_dir_of_its_own(void **state)
{
	struct fl_fixture *fx = *state;
	char w[2 * PATH_MAX + 64], start[2 * PATH_MAX + 256], data[PATH_MAX + 16], idf[PATH_MAX + 32];
	char line[512] = "", want[512], client[PATH_MAX];
	struct passwd *pw;
	struct stat sb;
	FILE *f;

	if (!fl_rpo_cli_require())
		skip();
	pw = getpwnam("nobody");
	if (!pw) {
		print_message("skip: no user nobody\n");
		skip();
	}
	/* The fixture's directory is root's alone: the data dir below it is opened up. */
	assert_int_equal(chmod(fx->path, 0755), 0);
	snprintf(data, sizeof(data), "%s/data", fx->path);
	snprintf(idf, sizeof(idf), "%s/id", data);
	if (!realpath("tests/targets/rpo_exec_client.py", client)) {
		print_message("skip: needs tests/targets/rpo_exec_client.py (run from the source tree)\n");
		skip();
	}
	snprintf(w, sizeof(w), "exec:python3 %s %s/store", client, fx->path);
	/* One line of identity into the data dir rpo created for the user, then stay. */
	snprintf(start, sizeof(start), "echo \"$(id -u) $(id -g) $HOME $USER\" > %s; exec sleep 30",
		 idf);
	assert_int_equal(fl_rpo_cli(fx->path, NULL, NULL, "-w", w, "--user", "nobody",
				    "--start", start, "--health", "true", "-d", data,
				    "--fault", "kill", "--fault-at", "200ms", "--after", "200ms",
				    NULL), 0);
	assert_int_equal(stat(data, &sb), 0);
	assert_int_equal(sb.st_uid, pw->pw_uid);
	assert_int_equal(sb.st_gid, pw->pw_gid);
	f = fopen(idf, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	snprintf(want, sizeof(want), "%u %u %s %s\n", (unsigned)pw->pw_uid, (unsigned)pw->pw_gid,
		 pw->pw_dir, pw->pw_name);
	assert_string_equal(line, want);
}

static void test_an_unknown_user_is_refused_before_anything_starts(void **state)
{
	struct fl_fixture *fx = *state;
	char start[PATH_MAX + 64], *err = NULL;
	char *argv[] = { fl_rpo_cli_bin(), "rpo", "--quiet", "-o", NULL, "-w", "exec:cat", "--user",
			 "no-such-user-fl12", "--start", start, "-d", fx->path, "--fault", "kill",
			 NULL };

	if (!fl_rpo_cli_require())
		skip();
	argv[4] = (char *)fl_test_path(fx->path, "result.json");
	snprintf(start, sizeof(start), "touch %s/started; exec sleep 30", fx->path);
	assert_int_equal(run(argv, &err), 2);
	assert_non_null(strstr(err, "no such user 'no-such-user-fl12'"));
	assert_int_not_equal(access(fl_test_path(fx->path, "started"), F_OK), 0);
	free(err);
}

static void test_user_applies_only_to_a_started_service(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], *err = NULL;
	char *argv[] = { fl_rpo_cli_bin(), "rpo", "--quiet", "-o", NULL, "-w", w, "--user",
			 "nobody", "--fault", "kill", NULL };

	if (!fl_rpo_cli_require())
		skip();
	argv[4] = (char *)fl_test_path(fx->path, "result.json");
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	assert_int_equal(run(argv, &err), 2);
	assert_non_null(strstr(err, "--user applies to --start and --restart"));
	free(err);
	snprintf(w, sizeof(w), "exec:cat");
	assert_int_equal(run(argv, &err), 2);
	assert_non_null(strstr(err, "it needs --start"));
	free(err);
}

/* As nobody: the CLI names the step that needs root, why, and what else does. */
static void test_a_run_without_root_says_what_needs_root(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], setpriv[PATH_MAX], rundir[PATH_MAX + 16], saved[PATH_MAX], *err = NULL;
	char *argv[] = { setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
			 fl_rpo_cli_bin(), "rpo", "--quiet", "-o", NULL, "-w", w, "--fault", "kill",
			 NULL, NULL, NULL };

	if (!fl_rpo_cli_require())
		skip();
	if (!getpwnam("nobody") || access("/usr/bin/setpriv", X_OK)) {
		print_message("skip: needs user nobody and setpriv (util-linux)\n");
		skip();
	}
	snprintf(setpriv, sizeof(setpriv), "/usr/bin/setpriv");
	assert_int_equal(chmod(fx->path, 0777), 0);
	snprintf(saved, sizeof(saved), "%s", fl_cli_run_dir());
	argv[8] = (char *)fl_test_path(fx->path, "result.json");
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	/* The session's run directory is root's: the first step, recording the undo, is refused. */
	assert_int_equal(run(argv, &err), 125);
	assert_non_null(strstr(err, "needs root: creating its state directory was refused "
				    "(Permission denied)"));
	assert_non_null(strstr(err, fl_cli_run_dir()));
	assert_non_null(strstr(err, "cgroup"));
	assert_null(strstr(err, "cannot run: Permission denied"));
	free(err);

	/* A run directory it may write: the service's cgroup is the next step refused. */
	snprintf(rundir, sizeof(rundir), "%s/run-nobody", fx->path);
	assert_int_equal(mkdir(rundir, 0777), 0);
	assert_int_equal(chmod(rundir, 0777), 0);
	assert_int_equal(setenv("FAULTLINE_RUN_DIR", rundir, 1), 0);
	snprintf(w, sizeof(w), "exec:cat");
	argv[13] = "--start";
	argv[14] = "exec sleep 30";
	assert_int_equal(run(argv, &err), 125);
	assert_non_null(strstr(err, "needs root: creating the service's cgroup in "));
	assert_non_null(strstr(err, "was refused (Permission denied)"));
	free(err);
	/* And with faultfs: its mount is root's (its control socket is root-only). */
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	argv[11] = "--fault";
	argv[12] = "powercut";
	argv[13] = NULL;
	assert_int_equal(run(argv, &err), 125);
	assert_non_null(strstr(err, "needs root: mounting faultfs over "));
	free(err);
	assert_int_equal(setenv("FAULTLINE_RUN_DIR", saved, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_postgres_runs_as_postgres_on_faultfs,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_redis_runs_as_redis_on_faultfs,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_the_service_gets_the_users_identity_and_a_data_dir_of_its_own,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_an_unknown_user_is_refused_before_anything_starts,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_user_applies_only_to_a_started_service,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_a_run_without_root_says_what_needs_root,
						fl_cli_setup_session, fl_cli_teardown_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
