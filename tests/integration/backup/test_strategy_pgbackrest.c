// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pgbackrest strategy on a managed PostgreSQL: full, incr and diff
 * backups between batches of writes, the disk lost, a restore to the end
 * of the archive (every batch back; the RPO of the writes after the
 * archive is printed), pgbackrest verify and amcheck OK, then a restore
 * to a time T between an incr and the diff: every write before T, none
 * after, which needs the incr (the diff ended after T).
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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
	bool have = glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) == 0;

	if (have)
		globfree(&g);
	else
		print_message("skip: no PostgreSQL server (Debian package postgresql)\n");
	return have;
}

/*
 * The restore to T used the incr, the newest backup that ended before T:
 * pgBackRest's own choice passes over a backup that stopped in T's second.
 */
static void restored_the_incr(struct bk_test *t, const char (*labels)[128])
{
	char path[PATH_MAX + 64], line[1024], last[1024] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/log/faultline-restore.log", t->repo);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "restore backup set "))
			snprintf(last, sizeof(last), "%s", line);
	fclose(f);
	print_message("  pgBackRest: %s", last);
	assert_non_null(strstr(last, labels[1]));
	assert_null(strstr(last, labels[2]));
}

static void test_pgbackrest_story(void **state)
{
	const enum fl_backup_kind kinds[] = { FL_BACKUP_FULL, FL_BACKUP_INCR, FL_BACKUP_DIFF };

	(void)state;
	if (!bk_test_ready((const char *const[]){ "pgbackrest", NULL }) || !have_postgres())
		skip();
	bk_pg_story(fl_backup_strategy_find("pgbackrest"), kinds, 3, 1, restored_the_incr);
}

/* A kind it does not take is refused before anything runs. */
static void test_pgbackrest_refuses_snapshot(void **state)
{
	const struct fl_backup_strategy *s = fl_backup_strategy_find("pgbackrest");
	struct fl_bk_store store = { .kind = "postgres" };
	char errbuf[256] = "";
	struct fl_bk_ctx c = { .store = &store, .errbuf = errbuf, .errlen = sizeof(errbuf) };
	struct fl_bk_taken taken = { 0 };

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->kinds & (1u << FL_BACKUP_SNAPSHOT), 0);
	assert_true(s->pitr);
	assert_int_equal(s->backup(&c, FL_BACKUP_SNAPSHOT, &taken), -EINVAL);
	assert_true(errbuf[0]);
}

/* verify: OK on a fresh full; FAILED, with the backup named, once a file of it is damaged. */
static void test_pgbackrest_verify_finds_damage(void **state)
{
	const struct fl_backup_strategy *s = fl_backup_strategy_find("pgbackrest");
	enum fl_bk_verify v = FL_BK_VERIFY_NONE;
	struct fl_bk_taken taken = { 0 };
	char pattern[PATH_MAX + 256];
	struct bk_test t;
	glob_t g;
	FILE *f;

	(void)state;
	if (!bk_test_ready((const char *const[]){ "pgbackrest", NULL }) || !have_postgres())
		skip();
	if (bk_test_open(&t, "postgres:local", false) || s->configure(&t.ctx) ||
	    bk_test_start(&t) || s->prepare(&t.ctx))
		fail_msg("setup: %s", t.errbuf);
	assert_int_equal(bk_test_write(&t, 1, 100), 100);
	if (s->backup(&t.ctx, FL_BACKUP_FULL, &taken))
		fail_msg("backup: %s", t.errbuf);
	assert_int_equal(s->verify(&t.ctx, &v), 0);
	assert_int_equal(v, FL_BK_VERIFY_OK);

	snprintf(pattern, sizeof(pattern), "%s/repo/backup/faultline/%s/pg_data/base/*/*",
		 t.repo, taken.label);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	f = fopen(g.gl_pathv[g.gl_pathc / 2], "r+e");
	assert_non_null(f);
	fputs("damage", f);
	assert_int_equal(fclose(f), 0);
	globfree(&g);
	assert_int_equal(s->verify(&t.ctx, &v), 0);
	print_message("  %s\n", t.errbuf);
	assert_int_equal(v, FL_BK_VERIFY_FAILED);
	assert_non_null(strstr(t.errbuf, taken.label));

	assert_int_equal(fl_bk_service_stop(t.svc, 10ull * 1000000000ull), 0);
	s->release(&t.ctx);
	bk_test_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pgbackrest_refuses_snapshot),
		cmocka_unit_test(test_pgbackrest_verify_finds_damage),
		cmocka_unit_test(test_pgbackrest_story),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
