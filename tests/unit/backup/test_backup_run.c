// SPDX-License-Identifier: GPL-2.0-only
/*
 * The runner's pure parts: --fault and --restore texts, each backup's
 * newest write, the objectives and who caught a corruption, the summary
 * over trials, and the default schedules (which must parse).
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
#include "backup/run.h"

#define MS (1000ull * 1000)

static void test_fault_parse(void **state)
{
	struct fl_backup_config c;
	char why[256];

	(void)state;
	fl_backup_config_defaults(&c);
	assert_int_equal(c.fault, FL_BACKUP_FAULT_DISK_LOSS);
	assert_int_equal(fl_backup_fault_parse("corrupt=8", &c, why, sizeof(why)), 0);
	assert_int_equal(c.fault, FL_BACKUP_FAULT_CORRUPT);
	assert_int_equal(c.corrupt_blocks, 8);
	assert_int_equal(fl_backup_fault_parse("exec=rm -rf x", &c, why, sizeof(why)), 0);
	assert_string_equal(c.fault_cmd, "rm -rf x");
	assert_int_equal(fl_backup_fault_parse("drop-table", &c, why, sizeof(why)), 0);
	assert_int_equal(c.fault, FL_BACKUP_FAULT_DROP_TABLE);
	assert_int_equal(fl_backup_fault_parse("corrupt=0", &c, why, sizeof(why)), -EINVAL);
	assert_int_equal(fl_backup_fault_parse("exec=", &c, why, sizeof(why)), -EINVAL);
	assert_int_equal(fl_backup_fault_parse("powercut=1", &c, why, sizeof(why)), -EINVAL);
	assert_int_equal(fl_backup_fault_parse("disk", &c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "disk-loss"));
	/* A refusal leaves the configuration as it was. */
	assert_int_equal(c.fault, FL_BACKUP_FAULT_DROP_TABLE);
}

static void test_restore_parse(void **state)
{
	struct fl_backup_config c;
	char why[256];

	(void)state;
	fl_backup_config_defaults(&c);
	assert_int_equal(fl_backup_restore_parse("pitr=-10s", &c, why, sizeof(why)), 0);
	assert_true(c.pitr && c.pitr_before_fault);
	assert_int_equal(c.pitr_ns, 10000 * MS);
	assert_int_equal(fl_backup_restore_parse("pitr=1500ms", &c, why, sizeof(why)), 0);
	assert_true(c.pitr && !c.pitr_before_fault);
	assert_int_equal(c.pitr_ns, 1500 * MS);
	assert_int_equal(fl_backup_restore_parse("latest", &c, why, sizeof(why)), 0);
	assert_false(c.pitr);
	assert_int_equal(fl_backup_restore_parse("pitr=soon", &c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "column 6"));
	assert_int_equal(fl_backup_restore_parse("pitr=0s", &c, why, sizeof(why)), -EINVAL);
	assert_int_equal(fl_backup_restore_parse("newest", &c, why, sizeof(why)), -EINVAL);
}

static struct fl_op op(uint64_t id, uint64_t inv, uint64_t done, enum fl_op_outcome o)
{
	return (struct fl_op){ .id = id, .invoke_ns = inv * MS, .complete_ns = done * MS,
			       .outcome = o };
}

static void test_backup_newest(void **state)
{
	/* t0 = 1000 ms; acknowledgements at 1010, 1020 (failed: not it), 1030, 1050. */
	struct fl_op ops[] = {
		op(4, 1045, 1050, FL_OP_OK), op(1, 1005, 1010, FL_OP_OK),
		op(2, 1015, 1020, FL_OP_FAIL), op(3, 1025, 1030, FL_OP_OK),
	};
	struct fl_backup_record b[] = {
		{ .start_ns = 5 * MS }, { .start_ns = 25 * MS }, { .start_ns = 30 * MS },
		{ .start_ns = 60 * MS },
	};

	(void)state;
	assert_int_equal(fl_bk_backups_newest(b, 4, ops, 4, 1000 * MS), 0);
	assert_int_equal(b[0].newest_id, 0);
	assert_int_equal(b[1].newest_id, 1);
	/* Acknowledged at the very instant the backup began: not before it. */
	assert_int_equal(b[2].newest_id, 1);
	assert_int_equal(b[3].newest_id, 4);
}

