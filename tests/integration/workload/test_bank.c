// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bank (<faultline/bank.h>) against real servers: an etcd
 * (tests/helpers/etcd_server.c), a redis-server and a PostgreSQL
 * (tests/helpers/services.c), each started here on 127.0.0.1. Each:
 * reset, read, a transfer, one beyond the balance that fails and changes
 * nothing, bad accounts; then the bank load for 1.5 s (4 clients, 5
 * accounts), whose history the bank checker must find clean on a healthy
 * single server, whose total a final read still finds, and in which one
 * read edited in a copy is flagged (the wiring to the checker works).
 * Then etcd paused under the load: info ops, new processes, still clean.
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

#include <faultline/bank.h>
#include <faultline/history.h>
#include <faultline/workload.h>
#include "core/clock.h"
#include "helpers/etcd_server.h"
#include "helpers/services.h"

enum { ETCD, REDIS, POSTGRES, N_SERVERS };

struct server {
	const char *name;
	bool up;
	char why[512];
	const char *url;             /* the workload spec: etcd.url or svc.url */
	struct fl_etcd etcd;
	struct fl_service svc;
};

static struct server servers[N_SERVERS] = {
	[ETCD] = { .name = "etcd" },
	[REDIS] = { .name = "redis" },
	[POSTGRES] = { .name = "postgres" },
};

static struct fl_workload *open_spec(const char *spec)
{
	struct fl_workload *w = NULL;
	char why[256] = "";

	if (fl_workload_open(spec, &w, why, sizeof(why)))
		fail_msg("%s: %s", spec, why);
	return w;
}

static struct server *need(int i)
{
	if (servers[i].up)
		return &servers[i];
	print_message("skip: %s: %s\n", servers[i].name, servers[i].why);
	return NULL;
}

static void expect_balances(struct fl_wl_conn *c, const int64_t *want, size_t n, size_t found)
{
	int64_t got[8];
	size_t f = 0;
	int err = 0;

	assert_true(n <= 8);
	memset(got, 0x55, sizeof(got));
	assert_int_equal(fl_bank_read(c, got, n, &f, 2000, &err), FL_OP_OK);
	assert_int_equal(f, found);
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("account %zu: %lld, expected %lld", i, (long long)got[i],
				 (long long)want[i]);
}

