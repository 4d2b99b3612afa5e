/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every workload adapter for a real server must do, written once:
 * the redis, postgres and mysql tests (tests/integration/workload/) call
 * these with their adapter's bits (the fixture kind, what its errors say,
 * how to lock or drop its table) and keep only what is their own (redis's
 * key prefix and error replies, the SQL clients' commands).
 *
 *   static struct fl_wlc c = { .kind = FL_SVC_REDIS, .start_ms = 10000 };
 *   each test:      if (!fl_wlc_need(&c)) skip();
 *   main:           return fl_wlc_run("redis workload", tests, n, &c);
 *
 * Every check here is a cmocka assertion: a failing one fails the calling test.
 */
#ifndef FL_TEST_WORKLOAD_CONFORMANCE_H
#define FL_TEST_WORKLOAD_CONFORMANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/workload.h>
#include "services.h"

#define FL_WLC_CLIENTS     4
#define FL_WLC_LOAD_MS     1000
#define FL_WLC_PAYLOAD_LEN 128

struct fl_wlc {
	enum fl_svc_kind kind;
	int start_ms;                /* how long the server may take to answer */
	struct fl_service svc;
	bool have_svc;
	char skip_why[512];
};

struct CMUnitTest;
/*
 * Run the group: the server is started first if this host has it (else
 * have_svc stays false and the tests skip), destroyed after. A server
 * that fails to start fails the group.
 */
int fl_wlc_run(const char *name, const struct CMUnitTest *tests, size_t n, struct fl_wlc *c);
/* true with a server; false after printing why the test skips. */
bool fl_wlc_need(struct fl_wlc *c);

double fl_wlc_now_s(void);
/* fl_workload_open of a printf-made spec; fails the test with the reason. */
struct fl_workload *fl_wlc_open(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* sh -c of a printf-made command line: its exit status (fl_fixture_cmd). */
int fl_wlc_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* FL_WLC_CLIENTS threads write for FL_WLC_LOAD_MS; every write acknowledged; ids 1..n. */
uint64_t fl_wlc_load(struct fl_workload *w, const char *label);

/* What read_all gave back, for ids 1..max. seen[] is malloc'd: free it. */
struct fl_wlc_back {
	uint8_t *seen;
	uint64_t max;
	size_t records, intact, foreign;
};
void fl_wlc_read_back(struct fl_workload *w, uint64_t n, struct fl_wlc_back *b);

/*
 * The spec at the fixture's url: the scheme, not built-in, ping answers
 * within ping_ms; reset, load (label), every record back intact exactly
 * once and nothing foreign; reset again, and nothing comes back.
 */
void fl_wlc_round_trip(struct fl_wlc *c, const char *scheme, int ping_ms, const char *label);

/* A write on c that the server does not answer: UNKNOWN, -ETIMEDOUT, at its 300 ms timeout. */
void fl_wlc_write_times_out(struct fl_wl_conn *conn);

/*
 * An INSERT the server refuses (the id is taken) and rolls back: FAIL with
 * -EEXIST, and the connection goes on to write the next id.
 */
void fl_wlc_refused_write(struct fl_wlc *c);
/*
 * The store's table is gone (the caller dropped it: a store never reset,
 * or one lost): read back is empty, not an error, and the first
 * connection creates the table again.
 */
void fl_wlc_connect_creates_table(struct fl_wlc *c);
/*
 * A write stuck behind a table lock is UNKNOWN at its timeout (it may
 * still commit later). hold_lock starts another session, in the
 * background, that holds the store's table for 2 s; 0 when it started.
 */
void fl_wlc_write_behind_lock(struct fl_wlc *c, int (*hold_lock)(struct fl_wlc *c));

/*
 * The server goes down under an open connection: the write is UNKNOWN at
 * once with one of errs (0-terminated); on_down (may be NULL) runs next,
 * with the server still down. Then a fresh workload: ping and connect are
 * -ECONNREFUSED at once, connect's reason holds why_has, reset fails. The
 * server is started again for the tests after.
 */
void fl_wlc_down_server(struct fl_wlc *c, const int *errs, const char *why_has,
			void (*on_down)(struct fl_wlc *c, struct fl_workload *w));

/* Specs: each good one opens and describes itself as desc; each bad one is -EINVAL with why_has. */
struct fl_wlc_spec {
	const char *spec, *desc;
};
void fl_wlc_specs(const struct fl_wlc_spec *good, const char *const *bad, const char *why_has);

#endif
