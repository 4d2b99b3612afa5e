// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tar strategy: GNU tar's --listed-incremental over the store's data
 * directory. Each archive N-KIND.tar (N = 1, 2, ...) sits in the
 * repository with N-KIND.snar, tar's snapshot file as it stood after that
 * archive. A full starts from no snapshot file (level 0); an incr from a
 * copy of the newest archive's, so it holds what changed since the
 * previous backup of any kind; a diff from a copy of the last full's (the
 * level-0 snapshot), so it holds everything changed since the full.
 *
 * tar works file by file: a file that changed at all goes in whole. An
 * append-only log, a growing AOF or a fresh dump.rdb is dumped again in
 * every incremental; what an incremental saves is the unchanged files.
 *
 * A restore extracts the last full, its newest diff if there is one, then
 * every incr after that in order, with --listed-incremental=/dev/null so
 * that the deletions each archive records are replayed.
 *
 * On redis a BGSAVE comes first, so the dump.rdb in the archive is whole
 * and holds every write acknowledged before the backup; the AOF files go
 * too and are what redis loads on restore (appendonly yes).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"
#include "core/clock.h"
#include "core/errbuf.h"
#include "redis_save.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)

/* One archive of the repository. */
struct archive {
	unsigned long n;
	enum fl_backup_kind kind;
};

static int available(struct fl_bk_ctx *c)
{
	char out[4096]; /* the whole of --version: the name is on its first line */
	int err = fl_bk_cmd(c, NULL, NULL, NULL, 10000, out, sizeof(out),
			    (const char *const[]){ "tar", "--version", NULL });

	if (err == -ENOENT) {
		fl_errf(c->errbuf, c->errlen, "strategy tar: no tar (Debian package tar)");
		return err;
	}
	if (err)
		return err;
	/* --listed-incremental is GNU tar's; busybox's or bsdtar would not do. */
	if (!strstr(out, "GNU tar")) {
		fl_errf(c->errbuf, c->errlen, "strategy tar: tar is not GNU tar (Debian package tar)");
		return -ENOENT;
	}
	return 0;
}

static int by_n(const void *a, const void *b)
{
	const struct archive *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

/* The repository's archives, ascending by N: *ret malloc'd. */
static int list_archives(struct fl_bk_ctx *c, struct archive **ret, size_t *ret_n)
{
	struct archive *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d = opendir(c->repo);

	if (!d) {
		fl_errf(c->errbuf, c->errlen, "%s: %s", c->repo, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d))) {
		static const enum fl_backup_kind kinds[] = { FL_BACKUP_FULL, FL_BACKUP_DIFF,
							     FL_BACKUP_INCR };
		char *end;
		unsigned long k = strtoul(e->d_name, &end, 10);

		if (end == e->d_name || *end != '-')
			continue;
		for (size_t i = 0; i < 3; i++) {
			char want[16];

			snprintf(want, sizeof(want), "-%s.tar", fl_backup_kind_name(kinds[i]));
			if (strcmp(end, want))
				continue;
			if (n == cap) {
				struct archive *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

				if (!nv) {
					free(v);
					closedir(d);
					return -ENOMEM;
				}
				v = nv;
			}
			v[n++] = (struct archive){ k, kinds[i] };
		}
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), by_n);
	*ret = v;
	*ret_n = n;
	return 0;
}

static void path_of(struct fl_bk_ctx *c, const struct archive *a, const char *ext, char *buf,
		    size_t len)
{
	snprintf(buf, len, "%s/%06lu-%s.%s", c->repo, a->n, fl_backup_kind_name(a->kind), ext);
}

/*
 * tar exits 1 when a file changed while it read it: for a live service's
 * files that is the normal case (the log grows), and the archive holds
 * each file as far as tar read it; 2 is a real error.
 */
