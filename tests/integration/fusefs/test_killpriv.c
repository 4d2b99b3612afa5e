// SPDX-License-Identifier: GPL-2.0-only
/*
 * FUSE_HANDLE_KILLPRIV_V2 (fusefs/killpriv.h, root): faultfs clears
 * set-user-ID and set-group-ID where the kernel says the caller may not
 * keep them, exactly as a local filesystem does: every case is done on a
 * file through the mount and on a plain file in a directory on the same
 * backing filesystem, and the modes must match (and match what the VFS
 * rules say). And the point of it: the kernel no longer asks for
 * security.capability before every write.
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
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include <faultline/fs.h>

#include "helpers/faultfs_mount.h"

#define CAPS "security.capability"
#define USER 65534   /* nobody */
#define GROUP 65534  /* nogroup */

/* A version 2 vfs_cap_data (20 bytes, little endian): cap_net_bind_service+p. */
static const uint8_t cap_value[20] = {
	0x00, 0x00, 0x00, 0x02,
	0x00, 0x04, 0x00, 0x00,
};

enum op { OP_WRITE, OP_FTRUNCATE, OP_OPEN_TRUNC, OP_FALLOCATE };

/* A file with this content, owner USER:gid and mode (chmod: no umask, set-ID bits kept). */
static void make_file(const char *path, gid_t gid, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data\n", 5), 5);
	assert_int_equal(fchown(fd, USER, gid), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* op on path, as uid:gid (USER: without capabilities) or as root; 0 or an errno. */
static int run_op(const char *path, enum op op, bool as_user)
{
	pid_t pid;
	int st, fd = -1, err = 0;

	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0) {
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		return WEXITSTATUS(st);
	}
	if (as_user && (setgroups(0, NULL) || setresgid(GROUP, GROUP, GROUP) ||
			setresuid(USER, USER, USER)))
		_exit(errno ? errno : 1);
	fd = open(path, op == OP_OPEN_TRUNC ? O_WRONLY | O_TRUNC : O_WRONLY);
	if (fd < 0)
		_exit(errno);
	switch (op) {
	case OP_WRITE:
		if (pwrite(fd, "more\n", 5, 5) != 5)
			err = errno ? errno : EIO;
		break;
	case OP_FTRUNCATE:
		if (ftruncate(fd, 2))
			err = errno;
		break;
	case OP_OPEN_TRUNC:
		break;
	case OP_FALLOCATE:
		err = posix_fallocate(fd, 0, 8192);
		break;
	}
	if (!err && fsync(fd))
		err = errno;
	close(fd);
	_exit(err);
}

struct ctx {
	struct fl_faultfs_mount *m;
	char native[PATH_MAX];    /* a plain directory on the backing filesystem */
};

/* The same operation on the mount and natively: the modes after it, which must be equal. */
static mode_t compare(struct ctx *c, const char *name, gid_t gid, mode_t mode, enum op op,
		      bool as_user)
{
	const char *m = fl_test_path(c->m->mnt, "%s", name);
	const char *b = fl_test_path(c->m->backing, "%s", name);
	const char *n = fl_test_path(c->native, "%s", name);

	make_file(n, gid, mode);
	make_file(m, gid, mode);
	assert_int_equal(mode_of(m), mode);
	assert_int_equal(run_op(n, op, as_user), 0);
	assert_int_equal(run_op(m, op, as_user), 0);
	/* The mount (what the kernel shows), the backing file (what stays) and a local file agree. */
	assert_int_equal(mode_of(m), mode_of(n));
	assert_int_equal(mode_of(b), mode_of(n));
	return mode_of(n);
}

static bool start(struct fl_faultfs_mount *fm, struct ctx *c, const char *opts)
{
	if (!fl_faultfs_require())
		return false;
	/* Another user reaches the mount only with allow_other (and default_permissions). */
	assert_int_equal(fl_faultfs_start(fm, opts), 0);
	c->m = fm;
	snprintf(c->native, sizeof(c->native), "%s/native", fm->dir);
	assert_int_equal(mkdir(c->native, 0755), 0);
	return true;
}

/* status's killpriv_v2 and getxattr_requests. */
static void status_of(struct fl_faultfs_mount *m, bool *ret_v2, long long *ret_getxattr)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *rep = NULL;
	int fd;

	assert_int_equal(fl_fs_connect(m->mnt, &fd), 0);
	assert_int_equal(fl_fs_request(fd, req, &rep, 10000), 0);
	close(fd);
	json_decref(req);
	assert_true(json_is_boolean(json_object_get(rep, "killpriv_v2")));
	assert_true(json_is_integer(json_object_get(rep, "getxattr_requests")));
	*ret_v2 = json_is_true(json_object_get(rep, "killpriv_v2"));
	*ret_getxattr = json_integer_value(json_object_get(rep, "getxattr_requests"));
	json_decref(rep);
}

static void test_unprivileged_write_clears_suid_and_sgid_as_natively(void **state)
{
	struct ctx c;
	bool v2;
	long long n;

	if (!start(*state, &c, "allow_other"))
		skip();
	status_of(c.m, &v2, &n);
	if (!v2)
		skip();  /* a kernel that does not offer it: nothing of this applies */
	assert_int_equal(compare(&c, "w", GROUP, 06775, OP_WRITE, true), 0775);
	/* Twice: the second write finds nothing to clear. */
	assert_int_equal(run_op(fl_test_path(c.m->mnt, "w"), OP_WRITE, true), 0);
	assert_int_equal(mode_of(fl_test_path(c.m->mnt, "w")), 0775);
}

