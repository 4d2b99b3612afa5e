// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fs-snapshot strategy: a cloud volume snapshot, modelled. faultfs
 * over the data directory copies what a power cut at one instant would
 * leave (`faultline fs snapshot`) into repo/N while the service runs on,
 * untold; a restore copies the newest image back into the empty data
 * directory, and the service's start is its crash recovery.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <faultline/fs.h>
#include <faultline/fs_snapshot.h>
#include "core/clock.h"
#include "core/errbuf.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)
#define PART_SUFFIX ".part"

/* faultfs is part of faultline: nothing to install. */
static int available(struct fl_bk_ctx *c)
{
	(void)c;
	return 0;
}

/* The data directory must be a faultfs mount: only faultfs knows what is durable. */
static int need_faultfs(struct fl_bk_ctx *c)
{
	int err = fl_fs_check_mount(c->store->data_dir);

	if (err)
		fl_errf(c->errbuf, c->errlen,
			"strategy fs-snapshot: the data directory %s is %s: a snapshot of the "
			"durable state needs faultfs mounted over it", c->store->data_dir,
			err == -EMEDIUMTYPE ? "not a faultfs mount" : strerror(-err));
	return err;
}

static int prepare(struct fl_bk_ctx *c)
{
	return need_faultfs(c);
}

/* The highest N of the images repo/N (0: none). */
static int newest(struct fl_bk_ctx *c, unsigned long *ret)
{
	unsigned long best = 0;
	struct dirent *de;
	DIR *d = opendir(c->repo);

	if (!d) {
		fl_errf(c->errbuf, c->errlen, "strategy fs-snapshot: %s: %s", c->repo, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		char *end;
		unsigned long n = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && !*end && n > best)
			best = n;
	}
	closedir(d);
	*ret = best;
	return 0;
}

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	char part[PATH_MAX], dest[PATH_MAX], why[512] = "";
	struct fl_fs_snapshot r;
	unsigned long n;
	int err;

	if (kind != FL_BACKUP_SNAPSHOT) {
		fl_errf(c->errbuf, c->errlen, "strategy fs-snapshot takes snapshots only, not %s",
			fl_backup_kind_name(kind));
		return -EINVAL;
	}
	err = need_faultfs(c);
	if (!err)
		err = newest(c, &n);
	if (err)
		return err;
	/* Made under another name: a half image is never the newest. */
	snprintf(dest, sizeof(dest), "%s/%lu", c->repo, n + 1);
	if ((size_t)snprintf(part, sizeof(part), "%s%s", dest, PART_SUFFIX) >= sizeof(part))
		return -ENAMETOOLONG;
	/* Left by a run killed mid-snapshot: never an image, and in the way. */
	if (!access(part, F_OK)) {
		err = fl_bk_cmd(c, NULL, NULL, NULL, 60000, NULL, 0,
				(const char *const[]){ "rm", "-rf", "--one-file-system", part, NULL });
		if (err)
			return err;
	}
	err = fl_fs_snapshot(c->store->data_dir, part, FL_BK_TOOL_MS, &r, why, sizeof(why));
	if (err) {
		fl_errf(c->errbuf, c->errlen, "faultline fs snapshot: %s", why);
		return err;
	}
	if (rename(part, dest)) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "%s: %s", dest, strerror(errno));
		return err;
	}
	ret->bytes = r.bytes;
	snprintf(ret->label, sizeof(ret->label), "%lu", n + 1);
	return 0;
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	char src[PATH_MAX], dst[PATH_MAX], out[512];
	unsigned long n;
	uint64_t t0;
	int err, fd;

	if (t->pitr) {
		fl_errf(c->errbuf, c->errlen, "strategy fs-snapshot has no point in time: "
			"a snapshot restores as it was taken (use --restore latest)");
		return -EOPNOTSUPP;
	}
	err = newest(c, &n);
	if (err)
		return err;
	if (!n) {
		fl_errf(c->errbuf, c->errlen, "strategy fs-snapshot: no snapshot in %s to restore",
			c->repo);
		return -ENOENT;
	}
	snprintf(src, sizeof(src), "%s/%lu/.", c->repo, n);
	snprintf(dst, sizeof(dst), "%s/", c->store->data_dir);
	t0 = fl_now_ns();
	/* As root, so owners, modes and times come back as the image has them. */
	err = fl_bk_cmd(c, NULL, NULL, NULL, FL_BK_TOOL_MS, out, sizeof(out),
			(const char *const[]){ "cp", "-a", "--reflink=auto", src, dst, NULL });
	if (err)
		return err;
	/* What was restored is on the disk before the service starts. */
	fd = open(c->store->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd)) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "sync %s: %s", c->store->data_dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	ret->fetch_ns = 0;
	ret->restore_ns = fl_now_ns() - t0;
	return 0;
}

const struct fl_backup_strategy fl_bk_fs_snapshot = {
	.name      = "fs-snapshot",
	.tool      = "faultfs snapshot",
	.kinds     = K(SNAPSHOT),
	.pitr      = false,
	.stores    = "postgres redis sqlite file",
	.packages  = "",
	.available = available,
	.prepare   = prepare,
	.backup    = backup,
	.restore   = restore,
};
