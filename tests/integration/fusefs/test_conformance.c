// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conformance of faultfs with no fault armed (root): each scenario runs the
 * same operations in a plain directory and through a faultfs mount (on the
 * same backing filesystem) and records every result (return values,
 * errnos, sizes, modes, link counts, file types, checksums of contents);
 * the two records must be equal, entry by entry.
 */
#include <dirent.h>
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
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"

/* --- the record ----------------------------------------------------------- */

#define MAX_RECS 256

struct rec {
	char label[64];
	long long v;
};

struct log {
	struct rec r[MAX_RECS];
	int n;
};

static void rec(struct log *l, const char *label, long long v)
{
	if (l->n >= MAX_RECS)
		fail_msg("too many records");
	snprintf(l->r[l->n].label, sizeof(l->r[l->n].label), "%s", label);
	l->r[l->n].v = v;
	l->n++;
}

/* A call's result: its value, or -errno. */
#define RV(l, label, expr) do {					\
	long long v_ = (long long)(expr);			\
	rec((l), (label), v_ < 0 ? -errno : v_);		\
} while (0)

static uint32_t crc_of(const char *path)
{
	char buf[65536];
	uint32_t crc = (uint32_t)crc32(0, Z_NULL, 0);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0xdeadbeef;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = (uint32_t)crc32(crc, (const Bytef *)buf, (uInt)n);
	close(fd);
	return crc;
}

static void rec_stat(struct log *l, const char *label, const char *path)
{
	char lab[64];
	struct stat st;

	if (lstat(path, &st)) {
		snprintf(lab, sizeof(lab), "%s: lstat", label);
		rec(l, lab, -errno);
		return;
	}
	snprintf(lab, sizeof(lab), "%s: size", label);
	rec(l, lab, S_ISDIR(st.st_mode) ? 0 : st.st_size);
	snprintf(lab, sizeof(lab), "%s: mode", label);
	rec(l, lab, st.st_mode);
	snprintf(lab, sizeof(lab), "%s: nlink", label);
	rec(l, lab, st.st_nlink);
	if (S_ISREG(st.st_mode)) {
		snprintf(lab, sizeof(lab), "%s: crc", label);
		rec(l, lab, crc_of(path));
	}
}

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(close(fd), 0);
}

/* --- running a scenario on both sides ---------------------------------------- */

typedef void (*scenario_fn)(const char *dir, struct log *l);

static struct fl_faultfs_mount *M;
static char native_dir[PATH_MAX]; /* plain, on the same filesystem, to compare with */

static int group_setup(void **state)
{
	M = calloc(1, sizeof(*M));
	if (!M || fl_faultfs_prepare(M))
		return -1;
	snprintf(native_dir, sizeof(native_dir), "%s/native", M->dir);
	if (mkdir(native_dir, 0755))
		return -1;
	if (geteuid() == 0 && !access("/dev/fuse", R_OK | W_OK))
		return fl_faultfs_start(M, NULL) ? -1 : 0;
	return 0;
}

static int group_teardown(void **state)
{
	if (M)
		fl_faultfs_unmount(M);
	free(M);
	M = NULL;
	return 0;
}

static void compare(const struct log *native, const struct log *ffs)
{
	bool ok = true;

	for (int i = 0; i < native->n && i < ffs->n; i++) {
		if (strcmp(native->r[i].label, ffs->r[i].label)) {
			print_error("record %d: native '%s', faultfs '%s'\n", i,
				    native->r[i].label, ffs->r[i].label);
			ok = false;
			break;
		}
		if (native->r[i].v != ffs->r[i].v) {
			print_error("%s: native %lld, faultfs %lld\n", native->r[i].label,
				    native->r[i].v, ffs->r[i].v);
			ok = false;
		}
	}
	if (native->n != ffs->n) {
		print_error("native made %d records, faultfs %d\n", native->n, ffs->n);
		ok = false;
	}
	assert_true(ok);
}

