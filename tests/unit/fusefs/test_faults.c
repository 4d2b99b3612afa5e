// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault rules of faultfs: which operations a rule matches, when it fires,
 * that seeded randomness repeats, and what corruption does to a buffer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "faults.h"

static struct ffs_faults *F;

static int setup(void **state)
{
	return ffs_faults_new(&F) ? -1 : 0;
}

static int teardown(void **state)
{
	ffs_faults_free(F);
	F = NULL;
	return 0;
}

static int add(const char *text)
{
	struct fl_rule rule;
	struct fl_rule_error err = { 0 };

	if (fl_rule_parse(text, &rule, &err) ||
	    fl_rule_check_domain(&rule, FL_DOMAIN_FS, &err)) {
		print_message("rule '%s': %s\n", text, err.message);
		fail();
	}
	return ffs_faults_add(F, &rule, text);
}

static bool fires(enum ffs_op op, const char *path)
{
	struct ffs_fault_hit hit;

	return ffs_faults_match(F, op, path, &hit);
}

static void test_no_rule_means_unarmed_and_nothing_fires(void **state)
{
	assert_false(ffs_faults_armed(F));
	assert_false(fires(FFS_OP_WRITE, "/x"));
	add("write:error=EIO");
	assert_true(ffs_faults_armed(F));
	assert_int_equal(ffs_faults_clear(F, -1), 1);
	assert_false(ffs_faults_armed(F));
}

static void test_error_rule_fires_only_on_its_ops(void **state)
{
	struct ffs_fault_hit hit;

	assert_int_equal(add("write,fsync:error=ENOSPC"), 0);
	assert_false(fires(FFS_OP_READ, "/a"));
	assert_true(ffs_faults_match(F, FFS_OP_FSYNC, "/a", &hit));
	assert_int_equal(hit.action, FL_ACTION_ERROR);
	assert_int_equal(hit.error, ENOSPC);
	assert_int_equal(hit.rule_id, 0);
	assert_string_equal(hit.rule_text, "write,fsync:error=ENOSPC");
	assert_true(fires(FFS_OP_WRITE, "/a"));
}

static void test_star_op_matches_every_op(void **state)
{
	add("*:error=EIO");
	for (int op = 0; op < FFS_OP__COUNT; op++)
		assert_true(fires(op, "/f"));
}

static void test_glob_without_slash_matches_the_basename(void **state)
{
	add("write:error=EIO:path=*.wal");
	assert_true(fires(FFS_OP_WRITE, "/db/x.wal"));
	assert_true(fires(FFS_OP_WRITE, "/x.wal"));
	assert_false(fires(FFS_OP_WRITE, "/db/x.wal.bak"));
	assert_false(fires(FFS_OP_WRITE, "/x.wal/data"));
}

static void test_glob_with_slash_matches_the_whole_path(void **state)
{
	add("write:error=EIO:path=/db/*.sst");
	assert_true(fires(FFS_OP_WRITE, "/db/1.sst"));
	assert_false(fires(FFS_OP_WRITE, "/other/1.sst"));
	assert_false(fires(FFS_OP_WRITE, "1.sst"));
}

static void test_when_range_with_step_fires_on_the_chosen_matches(void **state)
{
	char got[16] = { 0 };

	add("fsync:error=EIO:when=3..7+2");
	for (int i = 1; i <= 10; i++)
		got[i - 1] = fires(FFS_OP_FSYNC, "/f") ? 'x' : '.';
	assert_string_equal(got, "..x.x.x...");
}

static void test_when_counts_only_matching_ops(void **state)
{
	add("fsync:error=EIO:path=*.wal:when=2");
	assert_false(fires(FFS_OP_FSYNC, "/a.wal"));
	assert_false(fires(FFS_OP_FSYNC, "/a.dat"));
	assert_false(fires(FFS_OP_WRITE, "/a.wal"));
	assert_true(fires(FFS_OP_FSYNC, "/b.wal"));
	assert_false(fires(FFS_OP_FSYNC, "/b.wal"));
}

static void test_count_caps_the_injections(void **state)
{
	int n = 0;

	add("write:error=EIO:count=3");
	for (int i = 0; i < 10; i++)
		n += fires(FFS_OP_WRITE, "/f");
	assert_int_equal(n, 3);
}

