// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exec strategy with the example pair, examples/backup/cp-backup.sh
 * and cp-restore.sh, on the built-in file: store: two backups (their
 * bytes= and label= lines read), the disk lost, the newest copy restored
 * and every record back; a point-in-time restore to before the second
 * backup ended brings the first back; the environment each command sees;
 * a failing restore command is -EIO with its last line of output, and a
 * failing verify command is FAILED.
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/backup_store.h"

extern const struct fl_backup_strategy fl_bk_exec;

static char backup_sh[PATH_MAX], restore_sh[PATH_MAX];

/* The example scripts, from the source tree the suite runs in. */
static bool need_scripts(void)
{
	if (!realpath("examples/backup/cp-backup.sh", backup_sh) ||
	    !realpath("examples/backup/cp-restore.sh", restore_sh)) {
		print_message("skip: examples/backup/ not found (run from the source tree)\n");
		return false;
	}
	return bk_test_ready(NULL);
}

/* The test's store: closed by the teardown, so that a failed assertion leaves nothing behind. */
static struct bk_test store;
static bool store_open;

static struct bk_test *open_store(void)
{
	struct bk_test *t = &store;

	store_open = !bk_test_open(t, "file:data/log?fsync=always", false);
	if (!store_open || bk_test_start(t))
		fail_msg("file store: %s", t->errbuf);
	t->ctx.backup_cmd = backup_sh;
	t->ctx.restore_cmd = restore_sh;
	return t;
}

static int teardown(void **state)
{
	(void)state;
	if (store_open) {
		fl_bk_exec.release(&store.ctx);
		bk_test_close(&store);
	}
	store_open = false;
	return 0;
}

static void take(struct bk_test *t, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (fl_bk_exec.backup(&t->ctx, kind, ret))
		fail_msg("backup: %s", t->errbuf);
	print_message("  backup %s: %llu bytes\n", ret->label, (unsigned long long)ret->bytes);
}

static void test_example_pair(void **state)
{
	struct bk_test *t;
	struct fl_bk_taken b1, b2;
	struct fl_bk_target latest = { 0 }, pitr = { .pitr = true };
	struct fl_bk_phases ph = { 0 };
	struct timespec between;

	(void)state;
	if (!need_scripts())
		skip();
	t = open_store();
	assert_int_equal(fl_bk_exec.available(&t->ctx), 0);
	assert_int_equal(bk_test_write(t, 1, 100), 100);
	take(t, FL_BACKUP_FULL, &b1);
	assert_string_equal(b1.label, "1-full");
	assert_true(b1.bytes > 100 * 100);
	usleep(20000);
	clock_gettime(CLOCK_REALTIME, &between);
	usleep(20000);
	assert_int_equal(bk_test_write(t, 101, 100), 100);
	take(t, FL_BACKUP_INCR, &b2);
	assert_string_equal(b2.label, "2-incr");
	assert_true(b2.bytes > b1.bytes);

	assert_int_equal(bk_test_lose_disk(t), 0);
	if (fl_bk_exec.restore(&t->ctx, &latest, &ph))
		fail_msg("restore: %s", t->errbuf);
	print_message("  restore latest: %.1f ms\n", (double)ph.restore_ns / 1e6);
	assert_true(ph.restore_ns > 0);
	if (bk_test_start(t))
		fail_msg("start after the restore: %s", t->errbuf);
	assert_int_equal(bk_test_present(t, 1, 200), 200);

	/* The script's point in time: the newest copy that ended before it, the first. */
	assert_int_equal(bk_test_lose_disk(t), 0);
	pitr.wall = between;
	snprintf(pitr.text, sizeof(pitr.text), "between the two");
	if (fl_bk_exec.restore(&t->ctx, &pitr, &ph) || bk_test_start(t))
		fail_msg("pitr restore: %s", t->errbuf);
	assert_int_equal(bk_test_present(t, 1, 100), 100);
	assert_int_equal(bk_test_present(t, 101, 100), 0);

	/* Before any copy: the script says there is none, and that line is the reason. */
	assert_int_equal(bk_test_lose_disk(t), 0);
	pitr.wall.tv_sec -= 3600;
	assert_int_equal(fl_bk_exec.restore(&t->ctx, &pitr, &ph), -EIO);
	print_message("  restore before the first copy: %s\n", t->errbuf);
	assert_non_null(strstr(t->errbuf, "the restore command exited 1: "
				"cp-restore.sh: no copy in "));
}