/* Run fn in a fresh directory NAME on the native side and on the mount. */
static void run_both(const char *name, scenario_fn fn, struct log *native, struct log *ffs)
{
	char nd[PATH_MAX], md[PATH_MAX];

	assert_true(snprintf(nd, sizeof(nd), "%s/%s", native_dir, name) < (int)sizeof(nd));
	assert_true(snprintf(md, sizeof(md), "%s/%s", M->mnt, name) < (int)sizeof(md));
	assert_int_equal(mkdir(nd, 0755), 0);
	assert_int_equal(mkdir(md, 0755), 0);
	fn(nd, native);
	fn(md, ffs);
	print_message("%s: %d results compared\n", name, native->n);
	compare(native, ffs);
}

static bool ready(void)
{
	if (!fl_faultfs_require())
		return false;
	return fl_faultfs_is_mounted(M->mnt);
}

#define SCENARIO(name)								\
	static void sc_##name(const char *dir, struct log *l);			\
	static void test_##name(void **state)					\
	{									\
		static struct log native, ffs;					\
		if (!ready())							\
			skip();							\
		memset(&native, 0, sizeof(native));				\
		memset(&ffs, 0, sizeof(ffs));					\
		run_both(#name, sc_##name, &native, &ffs);			\
	}									\
	static void sc_##name(const char *dir, struct log *l)

/* --- scenarios ------------------------------------------------------------- */

SCENARIO(open_create_read_write_match_native)
{
	const char *f = fl_test_path(dir, "f");
	char buf[64] = { 0 };
	int fd, fd2;

	RV(l, "open missing", open(f, O_RDONLY));
	fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0640);
	RV(l, "create excl", fd < 0 ? -1 : 0);
	RV(l, "create excl again", open(f, O_RDWR | O_CREAT | O_EXCL, 0640));
	RV(l, "write", write(fd, "0123456789", 10));
	RV(l, "pwrite", pwrite(fd, "ab", 2, 4));
	RV(l, "pwrite past end", pwrite(fd, "zz", 2, 20));
	RV(l, "pread", pread(fd, buf, sizeof(buf), 0));
	rec(l, "pread data", (long long)crc32(0, (const Bytef *)buf, 22));
	RV(l, "pread at end", pread(fd, buf, sizeof(buf), 22));
	RV(l, "lseek cur", lseek(fd, 0, SEEK_CUR));
	RV(l, "lseek end", lseek(fd, 0, SEEK_END));
	RV(l, "read at end", read(fd, buf, 8));
	RV(l, "lseek set", lseek(fd, 2, SEEK_SET));
	RV(l, "read", read(fd, buf, 8));
	RV(l, "fsync", fsync(fd));
	RV(l, "fdatasync", fdatasync(fd));
	RV(l, "sync_file_range", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE |
						  SYNC_FILE_RANGE_WAIT_AFTER));
	RV(l, "syncfs", syncfs(fd));
	RV(l, "close", close(fd));
	rec_stat(l, "f", f);
	/* O_TRUNC on an existing file, read-only open of a write-only file */
	fd2 = open(f, O_WRONLY | O_TRUNC);
	RV(l, "open trunc", fd2 < 0 ? -1 : 0);
	RV(l, "close trunc", close(fd2));
	rec_stat(l, "f truncated", f);
	RV(l, "open dir for writing", open(dir, O_WRONLY));
	RV(l, "open file as dir", open(f, O_RDONLY | O_DIRECTORY));
	RV(l, "write to O_RDONLY fd", (fd = open(f, O_RDONLY)) < 0 ? -1 : write(fd, "x", 1));
	close(fd);
}

