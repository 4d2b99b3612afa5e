// SPDX-License-Identifier: GPL-2.0-only
/*
 * The register and bank checkers on hand-made histories: each anomaly, and
 * each look-alike that is no anomaly (a read concurrent with a write, an
 * info write's value, cas chains, read-your-write, the initial nil).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/history.h>

static struct fl_history *h;

static int setup(void **state)
{
	(void)state;
	return fl_history_new(&h);
}

static int teardown(void **state)
{
	(void)state;
	fl_history_free(h);
	h = NULL;
	return 0;
}

static size_t add(struct fl_hop o)
{
	assert_int_equal(fl_history_add(h, &o), 0);
	return fl_history_len(h) - 1;
}

static size_t W(uint32_t p, uint64_t k, int64_t v, uint64_t inv, uint64_t cmp, enum fl_hop_type t)
{
	return add((struct fl_hop){ .f = FL_HOP_WRITE, .type = t, .process = p, .key = k,
				    .value = v, .invoke_ns = inv, .complete_ns = cmp });
}

static size_t R(uint32_t p, uint64_t k, int64_t v, uint64_t inv, uint64_t cmp)
{
	return add((struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_OK, .process = p, .key = k,
				    .value = v, .invoke_ns = inv, .complete_ns = cmp });
}

static size_t RNIL(uint32_t p, uint64_t k, uint64_t inv, uint64_t cmp)
{
	return add((struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_OK, .process = p, .key = k,
				    .nil = true, .invoke_ns = inv, .complete_ns = cmp });
}

static size_t CAS(uint32_t p, uint64_t k, int64_t from, int64_t to, uint64_t inv, uint64_t cmp,
		  enum fl_hop_type t)
{
	return add((struct fl_hop){ .f = FL_HOP_CAS, .type = t, .process = p, .key = k,
				    .value = from, .value2 = to, .invoke_ns = inv,
				    .complete_ns = cmp });
}

static struct fl_hist_check check(void)
{
	struct fl_hist_check c;

	assert_int_equal(fl_history_check(h, NULL, &c), 0);
	return c;
}

static void test_a_read_of_a_superseded_value_is_stale(void **state)
{
	size_t w1 = W(1, 7, 1, 10, 20, FL_HOP_OK);
	size_t w2 = W(2, 7, 2, 30, 40, FL_HOP_OK);
	size_t r = R(3, 7, 1, 50, 60);
	struct fl_hist_check c = check();

	(void)state;
	assert_false(c.valid);
	assert_int_equal(c.n_anomalies, 1);
	assert_int_equal(c.counts[FL_ANOM_STALE_READ], 1);
	const struct fl_anomaly *a = &c.anomalies[0];

	assert_int_equal(a->kind, FL_ANOM_STALE_READ);
	assert_int_equal(a->key, 7);
	assert_int_equal(a->op, r);
	assert_int_equal(a->writer, w1);
	assert_int_equal(a->by, w2);
	assert_int_equal(a->value, 1);
	assert_int_equal(a->by_value, 2);
	assert_int_equal(a->read_invoke_ns, 50);
	assert_int_equal(a->writer_complete_ns, 20);
	assert_int_equal(a->by_invoke_ns, 30);
	assert_int_equal(a->by_complete_ns, 40);
	assert_int_equal(c.keys, 1);
	assert_int_equal(c.reads_checked, 1);
	assert_int_equal(c.writes_ok, 2);
	fl_hist_check_free(&c);
}

static void test_reads_concurrent_with_a_write_may_see_either(void **state)
{
	/* w2 still running when the reads begin: old or new value is fine. */
	W(1, 1, 1, 10, 20, FL_HOP_OK);
	W(2, 1, 2, 30, 60, FL_HOP_OK);
	R(3, 1, 1, 40, 50);
	R(4, 1, 2, 40, 50);
	/* Two overlapping writes, both done: either may be last. */
	W(1, 2, 10, 10, 40, FL_HOP_OK);
	W(2, 2, 20, 20, 30, FL_HOP_OK);
	R(3, 2, 10, 50, 60);
	R(4, 2, 20, 50, 60);
	/* A read that began at the instant the write completed is concurrent with it. */
	W(1, 3, 100, 10, 20, FL_HOP_OK);
	W(2, 3, 200, 30, 40, FL_HOP_OK);
	R(3, 3, 100, 40, 50);
	struct fl_hist_check c = check();

	(void)state;
	assert_true(c.valid);
	assert_int_equal(c.n_anomalies, 0);
	assert_int_equal(c.keys, 3);
	assert_int_equal(c.reads_checked, 5);
	fl_hist_check_free(&c);
}

