// SPDX-License-Identifier: GPL-2.0-only
/*
 * etcd:// workloads against a real etcd (Debian etcd-server 3.4, one
 * member started here in a mkdtemp directory on free ports of
 * 127.0.0.1): 4 clients write for a second and read back every record
 * intact, reset empties only the workload's prefix, a read back spans
 * pages in id order, a paused member makes a write UNKNOWN at its
 * timeout, a stopped one FAIL or UNKNOWN within it, and `faultline rpo`
 * runs end to end with etcd as the --start service.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/etcd_server.h"
#include "helpers/rpo_cli.h"
#include "helpers/workload_conformance.h"

#define PAYLOAD_LEN FL_WLC_PAYLOAD_LEN

static struct fl_etcd etcd;
static bool have_etcd;
static char skip_why[256];

static bool need_etcd(void)
{
	if (have_etcd)
		return true;
	print_message("skip: %s\n", skip_why);
	return false;
}

static void restart_etcd(void)
{
	char why[512] = "";

	fl_etcd_stop(&etcd);
	if (fl_etcd_start(&etcd, 20000, why, sizeof(why)))
		fail_msg("etcd: %s", why);
}

static void write_ids(struct fl_workload *w, uint64_t from, uint64_t to, size_t len)
{
	unsigned char *p = malloc(len);
	struct fl_wl_conn *c;
	char why[256] = "";
	int err = 0;

	assert_non_null(p);
	if (fl_workload_connect(w, &c, why, sizeof(why)))
		fail_msg("connect: %s", why);
	for (uint64_t id = from; id <= to; id++) {
		fl_payload_make(id, 7, p, len);
		if (fl_workload_write(c, id, p, len, 5000, &err) != FL_OP_OK)
			fail_msg("write %llu: %s", (unsigned long long)id, strerror(-err));
	}
	fl_workload_disconnect(c);
	free(p);
}

static void test_specs(void **state)
{
	static const struct fl_wlc_spec good[] = {
		{ "etcd://127.0.0.1:2379", "etcd://127.0.0.1:2379?key=faultline/rpo/" },
		{ "etcd://127.0.0.1", "etcd://127.0.0.1:2379?key=faultline/rpo/" },
		{ "etcd://localhost:12379/?key=a/&page=10", "etcd://localhost:12379?key=a/" },
		{ "etcd://[::1]:2379", "etcd://[::1]:2379?key=faultline/rpo/" },
		{ NULL, NULL },
	};
	static const char *const bad[] = {
		"etcd://", "etcd://127.0.0.1:0", "etcd://127.0.0.1:2379?page=0",
		"etcd://127.0.0.1:2379?key=", "etcd://127.0.0.1:2379?color=red",
		"etcd://etcd.example:2379", "etcd://u:p@127.0.0.1:2379", NULL,
	};

	(void)state;
	fl_wlc_specs(good, bad, "etcd: ");
}

static void test_round_trip(void **state)
{
	struct fl_workload *w, *other;
	struct fl_wlc_back b = { 0 };
	uint64_t n;

	(void)state;
	if (!need_etcd())
		skip();
	w = fl_wlc_open("%s", etcd.url);
	assert_string_equal(fl_workload_scheme(w), "etcd");
	assert_false(fl_workload_builtin(w));
	assert_null(fl_workload_store_path(w));
	assert_int_equal(fl_workload_ping(w, 1000), 0);

	/* A record under another prefix: reset and read back must leave it alone. */
	other = fl_wlc_open("%s?key=someone-else/", etcd.url);
	write_ids(other, 1, 1, PAYLOAD_LEN);

	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	n = fl_wlc_load(w, "etcd");
	fl_wlc_read_back(w, n, &b);
	assert_int_equal(b.records, n);
	assert_int_equal(b.intact, n);
	assert_int_equal(b.foreign, 0);
	for (uint64_t id = 1; id <= n; id++)
		assert_int_equal(b.seen[id], 1);
	free(b.seen);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	memset(&b, 0, sizeof(b));
	fl_wlc_read_back(w, n, &b);
	assert_int_equal(b.records, 0);
	free(b.seen);

	memset(&b, 0, sizeof(b));
	fl_wlc_read_back(other, 1, &b);
	assert_int_equal(b.intact, 1);
	free(b.seen);
	assert_int_equal(fl_workload_reset(other, NULL, 0), 0);
	fl_workload_close(other);
	fl_workload_close(w);
}

struct order {
	uint64_t last, n;
	bool sorted;
	size_t foreign;
};

static int check_order(void *ctx, uint64_t id, const void *payload, size_t len)
{
	struct order *o = ctx;
	uint64_t got;

	if (!id || fl_payload_check(payload, len, &got) || got != id) {
		o->foreign++;
		return 0;
	}
	if (id <= o->last)
		o->sorted = false;
	o->last = id;
	o->n++;
	return 0;
}

/* 50 records read back 7 at a time: every page after the last key, all of them, in id order. */
static void test_paged_read_back(void **state)
{
	struct fl_workload *w;
	struct order o = { .sorted = true };

	(void)state;
	if (!need_etcd())
		skip();
	w = fl_wlc_open("%s?key=fl-page/&page=7", etcd.url);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	/* Ids of different widths: 9 < 10 < 100 must still sort as numbers. */
	write_ids(w, 1, 40, PAYLOAD_LEN);
	write_ids(w, 95, 104, PAYLOAD_LEN);
	assert_int_equal(fl_workload_read_all(w, check_order, &o, NULL, 0), 0);
	assert_int_equal(o.n, 50);
	assert_int_equal(o.foreign, 0);
	assert_true(o.sorted);
	assert_int_equal(o.last, 104);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
}

