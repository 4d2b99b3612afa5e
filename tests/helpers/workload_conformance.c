// SPDX-License-Identifier: GPL-2.0-only
/* The checks every server-backed workload adapter passes: see workload_conformance.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures.h"
#include "workload_conformance.h"

#define MAX_IDS 2000000

static struct fl_wlc *group;

static int group_setup(void **state)
{
	struct fl_wlc *c = group;
	char why[1024] = "";

	(void)state;
	if (!fl_service_available(c->kind, c->skip_why, sizeof(c->skip_why)))
		return 0;
	if (fl_service_create(&c->svc, c->kind, FL_SVC_SAFEST, why, sizeof(why)) ||
	    fl_service_start(&c->svc, c->start_ms, why, sizeof(why))) {
		print_error("%s fixture: %s\n", fl_service_name(c->kind), why);
		fl_service_destroy(&c->svc);
		return -1;
	}
	c->have_svc = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fl_service_destroy(&group->svc);
	return 0;
}

int fl_wlc_run(const char *name, const struct CMUnitTest *tests, size_t n, struct fl_wlc *c)
{
	group = c;
	return _cmocka_run_group_tests(name, tests, n, group_setup, group_teardown);
}

bool fl_wlc_need(struct fl_wlc *c)
{
	if (c->have_svc)
		return true;
	print_message("skip: %s\n", c->skip_why);
	return false;
}

double fl_wlc_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct fl_workload *fl_wlc_open(const char *fmt, ...)
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

int fl_wlc_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char *argv[] = { "sh", "-c", cmd, NULL };
	return fl_fixture_cmd(argv);
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
	unsigned char p[FL_WLC_PAYLOAD_LEN];
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

uint64_t fl_wlc_load(struct fl_workload *w, const char *label)
{
	struct writer wr[FL_WLC_CLIENTS];
	pthread_t t[FL_WLC_CLIENTS];
	_Atomic uint64_t next = 1;
	_Atomic bool stop = false;
	size_t ok = 0, other = 0;
	double t0 = fl_wlc_now_s(), secs;

	for (int i = 0; i < FL_WLC_CLIENTS; i++) {
		wr[i] = (struct writer){ .w = w, .next = &next, .stop = &stop };
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &wr[i]), 0);
	}
	usleep(FL_WLC_LOAD_MS * 1000);
	atomic_store(&stop, true);
	for (int i = 0; i < FL_WLC_CLIENTS; i++) {
		pthread_join(t[i], NULL);
		ok += wr[i].ok;
		other += wr[i].other;
	}
	secs = fl_wlc_now_s() - t0;
	print_message("%s: %zu writes acknowledged in %.2f s by %d clients: %.0f writes/s\n",
		      label, ok, secs, FL_WLC_CLIENTS, ok / secs);
	assert_int_equal(other, 0);
	assert_true(ok > 0);
	assert_int_equal(ok, atomic_load(&next) - 1);
	return ok;
}

static int on_record(void *ctx, uint64_t id, const void *payload, size_t len)
{
	struct fl_wlc_back *b = ctx;
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

void fl_wlc_read_back(struct fl_workload *w, uint64_t n, struct fl_wlc_back *b)
{
	char why[256] = "";

	b->max = n;
	b->seen = calloc(n + 1, 1);
	assert_non_null(b->seen);
	if (fl_workload_read_all(w, on_record, b, why, sizeof(why)))
		fail_msg("read_all: %s", why);
}

/* --- the checks ------------------------------------------------------------ */

void fl_wlc_round_trip(struct fl_wlc *c, const char *scheme, int ping_ms, const char *label)
{
	struct fl_wlc_back b = { 0 };
	struct fl_workload *w;
	char why[256] = "";
	uint64_t n;

	w = fl_wlc_open("%s", c->svc.url);
	assert_string_equal(fl_workload_scheme(w), scheme);
	assert_false(fl_workload_builtin(w));
	assert_int_equal(fl_workload_ping(w, ping_ms), 0);
	if (fl_workload_reset(w, why, sizeof(why)))
		fail_msg("reset: %s", why);
	n = fl_wlc_load(w, label);
	fl_wlc_read_back(w, n, &b);
	assert_int_equal(b.records, n);
	assert_int_equal(b.intact, n);
	assert_int_equal(b.foreign, 0);
	for (uint64_t id = 1; id <= n; id++)
		assert_int_equal(b.seen[id], 1);
	free(b.seen);

	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	memset(&b, 0, sizeof(b));
	fl_wlc_read_back(w, 1, &b);
	assert_int_equal(b.records, 0);
	free(b.seen);
	fl_workload_close(w);
}

void fl_wlc_write_times_out(struct fl_wl_conn *conn)
{
	unsigned char p[FL_WLC_PAYLOAD_LEN];
	double t0, took;
	int err = 0;

	fl_payload_make(1, 7, p, sizeof(p));
	t0 = fl_wlc_now_s();
	assert_int_equal(fl_workload_write(conn, 1, p, sizeof(p), 300, &err), FL_OP_UNKNOWN);
	took = fl_wlc_now_s() - t0;
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(took >= 0.29 && took < 1.0);
}

