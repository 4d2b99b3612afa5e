// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pg_basebackup strategy: PostgreSQL's own tools and nothing else.
 * The server archives each WAL segment into REPO/archive with a small
 * script that writes it durably (a temporary name, fsync, rename, fsync
 * of the directory) and never overwrites a different file; a backup is
 * `pg_basebackup -Fp -X stream` into REPO/base/N; a restore copies the
 * newest usable base back, asks for archive recovery (recovery.signal,
 * restore_command) and, for a point in time, recovery_target_time.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/errbuf.h"
#include "strategy.h"
#include "strategy_pg.h"

/* How long a closed WAL segment may take to reach the archive. */
#define ARCHIVE_WAIT_MS 60000

#define K(k) (1u << FL_BACKUP_##k)

struct base {
	unsigned n;              /* REPO/base/N */
	uint64_t end_wall_ns;    /* pg_basebackup returned: the backup ended before */
};

struct pgbb {
	char bin[PATH_MAX];      /* pg_basebackup of the server's own version */
	struct base *bases;
	size_t n_bases;
	unsigned next;           /* the next N: a failed pg_basebackup may leave its directory */
};

static int find_bin(struct fl_bk_ctx *c, char *buf, size_t len)
{
	if (!c->store->bindir) {
		fl_errf(c->errbuf, c->errlen, "pg_basebackup: the store names no PostgreSQL bin directory");
		return -EINVAL;
	}
	snprintf(buf, len, "%s/pg_basebackup", c->store->bindir);
	if (access(buf, X_OK) < 0) {
		fl_errf(c->errbuf, c->errlen, "%s: not installed (Debian package postgresql)", buf);
		return -ENOENT;
	}
	return 0;
}

static int available(struct fl_bk_ctx *c)
{
	char bin[PATH_MAX];
	glob_t g;

	if (c->store && c->store->bindir)
		return find_bin(c, bin, sizeof(bin));
	/* Asked before the store exists: any installed server's. */
	if (glob("/usr/lib/postgresql/*/bin/pg_basebackup", 0, NULL, &g)) {
		fl_errf(c->errbuf, c->errlen,
			"pg_basebackup: not installed (Debian package postgresql)");
		return -ENOENT;
	}
	globfree(&g);
	return 0;
}

/*
 * $1 = %p (relative to PGDATA, the archiver's directory), $2 = %f. A file
 * already archived with the same bytes is success: the archiver may have
 * died after the rename but before it heard back. Different bytes under
 * the same name are refused, as PostgreSQL's documentation asks.
 */
static const char archive_script[] =
	"#!/bin/sh\n"
	"# faultline backup (pg_basebackup): archive one WAL file durably.\n"
	"set -eu\n"
	"dir=%s/archive\n"
	"dst=\"$dir/$2\"\n"
	"if [ -e \"$dst\" ]; then\n"
	"\tcmp -s \"$1\" \"$dst\" && exit 0\n"
	"\techo \"archive-wal: $dst exists with other contents\" >&2\n"
	"\texit 1\n"
	"fi\n"
	"cp \"$1\" \"$dst.tmp\"\n"
	"sync \"$dst.tmp\"\n"
	"mv \"$dst.tmp\" \"$dst\"\n"
	"sync \"$dir\"\n";

static int write_script(struct fl_bk_ctx *c, const char *path)
{
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f)
		err = -errno;
	else {
		fprintf(f, archive_script, c->repo);
		if (fchmod(fileno(f), 0755) < 0)
			err = -errno;
		if (fclose(f) && !err)
			err = -errno;
	}
	if (err)
		fl_errf(c->errbuf, c->errlen, "pg_basebackup: %s: %s", path, strerror(-err));
	return err;
}

/*
 * Switch to a new WAL segment and wait until the archive holds the one
 * just closed. pg_walfile_name of the switch's end names the segment that
 * ends there (it rounds a boundary down), so with no WAL since the last
 * switch it names one archived already.
 */
static int settle(struct fl_bk_ctx *c)
{
	char psql[PATH_MAX], port[16], name[128] = "", path[PATH_MAX + 160];

	snprintf(psql, sizeof(psql), "%s/psql", c->store->bindir);
	snprintf(port, sizeof(port), "%d", c->store->port);
	if (fl_bk_cmd_as_store(c, FL_BK_TOOL_MS, name, sizeof(name),
			       (const char *const[]){ psql, "-h", c->store->socket_dir, "-p", port,
						      "-U", "postgres", "-d", "postgres", "-Atqc",
						      "SELECT pg_walfile_name(pg_switch_wal())",
						      NULL }))
		return -EIO;
	name[strcspn(name, "\n")] = '\0';
	snprintf(path, sizeof(path), "%s/archive/%s", c->repo, name);
	for (int i = 0; i < ARCHIVE_WAIT_MS / 50; i++) {
		if (!access(path, F_OK))
			return 0;
		usleep(50000);
	}
	fl_errf(c->errbuf, c->errlen, "pg_basebackup: %s was not archived within %d s", name,
		ARCHIVE_WAIT_MS / 1000);
	return -ETIMEDOUT;
}

