// SPDX-License-Identifier: GPL-2.0-only
/*
 * The snapshot of a whole mount: the tree is copied into DEST while
 * requests go on; then, under the operations lock held exclusively (as a
 * power cut takes it), what changed meanwhile is copied again and the
 * durability model's replay turns the copy into what a power cut at that
 * instant would leave; then the lock is released and the copy is made
 * durable on its own disk. Every request
 * answered before the lock was taken is in the image as the model would
 * keep it; none answered after is. The service is not told: no cache is
 * invalidated, nothing in the mount changes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <jansson.h>

#include "core/clock.h"
#include "durability.h"
#include "faultfs.h"
#include "wlog.h"

/* Is path at or below dir (both canonical)? */
static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!n)
		return false;
	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

static int is_empty(int fd)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;
	int err = 0;

	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		err = -errno;
		close(dfd);
		return err;
	}
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			err = -ENOTEMPTY;
			break;
		}
	closedir(dir);
	return err;
}

/* Regular files and their bytes under dirfd, as the image holds them (after the lock). */
static void count_tree(int dirfd, uint64_t *files, uint64_t *bytes, int depth)
{
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	DIR *dir;

	if (dfd < 0)
		return;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return;
	}
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISREG(st.st_mode)) {
			(*files)++;
			*bytes += (uint64_t)st.st_size;
		} else if (S_ISDIR(st.st_mode) && depth < 256) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);

			if (sub >= 0) {
				count_tree(sub, files, bytes, depth + 1);
				close(sub);
			}
		}
	}
	closedir(dir);
}

static void log_snapshot(struct ffs *fs, const char *dest, const struct ffs_snapshot_report *r,
			 int err)
{
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_SNAPSHOT, .path = "/", .result = err };
	json_t *o;
	char *detail;

	if (!fs->wlog)
		return;
	o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I}", "dest", dest, "full", r->full,
		      "catchup_bytes", (json_int_t)r->catchup_bytes,
		      "writes_undone", (json_int_t)r->cut.writes_undone,
		      "bytes_undone", (json_int_t)r->cut.bytes_undone,
		      "names_undone", (json_int_t)r->cut.names_undone);
	detail = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	e.detail = detail ? detail : "{}";
	ffs_wlog_append(fs->wlog, &e);
	free(detail);
}

#define FUSE_MAGIC 0x65735546

/*
 * Is the directory fd inside the mount or the backing tree, however it was
 * reached (a bind mount, a symlink)? Its ancestors are compared with the
 * backing root, and a FUSE filesystem's device with the mount's.
 */
static const char *inside(struct ffs *fs, int fd)
{
	struct stat broot, mroot, st, up;
	struct statfs sf;
	int cur, parent;

	if (!fstatfs(fd, &sf) && sf.f_type == FUSE_MAGIC && fs->mountpoint[0] &&
	    !stat(fs->mountpoint, &mroot) && !fstat(fd, &st) && st.st_dev == mroot.st_dev)
		return "mount";
	if (fstat(fs->root.fd, &broot))
		return NULL;
	cur = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	for (int depth = 0; cur >= 0 && depth < 4096; depth++) {
		if (fstat(cur, &st))
			break;
		if (st.st_dev == broot.st_dev && st.st_ino == broot.st_ino) {
			close(cur);
			return "backing directory";
		}
		parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(cur);
		cur = parent;
		if (cur < 0 || fstat(cur, &up) || (up.st_dev == st.st_dev && up.st_ino == st.st_ino))
			break;  /* the root */
	}
	if (cur >= 0)
		close(cur);
	return NULL;
}

/* dest made canonical through its parent (dest itself may not exist yet). */
static int canonical(const char *dest, char *buf, size_t len)
{
	char parent[PATH_MAX], base[PATH_MAX], real[PATH_MAX];

	if (realpath(dest, real)) {
		snprintf(buf, len, "%s", real);
		return 0;
	}
	if (errno != ENOENT || strlen(dest) >= sizeof(parent))
		return -errno;
	strcpy(parent, dest);
	strcpy(base, dest);
	if (!realpath(dirname(parent), real))
		return -errno;
	if ((size_t)snprintf(buf, len, "%s/%s", strcmp(real, "/") ? real : "", basename(base)) >=
	    len)
		return -ENAMETOOLONG;
	return 0;
}

