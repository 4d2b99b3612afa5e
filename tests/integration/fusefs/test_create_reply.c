// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a create answers, now that the create hands its new entry to the
 * lookup that answers it (fusefs/dur_hint.h) instead of stating it again:
 * through a real mount (root), a plain user's new file, directory and
 * symlink show that user as owner at once (the kernel caches the reply's
 * attributes for the attribute timeout: a stat taken before faultfs gave
 * the entry its owner would show root), and a file's attributes are the
 * backing file's. A loop of temporary files keeps the remembered paths
 * (no path changed), and a rename after it still changes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"

#define NOBODY 65534

/* In a child as nobody: each check's failure is its own exit code. */
static int nobody_creates(const char *mnt)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return 10;
	snprintf(path, sizeof(path), "%s/mine", mnt);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return 11;
	/* Answered from the create's reply: no getattr reaches faultfs here. */
	if (fstat(fd, &st) || st.st_uid != NOBODY || st.st_gid != NOBODY)
		return 12;
	if (stat(path, &st) || st.st_uid != NOBODY || st.st_gid != NOBODY)
		return 13;
	close(fd);
	snprintf(path, sizeof(path), "%s/mydir", mnt);
	if (mkdir(path, 0700) || stat(path, &st) || st.st_uid != NOBODY || st.st_gid != NOBODY)
		return 14;
	snprintf(path, sizeof(path), "%s/mylink", mnt);
	if (symlink("mine", path) || lstat(path, &st) || st.st_uid != NOBODY)
		return 15;
	return 0;
}

static void test_plain_users_new_names_show_their_owner_at_once(void **state)
{
	struct fl_faultfs_mount *m = *state;
	pid_t pid;
	int status;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(chmod(m->backing, 0777), 0);
	/* A long attribute cache: what the create answered is what stat shows. */
	assert_int_equal(fl_faultfs_start(m, "allow_other,timeout=60"), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(nobody_creates(m->mnt));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(fl_faultfs_stop(m), 0);
}

static void test_created_files_attributes_are_the_backing_files(void **state)
{
	struct fl_faultfs_mount *m = *state;
	struct stat got, want;
	int fd;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(m, "timeout=60"), 0);
	fd = open(fl_test_path(m->mnt, "f"), O_RDWR | O_CREAT | O_EXCL, 0641);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &got), 0);
	assert_int_equal(stat(fl_test_path(m->backing, "f"), &want), 0);
	assert_int_equal(got.st_ino, want.st_ino);
	assert_int_equal(got.st_mode, want.st_mode);
	assert_int_equal(got.st_nlink, 1);
	assert_int_equal(got.st_uid, want.st_uid);
	assert_int_equal(got.st_gid, want.st_gid);
	assert_int_equal(got.st_size, 0);
	assert_int_equal(got.st_mtim.tv_sec, want.st_mtim.tv_sec);
	assert_int_equal(got.st_mtim.tv_nsec, want.st_mtim.tv_nsec);
	close(fd);
	assert_int_equal(fl_faultfs_stop(m), 0);
}

static void temp_files(struct fl_faultfs_mount *m, const char *dir, int n)
{
	char path[PATH_MAX + 64];

	for (int i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s/t%d", m->mnt, dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(unlink(path), 0);
	}
}

static void test_temporary_files_then_a_rename_are_logged_under_their_paths(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char got[PATH_MAX];

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(m, NULL), 0);
	assert_int_equal(mkdir(fl_test_path(m->mnt, "d"), 0755), 0);
	temp_files(m, "d", 20);
	fl_faultfs_last_log_path(m, "create", got, sizeof(got));
	assert_string_equal(got, "/d/t19");
	fl_faultfs_last_log_path(m, "unlink", got, sizeof(got));
	assert_string_equal(got, "/d/t19");
	/* The directory moves: what was remembered of it is stale. */
	assert_int_equal(rename(fl_test_path(m->mnt, "d"), fl_test_path(m->mnt, "e")), 0);
	temp_files(m, "e", 3);
	fl_faultfs_last_log_path(m, "create", got, sizeof(got));
	assert_string_equal(got, "/e/t2");
	fl_faultfs_last_log_path(m, "unlink", got, sizeof(got));
	assert_string_equal(got, "/e/t2");
	/* Neither the mkdir nor the rename was made durable: a power cut takes both back. */
	assert_int_equal(fl_faultline_fs(NULL, 0, "powercut", m->mnt, NULL), 0);
	assert_int_equal(mkdir(fl_test_path(m->mnt, "d"), 0755), 0);
	temp_files(m, "d", 2);
	fl_faultfs_last_log_path(m, "create", got, sizeof(got));
	assert_string_equal(got, "/d/t1");
	assert_int_equal(fl_faultfs_stop(m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_users_new_names_show_their_owner_at_once,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_created_files_attributes_are_the_backing_files,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(
			test_temporary_files_then_a_rename_are_logged_under_their_paths,
			fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
