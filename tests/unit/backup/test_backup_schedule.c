// SPDX-License-Identifier: GPL-2.0-only
/*
 * The backup schedule: what parses, what is refused (exact message and
 * column, since the user has to find the mistake in a command line), and
 * the list of backups a runner walks for a given trial length.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/backup.h>

#define MS (1000ull * 1000)
#define S (1000 * MS)

static void parse_ok(const char *text, struct fl_backup_schedule *s)
{
	struct fl_backup_error err = { 0 };

	if (fl_backup_schedule_parse(text, s, &err))
		fail_msg("'%s' refused: %s", text, err.message);
}

static void refused(const char *text, unsigned column, const char *message)
{
	struct fl_backup_schedule s = { .n = 99 };
	struct fl_backup_error err = { 0 };

	assert_int_equal(fl_backup_schedule_parse(text, &s, &err), -EINVAL);
	assert_string_equal(err.message, message);
	assert_int_equal(err.column, column);
	/* ret untouched on failure */
	assert_int_equal(s.n, 99);
}

static void test_the_plans_example_parses(void **state)
{
	struct fl_backup_schedule s;

	(void)state;
	parse_ok("full@0s,incr@every:5s,diff@every:20s", &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.entries[0].kind, FL_BACKUP_FULL);
	assert_int_equal(s.entries[0].at_ns, 0);
	assert_int_equal(s.entries[0].every_ns, 0);
	assert_int_equal(s.entries[0].column, 1);
	assert_int_equal(s.entries[1].kind, FL_BACKUP_INCR);
	assert_int_equal(s.entries[1].at_ns, 5 * S);
	assert_int_equal(s.entries[1].every_ns, 5 * S);
	assert_int_equal(s.entries[1].column, 9);
	assert_int_equal(s.entries[2].kind, FL_BACKUP_DIFF);
	assert_int_equal(s.entries[2].at_ns, 20 * S);
	assert_int_equal(s.entries[2].every_ns, 20 * S);
	assert_int_equal(s.entries[2].column, 23);
}

static void test_once_snapshot_and_offsets(void **state)
{
	struct fl_backup_schedule s;

	(void)state;
	parse_ok("snapshot@1500ms", &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.entries[0].kind, FL_BACKUP_SNAPSHOT);
	assert_int_equal(s.entries[0].at_ns, 1500 * MS);
	assert_int_equal(s.entries[0].every_ns, 0);

	/* the every:5s series shifted by 2s: 7s, 12s, ... */
	parse_ok("incr@every:5s+2s", &s);
	assert_int_equal(s.entries[0].at_ns, 7 * S);
	assert_int_equal(s.entries[0].every_ns, 5 * S);

	parse_ok("full@every:1m+0s", &s);
	assert_int_equal(s.entries[0].at_ns, 60 * S);

	assert_string_equal(fl_backup_kind_name(FL_BACKUP_DIFF), "diff");
	assert_null(fl_backup_kind_name((enum fl_backup_kind)4));
}

static void test_kinds_are_checked_with_a_suggestion(void **state)
{
	(void)state;
	refused("full@0s,inc@every:5s", 9,
		"schedule: expected a backup kind (full, incr, diff, snapshot) at column 9, got 'inc'; did you mean 'incr'?");
	refused("snapshto@1s", 1,
		"schedule: expected a backup kind (full, incr, diff, snapshot) at column 1, got 'snapshto'; did you mean 'snapshot'?");
	refused("weekly@1s", 1,
		"schedule: expected a backup kind (full, incr, diff, snapshot) at column 1, got 'weekly'");
	refused("full@0s,@5s", 9,
		"schedule: expected a backup kind (full, incr, diff, snapshot) at column 9");
}

static void test_times_are_checked_where_they_stand(void **state)
{
	(void)state;
	refused("full", 5,
		"schedule: missing '@TIME' after 'full' at column 5 (as full@0s or full@every:10s)");
	refused("full@", 6, "schedule: missing time at column 6 (a duration such as 0s or 5s)");
	refused("full@0s,incr@5", 14,
		"schedule: invalid time '5' at column 14: missing unit (use ns, us, ms, s, m or h)");
	refused("incr@every:5x", 12,
		"schedule: invalid period '5x' at column 12: unknown unit (use ns, us, ms, s, m or h)");
	refused("incr@every:", 12,
		"schedule: missing period at column 12 (a duration such as 0s or 5s)");
	refused("incr@every:0s", 12, "schedule: every: needs a period above 0, got '0' at column 12");
	refused("incr@every:5s+", 15,
		"schedule: missing offset at column 15 (a duration such as 0s or 5s)");
	refused("incr@every:5s+2", 15,
		"schedule: invalid offset '2' at column 15: missing unit (use ns, us, ms, s, m or h)");
	refused("incr@evry:5s", 6, "schedule: unknown repeat 'evry' at column 6 (did you mean 'every'?)");
	refused("incr@at:5s", 6, "schedule: unknown repeat 'at' at column 6 (write every:DUR)");
}

