// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline cleanup removes the control socket a SIGKILLed faultfs left
 * behind, and nothing else: not a live daemon's socket, not one too young
 * to judge (a daemon between bind and listen), not other files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <faultline/fs.h>

static char dir[] = "/tmp/fl-stale-XXXXXX";

/* Bind a socket at dir/name; listening or closed (stale); optionally aged. */
static int make_socket(const char *name, bool listening, bool old)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec times[2] = { { .tv_sec = 1000 }, { .tv_sec = 1000 } };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listening)
		assert_int_equal(listen(fd, 1), 0);
	if (old)
		assert_int_equal(utimensat(AT_FDCWD, sa.sun_path, times, AT_SYMLINK_NOFOLLOW), 0);
	if (!listening) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_only_old_sockets_nobody_answers_on_are_removed(void **state)
{
	char path[PATH_MAX];
	int live, fd;

	assert_non_null(mkdtemp(dir));
	make_socket("dead.sock", false, true);
	live = make_socket("live.sock", true, true);
	make_socket("young.sock", false, false);
	snprintf(path, sizeof(path), "%s/plain.sock", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);

	assert_int_equal(fl_fs_remove_stale_sockets(dir), 1);
	assert_false(exists("dead.sock"));
	assert_true(exists("live.sock"));
	assert_true(exists("young.sock"));
	assert_true(exists("plain.sock"));

	/* Idempotent. */
	assert_int_equal(fl_fs_remove_stale_sockets(dir), 0);

	close(live);
	for (const char *n = "live.sock\0young.sock\0plain.sock\0"; *n; n += strlen(n) + 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, n);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_missing_directory_is_nothing_to_remove(void **state)
{
	assert_int_equal(fl_fs_remove_stale_sockets("/nonexistent/faultline-sockets"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_old_sockets_nobody_answers_on_are_removed),
		cmocka_unit_test(test_missing_directory_is_nothing_to_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
