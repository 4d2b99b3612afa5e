// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fs-snapshot strategy on a real store over faultfs: records written,
 * a snapshot, more records (one writer keeps writing through the last
 * snapshot), a second snapshot, then the disk is lost; the newest image
 * is restored and the store started: its crash recovery (PostgreSQL's WAL
 * replay, SQLite's WAL) brings back every record acknowledged before the
 * last snapshot began, and none written after it ended. On a data
 * directory without faultfs the strategy refuses and says why.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/backup_store.h"

extern const struct fl_backup_strategy fl_bk_fs_snapshot;

#define RACE_FIRST 100001u

struct writer {
	struct bk_test *t;
	volatile int stop;
	uint64_t acked;          /* the newest id acknowledged (atomic); ids go up one by one */
};

static void *keep_writing(void *arg)
{
	struct writer *w = arg;
	struct fl_wl_conn *c;
	char payload[100], why[256];

	if (fl_workload_connect(fl_bk_service_workload(w->t->svc), &c, why, sizeof(why)))
		return NULL;
	for (uint64_t id = RACE_FIRST; !w->stop && id < RACE_FIRST + 100000; id++) {
		fl_payload_make(id, 0, payload, sizeof(payload));
		if (fl_workload_write(c, id, payload, sizeof(payload), 5000, NULL) != FL_OP_OK)
			break;
		__atomic_store_n(&w->acked, id, __ATOMIC_RELEASE);
	}
	fl_workload_disconnect(c);
	return NULL;
}

/* Does the service's log say it (PostgreSQL: "automatic recovery in progress")? */
static bool log_says(const struct bk_test *t, const char *what)
{
	char path[PATH_MAX + 16], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/service.log", t->run_dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

static void snapshot_restore_recovers(const char *spec, const char *recovery_line)
{
	const struct fl_backup_strategy *s = &fl_bk_fs_snapshot;
	struct fl_bk_target latest = { .pitr = false };
	struct fl_bk_taken taken[2] = { 0 };
	struct fl_bk_phases ph = { 0 };
	struct writer w = { 0 };
	struct timespec t0, t1;
	uint64_t acked_before;
	struct bk_test t;
	pthread_t th;
	unsigned n;

	if (bk_test_open(&t, spec, true) || s->available(&t.ctx) || bk_test_start(&t))
		fail_msg("%s: %s", spec, t.errbuf);
	assert_non_null(fl_bk_service_faultfs(t.svc));
	if (s->prepare && s->prepare(&t.ctx))
		fail_msg("prepare: %s", t.errbuf);

	assert_int_equal(bk_test_write(&t, 1, 200), 200);
	{
		/* A half image a killed run left: not taken for an image, and out of the way. */
		char part[PATH_MAX + 32];
		FILE *f;

		snprintf(part, sizeof(part), "%s/1.part", t.repo);
		assert_int_equal(mkdir(part, 0700), 0);
		snprintf(part, sizeof(part), "%s/1.part/half", t.repo);
		f = fopen(part, "w");
		assert_non_null(f);
		fclose(f);
	}
	if (s->backup(&t.ctx, FL_BACKUP_SNAPSHOT, &taken[0]))
		fail_msg("backup 1: %s", t.errbuf);
	assert_int_equal(bk_test_write(&t, 201, 200), 200);

	/* The second snapshot while a writer keeps writing. */
	w.t = &t;
	assert_int_equal(pthread_create(&th, NULL, keep_writing, &w), 0);
	usleep(300000);
	acked_before = __atomic_load_n(&w.acked, __ATOMIC_ACQUIRE);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (s->backup(&t.ctx, FL_BACKUP_SNAPSHOT, &taken[1]))
		fail_msg("backup 2: %s", t.errbuf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	usleep(200000);
	w.stop = 1;
	pthread_join(th, NULL);
	assert_true(acked_before > RACE_FIRST);
	/* Written after the snapshot ended: must not come back. */
	assert_int_equal(bk_test_write(&t, 501, 50), 50);
	assert_string_equal(taken[0].label, "1");
	assert_string_equal(taken[1].label, "2");
	assert_true(taken[0].bytes > 0 && taken[1].bytes > 0);
	/* Kinds other than snapshot are refused. */
	assert_int_equal(s->backup(&t.ctx, FL_BACKUP_FULL, &taken[0]), -EINVAL);

	assert_int_equal(bk_test_lose_disk(&t), 0);
	if (s->restore(&t.ctx, &latest, &ph))
		fail_msg("restore: %s", t.errbuf);
	if (bk_test_start(&t))
		fail_msg("start after the restore: %s", t.errbuf);

	/* The image was crash-consistent, not clean: the store recovered it. */
	if (recovery_line && !log_says(&t, recovery_line))
		fail_msg("the service log has no '%s': no crash recovery ran", recovery_line);
	assert_int_equal(bk_test_present(&t, 1, 400), 400);
	n = bk_test_present(&t, RACE_FIRST, (unsigned)(acked_before - RACE_FIRST + 1));
	assert_int_equal(n, acked_before - RACE_FIRST + 1);
	assert_int_equal(bk_test_present(&t, 501, 50), 0);
	print_message("%s: snapshots of %llu and %llu bytes; %llu racing writes acknowledged "
		      "before the second, all back; %u racing in all present; snapshot took %.1f ms, "
		      "restore %.1f ms\n", spec, (unsigned long long)taken[0].bytes,
		      (unsigned long long)taken[1].bytes,
		      (unsigned long long)(acked_before - RACE_FIRST + 1),
		      bk_test_present(&t, RACE_FIRST, 100000),
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		      (double)ph.restore_ns / 1e6);
	/* The restored store takes writes. */
	assert_int_equal(bk_test_write(&t, 601, 5), 5);
	/* PITR is refused with a reason. */
	latest.pitr = true;
	assert_int_equal(s->restore(&t.ctx, &latest, &ph), -EOPNOTSUPP);
	assert_non_null(strstr(t.errbuf, "no point in time"));
	assert_int_equal(fl_bk_service_stop(t.svc, 30ull * 1000000000ull), 0);
	bk_test_close(&t);
}

static void test_postgres_recovers_from_the_crash_consistent_image(void **state)
{
	(void)state;
	if (!bk_test_ready((const char *const[]){ "pg_ctlcluster", NULL }))
		skip();
	snapshot_restore_recovers("postgres:local", "automatic recovery in progress");
}

static void test_sqlite_wal_recovers_from_the_crash_consistent_image(void **state)
{
	(void)state;
	if (!bk_test_ready(NULL))
		skip();
	snapshot_restore_recovers("sqlite:data/db?synchronous=FULL&journal_mode=WAL", NULL);
}

static void test_refused_without_faultfs(void **state)
{
	struct fl_bk_taken taken = { 0 };
	struct bk_test t;

	(void)state;
	if (!bk_test_ready(NULL))
		skip();
	if (bk_test_open(&t, "file:data/log", false) || bk_test_start(&t))
		fail_msg("file store: %s", t.errbuf);
	assert_int_equal(fl_bk_fs_snapshot.backup(&t.ctx, FL_BACKUP_SNAPSHOT, &taken), -EMEDIUMTYPE);
	assert_non_null(strstr(t.errbuf, "not a faultfs mount"));
	assert_int_equal(fl_bk_fs_snapshot.prepare(&t.ctx), -EMEDIUMTYPE);
	assert_int_equal(fl_bk_service_stop(t.svc, 10ull * 1000000000ull), 0);
	bk_test_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_without_faultfs),
		cmocka_unit_test(test_sqlite_wal_recovers_from_the_crash_consistent_image),
		cmocka_unit_test(test_postgres_recovers_from_the_crash_consistent_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
