// SPDX-License-Identifier: GPL-2.0-only
/*
 * The postgres store's own check (amcheck) on a managed PostgreSQL: a
 * healthy table is ok; bytes of the primary key's leaf page overwritten
 * while the server was down are failed, and so is a heap page whose
 * tuples were overwritten; a table that is gone is error (the check
 * could not run), not failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpq-fe.h>

#include "helpers/backup_store.h"

#define S_NS 1000000000ull

static bool ready(void)
{
	glob_t g;
	bool have;

	if (!bk_test_ready(NULL))
		return false;
	have = glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) == 0;
	if (have)
		globfree(&g);
	else
		print_message("skip: no PostgreSQL server (Debian package postgresql)\n");
	return have;
}

static void sql(struct bk_test *t, const char *q, char *out, size_t len)
{
	char info[PATH_MAX + 64];
	PGconn *pg;
	PGresult *r;

	snprintf(info, sizeof(info), "host=%s port=%d user=postgres dbname=postgres",
		 t->ctx.store->socket_dir, t->ctx.store->port);
	pg = PQconnectdb(info);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(pg));
	r = PQexec(pg, q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", q, PQresultErrorMessage(r));
	if (out)
		snprintf(out, len, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(pg);
}

static enum fl_backup_check check(struct bk_test *t)
{
	enum fl_backup_check c = FL_BACKUP_CHECK_NONE;
	char detail[256] = "";

	assert_int_equal(fl_bk_store_check(&t->ctx, &c, detail, sizeof(detail)), 0);
	print_message("  check %d: %s\n", (int)c, detail);
	assert_true(detail[0]);
	return c;
}

/* Stop the server, overwrite len bytes at off of the relation's file, start it again. */
static void damage(struct bk_test *t, const char *rel, off_t off, size_t len)
{
	char q[256], file[256], path[PATH_MAX + 300], junk[512];
	int fd;

	snprintf(q, sizeof(q), "SELECT pg_relation_filepath('%s')", rel);
	sql(t, q, file, sizeof(file));
	assert_int_equal(fl_bk_service_stop(t->svc, 30 * S_NS), 0);
	snprintf(path, sizeof(path), "%s/%s", t->ctx.store->data_dir, file);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_true(len <= sizeof(junk));
	for (size_t i = 0; i < len; i++)
		junk[i] = (char)(0x5a ^ (i * 37));
	assert_int_equal(pwrite(fd, junk, len, off), (ssize_t)len);
	close(fd);
	if (bk_test_start(t))
		fail_msg("start: %s", t->errbuf);
}

static void open_with_records(struct bk_test *t)
{
	if (bk_test_open(t, "postgres:local", false) || bk_test_start(t))
		fail_msg("postgres:local: %s", t->errbuf);
	assert_int_equal(bk_test_write(t, 1, 300), 300);
}

static void test_intact_then_index_damaged(void **state)
{
	struct bk_test t;

	(void)state;
	if (!ready())
		skip();
	open_with_records(&t);
	assert_int_equal(check(&t), FL_BACKUP_CHECK_OK);
	/* Block 1 is the leaf (300 keys fit one page): its tuples lie at the page's end. */
	damage(&t, "faultline_rpo_pkey", 8192 + 6000, 400);
	assert_int_equal(check(&t), FL_BACKUP_CHECK_FAILED);
	bk_test_close(&t);
}

static void test_heap_damaged(void **state)
{
	struct bk_test t;

	(void)state;
	if (!ready())
		skip();
	open_with_records(&t);
	/* Tuples fill block 0 from its end: overwrite headers and data there. */
	damage(&t, "faultline_rpo", 8192 - 512, 512);
	assert_int_equal(check(&t), FL_BACKUP_CHECK_FAILED);
	bk_test_close(&t);
}

static void test_no_table_is_error(void **state)
{
	struct bk_test t;

	(void)state;
	if (!ready())
		skip();
	open_with_records(&t);
	sql(&t, "DROP TABLE faultline_rpo", NULL, 0);
	assert_int_equal(check(&t), FL_BACKUP_CHECK_ERROR);
	bk_test_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact_then_index_damaged),
		cmocka_unit_test(test_heap_damaged),
		cmocka_unit_test(test_no_table_is_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