/* --- what the SQL servers share: a refused INSERT, a missing table, a lock --- */

void fl_wlc_refused_write(struct fl_wlc *c)
{
	struct fl_workload *w = fl_wlc_open("%s", c->svc.url);
	unsigned char p[FL_WLC_PAYLOAD_LEN];
	struct fl_wl_conn *conn;
	int err = 0;

	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(w, &conn, NULL, 0), 0);
	fl_payload_make(1, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(conn, 1, p, sizeof(p), 2000, &err), FL_OP_OK);
	assert_int_equal(fl_workload_write(conn, 1, p, sizeof(p), 2000, &err), FL_OP_FAIL);
	assert_int_equal(err, -EEXIST);
	fl_payload_make(2, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(conn, 2, p, sizeof(p), 2000, &err), FL_OP_OK);
	fl_workload_disconnect(conn);
	fl_workload_close(w);
}

void fl_wlc_connect_creates_table(struct fl_wlc *c)
{
	struct fl_workload *w = fl_wlc_open("%s", c->svc.url);
	unsigned char p[FL_WLC_PAYLOAD_LEN];
	struct fl_wlc_back b = { 0 };
	struct fl_wl_conn *conn;
	char why[256] = "";

	fl_wlc_read_back(w, 1, &b);   /* no table: nothing survived, not an error */
	assert_int_equal(b.records, 0);
	free(b.seen);
	if (fl_workload_connect(w, &conn, why, sizeof(why)))
		fail_msg("connect: %s", why);
	fl_payload_make(1, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(conn, 1, p, sizeof(p), 2000, NULL), FL_OP_OK);
	fl_workload_disconnect(conn);
	fl_workload_close(w);
}

void fl_wlc_write_behind_lock(struct fl_wlc *c, int (*hold_lock)(struct fl_wlc *c))
{
	struct fl_workload *w = fl_wlc_open("%s", c->svc.url);
	struct fl_wl_conn *conn;

	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(w, &conn, NULL, 0), 0);
	assert_int_equal(hold_lock(c), 0);
	/* Let the other session take the lock before the write comes. */
	usleep(500 * 1000);
	fl_wlc_write_times_out(conn);
	fl_workload_disconnect(conn);
	fl_workload_close(w);
	/* The lock is gone before the next test resets the table. */
	usleep(2000 * 1000);
}

static bool one_of(int err, const int *errs)
{
	for (; *errs; errs++)
		if (err == *errs)
			return true;
	return false;
}

void fl_wlc_down_server(struct fl_wlc *c, const int *errs, const char *why_has,
			void (*on_down)(struct fl_wlc *c, struct fl_workload *w))
{
	struct fl_workload *w, *nowhere;
	struct fl_wl_conn *conn;
	unsigned char p[FL_WLC_PAYLOAD_LEN];
	char why[256] = "", why2[1024] = "";
	double t0;
	int err = 0;

	/* The fixture's port once it is down is surely free: a second fixture is not needed. */
	w = fl_wlc_open("%s", c->svc.url);
	assert_int_equal(fl_workload_connect(w, &conn, NULL, 0), 0);
	assert_int_equal(fl_service_stop(&c->svc), 0);

	fl_payload_make(1, 7, p, sizeof(p));
	t0 = fl_wlc_now_s();
	assert_int_equal(fl_workload_write(conn, 1, p, sizeof(p), 2000, &err), FL_OP_UNKNOWN);
	assert_true(one_of(err, errs));
	assert_true(fl_wlc_now_s() - t0 < 1.0);
	fl_workload_disconnect(conn);
	if (on_down)
		on_down(c, w);

	nowhere = fl_wlc_open("%s", c->svc.url);
	t0 = fl_wlc_now_s();
	assert_int_equal(fl_workload_ping(nowhere, 2000), -ECONNREFUSED);
	assert_int_equal(fl_workload_connect(nowhere, &conn, why, sizeof(why)), -ECONNREFUSED);
	assert_non_null(strstr(why, why_has));
	assert_int_not_equal(fl_workload_reset(nowhere, NULL, 0), 0);
	assert_true(fl_wlc_now_s() - t0 < 0.5);
	fl_workload_close(nowhere);
	fl_workload_close(w);

	/* Back for any test after this one. */
	if (fl_service_start(&c->svc, c->start_ms, why2, sizeof(why2)))
		fail_msg("restart: %s", why2);
}

void fl_wlc_specs(const struct fl_wlc_spec *good, const char *const *bad, const char *why_has)
{
	struct fl_workload *w;
	char why[256];

	for (; good->spec; good++) {
		w = fl_wlc_open("%s", good->spec);
		assert_string_equal(fl_workload_describe(w), good->desc);
		fl_workload_close(w);
	}
	for (int i = 0; bad[i]; i++) {
		why[0] = '\0';
		assert_int_equal(fl_workload_open(bad[i], &w, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, why_has));
	}
}