static void test_an_info_writes_value_is_never_stale(void **state)
{
	W(1, 1, 1, 10, 20, FL_HOP_OK);
	W(2, 1, 2, 25, 30, FL_HOP_INFO); /* gave up at 30; may land any time */
	W(3, 1, 3, 40, 50, FL_HOP_OK);
	R(4, 1, 2, 60, 70);
	R(5, 1, 3, 80, 90);
	struct fl_hist_check c = check();

	(void)state;
	assert_true(c.valid);
	assert_int_equal(c.writes_info, 1);
	fl_hist_check_free(&c);
	/* An info write never supersedes: reading 1 after it is no anomaly. */
	R(6, 1, 1, 35, 38);
	c = check();
	assert_true(c.valid);
	fl_hist_check_free(&c);
}

static void test_cas_chains(void **state)
{
	W(1, 1, 1, 10, 20, FL_HOP_OK);
	size_t c12 = CAS(2, 1, 1, 2, 30, 40, FL_HOP_OK);
	size_t c23 = CAS(3, 1, 2, 3, 50, 60, FL_HOP_OK);
	R(4, 1, 3, 70, 80);
	size_t r2 = R(5, 1, 2, 70, 80);           /* superseded by cas 2->3 */
	size_t c14 = CAS(6, 1, 1, 4, 70, 80, FL_HOP_OK); /* swapped from a superseded 1 */
	size_t f = CAS(7, 1, 3, 9, 90, 100, FL_HOP_FAIL);
	size_t r9 = R(8, 1, 9, 110, 120);         /* the failed cas's value */
	struct fl_hist_check c = check();

	(void)state;
	assert_int_equal(c.counts[FL_ANOM_STALE_READ], 2);
	assert_int_equal(c.counts[FL_ANOM_FAILED_WRITE_READ], 1);
	assert_int_equal(c.n_anomalies, 3);
	assert_int_equal(c.anomalies[0].op, r2);
	assert_int_equal(c.anomalies[0].writer, c12);
	assert_int_equal(c.anomalies[0].by, c23);
	assert_int_equal(c.anomalies[0].by_value, 3);
	assert_int_equal(c.anomalies[1].op, c14);
	assert_int_equal(c.anomalies[1].value, 1);
	assert_int_equal(c.anomalies[2].kind, FL_ANOM_FAILED_WRITE_READ);
	assert_int_equal(c.anomalies[2].op, r9);
	assert_int_equal(c.anomalies[2].writer, f);
	assert_int_equal(c.writes_ok, 4); /* the write and three ok cas */
	fl_hist_check_free(&c);
}

static void test_read_your_write_and_the_initial_nil(void **state)
{
	RNIL(1, 1, 1, 5);             /* before any write */
	W(1, 1, 5, 10, 20, FL_HOP_OK);
	RNIL(2, 1, 15, 25);           /* concurrent with the write */
	R(1, 1, 5, 21, 30);           /* its own write */
	size_t late = RNIL(3, 1, 40, 50); /* the write was acknowledged before */
	struct fl_hist_check c = check();

	(void)state;
	assert_int_equal(c.n_anomalies, 1);
	assert_int_equal(c.anomalies[0].kind, FL_ANOM_STALE_READ);
	assert_int_equal(c.anomalies[0].op, late);
	assert_true(c.anomalies[0].nil);
	assert_int_equal(c.anomalies[0].writer, FL_HIST_NONE);
	assert_int_equal(c.anomalies[0].by_value, 5);
	fl_hist_check_free(&c);
}

