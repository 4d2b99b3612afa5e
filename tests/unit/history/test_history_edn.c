// SPDX-License-Identifier: GPL-2.0-only
/*
 * The EDN export (Jepsen's history form) and its reader: the exact lines,
 * a round trip of every field that a Jepsen checker reads (hand-made ops
 * of each kind and outcome, and 2,000 random ones with bank ops among
 * them), and the reader's errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hist_gen.h"

static const int64_t bal[] = { 10, 20, -5, 75 };

static void add(struct fl_history *h, struct fl_hop o)
{
	assert_int_equal(fl_history_add(h, &o), 0);
}

static char *edn_of(const struct fl_history *h)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fl_history_write_edn(h, f), 0);
	fclose(f);
	return buf;
}

static struct fl_history *read_back(const char *text, int *err, char *errbuf, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct fl_history *h = NULL;

	assert_non_null(f);
	*err = fl_history_read_edn(f, &h, errbuf, errlen);
	fclose(f);
	return h;
}

/* Every field a Jepsen checker sees: what an op's kind and outcome carry. */
static void assert_same(const struct fl_hop *a, const struct fl_hop *b)
{
	assert_int_equal(a->f, b->f);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->process, b->process);
	assert_int_equal(a->invoke_ns, b->invoke_ns);
	assert_int_equal(a->complete_ns, b->complete_ns);
	if (a->f != FL_HOP_BANK_READ)
		assert_int_equal(a->key, b->key);
	switch (a->f) {
	case FL_HOP_WRITE:
		assert_int_equal(a->value, b->value);
		break;
	case FL_HOP_CAS:
		assert_int_equal(a->value, b->value);
		assert_int_equal(a->value2, b->value2);
		break;
	case FL_HOP_TRANSFER:
		assert_int_equal(a->key2, b->key2);
		assert_int_equal(a->value, b->value);
		break;
	case FL_HOP_READ:
		if (a->type == FL_HOP_OK) {
			assert_int_equal(a->nil, b->nil);
			if (!a->nil)
				assert_int_equal(a->value, b->value);
		}
		break;
	case FL_HOP_BANK_READ:
		if (a->type == FL_HOP_OK) {
			assert_int_equal(a->n_balances, b->n_balances);
			assert_memory_equal(a->balances, b->balances,
					    a->n_balances * sizeof(*a->balances));
		}
		break;
	}
}

