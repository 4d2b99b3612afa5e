// SPDX-License-Identifier: GPL-2.0-only
/*
 * postgres:// workloads against a real PostgreSQL (the Debian package's
 * server, initdb'ed and started here on 127.0.0.1 and a free port, fsync
 * and synchronous_commit on): 4 clients write for a second and read back
 * every record intact, reset empties the table, a refused INSERT is FAIL,
 * a write stuck behind a lock is UNKNOWN at its timeout, a dead server is
 * UNKNOWN on an open connection and fails ping and connect at once. What
 * redis:// shares with it is in tests/helpers/workload_conformance.c.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/fixtures.h"
#include "helpers/services.h"
#include "helpers/workload_conformance.h"


static struct fl_wlc wlc = { .kind = FL_SVC_POSTGRES, .start_ms = 30000 };
static struct fl_service *const svc = &wlc.svc;

static void test_round_trip(void **state)
{
	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	fl_wlc_round_trip(&wlc, "postgres", 2000, "postgres synchronous_commit=on");
}

static int psql(const char *sql, bool background)
{
	return fl_wlc_sh("psql -X -q -h 127.0.0.1 -p %d -U postgres -d postgres "
			 "-c \"%s\" >/dev/null 2>&1%s", svc->port, sql, background ? " &" : "");
}

/* An INSERT the server refuses (the id is taken) rolled back: FAIL, and the connection goes on. */
static void test_refused_insert_is_fail(void **state)
{
	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	fl_wlc_refused_write(&wlc);
}

/* No table yet (a store never reset): the first connection creates it. */
static void test_connect_creates_table(void **state)
{
	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	assert_int_equal(psql("DROP TABLE IF EXISTS faultline_rpo", false), 0);
	fl_wlc_connect_creates_table(&wlc);
}

/* Another session holds the table for 2 s. */
static int lock_table(struct fl_wlc *c)
{
	(void)c;
	return psql("BEGIN; LOCK TABLE faultline_rpo; SELECT pg_sleep(2); COMMIT;", true);
}

/* A write stuck behind a lock: UNKNOWN at its timeout (it may still commit later). */
static void test_blocked_write_is_unknown(void **state)
{
	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	if (access("/usr/bin/psql", X_OK)) {
		print_message("skip: needs psql (Debian package postgresql-client)\n");
		skip();
	}
	fl_wlc_write_behind_lock(&wlc, lock_table);
}

static void test_down_server(void **state)
{
	static const int errs[] = { -ECONNRESET, 0 };

	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	fl_wlc_down_server(&wlc, errs, "postgres: connect: ", NULL);
}

static void test_spec_parsing(void **state)
{
	static const struct fl_wlc_spec good[] = {
		{ "postgres://app:s3cret@db.example:5433/shop?sslmode=disable",
		  "postgres://app:***@db.example:5433/shop?sslmode=disable" },
		{ "postgresql://app@localhost/shop?password=hunter2&connect_timeout=3",
		  "postgresql://app@localhost/shop?password=***&connect_timeout=3" },
		{ NULL, NULL },
	};
	static const char *const bad[] = {
		"postgres://", "postgres://host:port/db", "postgresql://h/d?frob=1", NULL,
	};
	struct fl_workload *w;

	(void)state;
	fl_wlc_specs(good, bad, "postgres: ");
	w = fl_wlc_open("postgresql://app@localhost/shop?password=hunter2&connect_timeout=3");
	assert_string_equal(fl_workload_scheme(w), "postgres");
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

	return fl_wlc_run("postgres workload", tests, sizeof(tests) / sizeof(tests[0]), &wlc);
}
