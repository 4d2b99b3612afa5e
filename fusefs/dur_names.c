// SPDX-License-Identifier: GPL-2.0-only
/*
 * The name journal (strict mode): every name operation is performed and
 * its inverse recorded until the directory is fsynced. Removed entries are
 * parked in BACKING/.faultfs/trash, so undo is a rename back and the inode
 * (with its data and its open fds) never goes away early. Each operation
 * holds its directory's stripe (dur_dirlock.c) from its change to its
 * record, so a directory fsync sees every operation on that directory
 * either entirely before or entirely after it; names_lock guards the
 * journal itself (a create takes it only to append its record, the other
 * operations across their change, so that the records stay in the order
 * of the changes they undo).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "dur_hint.h"
#include "dur_int.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* The shared O_PATH fd of the directory dirfd (names_lock held). */
static int dir_get(struct ffs_dur *d, int dirfd, struct dur_dir **ret)
{
	struct dur_dir *dir;
	dev_t dev;
	ino_t ino;
	size_t b;
	int err;

	/* The request's own directory needs no fstat: dur_hint.h. */
	err = dur_dir_id(dirfd, &dev, &ino);
	if (err)
		return err;
	b = dur_name_bucket(dev, ino);
	for (dir = d->dirs[b]; dir; dir = dir->next)
		if (dir->dev == dev && dir->ino == ino)
			break;
	if (dir && dir == d->idle_dir)
		d->idle_dir = NULL;
	if (!dir) {
		dir = calloc(1, sizeof(*dir));
		if (!dir)
			return -ENOMEM;
		dir->fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir->fd < 0) {
			err = -errno;
			free(dir);
			return err;
		}
		dir->dev = dev;
		dir->ino = ino;
		dir->next = d->dirs[b];
		d->dirs[b] = dir;
	}
	dir->ref++;
	*ret = dir;
	return 0;
}

static void dir_free(struct ffs_dur *d, struct dur_dir *dir)
{
	struct dur_dir **pp;

	pp = &d->dirs[dur_name_bucket(dir->dev, dir->ino)];
	while (*pp != dir)
		pp = &(*pp)->next;
	*pp = dir->next;
	close(dir->fd);
	free(dir);
}

/*
 * The last directory let go stays open, unreferenced: a loop of temporary
 * files in one directory would open and close it at every create+unlink.
 * Its (dev, ino) cannot name another directory meanwhile: the fd keeps
 * the inode, so its number cannot be reused.
 */
static void dir_put(struct ffs_dur *d, struct dur_dir *dir)
{
	if (!dir || --dir->ref)
		return;
	if (d->idle_dir)
		dir_free(d, d->idle_dir);
	d->idle_dir = dir;
}

static void sweep(struct ffs_dur *d, size_t force);

/*
 * Keep the journal within its bounds (names_lock held): the oldest records
 * become durable, as a journal commit would make them, until both the
 * record count and the parked bytes are under their bounds.
 */
static void enforce_bounds(struct ffs_dur *d)
{
	uint64_t bytes = d->trash_bytes, now;
	size_t force = 0;

	while (force < d->nnames &&
	       ((d->names_max && d->nnames - force > d->names_max) ||
		(d->trash_max && bytes > d->trash_max)))
		bytes -= d->names[force++].tbytes;
	if (!force)
		return;
	sweep(d, force);
	d->names_forced += force;
	now = fl_now_ns();
	if (d->notice && (!d->notice_ns ||
			  now - d->notice_ns >= FFS_DUR_NOTICE_SEC * 1000000000ull)) {
		d->notice_ns = now;
		d->notice(d->notice_ctx, d->names_forced, d->nnames, d->trash_bytes);
	}
}

/* Every name operation ends here: the bounds hold whenever the lock is free. */
static void names_unlock(struct ffs_dur *d)
{
	enforce_bounds(d);
	pthread_mutex_unlock(&d->names_lock);
}

void ffs_dur_set_bounds(struct ffs_dur *d, uint64_t names_max, uint64_t trash_max,
			ffs_dur_notice_fn notice, void *ctx)
{
	pthread_mutex_lock(&d->names_lock);
	d->names_max = names_max;
	d->trash_max = trash_max;
	d->notice = notice;
	d->notice_ctx = ctx;
	names_unlock(d);
}

