// SPDX-License-Identifier: GPL-2.0-only
/*
 * redis:// workloads against a real redis-server (Debian package, started
 * here on 127.0.0.1 and a free port, appendfsync always): 4 clients write
 * for a second and read back every record intact, reset empties only the
 * workload's prefix, an error reply is FAIL, a stalled server is UNKNOWN
 * at the timeout, a dead one is UNKNOWN on an open connection and fails
 * ping and connect at once.
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
	if (!fl_service_available(FL_SVC_REDIS, skip_why, sizeof(skip_why)))
		return 0;
	if (fl_service_create(&svc, FL_SVC_REDIS, FL_SVC_SAFEST, why, sizeof(why)) ||
	    fl_service_start(&svc, 10000, why, sizeof(why))) {
		print_error("redis fixture: %s\n", why);
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

static bool need_redis(void)
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
	struct fl_workload *w, *other;
	struct back b = { 0 };
	char why[256] = "";
	uint64_t n;
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c;

	(void)state;
	if (!need_redis())
		skip();
	w = open_spec("%s", svc.url);
	assert_string_equal(fl_workload_scheme(w), "redis");
	assert_false(fl_workload_builtin(w));
	assert_null(fl_workload_store_path(w));
	assert_int_equal(fl_workload_ping(w, 1000), 0);

	/* A record under another prefix: reset and read-back must leave it alone. */
	other = open_spec("%s?key=someone-else:", svc.url);
	assert_int_equal(fl_workload_connect(other, &c, why, sizeof(why)), 0);
	fl_payload_make(1, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 2000, NULL), FL_OP_OK);
	fl_workload_disconnect(c);

	if (fl_workload_reset(w, why, sizeof(why)))
		fail_msg("reset: %s", why);
	n = load(w, "redis appendfsync=always");
	read_back(w, n, &b);
	assert_int_equal(b.records, n);
	assert_int_equal(b.intact, n);
	assert_int_equal(b.foreign, 0);
	for (uint64_t id = 1; id <= n; id++)
		assert_int_equal(b.seen[id], 1);
	free(b.seen);

	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	memset(&b, 0, sizeof(b));
	read_back(w, 1, &b);
	assert_int_equal(b.records, 0);
	free(b.seen);

	memset(&b, 0, sizeof(b));
	read_back(other, 1, &b);
	assert_int_equal(b.intact, 1);
	free(b.seen);
	assert_int_equal(fl_workload_reset(other, NULL, 0), 0);
	fl_workload_close(other);
	fl_workload_close(w);
}

/* A key under the prefix that is no record comes back with id 0, as the interface says. */
static void test_foreign_key_under_prefix(void **state)
{
	struct fl_workload *w, *sub;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	struct back b = { 0 };

	(void)state;
	if (!need_redis())
		skip();
	w = open_spec("%s?key=fl-test:", svc.url);
	sub = open_spec("%s?key=fl-test:x", svc.url);  /* its keys are fl-test:x<id> */
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(sub, &c, NULL, 0), 0);
	fl_payload_make(5, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 5, p, sizeof(p), 2000, NULL), FL_OP_OK);
	fl_workload_disconnect(c);
	read_back(w, 10, &b);
	assert_int_equal(b.records, 1);
	assert_int_equal(b.foreign, 1);
	free(b.seen);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(sub);
	fl_workload_close(w);
}

/* The largest payload goes through the non-blocking socket in pieces, and comes back whole. */
static void test_largest_payload(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	unsigned char *p = malloc(FL_PAYLOAD_MAX);
	struct back b = { 0 };
	int err = 0;

	(void)state;
	if (!need_redis())
		skip();
	assert_non_null(p);
	w = open_spec("%s", svc.url);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	for (uint64_t id = 1; id <= 3; id++) {
		fl_payload_make(id, 7, p, FL_PAYLOAD_MAX);
		assert_int_equal(fl_workload_write(c, id, p, FL_PAYLOAD_MAX, 5000, &err), FL_OP_OK);
	}
	fl_workload_disconnect(c);
	read_back(w, 3, &b);
	assert_int_equal(b.intact, 3);
	free(b.seen);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
	free(p);
}

static int redis_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int redis_cli(const char *fmt, ...)
{
	char cmd[512];
	int n;
	va_list ap;

	n = snprintf(cmd, sizeof(cmd), "redis-cli -h 127.0.0.1 -p %d ", svc.port);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	char *argv[] = { "sh", "-c", cmd, NULL };
	return fl_fixture_cmd(argv);
}

/* An error reply (OOM under maxmemory) refuses the write before it runs: FAIL. */
static void test_error_reply_is_fail(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	int err = 0;

	(void)state;
	if (!need_redis())
		skip();
	if (access("/usr/bin/redis-cli", X_OK)) {
		print_message("skip: needs redis-cli (Debian package redis-tools)\n");
		skip();
	}
	w = open_spec("%s", svc.url);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	assert_int_equal(redis_cli("config set maxmemory 1"), 0);
	fl_payload_make(1, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 2000, &err), FL_OP_FAIL);
	assert_int_equal(err, -ENOMEM);
	assert_int_equal(redis_cli("config set maxmemory 0"), 0);
	assert_int_equal(fl_workload_write(c, 2, p, sizeof(p), 2000, &err), FL_OP_OK);
	fl_workload_disconnect(c);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
}

