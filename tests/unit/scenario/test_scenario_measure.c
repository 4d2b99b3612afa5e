// SPDX-License-Identifier: GPL-2.0-only
/*
 * The measurements of `faultline scenario run` as the header defines them,
 * on hand-made histories: unavailability (the first acknowledgement of a
 * write invoked once the fault is in place, from the fault's start; other
 * clients and failed or unknown writes do not count), availability (the
 * share of slices with an acknowledgement), split-brain evidence (a, b, a
 * within a second; a failover or a late failback is none), and a trial's
 * length from a scenario file (duration:, else the last at: or every:'s
 * for:, or 5 nemesis intervals, + 10 s). No privileges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/scenario.h>
#include <faultline/scenario_run.h>

#define MS   1000000ull
#define SEC  (1000ull * MS)
/* CLOCK_MONOTONIC times are never 0: start the histories well after it. */
#define BASE (1000ull * SEC)

static struct fl_op op(uint32_t client, uint32_t target, uint64_t invoke, uint64_t complete,
		       enum fl_op_outcome outcome)
{
	static uint64_t id;

	return (struct fl_op){ .id = ++id, .client = client, .target = target, .invoke_ns = invoke,
			       .complete_ns = complete, .outcome = outcome,
			       .err = outcome == FL_OP_OK ? 0 : 5 };
}

/* --- unavailability ------------------------------------------------------ */

static void test_unavailability_first_ack_after_in_effect(void **state)
{
	const uint64_t fault = BASE + 1 * SEC, in_effect = BASE + 1 * SEC + 500 * MS;
	struct fl_op ops[] = {
		/* before the fault: proves nothing */
		op(0, 0, BASE, BASE + 10 * MS, FL_OP_OK),
		/* sent before the fault was in place, acked after it: not counted */
		op(0, 0, BASE + 1400 * MS, BASE + 1600 * MS, FL_OP_OK),
		/* invoked once in place, acked late */
		op(0, 1, in_effect + 100 * MS, BASE + 4 * SEC, FL_OP_OK),
		/* invoked later, acked earlier: this is the first acknowledgement */
		op(0, 1, in_effect + 200 * MS, BASE + 3 * SEC, FL_OP_OK),
		/* another client's ack, earlier still: not client 0's */
		op(1, 1, in_effect, BASE + 2 * SEC, FL_OP_OK),
		/* client 0's failed and unknown writes, earlier: not acknowledged */
		op(0, 1, in_effect, BASE + 1700 * MS, FL_OP_FAIL),
		op(0, 1, in_effect + 1, BASE + 1800 * MS, FL_OP_UNKNOWN),
	};
	size_t n = sizeof(ops) / sizeof(ops[0]);

	(void)state;
	/* Measured from the fault's start, not from when it was in place. */
	assert_int_equal(fl_scenario_unavailability(ops, n, 0, fault, in_effect), 2 * SEC);
	assert_int_equal(fl_scenario_unavailability(ops, n, 1, fault, in_effect), 1 * SEC);
	/* A client with no write at all, or none acked after: never back. */
	assert_true(fl_scenario_unavailability(ops, n, 2, fault, in_effect) == UINT64_MAX);
	assert_true(fl_scenario_unavailability(ops, n, 0, fault, BASE + 10 * SEC) == UINT64_MAX);
	assert_true(fl_scenario_unavailability(NULL, 0, 0, fault, in_effect) == UINT64_MAX);
}

static void test_unavailability_edges(void **state)
{
	const uint64_t fault = BASE + 1 * SEC;
	struct fl_op ops[] = {
		/* invoked exactly as the fault is in place: counts ("at or after") */
		op(0, 0, fault, fault + 30 * MS, FL_OP_OK),
	};
	struct fl_op only_failed[] = {
		op(0, 0, fault, fault + 10 * MS, FL_OP_FAIL),
		op(0, 0, fault + 20 * MS, fault + 30 * MS, FL_OP_UNKNOWN),
	};

	(void)state;
	assert_int_equal(fl_scenario_unavailability(ops, 1, 0, fault, fault), 30 * MS);
	/* One ns later in place: that write was sent before, it proves nothing. */
	assert_true(fl_scenario_unavailability(ops, 1, 0, fault, fault + 1) == UINT64_MAX);
	assert_true(fl_scenario_unavailability(only_failed, 2, 0, fault, fault) == UINT64_MAX);
}

