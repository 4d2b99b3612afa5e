// SPDX-License-Identifier: GPL-2.0-only
/*
 * Point-in-time restore exactness, from hand-made histories: what a
 * restore to T must hold (acknowledged at or before T), must not hold
 * (invoked after T) and may hold either way (in flight at T, failed,
 * unknown), with the violating ids of each kind.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/backup.h>

#define MS (1000ull * 1000)

/* Write id, invoked at inv ms, answered at done ms. */
static struct fl_op op(uint64_t id, uint64_t inv, uint64_t done, enum fl_op_outcome outcome)
{
	return (struct fl_op){
		.id = id, .invoke_ns = inv * MS, .complete_ns = done * MS, .len = 100,
		.outcome = outcome,
	};
}

/* Writes 1..5 acknowledged 10 ms apart (invoked 2 ms before), 6 in flight at T = 55. */
static void history(struct fl_op ops[6])
{
	for (uint64_t i = 1; i <= 5; i++)
		ops[i - 1] = op(i, i * 10 - 2, i * 10, FL_OP_OK);
	ops[5] = op(6, 54, 58, FL_OP_OK);
}

static void test_an_exact_restore_has_no_violation(void **state)
{
	struct fl_op ops[6];
	/* 5 acknowledged at 50 must be there; 6 (in flight) is not */
	struct fl_readback back[] = { { 3, true }, { 1, true }, { 2, true }, { 5, true }, { 4, true } };
	struct fl_backup_pitr p;

	(void)state;
	history(ops);
	assert_int_equal(fl_backup_pitr_check(ops, 6, back, 5, 55 * MS, 0, &p), 0);
	assert_true(fl_backup_pitr_exact(&p));
	assert_int_equal(p.attempted, 6);
	assert_int_equal(p.must_have, 5);
	assert_int_equal(p.must_not, 0);
	assert_int_equal(p.in_flight, 1);
	assert_int_equal(p.in_flight_present, 0);
	assert_int_equal(p.missing, 0);
	assert_int_equal(p.future, 0);
	assert_int_equal(p.n_missing_ids, 0);
	assert_int_equal(p.n_future_ids, 0);
	assert_int_equal(p.unexpected, 0);
	assert_int_equal(p.newest_id, 5);
	assert_int_equal(p.newest_ack_ns, 50 * MS);
	assert_int_equal(p.rpo_ns, 0);
	fl_backup_pitr_release(&p);
	assert_null(p.missing_ids);
}

static void test_a_missing_acknowledged_write_is_named(void **state)
{
	struct fl_op ops[6];
	/* 2 is gone and 4 came back corrupt */
	struct fl_readback back[] = { { 1, true }, { 3, true }, { 4, false }, { 5, true } };
	struct fl_backup_pitr p;

	(void)state;
	history(ops);
	assert_int_equal(fl_backup_pitr_check(ops, 6, back, 4, 55 * MS, 0, &p), 0);
	assert_false(fl_backup_pitr_exact(&p));
	assert_int_equal(p.missing, 2);
	assert_int_equal(p.missing_corrupt, 1);
	assert_int_equal(p.n_missing_ids, 2);
	assert_int_equal(p.missing_ids[0], 2);
	assert_int_equal(p.missing_ids[1], 4);
	assert_int_equal(p.future, 0);
	/* from T back to the acknowledgement of the oldest missing write (2, at 20) */
	assert_int_equal(p.rpo_ns, 35 * MS);
	assert_int_equal(p.newest_id, 5);
	fl_backup_pitr_release(&p);
}

static void test_a_write_invoked_after_the_target_must_be_absent(void **state)
{
	struct fl_op ops[6];
	struct fl_readback back[] = { { 1, true }, { 2, true }, { 3, true }, { 4, true }, { 5, true } };
	struct fl_backup_pitr p;

	(void)state;
	history(ops);
	/* T = 35: 4 (invoked 38) and 5 (48) are from after the target, 6 (54) too */
	assert_int_equal(fl_backup_pitr_check(ops, 6, back, 5, 35 * MS, 0, &p), 0);
	assert_false(fl_backup_pitr_exact(&p));
	assert_int_equal(p.must_have, 3);
	assert_int_equal(p.must_not, 3);
	assert_int_equal(p.in_flight, 0);
	assert_int_equal(p.missing, 0);
	assert_int_equal(p.future, 2);
	assert_int_equal(p.n_future_ids, 2);
	assert_int_equal(p.future_ids[0], 4);
	assert_int_equal(p.future_ids[1], 5);
	/* the newest restorable write is 5, whatever side of T it lies */
	assert_int_equal(p.newest_id, 5);
	assert_int_equal(p.rpo_ns, 0);
	fl_backup_pitr_release(&p);

	/* corrupt still counts as there: a future write left traces */
	back[3].intact = false;
	assert_int_equal(fl_backup_pitr_check(ops, 6, back, 5, 35 * MS, 0, &p), 0);
	assert_int_equal(p.future, 2);
	fl_backup_pitr_release(&p);
}