static void name_free(struct ffs_dur *d, struct dur_name *n)
{
	dir_put(d, n->dir1);
	dir_put(d, n->dir2);
	free(n->name1);
	free(n->name2);
	free(n->trash);
}

/* Append a record (names_lock held); takes dir references. */
static int journal(struct ffs_dur *d, const struct dur_name *tmpl, int dirfd1, int dirfd2)
{
	struct dur_name n = *tmpl;
	int err;

	n.dir1 = n.dir2 = NULL;
	n.name1 = n.name2 = NULL;
	if (d->nnames == d->names_cap) {
		size_t cap = d->names_cap ? d->names_cap * 2 : 64;
		struct dur_name *names = realloc(d->names, cap * sizeof(*names));

		if (!names)
			return -ENOMEM;
		d->names = names;
		d->names_cap = cap;
	}
	err = dir_get(d, dirfd1, &n.dir1);
	if (!err && dirfd2 >= 0)
		err = dir_get(d, dirfd2, &n.dir2);
	if (!err) {
		n.name1 = strdup(tmpl->name1);
		n.name2 = tmpl->name2 ? strdup(tmpl->name2) : NULL;
		if (!n.name1 || (tmpl->name2 && !n.name2))
			err = -ENOMEM;
	}
	if (err) {
		n.trash = NULL;  /* stays the caller's */
		name_free(d, &n);
		/* A name changed with no record: cancel_fresh() must not trust the journal's view. */
		dur_watch_names(d);
		return err;
	}
	d->names[d->nnames++] = n;
	if (n.trash)
		d->trash_bytes += n.tbytes;
	return 0;
}

static bool strict(const struct ffs_dur *d)
{
	return d->mode == FFS_DUR_STRICT;
}

static void entry_id(int dirfd, const char *name, struct dur_name *n)
{
	struct stat st;

	if (!fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		n->edev = st.st_dev;
		n->eino = st.st_ino;
		n->is_dir = S_ISDIR(st.st_mode);
	}
}

/*
 * The identity of name1 just created in dirfd, into n (0 if unknown). It
 * comes from an O_PATH fd handed on to the lookup that answers the request
 * (dur_hint.h): the create costs the open and one stat, as in a
 * passthrough filesystem without a journal. No lock needed: the caller
 * holds the directory's stripe.
 */
static void create_identify(int dirfd, const char *name, struct dur_name *n)
{
	int fd = dur_created_wanted(dirfd) ? openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)
					   : -1;
	struct stat st;

	*n = (struct dur_name){ .kind = DUR_N_CREATE, .name1 = (char *)name };
	if (fd >= 0 && !fstat(fd, &st)) {
		n->edev = st.st_dev;
		n->eino = st.st_ino;
		n->is_dir = S_ISDIR(st.st_mode);
		dur_created_put(dirfd, name, fd, &st);
	} else {
		if (fd >= 0)
			close(fd);
		entry_id(dirfd, name, n);
	}
}

/* Record the create n in dirfd (names_lock held). An unrecorded create is durable. */
static void create_record(struct ffs_dur *d, struct dur_name *n, int dirfd)
{
	n->seq = dur_next_seq(d);
	journal(d, n, dirfd, -1);
}

static void journal_create(struct ffs_dur *d, int dirfd, const char *name)
{
	struct dur_name n;

	create_identify(dirfd, name, &n);
	create_record(d, &n, dirfd);
}

/*
 * A file was created: a name changed, and its inode is new, whatever a
 * snapshot copying may have copied under that inode number before (one
 * deleted meanwhile): all of it is copied again.
 */
static void watch_created(struct ffs_dur *d, int fd)
{
	struct stat st;

	dur_watch_names_added(d);
	if (!fstat(fd, &st))
		dur_watch_data(d, st.st_dev, st.st_ino, 0, -1);
}

