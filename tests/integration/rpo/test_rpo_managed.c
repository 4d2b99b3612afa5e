// SPDX-License-Identifier: GPL-2.0-only
/*
 * Managed services through the CLI: `-w postgres:local?...`,
 * `redis:local?...` and `mysql:local?...` make a throwaway server from
 * the Debian package, run it as the package's own user on faultfs (the
 * server's processes are seen with that uid while the trial runs), kill
 * it, start it again on the same data directory, and leave nothing behind:
 * no process, no mount, no cgroup, no directory. MariaDB under a faultfs
 * power cut: innodb_flush_log_at_trx_commit=1 loses nothing acknowledged;
 * 2 and 0 report what they lost (not asserted: a server may be lucky).
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
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

#include <faultline/cgroup.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"

/* Is the server's package here? Its binary, and its user. */
static bool ready(const char *bin, const char *user, const char *pkg)
{
	if (!fl_rpo_cli_require())
		return false;
	glob_t g;
	bool have = glob(bin, 0, NULL, &g) == 0 && g.gl_pathc > 0;

	if (have)
		globfree(&g);
	if (!have || !getpwnam(user)) {
		print_message("skip: no %s or user %s (Debian package %s)\n", bin, user, pkg);
		return false;
	}
	return true;
}

/* uids of the processes whose working directory is under dir (servers chdir there). */
static size_t uids_in(const char *dir, uid_t *uids, size_t max)
{
	char link[64], cwd[PATH_MAX], status[64], line[256];
	size_t n = 0, len = strlen(dir);
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		ssize_t k;
		FILE *f;

		if (*end || pid <= 1)
			continue;
		snprintf(link, sizeof(link), "/proc/%ld/cwd", pid);
		k = readlink(link, cwd, sizeof(cwd) - 1);
		if (k <= 0)
			continue;
		cwd[k] = '\0';
		if (strncmp(cwd, dir, len) || (cwd[len] && cwd[len] != '/'))
			continue;
		snprintf(status, sizeof(status), "/proc/%ld/status", pid);
		f = fopen(status, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Uid:", 4))
				uids[n++] = (uid_t)strtoul(line + 4, NULL, 10);
		fclose(f);
	}
	closedir(d);
	return n;
}

static bool mounted(const char *dir)
{
	char line[4096], mnt[PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && !strcmp(mnt, dir))
			found = true;
	fclose(f);
	return found;
}