/* --- availability -------------------------------------------------------- */

static void test_availability_share_of_slices(void **state)
{
	const uint64_t from = BASE, to = BASE + 10 * SEC, slice = 1 * SEC;
	struct fl_op ops[] = {
		/* slices 0, 3 (twice: counted once), 9 */
		op(0, 0, BASE, BASE + 100 * MS, FL_OP_OK),
		op(0, 0, BASE + 3 * SEC, BASE + 3 * SEC + 1, FL_OP_OK),
		op(1, 0, BASE + 3 * SEC, BASE + 3 * SEC + 900 * MS, FL_OP_OK),
		op(0, 0, BASE + 9 * SEC, to - 1, FL_OP_OK),
		/* failed and unknown: slices 5 and 6 stay down */
		op(0, 0, BASE + 5 * SEC, BASE + 5 * SEC + 1, FL_OP_FAIL),
		op(0, 0, BASE + 6 * SEC, BASE + 6 * SEC + 1, FL_OP_UNKNOWN),
		/* acknowledged outside [from, to): before, and exactly at to */
		op(0, 0, BASE - 2 * SEC, BASE - 1, FL_OP_OK),
		op(0, 0, to - 1 * MS, to, FL_OP_OK),
		op(0, 0, to + SEC, to + 2 * SEC, FL_OP_OK),
	};

	(void)state;
	assert_int_equal(fl_scenario_availability(ops, sizeof(ops) / sizeof(ops[0]), from, to, slice),
			 300000);
	/* Every slice with an ack: 100%. */
	{
		struct fl_op all[10];

		for (unsigned i = 0; i < 10; i++)
			all[i] = op(i % 3, 0, from + i * slice, from + i * slice + 5 * MS, FL_OP_OK);
		assert_int_equal(fl_scenario_availability(all, 10, from, to, slice), 1000000);
	}
}

static void test_availability_edges(void **state)
{
	struct fl_op one[] = { op(0, 0, BASE, BASE + 50 * MS, FL_OP_OK) };
	struct fl_op late[] = { op(0, 0, BASE, BASE + 100 * MS, FL_OP_OK) };
	struct fl_op tail[] = { op(0, 0, BASE, BASE + 220 * MS, FL_OP_OK) };

	(void)state;
	/* No history: nothing acknowledged. */
	assert_int_equal(fl_scenario_availability(NULL, 0, BASE, BASE + SEC, 100 * MS), 0);
	/* An empty or reversed window, or no slice: 0, not a division by zero. */
	assert_int_equal(fl_scenario_availability(one, 1, BASE, BASE, 100 * MS), 0);
	assert_int_equal(fl_scenario_availability(one, 1, BASE + SEC, BASE, 100 * MS), 0);
	assert_int_equal(fl_scenario_availability(one, 1, BASE, BASE + SEC, 0), 0);
	/* One slice: up, or down. */
	assert_int_equal(fl_scenario_availability(one, 1, BASE, BASE + 100 * MS, 100 * MS), 1000000);
	assert_int_equal(fl_scenario_availability(late, 1, BASE, BASE + 100 * MS, 100 * MS), 0);
	/* A window shorter than a slice is one slice. */
	assert_int_equal(fl_scenario_availability(one, 1, BASE, BASE + 60 * MS, 100 * MS), 1000000);
	/* A partial last slice counts as a slice: 1 of 3. */
	assert_int_equal(fl_scenario_availability(tail, 1, BASE, BASE + 250 * MS, 100 * MS), 333333);
}

/* --- split brain --------------------------------------------------------- */

/* Append target's acknowledged writes every 100 ms over [from, to], 5 ms each. */
static size_t acks(struct fl_op *ops, size_t n, uint32_t target, uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 100 * MS, n++)
		ops[n] = op((uint32_t)(n % 4), target, BASE + t, BASE + t + 5 * MS, FL_OP_OK);
	return n;
}

/* Targets acknowledge in turn: target k % n at BASE + k * step, invoked 5 ms before. */
static size_t round_robin(struct fl_op *ops, size_t count, unsigned n, uint64_t step)
{
	for (size_t k = 0; k < count; k++)
		ops[k] = op((uint32_t)(k % 4), (uint32_t)(k % n), BASE + k * step + 5 * MS,
			    BASE + k * step + 10 * MS, FL_OP_OK);
	return count;
}

