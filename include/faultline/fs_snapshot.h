/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A crash-consistent snapshot of a faultfs mount, as a cloud volume
 * snapshot is: what a power cut at one instant would leave (only what was
 * durable then, per the mount's durability= mode), copied into another
 * directory while the service keeps running and is not told. The tree is
 * copied while requests go on; requests are held only while what changed
 * meanwhile is copied again and the volatile part is undone in the copy
 * (after a name change the names are walked again too, the files already
 * copied moved into place). The control
 * request is {"cmd":"snapshot","dest":"/abs/dir"}; the reply carries the
 * counts below.
 */
#ifndef FAULTLINE_FS_SNAPSHOT_H
#define FAULTLINE_FS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_fs_snapshot {
	uint64_t files;          /* regular files in the image */
	uint64_t bytes;          /* their bytes */
	uint64_t writes_undone;  /* volatile writes left out */
	uint64_t bytes_undone;
	uint64_t names_undone;   /* volatile name operations left out (strict mode) */
	uint64_t precopy_ns;     /* the bulk copy, requests going on; the instant is at its end */
	uint64_t held_ns;        /* how long requests to the mount were held */
	uint64_t catchup_bytes;  /* written while the tree was copied: copied again in the hold */
	bool relinked;           /* a name changed meanwhile: the names were walked again in the hold */
	bool full;               /* a power cut meanwhile: everything was copied in the hold */
	uint64_t duration_ns;    /* the copy (with requests going on), the catch-up and the replay */
	uint64_t total_ns;       /* the whole call, the image's fsync included */
};

/*
 * Snapshot the faultfs mount mnt into dest (a new directory, whose parent
 * exists, or an empty one; not inside the mount nor its backing tree).
 * 0 and *ret filled, or a negative errno with the reason in errbuf:
 * -EMEDIUMTYPE when mnt is no faultfs mount, -EINVAL for a dest inside
 * the mount, -ENOTEMPTY, -EIO when faultfs refused (its reason quoted).
 */
int fl_fs_snapshot(const char *mnt, const char *dest, int timeout_ms, struct fl_fs_snapshot *ret,
		   char *errbuf, size_t errlen);

#endif /* FAULTLINE_FS_SNAPSHOT_H */