int dur_names_open(struct ffs_dur *d, int dirfd, const char *name, int flags, mode_t mode,
		   int *ret_fd, bool *ret_created)
{
	bool created = false;
	int fd = -1, err = 0;

	if (!strict(d) || !(flags & O_CREAT)) {
		struct stat st;
		/* Data mode journals nothing, but a snapshot copying must know a name came. */
		bool was = !(flags & O_CREAT) || !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);

		fd = openat(dirfd, name, flags, mode);
		if (fd < 0)
			return -errno;
		if (!was)
			watch_created(d, fd);
	} else {
		struct dur_name n;
		size_t dl;

		/*
		 * The directory's stripe, not the journal's lock, across the
		 * create: a directory fsync still sees it entirely before or
		 * after, and creates elsewhere go on meanwhile (dur_dirlock.c).
		 */
		err = dur_dirlock(dirfd, &dl);
		if (err)
			return err;
		for (int tries = 0; tries < 16 && fd < 0; tries++) {
			fd = openat(dirfd, name, flags | O_EXCL, mode);
			if (fd >= 0) {
				created = true;
				break;
			}
			if (errno != EEXIST || (flags & O_EXCL))
				break;
			fd = openat(dirfd, name, flags & ~O_CREAT, mode);
			if (fd < 0 && errno != ENOENT)
				break;
		}
		if (fd < 0) {
			err = -errno;
		} else if (created) {
			create_identify(dirfd, name, &n);
			pthread_mutex_lock(&d->names_lock);
			n.fresh = n.edev || n.eino;
			n.gen = ffs_dur_names_gen(d);
			create_record(d, &n, dirfd);
			/* The identity named the new inode: no fstat more per create. */
			if (n.edev || n.eino) {
				dur_watch_names_added(d);
				dur_watch_data(d, n.edev, n.eino, 0, -1);
			} else {
				watch_created(d, fd);
			}
			names_unlock(d);
		}
		dur_dirunlock(dl);
		if (err)
			return err;
	}
	*ret_fd = fd;
	*ret_created = created;
	return 0;
}

int ffs_dur_mknod(struct ffs_dur *d, int dirfd, const char *name, mode_t mode, dev_t rdev)
{
	size_t dl;
	int err = 0;

	err = dur_dirlock(dirfd, &dl);
	if (err)
		return err;
	pthread_mutex_lock(&d->names_lock);
	if (mknodat(dirfd, name, mode, rdev))
		err = -errno;
	else if (strict(d))
		journal_create(d, dirfd, name);
	if (!err) {
		struct stat st;

		dur_watch_names_added(d);
		if (!fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
			dur_watch_data(d, st.st_dev, st.st_ino, 0, -1);
	}
	names_unlock(d);
	dur_dirunlock(dl);
	return err;
}

int ffs_dur_mkdir(struct ffs_dur *d, int dirfd, const char *name, mode_t mode)
{
	size_t dl;
	int err = 0;

	err = dur_dirlock(dirfd, &dl);
	if (err)
		return err;
	pthread_mutex_lock(&d->names_lock);
	if (mkdirat(dirfd, name, mode))
		err = -errno;
	else if (strict(d))
		journal_create(d, dirfd, name);
	if (!err)
		dur_watch_names_added(d);
	names_unlock(d);
	dur_dirunlock(dl);
	return err;
}

int ffs_dur_symlink(struct ffs_dur *d, const char *target, int dirfd, const char *name)
{
	size_t dl;
	int err = 0;

	err = dur_dirlock(dirfd, &dl);
	if (err)
		return err;
	pthread_mutex_lock(&d->names_lock);
	if (symlinkat(target, dirfd, name))
		err = -errno;
	else if (strict(d))
		journal_create(d, dirfd, name);
	if (!err)
		dur_watch_names_added(d);
	names_unlock(d);
	dur_dirunlock(dl);
	return err;
}

int ffs_dur_link(struct ffs_dur *d, int fd, int newdirfd, const char *newname)
{
	char proc[64];
	size_t dl;
	int err = 0;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	err = dur_dirlock(newdirfd, &dl);
	if (err)
		return err;
	pthread_mutex_lock(&d->names_lock);
	/* Through /proc needs no CAP_DAC_READ_SEARCH, unlike AT_EMPTY_PATH. */
	if (linkat(AT_FDCWD, proc, newdirfd, newname, AT_SYMLINK_FOLLOW) &&
	    linkat(fd, "", newdirfd, newname, AT_EMPTY_PATH))
		err = -errno;
	else if (strict(d))
		journal_create(d, newdirfd, newname);
	if (!err)
		dur_watch_names_added(d);
	names_unlock(d);
	dur_dirunlock(dl);
	return err;
}

/* Move dirfd/name (whose lstat is st) to trash/<seq> and record it (names_lock held). */
static int park(struct ffs_dur *d, int dirfd, const char *name, const struct stat *st)
{
	struct dur_name n = { .kind = DUR_N_UNLINK, .name1 = (char *)name };
	bool is_dir = S_ISDIR(st->st_mode);
	char tname[32];
	int err;

	n.edev = st->st_dev;
	n.eino = st->st_ino;
	n.is_dir = is_dir;
	n.tbytes = S_ISREG(st->st_mode) ? (uint64_t)st->st_blocks * 512 : 0;
	n.seq = dur_next_seq(d);
	snprintf(tname, sizeof(tname), "%ju", (uintmax_t)n.seq);
	if (renameat(dirfd, name, d->trash_dir, tname)) {
		if (errno != EXDEV)
			return -errno;
		/* Another filesystem: no parking, durable at once. */
		if (unlinkat(dirfd, name, is_dir ? AT_REMOVEDIR : 0))
			return -errno;
		if (!is_dir)
			dur_file_gone(d, st->st_dev, st->st_ino);
		return 0;
	}
	n.trash = strdup(tname);
	n.trash_is_dir = is_dir;
	n.tdev = n.edev;
	n.tino = n.eino;
	err = n.trash ? journal(d, &n, dirfd, -1) : -ENOMEM;
	if (err) {
		/* Cannot remember it: the removal is durable at once. */
		dur_rm_tree(d->trash_dir, tname);
		free(n.trash);
		return 0;
	}
	dur_parked_add(d, n.tdev, n.tino, 1);
	return 0;
}

static int dir_is_empty(int dirfd, const char *name)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = dur_opendir(dirfd, name, &dir);
	if (err)
		return err;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			err = -ENOTEMPTY;
			break;
		}
	closedir(dir);
	return err;
}

