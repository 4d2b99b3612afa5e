// SPDX-License-Identifier: GPL-2.0-only
/*
 * Register operations (<faultline/register.h>) against real servers: an
 * etcd (tests/helpers/etcd_server.c), a redis-server and a PostgreSQL
 * (tests/helpers/services.c), each started here on 127.0.0.1. Each:
 * write, read, cas that swaps and one that does not, reset back to nil;
 * then the register load for 1.5 s (4 clients, 4 keys), whose history
 * the stale read checker must find free of anomalies on a healthy
 * single server, and which exports as Jepsen's EDN.
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

#include <faultline/history.h>
#include <faultline/register.h>
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

static void semantics(int i)
{
	struct server *s = need(i);
	struct fl_workload *w;
	struct fl_wl_conn *c;
	char why[256] = "";
	int64_t v = -1;
	bool nil = false, swapped = true;
	int err = 0;

	if (!s)
		skip();
	w = open_spec(s->url);
	assert_true(fl_register_supported(w));
	if (fl_register_reset(w, why, sizeof(why)))
		fail_msg("reset: %s", why);
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	assert_int_equal(fl_register_read(c, 1, &v, &nil, 2000, &err), FL_OP_OK);
	assert_true(nil);
	assert_int_equal(fl_register_write(c, 1, 5, 2000, &err), FL_OP_OK);
	assert_int_equal(fl_register_read(c, 1, &v, &nil, 2000, &err), FL_OP_OK);
	assert_false(nil);
	assert_int_equal(v, 5);
	assert_int_equal(fl_register_cas(c, 1, 5, 6, &swapped, 2000, &err), FL_OP_OK);
	assert_true(swapped);
	assert_int_equal(fl_register_cas(c, 1, 5, 7, &swapped, 2000, &err), FL_OP_OK);
	assert_false(swapped);
	assert_int_equal(fl_register_read(c, 1, &v, &nil, 2000, &err), FL_OP_OK);
	assert_int_equal(v, 6);
	/* A register with no value never compares equal. */
	assert_int_equal(fl_register_cas(c, 2, 0, 1, &swapped, 2000, &err), FL_OP_OK);
	assert_false(swapped);
	assert_int_equal(fl_register_write(c, 3, -42, 2000, &err), FL_OP_OK);
	assert_int_equal(fl_register_read(c, 3, &v, &nil, 2000, &err), FL_OP_OK);
	assert_int_equal(v, -42);
	fl_workload_disconnect(c);
	assert_int_equal(fl_register_reset(w, NULL, 0), 0);
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), 0);
	assert_int_equal(fl_register_read(c, 1, &v, &nil, 2000, &err), FL_OP_OK);
	assert_true(nil);
	fl_workload_disconnect(c);
	fl_workload_close(w);
}

static void load(int i)
{
	struct fl_register_load_cfg cfg = {
		.clients = 4, .keys = 4, .rate = 400, .seed = 7, .timeout_ms = 1000,
	};
	struct server *s = need(i);
	struct fl_register_load *l;
	struct fl_workload *w;
	struct fl_history *h = NULL;
	struct fl_hist_check chk;
	size_t n[3][3] = { { 0 } }, cas_swapped = 0;
	char why[256] = "", *edn = NULL;
	size_t edn_len = 0;
	FILE *f;

	if (!s)
		skip();
	w = open_spec(s->url);
	if (fl_register_load_start(w, &cfg, &l, why, sizeof(why)))
		fail_msg("start: %s", why);
	usleep(1500 * 1000);
	assert_int_equal(fl_register_load_stop(l, &h), 0);
	fl_workload_close(w);
	for (size_t j = 0; j < fl_history_len(h); j++) {
		const struct fl_hop *op = fl_history_op(h, j);

		n[op->f][op->type]++;
		assert_true(op->invoke_ns <= op->complete_ns);
		if (op->f == FL_HOP_CAS && op->type == FL_HOP_OK)
			cas_swapped++;
	}
	print_message("%s: %zu ops in 1.5 s: reads %zu ok %zu fail %zu info, writes %zu/%zu/%zu, "
		      "cas %zu swapped %zu not/fail %zu info\n", s->name, fl_history_len(h),
		      n[FL_HOP_READ][0], n[FL_HOP_READ][1], n[FL_HOP_READ][2], n[FL_HOP_WRITE][0],
		      n[FL_HOP_WRITE][1], n[FL_HOP_WRITE][2], n[FL_HOP_CAS][0], n[FL_HOP_CAS][1],
		      n[FL_HOP_CAS][2]);
	/* 400 ops/s for 1.5 s: most of the 600 happen even on a slow fsync. */
	assert_true(fl_history_len(h) > 200);
	assert_true(n[FL_HOP_READ][FL_HOP_OK] > 0);
	assert_true(n[FL_HOP_WRITE][FL_HOP_OK] > 0);
	assert_true(cas_swapped > 0);
	assert_int_equal(n[FL_HOP_READ][FL_HOP_INFO] + n[FL_HOP_WRITE][FL_HOP_INFO] +
			 n[FL_HOP_CAS][FL_HOP_INFO], 0);
	assert_int_equal(fl_history_check(h, NULL, &chk), 0);
	if (!chk.valid)
		fail_msg("%s: %zu anomalies, the first a %s on key %llu", s->name,
			 chk.n_anomalies, fl_anomaly_kind_name(chk.anomalies[0].kind),
			 (unsigned long long)chk.anomalies[0].key);
	assert_true(chk.reads_checked > 0);
	fl_hist_check_free(&chk);
	f = open_memstream(&edn, &edn_len);
	assert_non_null(f);
	assert_int_equal(fl_history_write_edn(h, f), 0);
	fclose(f);
	assert_true(edn_len > 0);
	free(edn);
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
	struct server *s = need(ETCD);
	struct fl_workload *dead, *real;
	struct fl_register_load_cfg cfg = { .clients = 2, .keys = 2, .rate = 100, .seed = 3,
					    .no_reset = true, .target = to_real };
	struct fl_register_load *l;
	struct fl_history *h = NULL;
	struct fl_hist_check chk;
	char why[256] = "";

	(void)state;
	if (!s)
		skip();
	/* Nothing listens on port 1: without the callback no client would get anywhere. */
	dead = open_spec("etcd://127.0.0.1:1");
	real = open_spec(s->url);
	assert_int_equal(fl_register_reset(real, NULL, 0), 0);
	cfg.target_ctx = real;
	if (fl_register_load_start(dead, &cfg, &l, why, sizeof(why)))
		fail_msg("start: %s", why);
	usleep(500 * 1000);
	assert_int_equal(fl_register_load_stop(l, &h), 0);
	assert_true(fl_history_len(h) > 10);
	for (size_t j = 0; j < fl_history_len(h); j++)
		assert_int_equal(fl_history_op(h, j)->type == FL_HOP_INFO, 0);
	assert_int_equal(fl_history_check(h, NULL, &chk), 0);
	assert_true(chk.valid);
	fl_hist_check_free(&chk);
	fl_history_free(h);
	fl_workload_close(real);
	fl_workload_close(dead);
}

