// SPDX-License-Identifier: GPL-2.0-only
/*
 * The remembered "no security.capability" answer (fusefs/xattr_nocap.h,
 * root): the kernel asks it before every write, faultfs answers the size
 * query from memory. What must stay exact: a capability set through the
 * mount is seen at once and dropped by the next write, one set on the
 * backing file behind faultfs's back is seen after -o timeout, and a write
 * drops it even before (the backing write does).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"

#define CAPS "security.capability"

/* A version 2 vfs_cap_data (20 bytes, little endian): cap_net_bind_service+p. */
static const uint8_t cap_value[20] = {
	0x00, 0x00, 0x00, 0x02,   /* magic_etc: VFS_CAP_REVISION_2 */
	0x00, 0x04, 0x00, 0x00,   /* permitted[0]: bit 10 */
};

static void write_at(const char *path, const char *data, off_t off)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0755);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, strlen(data), off), (ssize_t)strlen(data));
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
}

/* getxattr's result, or -errno. */
static long caps_of(const char *path, bool value)
{
	uint8_t buf[64];
	ssize_t n = getxattr(path, CAPS, value ? buf : NULL, value ? sizeof(buf) : 0);

	return n < 0 ? -errno : n;
}

static bool caps_supported(const char *backing_file)
{
	if (setxattr(backing_file, CAPS, cap_value, sizeof(cap_value), 0) == 0) {
		assert_int_equal(removexattr(backing_file, CAPS), 0);
		return true;
	}
	print_message("skipped: the backing filesystem refuses %s: %s\n", CAPS, strerror(errno));
	return false;
}

static void test_caps_set_through_the_mount_are_seen_and_dropped_by_a_write(void **state)
{
	struct fl_faultfs_mount *c = *state;
	const char *m, *b;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	m = fl_test_path(c->mnt, "bin");
	b = fl_test_path(c->backing, "bin");
	/* Written twice: the kernel asked before each write, and the answer is remembered. */
	write_at(m, "first\n", 0);
	write_at(m, "again\n", 0);
	if (!caps_supported(b))
		skip();
	assert_int_equal(caps_of(m, false), -ENODATA);

	assert_int_equal(setxattr(m, CAPS, cap_value, sizeof(cap_value), 0), 0);
	/* The remembered answer went with the change. */
	assert_int_equal(caps_of(m, false), (long)sizeof(cap_value));
	assert_int_equal(caps_of(m, true), (long)sizeof(cap_value));
	assert_int_equal(caps_of(b, false), (long)sizeof(cap_value));

	/* A write drops file capabilities, as on a local filesystem. */
	write_at(m, "third\n", 0);
	assert_int_equal(caps_of(m, false), -ENODATA);
	assert_int_equal(caps_of(b, false), -ENODATA);

	/* Removed through the mount: no stale "present" either. */
	assert_int_equal(setxattr(m, CAPS, cap_value, sizeof(cap_value), 0), 0);
	assert_int_equal(caps_of(m, false), (long)sizeof(cap_value));
	assert_int_equal(removexattr(m, CAPS), 0);
	assert_int_equal(caps_of(m, false), -ENODATA);
	assert_int_equal(caps_of(b, false), -ENODATA);
}

static void test_caps_set_behind_faultfs_are_dropped_by_a_write(void **state)
{
	struct fl_faultfs_mount *c = *state;
	const char *m, *b;
	char buf[16] = { 0 };
	int fd;

	if (!fl_faultfs_require())
		skip();
	/* Long enough that the remembered answer cannot expire during the test. */
	assert_int_equal(fl_faultfs_start(c, "timeout=60"), 0);
	m = fl_test_path(c->mnt, "bin");
	b = fl_test_path(c->backing, "bin");
	write_at(m, "first\n", 0);
	if (!caps_supported(b))
		skip();
	assert_int_equal(caps_of(m, false), -ENODATA);

	/* Behind faultfs's back, on the backing file: unseen until the timeout (documented). */
	assert_int_equal(setxattr(b, CAPS, cap_value, sizeof(cap_value), 0), 0);
	assert_int_equal(caps_of(m, false), -ENODATA);

	/* A write through the mount still drops it: the backing write does. */
	write_at(m, "again\n", 0);
	assert_int_equal(caps_of(b, false), -ENODATA);
	fd = open(b, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 6);
	close(fd);
	assert_string_equal(buf, "again\n");
}

static void test_caps_set_behind_faultfs_are_seen_after_the_timeout(void **state)
{
	struct fl_faultfs_mount *c = *state;
	const char *m, *b;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(c, "timeout=1"), 0);
	m = fl_test_path(c->mnt, "bin");
	b = fl_test_path(c->backing, "bin");
	write_at(m, "first\n", 0);
	if (!caps_supported(b))
		skip();
	assert_int_equal(caps_of(m, false), -ENODATA);
	assert_int_equal(setxattr(b, CAPS, cap_value, sizeof(cap_value), 0), 0);
	/* Longer than the timeout: any wait past it must see the capability. */
	usleep(1500 * 1000);
	assert_int_equal(caps_of(m, false), (long)sizeof(cap_value));
	assert_int_equal(caps_of(m, true), (long)sizeof(cap_value));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_caps_set_through_the_mount_are_seen_and_dropped_by_a_write,
			fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_caps_set_behind_faultfs_are_dropped_by_a_write,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_caps_set_behind_faultfs_are_seen_after_the_timeout,
						fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