/* How far back an unlink looks for the create it cancels: a temporary file's lifetime. */
#define CANCEL_WINDOW 64

static bool names_entry(const struct dur_dir *dir, const char *rname, const struct stat *dst,
			const char *name)
{
	return dir && dir->dev == dst->st_dev && dir->ino == dst->st_ino && !strcmp(rname, name);
}

/*
 * Unlinking a file whose create is still volatile (names_lock held): at a
 * power cut the undo would bring the name back from the trash only to
 * remove it again, so the pair can be settled now, as if both were durable:
 * nothing of either is left. The file is really unlinked (no parking, no
 * journal record, its unsynced data forgotten), which keeps a loop of
 * temporary files from growing the journal and the trash. Only when no
 * later record names the entry or its inode and it has no other link:
 * otherwise the undo's order matters and the unlink is parked as usual.
 * 1: done; 0: not cancellable; < 0: the unlink failed.
 */
static int cancel_create(struct ffs_dur *d, int dirfd, const char *name, const struct stat *st)
{
	size_t low = d->nnames > CANCEL_WINDOW ? d->nnames - CANCEL_WINDOW : 0;
	struct stat dst;

	if (!S_ISREG(st->st_mode) || st->st_nlink != 1 ||
	    dur_dir_id(dirfd, &dst.st_dev, &dst.st_ino))
		return 0;
	for (size_t i = d->nnames; i-- > low;) {
		struct dur_name *n = &d->names[i];
		bool same_inode = (n->edev == st->st_dev && n->eino == st->st_ino) ||
				  (n->trash && n->tdev == st->st_dev && n->tino == st->st_ino);

		if (n->kind == DUR_N_CREATE && same_inode && !n->durable1 &&
		    names_entry(n->dir1, n->name1, &dst, name)) {
			if (unlinkat(dirfd, name, 0))
				return -errno;
			name_free(d, n);
			memmove(n, n + 1, (d->nnames - i - 1) * sizeof(*n));
			d->nnames--;
			dur_file_gone(d, st->st_dev, st->st_ino);
			return 1;
		}
		if (same_inode || names_entry(n->dir1, n->name1, &dst, name) ||
		    (n->name2 && names_entry(n->dir2, n->name2, &dst, name)))
			return 0;
	}
	return 0;
}

