// SPDX-License-Identifier: GPL-2.0-only
/*
 * The measurements of `faultline rpo` on hand-made histories: the set
 * checker's classes, RPO in time, writes and bytes, RTO phases, the return
 * to steady throughput, and trial statistics.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <faultline/rpo.h>

#define MS 1000000ull

static struct fl_op op(uint64_t id, uint64_t ack_ms, enum fl_op_outcome outcome)
{
	return (struct fl_op){ .id = id, .invoke_ns = ack_ms * MS - MS / 2,
			       .complete_ns = ack_ms * MS, .len = 100, .outcome = outcome };
}

static void test_acknowledged_writes_absent_or_corrupt_are_lost(void **state)
{
	/* Writes 1..6 acknowledged at 10..60 ms, fault at 65 ms. */
	struct fl_op ops[] = {
		op(1, 10, FL_OP_OK), op(2, 20, FL_OP_OK), op(3, 30, FL_OP_OK),
		op(4, 40, FL_OP_OK), op(5, 50, FL_OP_OK), op(6, 60, FL_OP_OK),
	};
	/* 4 is absent, 5 corrupt: lost; 6 survived. */
	struct fl_readback back[] = {
		{ 1, true }, { 2, true }, { 3, true }, { 5, false }, { 6, true },
	};
	struct fl_check c;

	(void)state;
	assert_int_equal(fl_rpo_check(ops, 6, back, 5, 65 * MS, &c), 0);
	assert_int_equal(c.acknowledged, 6);
	assert_int_equal(c.lost, 2);
	assert_int_equal(c.lost_corrupt, 1);
	assert_int_equal(c.unexpected, 0);
	/* RPO from the oldest lost acknowledgement (4 at 40 ms) to the fault. */
	assert_int_equal(c.rpo_ns, 25 * MS);
	assert_int_equal(c.rpo_writes, 2);
	assert_int_equal(c.rpo_bytes, 200);
	assert_int_equal(c.oldest_lost_id, 4);
	assert_int_equal(c.n_lost_sample, 2);
	assert_int_equal(c.lost_sample[0], 4);
	assert_int_equal(c.lost_sample[1], 5);
}

static void test_nothing_lost_gives_rpo_zero(void **state)
{
	struct fl_op ops[] = { op(1, 10, FL_OP_OK), op(2, 20, FL_OP_UNKNOWN) };
	struct fl_readback back[] = { { 1, true } };
	struct fl_check c;

	(void)state;
	assert_int_equal(fl_rpo_check(ops, 2, back, 1, 30 * MS, &c), 0);
	assert_int_equal(c.lost, 0);
	assert_int_equal(c.rpo_ns, 0);
	assert_int_equal(c.rpo_writes, 0);
	assert_int_equal(c.unknown, 1);
	assert_int_equal(c.recovered, 0);
}

/* Issue 12: a zero-loss gate passed with "1 lost" when the loss came after the fault. */
static void test_a_write_lost_after_the_fault_fails_a_zero_rpo_objective(void **state)
{
	/* Fault at 25 ms; 3 is acknowledged at 30 ms (after it) and lost. */
	struct fl_op ops[] = { op(1, 10, FL_OP_OK), op(2, 20, FL_OP_OK), op(3, 30, FL_OP_OK) };
	struct fl_readback back[] = { { 1, true }, { 2, true } };
	struct fl_check c;

	(void)state;
	assert_int_equal(fl_rpo_check(ops, 3, back, 2, 25 * MS, &c), 0);
	assert_int_equal(c.lost, 1);
	/* The window ends at the fault: nothing before it was lost. */
	assert_int_equal(c.rpo_ns, 0);
	assert_int_equal(c.rpo_writes, 1);
	/* The loss after the fault is counted apart, with how far after it. */
	assert_int_equal(c.lost_after_fault, 1);
	assert_int_equal(c.after_fault_ns, 5 * MS);
	/* --rpo-max 0s: met only when nothing acknowledged was lost. */
	assert_false(fl_rpo_rpo_met(&c, 0));
	/* A non-zero objective is on the window, which is 0. */
	assert_true(fl_rpo_rpo_met(&c, 1 * MS));
	/* --lost-max is on the count. */
	assert_false(fl_rpo_lost_met(&c, 0));
	assert_true(fl_rpo_lost_met(&c, 1));
	assert_true(fl_rpo_lost_met(&c, UINT64_MAX));
}