static void test_the_lines_and_a_round_trip_of_each_kind(void **state)
{
	struct fl_history *h, *back;
	char *text, errbuf[128] = "";
	int err;

	(void)state;
	assert_int_equal(fl_history_new(&h), 0);
	add(h, (struct fl_hop){ .f = FL_HOP_WRITE, .type = FL_HOP_OK, .process = 2, .key = 3,
				.value = 17, .invoke_ns = 1000, .complete_ns = 2000 });
	add(h, (struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_OK, .process = 1, .key = 3,
				.value = 17, .invoke_ns = 1500, .complete_ns = 2500 });
	add(h, (struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_OK, .process = 4, .key = 5,
				.nil = true, .invoke_ns = 1600, .complete_ns = 1700 });
	add(h, (struct fl_hop){ .f = FL_HOP_CAS, .type = FL_HOP_FAIL, .process = 3, .key = 3,
				.value = -4, .value2 = 18, .invoke_ns = 3000, .complete_ns = 3100 });
	add(h, (struct fl_hop){ .f = FL_HOP_WRITE, .type = FL_HOP_INFO, .process = 5, .key = 3,
				.value = 19, .invoke_ns = 3050, .complete_ns = 9000 });
	add(h, (struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_INFO, .process = 6, .key = 3,
				.nil = true, .invoke_ns = 3060, .complete_ns = 9100 });
	add(h, (struct fl_hop){ .f = FL_HOP_TRANSFER, .type = FL_HOP_OK, .process = 7, .key = 0,
				.key2 = 2, .value = 5, .invoke_ns = 4000, .complete_ns = 4100 });
	add(h, (struct fl_hop){ .f = FL_HOP_BANK_READ, .type = FL_HOP_OK, .process = 8,
				.balances = bal, .n_balances = 4, .invoke_ns = 4200,
				.complete_ns = 4300 });
	add(h, (struct fl_hop){ .f = FL_HOP_BANK_READ, .type = FL_HOP_FAIL, .process = 9,
				.invoke_ns = 4400, .complete_ns = 4500 });
	text = edn_of(h);
	assert_non_null(strstr(text,
		"{:type :invoke, :f :write, :value [3 17], :process 2, :time 1000}\n"
		"{:type :invoke, :f :read, :value [3 nil], :process 1, :time 1500}\n"
		"{:type :invoke, :f :read, :value [5 nil], :process 4, :time 1600}\n"
		"{:type :ok, :f :read, :value [5 nil], :process 4, :time 1700}\n"
		"{:type :ok, :f :write, :value [3 17], :process 2, :time 2000}\n"
		"{:type :ok, :f :read, :value [3 17], :process 1, :time 2500}\n"
		"{:type :invoke, :f :cas, :value [3 [-4 18]], :process 3, :time 3000}\n"));
	assert_non_null(strstr(text, "{:type :fail, :f :cas, :value [3 [-4 18]], :process 3, :time 3100}\n"));
	assert_non_null(strstr(text, "{:type :info, :f :write, :value [3 19], :process 5, :time 9000}\n"));
	assert_non_null(strstr(text, "{:type :ok, :f :transfer, :value {:from 0, :to 2, :amount 5}, :process 7, :time 4100}\n"));
	assert_non_null(strstr(text, "{:type :invoke, :f :read, :value nil, :process 8, :time 4200}\n"));
	assert_non_null(strstr(text, "{:type :ok, :f :read, :value {0 10, 1 20, 2 -5, 3 75}, :process 8, :time 4300}\n"));
	/* The JSON form holds the same lines. */
	json_t *lines;

	assert_int_equal(fl_history_edn_json(h, &lines), 0);
	assert_int_equal(json_array_size(lines), 2 * fl_history_len(h));
	assert_string_equal(json_string_value(json_array_get(lines, 0)),
			    "{:type :invoke, :f :write, :value [3 17], :process 2, :time 1000}");
	json_decref(lines);
	back = read_back(text, &err, errbuf, sizeof(errbuf));
	if (err)
		print_error("%s\n", errbuf);
	assert_int_equal(err, 0);
	assert_int_equal(fl_history_len(back), fl_history_len(h));
	for (size_t i = 0; i < fl_history_len(h); i++)
		assert_same(fl_history_op(h, i), fl_history_op(back, i));
	free(text);
	fl_history_free(h);
	fl_history_free(back);
}

static void test_a_process_hands_over_at_one_instant(void **state)
{
	struct fl_history *h, *back;
	char *text, errbuf[128] = "";
	int err;

	(void)state;
	assert_int_equal(fl_history_new(&h), 0);
	/* Process 1 completes and invokes again at 20; process 2 invokes at 20 too. */
	add(h, (struct fl_hop){ .f = FL_HOP_WRITE, .type = FL_HOP_OK, .process = 1, .key = 1,
				.value = 1, .invoke_ns = 10, .complete_ns = 20 });
	add(h, (struct fl_hop){ .f = FL_HOP_WRITE, .type = FL_HOP_OK, .process = 1, .key = 1,
				.value = 2, .invoke_ns = 20, .complete_ns = 20 });
	add(h, (struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_OK, .process = 2, .key = 1,
				.value = 1, .invoke_ns = 20, .complete_ns = 30 });
	text = edn_of(h);
	assert_string_equal(text,
		"{:type :invoke, :f :write, :value [1 1], :process 1, :time 10}\n"
		"{:type :invoke, :f :read, :value [1 nil], :process 2, :time 20}\n"
		"{:type :ok, :f :write, :value [1 1], :process 1, :time 20}\n"
		"{:type :invoke, :f :write, :value [1 2], :process 1, :time 20}\n"
		"{:type :ok, :f :write, :value [1 2], :process 1, :time 20}\n"
		"{:type :ok, :f :read, :value [1 1], :process 2, :time 30}\n");
	back = read_back(text, &err, errbuf, sizeof(errbuf));
	assert_int_equal(err, 0);
	assert_int_equal(fl_history_len(back), 3);
	fl_history_free(back);
	free(text);
	/* Two ops of one process at once cannot be written as Jepsen's history. */
	add(h, (struct fl_hop){ .f = FL_HOP_READ, .type = FL_HOP_OK, .process = 2, .key = 1,
				.value = 1, .invoke_ns = 25, .complete_ns = 40 });
	FILE *f = fopen("/dev/null", "w");

	assert_non_null(f);
	assert_int_equal(fl_history_write_edn(h, f), -EINVAL);
	fclose(f);
	fl_history_free(h);
}

