// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline fs snapshot MNT DEST` against a real faultfs mount (root): the
 * image holds what a power cut at that instant would leave (fsynced data;
 * names per the durability mode and the directory fsyncs), the same as a
 * power cut right after makes of the mount; the mount itself is left as it
 * is; a write racing with the snapshot is wholly in or wholly out, and an
 * fsync answered before it began is in; a rename-over racing with it leaves
 * one whole version; DEST inside the mount is refused.
 * It also measures how long writers are held for 10 MB and 100 MB.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include <faultline/fs_snapshot.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static bool require_all(void)
{
	char bin[PATH_MAX];

	if (!fl_faultfs_require() || !fl_test_binary("faultline", bin, sizeof(bin)))
		return false;
	return true;
}

static void put(const char *dir, const char *name, const void *data, size_t len, bool sync)
{
	int fd = open(fl_test_path(dir, "%s", name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	if (sync)
		assert_int_equal(fsync(fd), 0);
	assert_int_equal(close(fd), 0);
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static bool exists(const char *dir, const char *name)
{
	return access(fl_test_path(dir, "%s", name), F_OK) == 0;
}

static void assert_content(const char *dir, const char *name, const void *want, size_t len)
{
	char *buf = malloc(len + 16);
	ssize_t n;
	int fd;

	assert_non_null(buf);
	fd = open(fl_test_path(dir, "%s", name), O_RDONLY);
	assert_true(fd >= 0);
	n = pread(fd, buf, len + 16, 0);
	close(fd);
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(buf, want, len);
	free(buf);
}

/* Snapshot c's mount into c->dir/NAME through the library; returns the result. */
static struct fl_fs_snapshot snap(struct fl_faultfs_mount *c, const char *name, char *dest,
				  size_t len)
{
	struct fl_fs_snapshot r;
	char why[512] = "";
	int err;

	snprintf(dest, len, "%s/%s", c->dir, name);
	err = fl_fs_snapshot(c->mnt, dest, 60000, &r, why, sizeof(why));
	if (err)
		print_message("snapshot failed: %s\n", why);
	assert_int_equal(err, 0);
	return r;
}

static void test_fsynced_data_is_in_the_image_and_unsynced_bytes_are_not(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char s[PATH_MAX], out[4096];
	struct fl_fs_snapshot r;
	json_t *j;
	int fd;

	if (!require_all())
		skip();
	put(c->backing, "old", "durable", 7, false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(c->mnt, "synced", "kept", 4, true);
	sync_dir(c->mnt);
	fd = open(fl_test_path(c->mnt, "old"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "VOLATILE", 8, 0), 8);
	assert_int_equal(pwrite(fd, "tail", 4, 100), 4);
	close(fd);
	/* fsynced, then overwritten without fsync: the image has the fsynced bytes. */
	put(c->mnt, "synced", "KEPT", 4, false);

	assert_int_equal(setxattr(fl_test_path(c->mnt, "synced"), "user.tag", "t1", 2, 0), 0);
	r = snap(c, "s", s, sizeof(s));
	{
		char v[8];

		/* Attributes are durable at once in the model: in the image. */
		assert_int_equal(getxattr(fl_test_path(s, "synced"), "user.tag", v, sizeof(v)), 2);
		assert_memory_equal(v, "t1", 2);
	}
	assert_content(s, "old", "durable", 7);
	assert_content(s, "synced", "kept", 4);
	assert_int_equal(r.files, 2);
	assert_int_equal(r.bytes, 11);
	assert_true(r.writes_undone >= 3);
	/* The service is not told: the mount still shows what it wrote. */
	assert_content(c->mnt, "synced", "KEPT", 4);
	{
		char head[8];

		fd = open(fl_test_path(c->mnt, "old"), O_RDONLY);
		assert_int_equal(pread(fd, head, 8, 0), 8);
		close(fd);
		assert_memory_equal(head, "VOLATILE", 8);
	}
	/* The CLI: --json carries files, bytes and the hold. */
	assert_int_equal(fl_faultline_fs(out, sizeof(out), "snapshot", c->mnt,
					 fl_test_path(c->dir, "s2"), "--json", NULL), 0);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "files")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), 11);
	assert_true(json_is_integer(json_object_get(j, "held_ns")));
	json_decref(j);
	/* The write log places each snapshot's instant among the operations. */
	{
		static char log[1 << 20];
		int snaps = 0;

		assert_int_equal(fl_faultline_fs(log, sizeof(log), "log", c->mnt, NULL), 0);
		for (char *l = strtok(log, "\n"); l; l = strtok(NULL, "\n"))
			if (strstr(l, "\"op\":\"snapshot\"") && strstr(l, "\"writes_undone\""))
				snaps++;
		assert_int_equal(snaps, 2);
	}
}

static void test_names_follow_the_directory_fsync_in_strict_mode(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char s[PATH_MAX];

	if (!require_all())
		skip();
	put(c->backing, "gone", "precious", 8, false);
	put(c->backing, "moved", "m", 1, false);
	put(c->backing, "over", "old", 3, false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(c->mnt, "dirsync", "y", 1, true);
	assert_int_equal(mkdir(fl_test_path(c->mnt, "sub"), 0750), 0);
	put(c->mnt, "sub/inner", "i", 1, true);
	sync_dir(fl_test_path(c->mnt, "sub"));
	sync_dir(c->mnt);
	put(c->mnt, "nodirsync", "x", 1, true);
	assert_int_equal(unlink(fl_test_path(c->mnt, "gone")), 0);
	assert_int_equal(rename(fl_test_path(c->mnt, "moved"), fl_test_path(c->mnt, "moved2")), 0);
	/* The write-then-rename idiom without the directory fsync: the old file stays. */
	put(c->mnt, "over.tmp", "new", 3, true);
	assert_int_equal(rename(fl_test_path(c->mnt, "over.tmp"), fl_test_path(c->mnt, "over")), 0);

	snap(c, "s", s, sizeof(s));
	assert_content(s, "dirsync", "y", 1);
	assert_content(s, "sub/inner", "i", 1);
	assert_false(exists(s, "nodirsync"));
	assert_content(s, "gone", "precious", 8);
	assert_content(s, "moved", "m", 1);
	assert_false(exists(s, "moved2"));
	assert_content(s, "over", "old", 3);
	assert_false(exists(s, "over.tmp"));
	{
		struct stat st;

		assert_int_equal(stat(fl_test_path(s, "sub"), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0750);
	}
	/* Now the directory fsync: the next image has the new names. */
	sync_dir(c->mnt);
	snap(c, "t", s, sizeof(s));
	assert_content(s, "nodirsync", "x", 1);
	assert_false(exists(s, "gone"));
	assert_content(s, "moved2", "m", 1);
	assert_content(s, "over", "new", 3);
	/* The mount kept its names all along. */
	assert_false(exists(c->mnt, "gone"));
	assert_content(c->mnt, "over", "new", 3);
}

static void test_names_are_durable_at_once_in_data_mode(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char s[PATH_MAX];

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, "durability=data"), 0);
	put(c->mnt, "nodirsync", "x", 1, true);
	put(c->mnt, "nofsync", "z", 1, false);
	snap(c, "s", s, sizeof(s));
	assert_content(s, "nodirsync", "x", 1);
	assert_content(s, "nofsync", "", 0);
}

/* a and b hold the same tree: names, types, modes, owners, contents. */
static void assert_same_tree(const char *a, const char *b)
{
	struct dirent **la, **lb;
	int na = scandir(a, &la, NULL, alphasort), nb = scandir(b, &lb, NULL, alphasort);

	assert_true(na >= 0 && nb >= 0);
	if (na != nb)
		print_message("differ: %s (%d entries) and %s (%d)\n", a, na, b, nb);
	assert_int_equal(na, nb);
	for (int i = 0; i < na; i++) {
		const char *n = la[i]->d_name;
		char pa[PATH_MAX], pb[PATH_MAX];
		struct stat sa, sb;

		assert_string_equal(n, lb[i]->d_name);
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		snprintf(pa, sizeof(pa), "%s/%s", a, n);
		snprintf(pb, sizeof(pb), "%s/%s", b, n);
		assert_int_equal(lstat(pa, &sa), 0);
		assert_int_equal(lstat(pb, &sb), 0);
		assert_int_equal(sa.st_mode, sb.st_mode);
		assert_int_equal(sa.st_uid, sb.st_uid);
		if (S_ISDIR(sa.st_mode)) {
			assert_same_tree(pa, pb);
		} else if (S_ISREG(sa.st_mode)) {
			char *ca = malloc((size_t)sa.st_size + 1), *cb = malloc((size_t)sa.st_size + 1);
			int fa = open(pa, O_RDONLY), fb = open(pb, O_RDONLY);

			if (sa.st_size != sb.st_size)
				print_message("differ: %s %lld bytes, %s %lld\n", pa,
					      (long long)sa.st_size, pb, (long long)sb.st_size);
			assert_int_equal(sa.st_size, sb.st_size);
			assert_int_equal(pread(fa, ca, (size_t)sa.st_size, 0), sa.st_size);
			assert_int_equal(pread(fb, cb, (size_t)sa.st_size, 0), sa.st_size);
			assert_memory_equal(ca, cb, (size_t)sa.st_size);
			close(fa);
			close(fb);
			free(ca);
			free(cb);
		}
	}
	for (int i = 0; i < na; i++)
		free(la[i]);
	for (int i = 0; i < nb; i++)
		free(lb[i]);
	free(la);
	free(lb);
}

/*
 * A mixed history (overwrites, appends, truncates, creates, unlinks,
 * renames over, a directory rename, hard links; some fsynced): the image
 * is exactly what a power cut made right after it leaves of the mount.
 */
static void test_the_image_is_what_a_powercut_then_leaves(void **state)
{
	struct fl_faultfs_mount *c = *state;
	char s[PATH_MAX], big[65536];
	int fd;

	if (!require_all())
		skip();
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	put(c->backing, "a", big, sizeof(big), false);
	put(c->backing, "b", "bbbb", 4, false);
	assert_int_equal(mkdir(fl_test_path(c->backing, "d"), 0755), 0);
	put(c->backing, "d/x", "xx", 2, false);
	assert_int_equal(fl_faultfs_start(c, NULL), 0);

	fd = open(fl_test_path(c->mnt, "a"), O_RDWR);
	assert_int_equal(pwrite(fd, "ONE", 3, 10), 3);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(pwrite(fd, "TWO", 3, 20), 3);
	assert_int_equal(ftruncate(fd, 30000), 0);
	assert_int_equal(pwrite(fd, "END", 3, 40000), 3);
	close(fd);
	put(c->mnt, "new-synced", "ns", 2, true);
	assert_int_equal(link(fl_test_path(c->mnt, "b"), fl_test_path(c->mnt, "b-link")), 0);
	sync_dir(c->mnt);
	put(c->mnt, "b", "BB", 2, false);  /* O_TRUNC of a linked file: both names */
	assert_int_equal(rename(fl_test_path(c->mnt, "d"), fl_test_path(c->mnt, "e")), 0);
	put(c->mnt, "e/y", "yy", 2, true);
	sync_dir(fl_test_path(c->mnt, "e"));
	assert_int_equal(unlink(fl_test_path(c->mnt, "new-synced")), 0);
	put(c->mnt, "volatile-new", "vn", 2, false);

	snap(c, "s", s, sizeof(s));
	assert_int_equal(fl_faultline_fs(NULL, 0, "powercut", c->mnt, NULL), 0);
	assert_same_tree(c->mnt, s);
	/* Spot checks, so that the comparison cannot pass on two empty trees. */
	assert_content(s, "b", "bbbb", 4);
	assert_content(s, "b-link", "bbbb", 4);
	assert_content(s, "d/x", "xx", 2);
	assert_content(s, "new-synced", "ns", 2);
	assert_false(exists(s, "volatile-new"));
}

/* --- a writer racing with snapshots ---------------------------------------- */

#define REC 4096
#define RACE_RECS 4000

struct racer {
	const char *path;
	volatile int stop;
	uint64_t acked;           /* records whose fsync has returned (atomic) */
	uint64_t max_lat_ns;      /* the slowest write+fsync */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fill_rec(char *buf, uint64_t id)
{
	for (size_t i = 0; i < REC; i += 8) {
		uint64_t v = id * 0x9e3779b97f4a7c15ull ^ i;

		memcpy(buf + i, &v, 8);
	}
	memcpy(buf, &id, 8);
}

static void *race_writer(void *arg)
{
	struct racer *r = arg;
	char buf[REC];
	int fd = open(r->path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		return NULL;
	for (uint64_t id = 1; id <= RACE_RECS && !r->stop; id++) {
		uint64_t t0 = now_ns(), lat;

		fill_rec(buf, id);
		if (pwrite(fd, buf, REC, (off_t)(id - 1) * REC) != REC || fsync(fd))
			break;
		__atomic_store_n(&r->acked, id, __ATOMIC_RELEASE);
		lat = now_ns() - t0;
		if (lat > r->max_lat_ns)
			r->max_lat_ns = lat;
	}
	close(fd);
	return NULL;
}

/* Every record in the image is whole; returns how many there are. */
static uint64_t whole_records(const char *path)
{
	char buf[REC], want[REC];
	uint64_t n = 0;
	int fd = open(path, O_RDONLY);
	ssize_t k;

	if (fd < 0)
		return 0;
	while ((k = pread(fd, buf, REC, (off_t)n * REC)) > 0) {
		assert_int_equal(k, REC);  /* no torn record at the end */
		fill_rec(want, n + 1);
		assert_memory_equal(buf, want, REC);
		n++;
	}
	close(fd);
	return n;
}

static void test_a_racing_write_is_wholly_in_or_out_and_acked_ones_are_in(void **state)
{
	struct fl_faultfs_mount *c = *state;
	struct racer r = { 0 };
	char s[PATH_MAX], name[32];
	pthread_t t;
	int taken = 0;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(c->mnt, "log", "", 0, true);
	sync_dir(c->mnt);
	r.path = fl_test_path(c->mnt, "log");
	assert_int_equal(pthread_create(&t, NULL, race_writer, &r), 0);
	for (int i = 0; i < 12; i++) {
		uint64_t before, in_image, after;

		usleep(20000);
		before = __atomic_load_n(&r.acked, __ATOMIC_ACQUIRE);
		snprintf(name, sizeof(name), "race%d", i);
		snap(c, name, s, sizeof(s));
		after = __atomic_load_n(&r.acked, __ATOMIC_ACQUIRE);
		in_image = whole_records(fl_test_path(s, "log"));
		/* Acked before it began: in; at most the one in flight after `after` besides. */
		assert_true(in_image >= before);
		assert_true(in_image <= after + 1);
		taken++;
	}
	r.stop = 1;
	pthread_join(t, NULL);
	print_message("race: %d snapshots during %llu fsynced records, slowest write+fsync %.3f ms\n",
		      taken, (unsigned long long)r.acked, (double)r.max_lat_ns / 1e6);
}

/* The rename-over idiom in a loop: cfg is always one whole record. */
static void *rename_writer(void *arg)
{
	struct racer *r = arg;
	char buf[REC], tmp[PATH_MAX], cfg[PATH_MAX];
	int dfd = open(r->path, O_RDONLY | O_DIRECTORY);

	snprintf(tmp, sizeof(tmp), "%s/cfg.tmp", r->path);
	snprintf(cfg, sizeof(cfg), "%s/cfg", r->path);
	for (uint64_t id = 1; dfd >= 0 && id <= RACE_RECS && !r->stop; id++) {
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		fill_rec(buf, id);
		if (fd < 0 || write(fd, buf, REC) != REC || fsync(fd) || close(fd) ||
		    rename(tmp, cfg) || fsync(dfd))
			break;
		__atomic_store_n(&r->acked, id, __ATOMIC_RELEASE);
	}
	if (dfd >= 0)
		close(dfd);
	return NULL;
}

static void test_a_racing_rename_over_leaves_one_whole_version(void **state)
{
	struct fl_faultfs_mount *c = *state;
	struct racer r = { 0 };
	char s[PATH_MAX], name[32], buf[REC + 1], want[REC];
	int relinked = 0;
	pthread_t t;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	r.path = c->mnt;
	assert_int_equal(pthread_create(&t, NULL, rename_writer, &r), 0);
	for (int i = 0; i < 10; i++) {
		struct fl_fs_snapshot res;
		uint64_t before, after, id;
		int fd;

		usleep(20000);
		before = __atomic_load_n(&r.acked, __ATOMIC_ACQUIRE);
		snprintf(name, sizeof(name), "ren%d", i);
		res = snap(c, name, s, sizeof(s));
		after = __atomic_load_n(&r.acked, __ATOMIC_ACQUIRE);
		relinked += res.relinked;
		assert_false(res.full);  /* no power cut: never everything copied again */
		fd = open(fl_test_path(s, "cfg"), O_RDONLY);
		if (fd < 0) {
			assert_int_equal(before, 0);  /* none acknowledged yet */
			continue;
		}
		assert_int_equal(pread(fd, buf, REC + 1, 0), REC);
		close(fd);
		memcpy(&id, buf, 8);
		fill_rec(want, id);
		assert_memory_equal(buf, want, REC);
		assert_true(id >= before && id <= after + 1);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	print_message("rename race: 10 snapshots over %llu rename-overs, %d walked the names again "
		      "(a name changed during the copy)\n", (unsigned long long)r.acked, relinked);
}

static void test_dest_inside_the_mount_or_not_empty_is_refused(void **state)
{
	struct fl_faultfs_mount *c = *state;
	struct fl_fs_snapshot r;
	char why[512];

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	put(c->mnt, "f", "x", 1, true);
	assert_int_equal(fl_fs_snapshot(c->mnt, fl_test_path(c->mnt, "snap"), 10000, &r, why,
					sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "inside the mount"));
	assert_false(exists(c->mnt, "snap"));
	assert_int_equal(fl_fs_snapshot(c->mnt, c->mnt, 10000, &r, why, sizeof(why)), -EINVAL);
	/* The backing tree: the daemon refuses (the copy would copy itself). */
	assert_int_not_equal(fl_fs_snapshot(c->mnt, fl_test_path(c->backing, "snap"), 10000, &r,
					    why, sizeof(why)), 0);
	assert_non_null(strstr(why, "inside the backing"));
	assert_false(exists(c->backing, "snap"));
	/* The mount and the backing tree reached through bind mounts: refused by identity. */
	{
		char bind[PATH_MAX];

		snprintf(bind, sizeof(bind), "%s/bind-mnt", c->dir);
		assert_int_equal(mkdir(bind, 0700), 0);
		if (fl_fixture_cmd((char *const[]){ "mount", "--bind", c->mnt, bind, NULL }) == 0) {
			assert_int_not_equal(fl_fs_snapshot(c->mnt, fl_test_path(bind, "snap"), 10000,
							    &r, why, sizeof(why)), 0);
			assert_non_null(strstr(why, "inside the mount"));
			assert_false(exists(c->mnt, "snap"));
			fl_fixture_cmd((char *const[]){ "umount", bind, NULL });
		}
		snprintf(bind, sizeof(bind), "%s/bind-back", c->dir);
		assert_int_equal(mkdir(bind, 0700), 0);
		if (fl_fixture_cmd((char *const[]){ "mount", "--bind", c->backing, bind, NULL }) == 0) {
			assert_int_not_equal(fl_fs_snapshot(c->mnt, fl_test_path(bind, "snap"), 10000,
							    &r, why, sizeof(why)), 0);
			assert_non_null(strstr(why, "inside the backing"));
			assert_false(exists(c->backing, "snap"));
			fl_fixture_cmd((char *const[]){ "umount", bind, NULL });
		}
	}
	/* Not empty. */
	assert_int_equal(mkdir(fl_test_path(c->dir, "full"), 0700), 0);
	put(c->dir, "full/keep", "k", 1, false);
	assert_int_equal(fl_fs_snapshot(c->mnt, fl_test_path(c->dir, "full"), 10000, &r, why,
					sizeof(why)), -ENOTEMPTY);
	assert_content(c->dir, "full/keep", "k", 1);
	/* Not a faultfs mount. */
	assert_int_equal(fl_fs_snapshot(c->dir, fl_test_path(c->dir, "x"), 10000, &r, why,
					sizeof(why)), -EMEDIUMTYPE);
	/* The CLI says so and exits 1. */
	assert_int_equal(fl_faultline_fs(NULL, 0, "snapshot", c->mnt, fl_test_path(c->mnt, "s"),
					 NULL), 1);
}

/* --- the hold: writers' stall for 10 MB and 100 MB -------------------------- */

struct ticker {
	const char *path;
	const char *flip_a, *flip_b; /* or NULL: also rename a file back and forth */
	volatile int stop;
	uint64_t max_ns;
};

static void *tick_writer(void *arg)
{
	struct ticker *t = arg;
	int fd = open(t->path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		return NULL;
	for (off_t off = 0; !t->stop; off = (off + 512) % (1 << 20)) {
		uint64_t t0 = now_ns(), lat;

		if (pwrite(fd, "tick", 4, off) != 4)
			break;
		if (t->flip_a && rename((off / 512) % 2 ? t->flip_b : t->flip_a,
					(off / 512) % 2 ? t->flip_a : t->flip_b))
			break;
		lat = now_ns() - t0;
		if (lat > t->max_ns)
			t->max_ns = lat;
		usleep(200);
	}
	close(fd);
	return NULL;
}

/* renames: names change all through the copy, so the hold walks the names again. */
static void stall(struct fl_faultfs_mount *c, size_t mb, bool renames)
{
	char tag = renames ? 'r' : 'p';
	char s[PATH_MAX], name[32], *buf = malloc(1 << 20);
	struct ticker t = { 0 };
	struct fl_fs_snapshot r;
	pthread_t th;
	int fd;

	assert_non_null(buf);
	memset(buf, 'd', 1 << 20);
	/* Ten files of mb/10 MB, fsynced; a quarter of the last rewritten without fsync. */
	for (size_t f = 0; f < 10; f++) {
		fd = open(fl_test_path(c->mnt, "data%zu%c-%zu", mb, tag, f), O_WRONLY | O_CREAT, 0644);
		assert_true(fd >= 0);
		for (size_t i = 0; i < mb / 10; i++)
			assert_int_equal(write(fd, buf, 1 << 20), 1 << 20);
		assert_int_equal(fsync(fd), 0);
		close(fd);
	}
	sync_dir(c->mnt);
	fd = open(fl_test_path(c->mnt, "data%zu%c-9", mb, tag), O_WRONLY);
	memset(buf, 'v', 1 << 20);
	for (size_t i = 0; i < (mb / 10 + 3) / 4; i++)
		assert_int_equal(write(fd, buf, 1 << 20), 1 << 20);
	close(fd);
	t.path = fl_test_path(c->mnt, "ticker%zu%c", mb, tag);
	if (renames) {
		put(c->mnt, "flip-a", "f", 1, true);
		t.flip_a = strdup(fl_test_path(c->mnt, "flip-a"));
		t.flip_b = strdup(fl_test_path(c->mnt, "flip-b"));
	}
	assert_int_equal(pthread_create(&th, NULL, tick_writer, &t), 0);
	usleep(100000);
	snprintf(name, sizeof(name), "stall%zu%c", mb, tag);
	r = snap(c, name, s, sizeof(s));
	usleep(100000);
	t.stop = 1;
	pthread_join(th, NULL);
	print_message("stall: %zu MB%s: writers held %.1f ms (%s, %llu bytes copied again), bulk "
		      "copy %.1f ms, whole call %.1f ms; slowest write %.1f ms; image %llu files, "
		      "%llu bytes, %llu bytes left out\n",
		      mb, renames ? " with names changing" : "", (double)r.held_ns / 1e6,
		      r.full ? "full" : r.relinked ? "names walked again" : "catch-up",
		      (unsigned long long)r.catchup_bytes, (double)r.precopy_ns / 1e6,
		      (double)r.total_ns / 1e6, (double)t.max_ns / 1e6, (unsigned long long)r.files,
		      (unsigned long long)r.bytes, (unsigned long long)r.bytes_undone);
	assert_true(r.bytes >= mb << 20);
	/* No power cut during the copy: only what the ticker wrote was copied again. */
	assert_false(r.full);
	if (!renames)
		assert_false(r.relinked);
	assert_true(r.catchup_bytes < (1 << 20));
	assert_true(r.held_ns < r.total_ns);
	{
		char head[4];

		fd = open(fl_test_path(s, "data%zu%c-9", mb, tag), O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, head, 4, 0), 4);
		close(fd);
		assert_memory_equal(head, "dddd", 4);
	}
	free((char *)t.flip_a);
	free((char *)t.flip_b);
	free(buf);
}

static void test_writers_are_held_only_for_the_copy_10mb_and_100mb(void **state)
{
	struct fl_faultfs_mount *c = *state;

	if (!require_all())
		skip();
	assert_int_equal(fl_faultfs_start(c, NULL), 0);
	stall(c, 10, false);
	stall(c, 100, false);
	stall(c, 100, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fl_faultfs_setup, fl_faultfs_teardown)
		T(test_fsynced_data_is_in_the_image_and_unsynced_bytes_are_not),
		T(test_names_follow_the_directory_fsync_in_strict_mode),
		T(test_names_are_durable_at_once_in_data_mode),
		T(test_the_image_is_what_a_powercut_then_leaves),
		T(test_a_racing_write_is_wholly_in_or_out_and_acked_ones_are_in),
		T(test_a_racing_rename_over_leaves_one_whole_version),
		T(test_dest_inside_the_mount_or_not_empty_is_refused),
		T(test_writers_are_held_only_for_the_copy_10mb_and_100mb),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
