// SPDX-License-Identifier: GPL-2.0-only
/*
 * The snapshot is the power cut's replay aimed at a copy: over seeded
 * random histories (overwrites, appends, truncates, fsyncs, lost writes,
 * creates, O_TRUNC, unlinks, renames over, exchanges, hard links, mkdir,
 * rmdir, directory fsyncs, mode changes), in both durability modes, the
 * image equals what a power cut right after leaves of the backing tree,
 * and taking it changes nothing in the backing tree; so in two steps with
 * operations between the copy and the catch-up under the lock.
 */
#include <dirent.h>
#include <sys/xattr.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include "dur_fixture.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* --- a digest of a tree: names, types, modes, sizes, contents, hard links -- */

struct digest {
	char *s;
	size_t n, cap;
	struct { dev_t dev; ino_t ino; char path[512]; } seen[256];
	size_t n_seen;
};

static void dg_add(struct digest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dg_add(struct digest *g, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	int k;

	va_start(ap, fmt);
	k = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(k >= 0 && (size_t)k < sizeof(line));
	if (g->n + (size_t)k + 1 > g->cap) {
		g->cap = (g->cap + (size_t)k + 1) * 2;
		g->s = realloc(g->s, g->cap);
		assert_non_null(g->s);
	}
	memcpy(g->s + g->n, line, (size_t)k + 1);
	g->n += (size_t)k;
}

static uint64_t fnv(int dirfd, const char *name, off_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	unsigned char buf[65536];
	ssize_t k;

	assert_true(fd >= 0);
	while ((k = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < k; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
	/* Its user.k attribute counts as content. */
	k = fgetxattr(fd, "user.k", buf, sizeof(buf));
	for (ssize_t i = 0; i < k; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	close(fd);
	(void)size;
	return h;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void dg_tree(struct digest *g, int dirfd, const char *prefix, bool top)
{
	struct dirent **list;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char proc[64];
	int n;

	assert_true(fd >= 0);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = scandir(proc, &list, NULL, by_name);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char path[512];
		struct stat st;

		if (!strcmp(name, ".") || !strcmp(name, "..") || (top && !strcmp(name, FFS_STATE_DIR)))
			goto next;
		snprintf(path, sizeof(path), "%s/%s", prefix, name);
		assert_int_equal(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
		if (S_ISREG(st.st_mode)) {
			const char *same = NULL;

			for (size_t k = 0; k < g->n_seen; k++)
				if (g->seen[k].dev == st.st_dev && g->seen[k].ino == st.st_ino)
					same = g->seen[k].path;
			if (!same && g->n_seen < 256) {
				g->seen[g->n_seen].dev = st.st_dev;
				g->seen[g->n_seen].ino = st.st_ino;
				snprintf(g->seen[g->n_seen++].path, 512, "%s", path);
			}
			dg_add(g, "%s f %o %lld %016llx%s%s\n", path, st.st_mode & 07777,
			       (long long)st.st_size,
			       (unsigned long long)fnv(fd, name, st.st_size), same ? " =" : "",
			       same ? same : "");
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			dg_add(g, "%s d %o\n", path, st.st_mode & 07777);
			assert_true(sub >= 0);
			dg_tree(g, sub, path, false);
			close(sub);
		} else {
			dg_add(g, "%s ? %o\n", path, st.st_mode);
		}
next:
		free(list[i]);
	}
	free(list);
	close(fd);
}

static char *digest(int dirfd)
{
	struct digest g = { 0 };

	dg_add(&g, "%s", "");
	dg_tree(&g, dirfd, "", true);
	return g.s;
}

/* --- random histories --------------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *const names[] = { "a", "b", "c", "d/x", "d/y", "e/z" };
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* The O_PATH fd of name's directory (root, d or e) and its last component. */
static int dir_of(struct dur_fx *x, const char *name, const char **base)
{
	const char *slash = strchr(name, '/');
	char dir[8];
	int fd;

	if (!slash) {
		*base = name;
		return openat(x->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name);
	*base = slash + 1;
	fd = openat(x->dir, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd;  /* -1 when the directory is gone */
}

/* data_only: writes, truncates, fsyncs, lost writes, attribute changes; no name changes. */
static void one_op(struct dur_fx *x, uint64_t *seed, unsigned gen, bool data_only)
{
	const char *n1 = names[rnd(seed) % N_NAMES], *n2 = names[rnd(seed) % N_NAMES], *b1, *b2;
	int d1 = dir_of(x, n1, &b1), d2 = dir_of(x, n2, &b2), fd = -1;
	char buf[6000];
	static const unsigned data_ops[] = { 0, 1, 2, 3, 4, 5, 9, 11, 15, 16 };
	unsigned op = data_only ? data_ops[rnd(seed) % (sizeof(data_ops) / sizeof(data_ops[0]))]
				: (unsigned)(rnd(seed) % 17);
	off_t off = (off_t)(rnd(seed) % 20000);
	size_t len = 1 + (size_t)(rnd(seed) % sizeof(buf));

	dur_fx_pattern(buf, len, (uint64_t)off, gen);
	if (d1 < 0)
		goto out;
	if (op <= 5 || op == 9 || op >= 15)
		fd = openat(d1, b1, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	switch (op) {
	case 0: case 1:           /* overwrite or extend */
		if (fd >= 0)
			ffs_dur_write(x->d, fd, buf, len, off);
		break;
	case 2: {                 /* append */
		struct stat st;

		if (fd >= 0 && !fstat(fd, &st))
			ffs_dur_write(x->d, fd, buf, len, st.st_size);
		break;
	}
	case 3:
		if (fd >= 0)
			ffs_dur_truncate(x->d, fd, off);
		break;
	case 4: case 5:
		if (fd >= 0)
			ffs_dur_fsync(x->d, fd, op == 5);
		break;
	case 6: {                 /* create (or O_TRUNC an existing one), write */
		int nfd;

		if (!ffs_dur_create(x->d, d1, b1, O_RDWR | O_CREAT | (rnd(seed) & 1 ? O_TRUNC : 0),
				    0640, &nfd)) {
			ffs_dur_write(x->d, nfd, buf, len / 4 + 1, 0);
			close(nfd);
		}
		break;
	}
	case 7:
		ffs_dur_unlink(x->d, d1, b1);
		break;
	case 8:
		if (d2 >= 0)
			ffs_dur_rename(x->d, d1, b1, d2, b2, rnd(seed) % 4 ? 0 : RENAME_EXCHANGE);
		break;
	case 9:                   /* a lying disk: the write is acknowledged, never durable */
		if (fd >= 0 && ffs_dur_write(x->d, fd, buf, len, off) == (ssize_t)len)
			ffs_dur_mark_lost(x->d, fd, off, len);
		break;
	case 10: {
		int lfd = openat(d1, b1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (lfd >= 0 && d2 >= 0)
			ffs_dur_link(x->d, lfd, d2, b2);
		if (lfd >= 0)
			close(lfd);
		break;
	}
	case 11: case 12: {       /* fsync a directory */
		int dd = openat(d1, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

		ffs_dur_fsyncdir(x->d, dd, false);
		close(dd);
		break;
	}
	case 13:                  /* a directory comes or goes (e only) */
		if (ffs_dur_mkdir(x->d, x->root, "e", 0750))
			ffs_dur_rmdir(x->d, x->root, "e");
		break;
	case 14: {                /* fsync the root */
		ffs_dur_fsyncdir(x->d, x->root, false);
		break;
	}
	case 15:                  /* setattr: a mode change, told as the passthrough tells it */
		if (fd >= 0 && !fchmod(fd, 0600 | (mode_t)(rnd(seed) % 0100)))
			ffs_dur_touch(x->d, fd);
		break;
	case 16:                  /* setxattr, told likewise */
		if (fd >= 0 && !fsetxattr(fd, "user.k", buf, 1 + len % 64, 0))
			ffs_dur_touch(x->d, fd);
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	if (d1 >= 0)
		close(d1);
	if (d2 >= 0)
		close(d2);
}

/*
 * two_step: prepare (the copy while requests go on), more operations (only
 * data ones in every other round, so that the catch-up is what runs), then
 * finish, as the mount does; else the one-step call.
 */
static void rounds(struct dur_fx *x, uint64_t seed0, bool two_step)
{
	char tmp[PATH_MAX];
	uint64_t seed = seed0, writes = 0, undone_names = 0, files = 0, catchup = 0, full = 0;
	uint64_t relinked = 0, moved = 0;
	unsigned gen = 1;

	mkdirat(x->dir, "d", 0755);
	for (int round = 0; round < 150; round++) {
		struct ffs_snapshot_report rep;
		char *before, *after, *image, *cut;
		int dest, ops = 1 + (int)(rnd(&seed) % 40);

		for (int i = 0; i < ops; i++)
			one_op(x, &seed, gen++, false);
		assert_int_equal(fl_fixture_tmpdir_create(tmp, sizeof(tmp)), 0);
		dest = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(dest >= 0);
		if (two_step) {
			struct ffs_snap *snap, *other = NULL;
			int more = 1 + (int)(rnd(&seed) % 30);

			assert_int_equal(ffs_dur_snapshot_prepare(x->d, dest, &snap), 0);
			/* A second one is refused while the first is being taken. */
			assert_int_equal(ffs_dur_snapshot_prepare(x->d, dest, &other), -EBUSY);
			for (int i = 0; i < more; i++)
				one_op(x, &seed, gen++, round % 2 == 0);
			before = digest(x->root);
			assert_int_equal(ffs_dur_snapshot_finish(snap, &rep), 0);
			catchup += rep.catchup_files;
			full += rep.full;
			relinked += rep.relinked;
			moved += rep.relinked_files;
		} else {
			before = digest(x->root);
			assert_int_equal(ffs_dur_snapshot(x->d, dest, &rep), 0);
		}
		writes += rep.cut.writes_undone;
		undone_names += rep.cut.names_undone;
		files += rep.files;
		after = digest(x->root);
		assert_string_equal(before, after);  /* the backing tree is left as it was */
		image = digest(dest);
		dur_fx_powercut(x, 0, 0, 0);
		cut = digest(x->root);
		if (strcmp(image, cut))
			print_message("seed %llu round %d: image\n%s\npower cut\n%s\n",
				      (unsigned long long)seed0, round, image, cut);
		assert_string_equal(image, cut);
		free(before);
		free(after);
		free(image);
		free(cut);
		close(dest);
		fl_fixture_tmpdir_destroy(tmp);
	}
	/* The histories did exercise the replay. */
	print_message("150 rounds: %llu files copied, %llu writes and %llu names left out\n",
		      (unsigned long long)files, (unsigned long long)writes,
		      (unsigned long long)undone_names);
	assert_true(writes > 100);
	if (x->mode == FFS_DUR_STRICT)
		assert_true(undone_names > 50);
	if (two_step) {
		/* Both ways of finishing ran: the catch-up and the copy of everything again. */
		print_message("two steps: %llu files caught up; %llu rounds rebuilt the tree around "
			      "the copies (%llu files moved), %llu copied all again\n",
			      (unsigned long long)catchup, (unsigned long long)relinked,
			      (unsigned long long)moved, (unsigned long long)full);
		assert_true(catchup > 30);
		assert_true(relinked > 30 && relinked < 150 && moved > 30);
		assert_int_equal(full, 0);  /* no power cut ran between the steps */
	}
}

static void test_image_equals_the_powercut_strict(void **state)
{
	rounds(*state, 0x5eed0001ull, false);
}

static void test_image_equals_the_powercut_data_mode(void **state)
{
	rounds(*state, 0x5eed0002ull, false);
}

static void test_two_steps_with_changes_between_equal_the_powercut_strict(void **state)
{
	rounds(*state, 0x5eed0003ull, true);
}

static void test_two_steps_with_changes_between_equal_the_powercut_data_mode(void **state)
{
	rounds(*state, 0x5eed0004ull, true);
}

static void test_simple_cases_by_hand(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_snapshot_report rep;
	char tmp[PATH_MAX];
	int fd, dest;

	dur_fx_put(x, "old", "durable", 7);
	fd = dur_fx_open(x, "old", O_RDWR);
	dur_fx_write(x, fd, "VOLATILE", 8, 0);
	close(fd);
	assert_int_equal(ffs_dur_create(x->d, x->root, "new", O_RDWR | O_CREAT, 0644, &fd), 0);
	dur_fx_write(x, fd, "n", 1, 0);
	assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
	close(fd);
	assert_int_equal(fl_fixture_tmpdir_create(tmp, sizeof(tmp)), 0);
	dest = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(ffs_dur_snapshot(x->d, dest, &rep), 0);
	{
		struct dur_fx img = { .dir = dest };

		dur_fx_assert_content(&img, "old", "durable", 7);
		assert_false(dur_fx_exists(&img, "new"));  /* root never fsynced */
		assert_false(dur_fx_exists(&img, FFS_STATE_DIR));
	}
	assert_int_equal(rep.cut.writes_undone, 1);
	assert_int_equal(rep.cut.names_undone, 1);
	dur_fx_assert_content(x, "old", "VOLATILE", 8);
	close(dest);
	fl_fixture_tmpdir_destroy(tmp);
}

/*
 * A file copied by the first step is deleted for good and its inode number
 * handed to a new file before the second: the new file is copied anew, not
 * taken for the old one moved (its hole would show the old bytes).
 */
static void test_an_inode_number_reused_between_the_steps(void **state)
{
	struct dur_fx *x = *state;
	struct ffs_snapshot_report rep;
	struct ffs_snap *snap;
	char tmp[PATH_MAX], buf[8192], name[16], *image, *cut;
	struct stat a, b = { 0 };
	int fd = -1, dest, i;

	dur_fx_pattern(buf, sizeof(buf), 0, 1);
	dur_fx_put(x, "a", buf, sizeof(buf));
	assert_int_equal(fstatat(x->dir, "a", &a, 0), 0);
	assert_int_equal(fl_fixture_tmpdir_create(tmp, sizeof(tmp)), 0);
	dest = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(ffs_dur_snapshot_prepare(x->d, dest, &snap), 0);
	assert_int_equal(ffs_dur_unlink(x->d, x->root, "a"), 0);
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->root, false), 0);  /* gone for good */
	for (i = 0; i < 64 && b.st_ino != a.st_ino; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		assert_int_equal(ffs_dur_create(x->d, x->root, name, O_RDWR | O_CREAT, 0644, &fd), 0);
		dur_fx_write(x, fd, "new", 3, 4096);  /* a hole before: zeros */
		assert_int_equal(ffs_dur_fsync(x->d, fd, false), 0);
		assert_int_equal(fstat(fd, &b), 0);
		close(fd);
	}
	assert_int_equal(ffs_dur_fsyncdir(x->d, x->root, false), 0);
	if (b.st_ino != a.st_ino)
		print_message("note: the filesystem handed out no old inode number; nothing reused\n");
	assert_int_equal(ffs_dur_snapshot_finish(snap, &rep), 0);
	assert_true(rep.relinked);
	image = digest(dest);
	dur_fx_powercut(x, 0, 0, 0);
	cut = digest(x->root);
	assert_string_equal(image, cut);
	free(image);
	free(cut);
	close(dest);
	fl_fixture_tmpdir_destroy(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_simple_cases_by_hand, dur_fx_setup,
						dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_image_equals_the_powercut_strict, dur_fx_setup,
						dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_image_equals_the_powercut_data_mode,
						dur_fx_setup_data, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_an_inode_number_reused_between_the_steps,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_two_steps_with_changes_between_equal_the_powercut_strict,
						dur_fx_setup, dur_fx_teardown),
		cmocka_unit_test_setup_teardown(test_two_steps_with_changes_between_equal_the_powercut_data_mode,
						dur_fx_setup_data, dur_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
