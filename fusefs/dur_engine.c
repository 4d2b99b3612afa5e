// SPDX-License-Identifier: GPL-2.0-only
/*
 * The durability engine: what a power cut keeps, byte by byte and name by
 * name.
 *
 * Design: write-through plus undo. Every mutating operation is performed on
 * the backing tree at once (so reads are plain passthrough), and what is
 * needed to undo it is kept until it becomes durable:
 *
 *  - data (dur_data.c): before a write overwrites bytes inside the current
 *    size, their pre-image is appended to BACKING/.faultfs/undo/<dev>-<ino>
 *    (copy_file_range, in the kernel; the newest 64 KiB of small ones stay in
 *    memory until they would overflow, so a pre-image dropped by the next
 *    fsync is never written out). Memory holds one 64-byte record per
 *    operation {seq, off, len, undo_off, pre_len, size_before, size_after}.
 *    Appends need no pre-image (bytes beyond the old end read as zeros).
 *    truncate saves the cut tail; fallocate punch/zero the range; collapse
 *    and insert the whole tail. fsync/fdatasync of the file (after the real
 *    one succeeded) drops its records; syncfs drops all.
 *  - names (dur_names.c, strict mode only): create/mknod/mkdir/symlink/link
 *    record their inverse; unlink/rmdir and a replaced rename target are
 *    parked by rename into BACKING/.faultfs/trash/<seq> (so the inode, its
 *    content and any open fd stay intact); rename and RENAME_EXCHANGE record
 *    the inverse rename. A record becomes durable when its directory (both
 *    directories for a rename) is fsynced after it; then its trash entry is
 *    really deleted. Records hold O_PATH fds of their directories (shared,
 *    refcounted), so undo works by fd whatever happened to the paths.
 *  - lost data: mark_lost (lying disk, torn tail) and fsyncgate move write
 *    records to the lost state, which fsync does not clear. A record made
 *    durable while an older (or same-write) lost record exists becomes a
 *    "mark" so that the power cut does not restore the lost pre-image over
 *    bytes (or a size) that really reached the disk.
 *  - power cut (dur_powercut.c): names are undone newest first; then each
 *    file's records are replayed newest first against a set of protected
 *    ranges (kept writes, marks, torn sectors): an undone record restores
 *    its pre-image (or zeros) outside the protected ranges, and the final
 *    size is the size before the oldest undone change, grown to contain
 *    every kept write. A first pass computes that final size without I/O so
 *    that nothing beyond it is restored: undoing appended data costs one
 *    ftruncate whatever its amount. keep=P% decides per write from
 *    splitmix64(seed, seq); torn=SECTOR keeps a seeded subset of the
 *    sector-aligned pieces of each file's newest volatile write.
 *
 * Files, each calling only the ones below it (a lower file never calls up:
 * what must combine two layers is done in a file above both):
 *
 *   dur_engine.c    lifecycle (open, close), create with O_TRUNC, syncfs
 *   dur_snapshot.c  the power cut's replay aimed at a copy of the tree
 *   dur_status.c    status: totals over files and names
 *   dur_powercut.c  the power cut: names undone, then every file replayed
 *   dur_names.c     the name journal, parked entries, bounds  (side by side:
 *   dur_data.c      write, truncate, fallocate, fsync, lost data  neither calls the other)
 *   dur_parked.c    parked names per inode (st_nlink of attribute replies)
 *   dur_file.c      the file table: records, undo files, settle
 *   dur_watch.c     what changes while a snapshot copies (told by the layers above)
 *   dur_tree.c      plain helpers: copy a range, empty or remove a tree
 *
 * Limits (stated in the report too):
 *  - memory: 64 bytes per volatile data operation (sizeof(struct dur_rec))
 *    plus ~100 bytes per tracked file and ~80 bytes + names per volatile
 *    name operation. Nothing is coalesced, so a file written 10 million
 *    times without fsync holds 640 MB; undo data is on disk and bounded by
 *    the backing filesystem (as much as the overwritten bytes), but for
 *    each file's newest 64 KiB in memory (DUR_UNDO_MEM; at most
 *    DUR_UNDO_MEM_MAX, 16 MiB, in all).
 *  - file descriptors: two per file with volatile data (its inode, its undo
 *    file), plus up to DUR_IDLE_MAX idle files kept for reuse, plus one per
 *    directory with volatile names: the daemon must raise RLIMIT_NOFILE.
 *  - writes to one file serialize on its mutex (pre-image, write, record);
 *    different files do not share a lock beyond a short table lookup.
 *  - writes that bypass the engine (shared writable mmap) are not tracked:
 *    they are durable at once.
 *  - the undo file of a file with lost records is only emptied when the
 *    lost records go (power cut or clean shutdown).
 *  - trash and undo live in BACKING/.faultfs, so parking needs the entry on
 *    the same filesystem: an unlink across a nested mount (EXDEV) is done
 *    directly and is durable at once.
 *  - a crash of faultfs itself (not a power cut) leaves .faultfs behind; the
 *    next open discards undo/ and trash/: the machine did not lose power.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur_int.h"

static int open_subdir(int parent, const char *name, int *ret)
{
	int fd;

	if (mkdirat(parent, name, 0700) && errno != EEXIST)
		return -errno;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

int ffs_dur_open(int backing_fd, enum ffs_dur_mode mode, struct ffs_dur **ret)
{
	struct ffs_dur *d = calloc(1, sizeof(*d));
	char proc[64];
	ssize_t n;
	int err;

	if (!d)
		return -ENOMEM;
	d->mode = mode;
	d->root_fd = d->state_fd = d->undo_dir = d->trash_dir = -1;
	d->names_max = FFS_DUR_NAMES_MAX_DEFAULT;
	d->trash_max = FFS_DUR_TRASH_MAX_DEFAULT;
	pthread_mutex_init(&d->table_lock, NULL);
	pthread_mutex_init(&d->names_lock, NULL);
	pthread_mutex_init(&d->parked_lock, NULL);
	pthread_mutex_init(&d->watch.lock, NULL);

	d->root_fd = fcntl(backing_fd, F_DUPFD_CLOEXEC, 3);
	if (d->root_fd < 0) {
		err = -errno;
		goto fail;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", d->root_fd);
	n = readlink(proc, d->root_path, sizeof(d->root_path) - 1);
	if (n < 0) {
		err = -errno;
		goto fail;
	}
	d->root_path[n] = '\0';

	err = open_subdir(d->root_fd, FFS_STATE_DIR, &d->state_fd);
	if (err)
		goto fail;
	err = open_subdir(d->state_fd, "undo", &d->undo_dir);
	if (err)
		goto fail;
	err = open_subdir(d->state_fd, "trash", &d->trash_dir);
	if (err)
		goto fail;
	/* Left over by a faultfs that died: the machine did not lose power. */
	err = dur_empty_dir(d->undo_dir);
	if (!err)
		err = dur_empty_dir(d->trash_dir);
	if (err)
		goto fail;
	*ret = d;
	return 0;
