// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl_workload_drop, an operator's mistake, against the real stores: the
 * records' table dropped while the service runs. file: the log truncated
 * (the writer's next record lands at offset 0, not after a hole); sqlite:
 * DROP TABLE beside the running writer while a client writes (rollback
 * journal and WAL), the writer's writes fail after it, and a restarted
 * writer has an empty table; redis: the workload's prefix emptied, another
 * prefix's keys kept; postgres: DROP TABLE, -ENOENT the second time, and
 * a new connection creates the table again (what the README warns of);
 * exec: -EOPNOTSUPP with the reason.
 */
#include <errno.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/fixtures.h"
#include "helpers/services.h"

#define PAYLOAD_LEN 100
#define SEED        7
#define TIMEOUT_MS  10000

static struct fl_workload *open_spec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct fl_workload *open_spec(const char *fmt, ...)
{
	struct fl_workload *w;
	char spec[1024], why[256] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	if (fl_workload_open(spec, &w, why, sizeof(why)))
		fail_msg("%s: %s", spec, why);
	return w;
}

/* Ids first..last on one connection, every one acknowledged. */
static void write_ids(struct fl_workload *w, uint64_t first, uint64_t last)
{
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c;
	char why[256] = "";
	int err = 0;

	if (fl_workload_connect(w, &c, why, sizeof(why)))
		fail_msg("connect: %s", why);
	for (uint64_t id = first; id <= last; id++) {
		fl_payload_make(id, SEED, p, sizeof(p));
		if (fl_workload_write(c, id, p, sizeof(p), TIMEOUT_MS, &err) != FL_OP_OK)
			fail_msg("write %llu: %s", (unsigned long long)id, strerror(-err));
	}
	fl_workload_disconnect(c);
}

struct back {
	size_t records, intact;
	uint64_t last_id;
};

static int on_record(void *ctx, uint64_t id, const void *payload, size_t len)
{
	struct back *b = ctx;
	uint64_t embedded;

	b->records++;
	b->last_id = id;
	if (id && !fl_payload_check(payload, len, &embedded) && embedded == id)
		b->intact++;
	return 0;
}

static struct back read_back(struct fl_workload *w)
{
	struct back b = { 0 };
	char why[256] = "";

	if (fl_workload_read_all(w, on_record, &b, why, sizeof(why)))
		fail_msg("read back %s: %s", fl_workload_describe(w), why);
	return b;
}

static void drop_ok(struct fl_workload *w)
{
	char why[256] = "";

	if (fl_workload_drop(w, why, sizeof(why)))
		fail_msg("drop %s: %s", fl_workload_describe(w), why);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static pid_t start(struct fl_workload *w)
{
	char why[256] = "";
	pid_t pid = 0;

	if (fl_workload_start(w, &pid, why, sizeof(why)))
		fail_msg("start %s: %s", fl_workload_describe(w), why);
	return pid;
}

static void stop(struct fl_workload *w, pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	fl_workload_stopped(w);
}

static void test_file(void **state)
{
	const char *dir = ((struct fl_fixture *)*state)->path;
	struct fl_workload *w = open_spec("file:%s/log", dir), *none;
	char why[256] = "";
	struct back b;
	pid_t pid = start(w);

	write_ids(w, 1, 20);
	assert_int_equal(read_back(w).records, 20);
	drop_ok(w);
	assert_int_equal(read_back(w).records, 0);
	/* The writer's descriptor is O_APPEND: the next line starts the empty log. */
	write_ids(w, 21, 21);
	b = read_back(w);
	assert_int_equal(b.records, 1);
	assert_int_equal(b.intact, 1);
	assert_int_equal(b.last_id, 21);
	stop(w, pid);
	fl_workload_close(w);

	none = open_spec("file:%s/no-such-log", dir);
	assert_int_equal(fl_workload_drop(none, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no-such-log"));
	fl_workload_close(none);
}

/* A client writing through the writer process all the while. */
struct writer {
	struct fl_workload *w;
	atomic_bool stop;
	atomic_ulong acked;
	uint64_t next_id;
};

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c = NULL;

	while (!atomic_load(&wr->stop)) {
		uint64_t id = wr->next_id++;

		if (!c && fl_workload_connect(wr->w, &c, NULL, 0)) {
			usleep(1000);
			continue;
		}
		fl_payload_make(id, SEED, p, sizeof(p));
		if (fl_workload_write(c, id, p, sizeof(p), TIMEOUT_MS, NULL) == FL_OP_OK) {
			atomic_fetch_add(&wr->acked, 1);
		} else {
			fl_workload_disconnect(c);
			c = NULL;
		}
	}
	fl_workload_disconnect(c);
	return NULL;
}

static void sqlite_drop(const char *dir, const char *query)
{
	struct fl_workload *w = open_spec("sqlite:%s/t.db%s", dir, query), *none;
	struct writer wr = { .w = w, .next_id = 1 };
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c;
	char why[256] = "";
	pthread_t t;
	pid_t pid = start(w);
	int err = 0;
	double t0;

	assert_int_equal(pthread_create(&t, NULL, writer_main, &wr), 0);
	for (int i = 0; i < 30000 && atomic_load(&wr.acked) < 200; i++)
		usleep(1000);
	/* The writer holds its locks while it commits: the drop waits them out. */
	t0 = now_ms();
	err = fl_workload_drop(w, why, sizeof(why));
	t0 = now_ms() - t0;
	/* Joined before any assertion: a failing one must not leave it writing. */
	atomic_store(&wr.stop, true);
	pthread_join(t, NULL);
	if (err)
		fail_msg("drop beside the writer: %s", why);
	printf("  %s: dropped in %.1f ms beside the writer, after %lu acknowledged writes\n",
	       query[0] ? query + 1 : "journal_mode=DELETE", t0,
	       (unsigned long)atomic_load(&wr.acked));
	assert_int_equal(read_back(w).records, 0);

	/* The running writer's table is gone: its writes are refused, none lands. */
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	fl_payload_make(1000000, SEED, p, sizeof(p));
	assert_int_not_equal(fl_workload_write(c, 1000000, p, sizeof(p), TIMEOUT_MS, &err),
			     FL_OP_OK);
	fl_workload_disconnect(c);
	assert_int_equal(fl_workload_drop(w, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "no such table"));

	/* A restarted writer creates the table again, empty. */
	stop(w, pid);
	pid = start(w);
	write_ids(w, 2000000, 2000000);
	assert_int_equal(read_back(w).records, 1);
	stop(w, pid);
	fl_workload_close(w);

	none = open_spec("sqlite:%s/none.db", dir);
	assert_int_equal(fl_workload_drop(none, NULL, 0), -ENOENT);
	fl_workload_close(none);
}

static void test_sqlite_rollback_journal(void **state)
{
	sqlite_drop(((struct fl_fixture *)*state)->path, "");
}

static void test_sqlite_wal(void **state)
{
	sqlite_drop(((struct fl_fixture *)*state)->path, "?synchronous=NORMAL&journal_mode=WAL");
}

/* A real server of kind, started; false (the test skips) when this host has none. */
static bool need(struct fl_service *s, enum fl_svc_kind kind)
{
	char why[512] = "";

	if (!fl_test_require_root())
		return false;
	if (!fl_service_available(kind, why, sizeof(why))) {
		printf("skip: %s\n", why);
		return false;
	}
	if (fl_service_create(s, kind, FL_SVC_SAFEST, why, sizeof(why)) ||
	    fl_service_start(s, 60000, why, sizeof(why)))
		fail_msg("%s: %s", fl_service_name(kind), why);
	return true;
}

static void test_redis(void **state)
{
	struct fl_service s = { 0 };
	struct fl_workload *w, *other;

	(void)state;
	if (!need(&s, FL_SVC_REDIS))
		skip();
	w = open_spec("%s", s.url);
	other = open_spec("%s?key=someone-else:", s.url);
	write_ids(w, 1, 100);
	write_ids(other, 1, 1);
	drop_ok(w);
	assert_int_equal(read_back(w).records, 0);
	/* Not FLUSHDB: keys that are not the workload's stay. */
	assert_int_equal(read_back(other).intact, 1);
	/* Nothing left under the prefix is not an error: redis has no table to miss. */
	drop_ok(w);
	fl_workload_close(other);
	fl_workload_close(w);
	fl_service_destroy(&s);
}

static void test_postgres(void **state)
{
	struct fl_service s = { 0 };
	unsigned char p[PAYLOAD_LEN];
	struct fl_workload *w;
	struct fl_wl_conn *c;
	char why[256] = "";
	int err = 0;

	(void)state;
	if (!need(&s, FL_SVC_POSTGRES))
		skip();
	w = open_spec("%s", s.url);
	assert_int_equal(fl_workload_reset(w, why, sizeof(why)), 0);
	write_ids(w, 1, 100);
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	drop_ok(w);
	assert_int_equal(read_back(w).records, 0);
	assert_int_equal(fl_workload_drop(w, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "faultline_rpo"));
	/* A connection made before the drop: its write is refused. */
	fl_payload_make(101, SEED, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 101, p, sizeof(p), TIMEOUT_MS, &err), FL_OP_FAIL);
	fl_workload_disconnect(c);
	/* A new one creates the table again: a write after the drop lands in it. */
	write_ids(w, 102, 102);
	assert_int_equal(read_back(w).records, 1);
	fl_workload_close(w);
	fl_service_destroy(&s);
}

static void test_unsupported(void **state)
{
	struct fl_workload *w;
	char why[256] = "";

	(void)state;
	w = open_spec("exec:cat");
	assert_int_equal(fl_workload_drop(w, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "exec: the line protocol has no request"));
	fl_workload_close(w);
	w = open_spec("etcd://127.0.0.1:1");
	assert_int_equal(fl_workload_drop(w, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "no drop operation"));
	fl_workload_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file, fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sqlite_rollback_journal, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sqlite_wal, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test(test_redis),
		cmocka_unit_test(test_postgres),
		cmocka_unit_test(test_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