static void semantics(int i)
{
	struct server *s = need(i);
	struct fl_workload *w;
	struct fl_wl_conn *c;
	char why[256] = "";
	int err = 0;

	if (!s)
		skip();
	w = open_spec(s->url);
	assert_true(fl_bank_supported(w));
	assert_int_equal(fl_bank_reset(w, 1, 10, NULL, 0), -EINVAL);
	assert_int_equal(fl_bank_reset(w, 2, INT64_MAX, NULL, 0), -EINVAL);
	if (fl_bank_reset(w, 4, 10, why, sizeof(why)))
		fail_msg("reset: %s", why);
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	expect_balances(c, (int64_t[]){ 10, 10, 10, 10 }, 4, 4);
	assert_int_equal(fl_bank_transfer(c, 0, 1, 5, 2000, &err), FL_OP_OK);
	expect_balances(c, (int64_t[]){ 5, 15, 10, 10 }, 4, 4);
	/* Beyond the balance: refused, nothing moved, and the connection still serves. */
	assert_int_equal(fl_bank_transfer(c, 0, 1, 6, 2000, &err), FL_OP_FAIL);
	assert_int_equal(err, -EDQUOT);
	expect_balances(c, (int64_t[]){ 5, 15, 10, 10 }, 4, 4);
	/* Exactly the balance: allowed, down to 0. */
	assert_int_equal(fl_bank_transfer(c, 0, 3, 5, 2000, &err), FL_OP_OK);
	expect_balances(c, (int64_t[]){ 0, 15, 10, 15 }, 4, 4);
	/* An account that does not exist, either side: refused, nothing moved. */
	assert_int_equal(fl_bank_transfer(c, 1, 7, 1, 2000, &err), FL_OP_FAIL);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(fl_bank_transfer(c, 7, 1, 1, 2000, &err), FL_OP_FAIL);
	assert_int_equal(err, -ENOENT);
	expect_balances(c, (int64_t[]){ 0, 15, 10, 15 }, 4, 4);
	/* Refused before the server: the same account, a zero amount. */
	assert_int_equal(fl_bank_transfer(c, 2, 2, 1, 2000, &err), FL_OP_FAIL);
	assert_int_equal(err, -EINVAL);
	assert_int_equal(fl_bank_transfer(c, 2, 1, 0, 2000, &err), FL_OP_FAIL);
	assert_int_equal(err, -EINVAL);
	/* Fewer asked than there are: only those; more: the missing read 0. */
	expect_balances(c, (int64_t[]){ 0, 15 }, 2, 2);
	expect_balances(c, (int64_t[]){ 0, 15, 10, 15, 0, 0 }, 6, 4);
	fl_workload_disconnect(c);
	/* A reset to fewer accounts leaves none of the old ones. */
	assert_int_equal(fl_bank_reset(w, 3, 7, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	expect_balances(c, (int64_t[]){ 7, 7, 7, 0 }, 4, 3);
	fl_workload_disconnect(c);
	fl_workload_close(w);
}

/* A copy of h with op `at` replaced by *op. */
static struct fl_history *copy_with(const struct fl_history *h, size_t at, const struct fl_hop *op)
{
	struct fl_history *c = NULL;

	assert_int_equal(fl_history_new(&c), 0);
	for (size_t j = 0; j < fl_history_len(h); j++)
		assert_int_equal(fl_history_add(c, j == at ? op : fl_history_op(h, j)), 0);
	return c;
}

/* One ok read's balance edited (total off by one), then two (total kept, one negative). */
static void broken_copies(const struct fl_history *h, const struct fl_bank_model *m)
{
	const struct fl_hop *orig = NULL;
	struct fl_hop op;
	struct fl_history *bad;
	struct fl_hist_check chk;
	int64_t bal[FL_BANK_MAX_ACCOUNTS];
	size_t at = 0;

	for (size_t j = fl_history_len(h); j-- > 0 && !orig;)
		if (fl_history_op(h, j)->f == FL_HOP_BANK_READ &&
		    fl_history_op(h, j)->type == FL_HOP_OK) {
			orig = fl_history_op(h, j);
			at = j;
		}
	assert_non_null(orig);
	op = *orig;
	memcpy(bal, orig->balances, orig->n_balances * sizeof(*bal));
	op.balances = bal;
	bal[0] += 1;
	bad = copy_with(h, at, &op);
	assert_int_equal(fl_history_check(bad, m, &chk), 0);
	assert_false(chk.valid);
	assert_int_equal(chk.n_anomalies, 1);
	assert_int_equal(chk.counts[FL_ANOM_BANK_TOTAL], 1);
	assert_int_equal(chk.anomalies[0].kind, FL_ANOM_BANK_TOTAL);
	assert_int_equal(chk.anomalies[0].op, at);
	assert_int_equal(chk.anomalies[0].diff, 1);
	assert_int_equal(chk.anomalies[0].expected, m->total);
	fl_hist_check_free(&chk);
	fl_history_free(bad);

	/* Money conserved, but account 1 overdrawn by what account 0 gained. */
	bal[0] = orig->balances[0] + orig->balances[1] + 1;
	bal[1] = -1;
	bad = copy_with(h, at, &op);
	assert_int_equal(fl_history_check(bad, m, &chk), 0);
	assert_false(chk.valid);
	assert_int_equal(chk.n_anomalies, 1);
	assert_int_equal(chk.counts[FL_ANOM_BANK_NEGATIVE], 1);
	assert_int_equal(chk.anomalies[0].key, 1);
	assert_int_equal(chk.anomalies[0].value, -1);
	fl_hist_check_free(&chk);
	fl_history_free(bad);
}

/* The final read: every account there, the total unchanged. */
static void final_total(const char *url, const struct fl_bank_model *m)
{
	struct fl_workload *w = open_spec(url);
	struct fl_wl_conn *c;
	int64_t bal[FL_BANK_MAX_ACCOUNTS], sum = 0;
	size_t found = 0;
	char why[256] = "";
	int err = 0;

	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	assert_int_equal(fl_bank_read(c, bal, m->accounts, &found, 5000, &err), FL_OP_OK);
	assert_int_equal(found, m->accounts);
	for (size_t j = 0; j < m->accounts; j++) {
		assert_true(bal[j] >= 0);
		sum += bal[j];
	}
	assert_int_equal(sum, m->total);
	fl_workload_disconnect(c);
	fl_workload_close(w);
}

static void export_edn(const struct fl_history *h)
{
	char *edn = NULL;
	size_t edn_len = 0;
	FILE *f = open_memstream(&edn, &edn_len);

	assert_non_null(f);
	assert_int_equal(fl_history_write_edn(h, f), 0);
	fclose(f);
	assert_true(edn_len > 0);
	assert_non_null(strstr(edn, ":f :transfer"));
	free(edn);
}

static void load(int i)
{
	/* Small balances against amounts up to 10: some transfers are refused. */
	struct fl_bank_load_cfg cfg = {
		.clients = 4, .accounts = 5, .balance = 20, .max_amount = 10, .rate = 400,
		.seed = 7, .timeout_ms = 1000,
	};
	struct server *s = need(i);
	struct fl_bank_load *l;
	struct fl_workload *w;
	struct fl_history *h = NULL;
	struct fl_bank_model m = { 0 };
	struct fl_hist_check chk;
	size_t n[5][3] = { { 0 } };
	char why[256] = "";

	if (!s)
		skip();
	w = open_spec(s->url);
	if (fl_bank_load_start(w, &cfg, &l, why, sizeof(why)))
		fail_msg("start: %s", why);
	usleep(1500 * 1000);
	assert_int_equal(fl_bank_load_stop(l, &h, &m), 0);
	fl_workload_close(w);
	assert_true(m.enabled);
	assert_int_equal(m.total, 100);
	assert_int_equal(m.accounts, 5);
	assert_false(m.negative_allowed);
	for (size_t j = 0; j < fl_history_len(h); j++) {
		const struct fl_hop *op = fl_history_op(h, j);

		assert_true(op->f == FL_HOP_TRANSFER || op->f == FL_HOP_BANK_READ);
		n[op->f][op->type]++;
		assert_true(op->invoke_ns <= op->complete_ns);
		if (op->f == FL_HOP_TRANSFER) {
			assert_true(op->key != op->key2 && op->key < 5 && op->key2 < 5);
			assert_true(op->value >= 1 && op->value <= 10);
		} else if (op->type == FL_HOP_OK) {
			assert_int_equal(op->n_balances, 5);
		}
	}
	print_message("%s: %zu ops in 1.5 s: transfers %zu ok %zu fail %zu info, "
		      "reads %zu ok %zu fail %zu info\n", s->name, fl_history_len(h),
		      n[FL_HOP_TRANSFER][0], n[FL_HOP_TRANSFER][1], n[FL_HOP_TRANSFER][2],
		      n[FL_HOP_BANK_READ][0], n[FL_HOP_BANK_READ][1], n[FL_HOP_BANK_READ][2]);
	/* 400 ops/s for 1.5 s: most of the 600 happen even on a slow fsync. */
	assert_true(fl_history_len(h) > 200);
	assert_true(n[FL_HOP_TRANSFER][FL_HOP_OK] > 0);
	assert_true(n[FL_HOP_BANK_READ][FL_HOP_OK] > 0);
	assert_int_equal(n[FL_HOP_TRANSFER][FL_HOP_INFO] + n[FL_HOP_BANK_READ][FL_HOP_INFO], 0);
	assert_int_equal(fl_history_check(h, &m, &chk), 0);
	if (!chk.valid)
		fail_msg("%s: %zu anomalies, the first a %s (value %lld, expected %lld)", s->name,
			 chk.n_anomalies, fl_anomaly_kind_name(chk.anomalies[0].kind),
			 (long long)chk.anomalies[0].value, (long long)chk.anomalies[0].expected);
	assert_int_equal(chk.bank_reads_checked, n[FL_HOP_BANK_READ][FL_HOP_OK]);
	assert_true(chk.bank_reads_checked > 0);
	fl_hist_check_free(&chk);
	final_total(s->url, &m);
	broken_copies(h, &m);
	export_edn(h);
	fl_history_free(h);
}

static void test_etcd_semantics(void **state) { (void)state; semantics(ETCD); }
static void test_redis_semantics(void **state) { (void)state; semantics(REDIS); }
static void test_postgres_semantics(void **state) { (void)state; semantics(POSTGRES); }
static void test_etcd_load(void **state) { (void)state; load(ETCD); }
static void test_redis_load(void **state) { (void)state; load(REDIS); }
static void test_postgres_load(void **state) { (void)state; load(POSTGRES); }

static struct fl_workload *to_real(void *ctx)
{
	return ctx;
}

/* The clients connect to what the target callback names, not to the workload given. */
static void test_retarget(void **state)
{
	struct server *s = need(REDIS);
	struct fl_workload *dead, *real;
	struct fl_bank_load_cfg cfg = { .clients = 2, .accounts = 3, .balance = 10, .rate = 100,
					.seed = 3, .no_reset = true, .target = to_real };
	struct fl_bank_load *l;
	struct fl_history *h = NULL;
	struct fl_bank_model m;
	struct fl_hist_check chk;
	char why[256] = "";

	(void)state;
	if (!s)
		skip();
	/* Nothing listens on port 1: without the callback no client would get anywhere. */
	dead = open_spec("redis://127.0.0.1:1");
	real = open_spec(s->url);
	assert_int_equal(fl_bank_reset(real, 3, 10, NULL, 0), 0);
	cfg.target_ctx = real;
	if (fl_bank_load_start(dead, &cfg, &l, why, sizeof(why)))
		fail_msg("start: %s", why);
	usleep(500 * 1000);
	assert_int_equal(fl_bank_load_stop(l, &h, &m), 0);
	assert_true(fl_history_len(h) > 10);
	for (size_t j = 0; j < fl_history_len(h); j++)
		assert_int_equal(fl_history_op(h, j)->type == FL_HOP_INFO, 0);
	assert_int_equal(m.total, 30);
	assert_int_equal(fl_history_check(h, &m, &chk), 0);
	assert_true(chk.valid);
	assert_true(chk.bank_reads_checked > 0);
	fl_hist_check_free(&chk);
	fl_history_free(h);
	fl_workload_close(real);
	fl_workload_close(dead);
}

/*
 * etcd paused for 500 ms under the load: operations time out (info), each
 * such client goes on as a new process, so that the history still exports
 * (every process sequential); it still checks clean and the total holds,
 * whatever the info transfers did.
 */
static void test_etcd_paused_under_load(void **state)
{
	struct fl_bank_load_cfg cfg = {
		.clients = 4, .accounts = 5, .balance = 20, .max_amount = 10, .rate = 200,
		.seed = 11, .timeout_ms = 200,
	};
	struct server *s = need(ETCD);
	struct fl_bank_load *l;
	struct fl_workload *w;
	struct fl_history *h = NULL;
	struct fl_bank_model m;
	struct fl_hist_check chk;
	size_t info = 0, after = 0, reads_after = 0;
	uint32_t max_process = 0;
	char why[256] = "";
	uint64_t resumed;

	(void)state;
	if (!s)
		skip();
	w = open_spec(s->url);
	if (fl_bank_load_start(w, &cfg, &l, why, sizeof(why)))
		fail_msg("start: %s", why);
	usleep(400 * 1000);
	fl_etcd_signal(&s->etcd, SIGSTOP);
	usleep(500 * 1000);
	fl_etcd_signal(&s->etcd, SIGCONT);
	resumed = fl_now_ns();
	usleep(600 * 1000);
	assert_int_equal(fl_bank_load_stop(l, &h, &m), 0);
	fl_workload_close(w);
	for (size_t j = 0; j < fl_history_len(h); j++) {
		const struct fl_hop *op = fl_history_op(h, j);

		info += op->type == FL_HOP_INFO;
		after += op->type == FL_HOP_OK && op->invoke_ns > resumed;
		reads_after += op->type == FL_HOP_OK && op->invoke_ns > resumed &&
			       op->f == FL_HOP_BANK_READ;
		if (op->process > max_process)
			max_process = op->process;
	}
	print_message("etcd paused 500 ms: %zu ops, %zu info, %zu ok after the pause "
		      "(%zu reads), processes up to %u\n", fl_history_len(h), info, after,
		      reads_after, max_process);
	assert_true(info > 0);
	assert_true(after > 0);
	assert_true(max_process >= cfg.clients);
	export_edn(h);
	assert_int_equal(fl_history_check(h, &m, &chk), 0);
	if (!chk.valid)
		fail_msg("%zu anomalies, the first a %s", chk.n_anomalies,
			 fl_anomaly_kind_name(chk.anomalies[0].kind));
	assert_true(chk.bank_reads_checked > 0);
	fl_hist_check_free(&chk);
	final_total(s->url, &m);
	fl_history_free(h);
}

/* The workloads without a bank say so, and the load refuses them. */
static void test_unsupported(void **state)
{
	struct fl_bank_load_cfg cfg = { 0 };
	struct fl_bank_load *l;
	struct fl_workload *w = open_spec("file:/tmp/fl-bank-none.log");
	char why[256] = "";

	(void)state;
	assert_false(fl_bank_supported(w));
	assert_int_equal(fl_bank_reset(w, 4, 10, NULL, 0), -EOPNOTSUPP);
	assert_int_equal(fl_bank_load_start(w, &cfg, &l, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "no bank"));
	fl_workload_close(w);
}

/* Bad load settings are refused before anything is reset or started (no server needed). */
static void test_bad_config(void **state)
{
	static const struct fl_bank_load_cfg bad[] = {
		{ .accounts = 1 },
		{ .accounts = FL_BANK_MAX_ACCOUNTS + 1 },
		{ .balance = -1 },
		{ .max_amount = -1 },
		{ .read_pct = 101 },
		{ .rate = -1 },
		{ .accounts = 2, .balance = INT64_MAX },
	};
	struct fl_workload *w = open_spec("redis://127.0.0.1:1");
	struct fl_bank_load *l = NULL;
	char why[256] = "";

	(void)state;
	assert_true(fl_bank_supported(w));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fl_bank_load_start(w, &bad[i], &l, why, sizeof(why)), -EINVAL);
		assert_null(l);
		assert_non_null(strstr(why, "bank load"));
	}
	fl_workload_close(w);
}

