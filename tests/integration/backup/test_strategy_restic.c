// SPDX-License-Identifier: GPL-2.0-only
/*
 * The restic strategy against real stores: a local repository made by
 * restic init, snapshots of the redis RDB (after a BGSAVE) and of the
 * file store's log taken while records are written, the disk lost, the
 * latest snapshot restored. Every record acknowledged before the last
 * snapshot began comes back intact, the restored redis passes its
 * checks, `restic check --read-data` says OK on a sound repository and
 * FAILED on one whose pack was damaged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "helpers/backup_steps.h"

#define BATCH 200

static const struct fl_backup_strategy *restic;


static bool ready(const char *const *programs)
{
	if (!bk_test_ready(programs) || !bk_step_ready("restic"))
		return false;
	restic = fl_backup_strategy_find("restic");
	return true;
}

/* Two snapshots between writes, verified, the disk lost, the latest restored. */
static void snapshots_then_restore(const char *spec, const char *name)
{
	struct fl_bk_taken s1, s2;
	uint64_t d1, d2, total, next = 1, mark;
	enum fl_bk_verify v = FL_BK_VERIFY_NONE;
	struct fl_bk_phases ph;
	static struct bk_test t;

	BK_CHECK(&t, bk_step_open(&t, spec, false));
	BK_CHECK(&t, bk_step_begin(&t, restic));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, restic, FL_BACKUP_SNAPSHOT, &s1, &d1));
	bk_step_write(&t, &next, BATCH);
	mark = next;
	BK_CHECK(&t, bk_step_backup(&t, restic, FL_BACKUP_SNAPSHOT, &s2, &d2));
	bk_step_write(&t, &next, BATCH);
	print_message("restic/%s: snapshot %s added %llu B in %.1f ms, snapshot %s added %llu B "
		      "in %.1f ms\n", name, s1.label, (unsigned long long)s1.bytes, bk_ms(d1),
		      s2.label, (unsigned long long)s2.bytes, bk_ms(d2));
	assert_true(s1.bytes > 0);
	assert_int_equal(strlen(s1.label), 8);
	assert_string_not_equal(s1.label, s2.label);
	BK_CHECK(&t, restic->verify(&t.ctx, &v));
	assert_int_equal(v, FL_BK_VERIFY_OK);

	BK_CHECK(&t, bk_step_restore(&t, restic, &ph, &total));
	print_message("restic/%s: fetch %.1f ms, restore %.1f ms, kill to up %.1f ms\n", name,
		      bk_ms(ph.fetch_ns), bk_ms(ph.restore_ns), bk_ms(total));
	assert_true(ph.fetch_ns > 0);
	assert_int_equal(bk_test_present(&t, 1, (unsigned)(mark - 1)), mark - 1);
	if (!strcmp(t.ctx.store->kind, "redis")) {
		enum fl_backup_check check;
		char detail[256];

		BK_CHECK(&t, fl_bk_check_redis(&t.ctx, &check, detail, sizeof(detail)));
		print_message("restic/%s: check %s: %s\n", name, fl_backup_check_name(check),
			      detail);
		assert_int_equal(check, FL_BACKUP_CHECK_OK);
	}
	/* Nothing of restic's outside its directory: the scratch restore is gone too. */
	{
		DIR *d = opendir(t.work);
		struct dirent *e;
		int n = 0;

		assert_non_null(d);
		while ((e = readdir(d)))
			n += e->d_name[0] != '.';
		closedir(d);
		assert_int_equal(n, 0);
	}
}

static void test_restic_redis_rdb_snapshots_restore_every_acked_write(void **state)
{
	(void)state;
	if (!ready((const char *const[]){ "redis-server", "redis-check-aof", NULL }))
		skip();
	snapshots_then_restore("redis:local", "redis");
}

static void test_restic_file_snapshots_restore_every_acked_write(void **state)
{
	(void)state;
	if (!ready(NULL))
		skip();
	snapshots_then_restore("file:data/records.log", "file");
}

/* The first file under dir/data/ (a pack), into buf. */
static bool find_pack(const char *dir, char *buf, size_t len)
{
	char sub[PATH_MAX + 600];
	struct dirent *e, *f;
	DIR *d, *s;
	bool found = false;

	snprintf(sub, sizeof(sub), "%s/data", dir);
	d = opendir(sub);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/data/%s", dir, e->d_name);
		s = opendir(sub);
		while (s && !found && (f = readdir(s)))
			if (f->d_name[0] != '.') {
				snprintf(buf, len, "%s/%s", sub, f->d_name);
				found = true;
			}
		if (s)
			closedir(s);
	}
	closedir(d);
	return found;
}

static void test_restic_check_catches_a_damaged_pack(void **state)
{
	char pack[2 * PATH_MAX], repo[PATH_MAX + 16];
	enum fl_bk_verify v = FL_BK_VERIFY_NONE;
	struct fl_bk_taken s1;
	uint64_t next = 1;
	unsigned char b;
	struct stat st;
	static struct bk_test t;
	int fd;

	(void)state;
	if (!ready(NULL))
		skip();
	BK_CHECK(&t, bk_step_open(&t, "file:data/records.log", false));
	BK_CHECK(&t, bk_step_begin(&t, restic));
	bk_step_write(&t, &next, BATCH);
	BK_CHECK(&t, bk_step_backup(&t, restic, FL_BACKUP_SNAPSHOT, &s1, NULL));
	BK_CHECK(&t, restic->verify(&t.ctx, &v));
	assert_int_equal(v, FL_BK_VERIFY_OK);

	/* One byte flipped in the middle of a pack, as a bad disk under the repository would. */
	snprintf(repo, sizeof(repo), "%s/repo", t.repo);
	assert_true(find_pack(repo, pack, sizeof(pack)));
	fd = open(pack, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(pread(fd, &b, 1, st.st_size / 2), 1);
	b ^= 0xff;
	assert_int_equal(pwrite(fd, &b, 1, st.st_size / 2), 1);
	close(fd);

	v = FL_BK_VERIFY_NONE;
	BK_CHECK(&t, restic->verify(&t.ctx, &v));
	print_message("restic check on a damaged pack: %s\n", t.errbuf);
	assert_int_equal(v, FL_BK_VERIFY_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_restic_redis_rdb_snapshots_restore_every_acked_write,
					  bk_step_teardown),
		cmocka_unit_test_teardown(test_restic_file_snapshots_restore_every_acked_write,
					  bk_step_teardown),
		cmocka_unit_test_teardown(test_restic_check_catches_a_damaged_pack,
					  bk_step_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