static void test_losses_straddling_the_fault_split_window_and_count(void **state)
{
	/* Fault at 35 ms: 2 (20 ms) lost before it, 4 (40) and 5 (50) after it. */
	struct fl_op ops[] = {
		op(1, 10, FL_OP_OK), op(2, 20, FL_OP_OK), op(3, 30, FL_OP_OK),
		op(4, 40, FL_OP_OK), op(5, 50, FL_OP_OK),
	};
	struct fl_readback back[] = { { 1, true }, { 3, true } };
	struct fl_check c;

	(void)state;
	assert_int_equal(fl_rpo_check(ops, 5, back, 2, 35 * MS, &c), 0);
	assert_int_equal(c.lost, 3);
	assert_int_equal(c.rpo_ns, 15 * MS);
	assert_int_equal(c.oldest_lost_id, 2);
	assert_int_equal(c.lost_after_fault, 2);
	assert_int_equal(c.after_fault_ns, 15 * MS);
	assert_false(fl_rpo_rpo_met(&c, 0));
	assert_false(fl_rpo_rpo_met(&c, 10 * MS));
	assert_true(fl_rpo_rpo_met(&c, 15 * MS));
}

static void test_nothing_lost_meets_zero_objectives(void **state)
{
	struct fl_op ops[] = { op(1, 10, FL_OP_OK), op(2, 30, FL_OP_OK) };
	struct fl_readback back[] = { { 1, true }, { 2, true } };
	struct fl_check c;

	(void)state;
	assert_int_equal(fl_rpo_check(ops, 2, back, 2, 20 * MS, &c), 0);
	assert_int_equal(c.lost_after_fault, 0);
	assert_int_equal(c.after_fault_ns, 0);
	assert_true(fl_rpo_rpo_met(&c, 0));
	assert_true(fl_rpo_lost_met(&c, 0));
}

static void test_unknown_or_failed_but_present_are_recovered(void **state)
{
	struct fl_op ops[] = {
		op(1, 10, FL_OP_OK), op(2, 20, FL_OP_UNKNOWN), op(3, 30, FL_OP_FAIL),
		op(4, 40, FL_OP_FAIL),
	};
	/* 9 was never written, 0 is an unparseable record, 1 comes back twice. */
	struct fl_readback back[] = {
		{ 9, true }, { 1, true }, { 2, true }, { 3, true }, { 0, false }, { 1, true },
	};
	struct fl_check c;

	(void)state;
	assert_int_equal(fl_rpo_check(ops, 4, back, 6, 50 * MS, &c), 0);
	assert_int_equal(c.attempted, 4);
	assert_int_equal(c.recovered, 2);
	assert_int_equal(c.recovered_failed, 1);
	assert_int_equal(c.unexpected, 2);
	assert_int_equal(c.duplicates, 1);
	assert_int_equal(c.lost, 0);
}

static void test_rto_and_steady_state_from_buckets(void **state)
{
	struct fl_op ops[64];
	struct fl_rto rto = { .fault_ns = 1000 * MS };
	size_t n = 0;

	(void)state;
	/* Before the fault: 10 acks per 100 ms from 500 ms on (warm-up ends at 500). */
	for (uint64_t t = 500; t < 1000; t += 10, n++)
		ops[n] = op(n + 1, t, FL_OP_OK);
	/* After: 2 acks in the bucket from 1300 ms, then 9 per 100 ms from 1400 ms. */
	ops[n] = op(n + 1, 1300, FL_OP_OK), n++;
	ops[n] = op(n + 1, 1350, FL_OP_OK), n++;
	for (uint64_t t = 1400; t < 1500; t += 11, n++)
		ops[n] = op(n + 1, t, FL_OP_OK);
	ops[n] = op(n + 1, 1550, FL_OP_OK), n++;
	assert_true(n <= 64);
	fl_rpo_recovery(ops, n, 500 * MS, &rto);
	assert_int_equal(rto.first_ok_ns, 1300 * MS);
	assert_int_equal(fl_rpo_rto_ns(&rto), 300 * MS);
	/* 9 >= 0.9 * 10: the bucket starting 100 ms after the first ok. */
	assert_int_equal(rto.steady_ns, 1400 * MS);
}