/*
 * cancel_create() without the stat, for the usual temporary file: the
 * newest record naming the entry is the volatile create of a new regular
 * file (one link then), no name was removed or replaced anywhere since
 * (names_gen as recorded: unlinks, renames, a power cut and a name change
 * left unrecorded all move it) and no later record names its inode (a
 * link): the entry is still that file, with its one link. names_lock held.
 * 1: done; 0: not known so (the caller stats); < 0: the unlink failed.
 */
static int cancel_fresh(struct ffs_dur *d, int dirfd, const char *name)
{
	size_t low = d->nnames > CANCEL_WINDOW ? d->nnames - CANCEL_WINDOW : 0, i;
	struct dur_name *c = NULL;
	struct stat dst;

	if (dur_dir_id(dirfd, &dst.st_dev, &dst.st_ino))
		return 0;
	for (i = d->nnames; i-- > low;) {
		struct dur_name *n = &d->names[i];

		if (names_entry(n->dir1, n->name1, &dst, name) ||
		    (n->name2 && names_entry(n->dir2, n->name2, &dst, name))) {
			c = n;
			break;
		}
	}
	if (!c || c->kind != DUR_N_CREATE || !c->fresh || c->durable1 ||
	    c->gen != ffs_dur_names_gen(d))
		return 0;
	for (size_t j = i + 1; j < d->nnames; j++) {
		const struct dur_name *n = &d->names[j];

		/* A name of unknown identity (its stat failed) may be a link to it. */
		if ((n->kind == DUR_N_CREATE && !n->edev && !n->eino) ||
		    (n->edev == c->edev && n->eino == c->eino) ||
		    (n->trash && n->tdev == c->edev && n->tino == c->eino))
			return 0;
	}
	if (unlinkat(dirfd, name, 0))
		return -errno;
	dur_file_gone(d, c->edev, c->eino);
	name_free(d, c);
	memmove(c, c + 1, (d->nnames - i - 1) * sizeof(*c));
	d->nnames--;
	return 1;
}

int ffs_dur_unlink(struct ffs_dur *d, int dirfd, const char *name)
{
	bool cancelled = false;
	struct stat st;
	size_t dl;
	int err;

	if (!strict(d)) {
		/* Durable at once: an inode left without a name goes at once too. */
		bool known = !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);

		if (unlinkat(dirfd, name, 0))
			return -errno;
		dur_watch_names(d);
		if (known)
			dur_file_gone(d, st.st_dev, st.st_ino);
		return 0;
	}
	err = dur_dirlock(dirfd, &dl);
	if (err)
		return err;
	pthread_mutex_lock(&d->names_lock);
	err = cancel_fresh(d, dirfd, name);
	if (!err) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
			err = -errno;
		else if (S_ISDIR(st.st_mode))
			err = -EISDIR;
		else if ((err = cancel_create(d, dirfd, name, &st)) == 0)
			err = park(d, dirfd, name, &st);
	}
	if (err > 0)
		cancelled = true, err = 0;
	/*
	 * A cancelled create's inode is gone with its only name: its fds read
	 * back the same path, and no other inode's path changed.
	 */
	if (cancelled)
		dur_watch_names_added(d);
	else if (!err)
		dur_watch_names(d);
	names_unlock(d);
	dur_dirunlock(dl);
	return err;
}

int ffs_dur_rmdir(struct ffs_dur *d, int dirfd, const char *name)
{
	struct stat st;
	size_t dl;
	int err;

	if (!strict(d)) {
		if (unlinkat(dirfd, name, AT_REMOVEDIR))
			return -errno;
		dur_watch_names(d);
		return 0;
	}
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return !strcmp(name, ".") ? -EINVAL : -ENOTEMPTY;
	err = dur_dirlock(dirfd, &dl);
	if (err)
		return err;
	pthread_mutex_lock(&d->names_lock);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	else if (!S_ISDIR(st.st_mode))
		err = -ENOTDIR;
	else
		err = dir_is_empty(dirfd, name);
	if (!err)
		err = park(d, dirfd, name, &st);
	if (!err)
		dur_watch_names(d);
	names_unlock(d);
	dur_dirunlock(dl);
	return err;
}

