// SPDX-License-Identifier: GPL-2.0-only
/*
 * The snapshot: what a power cut at this instant would leave, written into
 * another directory while the backing tree stays as it is.
 *
 * It is the power cut's own replay aimed at a copy: the backing tree (and
 * the parked entries of trash/, which an undone unlink brings back) is
 * copied as it is, then every file's volatile records are replayed onto
 * its copy (dur_file_replay, the undo files only read) and the name
 * journal is replayed onto the copy's directories (dur_names_replay). The
 * copies are found by the backing inode the records name, so hard links,
 * renames and parked entries resolve as they do in a power cut.
 *
 * Two steps keep writers waiting only for what changed: prepare copies the
 * tree while requests go on, with the watch on (dur_watch.c); finish, under
 * the operations lock held exclusively, copies again the byte ranges
 * written and the attributes changed meanwhile, then replays. After a name
 * change the names are walked again and the tree rebuilt around the files
 * already copied (moved, not copied: set_old_aside); after a power cut
 * meanwhile, or a first copy that failed, finish copies everything again,
 * as one step would.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "dur_int.h"

/*
 * The parked entries, in DEST while it is built: the name the mount hides
 * cannot clash with a copied one.
 */
#define SNAP_TRASH FFS_STATE_DIR
#define SNAP_BUCKETS 4096
/* Where a relink puts the first copy (trash names are numbers: no clash). */
#define SNAP_OLD SNAP_TRASH "/old"

/* One backing inode and its copy. */
struct snap_ent {
	struct snap_ent *by_src, *by_copy;  /* hash chains */
	dev_t dev;
	ino_t ino;                /* the backing inode */
	ino_t copy_ino;
	mode_t mode;              /* the backing inode's type when copied */
	char *path;               /* the copy, relative to DEST (as copied, before any replay) */
	int fd;                   /* directories named by the journal: O_PATH of the copy; else -1 */
	bool moved;               /* a first copy, moved into the rebuilt tree (relink) */
};

struct ffs_snap {
	struct ffs_dur *d;
	int dest;                 /* DEST, O_RDONLY|O_DIRECTORY */
	int trash;                /* DEST/SNAP_TRASH */
	bool tolerant;            /* copying while requests go on: an entry may vanish */
	int precopy_err;          /* the copy without the lock failed: copy again under it */
	struct snap_ent *src[SNAP_BUCKETS], *copy[SNAP_BUCKETS];
	/* Relinking: the first copy's files, by backing inode, under SNAP_OLD. */
	struct snap_ent *old[SNAP_BUCKETS];
	bool relinking;
	struct ffs_snapshot_report rep;
};