/*
 * A network fault (healed_ns set): the service never went away, so the
 * first write acknowledged at or after the heal ends the window, even one
 * invoked during the fault and let through by the heal; without the heal
 * it would count only from a write invoked after the fault.
 */
static void test_a_network_fault_ends_at_the_first_ack_after_the_heal(void **state)
{
	struct fl_op ops[] = {
		op(1, 90, FL_OP_OK),
		/* invoked at 120 ms (during the fault), held, acknowledged at 1250 ms */
		{ .id = 2, .invoke_ns = 120 * MS, .complete_ns = 1250 * MS, .len = 100,
		  .outcome = FL_OP_OK },
		/* acknowledged during the fault: before the heal, not the way back */
		op(3, 500, FL_OP_OK),
		op(4, 1300, FL_OP_OK),
	};
	struct fl_rto rto = { .fault_ns = 100 * MS, .healed_ns = 1100 * MS };

	(void)state;
	fl_rpo_recovery(ops, 4, 0, &rto);
	assert_int_equal(rto.first_ok_ns, 1250 * MS);
	assert_int_equal(fl_rpo_rto_ns(&rto), 1150 * MS);
	rto = (struct fl_rto){ .fault_ns = 100 * MS };
	fl_rpo_recovery(ops, 4, 0, &rto);
	assert_int_equal(rto.first_ok_ns, 500 * MS);
}

static void test_no_write_after_the_fault_has_no_rto(void **state)
{
	struct fl_op ops[] = { op(1, 10, FL_OP_OK), op(2, 60, FL_OP_FAIL) };
	struct fl_rto rto = { .fault_ns = 50 * MS };

	(void)state;
	fl_rpo_recovery(ops, 2, 0, &rto);
	assert_int_equal(rto.first_ok_ns, 0);
	assert_int_equal(rto.steady_ns, 0);
	assert_true(fl_rpo_rto_ns(&rto) == UINT64_MAX);
}

static void test_trial_statistics_use_nearest_rank(void **state)
{
	uint64_t v[20];
	struct fl_rpo_stats st;

	(void)state;
	for (int i = 0; i < 20; i++)
		v[i] = (uint64_t)(20 - i); /* 20..1 */
	assert_int_equal(fl_rpo_stats(v, 20, &st), 0);
	assert_int_equal(st.min, 1);
	assert_int_equal(st.max, 20);
	assert_int_equal(st.median, 10);
	assert_int_equal(st.p95, 19);
	assert_int_equal(st.mean, 10); /* 10.5 truncated */
	assert_int_equal(fl_rpo_stats(v, 1, &st), 0);
	assert_int_equal(st.p95, 20);
	assert_int_equal(fl_rpo_stats(v, 0, &st), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acknowledged_writes_absent_or_corrupt_are_lost),
		cmocka_unit_test(test_nothing_lost_gives_rpo_zero),
		cmocka_unit_test(test_a_write_lost_after_the_fault_fails_a_zero_rpo_objective),
		cmocka_unit_test(test_losses_straddling_the_fault_split_window_and_count),
		cmocka_unit_test(test_nothing_lost_meets_zero_objectives),
		cmocka_unit_test(test_unknown_or_failed_but_present_are_recovered),
		cmocka_unit_test(test_rto_and_steady_state_from_buckets),
		cmocka_unit_test(test_no_write_after_the_fault_has_no_rto),
		cmocka_unit_test(test_a_network_fault_ends_at_the_first_ack_after_the_heal),
		cmocka_unit_test(test_trial_statistics_use_nearest_rank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