SCENARIO(o_append_writes_land_at_the_end)
{
	const char *f = fl_test_path(dir, "log");
	int a, b;

	write_str(f, "head\n");
	a = open(f, O_WRONLY | O_APPEND);
	b = open(f, O_WRONLY | O_APPEND);
	RV(l, "open a", a < 0 ? -1 : 0);
	RV(l, "open b", b < 0 ? -1 : 0);
	for (int i = 0; i < 50; i++) {
		RV(l, "append a", write(a, "aaaa\n", 5));
		RV(l, "append b", write(b, "bbbbbbb\n", 8));
	}
	/* pwrite on an O_APPEND fd appends too, on Linux */
	RV(l, "pwrite appends", pwrite(a, "P\n", 2, 0));
	RV(l, "offset after", lseek(a, 0, SEEK_CUR));
	close(a);
	close(b);
	rec_stat(l, "log", f);
}

SCENARIO(o_direct_aligned_io_matches_native)
{
	const char *f = fl_test_path(dir, "direct");
	void *buf = NULL, *back = NULL;
	int fd;

	assert_int_equal(posix_memalign(&buf, 4096, 65536), 0);
	assert_int_equal(posix_memalign(&back, 4096, 65536), 0);
	for (int i = 0; i < 65536; i++)
		((unsigned char *)buf)[i] = (unsigned char)(i * 7);
	fd = open(f, O_RDWR | O_CREAT | O_DIRECT, 0644);
	RV(l, "open O_DIRECT", fd < 0 ? -1 : 0);
	RV(l, "F_GETFL has O_DIRECT", (fcntl(fd, F_GETFL) & O_DIRECT) != 0);
	RV(l, "pwrite 64K", pwrite(fd, buf, 65536, 0));
	RV(l, "pwrite 4K at 8K", pwrite(fd, buf, 4096, 8192));
	RV(l, "pread 64K", pread(fd, back, 65536, 0));
	rec(l, "read data", (long long)crc32(0, back, 65536));
	RV(l, "fsync", fsync(fd));
	close(fd);
	rec_stat(l, "direct", f);
	free(buf);
	free(back);
}

SCENARIO(fallocate_modes_and_truncate_match_native)
{
	const char *f = fl_test_path(dir, "alloc");
	struct stat st;
	int fd = open(f, O_RDWR | O_CREAT, 0644);

	RV(l, "fallocate 0..64K", fallocate(fd, 0, 0, 65536));
	rec_stat(l, "after fallocate", f);
	RV(l, "fallocate keep size 64K..1M", fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 1 << 20));
	fstat(fd, &st);
	rec(l, "keep size: size", st.st_size);
	rec(l, "keep size: blocks cover 1M", (long long)st.st_blocks * 512 >= (1 << 20));
	RV(l, "write", pwrite(fd, "xxxxxxxxxxxxxxxx", 16, 4096));
	RV(l, "punch hole", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 8192));
	RV(l, "punch without keep size", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
	RV(l, "zero range", fallocate(fd, FALLOC_FL_ZERO_RANGE, 8192, 4096));
	RV(l, "SEEK_DATA", lseek(fd, 0, SEEK_DATA));
	RV(l, "ftruncate grow", ftruncate(fd, 200000));
	rec_stat(l, "grown", f);
	RV(l, "ftruncate shrink", ftruncate(fd, 100));
	rec_stat(l, "shrunk", f);
	RV(l, "truncate by path", truncate(f, 7));
	RV(l, "truncate negative", ftruncate(fd, -1));
	close(fd);
	rec_stat(l, "final", f);
}