static void test_root_write_keeps_suid_and_sgid(void **state)
{
	struct ctx c;

	if (!start(*state, &c, "allow_other"))
		skip();
	assert_int_equal(compare(&c, "r", GROUP, 06775, OP_WRITE, false), 06775);
	assert_int_equal(compare(&c, "rt", GROUP, 06775, OP_FTRUNCATE, false), 06775);
}

static void test_unprivileged_truncate_clears_them_as_natively(void **state)
{
	struct ctx c;

	if (!start(*state, &c, "allow_other"))
		skip();
	assert_int_equal(compare(&c, "ft", GROUP, 06775, OP_FTRUNCATE, true), 0775);
	assert_int_equal(compare(&c, "ot", GROUP, 06775, OP_OPEN_TRUNC, true), 0775);
}

static void test_sgid_without_group_exec_stays_for_a_group_member(void **state)
{
	struct ctx c;

	if (!start(*state, &c, "allow_other"))
		skip();
	/* Mandatory-locking marker, the writer in the file's group: only set-user-ID goes. */
	assert_int_equal(compare(&c, "g", GROUP, 06765, OP_WRITE, true), 02765);
	/* Not in the group: it goes too (setattr_should_drop_sgid). */
	assert_int_equal(compare(&c, "g0", 0, 06765, OP_WRITE, true), 0765);
}

static void test_unprivileged_fallocate_clears_them_as_natively(void **state)
{
	struct ctx c;

	if (!start(*state, &c, "allow_other"))
		skip();
	/* FUSE_FALLOCATE carries no kill flag: faultfs reads the caller's CAP_FSETID. */
	assert_int_equal(compare(&c, "fa", GROUP, 06775, OP_FALLOCATE, true), 0775);
}

static void test_caps_set_through_the_mount_are_dropped_by_the_next_write(void **state)
{
	struct ctx c;
	const char *m, *b;

	if (!start(*state, &c, NULL))
		skip();
	m = fl_test_path(c.m->mnt, "bin");
	b = fl_test_path(c.m->backing, "bin");
	make_file(m, 0, 0755);
	/* Written first: the kernel now holds the inode S_NOSEC. */
	assert_int_equal(run_op(m, OP_WRITE, false), 0);
	if (setxattr(b, CAPS, cap_value, sizeof(cap_value), 0)) {
		print_message("skipped: the backing filesystem refuses %s: %s\n", CAPS,
			      strerror(errno));
		skip();
	}
	assert_int_equal(removexattr(b, CAPS), 0);
	assert_int_equal(setxattr(m, CAPS, cap_value, sizeof(cap_value), 0), 0);
	assert_int_equal(getxattr(m, CAPS, NULL, 0), (ssize_t)sizeof(cap_value));
	assert_int_equal(run_op(m, OP_WRITE, false), 0);
	assert_int_equal(getxattr(m, CAPS, NULL, 0), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(getxattr(b, CAPS, NULL, 0), -1);
	assert_int_equal(errno, ENODATA);
}

/* GETXATTR requests for n writes + fsync of one open file, as root. */
static long long getxattr_per_writes(struct fl_faultfs_mount *m, int n, bool *ret_v2)
{
	long long before, after;
	char buf[4096];
	int fd;

	memset(buf, 'k', sizeof(buf));
	fd = open(fl_test_path(m->mnt, "count"), O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	/* The first write may ask: nothing is known of a new inode yet. */
	assert_int_equal(pwrite(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	status_of(m, ret_v2, &before);
	for (int i = 0; i < n; i++) {
		assert_int_equal(pwrite(fd, buf, sizeof(buf), (off_t)i * 4096), (ssize_t)sizeof(buf));
		assert_int_equal(fsync(fd), 0);
	}
	status_of(m, ret_v2, &after);
	close(fd);
	return after - before;
}

static void test_writes_no_longer_ask_for_security_capability(void **state)
{
	struct fl_faultfs_mount *fm = *state;
	bool v2;
	long long asked;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(fm, NULL), 0);
	asked = getxattr_per_writes(fm, 64, &v2);
	if (!v2)
		skip();
	print_message("killpriv_v2: %lld GETXATTR requests for 64 writes\n", asked);
	/* An attribute refresh (timeout 1 s) may make the kernel ask once more. */
	assert_true(asked <= 8);

	/* And without it, as before: one per write. */
	assert_int_equal(fl_faultfs_stop(fm), 0);
	assert_int_equal(fl_faultfs_start(fm, "no_killpriv_v2"), 0);
	asked = getxattr_per_writes(fm, 64, &v2);
	assert_false(v2);
	print_message("no_killpriv_v2: %lld GETXATTR requests for 64 writes\n", asked);
	assert_true(asked >= 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_unprivileged_write_clears_suid_and_sgid_as_natively,
			fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_root_write_keeps_suid_and_sgid,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged_truncate_clears_them_as_natively,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(
			test_sgid_without_group_exec_stays_for_a_group_member,
			fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged_fallocate_clears_them_as_natively,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(
			test_caps_set_through_the_mount_are_dropped_by_the_next_write,
			fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_writes_no_longer_ask_for_security_capability,
						fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