static uint64_t fire_pattern(const char *rule, int n)
{
	uint64_t bits = 0;

	ffs_faults_clear(F, -1);
	add(rule);
	for (int i = 0; i < n; i++)
		if (fires(FFS_OP_WRITE, "/f"))
			bits |= 1ull << i;
	return bits;
}

static void test_prob_with_seed_repeats_the_same_decisions(void **state)
{
	uint64_t a = fire_pattern("write:error=EIO:prob=50%:seed=42", 64);
	uint64_t b = fire_pattern("write:error=EIO:prob=50%:seed=42", 64);
	uint64_t c = fire_pattern("write:error=EIO:prob=50%:seed=43", 64);
	int ones = __builtin_popcountll(a);

	assert_true(a == b);
	assert_true(a != c);
	/* 64 draws at 50%: far outside [16, 48] would mean a broken generator. */
	assert_in_range(ones, 16, 48);
}

static void test_prob_rate_is_close_to_the_asked_share(void **state)
{
	int n = 0;

	add("write:error=EIO:prob=10%:seed=7");
	for (int i = 0; i < 100000; i++)
		n += fires(FFS_OP_WRITE, "/f");
	assert_in_range(n, 9000, 11000);
}

static int status_seed_cb(void *ctx, const struct ffs_rule_status *st)
{
	struct ffs_rule_status *out = ctx;

	*out = *st;
	out->text = NULL;
	return 0;
}

static void test_rule_without_seed_gets_a_random_seed_shown_in_status(void **state)
{
	struct ffs_rule_status st = { 0 };
	char rule[128];
	uint64_t a, b;

	a = fire_pattern("write:error=EIO:prob=50%", 64);
	assert_int_equal(ffs_faults_status(F, status_seed_cb, &st), 0);
	assert_false(st.seed_given);
	/* Replaying with the seed from status repeats the run. */
	snprintf(rule, sizeof(rule), "write:error=EIO:prob=50%%:seed=%llu",
		 (unsigned long long)st.seed);
	b = fire_pattern(rule, 64);
	assert_true(a == b);
}

static void test_for_expires_the_rule(void **state)
{
	add("write:error=EIO:for=50ms");
	assert_true(fires(FFS_OP_WRITE, "/f"));
	usleep(80000);
	assert_false(fires(FFS_OP_WRITE, "/f"));
}

static void test_first_rule_that_fires_wins_and_later_rules_do_not_count(void **state)
{
	struct ffs_fault_hit hit;

	add("write:error=EIO:when=2");
	add("write:error=ENOSPC");
	assert_true(ffs_faults_match(F, FFS_OP_WRITE, "/f", &hit));
	assert_int_equal(hit.error, ENOSPC);
	assert_int_equal(hit.rule_id, 1);
	assert_true(ffs_faults_match(F, FFS_OP_WRITE, "/f", &hit));
	assert_int_equal(hit.error, EIO);
	assert_int_equal(hit.rule_id, 0);
	assert_int_equal(hit.seq, 2);
}

struct counts {
	int n;
	uint64_t matched[4], injected[4];
	int id[4];
};

static int count_cb(void *ctx, const struct ffs_rule_status *st)
{
	struct counts *c = ctx;

	if (c->n < 4) {
		c->matched[c->n] = st->matched;
		c->injected[c->n] = st->injected;
		c->id[c->n] = st->id;
		c->n++;
	}
	return 0;
}