static size_t bucket(dev_t dev, ino_t ino)
{
	return (size_t)(((uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ dev) >> 20) % SNAP_BUCKETS;
}

static struct snap_ent *find_src(struct ffs_snap *s, dev_t dev, ino_t ino)
{
	for (struct snap_ent *e = s->src[bucket(dev, ino)]; e; e = e->by_src)
		if (e->dev == dev && e->ino == ino)
			return e;
	return NULL;
}

static int remember(struct ffs_snap *s, const struct stat *src, ino_t copy_ino, const char *path)
{
	struct snap_ent *e = calloc(1, sizeof(*e));
	size_t b;

	if (!e || !(e->path = strdup(path))) {
		free(e);
		return -ENOMEM;
	}
	e->dev = src->st_dev;
	e->ino = src->st_ino;
	e->mode = src->st_mode;
	e->copy_ino = copy_ino;
	e->fd = -1;
	b = bucket(e->dev, e->ino);
	e->by_src = s->src[b];
	s->src[b] = e;
	b = bucket(0, copy_ino);
	e->by_copy = s->copy[b];
	s->copy[b] = e;
	return 0;
}

static void free_chain(struct snap_ent *e)
{
	struct snap_ent *next;

	for (; e; e = next) {
		next = e->by_src;
		if (e->fd >= 0)
			close(e->fd);
		free(e->path);
		free(e);
	}
}

static void forget_all(struct ffs_snap *s)
{
	for (size_t b = 0; b < SNAP_BUCKETS; b++) {
		free_chain(s->src[b]);
		free_chain(s->old[b]);
		s->src[b] = s->copy[b] = s->old[b] = NULL;
	}
}

static struct snap_ent *find_old(struct ffs_snap *s, dev_t dev, ino_t ino)
{
	for (struct snap_ent *e = s->old[bucket(dev, ino)]; e; e = e->by_src)
		if (e->dev == dev && e->ino == ino)
			return e;
	return NULL;
}

/* Owner, mode and times of the source on the copy (a symlink: owner and times). */
static void same_attrs(int dirfd, const char *name, const struct stat *st)
{
	struct timespec t[2] = { st->st_atim, st->st_mtim };

	fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (!S_ISLNK(st->st_mode))
		fchmodat(dirfd, name, st->st_mode & 07777, 0);
	utimensat(dirfd, name, t, AT_SYMLINK_NOFOLLOW);
}

/*
 * The extended attributes of in onto out (both real fds): out's own are
 * replaced. Best effort, as for owners: a namespace DEST's filesystem
 * refuses (security.* under another LSM) is skipped. After the owner: a
 * chown drops security.capability.
 */
static void same_xattrs(int in, int out)
{
	char names[65536], value[65536], *p;
	ssize_t n = flistxattr(out, names, sizeof(names));

	/* The ones DEST's kernel labels a new file with (security.*) are left to it. */
	for (p = names; n > 0 && p < names + n; p += strlen(p) + 1)
		if (strncmp(p, "security.", 9))
			fremovexattr(out, p);
	n = flistxattr(in, names, sizeof(names));
	for (p = names; n > 0 && p < names + n; p += strlen(p) + 1) {
		ssize_t v = fgetxattr(in, p, value, sizeof(value));

		if (v >= 0)
			fsetxattr(out, p, value, (size_t)v, 0);
	}
}

/* A reflink where the filesystem shares extents (xfs, btrfs): no bytes move. */
static int copy_data(int in, int out, int64_t size)
{
	if (size == 0 || !ioctl(out, FICLONE, in))
		return 0;
	return dur_copy_range(in, 0, out, 0, size);
}

static int copy_tree(struct ffs_snap *s, int sdir, int ddir, const char *dpath, bool top);

/* Copy sdir/name to ddir/name (dpath: ddir relative to DEST, "" for DEST). */
static int copy_entry(struct ffs_snap *s, int sdir, int ddir, const char *dpath, const char *name)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct snap_ent *e;
	struct stat st, cst;
	int in = -1, out = -1, err = 0;
	ssize_t n;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", dpath, *dpath ? "/" : "", name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (e = find_src(s, st.st_dev, st.st_ino))) {
		/* Another name of an inode copied already: the copy gets the link too. */
		return linkat(s->dest, e->path, ddir, name, 0) ? -errno : 0;
	}
	/* (The inode number of a directory removed meanwhile may be a new file's now.) */
	if (S_ISREG(st.st_mode) && s->relinking && (e = find_old(s, st.st_dev, st.st_ino)) &&
	    S_ISREG(e->mode) && !e->moved && !renameat(s->dest, e->path, ddir, name)) {
		/* Copied before: moved to its name now; what changed since, the catch-up copies. */
		e->moved = true;
		s->rep.files++;
		s->rep.bytes_copied += (uint64_t)st.st_size;
		s->rep.relinked_files++;
		return remember(s, &st, e->copy_ino, path);
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return s->tolerant && errno == ENOENT ? 0 : -errno;
		out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out < 0) {
			err = -errno;
			break;
		}
		err = copy_data(in, out, st.st_size);
		if (!err && fstat(out, &cst))
			err = -errno;
		if (!err)
			err = remember(s, &st, cst.st_ino, path);
		if (!err) {
			s->rep.files++;
			s->rep.bytes_copied += (uint64_t)st.st_size;
		}
		break;
	case S_IFDIR:
		if (mkdirat(ddir, name, 0700))
			return -errno;
		in = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0 && s->tolerant && errno == ENOENT) {
			unlinkat(ddir, name, AT_REMOVEDIR);  /* moved meanwhile: the second step sees it */
			return 0;
		}
		out = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0 || out < 0 || fstat(out, &cst)) {
			err = -errno;
			break;
		}
		err = remember(s, &st, cst.st_ino, path);
		if (!err)
			err = copy_tree(s, in, out, path, false);
		s->rep.dirs++;
		break;
	case S_IFLNK:
		n = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return s->tolerant && errno == ENOENT ? 0 : -errno;
		target[n] = '\0';
		if (symlinkat(target, ddir, name))
			return -errno;
		break;
	case S_IFIFO:
	case S_IFCHR:
	case S_IFBLK:
		if (mknodat(ddir, name, st.st_mode & (S_IFMT | 0600), st.st_rdev))
			return -errno;
		break;
	default:
		return 0;  /* a socket: nothing a reboot keeps */
	}
	if (!err)
		same_attrs(ddir, name, &st);
	if (!err && in >= 0 && out >= 0)
		same_xattrs(in, out);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return err;
}

