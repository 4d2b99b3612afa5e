// SPDX-License-Identifier: GPL-2.0-only
/*
 * redis:// workloads against a real redis-server (Debian package, started
 * here on 127.0.0.1 and a free port, appendfsync always): 4 clients write
 * for a second and read back every record intact, reset empties only the
 * workload's prefix, an error reply is FAIL, a stalled server is UNKNOWN
 * at the timeout, a dead one is UNKNOWN on an open connection and fails
 * ping and connect at once. What postgres:// shares with it is in
 * tests/helpers/workload_conformance.c.
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
#include "helpers/workload_conformance.h"

#define PAYLOAD_LEN FL_WLC_PAYLOAD_LEN

static struct fl_wlc wlc = { .kind = FL_SVC_REDIS, .start_ms = 10000 };
static struct fl_service *const svc = &wlc.svc;

static void test_round_trip(void **state)
{
	struct fl_workload *w, *other;
	struct fl_wlc_back b = { 0 };
	char why[256] = "";
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c;

	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	w = fl_wlc_open("%s", svc->url);
	assert_null(fl_workload_store_path(w));
	fl_workload_close(w);

	/* A record under another prefix: reset and read-back must leave it alone. */
	other = fl_wlc_open("%s?key=someone-else:", svc->url);
	assert_int_equal(fl_workload_connect(other, &c, why, sizeof(why)), 0);
	fl_payload_make(1, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 1, p, sizeof(p), 2000, NULL), FL_OP_OK);
	fl_workload_disconnect(c);

	fl_wlc_round_trip(&wlc, "redis", 1000, "redis appendfsync=always");

	fl_wlc_read_back(other, 1, &b);
	assert_int_equal(b.intact, 1);
	free(b.seen);
	assert_int_equal(fl_workload_reset(other, NULL, 0), 0);
	fl_workload_close(other);
}

/* A key under the prefix that is no record comes back with id 0, as the interface says. */
static void test_foreign_key_under_prefix(void **state)
{
	struct fl_workload *w, *sub;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	struct fl_wlc_back b = { 0 };

	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	w = fl_wlc_open("%s?key=fl-test:", svc->url);
	sub = fl_wlc_open("%s?key=fl-test:x", svc->url);  /* its keys are fl-test:x<id> */
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(sub, &c, NULL, 0), 0);
	fl_payload_make(5, 7, p, sizeof(p));
	assert_int_equal(fl_workload_write(c, 5, p, sizeof(p), 2000, NULL), FL_OP_OK);
	fl_workload_disconnect(c);
	fl_wlc_read_back(w, 10, &b);
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
	struct fl_wlc_back b = { 0 };
	int err = 0;

	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	assert_non_null(p);
	w = fl_wlc_open("%s", svc->url);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	for (uint64_t id = 1; id <= 3; id++) {
		fl_payload_make(id, 7, p, FL_PAYLOAD_MAX);
		assert_int_equal(fl_workload_write(c, id, p, FL_PAYLOAD_MAX, 5000, &err), FL_OP_OK);
	}
	fl_workload_disconnect(c);
	fl_wlc_read_back(w, 3, &b);
	assert_int_equal(b.intact, 3);
	free(b.seen);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
	free(p);
}

#define redis_cli(args) fl_wlc_sh("redis-cli -h 127.0.0.1 -p %d %s", svc->port, args)

/* An error reply (OOM under maxmemory) refuses the write before it runs: FAIL. */
static void test_error_reply_is_fail(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	int err = 0;

	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	if (access("/usr/bin/redis-cli", X_OK)) {
		print_message("skip: needs redis-cli (Debian package redis-tools)\n");
		skip();
	}
	w = fl_wlc_open("%s", svc->url);
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
	double t0;

	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	w = fl_wlc_open("%s", svc->url);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	assert_int_equal(kill(-svc->pid, SIGSTOP), 0);
	fl_wlc_write_times_out(c);
	/* Ping gives up within its own timeout as well. */
	t0 = fl_wlc_now_s();
	assert_int_not_equal(fl_workload_ping(w, 200), 0);
	assert_true(fl_wlc_now_s() - t0 < 1.0);
	assert_int_equal(kill(-svc->pid, SIGCONT), 0);
	fl_workload_disconnect(c);
	assert_int_equal(fl_workload_ping(w, 2000), 0);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
}

/*
 * A large write into a connection the server has reset meets EPIPE part
 * way: an outcome, not a SIGPIPE that kills the controller.
 */
static void big_write_into_reset(struct fl_wlc *wc, struct fl_workload *w)
{
	struct fl_wl_conn *c;
	char why2[1024] = "";
	unsigned char *big;
	int err = 0;

	signal(SIGPIPE, SIG_DFL);
	big = malloc(FL_PAYLOAD_MAX);
	assert_non_null(big);
	fl_payload_make(2, 7, big, FL_PAYLOAD_MAX);
	assert_int_equal(fl_service_start(&wc->svc, wc->start_ms, why2, sizeof(why2)), 0);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	assert_int_equal(fl_service_stop(&wc->svc), 0);
	for (int i = 0; i < 3; i++)
		assert_int_not_equal(fl_workload_write(c, 2, big, FL_PAYLOAD_MAX, 2000, &err),
				     FL_OP_OK);
	fl_workload_disconnect(c);
	free(big);
}

/*
 * Nothing listens: ping and connect fail at once; an open connection to a
 * killed server: UNKNOWN. Back after, and the AOF brings nothing of ours back.
 */
static void test_down_server(void **state)
{
	static const int errs[] = { -ECONNRESET, -EPIPE, 0 };

	(void)state;
	if (!fl_wlc_need(&wlc))
		skip();
	fl_wlc_down_server(&wlc, errs, "redis: 127.0.0.1:", big_write_into_reset);
}

static void test_spec_parsing(void **state)
{
	static const struct fl_wlc_spec good[] = {
		{ "redis://:s3cret@127.0.0.1:7000/3", "redis://:***@127.0.0.1:7000/3?key=faultline:rpo:" },
		{ "redis://localhost?password=hunter2&key=x:", "redis://:***@localhost:6379?key=x:" },
		{ "redis://app:pw@[::1]:6380", "redis://app:***@[::1]:6380?key=faultline:rpo:" },
		{ NULL, NULL },
	};
	static const char *const bad[] = {
		"redis://", "redis://host:0", "redis://host:99999", "redis://host:x",
		"redis://host/db", "redis://host?key=", "redis://host?frob=1",
		"redis://user@host", "redis://user@host:7000", "redis://[::1", NULL,
	};
	struct fl_workload *w;

	(void)state;
	fl_wlc_specs(good, bad, "redis: ");
	w = fl_wlc_open("redis://localhost?password=hunter2&key=x:");
	assert_null(strstr(fl_workload_describe(w), "hunter2"));
	fl_workload_close(w);
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

	return fl_wlc_run("redis workload", tests, sizeof(tests) / sizeof(tests[0]), &wlc);
}