SCENARIO(rename_flags_match_native)
{
	const char *a = fl_test_path(dir, "a"), *b = fl_test_path(dir, "b"), *c = fl_test_path(dir, "c");
	const char *d1 = fl_test_path(dir, "d1"), *d2 = fl_test_path(dir, "d2");

	write_str(a, "AAAA");
	write_str(b, "BB");
	RV(l, "noreplace over existing", renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE));
	RV(l, "exchange", renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE));
	rec_stat(l, "a after exchange", a);
	rec_stat(l, "b after exchange", b);
	RV(l, "exchange with missing", renameat2(AT_FDCWD, a, AT_FDCWD, c, RENAME_EXCHANGE));
	RV(l, "noreplace to new", renameat2(AT_FDCWD, a, AT_FDCWD, c, RENAME_NOREPLACE));
	RV(l, "plain over existing", rename(c, b));
	rec_stat(l, "b", b);
	rec_stat(l, "c gone", c);
	RV(l, "rename missing", rename(a, c));
	RV(l, "mkdir d1", mkdir(d1, 0755));
	RV(l, "mkdir d2", mkdir(d2, 0755));
	write_str(fl_test_path(dir, "d2/x"), "x");
	RV(l, "dir over non-empty dir", rename(d1, d2));
	RV(l, "file over dir", rename(b, d1));
	RV(l, "dir over file", rename(d1, b));
	RV(l, "dir into itself", rename(d2, fl_test_path(dir, "d2/sub")));
	RV(l, "dir over empty dir", rename(d2, d1));
	rec_stat(l, "d1/x", fl_test_path(dir, "d1/x"));
}

SCENARIO(link_symlink_unlink_mkdir_rmdir_mknod_match_native)
{
	const char *f = fl_test_path(dir, "f"), *h = fl_test_path(dir, "hard"), *s = fl_test_path(dir, "sym");
	const char *d = fl_test_path(dir, "d"), *fifo = fl_test_path(dir, "fifo");
	char buf[PATH_MAX] = { 0 };

	write_str(f, "data");
	RV(l, "link", link(f, h));
	rec_stat(l, "f after link", f);
	RV(l, "link exists", link(f, h));
	RV(l, "symlink", symlink("f", s));
	RV(l, "symlink exists", symlink("f", s));
	RV(l, "readlink", readlink(s, buf, sizeof(buf)));
	rec(l, "readlink target", (long long)crc32(0, (const Bytef *)buf, (uInt)strlen(buf)));
	rec_stat(l, "sym", s);
	RV(l, "stat through symlink", crc_of(s));
	RV(l, "dangling symlink", symlink("nowhere", fl_test_path(dir, "dangling")));
	RV(l, "open dangling", open(fl_test_path(dir, "dangling"), O_RDONLY));
	RV(l, "open symlink nofollow", open(s, O_RDONLY | O_NOFOLLOW));
	RV(l, "unlink hard", unlink(h));
	rec_stat(l, "f after unlink", f);
	RV(l, "unlink missing", unlink(h));
	RV(l, "mkdir", mkdir(d, 0750));
	RV(l, "mkdir exists", mkdir(d, 0750));
	rec_stat(l, "d", d);
	write_str(fl_test_path(dir, "d/in"), "in");
	RV(l, "rmdir not empty", rmdir(d));
	RV(l, "unlink dir", unlink(d));
	RV(l, "rmdir file", rmdir(f));
	RV(l, "unlink d/in", unlink(fl_test_path(dir, "d/in")));
	RV(l, "rmdir", rmdir(d));
	RV(l, "mkfifo", mkfifo(fifo, 0600));
	rec_stat(l, "fifo", fifo);
	RV(l, "mknod regular", mknod(fl_test_path(dir, "reg"), S_IFREG | 0600, 0));
	rec_stat(l, "reg", fl_test_path(dir, "reg"));
	RV(l, "unlink fifo", unlink(fifo));
}