/*
 * etcd paused for 500 ms under the load: operations time out (info), each
 * such client goes on as a new process, so that the history still exports
 * (every process sequential), and it still checks clean.
 */
static void test_etcd_paused_under_load(void **state)
{
	struct fl_register_load_cfg cfg = {
		.clients = 4, .keys = 4, .rate = 200, .seed = 11, .timeout_ms = 200,
	};
	struct server *s = need(ETCD);
	struct fl_register_load *l;
	struct fl_workload *w;
	struct fl_history *h = NULL;
	struct fl_hist_check chk;
	size_t info = 0, after = 0;
	uint32_t max_process = 0;
	char why[256] = "", *edn = NULL;
	size_t edn_len = 0;
	uint64_t resumed;
	FILE *f;

	(void)state;
	if (!s)
		skip();
	w = open_spec(s->url);
	if (fl_register_load_start(w, &cfg, &l, why, sizeof(why)))
		fail_msg("start: %s", why);
	usleep(400 * 1000);
	fl_etcd_signal(&s->etcd, SIGSTOP);
	usleep(500 * 1000);
	fl_etcd_signal(&s->etcd, SIGCONT);
	resumed = fl_now_ns();
	usleep(600 * 1000);
	assert_int_equal(fl_register_load_stop(l, &h), 0);
	fl_workload_close(w);
	for (size_t j = 0; j < fl_history_len(h); j++) {
		const struct fl_hop *op = fl_history_op(h, j);

		info += op->type == FL_HOP_INFO;
		after += op->type == FL_HOP_OK && op->invoke_ns > resumed;
		if (op->process > max_process)
			max_process = op->process;
	}
	print_message("etcd paused 500 ms: %zu ops, %zu info, %zu ok after the pause, "
		      "processes up to %u\n", fl_history_len(h), info, after, max_process);
	assert_true(info > 0);
	assert_true(after > 0);
	assert_true(max_process >= cfg.clients);
	f = open_memstream(&edn, &edn_len);
	assert_non_null(f);
	assert_int_equal(fl_history_write_edn(h, f), 0);
	fclose(f);
	free(edn);
	assert_int_equal(fl_history_check(h, NULL, &chk), 0);
	assert_true(chk.valid);
	fl_hist_check_free(&chk);
	fl_history_free(h);
}

/* The workloads without registers say so, and the load refuses them. */
static void test_unsupported(void **state)
{
	struct fl_register_load_cfg cfg = { 0 };
	struct fl_register_load *l;
	struct fl_workload *w = open_spec("file:/tmp/fl-register-none.log");
	char why[256] = "";

	(void)state;
	assert_false(fl_register_supported(w));
	assert_int_equal(fl_register_reset(w, NULL, 0), -EOPNOTSUPP);
	assert_int_equal(fl_register_load_start(w, &cfg, &l, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "no registers"));
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
		cmocka_unit_test(test_etcd_semantics),
		cmocka_unit_test(test_redis_semantics),
		cmocka_unit_test(test_postgres_semantics),
		cmocka_unit_test(test_etcd_load),
		cmocka_unit_test(test_redis_load),
		cmocka_unit_test(test_postgres_load),
		cmocka_unit_test(test_retarget),
		cmocka_unit_test(test_etcd_paused_under_load),
	};

	return cmocka_run_group_tests_name("registers", tests, group_setup, group_teardown);
}