int ffs_snapshot(struct ffs *fs, const char *dest, struct ffs_snapshot_report *ret,
		 uint64_t *ret_held_ns, char *errbuf, size_t errlen)
{
	struct ffs_snapshot_report rep = { 0 };
	struct ffs_snap *snap;
	char real[PATH_MAX];
	struct stat st;
	bool made = false;
	uint64_t t0, t1;
	int fd = -1, err;

	if (!fs->dur) {
		snprintf(errbuf, errlen, "this mount has no durability model");
		return -EOPNOTSUPP;
	}
	if (!dest || dest[0] != '/') {
		snprintf(errbuf, errlen, "\"dest\" must be an absolute path");
		return -EINVAL;
	}
	err = canonical(dest, real, sizeof(real));
	if (err) {
		snprintf(errbuf, errlen, "%s: %s", dest, strerror(-err));
		return err;
	}
	/*
	 * Inside the mount, the copy would wait for the lock it is made under;
	 * inside the backing tree, it would copy itself. Checked before
	 * anything is made there, by path; then, once open, by identity.
	 */
	if (below(real, fs->mountpoint) || below(real, fs->backing)) {
		snprintf(errbuf, errlen, "%s is inside the %s %s: a snapshot goes elsewhere",
			 real, below(real, fs->mountpoint) ? "mount" : "backing directory",
			 below(real, fs->mountpoint) ? fs->mountpoint : fs->backing);
		return -EINVAL;
	}
	/* Nothing is made in the mount reached another way (a bind mount). */
	{
		char parent[PATH_MAX];
		const char *in;
		int pfd;

		snprintf(parent, sizeof(parent), "%s", real);
		pfd = open(dirname(parent), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		in = pfd >= 0 ? inside(fs, pfd) : NULL;
		if (pfd >= 0)
			close(pfd);
		if (in) {
			snprintf(errbuf, errlen, "%s is inside the %s (reached another way): a "
				 "snapshot goes elsewhere", real, in);
			return -EINVAL;
		}
	}
	/* A new directory is made; its parent must exist (as for mkdir). */
	if (mkdir(real, 0700) == 0) {
		made = true;
	} else if (errno != EEXIST) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot make %s: %s", real, strerror(errno));
		return err;
	}
	fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "%s: %s", real, strerror(errno));
		goto fail;
	}
	if (inside(fs, fd)) {
		snprintf(errbuf, errlen, "%s is inside the %s (reached another way): a snapshot goes "
			 "elsewhere", real, inside(fs, fd));
		err = -EINVAL;
		goto fail;
	}
	err = is_empty(fd);
	if (err) {
		snprintf(errbuf, errlen, "%s: %s", real,
			 err == -ENOTEMPTY ? "not empty (a snapshot goes into a new or empty directory)"
					   : strerror(-err));
		made = false;  /* not ours to remove */
		goto fail;
	}

	/* The bulk is copied while requests go on; what changed meanwhile, under the lock. */
	err = ffs_dur_snapshot_prepare(fs->dur, fd, &snap);
	if (err) {
		snprintf(errbuf, errlen, "%s", err == -EBUSY ?
			 "another snapshot of this mount is being taken; try again" : strerror(-err));
		goto fail;
	}
	/* Writers are held from the moment the lock is asked for (writer preference). */
	t0 = fl_now_ns();
	pthread_rwlock_wrlock(&fs->op_lock);
	err = ffs_dur_snapshot_finish(snap, &rep);
	/* In the log under the lock: every line before it is in the image (as durable), none after. */
	log_snapshot(fs, real, &rep, err);
	pthread_rwlock_unlock(&fs->op_lock);
	t1 = fl_now_ns();
	if (err) {
		snprintf(errbuf, errlen, "snapshot into %s failed: %s", real, strerror(-err));
		goto fail;
	}
	/* A backup is on its disk before it is reported taken. */
	if (syncfs(fd)) {
		err = -errno;
		snprintf(errbuf, errlen, "syncfs %s: %s", real, strerror(errno));
		goto fail;
	}
	/* A DEST made here is the image's root: it gets the root's owner and mode. */
	if (made && !stat(fs->backing, &st) && (fchown(fd, st.st_uid, st.st_gid) ||
						 fchmod(fd, st.st_mode & 07777))) {
		err = -errno;
		snprintf(errbuf, errlen, "%s: %s", real, strerror(errno));
		goto fail;
	}
	rep.files = rep.bytes_copied = 0;
	count_tree(fd, &rep.files, &rep.bytes_copied, 0);
	close(fd);
	*ret = rep;
	*ret_held_ns = t1 - t0;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (made)
		rmdir(real);
	return err;
}