/* SQLite refuses a database whose fstat shows nlink 0 or a stale count. */
SCENARIO(open_unlinked_and_replaced_files_report_nlink_like_native)
{
	const char *f = fl_test_path(dir, "f"), *g = fl_test_path(dir, "g"), *h = fl_test_path(dir, "h");
	const char *d = fl_test_path(dir, "d");
	struct stat st;
	int fd, fdg, fdd;

	write_str(f, "data");
	write_str(g, "gone");
	RV(l, "link", link(f, h));
	fd = open(f, O_RDWR);
	fdg = open(g, O_RDONLY);
	RV(l, "open f", fd < 0 ? -1 : 0);
	RV(l, "open g", fdg < 0 ? -1 : 0);
	RV(l, "fstat f", fstat(fd, &st));
	rec(l, "f nlink 2 links", (long long)st.st_nlink);
	RV(l, "unlink h", unlink(h));
	RV(l, "fstat f", fstat(fd, &st));
	rec(l, "f nlink 1 link", (long long)st.st_nlink);
	RV(l, "unlink f", unlink(f));
	RV(l, "fstat f", fstat(fd, &st));
	rec(l, "f nlink unlinked, open", (long long)st.st_nlink);
	RV(l, "write unlinked", write(fd, "more", 4));
	RV(l, "fstat f", fstat(fd, &st));
	rec(l, "f size unlinked", (long long)st.st_size);
	/* Replaced by a rename: the old inode is unlinked too. */
	write_str(f, "new");
	RV(l, "rename over g", rename(f, g));
	RV(l, "fstat old g", fstat(fdg, &st));
	rec(l, "old g nlink", (long long)st.st_nlink);
	RV(l, "mkdir", mkdir(d, 0755));
	fdd = open(d, O_RDONLY | O_DIRECTORY);
	RV(l, "open d", fdd < 0 ? -1 : 0);
	RV(l, "rmdir", rmdir(d));
	RV(l, "fstat removed dir", fstat(fdd, &st));
	rec(l, "removed dir nlink", (long long)st.st_nlink);
	rec_stat(l, "dir after", dir);
	close(fd);
	close(fdg);
	close(fdd);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void rec_listing(struct log *l, const char *label, const char *dir)
{
	char *names[512];
	int n = 0;
	uint32_t crc = (uint32_t)crc32(0, Z_NULL, 0);
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) && n < 512)
		names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		crc = (uint32_t)crc32(crc, (const Bytef *)names[i], (uInt)strlen(names[i]) + 1);
		free(names[i]);
	}
	rec(l, label, n);
	rec(l, "listing crc", crc);
}

SCENARIO(readdir_lists_the_same_names)
{
	const char *d = fl_test_path(dir, "many");

	RV(l, "empty listing", 0);
	rec_listing(l, "empty dir", dir);
	mkdir(d, 0755);
	/* Long names and enough of them to need several readdir calls. */
	for (int i = 0; i < 300; i++) {
		char name[200];

		snprintf(name, sizeof(name), "%s/file-%04d-%0120d", d, i, i);
		write_str(name, "");
	}
	mkdir(fl_test_path(dir, "many/sub"), 0755);
	symlink("x", fl_test_path(dir, "many/link"));
	rec_listing(l, "many", d);
	/* Names seen while some are removed meanwhile stay consistent. */
	for (int i = 0; i < 300; i += 2) {
		char name[200];

		snprintf(name, sizeof(name), "%s/file-%04d-%0120d", d, i, i);
		unlink(name);
	}
	rec_listing(l, "after unlinks", d);
}