/* A server that stops answering: UNKNOWN at the write's timeout, not a thread stuck. */
static void test_stalled_server_is_unknown(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	double t0, took;
	int err = 0;

	(void)state;
	if (!need_redis())
		skip();
	w = open_spec("%s", svc.url);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	fl_payload_make(1, 7, p, sizeof(p));
	assert_int_equal(kill(-svc.pid, SIGSTOP), 0);
	t0 = now_s();
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 300, &err), FL_OP_UNKNOWN);
	took = now_s() - t0;
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(took >= 0.29 && took < 1.0);
	/* Ping gives up within its own timeout as well. */
	t0 = now_s();
	assert_int_not_equal(fl_workload_ping(w, 200), 0);
	assert_true(now_s() - t0 < 1.0);
	assert_int_equal(kill(-svc.pid, SIGCONT), 0);
	fl_workload_disconnect(c);
	assert_int_equal(fl_workload_ping(w, 2000), 0);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
}

/* Nothing listens: ping and connect fail at once; an open connection to a killed server: UNKNOWN. */
static void test_down_server(void **state)
{
	struct fl_workload *w, *nowhere;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	char why[256] = "", why2[1024] = "";
	unsigned char *big;
	double t0;
	int err = 0;

	(void)state;
	if (!need_redis())
		skip();
	/* The fixture's port once it is down is surely free: a second fixture is not needed. */
	w = open_spec("%s", svc.url);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	assert_int_equal(fl_service_stop(&svc), 0);

	fl_payload_make(1, 7, p, sizeof(p));
	t0 = now_s();
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 2000, &err), FL_OP_UNKNOWN);
	assert_true(err == -ECONNRESET || err == -EPIPE);
	assert_true(now_s() - t0 < 1.0);
	fl_workload_disconnect(c);

	/*
	 * A large write into a connection the server has reset meets EPIPE
	 * part way: an outcome, not a SIGPIPE that kills the controller.
	 */
	signal(SIGPIPE, SIG_DFL);
	big = malloc(FL_PAYLOAD_MAX);
	assert_non_null(big);
	fl_payload_make(2, 7, big, FL_PAYLOAD_MAX);
	assert_int_equal(fl_service_start(&svc, 10000, why2, sizeof(why2)), 0);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	assert_int_equal(fl_service_stop(&svc), 0);
	for (int i = 0; i < 3; i++)
		assert_int_not_equal(fl_workload_write(c, 2, big, FL_PAYLOAD_MAX, 2000, &err),
				     FL_OP_OK);
	fl_workload_disconnect(c);
	free(big);

	nowhere = open_spec("%s", svc.url);
	t0 = now_s();
	assert_int_equal(fl_workload_ping(nowhere, 2000), -ECONNREFUSED);
	assert_int_equal(fl_workload_connect(nowhere, &c, why, sizeof(why)), -ECONNREFUSED);
	assert_non_null(strstr(why, "redis: 127.0.0.1:"));
	assert_int_not_equal(fl_workload_reset(nowhere, NULL, 0), 0);
	assert_true(now_s() - t0 < 0.5);
	fl_workload_close(nowhere);
	fl_workload_close(w);

	/* Back for any test after this one; the AOF brings nothing of ours back. */
	if (fl_service_start(&svc, 10000, why2, sizeof(why2)))
		fail_msg("restart: %s", why2);
}

static void test_spec_parsing(void **state)
{
	static const char *const bad[] = {
		"redis://", "redis://host:0", "redis://host:99999", "redis://host:x",
		"redis://host/db", "redis://host?key=", "redis://host?frob=1",
		"redis://user@host", "redis://user@host:7000", "redis://[::1", NULL,
	};
	struct fl_workload *w;
	char why[256];

	(void)state;
	w = open_spec("redis://:s3cret@127.0.0.1:7000/3");
	assert_string_equal(fl_workload_describe(w), "redis://:***@127.0.0.1:7000/3?key=faultline:rpo:");
	fl_workload_close(w);
	w = open_spec("redis://localhost?password=hunter2&key=x:");
	assert_null(strstr(fl_workload_describe(w), "hunter2"));
	assert_string_equal(fl_workload_describe(w), "redis://:***@localhost:6379?key=x:");
	fl_workload_close(w);
	w = open_spec("redis://app:pw@[::1]:6380");
	assert_string_equal(fl_workload_describe(w), "redis://app:***@[::1]:6380?key=faultline:rpo:");
	fl_workload_close(w);
	for (int i = 0; bad[i]; i++) {
		why[0] = '\0';
		assert_int_equal(fl_workload_open(bad[i], &w, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, "redis: "));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parsing),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_foreign_key_under_prefix),
		cmocka_unit_test(test_largest_payload),
		cmocka_unit_test(test_error_reply_is_fail),
		cmocka_unit_test(test_stalled_server_is_unknown),
		cmocka_unit_test(test_down_server),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