static int group_setup(void **state)
{
	static const enum fl_svc_kind kinds[] = { [REDIS] = FL_SVC_REDIS,
						   [POSTGRES] = FL_SVC_POSTGRES };
	struct server *s;

	(void)state;
	s = &servers[ETCD];
	if (fl_etcd_available(s->why, sizeof(s->why))) {
		if (fl_etcd_create(&s->etcd, s->why, sizeof(s->why)) ||
		    fl_etcd_start(&s->etcd, 20000, s->why, sizeof(s->why))) {
			print_error("etcd fixture: %s\n", s->why);
			return -1;
		}
		s->url = s->etcd.url;
		s->up = true;
	}
	for (int i = REDIS; i <= POSTGRES; i++) {
		s = &servers[i];
		if (!fl_service_available(kinds[i], s->why, sizeof(s->why)))
			continue;
		if (fl_service_create(&s->svc, kinds[i], FL_SVC_SAFEST, s->why, sizeof(s->why)) ||
		    fl_service_start(&s->svc, 30000, s->why, sizeof(s->why))) {
			print_error("%s fixture: %s\n", s->name, s->why);
			return -1;
		}
		s->url = s->svc.url;
		s->up = true;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fl_etcd_destroy(&servers[ETCD].etcd);
	for (int i = REDIS; i <= POSTGRES; i++)
		if (servers[i].up)
			fl_service_destroy(&servers[i].svc);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_etcd_semantics),
		cmocka_unit_test(test_redis_semantics),
		cmocka_unit_test(test_postgres_semantics),
		cmocka_unit_test(test_etcd_load),
		cmocka_unit_test(test_redis_load),
		cmocka_unit_test(test_postgres_load),
		cmocka_unit_test(test_retarget),
		cmocka_unit_test(test_etcd_paused_under_load),
	};

	return cmocka_run_group_tests_name("bank", tests, group_setup, group_teardown);
}
