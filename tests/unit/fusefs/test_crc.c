// SPDX-License-Identifier: GPL-2.0-only
/*
 * ffs_crc32 (the write log's checksum, folded with PCLMULQDQ where the CPU
 * has it) gives zlib's crc32 for every length and alignment, chained or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <zlib.h>

#include "crc.h"

static void test_crc_equals_zlib_for_every_length_and_offset(void **state)
{
	size_t size = (1 << 20) + 64;
	unsigned char *buf = malloc(size);
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < size; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
	for (size_t off = 0; off < 17; off++)
		for (size_t len = 0; len < 700; len++)
			assert_int_equal(ffs_crc32(0, buf + off, len),
					 (uint32_t)crc32_z(0, buf + off, len));
	for (size_t len = 4096; len <= size - 64; len = len * 2 + 13)
		assert_int_equal(ffs_crc32(0, buf + 3, len), (uint32_t)crc32_z(0, buf + 3, len));
	/* Chained, from a nonzero value. */
	assert_int_equal(ffs_crc32(ffs_crc32(0, buf, 1000), buf + 1000, 5000),
			 (uint32_t)crc32_z(0, buf, 6000));
	assert_int_equal(ffs_crc32(0, buf, 1 << 20), (uint32_t)crc32_z(0, buf, 1 << 20));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_equals_zlib_for_every_length_and_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