/* Service cgroups the run at pid made (faultline-rpo-svc-PID-N) that are still there. */
static int cgroups_left(pid_t pid)
{
	char root[PATH_MAX], prefix[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (fl_cgroup2_root(root, sizeof(root)))
		return 0;
	snprintf(prefix, sizeof(prefix), "faultline-rpo-svc-%d-", (int)pid);
	d = opendir(root);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

struct managed_run {
	const char *spec;
	const char *user;
	const char *fault;
	const char *fault_at;
	json_int_t lost;          /* out */
	json_int_t acked;
	double rpo_ms;
};

/* One trial of spec on faultfs, 2 clients; checks the user, the result and the leftovers. */
static void run_managed(struct managed_run *m)
{
	char tmp[PATH_MAX], data[PATH_MAX + 8], out[PATH_MAX + 16], slog[PATH_MAX + 16];
	struct passwd *pw = getpwnam(m->user);
	struct fl_cli_result res;
	struct fl_cli *cli;
	uid_t uids[64];
	size_t seen = 0, wrong = 0;
	json_t *result, *trial, *c;
	pid_t pid;

	assert_non_null(pw);
	assert_int_equal(fl_fixture_tmpdir_create(tmp, sizeof(tmp)), 0);
	/* The server's user walks through to its data directory. */
	assert_int_equal(chmod(tmp, 0755), 0);
	snprintf(data, sizeof(data), "%s/data", tmp);
	snprintf(out, sizeof(out), "%s/result.json", tmp);
	snprintf(slog, sizeof(slog), "%s/service.log", tmp);
	char *argv[] = { fl_rpo_cli_bin(), "rpo", "--quiet", "-o", out, "-w", (char *)m->spec,
			 "-d", data, "--faultfs", "--service-log", slog,
			 "--fault", (char *)m->fault, "--fault-at", (char *)m->fault_at,
			 "--after", "1s", "-c", "2", NULL };

	assert_int_equal(fl_cli_start(argv, &cli), 0);
	pid = cli->pid;
	/* While it runs: every process working in the data directory is the server's user. */
	for (int i = 0; i < 600; i++) {
		uid_t now[64];
		size_t n = uids_in(data, now, 64);

		for (size_t j = 0; j < n && seen < 64; j++) {
			uids[seen++] = now[j];
			wrong += now[j] != pw->pw_uid;
		}
		if (kill(pid, 0) || fl_cli_signal(cli, 0))
			break;
		usleep(50 * 1000);
		if (seen && i > 20)
			break;
	}
	assert_int_equal(fl_cli_wait(cli, 120000, &res), 0);
	fl_cli_free(cli);
	if (res.code != 0)
		print_message("%s: exit %d\nstderr: %s\n", m->spec, res.code, res.err);
	result = fl_rpo_load_result(out, m->spec);
	trial = fl_rpo_trial(result, 0);
	fl_rpo_assert_no_error(trial, m->spec);
	c = json_object_get(trial, "counts");
	m->acked = fl_json_int(c, "acknowledged");
	m->lost = fl_json_int(c, "lost");
	m->rpo_ms = fl_json_int(trial, "rpo.ns") / 1e6;
	print_message("%s, %s: %lld acknowledged, %lld lost, RPO %.1f ms; server uid %u (%s), "
		      "%zu samples\n", m->spec, m->fault, (long long)m->acked,
		      (long long)m->lost, m->rpo_ms, seen ? uids[0] : 0, m->user, seen);
	assert_true(m->acked > 0);
	assert_int_equal(fl_json_int(c, "unexpected"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(result, "managed"),
								 "user")), m->user);
	/* The server ran as its own user, never as root. */
	assert_true(seen > 0);
	assert_int_equal(wrong, 0);
	/* Nothing left: no process, no mount, no cgroup, no data directory. */
	assert_int_equal(uids_in(data, uids, 64), 0);
	assert_false(mounted(data));
	assert_int_equal(cgroups_left(pid), 0);
	assert_int_equal(access(data, F_OK), -1);
	json_decref(result);
	fl_cli_result_free(&res);
	fl_fixture_tmpdir_destroy(tmp);
}

static void test_postgres_local_kill(void **state)
{
	struct managed_run m = {
		.spec = "postgres:local?synchronous_commit=off",
		.user = "postgres", .fault = "kill", .fault_at = "1s",
	};

	(void)state;
	if (!ready("/usr/lib/postgresql/*/bin/postgres", "postgres", "postgresql"))
		skip();
	run_managed(&m);
}

static void test_redis_local_kill(void **state)
{
	struct managed_run m = {
		.spec = "redis:local?appendfsync=always",
		.user = "redis", .fault = "kill", .fault_at = "1s",
	};

	(void)state;
	if (!ready("/usr/bin/redis-server", "redis", "redis-server"))
		skip();
	run_managed(&m);
	/* appendfsync always: a kill loses nothing acknowledged. */
	assert_int_equal(m.lost, 0);
}

static void test_mysql_local_kill(void **state)
{
	struct managed_run m = {
		.spec = "mysql:local?innodb_flush_log_at_trx_commit=1",
		.user = "mysql", .fault = "kill", .fault_at = "1s",
	};

	(void)state;
	if (!ready("/usr/sbin/mariadbd", "mysql", "mariadb-server"))
		skip();
	run_managed(&m);
	assert_int_equal(m.lost, 0);
}

/* innodb_flush_log_at_trx_commit=1 under a power cut: every acknowledged commit is on disk. */
static void test_mysql_local_powercut_1_loses_nothing(void **state)
{
	struct managed_run m = {
		.spec = "mysql:local?innodb_flush_log_at_trx_commit=1",
		.user = "mysql", .fault = "powercut", .fault_at = "1500ms",
	};

	(void)state;
	if (!ready("/usr/sbin/mariadbd", "mysql", "mariadb-server"))
		skip();
	run_managed(&m);
	assert_int_equal(m.lost, 0);
}

/* 2: written at each commit, flushed about once a second. Reported, not asserted. */
static void test_mysql_local_powercut_2_reports(void **state)
{
	struct managed_run m = {
		.spec = "mysql:local?innodb_flush_log_at_trx_commit=2",
		.user = "mysql", .fault = "powercut", .fault_at = "1500ms",
	};

	(void)state;
	if (!ready("/usr/sbin/mariadbd", "mysql", "mariadb-server"))
		skip();
	run_managed(&m);
	/* Documented: up to about a second of commits. */
	assert_true(m.rpo_ms <= 1500);
}

/* A spec the CLI refuses before anything runs. */
static void test_managed_spec_errors(void **state)
{
	struct fl_cli_result res;
	char *bad_key[] = { fl_rpo_cli_bin(), "rpo", "-w", "redis:local?appendfsync", "--fault",
			    "kill", "-j", NULL };
	char *bad_start[] = { fl_rpo_cli_bin(), "rpo", "-w", "redis:local", "--start", "true",
			      "--fault", "kill", "-j", NULL };

	(void)state;
	if (!ready("/usr/bin/redis-server", "redis", "redis-server"))
		skip();
	assert_int_equal(fl_cli_run(bad_key, 10000, &res), 0);
	assert_int_not_equal(res.code, 0);
	assert_non_null(strstr(res.err, "has no value"));
	fl_cli_result_free(&res);
	assert_int_equal(fl_cli_run(bad_start, 10000, &res), 0);
	assert_int_not_equal(res.code, 0);
	assert_non_null(strstr(res.err, "managed service"));
	fl_cli_result_free(&res);
}

/* A data directory with something in it is refused, and what is in it stays. */
static void test_managed_keeps_a_full_data_dir(void **state)
{
	char tmp[PATH_MAX], keep[PATH_MAX + 8];
	struct fl_cli_result res;
	FILE *f;

	(void)state;
	if (!ready("/usr/bin/redis-server", "redis", "redis-server"))
		skip();
	assert_int_equal(fl_fixture_tmpdir_create(tmp, sizeof(tmp)), 0);
	snprintf(keep, sizeof(keep), "%s/keep", tmp);
	f = fopen(keep, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	char *argv[] = { fl_rpo_cli_bin(), "rpo", "-w", "redis:local", "-d", tmp, "--fault", "kill",
			 "-q", "-j", NULL };

	assert_int_equal(fl_cli_run(argv, 30000, &res), 0);
	assert_int_equal(res.code, 3);
	assert_non_null(strstr(res.out, "not empty"));
	assert_int_equal(access(keep, F_OK), 0);
	fl_cli_result_free(&res);
	fl_fixture_tmpdir_destroy(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_managed_spec_errors),
		cmocka_unit_test(test_managed_keeps_a_full_data_dir),
		cmocka_unit_test(test_postgres_local_kill),
		cmocka_unit_test(test_redis_local_kill),
		cmocka_unit_test(test_mysql_local_kill),
		cmocka_unit_test(test_mysql_local_powercut_1_loses_nothing),
		cmocka_unit_test(test_mysql_local_powercut_2_reports),
	};

	return cmocka_run_group_tests_name("rpo managed services", tests, NULL, NULL);
}