static void test_split_brain_interleave_flagged(void **state)
{
	struct fl_scenario_split sp[FL_SCENARIO_SPLIT_MAX];
	struct fl_op ops[] = {
		op(0, 0, BASE + 90 * MS, BASE + 100 * MS, FL_OP_OK),
		op(1, 1, BASE + 150 * MS, BASE + 200 * MS, FL_OP_OK),
		op(0, 0, BASE + 250 * MS, BASE + 300 * MS, FL_OP_OK),
	};

	(void)state;
	assert_int_equal(fl_scenario_split_brain(ops, 3, sp, FL_SCENARIO_SPLIT_MAX), 1);
	assert_int_equal(sp[0].a, 0);
	assert_int_equal(sp[0].b, 1);
	/* From a's acknowledgement before b's to a's after it. */
	assert_int_equal(sp[0].from_ns, BASE + 100 * MS);
	assert_int_equal(sp[0].to_ns, BASE + 300 * MS);

	/* b, a, b: the same pair, named lowest first. */
	{
		struct fl_op rev[] = {
			op(0, 2, BASE + 90 * MS, BASE + 100 * MS, FL_OP_OK),
			op(1, 1, BASE + 150 * MS, BASE + 200 * MS, FL_OP_OK),
			op(0, 2, BASE + 250 * MS, BASE + 300 * MS, FL_OP_OK),
		};

		assert_int_equal(fl_scenario_split_brain(rev, 3, sp, FL_SCENARIO_SPLIT_MAX), 1);
		assert_int_equal(sp[0].a, 1);
		assert_int_equal(sp[0].b, 2);
	}
	/* The order of the history does not matter: acknowledgements are sorted. */
	{
		struct fl_op shuffled[] = { ops[2], ops[0], ops[1] };

		assert_int_equal(fl_scenario_split_brain(shuffled, 3, sp, FL_SCENARIO_SPLIT_MAX), 1);
		assert_int_equal(sp[0].from_ns, BASE + 100 * MS);
		assert_int_equal(sp[0].to_ns, BASE + 300 * MS);
	}
}

/* Two leaders alternating for 2 s: one pair, its window the whole stretch. */
static void test_split_brain_window_spans_the_stretch(void **state)
{
	struct fl_scenario_split sp[FL_SCENARIO_SPLIT_MAX];
	struct fl_op ops[40];
	size_t n = round_robin(ops, 40, 2, 50 * MS);

	(void)state;
	assert_int_equal(fl_scenario_split_brain(ops, n, sp, FL_SCENARIO_SPLIT_MAX), 1);
	assert_int_equal(sp[0].a, 0);
	assert_int_equal(sp[0].b, 1);
	assert_int_equal(sp[0].from_ns, ops[0].complete_ns);
	assert_int_equal(sp[0].to_ns, ops[39].complete_ns);
}

static void test_split_brain_failover_not_flagged(void **state)
{
	struct fl_scenario_split sp[FL_SCENARIO_SPLIT_MAX];
	struct fl_op ops[128];
	size_t n = 0;

	(void)state;
	/* a takes writes until 5 s ... */
	n = acks(ops, n, 0, 0, 5 * SEC);
	/* ... a write sent to a before the failover is acknowledged late, after b's first ... */
	ops[n++] = op(3, 0, BASE + 4990 * MS, BASE + 5400 * MS, FL_OP_OK);
	/* ... writes to a fail meanwhile ... */
	ops[n++] = op(2, 0, BASE + 5100 * MS, BASE + 5200 * MS, FL_OP_FAIL);
	ops[n++] = op(1, 0, BASE + 5150 * MS, BASE + 5250 * MS, FL_OP_UNKNOWN);
	/* ... b takes them from 5.3 s on. */
	n = acks(ops, n, 1, 5300 * MS, 10 * SEC);
	assert_true(n <= sizeof(ops) / sizeof(ops[0]));
	assert_int_equal(fl_scenario_split_brain(ops, n, sp, FL_SCENARIO_SPLIT_MAX), 0);
}