/* Records of 1 MiB: a page is sized by what came back, and each comes back whole. */
static void test_largest_payload(void **state)
{
	struct fl_workload *w;
	struct order o = { .sorted = true };

	(void)state;
	if (!need_etcd())
		skip();
	w = fl_wlc_open("%s?key=fl-big/", etcd.url);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	write_ids(w, 1, 6, FL_PAYLOAD_MAX);
	assert_int_equal(fl_workload_read_all(w, check_order, &o, NULL, 0), 0);
	assert_int_equal(o.n, 6);
	assert_int_equal(o.foreign, 0);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
}

/* A key under the prefix that is no record comes back with id 0, as the interface says. */
static void test_foreign_key_under_prefix(void **state)
{
	struct fl_workload *w, *sub;
	struct fl_wlc_back b = { 0 };

	(void)state;
	if (!need_etcd())
		skip();
	w = fl_wlc_open("%s?key=fl-test/", etcd.url);
	sub = fl_wlc_open("%s?key=fl-test/x", etcd.url);  /* its keys are fl-test/x<id> */
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	write_ids(sub, 5, 5, PAYLOAD_LEN);
	fl_wlc_read_back(w, 10, &b);
	assert_int_equal(b.records, 1);
	assert_int_equal(b.foreign, 1);
	free(b.seen);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(sub);
	fl_workload_close(w);
}

/* A paused member (SIGSTOP): the write is UNKNOWN at its 300 ms timeout, ping fails in time. */
static void test_paused_member(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	double t0;

	(void)state;
	if (!need_etcd())
		skip();
	w = fl_wlc_open("%s", etcd.url);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	fl_etcd_signal(&etcd, SIGSTOP);
	fl_wlc_write_times_out(c);
	t0 = fl_wlc_now_s();
	assert_int_equal(fl_workload_ping(w, 300), -ETIMEDOUT);
	assert_true(fl_wlc_now_s() - t0 < 1.0);
	fl_etcd_signal(&etcd, SIGCONT);
	fl_workload_disconnect(c);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
}

/* A stopped member: the write fails at once (nothing was sent), ping and connect too. */
static void test_stopped_member(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c;
	unsigned char p[PAYLOAD_LEN];
	char why[256] = "";
	enum fl_op_outcome o;
	int err = 0;
	double t0;

	(void)state;
	if (!need_etcd())
		skip();
	w = fl_wlc_open("%s", etcd.url);
	assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
	fl_etcd_stop(&etcd);
	fl_payload_make(1, 7, p, sizeof(p));
	t0 = fl_wlc_now_s();
	o = fl_workload_write(c, 1, p, sizeof(p), 300, &err);
	assert_true(fl_wlc_now_s() - t0 < 1.0);
	assert_int_equal(o, FL_OP_FAIL);
	assert_int_equal(err, -ECONNREFUSED);
	fl_workload_disconnect(c);
	assert_int_equal(fl_workload_ping(w, 300), -ECONNREFUSED);
	assert_int_equal(fl_workload_ping_why(w, 300, why, sizeof(why)), -ECONNREFUSED);
	assert_non_null(strstr(why, "etcd: 127.0.0.1:"));
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), -ECONNREFUSED);
	assert_int_not_equal(fl_workload_reset(w, NULL, 0), 0);
	fl_workload_close(w);
	restart_etcd();
}

/* `faultline rpo` with etcd as the --start service, killed and restarted: nothing lost. */
static void test_rpo_kill(void **state)
{
	char why[512] = "";
	struct fl_etcd e;
	json_t *res, *t;
	int code;

	(void)state;
	if (!need_etcd() || !fl_rpo_cli_require())
		skip();
	if (fl_etcd_create(&e, why, sizeof(why)))
		fail_msg("etcd fixture: %s", why);
	code = fl_rpo_cli(e.root, &res, NULL, "-w", e.url, "--start", e.start_cmd, "-d", e.data,
			  "--fault", "kill", "--fault-at", "1s", "--after", "1s", NULL);
	t = fl_rpo_trial(res, 0);
	fl_rpo_assert_no_error(t, "etcd");
	print_message("etcd killed under load: %lld acknowledged, %lld lost\n",
		      (long long)fl_rpo_count(t, "acknowledged"), (long long)fl_rpo_count(t, "lost"));
	assert_int_equal(code, 0);
	assert_true(fl_rpo_count(t, "acknowledged") > 0);
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	json_decref(res);
	fl_etcd_destroy(&e);
}

static int group_setup(void **state)
{
	char why[512] = "";

	(void)state;
	if (!fl_etcd_available(skip_why, sizeof(skip_why)))
		return 0;
	if (fl_etcd_create(&etcd, why, sizeof(why)) ||
	    fl_etcd_start(&etcd, 20000, why, sizeof(why))) {
		print_error("etcd fixture: %s\n", why);
		fl_etcd_destroy(&etcd);
		return -1;
	}
	have_etcd = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fl_etcd_destroy(&etcd);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_paged_read_back),
		cmocka_unit_test(test_largest_payload),
		cmocka_unit_test(test_foreign_key_under_prefix),
		cmocka_unit_test(test_paused_member),
		cmocka_unit_test(test_stopped_member),
		cmocka_unit_test(test_rpo_kill),
	};

	return cmocka_run_group_tests_name("etcd workload", tests, group_setup, group_teardown);
}