static const char TAR_SH[] = "tar \"$@\"; rc=$?; [ $rc -eq 1 ] && rc=0; exit $rc";

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	char arch[PATH_MAX], arch_part[PATH_MAX + 8], snar[PATH_MAX], snar_part[PATH_MAX + 8];
	char base[PATH_MAX], opt_file[PATH_MAX + 16], opt_snar[PATH_MAX + 32];
	struct archive *v = NULL, me;
	const struct archive *from = NULL;
	size_t n = 0;
	struct stat st;
	int err;

	if (kind != FL_BACKUP_FULL && kind != FL_BACKUP_DIFF && kind != FL_BACKUP_INCR) {
		fl_errf(c->errbuf, c->errlen, "tar takes full, diff and incr backups, not a %s",
			fl_backup_kind_name(kind));
		return -EINVAL;
	}
	err = list_archives(c, &v, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (kind == FL_BACKUP_DIFF && v[i].kind == FL_BACKUP_FULL)
			from = &v[i];
		if (kind == FL_BACKUP_INCR)
			from = &v[i];
	}
	if (kind != FL_BACKUP_FULL && !from) {
		fl_errf(c->errbuf, c->errlen, "tar: a %s needs a full backup first",
			fl_backup_kind_name(kind));
		err = -ENOENT;
		goto out;
	}
	me = (struct archive){ n ? v[n - 1].n + 1 : 1, kind };
	path_of(c, &me, "tar", arch, sizeof(arch));
	path_of(c, &me, "snar", snar, sizeof(snar));
	snprintf(arch_part, sizeof(arch_part), "%s.part", arch);
	snprintf(snar_part, sizeof(snar_part), "%s.part", snar);
	unlink(snar_part);
	if (from) {
		path_of(c, from, "snar", base, sizeof(base));
		err = fl_bk_copy_file(base, snar_part);
		if (err) {
			fl_errf(c->errbuf, c->errlen, "copy %s: %s", base, strerror(-err));
			goto out;
		}
	}
	if (!strcmp(c->store->kind, "redis")) {
		err = fl_bk_redis_save(c, FL_BK_TOOL_MS, NULL, 0);
		if (err)
			goto out;
	}
	snprintf(opt_file, sizeof(opt_file), "--file=%s", arch_part);
	snprintf(opt_snar, sizeof(opt_snar), "--listed-incremental=%s", snar_part);
	/*
	 * --no-check-device: a faultfs remount or a restore gives the data
	 * directory another device number, and tar would take every file for
	 * new and dump it again.
	 */
	err = fl_bk_cmd(c, NULL, NULL, NULL, FL_BK_TOOL_MS, NULL, 0,
			(const char *const[]){ "sh", "-c", TAR_SH, "tar", "--create", opt_file,
					       opt_snar, "--no-check-device",
					       "--warning=no-file-changed",
					       "--warning=no-file-ignored", "--directory",
					       c->store->data_dir, ".", NULL });
	if (!err && (rename(snar_part, snar) < 0 || rename(arch_part, arch) < 0)) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "rename into %s: %s", c->repo, strerror(errno));
	}
	if (err) {
		unlink(arch_part);
		unlink(snar_part);
		unlink(snar);
		goto out;
	}
	if (stat(arch, &st) < 0) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "%s: %s", arch, strerror(errno));
		goto out;
	}
	ret->bytes = (uint64_t)st.st_size;
	snprintf(ret->label, sizeof(ret->label), "%s", strrchr(arch, '/') + 1);
out:
	free(v);
	return err;
}

static int extract(struct fl_bk_ctx *c, const struct archive *a)
{
	char arch[PATH_MAX], opt_file[PATH_MAX + 16];

	path_of(c, a, "tar", arch, sizeof(arch));
	snprintf(opt_file, sizeof(opt_file), "--file=%s", arch);
	return fl_bk_cmd(c, NULL, NULL, NULL, FL_BK_TOOL_MS, NULL, 0,
			 (const char *const[]){ "tar", "--extract", opt_file,
						"--listed-incremental=/dev/null", "--directory",
						c->store->data_dir, NULL });
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	struct archive *v = NULL;
	size_t n = 0, full = 0, from;
	bool have_full = false;
	uint64_t t0;
	int err;

	if (t->pitr) {
		fl_errf(c->errbuf, c->errlen, "tar has no point-in-time restore");
		return -EOPNOTSUPP;
	}
	err = list_archives(c, &v, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (v[i].kind == FL_BACKUP_FULL)
			full = i, have_full = true;
	if (!have_full) {
		fl_errf(c->errbuf, c->errlen, "tar: no full backup in %s to restore", c->repo);
		err = -ENOENT;
		goto out;
	}
	t0 = fl_now_ns();
	err = extract(c, &v[full]);
	/* The newest diff on this full; the incrs are then those after it. */
	from = full;
	for (size_t i = full + 1; i < n; i++)
		if (v[i].kind == FL_BACKUP_DIFF)
			from = i;
	if (!err && from != full)
		err = extract(c, &v[from]);
	for (size_t i = from + 1; !err && i < n; i++)
		if (v[i].kind == FL_BACKUP_INCR)
			err = extract(c, &v[i]);
	if (!err)
		err = fl_bk_chown_store(c, c->store->data_dir);
	if (err)
		goto out;
	ret->fetch_ns = 0; /* tar reads and writes in one pass */
	ret->restore_ns = fl_now_ns() - t0;
out:
	free(v);
	return err;
}

const struct fl_backup_strategy fl_bk_tar = {
	.name      = "tar",
	.tool      = "GNU tar",
	.kinds     = K(FULL) | K(DIFF) | K(INCR),
	.pitr      = false,
	.stores    = "file redis",
	.packages  = "tar",
	.available = available,
	.backup    = backup,
	.restore   = restore,
};