SCENARIO(xattrs_match_native)
{
	const char *f = fl_test_path(dir, "x"), *d = fl_test_path(dir, "xd");
	char buf[256] = { 0 };

	write_str(f, "x");
	mkdir(d, 0755);
	RV(l, "get missing", getxattr(f, "user.a", buf, sizeof(buf)));
	RV(l, "set", setxattr(f, "user.a", "value-a", 7, 0));
	RV(l, "set create existing", setxattr(f, "user.a", "v", 1, XATTR_CREATE));
	RV(l, "set replace missing", setxattr(f, "user.b", "v", 1, XATTR_REPLACE));
	RV(l, "set b", setxattr(f, "user.b", "bbb", 3, XATTR_CREATE));
	RV(l, "size query", getxattr(f, "user.a", NULL, 0));
	RV(l, "get", getxattr(f, "user.a", buf, sizeof(buf)));
	rec(l, "value", (long long)crc32(0, (const Bytef *)buf, 7));
	RV(l, "get too small", getxattr(f, "user.a", buf, 2));
	RV(l, "list size", listxattr(f, NULL, 0));
	RV(l, "list", listxattr(f, buf, sizeof(buf)));
	RV(l, "trusted set", setxattr(f, "trusted.t", "tt", 2, 0));
	RV(l, "trusted get", getxattr(f, "trusted.t", buf, sizeof(buf)));
	RV(l, "remove", removexattr(f, "user.a"));
	RV(l, "remove again", removexattr(f, "user.a"));
	RV(l, "dir set", setxattr(d, "user.d", "dd", 2, 0));
	RV(l, "dir get", getxattr(d, "user.d", buf, sizeof(buf)));
	RV(l, "fd get", ({ int fd = open(f, O_RDONLY); long r = fgetxattr(fd, "user.b", buf,
					   sizeof(buf)); close(fd); r; }));
}

SCENARIO(chmod_chown_utimens_match_native)
{
	const char *f = fl_test_path(dir, "attrs");
	struct timespec ts[2] = { { 1000000, 5 }, { 2000000, 7 } };
	struct stat st;
	int fd;

	write_str(f, "a");
	RV(l, "chmod", chmod(f, 0604));
	RV(l, "chown", chown(f, 65534, 65534));
	RV(l, "utimensat", utimensat(AT_FDCWD, f, ts, 0));
	stat(f, &st);
	rec(l, "uid", st.st_uid);
	rec(l, "gid", st.st_gid);
	rec(l, "mtime", st.st_mtim.tv_sec);
	rec(l, "mtime ns", st.st_mtim.tv_nsec);
	rec(l, "atime", st.st_atim.tv_sec);
	fd = open(f, O_RDWR);
	RV(l, "fchmod", fchmod(fd, 0640));
	RV(l, "futimens now", futimens(fd, NULL));
	close(fd);
	rec_stat(l, "attrs", f);
}

/* Child: try lock kind on path, exit with the errno (0 = got it). */
static int child_try_lock(const char *path, int kind)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int fd = open(path, O_RDWR), r;
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10 };

		if (kind == 0)
			r = fcntl(fd, F_SETLK, &fl);
		else if (kind == 1)
			r = fcntl(fd, F_OFD_SETLK, &fl);
		else
			r = flock(fd, LOCK_EX | LOCK_NB);
		_exit(r ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

SCENARIO(posix_ofd_and_flock_locks_conflict_like_native)
{
	const char *f = fl_test_path(dir, "lockf");
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10 };
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10 };
	int fd, fd2;

	write_str(f, "0123456789abcdef");
	fd = open(f, O_RDWR);
	/* POSIX: held by us, refused to another process, reported by F_GETLK. */
	RV(l, "posix setlk", fcntl(fd, F_SETLK, &fl));
	rec(l, "posix conflict in child", child_try_lock(f, 0));
	q.l_start = 5;
	RV(l, "posix getlk", fcntl(fd, F_GETLK, &q));
	rec(l, "getlk type (own lock: unlocked)", q.l_type);
	fl.l_type = F_UNLCK;
	RV(l, "posix unlock", fcntl(fd, F_SETLK, &fl));
	rec(l, "posix after unlock in child", child_try_lock(f, 0));
	/* OFD: two open files in one process conflict. */
	fd2 = open(f, O_RDWR);
	fl.l_type = F_WRLCK;
	fl.l_pid = 0;
	RV(l, "ofd setlk", fcntl(fd, F_OFD_SETLK, &fl));
	fl.l_pid = 0;
	RV(l, "ofd second open file", fcntl(fd2, F_OFD_SETLK, &fl));
	rec(l, "ofd conflict in child", child_try_lock(f, 1));
	q.l_type = F_WRLCK;
	q.l_pid = 0;
	RV(l, "ofd getlk", fcntl(fd2, F_OFD_GETLK, &q));
	rec(l, "ofd getlk type", q.l_type);
	close(fd);
	rec(l, "ofd released by close", child_try_lock(f, 1));
	/* flock */
	RV(l, "flock", flock(fd2, LOCK_EX));
	rec(l, "flock conflict in child", child_try_lock(f, 2));
	RV(l, "flock unlock", flock(fd2, LOCK_UN));
	rec(l, "flock after unlock", child_try_lock(f, 2));
	close(fd2);
}