static void test_the_boundary_and_in_flight_writes_go_either_way(void **state)
{
	struct fl_op ops[] = {
		op(1, 10, 30, FL_OP_OK),      /* acknowledged exactly at T: must be there */
		op(2, 20, 31, FL_OP_OK),      /* acknowledged 1 ms after T: in flight */
		op(3, 30, 40, FL_OP_OK),      /* invoked exactly at T: in flight */
		op(4, 30, 40, FL_OP_OK),
		op(5, 31, 40, FL_OP_OK),      /* invoked after T: must be absent */
	};
	struct fl_readback with[] = { { 1, true }, { 2, true }, { 3, true } };
	struct fl_readback without[] = { { 1, true } };
	struct fl_backup_pitr p;

	(void)state;
	assert_int_equal(fl_backup_pitr_check(ops, 5, with, 3, 30 * MS, 0, &p), 0);
	assert_true(fl_backup_pitr_exact(&p));
	assert_int_equal(p.must_have, 1);
	assert_int_equal(p.in_flight, 3);
	assert_int_equal(p.in_flight_present, 2);
	assert_int_equal(p.must_not, 1);
	assert_int_equal(p.newest_id, 3);
	assert_int_equal(p.newest_ack_ns, 40 * MS);
	fl_backup_pitr_release(&p);

	assert_int_equal(fl_backup_pitr_check(ops, 5, without, 1, 30 * MS, 0, &p), 0);
	assert_true(fl_backup_pitr_exact(&p));
	assert_int_equal(p.in_flight_present, 0);
	assert_int_equal(p.newest_id, 1);
	fl_backup_pitr_release(&p);

	/* without 1 the restore misses the write acknowledged at T */
	assert_int_equal(fl_backup_pitr_check(ops, 5, with + 1, 2, 30 * MS, 0, &p), 0);
	assert_int_equal(p.missing, 1);
	assert_int_equal(p.missing_ids[0], 1);
	fl_backup_pitr_release(&p);

	/* a 1 ms slack makes 1 and 5 unsure too */
	assert_int_equal(fl_backup_pitr_check(ops, 5, with + 1, 2, 30 * MS, 1 * MS, &p), 0);
	assert_true(fl_backup_pitr_exact(&p));
	assert_int_equal(p.must_have, 0);
	assert_int_equal(p.must_not, 0);
	assert_int_equal(p.in_flight, 5);
	fl_backup_pitr_release(&p);
}

static void test_failed_unknown_and_strangers(void **state)
{
	struct fl_op ops[] = {
		op(1, 10, 12, FL_OP_OK),
		op(2, 14, 15, FL_OP_FAIL),    /* before T, refused: either way */
		op(3, 16, 90, FL_OP_UNKNOWN), /* before T, never answered: either way */
		op(4, 18, 19, FL_OP_UNKNOWN),
		op(5, 60, 61, FL_OP_FAIL),    /* after T, even refused: must be absent */
	};
	/* 9 was never written, 0 is an unparseable record, 1 comes back twice */
	struct fl_readback back[] = {
		{ 1, true }, { 2, true }, { 3, true }, { 9, true }, { 0, false }, { 1, true },
		{ 5, true },
	};
	struct fl_backup_pitr p;

	(void)state;
	assert_int_equal(fl_backup_pitr_check(ops, 5, back, 7, 50 * MS, 0, &p), 0);
	assert_int_equal(p.must_have, 1);
	assert_int_equal(p.in_flight, 3);
	assert_int_equal(p.in_flight_present, 2);
	assert_int_equal(p.must_not, 1);
	assert_int_equal(p.future, 1);
	assert_int_equal(p.future_ids[0], 5);
	assert_int_equal(p.missing, 0);
	assert_int_equal(p.unexpected, 2);
	assert_int_equal(p.duplicates, 1);
	/* only acknowledged writes are restorable points */
	assert_int_equal(p.newest_id, 1);
	assert_int_equal(p.newest_ack_ns, 12 * MS);
	fl_backup_pitr_release(&p);
}

static void test_empty_history_and_empty_store(void **state)
{
	struct fl_op ops[2] = { op(1, 1, 2, FL_OP_OK), op(2, 3, 4, FL_OP_OK) };
	struct fl_readback back[] = { { 7, true } };
	struct fl_backup_pitr p;

	(void)state;
	assert_int_equal(fl_backup_pitr_check(NULL, 0, NULL, 0, 10 * MS, 0, &p), 0);
	assert_true(fl_backup_pitr_exact(&p));
	assert_int_equal(p.attempted, 0);
	assert_int_equal(p.newest_id, 0);
	assert_int_equal(p.newest_ack_ns, 0);
	assert_int_equal(p.rpo_ns, 0);
	fl_backup_pitr_release(&p);

	assert_int_equal(fl_backup_pitr_check(NULL, 0, back, 1, 10 * MS, 0, &p), 0);
	assert_true(fl_backup_pitr_exact(&p));
	assert_int_equal(p.unexpected, 1);
	fl_backup_pitr_release(&p);

	/* an empty store after writes acknowledged before T: all missing */
	assert_int_equal(fl_backup_pitr_check(ops, 2, NULL, 0, 10 * MS, 0, &p), 0);
	assert_int_equal(p.missing, 2);
	assert_int_equal(p.missing_ids[0], 1);
	assert_int_equal(p.missing_ids[1], 2);
	assert_int_equal(p.rpo_ns, 8 * MS);
	assert_int_equal(p.newest_id, 0);
	fl_backup_pitr_release(&p);

	/* a target before the clock's start with slack: nothing can be required */
	assert_int_equal(fl_backup_pitr_check(ops, 2, NULL, 0, 1 * MS, 5 * MS, &p), 0);
	assert_int_equal(p.must_have, 0);
	assert_int_equal(p.in_flight, 2);
	fl_backup_pitr_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_exact_restore_has_no_violation),
		cmocka_unit_test(test_a_missing_acknowledged_write_is_named),
		cmocka_unit_test(test_a_write_invoked_after_the_target_must_be_absent),
		cmocka_unit_test(test_the_boundary_and_in_flight_writes_go_either_way),
		cmocka_unit_test(test_failed_unknown_and_strangers),
		cmocka_unit_test(test_empty_history_and_empty_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