static int cmp_invoke(const void *a, const void *b)
{
	const struct gen_op *x = a, *y = b;

	if (x->op.invoke_ns != y->op.invoke_ns)
		return x->op.invoke_ns < y->op.invoke_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void test_a_random_history_round_trips_and_judges_alike(void **state)
{
	const size_t n = 2000;
	struct gen_op *g = gen_register(7, n, 5, 8, 10);
	struct fl_history *h, *back;
	struct fl_hist_check c1, c2;
	struct fl_bank_model m = { .enabled = true, .total = 100 };
	char *text, errbuf[128] = "";
	int err;

	(void)state;
	/* Every tenth op becomes a bank op, on processes of their own. */
	for (size_t i = 0; i < n; i += 10) {
		struct fl_hop *o = &g[i].op;

		o->process += 1000;
		if (i % 20) {
			*o = (struct fl_hop){ .f = FL_HOP_TRANSFER, .type = (i / 10) % 3,
					      .process = o->process, .key = i % 4,
					      .key2 = (i + 1) % 4, .value = (int64_t)i,
					      .invoke_ns = o->invoke_ns, .complete_ns = o->complete_ns };
		} else {
			*o = (struct fl_hop){ .f = FL_HOP_BANK_READ, .type = FL_HOP_OK,
					      .process = o->process, .balances = bal,
					      .n_balances = 4 - (i / 20) % 2,
					      .invoke_ns = o->invoke_ns, .complete_ns = o->complete_ns };
		}
	}
	/* The reader numbers ops in the order they were invoked. */
	qsort(g, n, sizeof(*g), cmp_invoke);
	assert_int_equal(fl_history_new(&h), 0);
	for (size_t i = 0; i < n; i++)
		add(h, g[i].op);
	text = edn_of(h);
	back = read_back(text, &err, errbuf, sizeof(errbuf));
	if (err)
		print_error("%s\n", errbuf);
	assert_int_equal(err, 0);
	assert_int_equal(fl_history_len(back), n);
	for (size_t i = 0; i < n; i++)
		assert_same(fl_history_op(h, i), fl_history_op(back, i));
	assert_int_equal(fl_history_check(h, &m, &c1), 0);
	assert_int_equal(fl_history_check(back, &m, &c2), 0);
	assert_int_equal(c1.n_anomalies, c2.n_anomalies);
	assert_memory_equal(c1.counts, c2.counts, sizeof(c1.counts));
	assert_int_equal(c1.counts[FL_ANOM_STALE_READ], 0);
	assert_true(c1.counts[FL_ANOM_BANK_TOTAL] > 0); /* 100 in 4 accounts, 25 in 3 */
	fl_hist_check_free(&c1);
	fl_hist_check_free(&c2);
	free(text);
	fl_history_free(h);
	fl_history_free(back);
	free(g);
}

static void expect_error(const char *text, const char *why)
{
	char errbuf[160] = "";
	int err;
	struct fl_history *h = read_back(text, &err, errbuf, sizeof(errbuf));

	assert_int_equal(err, -EINVAL);
	assert_null(h);
	if (!strstr(errbuf, why))
		print_error("errbuf: %s\n", errbuf);
	assert_non_null(strstr(errbuf, why));
}

static void test_the_readers_errors(void **state)
{
	struct fl_history *h;
	char errbuf[160] = "";
	int err;

	(void)state;
	expect_error("{:type :invoke, :f :write, :value [1 2], :process 1, :time 5}\n"
		     "{:type :invoke, :f :write, :value [1 3], :process 1, :time 6}\n",
		     "line 2: process 1 invokes again");
	expect_error("{:type :ok, :f :write, :value [1 2], :process 1, :time 5}\n",
		     "line 1: a completion of process 1");
	expect_error("\n{:type :invoke, :f :write, :value [1 2 3], :process 1, :time 5}\n",
		     "line 2: a register op's value is [KEY VALUE]");
	expect_error("{:type :invoke, :f :cas, :value [-3 [1 2]], :process 1, :time 5}\n",
		     "with KEY >= 0");
	expect_error("{:type :invoke, :f :write, :value [1 2], :time 5}\n",
		     "needs :type, :f, :process and :time");
	expect_error("{:type :invoke, :f :write, :value [1 2], :process 1, :time 5\n",
		     "not an EDN map");
	expect_error("{:type :invoke, :f :append, :value [1 2], :process 1, :time 5}\n",
		     "unknown op");
	expect_error("{:type :invoke, :f :write, :value [1 2], :process 1, :time 5}\n"
		     "{:type :ok, :f :write, :value [1 2], :process 1, :time 4}\n",
		     "line 2: :time 4 goes back");
	expect_error("{:type :invoke, :f :write, :value [1 2], :process 1, :time 5}\n"
		     "{:type :ok, :f :cas, :value [1 [2 3]], :process 1, :time 6}\n",
		     "line 2: process 1 completes :cas, but its open op is :write");
	/* Keys this reader does not use are skipped, strings and all. */
	h = read_back("{:type :invoke, :f :write, :value [1 2], :process 1, :time 5, :index 0}\n"
		      "{:type :info, :f :write, :value [1 2], :process 1, :time 8, "
		      ":error \"timed \\\"out\\\", {[\", :retried false}\n",
		      &err, errbuf, sizeof(errbuf));
	assert_int_equal(err, 0);
	assert_int_equal(fl_history_len(h), 1);
	assert_int_equal(fl_history_op(h, 0)->type, FL_HOP_INFO);
	assert_int_equal(fl_history_op(h, 0)->complete_ns, 8);
	fl_history_free(h);
	expect_error("{:type :ok, :f :write, :error \"unterminated}\n", "not an EDN map");
	/* An empty map: a bank read that saw no account. */
	h = read_back("{:type :invoke, :f :read, :value nil, :process 1, :time 5}\n"
		      "{:type :ok, :f :read, :value {}, :process 1, :time 8}\n",
		      &err, errbuf, sizeof(errbuf));
	assert_int_equal(err, 0);
	assert_int_equal(fl_history_op(h, 0)->f, FL_HOP_BANK_READ);
	assert_int_equal(fl_history_op(h, 0)->n_balances, 0);
	fl_history_free(h);
	/* An op that never completed is indeterminate. */
	h = read_back("{:type :invoke, :f :write, :value [1 2], :process 1, :time 5}\n"
		      "{:type :invoke, :f :read, :value [1 nil], :process 2, :time 7}\n"
		      "{:type :ok, :f :read, :value [1 2], :process 2, :time 9}\n",
		      &err, errbuf, sizeof(errbuf));
	assert_int_equal(err, 0);
	assert_int_equal(fl_history_len(h), 2);
	assert_int_equal(fl_history_op(h, 0)->type, FL_HOP_INFO);
	assert_int_equal(fl_history_op(h, 0)->complete_ns, 9);
	assert_int_equal(fl_history_op(h, 1)->value, 2);
	fl_history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_lines_and_a_round_trip_of_each_kind),
		cmocka_unit_test(test_a_process_hands_over_at_one_instant),
		cmocka_unit_test(test_a_random_history_round_trips_and_judges_alike),
		cmocka_unit_test(test_the_readers_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