static void test_status_counts_matched_and_injected_per_rule(void **state)
{
	struct counts c = { 0 };

	add("write:error=EIO:when=2");
	add("write:error=ENOSPC:path=*.wal");
	for (int i = 0; i < 3; i++)
		fires(FFS_OP_WRITE, "/a.wal");
	assert_int_equal(ffs_faults_status(F, count_cb, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.matched[0], 3);
	assert_int_equal(c.injected[0], 1);
	/* The second rule did not see the write the first one took. */
	assert_int_equal(c.matched[1], 2);
	assert_int_equal(c.injected[1], 2);
}

static void test_clear_by_id_removes_only_that_rule_and_ids_are_not_reused(void **state)
{
	struct counts c = { 0 };

	assert_int_equal(add("write:error=EIO"), 0);
	assert_int_equal(add("read:error=EIO"), 1);
	assert_int_equal(ffs_faults_clear(F, 0), 1);
	assert_int_equal(ffs_faults_clear(F, 0), -ENOENT);
	assert_false(fires(FFS_OP_WRITE, "/f"));
	assert_true(fires(FFS_OP_READ, "/f"));
	assert_int_equal(add("write:error=EIO"), 2);
	ffs_faults_status(F, count_cb, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.id[0], 1);
	assert_int_equal(c.id[1], 2);
}

static void test_delay_jitter_stays_in_range_and_repeats_with_seed(void **state)
{
	struct ffs_fault_hit hit;
	uint64_t first[32], lo = UINT64_MAX, hi = 0;

	add("read:delay=10ms~4ms:seed=5");
	for (int i = 0; i < 32; i++) {
		assert_true(ffs_faults_match(F, FFS_OP_READ, "/f", &hit));
		assert_int_equal(hit.action, FL_ACTION_DELAY);
		assert_in_range(hit.delay_ns, 6000000, 14000000);
		first[i] = hit.delay_ns;
		lo = hit.delay_ns < lo ? hit.delay_ns : lo;
		hi = hit.delay_ns > hi ? hit.delay_ns : hi;
	}
	assert_true(hi - lo > 2000000);
	ffs_faults_clear(F, -1);
	add("read:delay=10ms~4ms:seed=5");
	for (int i = 0; i < 32; i++) {
		assert_true(ffs_faults_match(F, FFS_OP_READ, "/f", &hit));
		assert_int_equal(hit.delay_ns, first[i]);
	}
}

static void test_corrupt_hit_carries_mode_side_and_bytes(void **state)
{
	struct ffs_fault_hit hit;

	add("read:corrupt=zero:read:bytes=4:path=*.sst");
	add("write:corrupt=random");
	assert_true(ffs_faults_match(F, FFS_OP_READ, "/x.sst", &hit));
	assert_int_equal(hit.corrupt, FL_CORRUPT_ZERO);
	assert_true(hit.corrupt_on_read);
	assert_int_equal(hit.corrupt_bytes, 4);
	assert_true(ffs_faults_match(F, FFS_OP_WRITE, "/x.sst", &hit));
	assert_int_equal(hit.corrupt, FL_CORRUPT_RANDOM);
	assert_false(hit.corrupt_on_read);
	assert_int_equal(hit.corrupt_bytes, 1);
}

static void test_other_actions_fill_their_arguments(void **state)
{
	struct ffs_fault_hit hit;

	add("write:torn=512:path=/t");
	add("fsync:powercut=after");
	add("write:drop");
	assert_true(ffs_faults_match(F, FFS_OP_WRITE, "/t", &hit));
	assert_int_equal(hit.action, FL_ACTION_TORN);
	assert_int_equal(hit.torn_sector, 512);
	assert_true(ffs_faults_match(F, FFS_OP_FSYNC, "/t", &hit));
	assert_int_equal(hit.action, FL_ACTION_POWERCUT);
	assert_int_equal(hit.powercut, FL_POWERCUT_AFTER);
	assert_true(ffs_faults_match(F, FFS_OP_WRITE, "/u", &hit));
	assert_int_equal(hit.action, FL_ACTION_DROP);
}

static int diff_bytes(const unsigned char *a, const unsigned char *b, size_t n, size_t *first)
{
	int d = 0;

	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i]) {
			if (!d)
				*first = i;
			d++;
		}
	}
	return d;
}

static void test_corrupt_bitflip_flips_exactly_one_bit_per_damaged_byte(void **state)
{
	struct ffs_fault_hit hit = { .action = FL_ACTION_CORRUPT,
				     .corrupt = FL_CORRUPT_BITFLIP, .corrupt_bytes = 3 };
	unsigned char buf[100], orig[100];
	uint64_t rng = 99;
	size_t off, first = 0;

	memset(buf, 0x5a, sizeof(buf));
	memcpy(orig, buf, sizeof(buf));
	off = ffs_fault_corrupt(&hit, buf, sizeof(buf), &rng);
	assert_true(off <= sizeof(buf) - 3);
	assert_int_equal(diff_bytes(orig, buf, sizeof(buf), &first), 3);
	assert_int_equal(first, off);
	for (size_t i = off; i < off + 3; i++)
		assert_int_equal(__builtin_popcount(orig[i] ^ buf[i]), 1);
}