static int do_rename(struct ffs_dur *d, int olddirfd, const char *oldname, int newdirfd,
		     const char *newname, unsigned int flags)
{
	struct dur_name n = { .name1 = (char *)oldname, .name2 = (char *)newname };
	struct stat so, sn;
	char tname[32];
	bool parked = false;
	int err;

	if (flags & RENAME_EXCHANGE) {
		if (renameat2(olddirfd, oldname, newdirfd, newname, flags))
			return -errno;
		n.kind = DUR_N_EXCHANGE;
		n.seq = dur_next_seq(d);
		journal(d, &n, olddirfd, newdirfd);
		return 0;
	}
	if (fstatat(olddirfd, oldname, &so, AT_SYMLINK_NOFOLLOW))
		return -errno;
	n.kind = DUR_N_RENAME;
	n.edev = so.st_dev;
	n.eino = so.st_ino;
	n.is_dir = S_ISDIR(so.st_mode);
	n.seq = dur_next_seq(d);
	if (!(flags & RENAME_NOREPLACE) && !fstatat(newdirfd, newname, &sn, AT_SYMLINK_NOFOLLOW)) {
		if (sn.st_dev == so.st_dev && sn.st_ino == so.st_ino)
			return 0;  /* two links of one inode: rename does nothing */
		if (S_ISDIR(sn.st_mode) && !S_ISDIR(so.st_mode))
			return -EISDIR;
		if (!S_ISDIR(sn.st_mode) && S_ISDIR(so.st_mode))
			return -ENOTDIR;
		if (S_ISDIR(sn.st_mode)) {
			err = dir_is_empty(newdirfd, newname);
			if (err)
				return err;
		}
		snprintf(tname, sizeof(tname), "%ju", (uintmax_t)n.seq);
		if (renameat(newdirfd, newname, d->trash_dir, tname)) {
			if (errno != EXDEV)
				return -errno;
			/* No parking possible: the replacement is durable at once. */
			if (renameat2(olddirfd, oldname, newdirfd, newname, flags))
				return -errno;
			if (!S_ISDIR(sn.st_mode))
				dur_file_gone(d, sn.st_dev, sn.st_ino);
			return 0;
		}
		parked = true;
		n.trash_is_dir = S_ISDIR(sn.st_mode);
		n.tbytes = S_ISREG(sn.st_mode) ? (uint64_t)sn.st_blocks * 512 : 0;
		n.tdev = sn.st_dev;
		n.tino = sn.st_ino;
	}
	if (renameat2(olddirfd, oldname, newdirfd, newname, flags | RENAME_NOREPLACE)) {
		err = -errno;
		if (parked)
			renameat(d->trash_dir, tname, newdirfd, newname);
		return err;
	}
	n.trash = parked ? strdup(tname) : NULL;
	if ((parked && !n.trash) || journal(d, &n, olddirfd, newdirfd)) {
		if (parked)
			dur_rm_tree(d->trash_dir, tname);
		free(n.trash);
	} else if (parked) {
		dur_parked_add(d, n.tdev, n.tino, 1);
	}
	return 0;
}

int ffs_dur_rename(struct ffs_dur *d, int olddirfd, const char *oldname,
		   int newdirfd, const char *newname, unsigned int flags)
{
	size_t dl1, dl2;
	int err;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (!strict(d)) {
		struct stat st;
		bool known = !(flags & RENAME_EXCHANGE) &&
			     !fstatat(newdirfd, newname, &st, AT_SYMLINK_NOFOLLOW);

		if (renameat2(olddirfd, oldname, newdirfd, newname, flags))
			return -errno;
		dur_watch_names(d);
		if (known)
			dur_file_gone(d, st.st_dev, st.st_ino);  /* the replaced one */
		return 0;
	}
	err = dur_dirlock_two(olddirfd, newdirfd, &dl1, &dl2);
	if (err)
		return err;
	pthread_mutex_lock(&d->names_lock);
	err = do_rename(d, olddirfd, oldname, newdirfd, newname, flags);
	if (!err)
		dur_watch_names(d);
	names_unlock(d);
	dur_dirunlock_two(dl1, dl2);
	return err;
}

static bool name_durable(const struct dur_name *n)
{
	if (n->kind == DUR_N_RENAME || n->kind == DUR_N_EXCHANGE)
		return n->durable1 && (n->durable2 || n->dir2 == n->dir1);
	return n->durable1;
}

