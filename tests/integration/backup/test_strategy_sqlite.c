// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sqlite strategy against the built-in sqlite: store (its forked
 * writer process): 200 records, then two online backups while a client
 * writes all along, the disk lost, the newest copy restored, and every
 * record acknowledged before the last backup began is back; PRAGMA
 * integrity_check of the restored store is ok. A copy with a page
 * overwritten in the middle fails verify, and restored, fails the
 * store's check. In rollback journal and WAL mode; prints each backup's
 * time and size and the writer's longest write during the backups
 * against the longest outside.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/backup_store.h"

extern const struct fl_backup_strategy fl_bk_sqlite;

#define BG_FIRST    1000000   /* the background client's ids */
#define BG_MAX      200000
#define PAYLOAD_LEN 100

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A client that writes all along; its acknowledged ids in order, and its longest writes. */
struct bg {
	struct fl_workload *w;
	atomic_bool stop;
	atomic_bool in_backup;
	atomic_ulong n_acked;
	uint64_t *acked;
	uint64_t longest_in, longest_out; /* ns: during a backup, outside one */
};

static void *bg_main(void *arg)
{
	struct bg *bg = arg;
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c = NULL;
	uint64_t id = BG_FIRST;

	while (!atomic_load(&bg->stop) && atomic_load(&bg->n_acked) < BG_MAX) {
		bool during;
		uint64_t t0, took;

		if (!c && fl_workload_connect(bg->w, &c, NULL, 0)) {
			usleep(1000);
			continue;
		}
		fl_payload_make(id, 0, p, sizeof(p));
		during = atomic_load(&bg->in_backup);
		t0 = now_ns();
		if (fl_workload_write(c, id, p, sizeof(p), 10000, NULL) != FL_OP_OK) {
			fl_workload_disconnect(c);
			c = NULL;
			id++;
			continue;
		}
		took = now_ns() - t0;
		during |= atomic_load(&bg->in_backup);
		if (during && took > bg->longest_in)
			bg->longest_in = took;
		if (!during && took > bg->longest_out)
			bg->longest_out = took;
		bg->acked[atomic_load(&bg->n_acked)] = id++;
		atomic_fetch_add(&bg->n_acked, 1);
	}
	fl_workload_disconnect(c);
	return NULL;
}

/* One backup while bg writes; how many of bg's writes were acknowledged before it began. */
static unsigned long backup_now(struct bk_test *t, struct bg *bg, const char *label)
{
	struct fl_bk_taken taken = { 0 };
	unsigned long before;
	uint64_t t0, took;
	int err;

	before = atomic_load(&bg->n_acked);
	atomic_store(&bg->in_backup, true);
	t0 = now_ns();
	err = fl_bk_sqlite.backup(&t->ctx, FL_BACKUP_FULL, &taken);
	took = now_ns() - t0;
	atomic_store(&bg->in_backup, false);
	if (err)
		fail_msg("%s backup: %s", label, t->errbuf);
	print_message("  %s: backup %s: %llu bytes in %.1f ms\n", label, taken.label,
		      (unsigned long long)taken.bytes, (double)took / 1e6);
	assert_true(taken.bytes > 0);
	return before;
}

/* Ids the store holds intact, as a bitmap over bg's ids. */
static size_t bg_present(struct bk_test *t, const struct bg *bg, unsigned long n)
{
	struct fl_readback *back = NULL;
	size_t n_back = 0, found = 0;
	uint8_t *seen = calloc(BG_MAX + 1, 1);

	assert_non_null(seen);
	if (fl_bk_service_read_back(t->svc, &back, &n_back, t->errbuf, sizeof(t->errbuf)))
		fail_msg("read back: %s", t->errbuf);
	for (size_t i = 0; i < n_back; i++)
		if (back[i].intact && back[i].id >= BG_FIRST && back[i].id - BG_FIRST < BG_MAX)
			seen[back[i].id - BG_FIRST] = 1;
	for (unsigned long i = 0; i < n; i++)
		found += seen[bg->acked[i] - BG_FIRST];
	free(seen);
	free(back);
	return found;
}

static void check_store(struct bk_test *t, enum fl_backup_check want, const char *detail_has)
{
	enum fl_backup_check got = FL_BACKUP_CHECK_NONE;
	char detail[256] = "";

	assert_int_equal(fl_bk_store_check(&t->ctx, &got, detail, sizeof(detail)), 0);
	if (got != want)
		fail_msg("store check: %s (%s), wanted %s", fl_backup_check_name(got), detail,
			 fl_backup_check_name(want));
	if (detail_has)
		assert_non_null(strstr(detail, detail_has));
}

/* Overwrite the page in the middle of the file with junk, as a bad disk would. */
static void corrupt_middle(const char *path)
{
	unsigned char junk[4096];
	struct stat st;
	off_t at;
	int fd;

	memset(junk, 0xa5, sizeof(junk));
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size >= 4 * 4096);
	at = (st.st_size / 4096 / 2) * 4096;
	assert_int_equal(pwrite(fd, junk, sizeof(junk), at), (ssize_t)sizeof(junk));
	close(fd);
}

/* What a test leaves running; the teardown ends it when an assertion cut the test short. */
static struct {
	struct bk_test t;
	struct bg bg;
	pthread_t th;
	bool open, running;
} run;

static void stop_bg(void)
{
	if (!run.running)
		return;
	atomic_store(&run.bg.stop, true);
	pthread_join(run.th, NULL);
	run.running = false;
}

