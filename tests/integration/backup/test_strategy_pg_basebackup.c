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
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A server-less configure: DIR/data with a postgresql.conf of conf0, DIR/repo. */
struct dry {
	char dir[64], data[PATH_MAX], repo[PATH_MAX], conf[PATH_MAX + 64], errbuf[256];
	struct fl_bk_store store;
	struct fl_bk_ctx c;
	glob_t g;
};

static void dry_configure(struct dry *d, const char *settings, const char *conf0)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/var/tmp/faultline-test-pgbb-XXXXXX");
	assert_int_equal(glob("/usr/lib/postgresql/*/bin", 0, NULL, &d->g), 0);
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->data, sizeof(d->data), "%s/data", d->dir);
	snprintf(d->repo, sizeof(d->repo), "%s/repo", d->dir);
	assert_int_equal(mkdir(d->data, 0700), 0);
	assert_int_equal(mkdir(d->repo, 0700), 0);
	snprintf(d->conf, sizeof(d->conf), "%s/postgresql.conf", d->data);
	put(d->conf, conf0);
	d->store = (struct fl_bk_store){ .kind = "postgres", .user = "postgres", .port = 5432,
					 .socket_dir = "/tmp", .settings = settings,
					 .data_dir = d->data,
					 .bindir = d->g.gl_pathv[d->g.gl_pathc - 1] };
	d->c = (struct fl_bk_ctx){ .store = &d->store, .repo = d->repo, .errbuf = d->errbuf,
				   .errlen = sizeof(d->errbuf) };
	if (fl_backup_strategy_find("pg_basebackup")->configure(&d->c))
		fail_msg("configure: %s", d->errbuf);
}

static void dry_close(struct dry *d)
{
	fl_backup_strategy_find("pg_basebackup")->release(&d->c);
	assert_int_equal(sh("rm -rf %s", d->dir), 0);
	globfree(&d->g);
}

/*
 * configure without a server: the spec's archive_timeout is kept (ours is
 * not written after it), and the archive script refuses to overwrite a
 * segment with other bytes but takes the same bytes again.
 */
static void test_pg_basebackup_configure(void **state)
{
	char text[8192], seg[PATH_MAX + 64], arch[PATH_MAX + 64];
	struct dry d;

	(void)state;
	if (!bk_test_ready(NULL) || !have_postgres())
		skip();
	dry_configure(&d, "archive_timeout=30s", "archive_timeout = '30s'\n");
	slurp(d.conf, text, sizeof(text));
	assert_non_null(strstr(text, "archive_mode = on"));
	assert_non_null(strstr(text, "archive_command = '"));
	assert_null(strstr(text, "archive_timeout = '5s'"));

	/* The script as the archiver runs it: in PGDATA, %p relative to it, %f the name. */
	snprintf(seg, sizeof(seg), "%s/000000010000000000000001", d.data);
	snprintf(arch, sizeof(arch), "%s/archive/000000010000000000000001", d.repo);
	put(seg, "segment one");
	assert_int_equal(sh("cd %s && %s/archive-wal.sh 000000010000000000000001 "
			    "000000010000000000000001", d.data, d.repo), 0);
	slurp(arch, text, sizeof(text));
	assert_string_equal(text, "segment one");
	assert_int_equal(sh("cd %s && %s/archive-wal.sh 000000010000000000000001 "
			    "000000010000000000000001", d.data, d.repo), 0);
	put(seg, "segment one, other bytes");
	assert_int_not_equal(sh("cd %s && %s/archive-wal.sh 000000010000000000000001 "
				"000000010000000000000001 2>/dev/null", d.data, d.repo), 0);
	slurp(arch, text, sizeof(text));
	assert_string_equal(text, "segment one");
	dry_close(&d);
}

/* Without the spec's archive_timeout, ours (5 s). */
static void test_pg_basebackup_default_timeout(void **state)
{
	char text[8192];
	struct dry d;

	(void)state;
	if (!bk_test_ready(NULL) || !have_postgres())
		skip();
	dry_configure(&d, "synchronous_commit=off", "");
	slurp(d.conf, text, sizeof(text));
	assert_non_null(strstr(text, "archive_timeout = '5s'"));
	dry_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg_basebackup_refusals),
		cmocka_unit_test(test_pg_basebackup_configure),
		cmocka_unit_test(test_pg_basebackup_default_timeout),
		cmocka_unit_test(test_pg_basebackup_story),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