static void test_corrupt_zero_and_random_damage_consecutive_bytes(void **state)
{
	struct ffs_fault_hit hit = { .action = FL_ACTION_CORRUPT,
				     .corrupt = FL_CORRUPT_ZERO, .corrupt_bytes = 8 };
	unsigned char buf[64], orig[64];
	uint64_t rng = 1;
	size_t off, first = 0;

	memset(buf, 0xff, sizeof(buf));
	off = ffs_fault_corrupt(&hit, buf, sizeof(buf), &rng);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], i >= off && i < off + 8 ? 0 : 0xff);

	hit.corrupt = FL_CORRUPT_RANDOM;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)i;
	memcpy(orig, buf, sizeof(buf));
	off = ffs_fault_corrupt(&hit, buf, sizeof(buf), &rng);
	assert_int_equal(diff_bytes(orig, buf, sizeof(buf), &first), 8);
	assert_int_equal(first, off);
}

static void test_corrupt_is_deterministic_for_a_seed_and_clamps_to_the_buffer(void **state)
{
	struct ffs_fault_hit hit = { .action = FL_ACTION_CORRUPT,
				     .corrupt = FL_CORRUPT_RANDOM, .corrupt_bytes = 50 };
	unsigned char a[4096] = { 0 }, b[4096] = { 0 }, small[10] = { 0 };
	uint64_t r1 = 1234, r2 = 1234, r3 = 7;
	size_t first = 0;

	hit.corrupt_bytes = 2;
	assert_int_equal(ffs_fault_corrupt(&hit, a, sizeof(a), &r1),
			 ffs_fault_corrupt(&hit, b, sizeof(b), &r2));
	assert_memory_equal(a, b, sizeof(a));
	hit.corrupt_bytes = 50;
	assert_int_equal(ffs_fault_corrupt(&hit, small, sizeof(small), &r3), 0);
	assert_int_equal(diff_bytes((unsigned char[10]){ 0 }, small, 10, &first), 10);
}

struct race {
	int injected;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 20000; i++)
		if (fires(FFS_OP_WRITE, "/f"))
			__atomic_fetch_add(&r->injected, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_count_is_exact_under_concurrent_matching(void **state)
{
	pthread_t t[4];
	struct race r = { 0 };
	struct counts c = { 0 };

	add("write:error=EIO:count=1000");
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, &r), 0);
	/* Rules come and go meanwhile. */
	for (int i = 0; i < 200; i++) {
		int id = add("read:error=EIO");

		assert_int_equal(ffs_faults_clear(F, id), 1);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.injected, 1000);
	ffs_faults_status(F, count_cb, &c);
	assert_int_equal(c.matched[0], 80000);
	assert_int_equal(c.injected[0], 1000);
}

static void test_op_names_are_the_grammar_names(void **state)
{
	assert_string_equal(ffs_op_name(FFS_OP_FDATASYNC), "fdatasync");
	assert_string_equal(ffs_op_name(FFS_OP_READDIR), "readdir");
	assert_null(ffs_op_name(FFS_OP__COUNT));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_rule_means_unarmed_and_nothing_fires),
		T(test_error_rule_fires_only_on_its_ops),
		T(test_star_op_matches_every_op),
		T(test_glob_without_slash_matches_the_basename),
		T(test_glob_with_slash_matches_the_whole_path),
		T(test_when_range_with_step_fires_on_the_chosen_matches),
		T(test_when_counts_only_matching_ops),
		T(test_count_caps_the_injections),
		T(test_count_is_exact_under_concurrent_matching),
		T(test_prob_with_seed_repeats_the_same_decisions),
		T(test_prob_rate_is_close_to_the_asked_share),
		T(test_rule_without_seed_gets_a_random_seed_shown_in_status),
		T(test_for_expires_the_rule),
		T(test_first_rule_that_fires_wins_and_later_rules_do_not_count),
		T(test_status_counts_matched_and_injected_per_rule),
		T(test_clear_by_id_removes_only_that_rule_and_ids_are_not_reused),
		T(test_delay_jitter_stays_in_range_and_repeats_with_seed),
		T(test_corrupt_hit_carries_mode_side_and_bytes),
		T(test_other_actions_fill_their_arguments),
		T(test_corrupt_bitflip_flips_exactly_one_bit_per_damaged_byte),
		T(test_corrupt_zero_and_random_damage_consecutive_bytes),
		T(test_corrupt_is_deterministic_for_a_seed_and_clamps_to_the_buffer),
		T(test_op_names_are_the_grammar_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
