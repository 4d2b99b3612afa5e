// SPDX-License-Identifier: GPL-2.0-only
/*
 * The register checker against a simulated linearizable register (seeded):
 * no false positive over 10,000 random valid histories, and a stale read
 * injected into each of 1,000 others always flagged. Then a speed figure
 * over 1,000,000 ops, printed, not asserted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "hist_gen.h"

static struct fl_history *build(const struct gen_op *g, size_t n)
{
	struct fl_history *h;

	assert_int_equal(fl_history_new(&h), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fl_history_add(h, &g[i].op), 0);
	return h;
}

static void test_valid_histories_have_no_anomaly(void **state)
{
	size_t reads = 0, info = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 10000; seed++) {
		size_t n = 20 + seed % 180;
		struct gen_op *g = gen_register(seed, n, 1 + seed % 4, 2 + seed % 6, seed % 3 * 10);
		struct fl_history *h = build(g, n);
		struct fl_hist_check c;

		assert_int_equal(fl_history_check(h, NULL, &c), 0);
		if (!c.valid) {
			const struct fl_anomaly *a = &c.anomalies[0];

			print_error("seed %" PRIu64 ": %s at op %zu (key %" PRIu64 ", value %" PRId64
				    ")\n", seed, fl_anomaly_kind_name(a->kind), a->op, a->key,
				    a->value);
		}
		assert_true(c.valid);
		reads += c.reads_checked;
		info += c.writes_info;
		fl_hist_check_free(&c);
		fl_history_free(h);
		free(g);
	}
	print_message("10000 valid histories: %zu reads checked (%zu info writes), 0 anomalies\n",
		      reads, info);
	assert_true(reads > 100000);
	assert_true(info > 1000);
}

/* Two acknowledged writes to one key, the first done before the second began. */
static bool find_pair(const struct gen_op *g, size_t n, size_t *w1, size_t *w2)
{
	for (size_t i = 0; i < n; i++) {
		const struct fl_hop *a = &g[i].op;

		if (a->type != FL_HOP_OK || a->f == FL_HOP_READ)
			continue;
		for (size_t j = 0; j < n; j++) {
			const struct fl_hop *b = &g[j].op;

			if (b->type == FL_HOP_OK && b->f != FL_HOP_READ && b->key == a->key &&
			    a->complete_ns < b->invoke_ns) {
				*w1 = i;
				*w2 = j;
				return true;
			}
		}
	}
	return false;
}

static void test_an_injected_stale_read_is_always_flagged(void **state)
{
	size_t injected = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 1000; seed++) {
		size_t n = 50 + seed % 150, w1, w2;
		struct gen_op *g = gen_register(seed * 7919, n, 1 + seed % 3, 2 + seed % 5, 10);
		struct fl_history *h = build(g, n);
		struct fl_hist_check c;

		if (!find_pair(g, n, &w1, &w2)) {
			fl_history_free(h);
			free(g);
			continue;
		}
		const struct fl_hop *a = &g[w1].op, *b = &g[w2].op;
		struct fl_hop r = { .f = FL_HOP_READ, .type = FL_HOP_OK, .process = 9999,
				    .key = a->key, .invoke_ns = b->complete_ns + 1 + seed % 100,
				    .value = a->f == FL_HOP_CAS ? a->value2 : a->value };

		r.complete_ns = r.invoke_ns + 1 + seed % 30;
		assert_int_equal(fl_history_add(h, &r), 0);
		assert_int_equal(fl_history_check(h, NULL, &c), 0);
		assert_int_equal(c.n_anomalies, 1);
		assert_int_equal(c.anomalies[0].kind, FL_ANOM_STALE_READ);
		assert_int_equal(c.anomalies[0].op, n);
		assert_int_equal(c.anomalies[0].writer, w1);
		injected++;
		fl_hist_check_free(&c);
		fl_history_free(h);
		free(g);
	}
	print_message("%zu histories with an injected stale read: all flagged\n", injected);
	assert_true(injected > 900);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_speed_of_one_million_ops(void **state)
{
	const size_t n = 1000000;
	struct gen_op *g = gen_register(42, n, 1000, 64, 5);
	struct fl_history *h = build(g, n);
	struct fl_hist_check c;
	double t0, t1;

	(void)state;
	t0 = now_s();
	assert_int_equal(fl_history_check(h, NULL, &c), 0);
	t1 = now_s();
	assert_true(c.valid);
	print_message("checked %zu ops (%zu keys, %zu reads) in %.3f s: %.2f M ops/s\n",
		      n, c.keys, c.reads_checked, t1 - t0, (double)n / (t1 - t0) / 1e6);
	fl_hist_check_free(&c);

	FILE *f = fopen("/dev/null", "w");

	assert_non_null(f);
	t0 = now_s();
	assert_int_equal(fl_history_write_edn(h, f), 0);
	t1 = now_s();
	fclose(f);
	print_message("wrote its EDN history (%zu lines) in %.3f s\n", 2 * n, t1 - t0);
	fl_history_free(h);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_histories_have_no_anomaly),
		cmocka_unit_test(test_an_injected_stale_read_is_always_flagged),
		cmocka_unit_test(test_speed_of_one_million_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
