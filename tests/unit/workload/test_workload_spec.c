// SPDX-License-Identifier: GPL-2.0-only
/*
 * Workload specs: schemes, URL options, the normalised description, and
 * the one-line reasons a spec is refused. Nothing is started here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/workload.h>

static void accepts(const char *spec, const char *scheme, const char *desc, bool builtin)
{
	struct fl_workload *w = NULL;
	char why[256] = "";

	if (fl_workload_open(spec, &w, why, sizeof(why)))
		fail_msg("'%s' refused: %s", spec, why);
	assert_string_equal(fl_workload_scheme(w), scheme);
	assert_string_equal(fl_workload_describe(w), desc);
	assert_int_equal(fl_workload_builtin(w), builtin);
	fl_workload_close(w);
}

static void refuses(const char *spec, const char *reason)
{
	struct fl_workload *w = (struct fl_workload *)0x1;
	char why[256] = "";

	assert_int_equal(fl_workload_open(spec, &w, why, sizeof(why)), -EINVAL);
	assert_ptr_equal(w, (struct fl_workload *)0x1); /* untouched */
	if (strcmp(why, reason))
		fail_msg("'%s': got \"%s\", want \"%s\"", spec, why, reason);
	/* errbuf is optional. */
	assert_int_equal(fl_workload_open(spec, &w, NULL, 0), -EINVAL);
}

static void test_file_specs(void **state)
{
	(void)state;
	accepts("file:/var/tmp/log", "file", "file:/var/tmp/log?fsync=always", true);
	accepts("file:log?fsync=never", "file", "file:log?fsync=never", true);
	accepts("file:/a/b?fsync=interval=100ms", "file", "file:/a/b?fsync=interval=100ms", true);
	accepts("file:/a/b?fsync=interval=1.5s", "file", "file:/a/b?fsync=interval=1500ms", true);
	/* The last one counts. */
	accepts("file:/a?fsync=never&fsync=always", "file", "file:/a?fsync=always", true);
}

static void test_file_errors(void **state)
{
	(void)state;
	refuses("file:", "file: missing path (file:PATH?fsync=...)");
	refuses("file:?fsync=never", "file: missing path (file:PATH?fsync=...)");
	refuses("file:/a?fsync=sometimes",
		"file: fsync=sometimes: expected always, interval=DUR or never");
	refuses("file:/a?fsync=interval=0ms",
		"file: fsync=interval=0ms: the interval must be above zero");
	refuses("file:/a?fsync=interval=10",
		"file: fsync=interval=10: missing unit (use ns, us, ms, s, m or h)");
	refuses("file:/a?sync=always", "file: unknown option 'sync' (expected fsync=)");
}

static void test_sqlite_specs(void **state)
{
	(void)state;
	accepts("sqlite:/var/tmp/t.db", "sqlite",
		"sqlite:/var/tmp/t.db?synchronous=FULL&journal_mode=DELETE", true);
	accepts("sqlite:t.db?synchronous=off&journal_mode=wal", "sqlite",
		"sqlite:t.db?synchronous=OFF&journal_mode=WAL", true);
	accepts("sqlite:t.db?journal_mode=TRUNCATE&synchronous=EXTRA", "sqlite",
		"sqlite:t.db?synchronous=EXTRA&journal_mode=TRUNCATE", true);
}

static void test_sqlite_errors(void **state)
{
	(void)state;
	refuses("sqlite:/t.db?synchronous=FAST",
		"sqlite: synchronous=FAST: expected OFF, NORMAL, FULL or EXTRA");
	refuses("sqlite:/t.db?journal_mode=fast",
		"sqlite: journal_mode=fast: "
		"expected DELETE, TRUNCATE, PERSIST, MEMORY, WAL or OFF");
	refuses("sqlite:/t.db?synchronous",
		"sqlite: synchronous=: expected OFF, NORMAL, FULL or EXTRA");
	refuses("sqlite:/t.db?cache=shared",
		"sqlite: unknown option 'cache' (expected synchronous= or journal_mode=)");
	refuses("sqlite:", "sqlite: missing path (sqlite:PATH?synchronous=...&journal_mode=...)");
}