fail:
	ffs_dur_close(d);
	return err;
}

void ffs_dur_close(struct ffs_dur *d)
{
	if (!d)
		return;
	dur_watch_stop(d);
	dur_files_free_all(d);
	dur_names_free_all(d);
	if (d->undo_dir >= 0) {
		dur_empty_dir(d->undo_dir);
		close(d->undo_dir);
	}
	if (d->trash_dir >= 0) {
		dur_empty_dir(d->trash_dir);
		close(d->trash_dir);
	}
	/*
	 * A clean shutdown leaves no state behind: undo/ and trash/ go, and
	 * .faultfs too unless the write log (or anything else) lives there.
	 */
	if (d->state_fd >= 0 && d->undo_dir >= 0 && d->trash_dir >= 0) {
		unlinkat(d->state_fd, "undo", AT_REMOVEDIR);
		unlinkat(d->state_fd, "trash", AT_REMOVEDIR);
		unlinkat(d->root_fd, FFS_STATE_DIR, AT_REMOVEDIR);
	}
	if (d->state_fd >= 0)
		close(d->state_fd);
	if (d->root_fd >= 0)
		close(d->root_fd);
	pthread_mutex_destroy(&d->table_lock);
	pthread_mutex_destroy(&d->names_lock);
	pthread_mutex_destroy(&d->parked_lock);
	free(d);
}

enum ffs_dur_mode ffs_dur_mode(const struct ffs_dur *d)
{
	return d->mode;
}

/*
 * The one name operation that also changes data: O_TRUNC of an existing
 * file is a tracked truncate, not part of the open, so that a power cut
 * can bring the old bytes back. The names layer opens (and journals a
 * create), the data layer truncates: each stays ignorant of the other.
 */
int ffs_dur_create(struct ffs_dur *d, int dirfd, const char *name, int flags, mode_t mode,
		   int *ret_fd)
{
	bool trunc = flags & O_TRUNC, created;
	struct stat st;
	int fd, err;

	err = dur_names_open(d, dirfd, name, (flags & ~O_TRUNC) | O_CLOEXEC, mode, &fd, &created);
	if (err)
		return err;
	if (trunc && !created && !fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0) {
		err = ffs_dur_truncate(d, fd, 0);
		if (err) {
			close(fd);
			return err;
		}
	}
	*ret_fd = fd;
	return 0;
}

/* syncfs: both layers' volatile state becomes durable, data first as before. */
int ffs_dur_syncfs(struct ffs_dur *d)
{
	if (syncfs(d->state_fd))
		return -errno;
	dur_files_settle_all(d);
	dur_names_settle_all(d);
	return 0;
}