static int configure(struct fl_bk_ctx *c)
{
	char path[PATH_MAX + 32], cmd[PATH_MAX + 64];
	struct pgbb *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	err = find_bin(c, p->bin, sizeof(p->bin));
	if (!err)
		err = fl_bk_pg_open_repo(c);
	if (!err) {
		snprintf(path, sizeof(path), "%s/archive", c->repo);
		err = fl_bk_pg_mkdir(c, path);
	}
	if (!err) {
		snprintf(path, sizeof(path), "%s/base", c->repo);
		err = fl_bk_pg_mkdir(c, path);
	}
	if (!err) {
		snprintf(path, sizeof(path), "%s/archive-wal.sh", c->repo);
		err = write_script(c, path);
	}
	if (!err) {
		snprintf(cmd, sizeof(cmd), "%s %%p %%f", path);
		err = fl_bk_pg_archive_conf(c, "pg_basebackup", cmd);
	}
	if (err) {
		free(p);
		return err;
	}
	c->priv = p;
	return 0;
}

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	struct pgbb *p = c->priv;
	char dest[PATH_MAX + 32], port[16];
	struct base *bases;
	unsigned n;
	int err;

	if (kind != FL_BACKUP_FULL) {
		fl_errf(c->errbuf, c->errlen, "pg_basebackup: takes full backups only, not %s",
			fl_backup_kind_name(kind) ?: "that kind");
		return -EINVAL;
	}
	if (!p) {
		fl_errf(c->errbuf, c->errlen, "pg_basebackup: not configured");
		return -EINVAL;
	}
	bases = realloc(p->bases, (p->n_bases + 1) * sizeof(*bases));
	if (!bases)
		return -ENOMEM;
	p->bases = bases;
	n = ++p->next;
	snprintf(dest, sizeof(dest), "%s/base/%u", c->repo, n);
	snprintf(port, sizeof(port), "%d", c->store->port);
	/* -X stream: the WAL of the backup's own span comes with it, whatever the archive does. */
	err = fl_bk_cmd_as_store(c, FL_BK_TOOL_MS, NULL, 0,
				 (const char *const[]){ p->bin, "-h", c->store->socket_dir, "-p", port,
							"-U", "postgres", "-w", "-D", dest, "-Fp",
							"-X", "stream", "--checkpoint=fast", NULL });
	if (err)
		return err;
	bases[p->n_bases].n = n;
	bases[p->n_bases].end_wall_ns = fl_bk_pg_wall_ns();
	p->n_bases++;
	ret->bytes = fl_bk_du(dest);
	snprintf(ret->label, sizeof(ret->label), "base/%u", n);
	return 0;
}

/* Recovery from the archive, after whatever postgresql.auto.conf the base carries (a former restore's). */
static int write_recovery(struct fl_bk_ctx *c, const struct fl_bk_target *t)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/postgresql.auto.conf", c->store->data_dir);
	f = fopen(path, "ae");
	if (!f)
		goto fail;
	fprintf(f, "\n# faultline backup (pg_basebackup): recovery from the WAL archive\n"
		   "restore_command = 'cp %s/archive/%%f \"%%p\"'\n"
		   "recovery_target_time = '%s'\n"
		   "recovery_target_action = 'promote'\n"
		   "recovery_target_timeline = 'latest'\n"
		   "# answer only once promoted, not read-only while the replay runs\n"
		   "hot_standby = off\n",
		c->repo, t->pitr ? t->text : "");
	if (fclose(f))
		goto fail;
	snprintf(path, sizeof(path), "%s/recovery.signal", c->store->data_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	close(fd);
	return fl_bk_chown_store(c, path);
fail:
	err = -errno;
	fl_errf(c->errbuf, c->errlen, "pg_basebackup: %s: %s", path, strerror(-err));
	return err;
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	struct pgbb *p = c->priv;
	char from[PATH_MAX + 32], to[PATH_MAX + 8];
	const struct base *b = NULL;
	uint64_t t0, t1;
	int err;

	if (!p) {
		fl_errf(c->errbuf, c->errlen, "pg_basebackup: not configured");
		return -EINVAL;
	}
	/* A point in time needs a base that ended before it: recovery cannot stop earlier. */
	for (size_t i = 0; i < p->n_bases; i++)
		if (!t->pitr || p->bases[i].end_wall_ns <= fl_bk_pg_target_ns(t))
			b = &p->bases[i];
	if (!b) {
		fl_errf(c->errbuf, c->errlen, "pg_basebackup: no base backup %s",
			t->pitr ? "ended before the target" : "taken");
		return -ENOENT;
	}
	snprintf(from, sizeof(from), "%s/base/%u/.", c->repo, b->n);
	snprintf(to, sizeof(to), "%s/", c->store->data_dir);
	t0 = fl_now_ns();
	err = fl_bk_cmd_as_store(c, FL_BK_TOOL_MS, NULL, 0,
				 (const char *const[]){ "cp", "-a", from, to, NULL });
	if (err)
		return err;
	t1 = fl_now_ns();
	err = write_recovery(c, t);
	if (err)
		return err;
	ret->fetch_ns = t1 - t0;
	ret->restore_ns = fl_now_ns() - t1;
	return 0;
}

static void release(struct fl_bk_ctx *c)
{
	struct pgbb *p = c->priv;

	if (p)
		free(p->bases);
	free(p);
	c->priv = NULL;
}

const struct fl_backup_strategy fl_bk_pg_basebackup = {
	.name      = "pg_basebackup",
	.tool      = "pg_basebackup",
	.kinds     = K(FULL),
	.pitr      = true,
	.stores    = "postgres",
	.packages  = "postgresql",
	.available = available,
	.configure = configure,
	.backup    = backup,
	.settle    = settle,
	.restore   = restore,
	.release   = release,
};