static void test_exec_specs(void **state)
{
	struct fl_workload *w;
	pid_t pid = 1234;

	(void)state;
	accepts("exec:python3 client.py --db 'x?y=z'", "exec",
		"exec:python3 client.py --db 'x?y=z'", false);
	refuses("exec:", "exec: missing command (exec:CMD)");

	/* Not built in: the user's --start runs the service. */
	assert_int_equal(fl_workload_open("exec:true", &w, NULL, 0), 0);
	assert_int_equal(fl_workload_start(w, &pid, NULL, 0), -EOPNOTSUPP);
	assert_int_equal(pid, 1234);
	fl_workload_close(w);
}

static void test_unknown_schemes(void **state)
{
	(void)state;
	refuses("", "empty workload spec");
	refuses("mongodb://localhost", "workload 'mongodb://localhost': unknown scheme "
		"(expected file:, sqlite:, exec:, redis://, postgres://, mysql://, etcd://, postgres:local, redis:local, mysql:local)");
	refuses("/var/tmp/log", "workload '/var/tmp/log': unknown scheme "
		"(expected file:, sqlite:, exec:, redis://, postgres://, mysql://, etcd://, postgres:local, redis:local, mysql:local)");
	refuses("FILE:/x", "workload 'FILE:/x': unknown scheme "
		"(expected file:, sqlite:, exec:, redis://, postgres://, mysql://, etcd://, postgres:local, redis:local, mysql:local)");
}

static void test_mysql_specs(void **state)
{
	(void)state;
	accepts("mysql://app:pw@db:3307/shop", "mysql", "mysql://app:***@db:3307/shop", false);
	accepts("mariadb://db/shop?socket=/run/mysqld/mysqld.sock", "mysql",
		"mariadb://db/shop?socket=/run/mysqld/mysqld.sock", false);
	refuses("mysql://localhost", "mysql: missing database (mysql://USER@HOST:PORT/DB)");
	refuses("mysql://@db/shop", "mysql: missing user (mysql://USER@HOST:PORT/DB)");
	refuses("mysql://db:0/shop", "mysql: port '0': expected 1 to 65535");
	refuses("mysql://db/shop?ssl=1", "mysql: unknown option 'ssl' (known: socket=PATH)");
}

/* Managed services are checked when opened, and do nothing until resolved. */
static void test_managed_specs(void **state)
{
	struct fl_workload *w;
	char why[256] = "";

	(void)state;
	accepts("postgres:local?synchronous_commit=off", "local",
		"postgres:local?synchronous_commit=off", false);
	accepts("redis:local", "local", "redis:local", false);
	accepts("mysql:local?innodb_flush_log_at_trx_commit=2", "local",
		"mysql:local?innodb_flush_log_at_trx_commit=2", false);
	refuses("redis:local?appendfsync",
		"redis:local: setting 'appendfsync' has no value (appendfsync=VALUE)");
	refuses("postgres:local?work_mem=4MB'; DROP",
		"postgres:local: the value of work_mem holds a newline, quote, backslash or '#'");
	refuses("mysql:local?a b=1", "mysql:local: 'a b' is not a setting name");
	refuses("postgres:localhost",
		"postgres:localhost: expected postgres:local or postgres:local?KEY=VALUE&...");
	assert_int_equal(fl_workload_open("redis:local?appendfsync=always", &w, NULL, 0), 0);
	assert_true(fl_workload_managed(w));
	assert_int_equal(fl_workload_reset(w, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "is a managed service"));
	fl_workload_close(w);
	assert_int_equal(fl_workload_open("redis://127.0.0.1:6379", &w, NULL, 0), 0);
	assert_false(fl_workload_managed(w));
	fl_workload_close(w);
}

static void test_builtin_not_started_refuses_connections(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c = (struct fl_wl_conn *)0x1;

	(void)state;
	assert_int_equal(fl_workload_open("file:/nonexistent/dir/log", &w, NULL, 0), 0);
	assert_int_equal(fl_workload_ping(w, 100), -ECONNREFUSED);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), -ECONNREFUSED);
	assert_ptr_equal(c, (struct fl_wl_conn *)0x1);
	fl_workload_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_specs),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_sqlite_specs),
		cmocka_unit_test(test_sqlite_errors),
		cmocka_unit_test(test_exec_specs),
		cmocka_unit_test(test_unknown_schemes),
		cmocka_unit_test(test_mysql_specs),
		cmocka_unit_test(test_managed_specs),
		cmocka_unit_test(test_builtin_not_started_refuses_connections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