static void test_keys_are_independent(void **state)
{
	W(1, 1, 1, 10, 20, FL_HOP_OK);
	RNIL(2, 2, 30, 40);           /* key 2 was never written: nil is right */
	W(1, 2, 1, 50, 60, FL_HOP_OK); /* the same value on another key */
	R(2, 1, 1, 70, 80);
	struct fl_hist_check c = check();

	(void)state;
	assert_true(c.valid);
	assert_int_equal(c.keys, 2);
	fl_hist_check_free(&c);
}

static void test_never_written_and_future_reads(void **state)
{
	size_t r77 = R(1, 1, 77, 10, 20);
	size_t w = W(2, 1, 1, 100, 110, FL_HOP_OK);
	size_t r1 = R(3, 1, 1, 30, 40); /* read before the write was invoked */
	/* Reads that failed or timed out say nothing. */
	add((struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_INFO, .key = 1, .value = 999,
			     .invoke_ns = 200, .complete_ns = 300 });
	add((struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_FAIL, .key = 1, .value = 998,
			     .invoke_ns = 200, .complete_ns = 300 });
	struct fl_hist_check c = check();

	(void)state;
	assert_int_equal(c.n_anomalies, 2);
	assert_int_equal(c.counts[FL_ANOM_NEVER_WRITTEN], 1);
	assert_int_equal(c.counts[FL_ANOM_FUTURE_READ], 1);
	assert_int_equal(c.anomalies[0].op, r77);
	assert_int_equal(c.anomalies[0].writer, FL_HIST_NONE);
	assert_int_equal(c.anomalies[1].op, r1);
	assert_int_equal(c.anomalies[1].writer, w);
	assert_int_equal(c.reads_checked, 2);
	fl_hist_check_free(&c);
}

static size_t BR(const int64_t *b, size_t n, enum fl_hop_type t, uint64_t inv)
{
	return add((struct fl_hop){ .f = FL_HOP_BANK_READ, .type = t, .balances = b,
				    .n_balances = n, .invoke_ns = inv, .complete_ns = inv + 5 });
}

static void test_bank_totals(void **state)
{
	const int64_t ok1[] = { 100, 100, 100 }, ok2[] = { 50, 150, 100 },
		      lost[] = { 50, 100, 100 }, neg[] = { -10, 210, 100 },
		      short2[] = { 150, 150 }, gone[] = { 1, 2, 3 };
	struct fl_bank_model m = { .enabled = true, .total = 300, .accounts = 3 };
	struct fl_hist_check c;

	(void)state;
	add((struct fl_hop){ .f = FL_HOP_TRANSFER, .type = FL_HOP_OK, .key = 0, .key2 = 1,
			     .value = 50, .invoke_ns = 1, .complete_ns = 2 });
	BR(ok1, 3, FL_HOP_OK, 0);
	BR(ok2, 3, FL_HOP_OK, 10);
	size_t l = BR(lost, 3, FL_HOP_OK, 20);
	size_t n = BR(neg, 3, FL_HOP_OK, 30);
	size_t s = BR(short2, 2, FL_HOP_OK, 40);
	BR(gone, 3, FL_HOP_INFO, 50); /* a read that did not complete says nothing */
	BR(gone, 3, FL_HOP_FAIL, 60);
	assert_int_equal(fl_history_check(h, &m, &c), 0);
	assert_int_equal(c.bank_reads_checked, 5);
	assert_int_equal(c.counts[FL_ANOM_BANK_TOTAL], 2);
	assert_int_equal(c.counts[FL_ANOM_BANK_NEGATIVE], 1);
	assert_int_equal(c.anomalies[0].op, l);
	assert_int_equal(c.anomalies[0].value, 250);
	assert_int_equal(c.anomalies[0].expected, 300);
	assert_int_equal(c.anomalies[0].diff, -50);
	assert_int_equal(c.anomalies[1].kind, FL_ANOM_BANK_NEGATIVE);
	assert_int_equal(c.anomalies[1].op, n);
	assert_int_equal(c.anomalies[1].key, 0);
	assert_int_equal(c.anomalies[1].value, -10);
	assert_int_equal(c.anomalies[2].op, s); /* an account missing: 300 but 2 accounts */
	assert_int_equal(c.anomalies[2].diff, 0);
	fl_hist_check_free(&c);

	m.negative_allowed = true;
	m.accounts = 0;
	assert_int_equal(fl_history_check(h, &m, &c), 0);
	assert_int_equal(c.n_anomalies, 1);
	assert_int_equal(c.anomalies[0].op, l);
	fl_hist_check_free(&c);
	/* A sum past int64 is flagged, not wrapped. */
	const int64_t huge[] = { INT64_MAX, 1, -1 };
	size_t hg = BR(huge, 3, FL_HOP_OK, 70);

	m.total = INT64_MAX;
	assert_int_equal(fl_history_check(h, &m, &c), 0);
	assert_int_equal(c.anomalies[c.n_anomalies - 1].op, hg);
	assert_int_equal(c.anomalies[c.n_anomalies - 1].kind, FL_ANOM_BANK_TOTAL);
	fl_hist_check_free(&c);
	/* Without the model, bank reads are not judged. */
	assert_int_equal(fl_history_check(h, NULL, &c), 0);
	assert_true(c.valid);
	assert_int_equal(c.bank_reads_checked, 0);
	fl_hist_check_free(&c);
}