/* Copy the entries of sdir into ddir; at the top, without the engine's own state. */
static int copy_tree(struct ffs_snap *s, int sdir, int ddir, const char *dpath, bool top)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = dur_opendir(sdir, ".", &dir);
	if (err)
		return err;
	while (!err && (de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (top && !strcmp(de->d_name, FFS_STATE_DIR))
			continue;
		err = copy_entry(s, sdir, ddir, dpath, de->d_name);
	}
	closedir(dir);
	return err;
}

/* The data: every file's volatile records replayed onto its copy. */
static int replay_files(struct ffs_snap *s)
{
	static const struct ffs_powercut_opts none;
	struct ffs_dur *d = s->d;
	int err = 0;

	pthread_mutex_lock(&d->table_lock);
	for (size_t b = 0; b < DUR_BUCKETS && !err; b++) {
		for (struct dur_file *f = d->bucket[b]; f && !err; f = f->next) {
			struct snap_ent *e;
			bool touched = false;
			int fd;

			if (f->n == 0 || !(e = find_src(s, f->dev, f->ino)))
				continue;  /* nothing volatile, or no name left: not in the image */
			fd = openat(s->dest, e->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				err = -errno;
				break;
			}
			pthread_mutex_lock(&f->lock);
			err = dur_file_replay(f, fd, &none, &s->rep.cut, &touched);
			pthread_mutex_unlock(&f->lock);
			close(fd);
			s->rep.cut.files_touched += touched;
		}
	}
	pthread_mutex_unlock(&d->table_lock);
	return err;
}

static int copy_dir_fd(void *ctx, const struct dur_dir *dir)
{
	struct snap_ent *e = find_src(ctx, dir->dev, dir->ino);

	return e ? e->fd : -1;
}

static bool copy_is_entry(void *ctx, int dirfd, const char *name, dev_t dev, ino_t ino,
			  struct stat *st)
{
	struct ffs_snap *s = ctx;

	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW))
		return false;
	for (struct snap_ent *e = s->copy[bucket(0, st->st_ino)]; e; e = e->by_copy)
		if (e->copy_ino == st->st_ino)
			return e->dev == dev && e->ino == ino;
	return false;  /* a symlink or node: not tracked by inode, left alone */
}

/*
 * The names: the journal's directories are opened in the copy first (by
 * their paths as copied, before a replayed rename moves one), then the
 * journal is replayed onto them.
 */
