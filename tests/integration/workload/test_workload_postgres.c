// SPDX-License-Identifier: GPL-2.0-only
/*
 * postgres:// workloads against a real PostgreSQL (the Debian package's
 * server, initdb'ed and started here on 127.0.0.1 and a free port, fsync
 * and synchronous_commit on): 4 clients write for a second and read back
 * every record intact, reset empties the table, a refused INSERT is FAIL,
 * a write stuck behind a lock is UNKNOWN at its timeout, a dead server is
 * UNKNOWN on an open connection and fails ping and connect at once.
 */
#include <errno.h>
#include <limits.h>
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/fixtures.h"
#include "helpers/services.h"

#define CLIENTS     4
#define LOAD_MS     1000
#define PAYLOAD_LEN 128
#define MAX_IDS     2000000

static struct fl_service svc;
static bool have_svc;
static char skip_why[512];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int group_setup(void **state)
{
	char why[1024] = "";

	(void)state;
	if (!fl_service_available(FL_SVC_POSTGRES, skip_why, sizeof(skip_why)))
		return 0;
	if (fl_service_create(&svc, FL_SVC_POSTGRES, FL_SVC_SAFEST, why, sizeof(why)) ||
	    fl_service_start(&svc, 30000, why, sizeof(why))) {
		print_error("postgres fixture: %s\n", why);
		fl_service_destroy(&svc);
		return -1;
	}
	have_svc = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fl_service_destroy(&svc);
	return 0;
}

static bool need_postgres(void)
{
	if (have_svc)
		return true;
	print_message("skip: %s\n", skip_why);
	return false;
}

static struct fl_workload *open_spec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct fl_workload *open_spec(const char *fmt, ...)
{
	struct fl_workload *w;
	char spec[512], why[256] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	if (fl_workload_open(spec, &w, why, sizeof(why)))
		fail_msg("%s: %s", spec, why);
	return w;
}

/* --- load and read-back --------------------------------------------------- */

struct writer {
	struct fl_workload *w;
	_Atomic uint64_t *next;
	_Atomic bool *stop;
	size_t ok, other;
};

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c;
	char why[256] = "";

	if (fl_workload_connect(wr->w, &c, why, sizeof(why))) {
		print_message("connect: %s\n", why);
		return NULL;
	}
	while (!atomic_load(wr->stop)) {
		uint64_t id = atomic_fetch_add(wr->next, 1);

		if (id >= MAX_IDS)
			break;
		fl_payload_make(id, 7, p, sizeof(p));
		if (fl_workload_write(c, id, p, sizeof(p), 5000, NULL) == FL_OP_OK)
			wr->ok++;
		else
			wr->other++;
	}
	fl_workload_disconnect(c);
	return NULL;
}

/* CLIENTS threads for LOAD_MS; returns the number written (ids 1..n), all acknowledged. */
static uint64_t load(struct fl_workload *w, const char *label)
{
	struct writer wr[CLIENTS];
	pthread_t t[CLIENTS];
	_Atomic uint64_t next = 1;
	_Atomic bool stop = false;
	size_t ok = 0, other = 0;
	double t0 = now_s(), secs;

	for (int i = 0; i < CLIENTS; i++) {
		wr[i] = (struct writer){ .w = w, .next = &next, .stop = &stop };
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &wr[i]), 0);
	}
	usleep(LOAD_MS * 1000);
	atomic_store(&stop, true);
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		ok += wr[i].ok;
		other += wr[i].other;
	}
	secs = now_s() - t0;
	print_message("%s: %zu writes acknowledged in %.2f s by %d clients: %.0f writes/s\n",
		      label, ok, secs, CLIENTS, ok / secs);
	assert_int_equal(other, 0);
	assert_true(ok > 0);
	assert_int_equal(ok, atomic_load(&next) - 1);
	return ok;
}

struct back {
	uint8_t *seen;
	uint64_t max;
	size_t records, intact, foreign;
};

static int on_record(void *ctx, uint64_t id, const void *payload, size_t len)
{
	struct back *b = ctx;
	uint64_t got;

	b->records++;
	if (id && id <= b->max && !fl_payload_check(payload, len, &got) && got == id) {
		b->intact++;
		b->seen[id]++;
	} else {
		b->foreign++;
	}
	return 0;
}

static void read_back(struct fl_workload *w, uint64_t n, struct back *b)
{
	char why[256] = "";

	b->max = n;
	b->seen = calloc(n + 1, 1);
	assert_non_null(b->seen);
	if (fl_workload_read_all(w, on_record, b, why, sizeof(why)))
		fail_msg("read_all: %s", why);
}

static void test_round_trip(void **state)
{
	struct fl_workload *w;
	struct back b = { 0 };
	char why[256] = "";
	uint64_t n;

	(void)state;
	if (!need_postgres())
		skip();
	w = open_spec("%s", svc.url);
	assert_string_equal(fl_workload_scheme(w), "postgres");
	assert_false(fl_workload_builtin(w));
	assert_int_equal(fl_workload_ping(w, 2000), 0);
	if (fl_workload_reset(w, why, sizeof(why)))
		fail_msg("reset: %s", why);
	n = load(w, "postgres synchronous_commit=on");
	read_back(w, n, &b);
	assert_int_equal(b.records, n);
	assert_int_equal(b.intact, n);
	for (uint64_t id = 1; id <= n; id++)
		assert_int_equal(b.seen[id], 1);
	free(b.seen);

	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	memset(&b, 0, sizeof(b));
	read_back(w, 1, &b);
	assert_int_equal(b.records, 0);
	free(b.seen);
	fl_workload_close(w);
}

