// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pre-images of holes: an overwrite of a range that holds no data saves
 * nothing (its pre-image is zeros), also after the engine found the file
 * dense once and stopped asking the filesystem where its holes are; and a
 * power cut still restores the right bytes and size either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/falloc.h>
#include <cmocka.h>

#include "dur_fixture.h"

/* The pre-images saved so far (in the undo files, the newest ones in memory). */
static long long undo_bytes(struct dur_fx *x)
{
	struct ffs_dur_totals t;

	assert_int_equal(ffs_dur_status(x->d, NULL, NULL, &t), 0);
	return (long long)t.undo_disk_bytes;
}

static void overwrite_hole_after(struct dur_fx *x, bool by_truncate)
{
	char data[65536], page[4096], want[131072] = { 0 };
	int fd;

	dur_fx_pattern(data, sizeof(data), 0, 1);
	dur_fx_pattern(page, sizeof(page), 0, 2);
	dur_fx_put(x, "f", data, sizeof(data));
	fd = dur_fx_open(x, "f", O_RDWR);
	/* A dense file: its pre-image is saved, and the engine knows it is dense. */
	dur_fx_write(x, fd, page, sizeof(page), 0);
	assert_int_equal(undo_bytes(x), 4096);
	/* Now it grows by a hole (or unwritten preallocated blocks). */
	if (by_truncate)
		assert_int_equal(ffs_dur_truncate(x->d, fd, 131072), 0);
	else
		assert_int_equal(ffs_dur_fallocate(x->d, fd, 0, 65536, 65536), 0);
	/* Overwriting the hole saves nothing more. */
	dur_fx_write(x, fd, page, sizeof(page), 98304);
	assert_int_equal(undo_bytes(x), 4096);
	memcpy(want, page, sizeof(page));
	memcpy(want + sizeof(page), data + sizeof(page), sizeof(data) - sizeof(page));
	memcpy(want + 98304, page, sizeof(page));
	dur_fx_assert_content(x, "f", want, sizeof(want));
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", data, sizeof(data));
	close(fd);
}

static void test_hole_from_fallocate_is_not_copied(void **state)
{
	overwrite_hole_after(*state, false);
}

static void test_hole_from_truncate_is_not_copied(void **state)
{
	overwrite_hole_after(*state, true);
}

static void test_hole_from_a_gap_is_not_copied(void **state)
{
	struct dur_fx *x = *state;
	char page[4096];
	int fd;

	dur_fx_pattern(page, sizeof(page), 0, 3);
	dur_fx_put(x, "f", page, sizeof(page));
	fd = dur_fx_open(x, "f", O_RDWR);
	dur_fx_write(x, fd, page, 100, 0);
	assert_int_equal(undo_bytes(x), 100);
	dur_fx_write(x, fd, page, sizeof(page), 65536);  /* leaves [4096, 65536) a hole */
	dur_fx_write(x, fd, page, sizeof(page), 32768);
	assert_int_equal(undo_bytes(x), 100);
	dur_fx_powercut(x, 0, 0, 0);
	dur_fx_assert_content(x, "f", page, sizeof(page));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hole_from_fallocate_is_not_copied,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_hole_from_truncate_is_not_copied,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_hole_from_a_gap_is_not_copied,
						dur_fx_setup, dur_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