/*
 * Drop the durable records and the first force ones (SIZE_MAX: all); their
 * parked entries are really deleted now. A file whose last name that was
 * can never come back: its unsynced data goes with it (dur_file_gone).
 */
static void sweep(struct ffs_dur *d, size_t force)
{
	size_t k = 0;

	for (size_t i = 0; i < d->nnames; i++) {
		struct dur_name *n = &d->names[i];

		if (i >= force && !name_durable(n)) {
			d->names[k++] = *n;
			continue;
		}
		if (n->trash) {
			dur_rm_tree(d->trash_dir, n->trash);
			d->trash_bytes -= n->tbytes < d->trash_bytes ? n->tbytes : d->trash_bytes;
			dur_parked_add(d, n->tdev, n->tino, -1);
			if (!n->trash_is_dir)
				dur_file_gone(d, n->tdev, n->tino);
		}
		name_free(d, n);
	}
	d->nnames = k;
}

int ffs_dur_fsyncdir(struct ffs_dur *d, int dirfd, bool datasync)
{
	struct stat st;
	size_t dl;
	int fd, err = 0;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (datasync ? fdatasync(fd) : fsync(fd))
		err = -errno;
	else if (fstat(fd, &st))
		err = -errno;
	close(fd);
	if (err || !strict(d))
		return err;
	/* The directory's stripe: each operation on it is entirely before or after the marking. */
	dur_dirlock_id(st.st_dev, st.st_ino, &dl);
	pthread_mutex_lock(&d->names_lock);
	for (size_t i = 0; i < d->nnames; i++) {
		struct dur_name *n = &d->names[i];

		if (n->dir1->dev == st.st_dev && n->dir1->ino == st.st_ino)
			n->durable1 = true;
		if (n->dir2 && n->dir2->dev == st.st_dev && n->dir2->ino == st.st_ino)
			n->durable2 = true;
	}
	sweep(d, 0);
	names_unlock(d);
	dur_dirunlock(dl);
	return 0;
}

void dur_names_settle_all(struct ffs_dur *d)
{
	pthread_mutex_lock(&d->names_lock);
	sweep(d, SIZE_MAX);
	names_unlock(d);
}

void dur_names_free_all(struct ffs_dur *d)
{
	for (size_t i = 0; i < d->nnames; i++)
		name_free(d, &d->names[i]);
	free(d->names);
	d->names = NULL;
	d->nnames = d->names_cap = 0;
	d->trash_bytes = 0;
	if (d->idle_dir)
		dir_free(d, d->idle_dir);
	d->idle_dir = NULL;
	dur_parked_clear(d);
}

size_t dur_names_memory(struct ffs_dur *d, uint64_t *ret_count)
{
	size_t bytes;

	pthread_mutex_lock(&d->names_lock);
	bytes = d->names_cap * sizeof(struct dur_name);
	for (size_t i = 0; i < d->nnames; i++) {
		const struct dur_name *n = &d->names[i];

		bytes += strlen(n->name1) + 1 + (n->name2 ? strlen(n->name2) + 1 : 0) +
			 (n->trash ? strlen(n->trash) + 1 : 0);
	}
	for (size_t b = 0; b < DUR_BUCKETS; b++)
		for (struct dur_dir *dir = d->dirs[b]; dir; dir = dir->next)
			bytes += sizeof(*dir);
	*ret_count = d->nnames;
	names_unlock(d);
	return bytes;
}

/* The backing tree itself: what a power cut acts on. */
static int own_dir_fd(void *ctx, const struct dur_dir *dir)
{
	(void)ctx;
	return dir->fd;
}

static bool own_is_entry(void *ctx, int dirfd, const char *name, dev_t dev, ino_t ino,
			 struct stat *st)
{
	(void)ctx;
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW))
		return false;
	return st->st_dev == dev && st->st_ino == ino;
}

static void inval_entry(const struct ffs_inval_ops *inval, const struct dur_dir *dir,
			const char *name)
{
	if (inval && inval->entry)
		inval->entry(inval->ctx, dir->dev, dir->ino, name);
}

static void inval_inode(const struct ffs_inval_ops *inval, dev_t dev, ino_t ino)
{
	if (inval && inval->inode && (dev || ino))
		inval->inode(inval->ctx, dev, ino);
}