static int teardown(void **state)
{
	(void)state;
	stop_bg();
	free(run.bg.acked);
	run.bg.acked = NULL;
	if (run.open)
		bk_test_close(&run.t);
	run.open = false;
	return 0;
}

static void round_trip(const char *spec, const char *label)
{
	struct bk_test *t = &run.t;
	struct bg *bg = &run.bg;
	struct fl_bk_phases ph = { 0 };
	struct fl_bk_target latest = { 0 }, pitr = { .pitr = true };
	struct fl_bk_taken taken;
	enum fl_bk_verify v = FL_BK_VERIFY_NONE;
	unsigned long before_last;
	unsigned acked;
	size_t present;
	char path[PATH_MAX + 16];

	memset(&run, 0, sizeof(run));
	run.open = !bk_test_open(t, spec, false);
	if (!run.open || bk_test_start(t))
		fail_msg("%s: %s", spec, t->errbuf);
	assert_int_equal(fl_bk_sqlite.available(&t->ctx), 0);
	/* Nothing to verify or restore yet. */
	assert_int_equal(fl_bk_sqlite.verify(&t->ctx, &v), -ENOENT);
	assert_int_equal(fl_bk_sqlite.restore(&t->ctx, &latest, &ph), -ENOENT);
	assert_int_equal(fl_bk_sqlite.backup(&t->ctx, FL_BACKUP_INCR, &taken), -EINVAL);

	bg->w = fl_bk_service_workload(t->svc);
	bg->acked = calloc(BG_MAX, sizeof(*bg->acked));
	assert_non_null(bg->acked);
	/*
	 * Records of known ids first; then one client writes all along (a
	 * second would contend with it for the database's lock, and in
	 * rollback-journal mode one of them can starve past its timeout).
	 */
	acked = bk_test_write(t, 1, 200);
	if (acked != 200)
		fail_msg("%u of 200 writes acknowledged: %s", acked, t->errbuf);
	assert_int_equal(pthread_create(&run.th, NULL, bg_main, bg), 0);
	run.running = true;
	usleep(300000);
	backup_now(t, bg, label);
	usleep(500000);
	before_last = backup_now(t, bg, label);
	usleep(100000);
	stop_bg();
	print_message("  %s: the client's longest write: %.1f ms during the backups, "
		      "%.1f ms outside (%lu writes)\n", label, (double)bg->longest_in / 1e6,
		      (double)bg->longest_out / 1e6, (unsigned long)atomic_load(&bg->n_acked));
	if (fl_bk_sqlite.verify(&t->ctx, &v) || v != FL_BK_VERIFY_OK)
		fail_msg("verify: %d: %s", v, t->errbuf);

	/* The disk is lost: the newest copy comes back, and with it every write before it began. */
	if (bk_test_lose_disk(t))
		fail_msg("losing the disk: %s", t->errbuf);
	assert_int_equal(fl_bk_sqlite.restore(&t->ctx, &pitr, &ph), -EOPNOTSUPP);
	if (fl_bk_sqlite.restore(&t->ctx, &latest, &ph))
		fail_msg("restore: %s", t->errbuf);
	print_message("  %s: restore %.1f ms\n", label, (double)ph.restore_ns / 1e6);
	assert_int_equal(ph.fetch_ns, 0);
	assert_true(ph.restore_ns > 0);
	if (bk_test_start(t))
		fail_msg("start after the restore: %s", t->errbuf);
	present = bk_test_present(t, 1, 200);
	if (present != 200)
		fail_msg("%zu of the first 200 records back: %s", present, t->errbuf);
	present = bg_present(t, bg, before_last);
	if (present != before_last)
		fail_msg("%zu of the %lu writes acknowledged before the last backup began are back",
			 present, before_last);
	check_store(t, FL_BACKUP_CHECK_OK, NULL);
	acked = bk_test_write(t, 500, 10);
	if (acked != 10)
		fail_msg("after the restore, %u of 10 writes acknowledged: %s", acked, t->errbuf);

	/* A copy damaged in the repository: the tool's verify says so, and so does the store. */
	snprintf(path, sizeof(path), "%s/2.db", t->repo);
	corrupt_middle(path);
	assert_int_equal(fl_bk_sqlite.verify(&t->ctx, &v), 0);
	assert_int_equal(v, FL_BK_VERIFY_FAILED);
	print_message("  %s: verify of the damaged copy: %s\n", label, t->errbuf);
	assert_non_null(strstr(t->errbuf, "2.db: "));
	assert_int_equal(bk_test_lose_disk(t), 0);
	if (fl_bk_sqlite.restore(&t->ctx, &latest, &ph) || bk_test_start(t))
		fail_msg("restore of the damaged copy: %s", t->errbuf);
	check_store(t, FL_BACKUP_CHECK_FAILED, "PRAGMA integrity_check: ");
}

static void test_rollback_journal(void **state)
{
	(void)state;
	if (!bk_test_ready(NULL))
		skip();
	round_trip("sqlite:data/t.db", "journal_mode=DELETE");
}

static void test_wal(void **state)
{
	(void)state;
	if (!bk_test_ready(NULL))
		skip();
	round_trip("sqlite:data/t.db?journal_mode=WAL&synchronous=NORMAL", "journal_mode=WAL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rollback_journal, teardown),
		cmocka_unit_test_teardown(test_wal, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