static int replay_names(struct ffs_snap *s)
{
	struct ffs_dur *d = s->d;
	const struct dur_name_target t = { .dir_fd = copy_dir_fd, .is_entry = copy_is_entry,
					   .trash_fd = s->trash, .ctx = s };
	int err = 0;

	pthread_mutex_lock(&d->names_lock);
	for (size_t i = 0; i < d->nnames && !err; i++) {
		struct dur_dir *dirs[2] = { d->names[i].dir1, d->names[i].dir2 };

		for (int k = 0; k < 2 && !err; k++) {
			struct snap_ent *e = dirs[k] ? find_src(s, dirs[k]->dev, dirs[k]->ino) : NULL;

			if (!e || e->fd >= 0)
				continue;
			e->fd = *e->path ? openat(s->dest, e->path, O_PATH | O_DIRECTORY | O_CLOEXEC)
					 : openat(s->dest, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (e->fd < 0)
				err = -errno;
		}
	}
	pthread_mutex_unlock(&d->names_lock);
	if (!err)
		s->rep.cut.names_undone = dur_names_replay(d, &t);
	return err;
}

/* Copy the whole tree and the parked entries into the (empty) DEST. */
static int copy_all(struct ffs_snap *s)
{
	struct ffs_dur *d = s->d;
	struct stat root, droot;
	int sroot, strash, err;

	s->rep.files = s->rep.dirs = s->rep.bytes_copied = 0;
	sroot = openat(d->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	strash = openat(d->trash_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sroot < 0 || strash < 0 || fstat(sroot, &root) || fstat(s->dest, &droot)) {
		err = -errno;
		goto out;
	}
	/* The root: a journalled create or rename in it needs its copy, DEST itself. */
	err = remember(s, &root, droot.st_ino, "");
	if (err)
		goto out;
	if (mkdirat(s->dest, SNAP_TRASH, 0700) && !(s->relinking && errno == EEXIST)) {
		err = -errno;
		goto out;
	}
	if (s->trash >= 0)
		close(s->trash);
	s->trash = openat(s->dest, SNAP_TRASH, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->trash < 0) {
		err = -errno;
		goto out;
	}
	err = copy_tree(s, sroot, s->dest, "", true);
	if (!err)
		err = copy_tree(s, strash, s->trash, SNAP_TRASH, false);
out:
	if (sroot >= 0)
		close(sroot);
	if (strash >= 0)
		close(strash);
	return err;
}

/* Move every entry of dir (but skip) into the directory to. */
static int move_entries(int dir, const char *skip, int to)
{
	int dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dp;
	int err = 0;

	if (dfd < 0 || !(dp = fdopendir(dfd))) {
		err = -errno;
		if (dfd >= 0)
			close(dfd);
		return err;
	}
	while (!err && (de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, skip) &&
		    renameat(dfd, de->d_name, to, de->d_name))
			err = -errno;
	closedir(dp);
	return err;
}

/*
 * A name changed while the first copy was made, so its tree may not be
 * the backing tree's: the first copy goes aside (SNAP_OLD/root and
 * SNAP_OLD/trash) and its files are known by backing inode; copy_all then
 * rebuilds the tree, moving each file already copied into its place
 * instead of copying it, so the hold costs a walk of the names, not the
 * bytes.
 */
static int set_old_aside(struct ffs_snap *s)
{
	size_t n = strlen(SNAP_TRASH);
	int old = -1, root = -1, trash = -1, err = 0;

	if (mkdirat(s->dest, SNAP_OLD, 0700) ||
	    (old = openat(s->dest, SNAP_OLD, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdirat(old, "root", 0700) || mkdirat(old, "trash", 0700) ||
	    (root = openat(old, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (trash = openat(old, "trash", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		err = -errno;
	if (!err)
		err = move_entries(s->dest, SNAP_TRASH, root);
	if (!err)
		err = move_entries(s->trash, "old", trash);
	/* The table, under the paths the files have now. */
	for (size_t b = 0; b < SNAP_BUCKETS && !err; b++) {
		struct snap_ent *e = s->src[b], *next;

		for (; e; e = next) {
			char *path = NULL;
			bool in_trash = !strncmp(e->path, SNAP_TRASH "/", n + 1);

			next = e->by_src;
			if (e->fd >= 0)
				close(e->fd);
			e->fd = -1;
			if (!*e->path ||
			    asprintf(&path, SNAP_OLD "/%s/%s", in_trash ? "trash" : "root",
				     in_trash ? e->path + n + 1 : e->path) < 0) {
				free(e->path);
				free(e);
				continue;  /* the root is made again; no memory: copied again */
			}
			free(e->path);
			e->path = path;
			e->by_src = s->old[b];
			s->old[b] = e;
		}
		s->src[b] = NULL;
	}
	for (size_t b = 0; b < SNAP_BUCKETS; b++)
		s->copy[b] = NULL;
	if (old >= 0)
		close(old);
	if (root >= 0)
		close(root);
	if (trash >= 0)
		close(trash);
	return err;
}

/* DEST empty again, the tables forgotten. */
static void reset(struct ffs_snap *s)
{
	if (s->trash >= 0)
		close(s->trash);
	s->trash = -1;
	forget_all(s);
	dur_empty_dir(s->dest);
}

/* The backing file of a copy (by its path: no name changed since it was copied). */
static int open_source(struct ffs_snap *s, const struct snap_ent *e, int flags)
{
	size_t n = strlen(SNAP_TRASH);

	if (!strncmp(e->path, SNAP_TRASH "/", n + 1))
		return openat(s->d->trash_dir, e->path + n + 1, flags);
	return openat(s->d->root_fd, e->path, flags);
}

/* One inode changed while the copy was made: its ranges (or all of it) and attributes again. */
static int catch_up_one(struct ffs_snap *s, const struct dur_watched *w)
{
	struct snap_ent *e = find_src(s, w->dev, w->ino);
	struct stat st;
	int in, out = -1, err = 0;

	if (!e || !*e->path)
		return 0;  /* no name in the image, or the root (its attributes are DEST's) */
	/* Only regular files and directories are remembered: opening one has no effect. */
	in = open_source(s, e, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		/* A parked entry deleted for good meanwhile: its record went with it. */
		if (errno == ENOENT && !strncmp(e->path, SNAP_TRASH "/", strlen(SNAP_TRASH) + 1))
			return 0;
		return -errno;
	}
	if (fstat(in, &st)) {
		err = -errno;
		goto out;
	}
	if (st.st_dev != w->dev || st.st_ino != w->ino) {
		err = -ESTALE;  /* not the inode copied there: copy everything again */
		goto out;
	}
	if (S_ISREG(st.st_mode) && (w->whole || w->n)) {
		out = openat(s->dest, e->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (out < 0) {
			err = -errno;
			goto out;
		}
		if (w->whole) {
			if (ftruncate(out, 0))
				err = -errno;
			else
				err = copy_data(in, out, st.st_size);
			s->rep.catchup_bytes += (uint64_t)st.st_size;
		} else if (ftruncate(out, st.st_size)) {
			err = -errno;
		} else {
			for (size_t i = 0; i < w->n && !err; i++) {
				int64_t a = w->r[i][0], b = w->r[i][1] < st.st_size ? w->r[i][1] : st.st_size;

				if (a < b) {
					err = dur_copy_range(in, a, out, a, b - a);
					s->rep.catchup_bytes += (uint64_t)(b - a);
				}
			}
		}
	}
	if (!err) {
		int x = out >= 0 ? out : openat(s->dest, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		same_attrs(s->dest, e->path, &st);
		if (x >= 0) {
			same_xattrs(in, x);
			if (x != out)
				close(x);
		}
		s->rep.catchup_files++;
	}
out:
	if (out >= 0)
		close(out);
	close(in);
	return err;
}

static int catch_up(struct ffs_snap *s)
{
	struct ffs_dur *d = s->d;
	int err = 0;

	pthread_mutex_lock(&d->watch.lock);
	for (size_t b = 0; b < DUR_BUCKETS && !err; b++)
		for (struct dur_watched *w = d->watch.bucket[b]; w && !err; w = w->next)
			err = catch_up_one(s, w);
	pthread_mutex_unlock(&d->watch.lock);
	return err;
}

static void snap_free(struct ffs_snap *s, bool failed)
{
	if (s->trash >= 0) {
		close(s->trash);
		/* Parked entries no replay brought back stay deleted, as after a reboot. */
		dur_rm_tree(s->dest, SNAP_TRASH);
	}
	if (failed)
		dur_empty_dir(s->dest);  /* no half image is left to be taken for one */
	forget_all(s);
	free(s);
}

int ffs_dur_snapshot_prepare(struct ffs_dur *d, int dest_fd, struct ffs_snap **ret)
{
	struct ffs_snap *s = calloc(1, sizeof(*s));
	uint64_t t0 = fl_now_ns();
	int err;

	if (!s)
		return -ENOMEM;
	s->d = d;
	s->dest = dest_fd;
	s->trash = -1;
	err = dur_watch_start(d);
	if (err) {
		free(s);
		return err;
	}
	s->tolerant = true;
	s->precopy_err = copy_all(s);
	s->tolerant = false;
	s->rep.precopy_ns = fl_now_ns() - t0;
	*ret = s;
	return 0;
}

int ffs_dur_snapshot_finish(struct ffs_snap *s, struct ffs_snapshot_report *ret)
{
	struct ffs_dur *d = s->d;
	uint64_t t0 = fl_now_ns(), t1;
	int err = s->precopy_err;

	/*
	 * A power cut meanwhile changed bytes nobody reported, and a failed
	 * first copy is of unknown shape: both are copied again in full.
	 */
	s->rep.full = err || __atomic_load_n(&d->watch.all, __ATOMIC_ACQUIRE);
	s->rep.relinked = !s->rep.full && __atomic_load_n(&d->watch.names, __ATOMIC_ACQUIRE);
	if (s->rep.relinked) {
		s->relinking = true;
		err = set_old_aside(s);
		if (!err)
			err = copy_all(s);
		s->relinking = false;
		if (!err)
			err = dur_rm_tree(s->dest, SNAP_OLD);
		if (err)
			s->rep.full = true;
	}
	if (!s->rep.full && catch_up(s))
		s->rep.full = true;
	dur_watch_stop(d);
	if (s->rep.full) {
		reset(s);
		s->rep.relinked = false;
		s->rep.relinked_files = s->rep.catchup_files = s->rep.catchup_bytes = 0;
		err = copy_all(s);
	}
	t1 = fl_now_ns();
	s->rep.copy_ns = t1 - t0;
	if (!err)
		err = replay_files(s);
	if (!err)
		err = replay_names(s);
	s->rep.replay_ns = fl_now_ns() - t1;
	if (!err && ret)
		*ret = s->rep;
	snap_free(s, err != 0);
	return err;
}

void ffs_dur_snapshot_abort(struct ffs_snap *s)
{
	dur_watch_stop(s->d);
	snap_free(s, true);
}

int ffs_dur_snapshot(struct ffs_dur *d, int dest_fd, struct ffs_snapshot_report *ret)
{
	struct ffs_snapshot_report rep;
	struct ffs_snap *s;
	int err;

	err = ffs_dur_snapshot_prepare(d, dest_fd, &s);
	if (!err)
		err = ffs_dur_snapshot_finish(s, &rep);
	if (!err && ret) {
		/* Nothing ran between the steps: all of it was copied under the caller's lock. */
		rep.copy_ns += rep.precopy_ns;
		rep.precopy_ns = 0;
		rep.full = true;
		*ret = rep;
	}
	return err;
}