static void test_judge(void **state)
{
	struct fl_backup_config c;
	struct fl_backup_trial t = { .restored = true, .rto_ns = 2000 * MS };

	(void)state;
	fl_backup_config_defaults(&c);
	t.verdict.rpo_ns = 3000 * MS;
	t.verdict.missing = 30;
	fl_bk_trial_judge(&t, &c);
	assert_true(t.rpo_met && t.rto_met && t.pitr_met && t.ok);
	c.rpo_max_ns = 1000 * MS;
	fl_bk_trial_judge(&t, &c);
	assert_false(t.rpo_met || t.ok);
	/* An objective of 0 wants nothing lost, even with an RPO of 0. */
	c.rpo_max_ns = 0;
	t.verdict.rpo_ns = 0;
	fl_bk_trial_judge(&t, &c);
	assert_false(t.rpo_met);
	/* A restore that failed misses the RTO whatever the numbers. */
	fl_backup_config_defaults(&c);
	t.restored = false;
	fl_bk_trial_judge(&t, &c);
	assert_false(t.rto_met || t.ok);
	/* A PITR must be exact. */
	t.restored = true;
	c.pitr = true;
	t.verdict.missing = 0;
	t.verdict.future = 1;
	fl_bk_trial_judge(&t, &c);
	assert_false(t.pitr_met || t.ok);
}

static void test_caught_by(void **state)
{
	struct fl_backup_config c;
	struct fl_backup_trial t = { .restored = true };

	(void)state;
	fl_backup_config_defaults(&c);
	c.fault = FL_BACKUP_FAULT_CORRUPT;
	/* Writes merely missing after the last backup are the RPO's, not damage seen. */
	t.verdict.missing = 12;
	fl_bk_trial_judge(&t, &c);
	assert_string_equal(t.caught_by, "none");
	t.tool_verify = FL_BACKUP_CHECK_FAILED;
	t.db_check = FL_BACKUP_CHECK_FAILED;
	t.corrupt_records = 2;
	fl_bk_trial_judge(&t, &c);
	assert_string_equal(t.caught_by, "tool-verify,db-check,checker");
	t.tool_verify = FL_BACKUP_CHECK_OK;
	t.db_check = FL_BACKUP_CHECK_OK;
	t.corrupt_records = 0;
	t.verdict.missing_corrupt = 1;
	fl_bk_trial_judge(&t, &c);
	assert_string_equal(t.caught_by, "checker");
}

static void test_summary(void **state)
{
	struct fl_backup_trial trials[3] = {
		{ .restored = true, .rto_ns = 300 * MS, .window_ns = 10 * MS },
		{ .restored = false },
		{ .restored = true, .rto_ns = 100 * MS, .window_ns = 30 * MS },
	};
	struct fl_backup_result r = { .trials = trials, .n_trials = 3 };
	struct fl_backup_summary s;

	(void)state;
	trials[0].verdict.missing = 5;
	trials[2].verdict.missing = 1;
	assert_int_equal(fl_backup_summarize(&r, &s), 0);
	assert_int_equal(s.restored, 2);
	assert_int_equal(s.rto_ns.min, 100 * MS);
	assert_int_equal(s.rto_ns.max, 300 * MS);
	assert_int_equal(s.lost.max, 5);
	r.n_trials = 2;
	trials[0].restored = false;
	assert_int_equal(fl_backup_summarize(&r, &s), -ENODATA);
}

/* Every strategy's default schedule parses, and asks only for kinds the strategy takes. */
static void test_default_schedules(void **state)
{
	const struct fl_backup_strategy *st;

	(void)state;
	for (size_t i = 0; (st = fl_backup_strategy_at(i)); i++) {
		struct fl_backup_schedule s;
		struct fl_backup_error err;

		assert_int_equal(fl_backup_schedule_parse(fl_bk_default_schedule(st), &s, &err), 0);
		for (size_t k = 0; k < s.n; k++)
			assert_true(st->kinds & (1u << s.entries[k].kind));
		assert_non_null(fl_bk_default_workload(st));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_parse),
		cmocka_unit_test(test_restore_parse),
		cmocka_unit_test(test_backup_newest),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_caught_by),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_default_schedules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