static int psql(const char *sql, bool background)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "psql -X -q -h 127.0.0.1 -p %d -U postgres -d postgres "
		 "-c \"%s\" >/dev/null 2>&1%s", svc.port, sql, background ? " &" : "");
	char *argv[] = { "sh", "-c", cmd, NULL };
	return fl_fixture_cmd(argv);
}

/* An INSERT the server refuses (the id is taken) rolled back: FAIL, and the connection goes on. */
static void test_refused_insert_is_fail(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	int err = 0;

	(void)state;
	if (!need_postgres())
		skip();
	w = open_spec("%s", svc.url);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	fl_payload_make(1, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 2000, &err), FL_OP_OK);
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 2000, &err), FL_OP_FAIL);
	assert_int_equal(err, -EEXIST);
	fl_payload_make(2, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 2, p, sizeof(p), 2000, &err), FL_OP_OK);
	fl_workload_disconnect(c);
	fl_workload_close(w);
}

/* No table yet (a store never reset): the first connection creates it. */
static void test_connect_creates_table(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	struct back b = { 0 };
	char why[256] = "";

	(void)state;
	if (!need_postgres())
		skip();
	assert_int_equal(psql("DROP TABLE IF EXISTS faultline_rpo", false), 0);
	w = open_spec("%s", svc.url);
	read_back(w, 1, &b);   /* no table: nothing survived, not an error */
	assert_int_equal(b.records, 0);
	free(b.seen);
	if (fl_workload_connect(w, &c, why, sizeof(why)))
		fail_msg("connect: %s", why);
	fl_payload_make(1, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 2000, NULL), FL_OP_OK);
	fl_workload_disconnect(c);
	fl_workload_close(w);
}

/* A write stuck behind a lock: UNKNOWN at its timeout (it may still commit later). */
static void test_blocked_write_is_unknown(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	double t0, took;
	int err = 0;

	(void)state;
	if (!need_postgres())
		skip();
	if (access("/usr/bin/psql", X_OK)) {
		print_message("skip: needs psql (Debian package postgresql-client)\n");
		skip();
	}
	w = open_spec("%s", svc.url);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	/* Another session holds the table for 2 s. */
	assert_int_equal(psql("BEGIN; LOCK TABLE faultline_rpo; SELECT pg_sleep(2); COMMIT;", true),
			 0);
	usleep(500 * 1000);
	fl_payload_make(1, 7, p, sizeof(p));
	t0 = now_s();
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 300, &err), FL_OP_UNKNOWN);
	took = now_s() - t0;
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(took >= 0.29 && took < 1.0);
	fl_workload_disconnect(c);
	fl_workload_close(w);
	usleep(2000 * 1000);
}

static void test_down_server(void **state)
{
	struct fl_workload *w, *nowhere;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	char why[256] = "", why2[1024] = "";
	double t0;
	int err = 0;

	(void)state;
	if (!need_postgres())
		skip();
	w = open_spec("%s", svc.url);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	assert_int_equal(fl_service_stop(&svc), 0);

	fl_payload_make(1, 7, p, sizeof(p));
	t0 = now_s();
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 2000, &err), FL_OP_UNKNOWN);
	assert_int_equal(err, -ECONNRESET);
	assert_true(now_s() - t0 < 1.0);
	fl_workload_disconnect(c);

	nowhere = open_spec("%s", svc.url);
	t0 = now_s();
	assert_int_equal(fl_workload_ping(nowhere, 2000), -ECONNREFUSED);
	assert_int_equal(fl_workload_connect(nowhere, &c, why, sizeof(why)), -ECONNREFUSED);
	assert_non_null(strstr(why, "postgres: connect: "));
	assert_int_not_equal(fl_workload_reset(nowhere, NULL, 0), 0);
	assert_true(now_s() - t0 < 0.5);
	fl_workload_close(nowhere);
	fl_workload_close(w);

	if (fl_service_start(&svc, 30000, why2, sizeof(why2)))
		fail_msg("restart: %s", why2);
}

static void test_spec_parsing(void **state)
{
	static const char *const bad[] = {
		"postgres://", "postgres://host:port/db", "postgresql://h/d?frob=1", NULL,
	};
	struct fl_workload *w;
	char why[256];

	(void)state;
	w = open_spec("postgres://app:s3cret@db.example:5433/shop?sslmode=disable");
	assert_string_equal(fl_workload_describe(w),
			    "postgres://app:***@db.example:5433/shop?sslmode=disable");
	fl_workload_close(w);
	w = open_spec("postgresql://app@localhost/shop?password=hunter2&connect_timeout=3");
	assert_string_equal(fl_workload_describe(w),
			    "postgresql://app@localhost/shop?password=***&connect_timeout=3");
	assert_string_equal(fl_workload_scheme(w), "postgres");
	fl_workload_close(w);
	for (int i = 0; bad[i]; i++) {
		why[0] = '\0';
		assert_int_equal(fl_workload_open(bad[i], &w, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, "postgres: "));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parsing),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused_insert_is_fail),
		cmocka_unit_test(test_connect_creates_table),
		cmocka_unit_test(test_blocked_write_is_unknown),
		cmocka_unit_test(test_down_server),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