SCENARIO(shared_mmap_write_and_msync_reach_read)
{
	const char *f = fl_test_path(dir, "mapped");
	char buf[8192];
	char *p;
	int fd = open(f, O_RDWR | O_CREAT, 0644);

	RV(l, "ftruncate", ftruncate(fd, 8192));
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rec(l, "mmap", p == MAP_FAILED ? -errno : 0);
	if (p == MAP_FAILED)
		return;
	memset(p, 'm', 100);
	memcpy(p + 5000, "tail", 4);
	RV(l, "msync", msync(p, 8192, MS_SYNC));
	munmap(p, 8192);
	close(fd);
	fd = open(f, O_RDONLY);
	RV(l, "read", read(fd, buf, sizeof(buf)));
	rec(l, "read data", (long long)crc32(0, (const Bytef *)buf, sizeof(buf)));
	close(fd);
	rec_stat(l, "mapped", f);
}

SCENARIO(statfs_answers)
{
	struct statvfs sv;

	RV(l, "statvfs", statvfs(dir, &sv));
	rec(l, "bsize > 0", sv.f_bsize > 0);
	rec(l, "namemax", sv.f_namemax);
}

/* --- faultfs only ------------------------------------------------------------ */

static void test_state_dir_is_hidden_and_untouchable(void **state)
{
	const char *hidden = fl_test_path(M->mnt, ".faultfs");
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (!ready())
		skip();
	/* It exists in the backing tree ... */
	assert_int_equal(stat(fl_test_path(M->backing, ".faultfs"), &st), 0);
	/* ... and not on the mount. */
	assert_int_equal(stat(hidden, &st), -1);
	assert_int_equal(errno, ENOENT);
	d = opendir(M->mnt);
	assert_non_null(d);
	while ((de = readdir(d)))
		assert_string_not_equal(de->d_name, ".faultfs");
	closedir(d);
	assert_int_equal(mkdir(hidden, 0755), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(open(hidden, O_CREAT | O_WRONLY, 0644), -1);
	assert_int_equal(errno, EPERM);
	write_str(fl_test_path(M->mnt, "victim"), "v");
	assert_int_equal(rename(fl_test_path(M->mnt, "victim"), hidden), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(symlink("x", hidden), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(unlink(hidden), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(rmdir(hidden), -1);
	assert_int_equal(errno, ENOENT);
	/* Only at the root: a .faultfs further down is an ordinary name. */
	mkdir(fl_test_path(M->mnt, "sub"), 0755);
	assert_int_equal(mkdir(fl_test_path(M->mnt, "sub/.faultfs"), 0755), 0);
}

static void test_mmap_write_reaches_the_backing_file(void **state)
{
	char buf[16] = { 0 };
	char *p;
	int fd;

	if (!ready())
		skip();
	fd = open(fl_test_path(M->mnt, "mm"), O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	memcpy(p, "mmap-data", 9);
	assert_int_equal(msync(p, 4096, MS_SYNC), 0);
	munmap(p, 4096);
	close(fd);
	fd = open(fl_test_path(M->backing, "mm"), O_RDONLY);
	assert_int_equal(read(fd, buf, 9), 9);
	close(fd);
	assert_string_equal(buf, "mmap-data");
}

static void test_size_option_gives_enospc_and_statfs_reports_it(void **state)
{
	struct fl_faultfs_mount *m = *state;
	static char chunk[256 * 1024];
	struct statvfs sv;
	ssize_t n = 0;
	int fd, i;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_start(m, "size=1M"), 0);
	assert_int_equal(statvfs(m->mnt, &sv), 0);
	assert_int_equal((uint64_t)sv.f_blocks * sv.f_frsize, 1 << 20);
	fd = open(fl_test_path(m->mnt, "fill"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	memset(chunk, 'f', sizeof(chunk));
	for (i = 0; i < 8; i++) {
		n = write(fd, chunk, sizeof(chunk));
		if (n < 0)
			break;
	}
	assert_int_equal(n, -1);
	assert_int_equal(errno, ENOSPC);
	/* Exactly what fits was written: 4 x 256 KiB. */
	assert_int_equal(i, 4);
	assert_int_equal(statvfs(m->mnt, &sv), 0);
	assert_int_equal(sv.f_bavail, 0);
	assert_int_equal(fallocate(fd, 0, 1 << 20, 4096), -1);
	assert_int_equal(errno, ENOSPC);
	/* Overwriting allocated data needs no space. */
	assert_int_equal(pwrite(fd, chunk, 4096, 0), 4096);
	/* Freeing makes room again. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(write(fd, chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
	close(fd);
	assert_int_equal(fl_faultfs_stop(m), 0);
}

static void test_allow_other_lets_a_plain_user_work_on_the_mount(void **state)
{
	struct fl_faultfs_mount *m = *state;
	struct stat st;
	pid_t pid;
	int status;

	if (!fl_faultfs_require())
		skip();
	assert_int_equal(chmod(m->backing, 0777), 0);
	assert_int_equal(fl_faultfs_start(m, "allow_other"), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		fd = open(fl_test_path(m->mnt, "mine"), O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			_exit(11);
		if (write(fd, "nobody", 6) != 6 || fsync(fd) || close(fd))
			_exit(12);
		if (mkdir(fl_test_path(m->mnt, "mydir"), 0700))
			_exit(13);
		/* default_permissions: root's files stay root's. */
		if (chmod(m->mnt, 0700) == 0 || errno != EPERM)
			_exit(14);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(stat(fl_test_path(m->backing, "mine"), &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(stat(fl_test_path(m->backing, "mydir"), &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(fl_faultfs_stop(m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_create_read_write_match_native),
		cmocka_unit_test(test_o_append_writes_land_at_the_end),
		cmocka_unit_test(test_o_direct_aligned_io_matches_native),
		cmocka_unit_test(test_fallocate_modes_and_truncate_match_native),
		cmocka_unit_test(test_rename_flags_match_native),
		cmocka_unit_test(test_link_symlink_unlink_mkdir_rmdir_mknod_match_native),
		cmocka_unit_test(test_open_unlinked_and_replaced_files_report_nlink_like_native),
		cmocka_unit_test(test_readdir_lists_the_same_names),
		cmocka_unit_test(test_xattrs_match_native),
		cmocka_unit_test(test_chmod_chown_utimens_match_native),
		cmocka_unit_test(test_posix_ofd_and_flock_locks_conflict_like_native),
		cmocka_unit_test(test_shared_mmap_write_and_msync_reach_read),
		cmocka_unit_test(test_statfs_answers),
		cmocka_unit_test(test_state_dir_is_hidden_and_untouchable),
		cmocka_unit_test(test_mmap_write_reaches_the_backing_file),
		cmocka_unit_test_setup_teardown(test_size_option_gives_enospc_and_statfs_reports_it,
						fl_faultfs_setup, fl_faultfs_teardown),
		cmocka_unit_test_setup_teardown(test_allow_other_lets_a_plain_user_work_on_the_mount,
						fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