static void test_the_list_itself_is_checked(void **state)
{
	char many[512] = "";

	(void)state;
	refused("", 1, "schedule: empty (write KIND@TIME,..., as full@0s,incr@every:5s)");
	refused("full@0s,", 9, "schedule: empty entry at column 9 (write KIND@TIME, as full@0s)");
	refused("full@0s,,incr@1s", 9, "schedule: empty entry at column 9 (write KIND@TIME, as full@0s)");
	refused("full@0s,incr@every:5s,full@0ms", 23,
		"schedule: duplicate entry at column 23 (the same as at column 1)");
	for (int i = 0; i < FL_BACKUP_SCHEDULE_MAX + 1; i++) {
		char one[16];

		snprintf(one, sizeof(one), "%sfull@%ds", i ? "," : "", i);
		strcat(many, one);
	}
	/* the 17th entry, "full@16s", begins after 10 of 8 bytes and 6 of 9 */
	refused(many, 10 * 8 + 6 * 9 + 1, "schedule: more than 16 entries, at column 135");
}

static void walk(const char *text, uint64_t length_ns, struct fl_backup_slot **slots, size_t *n)
{
	struct fl_backup_schedule s;
	char why[256] = "";

	parse_ok(text, &s);
	if (fl_backup_schedule_walk(&s, length_ns, slots, n, why, sizeof(why)))
		fail_msg("walk of '%s' failed: %s", text, why);
}

static void test_the_walk_is_in_time_order_full_diff_incr_at_ties(void **state)
{
	static const struct {
		uint64_t at_s;
		enum fl_backup_kind kind;
	} want[] = {
		{ 0, FL_BACKUP_FULL },  { 5, FL_BACKUP_INCR },  { 10, FL_BACKUP_INCR },
		{ 15, FL_BACKUP_INCR }, { 20, FL_BACKUP_DIFF }, { 20, FL_BACKUP_INCR },
		{ 25, FL_BACKUP_INCR }, { 30, FL_BACKUP_FULL }, { 30, FL_BACKUP_INCR },
		{ 35, FL_BACKUP_INCR }, { 40, FL_BACKUP_DIFF }, { 40, FL_BACKUP_INCR },
	};
	struct fl_backup_slot *slots;
	size_t n;

	(void)state;
	/* 45s: 45 itself is not within the load; the later entries first on purpose */
	walk("incr@every:5s,diff@every:20s,full@0s,full@30s", 45 * S, &slots, &n);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(slots[i].at_ns, want[i].at_s * S);
		assert_int_equal(slots[i].kind, want[i].kind);
	}
	assert_int_equal(slots[0].entry, 2);
	assert_int_equal(slots[4].entry, 1);
	free(slots);

	/* one more nanosecond and 45s is in */
	walk("incr@every:5s,diff@every:20s,full@0s,full@30s", 45 * S + 1, &slots, &n);
	assert_int_equal(n, 13);
	assert_int_equal(slots[12].at_ns, 45 * S);
	free(slots);
}

static void test_overlapping_series_list_a_backup_once(void **state)
{
	struct fl_backup_slot *slots;
	size_t n;

	(void)state;
	/* 10s, 20s: both series; 5s, 15s: only the first; 3s+7s offset: 10s again */
	walk("incr@every:5s,incr@every:10s,incr@every:7s+3s", 21 * S, &slots, &n);
	assert_int_equal(n, 5);
	assert_int_equal(slots[0].at_ns, 5 * S);
	assert_int_equal(slots[1].at_ns, 10 * S);
	assert_int_equal(slots[1].entry, 0);
	assert_int_equal(slots[2].at_ns, 15 * S);
	assert_int_equal(slots[3].at_ns, 17 * S);
	assert_int_equal(slots[3].entry, 2);
	assert_int_equal(slots[4].at_ns, 20 * S);
	free(slots);
}

static void test_an_entry_that_never_comes_due_is_refused(void **state)
{
	struct fl_backup_schedule s;
	struct fl_backup_slot *slots = (void *)&s;
	size_t n = 77;
	char why[256];

	(void)state;
	parse_ok("full@0s,diff@1m", &s);
	assert_int_equal(fl_backup_schedule_walk(&s, 30 * S, &slots, &n, why, sizeof(why)), -ERANGE);
	assert_string_equal(why,
			    "schedule: the diff at column 9 is first due at 1m, not within the 30s the load runs");
	assert_ptr_equal(slots, (void *)&s);
	assert_int_equal(n, 77);

	parse_ok("full@0s,incr@every:30s", &s);
	assert_int_equal(fl_backup_schedule_walk(&s, 30 * S, &slots, &n, why, sizeof(why)), -ERANGE);
	assert_string_equal(why,
			    "schedule: the incr at column 9 is first due at 30s, not within the 30s the load runs");

	parse_ok("full@0s,incr@every:1ms", &s);
	assert_int_equal(fl_backup_schedule_walk(&s, 3600 * S, &slots, &n, why, sizeof(why)), -E2BIG);
	assert_string_equal(why,
			    "schedule: more than 100000 backups in one trial (the incr at column 9 adds 3599999)");
	assert_int_equal(n, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_plans_example_parses),
		cmocka_unit_test(test_once_snapshot_and_offsets),
		cmocka_unit_test(test_kinds_are_checked_with_a_suggestion),
		cmocka_unit_test(test_times_are_checked_where_they_stand),
		cmocka_unit_test(test_the_list_itself_is_checked),
		cmocka_unit_test(test_the_walk_is_in_time_order_full_diff_incr_at_ties),
		cmocka_unit_test(test_overlapping_series_list_a_backup_once),
		cmocka_unit_test(test_an_entry_that_never_comes_due_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