static void test_json_rendering(void **state)
{
	W(1, 7, 1, 10, 20, FL_HOP_OK);
	W(2, 7, 2, 30, 40, FL_HOP_OK);
	R(3, 7, 1, 50, 60);
	R(3, 7, 42, 70, 80);
	struct fl_hist_check c = check();
	json_t *j, *a;

	(void)state;
	assert_int_equal(fl_hist_check_json(&c, 0, &j), 0);
	assert_false(json_boolean_value(json_object_get(j, "valid")));
	assert_int_equal(json_integer_value(json_object_get(j, "anomalies_total")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"),
							    "stale-read")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"),
							    "never-written")), 1);
	a = json_array_get(json_object_get(j, "anomalies"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "kind")), "stale-read");
	assert_int_equal(json_integer_value(json_object_get(a, "op")), 2);
	assert_int_equal(json_integer_value(json_object_get(a, "writer")), 0);
	assert_int_equal(json_integer_value(json_object_get(a, "by")), 1);
	assert_int_equal(json_integer_value(json_object_get(a, "by_value")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "times_ns"),
							    "by_complete")), 40);
	a = json_array_get(json_object_get(j, "anomalies"), 1);
	assert_true(json_is_null(json_object_get(a, "writer")));
	assert_true(json_is_null(json_object_get(a, "by_value")));
	json_decref(j);
	/* A cap on the list keeps the counts whole. */
	assert_int_equal(fl_hist_check_json(&c, 1, &j), 0);
	assert_int_equal(json_array_size(json_object_get(j, "anomalies")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "anomalies_total")), 2);
	json_decref(j);
	fl_hist_check_free(&c);
}

static void test_bad_input(void **state)
{
	struct fl_hop o = { .f = 9 };
	struct fl_hist_check c;

	(void)state;
	assert_int_equal(fl_history_add(h, &o), -EINVAL);
	o = (struct fl_hop){ .f = FL_HOP_BANK_READ, .n_balances = 2 };
	assert_int_equal(fl_history_add(h, &o), -EINVAL);
	assert_int_equal(fl_history_check(NULL, NULL, &c), -EINVAL);
	/* An empty history is valid. */
	assert_int_equal(fl_history_check(h, NULL, &c), 0);
	assert_true(c.valid);
	fl_hist_check_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_a_read_of_a_superseded_value_is_stale),
		T(test_reads_concurrent_with_a_write_may_see_either),
		T(test_an_info_writes_value_is_never_stale),
		T(test_cas_chains),
		T(test_read_your_write_and_the_initial_nil),
		T(test_keys_are_independent),
		T(test_never_written_and_future_reads),
		T(test_bank_totals),
		T(test_json_rendering),
		T(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