/* What each command is told, and how a failure reads. */
static void test_environment_and_failures(void **state)
{
	struct bk_test *t;
	struct fl_bk_taken b;
	struct fl_bk_target pitr = { .pitr = true, .wall = { 1765000000, 123456789 },
				      .text = "2025-12-06 05:46:40.123456+00" };
	struct fl_bk_phases ph = { 0 };
	enum fl_bk_verify v = FL_BK_VERIFY_NONE;
	char path[PATH_MAX + 32], line[8192];
	FILE *f;

	(void)state;
	if (!need_scripts())
		skip();
	t = open_store();
	/* No bytes= line: the size is what the repository grew by. */
	t->ctx.backup_cmd = "head -c 5000 /dev/zero > \"$FAULTLINE_BACKUP_REPO/b$FAULTLINE_BACKUP_N\"";
	take(t, FL_BACKUP_DIFF, &b);
	assert_int_equal(b.bytes, 5000);
	assert_string_equal(b.label, "1-diff");
	t->ctx.backup_cmd = "env | grep ^FAULTLINE_ | sort > env-backup; echo label=mine";
	take(t, FL_BACKUP_SNAPSHOT, &b);
	assert_string_equal(b.label, "mine");
	snprintf(path, sizeof(path), "%s/env-backup", t->repo);
	f = fopen(path, "r");
	assert_non_null(f);
	line[fread(line, 1, sizeof(line) - 1, f)] = '\0';
	fclose(f);
	assert_non_null(strstr(line, "FAULTLINE_BACKUP_KIND=snapshot\n"));
	assert_non_null(strstr(line, "FAULTLINE_BACKUP_N=2\n"));
	assert_non_null(strstr(line, "FAULTLINE_STORE_KIND=file\n"));
	assert_non_null(strstr(line, "FAULTLINE_STORE_USER=root\n"));
	snprintf(path, sizeof(path), "FAULTLINE_BACKUP_REPO=%s\n", t->repo);
	assert_non_null(strstr(line, path));
	snprintf(path, sizeof(path), "FAULTLINE_STORE_PATH=%s/data/log\n", t->run_dir);
	assert_non_null(strstr(line, path));
	snprintf(path, sizeof(path), "FAULTLINE_DATA_DIR=%s/data\n", t->run_dir);
	assert_non_null(strstr(line, path));
	assert_null(strstr(line, "FAULTLINE_STORE_PORT"));

	/* A restore to a time is told the time, both ways. */
	t->ctx.restore_cmd = "env | grep ^FAULTLINE_ | sort > env-restore";
	assert_int_equal(fl_bk_exec.restore(&t->ctx, &pitr, &ph), 0);
	snprintf(path, sizeof(path), "%s/env-restore", t->repo);
	f = fopen(path, "r");
	assert_non_null(f);
	line[fread(line, 1, sizeof(line) - 1, f)] = '\0';
	fclose(f);
	assert_non_null(strstr(line, "FAULTLINE_RESTORE=pitr\n"));
	assert_non_null(strstr(line, "FAULTLINE_TARGET_TIME=2025-12-06 05:46:40.123456+00\n"));
	assert_non_null(strstr(line, "FAULTLINE_TARGET_EPOCH=1765000000.123456\n"));
	assert_non_null(strstr(line, "FAULTLINE_BACKUP_N=2\n"));
	assert_null(strstr(line, "FAULTLINE_BACKUP_KIND"));

	/* A restore command that fails: -EIO, and its last line says why. */
	t->ctx.restore_cmd = "echo copying; echo 'restore: the tape is blank' >&2; exit 3";
	assert_int_equal(fl_bk_exec.restore(&t->ctx, &pitr, &ph), -EIO);
	assert_string_equal(t->errbuf, "the restore command exited 3: "
			    "restore: the tape is blank");
	t->ctx.backup_cmd = "exit 4";
	assert_int_equal(fl_bk_exec.backup(&t->ctx, FL_BACKUP_FULL, &b), -EIO);
	assert_non_null(strstr(t->errbuf, "the backup command exited 4"));

	/* verify: none without a command; a non-zero exit is damage found. */
	assert_int_equal(fl_bk_exec.verify(&t->ctx, &v), 0);
	assert_int_equal(v, FL_BK_VERIFY_NONE);
	t->ctx.verify_cmd = "test \"$FAULTLINE_BACKUP_N\" = 2";
	assert_int_equal(fl_bk_exec.verify(&t->ctx, &v), 0);
	assert_int_equal(v, FL_BK_VERIFY_OK);
	t->ctx.verify_cmd = "echo 'checksum mismatch in 2'; exit 1";
	assert_int_equal(fl_bk_exec.verify(&t->ctx, &v), 0);
	assert_int_equal(v, FL_BK_VERIFY_FAILED);
	assert_non_null(strstr(t->errbuf, "checksum mismatch in 2"));

	t->ctx.backup_cmd = NULL;
	assert_int_equal(fl_bk_exec.backup(&t->ctx, FL_BACKUP_FULL, &b), -EINVAL);
	assert_string_equal(t->errbuf, "strategy exec: no backup command");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_example_pair, teardown),
		cmocka_unit_test_teardown(test_environment_and_failures, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