static void test_split_brain_failback_not_flagged(void **state)
{
	struct fl_scenario_split sp[FL_SCENARIO_SPLIT_MAX];
	struct fl_op ops[256];
	size_t n = 0;

	(void)state;
	/* a until 5 s, b from 5.5 s to 9 s, a again from 9.5 s (soon after b's last) */
	n = acks(ops, n, 0, 0, 5 * SEC);
	n = acks(ops, n, 1, 5500 * MS, 9 * SEC);
	n = acks(ops, n, 0, 9500 * MS, 12 * SEC);
	assert_true(n <= sizeof(ops) / sizeof(ops[0]));
	assert_int_equal(fl_scenario_split_brain(ops, n, sp, FL_SCENARIO_SPLIT_MAX), 0);

	/* a, then b, then a again after a gap of seconds: a failback, not two leaders. */
	{
		struct fl_op gap[] = {
			op(0, 0, BASE + 1 * SEC, BASE + 1 * SEC + 5 * MS, FL_OP_OK),
			op(0, 1, BASE + 2500 * MS, BASE + 2505 * MS, FL_OP_OK),
			op(0, 0, BASE + 4 * SEC, BASE + 4 * SEC + 5 * MS, FL_OP_OK),
		};

		assert_int_equal(fl_scenario_split_brain(gap, 3, sp, FL_SCENARIO_SPLIT_MAX), 0);
	}
}

static void test_split_brain_ignores_failed_and_unknown(void **state)
{
	struct fl_scenario_split sp[FL_SCENARIO_SPLIT_MAX];
	struct fl_op ops[] = {
		op(0, 0, BASE + 90 * MS, BASE + 100 * MS, FL_OP_OK),
		op(1, 1, BASE + 150 * MS, BASE + 200 * MS, FL_OP_FAIL),
		op(2, 1, BASE + 160 * MS, BASE + 210 * MS, FL_OP_UNKNOWN),
		op(0, 0, BASE + 250 * MS, BASE + 300 * MS, FL_OP_OK),
	};

	(void)state;
	assert_int_equal(fl_scenario_split_brain(ops, 4, sp, FL_SCENARIO_SPLIT_MAX), 0);
	assert_int_equal(fl_scenario_split_brain(NULL, 0, sp, FL_SCENARIO_SPLIT_MAX), 0);
}

/* Four nodes all taking writes: six pairs; at most max of them, the rest dropped. */
static void test_split_brain_more_pairs_than_max(void **state)
{
	static const unsigned want[6][2] = { { 0, 1 }, { 0, 2 }, { 0, 3 }, { 1, 2 }, { 1, 3 },
					     { 2, 3 } };
	struct fl_scenario_split sp[FL_SCENARIO_SPLIT_MAX], few[3];
	struct fl_op ops[16];
	size_t n = round_robin(ops, 16, 4, 10 * MS), found;

	(void)state;
	found = fl_scenario_split_brain(ops, n, sp, FL_SCENARIO_SPLIT_MAX);
	assert_int_equal(found, 6);
	for (size_t i = 0; i < 6; i++) {
		bool seen = false;

		for (size_t k = 0; k < found; k++)
			seen |= sp[k].a == want[i][0] && sp[k].b == want[i][1];
		if (!seen)
			fail_msg("pair n%u,n%u not flagged", want[i][0] + 1, want[i][1] + 1);
	}
	memset(few, 0xa5, sizeof(few));
	assert_int_equal(fl_scenario_split_brain(ops, n, few, 2), 2);
	for (size_t k = 0; k < 2; k++) {
		assert_true(few[k].a < few[k].b && few[k].b < 4);
		assert_true(few[k].from_ns >= BASE && few[k].to_ns > few[k].from_ns);
	}
	/* Nothing written past max. */
	assert_int_equal(few[2].a, 0xa5a5a5a5u);
	assert_int_equal(fl_scenario_split_brain(ops, n, few, 0), 0);
}

/* --- a trial's length ---------------------------------------------------- */

static uint64_t duration_of(const char *yaml)
{
	struct fl_scenario_errors errs;
	struct fl_scenario *s = NULL;
	uint64_t d;

	if (fl_scenario_parse(yaml, strlen(yaml), "d.yaml", &s, &errs)) {
		for (unsigned k = 0; k < errs.n; k++)
			print_message("  %s\n", errs.e[k].text);
		fail_msg("valid scenario refused");
	}
	d = fl_scenario_trial_duration(s);
	fl_scenario_free(s);
	return d;
}

