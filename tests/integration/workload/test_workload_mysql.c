// SPDX-License-Identifier: GPL-2.0-only
/*
 * mysql:// workloads against a real MariaDB (the Debian package's server,
 * made by the library's mysql:local on 127.0.0.1 and a free port,
 * innodb_flush_log_at_trx_commit=1): 4 clients write for a second and read
 * back every record intact, reset empties the table, a refused INSERT is
 * FAIL, a write stuck behind a lock is UNKNOWN at its timeout, a dead
 * server is UNKNOWN on an open connection and fails ping and connect at
 * once. What it shares with redis:// and postgres:// is in
 * tests/helpers/workload_conformance.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/fixtures.h"
#include "helpers/services.h"
#include "helpers/workload_conformance.h"

#define MARIADB     "/usr/bin/mariadb"

static struct fl_wlc wlc = { .kind = FL_SVC_MYSQL, .start_ms = 30000 };
static struct fl_service *const svc = &wlc.svc;

static void test_round_trip(void **state)
{
	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	fl_wlc_round_trip(&wlc, "mysql", 2000, "mysql innodb_flush_log_at_trx_commit=1");
}

static bool have_client(void)
{
	if (!access(MARIADB, X_OK))
		return true;
	print_message("skip: needs %s (Debian package mariadb-client)\n", MARIADB);
	return false;
}

static int sql(const char *q, bool background)
{
	return fl_wlc_sh(MARIADB " -h 127.0.0.1 -P %d -u faultline faultline -e \"%s\" "
			 ">/dev/null 2>&1%s", svc->port, q, background ? " &" : "");
}

/* An INSERT the server refuses (the id is taken) rolled back: FAIL, and the connection goes on. */
static void test_refused_insert_is_fail(void **state)
{
	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	fl_wlc_refused_write(&wlc);
}

/* No table (a store never reset, or one lost): read back is empty, the first connection creates it. */
static void test_connect_creates_table(void **state)
{
	(void)state;
	if (!fl_wlc_need(&wlc) || !have_client())
		skip();
	assert_int_equal(sql("DROP TABLE IF EXISTS faultline_rpo", false), 0);
	fl_wlc_connect_creates_table(&wlc);
}

/* Another session holds the table for 2 s. */
static int lock_table(struct fl_wlc *c)
{
	(void)c;
	return sql("LOCK TABLES faultline_rpo WRITE; SELECT SLEEP(2); UNLOCK TABLES;", true);
}

/* A write stuck behind a table lock: UNKNOWN at its timeout (it may still commit later). */
static void test_blocked_write_is_unknown(void **state)
{
	(void)state;
	if (!fl_wlc_need(&wlc) || !have_client())
		skip();
	fl_wlc_write_behind_lock(&wlc, lock_table);
}

static void test_down_server(void **state)
{
	static const int errs[] = { -ECONNRESET, 0 };

	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	fl_wlc_down_server(&wlc, errs, "mysql: connect: ", NULL);
}

static void test_spec_parsing(void **state)
{
	static const struct fl_wlc_spec good[] = {
		{ "mysql://app:s3cret@db.example:3307/shop", "mysql://app:***@db.example:3307/shop" },
		{ "mariadb://app@localhost/shop?socket=/run/mysqld/mysqld.sock",
		  "mariadb://app@localhost/shop?socket=/run/mysqld/mysqld.sock" },
		{ "mysql://db.example/shop", "mysql://db.example/shop" },
		{ NULL, NULL },
	};
	static const char *const bad[] = {
		"mysql://", "mysql://host:port/db", "mysql://h/d?frob=1", "mysql://app@host",
		"mysql://app@host:70000/db", NULL,
	};
	struct fl_workload *w;

	(void)state;
	fl_wlc_specs(good, bad, "mysql: ");
	w = fl_wlc_open("mariadb://app@localhost/shop");
	assert_string_equal(fl_workload_scheme(w), "mysql");
	fl_workload_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parsing),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused_insert_is_fail),
		cmocka_unit_test(test_connect_creates_table),
		cmocka_unit_test(test_blocked_write_is_unknown),
		cmocka_unit_test(test_down_server),
	};

	return fl_wlc_run("mysql workload", tests, sizeof(tests) / sizeof(tests[0]), &wlc);
}
