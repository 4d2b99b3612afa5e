// SPDX-License-Identifier: GPL-2.0-only
/*
 * Self-checking payloads: what fl_payload_make writes, fl_payload_check
 * accepts with its id, and nothing else: every single flipped bit, a
 * truncated or extended buffer, and out-of-bounds lengths are refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/workload.h>

static void test_round_trip_at_every_size_class(void **state)
{
	static const size_t lens[] = { FL_PAYLOAD_MIN, 25, 27, 31, 32, 100, 4096, 65537,
				       FL_PAYLOAD_MAX };
	unsigned char *buf = malloc(FL_PAYLOAD_MAX);

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (uint64_t id = 1; id < UINT64_MAX / 3; id = id * 977 + 1) {
			uint64_t got = 0;

			assert_int_equal(fl_payload_make(id, 42, buf, lens[i]), 0);
			assert_int_equal(fl_payload_check(buf, lens[i], &got), 0);
			assert_true(got == id);
		}
	}
	free(buf);
}

static void test_body_depends_on_seed_and_id(void **state)
{
	unsigned char a[100], b[100], c[100], d[100];

	(void)state;
	fl_payload_make(7, 1, a, sizeof(a));
	fl_payload_make(7, 1, b, sizeof(b));
	fl_payload_make(7, 2, c, sizeof(c));
	fl_payload_make(8, 1, d, sizeof(d));
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a + 20, c + 20, sizeof(a) - 20);
	assert_memory_not_equal(a + 20, d + 20, sizeof(a) - 20);
	/* The check needs no seed: both are intact. */
	assert_int_equal(fl_payload_check(c, sizeof(c), NULL), 0);
}

static void flip_every_bit(size_t len)
{
	unsigned char *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(fl_payload_make(123456789, 99, buf, len), 0);
	for (size_t bit = 0; bit < 8 * len; bit++) {
		uint64_t id = 0;

		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		assert_int_equal(fl_payload_check(buf, len, &id), -EBADMSG);
		assert_true(id == 0); /* untouched on failure */
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	assert_int_equal(fl_payload_check(buf, len, NULL), 0);
	free(buf);
}

static void test_every_single_bit_flip_is_detected(void **state)
{
	(void)state;
	flip_every_bit(FL_PAYLOAD_MIN);
	flip_every_bit(29);
	flip_every_bit(256);
	flip_every_bit(4099);
}

static void test_bounds_and_wrong_lengths(void **state)
{
	unsigned char buf[200];

	(void)state;
	assert_int_equal(fl_payload_make(1, 1, buf, FL_PAYLOAD_MIN - 1), -EINVAL);
	assert_int_equal(fl_payload_make(1, 1, buf, 0), -EINVAL);
	assert_int_equal(fl_payload_make(1, 1, buf, (size_t)FL_PAYLOAD_MAX + 1), -EINVAL);
	assert_int_equal(fl_payload_check(NULL, 100, NULL), -EBADMSG);
	assert_int_equal(fl_payload_check(buf, 3, NULL), -EBADMSG);
	assert_int_equal(fl_payload_check(buf, (size_t)FL_PAYLOAD_MAX + 1, NULL), -EBADMSG);

	/* A torn record (read short) or one with bytes appended is not intact. */
	assert_int_equal(fl_payload_make(5, 5, buf, 100), 0);
	assert_int_equal(fl_payload_check(buf, 99, NULL), -EBADMSG);
	assert_int_equal(fl_payload_check(buf, 101, NULL), -EBADMSG);
	/* Zeroes (a power cut's hole) are not a payload. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(fl_payload_check(buf, 100, NULL), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_at_every_size_class),
		cmocka_unit_test(test_body_depends_on_seed_and_id),
		cmocka_unit_test(test_every_single_bit_flip_is_detected),
		cmocka_unit_test(test_bounds_and_wrong_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
