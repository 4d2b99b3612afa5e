// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the handlers share to answer with an entry or attributes: the
 * attributes the mount shows, the lookup of a name, and the owner of a
 * name just made. Below every ops_*.c (names, open files, directories),
 * so it calls no handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur_hint.h"
#include "durability.h"
#include "ops.h"

static int stat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

/*
 * The attributes the mount shows: the backing inode's, without the links
 * that are faultfs's own (names parked in .faultfs/trash, and .faultfs
 * itself in the root), so st_nlink is what a native filesystem reports.
 */
static void attr_adjust(struct ffs *fs, struct stat *st)
{
	ffs_dur_adjust_stat(fs->dur, st);
	if (fs->dur && st->st_dev == fs->root.dev && st->st_ino == fs->root.ino &&
	    st->st_nlink > 2)
		st->st_nlink--;
}

int ffs_attr_of(struct ffs *fs, int fd, struct stat *st)
{
	int err = stat_fd(fd, st);

	if (err)
		return err;
	attr_adjust(fs, st);
	return 0;
}

int ffs_do_lookup(fuse_req_t req, fuse_ino_t parent, const char *name,
		  struct fuse_entry_param *e)
{
	struct ffs *fs = ffs_of(req);
	struct ffs_inode *in;
	bool have_st;
	int fd, err;

	memset(e, 0, sizeof(*e));
	if (ffs_hidden(parent, name))
		return -ENOENT;
	/* A create of this request handed on its entry (dur_hint.h): no open or stat again. */
	if (ffs_dur_take_created(ffs_fd_of(req, parent), name, &fd, &e->attr, &have_st)) {
		err = 0;
		if (have_st)
			attr_adjust(fs, &e->attr);
		else
			err = ffs_attr_of(fs, fd, &e->attr);
	} else {
		fd = openat(ffs_fd_of(req, parent), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		err = ffs_attr_of(fs, fd, &e->attr);
	}
	if (err) {
		close(fd);
		return err;
	}
	err = ffs_inode_get(fs, fd, &e->attr, &in);
	if (err)
		return err;
	e->ino = in == &fs->root ? FUSE_ROOT_ID : (uintptr_t)in;
	e->attr_timeout = fs->timeout;
	e->entry_timeout = fs->timeout;
	return 0;
}

void ffs_chown_new(fuse_req_t req, int dirfd, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t gid = ctx->gid;
	struct stat dir;

	static uid_t euid = (uid_t)-1;
	static gid_t egid = (gid_t)-1;

	if (!ffs_of(req)->chown_new)
		return;
	/* faultfs never changes its ids: read them once (a racing first read writes the same). */
	if (__atomic_load_n(&euid, __ATOMIC_RELAXED) == (uid_t)-1) {
		__atomic_store_n(&egid, getegid(), __ATOMIC_RELAXED);
		__atomic_store_n(&euid, geteuid(), __ATOMIC_RELAXED);
	}
	/* Made by us for ourselves: it has the right owner already (one syscall less per create). */
	if (ctx->uid == __atomic_load_n(&euid, __ATOMIC_RELAXED) &&
	    ctx->gid == __atomic_load_n(&egid, __ATOMIC_RELAXED))
		return;
	/* A set-group-ID directory gives its group, as the backing fs already did. */
	if (!stat_fd(dirfd, &dir) && (dir.st_mode & S_ISGID))
		gid = (gid_t)-1;
	(void)!fchownat(dirfd, name, ctx->uid, gid, AT_SYMLINK_NOFOLLOW);
	/* Its owner and ctime changed: the lookup must stat it again. */
	ffs_dur_created_changed();
}
