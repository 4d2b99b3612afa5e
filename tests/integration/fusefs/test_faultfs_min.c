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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

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
	struct fl_faultfs_mount *c = *state;
	char m[PATH_MAX], b[PATH_MAX], m2[PATH_MAX], b2[PATH_MAX];
	struct stat st;
	int status;

	if (!fl_faultfs_require())
		skip();
	/* A file that exists before the mount is visible through it. */
	path2(b, sizeof(b), c->backing, "before");
	write_file(b, "old\n", false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
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
	c->pid = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(fl_faultfs_is_mounted(c->mnt));
	/* The backing files outlive the mount. */
	path2(b, sizeof(b), c->backing, "before");
	assert_file(b, "old\n");
}

/*
 * Why a mount outlived its daemon: who still holds /dev/fuse, and where
 * each fusermount3 (the auto_unmount helper) is waiting.
 */
static void explain_stale_mount(const char *mnt)
{
	char cmd[PATH_MAX + 512];

	snprintf(cmd, sizeof(cmd),
		 "grep ' %s ' /proc/self/mountinfo; "
		 "for p in /proc/[0-9]*; do "
		 "  c=$(cat $p/comm 2>/dev/null); "
		 "  f=$(ls -l $p/fd 2>/dev/null | grep -c /dev/fuse); "
		 "  if [ \"$c\" = fusermount3 ] || [ \"$f\" != 0 ]; then "
		 "    echo \"pid ${p#/proc/} $c state=$(cut -d' ' -f3 $p/stat) fuse_fds=$f wchan=$(cat $p/wchan)\"; "
		 "    cat $p/stack 2>/dev/null | head -8; "
		 "  fi; "
		 "done", mnt);
	fflush(NULL);
	if (system(cmd) != 0)
		print_message("(diagnostics incomplete)\n");
}

static void test_sigkilled_faultfs_leaves_no_stale_mount(void **state)
{
	struct fl_faultfs_mount *c = *state;
	bool gone;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	assert_int_equal(kill(c->pid, SIGKILL), 0);
	assert_int_equal(waitpid(c->pid, NULL, 0), c->pid);
	c->pid = -1;
	/* auto_unmount: fusermount3 sees the fd close and unmounts (slowly under qemu TCG). */
	gone = fl_faultfs_wait_mounted(c->mnt, false, getenv("FL_VMTEST") ? 20000 : 2000);
	if (!gone)
		explain_stale_mount(c->mnt);
	assert_true(gone);
}

/*
 * The mount goes with the daemon even without fusermount3's auto_unmount
 * helper: faultfs's own guardian detaches it (it used to stay, stale).
 */
static void test_sigkilled_faultfs_unmounts_without_fusermount_helper(void **state)
{
	struct fl_faultfs_mount *c = *state;
	pid_t helper;
	bool gone;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	helper = fl_proc_find_child(c->pid, "fusermount3", 2000);
	if (helper > 0) {
		assert_int_equal(kill(helper, SIGKILL), 0);
		assert_true(fl_proc_wait_state(helper, "Z", 2000));
	}
	assert_int_equal(kill(c->pid, SIGKILL), 0);
	assert_int_equal(waitpid(c->pid, NULL, 0), c->pid);
	c->pid = -1;
	gone = fl_faultfs_wait_mounted(c->mnt, false, getenv("FL_VMTEST") ? 20000 : 2000);
	if (!gone)
		explain_stale_mount(c->mnt);
	assert_true(gone);
}

/*
 * Killed in the moment after its mount was made, before it said which
 * mount is its: the guardian, forked before the mount, still takes it down
 * (forked after it, as it used to be, it left that moment unwatched and
 * the mount stale). faultline's own pause holds faultfs in that moment:
 * its first open of /proc/self/mountinfo reads the mounts before the
 * mount, the second is the one after it.
 */
static void test_faultfs_killed_right_after_its_mount_leaves_none(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char fl[PATH_MAX], ffs[PATH_MAX];
	char *argv[] = { fl, "syscall", "openat:pause=20s:path=/proc/self/mountinfo:when=2",
			 "--", ffs, c->backing, c->mnt, "-f", NULL };
	struct fl_cli_result r;
	struct fl_cli *cli;
	pid_t pid, helper;
	bool gone;

	if (!fl_faultfs_require() || !fl_test_binary("faultline", fl, sizeof(fl)) ||
	    !fl_test_binary("faultfs", ffs, sizeof(ffs)))
		skip();
	assert_int_equal(fl_cli_start(argv, &cli), 0);
	pid = fl_proc_find_child(cli->pid, "faultfs", 5000);
	assert_true(pid > 0);
	if (!fl_proc_wait_state(pid, "T", 5000)) {
		char *err = fl_cli_stderr(cli);

		fl_cli_free(cli);
		fail_msg("faultfs never stopped at its second mountinfo open: %s", err ? err : "");
	}
	assert_true(fl_faultfs_is_mounted(c->mnt));
	/* Without fusermount3's auto_unmount helper: the guardian alone. */
	helper = fl_proc_find_child(pid, "fusermount3", 2000);
	if (helper > 0)
		assert_int_equal(kill(helper, SIGKILL), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(fl_cli_wait(cli, 10000, &r), 0);
	fl_cli_free(cli);
	print_message("faultline syscall: exit %d\n", r.code);
	fl_cli_result_free(&r);
	gone = fl_faultfs_wait_mounted(c->mnt, false, getenv("FL_VMTEST") ? 20000 : 2000);
	if (!gone)
		explain_stale_mount(c->mnt);
	assert_true(gone);
}

/* Is a process whose command line names path still running? */
static bool daemon_alive(const char *path)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "pgrep -f -- '^[^ ]*faultfs %s ' >/dev/null", path);
	return system(cmd) == 0;
}

/*
 * Without -f, faultfs forks into the background. Threads started before
 * that fork do not exist in the daemon; one that is waited for at exit
 * would keep the daemon alive forever after the unmount.
 */
static void test_daemonized_faultfs_exits_after_unmount(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char bin[PATH_MAX], cmd[3 * PATH_MAX];
	bool alive = true;

	if (!fl_faultfs_require())
		skip();
	assert_true(fl_test_binary("faultfs", bin, sizeof(bin)));
	snprintf(cmd, sizeof(cmd), "%s %s %s", bin, c->backing, c->mnt);
	assert_int_equal(system(cmd), 0);
	assert_true(fl_faultfs_wait_mounted(c->mnt, true, 2000));
	write_file(fl_test_path(c->mnt, "x"), "x\n", true);
	assert_int_equal(fl_faultline_fs(NULL, 0, "status", c->mnt, NULL), 0);

	snprintf(cmd, sizeof(cmd), "fusermount3 -u %s", c->mnt);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 200 && alive; i++) {
		alive = daemon_alive(c->backing);
		if (alive)
			usleep(10000);
	}
	assert_false(alive);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_passthrough_ops_land_in_backing_and_unmount_is_clean,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_sigkilled_faultfs_leaves_no_stale_mount,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_sigkilled_faultfs_unmounts_without_fusermount_helper,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_faultfs_killed_right_after_its_mount_leaves_none,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_daemonized_faultfs_exits_after_unmount,
						fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
