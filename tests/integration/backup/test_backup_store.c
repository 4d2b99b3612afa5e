// SPDX-License-Identifier: GPL-2.0-only
/*
 * The store a backup run protects (userspace/backup/store.c): a built-in
 * file: store and a managed redis started in a run directory, written,
 * killed, wiped to an empty data directory (on faultfs too: the mount goes
 * first) and started again empty; a built-in store's directory that holds
 * anything else is refused, since a restore empties it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/backup_store.h"

static void lose_and_start_empty(const char *spec, bool faultfs)
{
	struct bk_test t;

	if (bk_test_open(&t, spec, faultfs) || bk_test_start(&t))
		fail_msg("%s: %s", spec, t.errbuf);
	if (faultfs)
		assert_non_null(fl_bk_service_faultfs(t.svc));
	assert_int_equal(bk_test_write(&t, 1, 50), 50);
	assert_int_equal(bk_test_present(&t, 1, 50), 50);
	assert_int_equal(bk_test_lose_disk(&t), 0);
	assert_null(fl_bk_service_faultfs(t.svc));
	assert_int_equal(bk_test_start(&t), 0);
	assert_int_equal(bk_test_present(&t, 1, 50), 0);
	assert_int_equal(bk_test_write(&t, 51, 5), 5);
	assert_int_equal(fl_bk_service_stop(t.svc, 10ull * 1000000000ull), 0);
	bk_test_close(&t);
}

static void test_file_store(void **state)
{
	(void)state;
	if (!bk_test_ready(NULL))
		skip();
	lose_and_start_empty("file:data/log?fsync=always", false);
	lose_and_start_empty("file:data/log", true);
}

static void test_redis_store(void **state)
{
	(void)state;
	if (!bk_test_ready((const char *const[]){ "redis-server", NULL }))
		skip();
	lose_and_start_empty("redis:local", false);
}

static void test_busy_directory_refused(void **state)
{
	struct bk_test t;
	char path[PATH_MAX + 32];
	FILE *f;

	(void)state;
	if (!bk_test_ready(NULL))
		skip();
	assert_int_equal(bk_test_open(&t, "file:d1/log", false), 0);
	fl_bk_service_free(t.svc);
	t.svc = NULL;
	snprintf(path, sizeof(path), "%s/d2", t.run_dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/d2/precious", t.run_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "file:%s/d2/log", t.run_dir);
	assert_int_equal(fl_bk_service_create(path, t.run_dir, false, &t.svc, t.errbuf,
					      sizeof(t.errbuf)), -EEXIST);
	assert_non_null(strstr(t.errbuf, "must be empty"));
	bk_test_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_store),
		cmocka_unit_test(test_redis_store),
		cmocka_unit_test(test_busy_directory_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