static void test_trial_duration(void **state)
{
	(void)state;
	/* The file's duration: wins over the steps' end (+ 10 s would be 40 s). */
	assert_int_equal(duration_of("cluster: etcd\n"
				     "duration: 32s\n"
				     "steps:\n"
				     "  - {at: 30s, fault: crash, node: n1}\n"), 32 * SEC);
	assert_int_equal(duration_of("cluster: etcd\n"
				     "duration: 1500ms\n"
				     "nemesis: {faults: [crash], interval: 3s}\n"), 1500 * MS);
	/* The last at:, + 10 s. */
	assert_int_equal(duration_of("cluster: etcd\n"
				     "steps:\n"
				     "  - {at: 3s, fault: crash, node: n1}\n"
				     "  - {at: 7s, action: restart, node: n1}\n"), 17 * SEC);
	/* A step's duration: does not count (the 10 s cover it): 7 s, not 5 + 3. */
	assert_int_equal(duration_of("cluster: etcd\n"
				     "steps:\n"
				     "  - {at: 5s, fault: pause, node: n1, duration: 3s}\n"
				     "  - {at: 7s, fault: crash, node: n2}\n"), 17 * SEC);
	/* every: with for: ends at for:. */
	assert_int_equal(duration_of("cluster: etcd\n"
				     "steps:\n"
				     "  - {every: 2s, for: 20s, fault: crash, node: n1}\n"
				     "  - {at: 5s, fault: crash, node: n2}\n"), 30 * SEC);
	assert_int_equal(duration_of("cluster: etcd\n"
				     "steps:\n"
				     "  - {every: 2s, for: 20s, fault: pause, node: n1, duration: 1s}\n"),
			 30 * SEC);
	/* A nemesis runs 5 intervals ... */
	assert_int_equal(duration_of("cluster: etcd\n"
				     "nemesis: {faults: [crash, pause], interval: 3s, seed: 7}\n"),
			 25 * SEC);
	/* ... or longer when a step ends later; the later of the two wins. */
	assert_int_equal(duration_of("cluster: etcd\n"
				     "steps:\n"
				     "  - {at: 20s, fault: crash, node: n1}\n"
				     "nemesis: {faults: [crash], interval: 3s}\n"), 30 * SEC);
	assert_int_equal(duration_of("cluster: etcd\n"
				     "steps:\n"
				     "  - {at: 2s, fault: crash, node: n1}\n"
				     "nemesis: {faults: [crash], interval: 3s}\n"), 25 * SEC);
	/* Sub-second times add up exactly. */
	assert_int_equal(duration_of("cluster: etcd\n"
				     "steps:\n"
				     "  - {at: 1250ms, fault: pause, node: n1, duration: 1.5s}\n"),
			 11250 * MS);
}

/* The shipped examples all give their duration: explicitly. */
static void test_trial_duration_examples(void **state)
{
	static const struct {
		const char *file;
		uint64_t want;
	} ex[] = {
		{ "examples/scenarios/etcd-powercut-all.yaml", 20 * SEC },
		{ "examples/scenarios/etcd-leader-partition.yaml", 15 * SEC },
		{ "examples/scenarios/pg-async-failover.yaml", 20 * SEC },
		{ "examples/scenarios/pg-sync.yaml", 15 * SEC },
		{ "examples/scenarios/redis-sentinel-failover.yaml", 20 * SEC },
		{ "examples/scenarios/cascade.yaml", 25 * SEC },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		struct fl_scenario_errors errs;
		struct fl_scenario *s = NULL;
		int r = fl_scenario_load(ex[i].file, &s, &errs);

		if (r == -ENOENT) {
			print_message("skip: %s not found (run from the source tree)\n", ex[i].file);
			skip();
		}
		assert_int_equal(r, 0);
		if (fl_scenario_trial_duration(s) != ex[i].want)
			fail_msg("%s: %llu ns, expected %llu", ex[i].file,
				 (unsigned long long)fl_scenario_trial_duration(s),
				 (unsigned long long)ex[i].want);
		fl_scenario_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unavailability_first_ack_after_in_effect),
		cmocka_unit_test(test_unavailability_edges),
		cmocka_unit_test(test_availability_share_of_slices),
		cmocka_unit_test(test_availability_edges),
		cmocka_unit_test(test_split_brain_interleave_flagged),
		cmocka_unit_test(test_split_brain_window_spans_the_stretch),
		cmocka_unit_test(test_split_brain_failover_not_flagged),
		cmocka_unit_test(test_split_brain_failback_not_flagged),
		cmocka_unit_test(test_split_brain_ignores_failed_and_unknown),
		cmocka_unit_test(test_split_brain_more_pairs_than_max),
		cmocka_unit_test(test_trial_duration),
		cmocka_unit_test(test_trial_duration_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