/* Undo one name record in t's tree; true if the tree changed. */
static bool undo_name(const struct dur_name_target *t, struct dur_name *n,
		      const struct ffs_inval_ops *inval)
{
	int dir1 = t->dir_fd(t->ctx, n->dir1), dir2 = n->dir2 ? t->dir_fd(t->ctx, n->dir2) : -1;
	struct stat st;
	char tname[40];
	bool done = false;

	if (dir1 < 0 || (n->dir2 && dir2 < 0))
		return false;  /* a directory the target does not hold: nothing to undo there */
	switch (n->kind) {
	case DUR_N_CREATE:
		if (!t->is_entry(t->ctx, dir1, n->name1, n->edev, n->eino, &st))
			break;
		if (!S_ISDIR(st.st_mode)) {
			done = !unlinkat(dir1, n->name1, 0);
		} else if (!unlinkat(dir1, n->name1, AT_REMOVEDIR)) {
			done = true;
		} else {
			/* Children durable in their own directory: all unreachable now. */
			snprintf(tname, sizeof(tname), "u%ju", (uintmax_t)n->seq);
			done = !renameat(dir1, n->name1, t->trash_fd, tname);
			if (done)
				dur_rm_tree(t->trash_fd, tname);
		}
		break;
	case DUR_N_UNLINK:
		done = !renameat2(t->trash_fd, n->trash, dir1, n->name1, RENAME_NOREPLACE);
		break;
	case DUR_N_RENAME:
		if (!t->is_entry(t->ctx, dir2, n->name2, n->edev, n->eino, &st))
			break;
		done = !renameat2(dir2, n->name2, dir1, n->name1, RENAME_NOREPLACE);
		if (done && n->trash)
			renameat2(t->trash_fd, n->trash, dir2, n->name2, RENAME_NOREPLACE);
		break;
	case DUR_N_EXCHANGE:
		done = !renameat2(dir1, n->name1, dir2, n->name2, RENAME_EXCHANGE);
		break;
	}
	if (!done)
		return false;
	if (inval && inval->name) {
		static const char *const ops[] = {
			[DUR_N_CREATE] = "create", [DUR_N_UNLINK] = "unlink",
			[DUR_N_RENAME] = "rename", [DUR_N_EXCHANGE] = "exchange",
		};
		struct ffs_name_undone u = {
			.op = ops[n->kind], .dir1_fd = dir1, .name1 = n->name1,
			.dir2_fd = n->dir2 ? dir2 : -1, .name2 = n->name2,
			.is_dir = n->is_dir,
			.dir1_synced = n->durable1, .dir2_synced = n->durable2,
		};

		inval->name(inval->ctx, &u);
	}
	inval_entry(inval, n->dir1, n->name1);
	if (n->name2)
		inval_entry(inval, n->dir2, n->name2);
	inval_inode(inval, n->edev, n->eino);
	inval_inode(inval, n->dir1->dev, n->dir1->ino);
	if (n->dir2 && n->dir2 != n->dir1)
		inval_inode(inval, n->dir2->dev, n->dir2->ino);
	return true;
}

uint64_t dur_names_replay(struct ffs_dur *d, const struct dur_name_target *t)
{
	uint64_t undone = 0;

	pthread_mutex_lock(&d->names_lock);
	/* The journal is in seq order: operations are recorded under this lock. */
	for (size_t i = d->nnames; i-- > 0;)
		undone += undo_name(t, &d->names[i], NULL);
	pthread_mutex_unlock(&d->names_lock);
	return undone;
}

/* Power cut: undo every volatile name operation, newest first. */
uint64_t dur_names_undo(struct ffs_dur *d, const struct ffs_inval_ops *inval)
{
	uint64_t undone = 0;

	const struct dur_name_target own = { .dir_fd = own_dir_fd, .is_entry = own_is_entry,
					     .trash_fd = d->trash_dir };

	pthread_mutex_lock(&d->names_lock);
	/* The journal is in seq order: operations are recorded under this lock. */
	for (size_t i = d->nnames; i-- > 0;)
		undone += undo_name(&own, &d->names[i], inval);
	dur_names_free_all(d);
	dur_empty_dir(d->trash_dir);
	names_unlock(d);
	dur_watch_names(d);  /* after the names came back: remembered paths are stale */
	return undone;
}
