// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pg_basebackup strategy on a managed PostgreSQL: two base backups
 * between batches of writes, WAL archived by its script, the disk lost,
 * a restore to the end of the archive (every batch back; the RPO of the
 * writes after the archive is printed), amcheck OK, then a restore to a
 * time T between the two bases: every write before T, none after, which
 * needs the first base (the second ended after T, and recovery cannot
 * stop before a base's end).
 */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backup/strategy.h"
#include "helpers/backup_pg.h"
#include "helpers/backup_store.h"

static bool have_postgres(void)
{
	glob_t g;
	bool have = glob("/usr/lib/postgresql/*/bin/pg_basebackup", 0, NULL, &g) == 0;

	if (have)
		globfree(&g);
	else
		print_message("skip: no PostgreSQL server (Debian package postgresql)\n");
	return have;
}

static void test_pg_basebackup_story(void **state)
{
	const enum fl_backup_kind kinds[] = { FL_BACKUP_FULL, FL_BACKUP_FULL };

	(void)state;
	if (!bk_test_ready((const char *const[]){ "cp", "sync", "cmp", NULL }) || !have_postgres())
		skip();
	bk_pg_story(fl_backup_strategy_find("pg_basebackup"), kinds, 2, 0, NULL);
}

/* Full only: an incr is refused, and a restore with no base says so. */
static void test_pg_basebackup_refusals(void **state)
{
	const struct fl_backup_strategy *s = fl_backup_strategy_find("pg_basebackup");
	struct fl_bk_store store = { .kind = "postgres" };
	char errbuf[256] = "";
	struct fl_bk_ctx c = { .store = &store, .errbuf = errbuf, .errlen = sizeof(errbuf) };
	struct fl_bk_taken taken = { 0 };

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->kinds, 1u << FL_BACKUP_FULL);
	assert_true(s->pitr);
	assert_int_equal(s->backup(&c, FL_BACKUP_INCR, &taken), -EINVAL);
	assert_true(errbuf[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg_basebackup_refusals),
		cmocka_unit_test(test_pg_basebackup_story),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
