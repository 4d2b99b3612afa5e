// SPDX-License-Identifier: GPL-2.0-only
/*
 * The minimal faultfs (root): a passthrough whose effects land in the
 * backing directory unchanged, that unmounts cleanly, and that leaves no
 * stale mount behind when it is SIGKILLed (auto_unmount).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/fixtures.h"

struct ctx {
	struct fl_fixture fx;
	char backing[PATH_MAX];
	char mnt[PATH_MAX];
	char faultfs[PATH_MAX];
	pid_t pid;
	bool mounted;
};

static bool is_mounted(const char *mnt)
{
	char line[4096], want[PATH_MAX + 2];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return false;
	/* Field 5 is the mount point; our paths have no spaces to escape. */
	snprintf(want, sizeof(want), " %s ", mnt);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) && strstr(line, "fuse.faultfs"))
			found = true;
	fclose(f);
	return found;
}

static bool wait_mounted(const char *mnt, bool want, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (is_mounted(mnt) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";

	if (!c || fl_fixture_tmpdir_create(c->fx.path, sizeof(c->fx.path)))
		return -1;
	c->fx.created = true;
	if (snprintf(c->backing, sizeof(c->backing), "%s/backing", c->fx.path) >= (int)sizeof(c->backing) ||
	    snprintf(c->mnt, sizeof(c->mnt), "%s/mnt", c->fx.path) >= (int)sizeof(c->mnt))
		return -1;
	snprintf(c->faultfs, sizeof(c->faultfs), "%s/faultfs", build);
	if (mkdir(c->backing, 0755) || mkdir(c->mnt, 0755))
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	/* Whatever the test did, leave no mount and no process behind. */
	if (is_mounted(c->mnt))
		umount2(c->mnt, MNT_DETACH);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	fl_fixture_tmpdir_destroy(c->fx.path);
	free(c);
	return 0;
}

static bool require_fuse(struct ctx *c)
{
	if (!fl_test_require_root())
		return false;
	if (access("/dev/fuse", R_OK | W_OK)) {
		print_message("skip: /dev/fuse is unavailable (modprobe fuse)\n");
		return false;
	}
	if (access(c->faultfs, X_OK)) {
		print_message("skip: %s is not built (run make)\n", c->faultfs);
		return false;
	}
	return true;
}

/* Start faultfs in the foreground (so its pid is ours) and wait for the mount. */
static void mount_faultfs(struct ctx *c)
{
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		execl(c->faultfs, c->faultfs, c->backing, c->mnt, "-f", (char *)NULL);
		_exit(127);
	}
	assert_true(wait_mounted(c->mnt, true, 5000));
}

static void write_file(const char *path, const char *data, bool sync)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	if (sync)
		assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
}

static void assert_file(const char *path, const char *want)
{
	char buf[4096] = { 0 };
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
	close(fd);
	assert_string_equal(buf, want);
}

static void path2(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void test_passthrough_ops_land_in_backing_and_unmount_is_clean(void **state)
{
	struct ctx *c = *state;
	char m[PATH_MAX], b[PATH_MAX], m2[PATH_MAX], b2[PATH_MAX];
	struct stat st;
	int status;

	if (!require_fuse(c))
		skip();
	/* A file that exists before the mount is visible through it. */
	path2(b, sizeof(b), c->backing, "before");
	write_file(b, "old\n", false);
	mount_faultfs(c);
	path2(m, sizeof(m), c->mnt, "before");
	assert_file(m, "old\n");

	/* write + fsync through the mount, read back on both sides */
	path2(m, sizeof(m), c->mnt, "wal");
	path2(b, sizeof(b), c->backing, "wal");
	write_file(m, "record 1\nrecord 2\n", true);
	assert_file(m, "record 1\nrecord 2\n");
	assert_file(b, "record 1\nrecord 2\n");
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* mkdir + rename into it */
	path2(m2, sizeof(m2), c->mnt, "dir");
	assert_int_equal(mkdir(m2, 0750), 0);
	path2(m2, sizeof(m2), c->mnt, "dir/wal.1");
	path2(b2, sizeof(b2), c->backing, "dir/wal.1");
	assert_int_equal(rename(m, m2), 0);
	assert_int_equal(access(b, F_OK), -1);
	assert_file(b2, "record 1\nrecord 2\n");

	/* truncate (setattr) */
	assert_int_equal(truncate(m2, 9), 0);
	assert_file(b2, "record 1\n");

	/* unlink + rmdir */
	assert_int_equal(unlink(m2), 0);
	assert_int_equal(access(b2, F_OK), -1);
	path2(m2, sizeof(m2), c->mnt, "dir");
	assert_int_equal(rmdir(m2), 0);
	path2(b2, sizeof(b2), c->backing, "dir");
	assert_int_equal(access(b2, F_OK), -1);

	/* A clean unmount ends faultfs with status 0. */
	char *argv[] = { "fusermount3", "-u", c->mnt, NULL };
	assert_int_equal(fl_fixture_cmd(argv), 0);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	c->pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(is_mounted(c->mnt));
	/* The backing files outlive the mount. */
	path2(b, sizeof(b), c->backing, "before");
	assert_file(b, "old\n");
}

static void test_sigkilled_faultfs_leaves_no_stale_mount(void **state)
{
	struct ctx *c = *state;

	if (!require_fuse(c))
		skip();
	mount_faultfs(c);
	assert_int_equal(kill(c->pid, SIGKILL), 0);
	assert_int_equal(waitpid(c->pid, NULL, 0), c->pid);
	c->pid = 0;
	/* auto_unmount: fusermount3 sees the fd close and unmounts. */
	assert_true(wait_mounted(c->mnt, false, 2000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_passthrough_ops_land_in_backing_and_unmount_is_clean,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkilled_faultfs_leaves_no_stale_mount,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
