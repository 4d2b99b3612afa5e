// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pgbackrest strategy: pgBackRest (2.45) with its repository, logs
 * and locks inside the strategy's directory, WAL archived by
 * archive-push, full/diff/incr backups, `pgbackrest verify`, and a
 * restore to the end of the archive or to a time.
 *
 * The repository is posix, lz4 at level 1, one process: a small cluster
 * on a 2-core host shared with the load. Retention is set high so that
 * no expiry runs within a trial (and pgBackRest does not warn that it
 * is unset on every backup).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/child.h"
#include "core/clock.h"
#include "core/errbuf.h"
#include "strategy.h"
#include "strategy_pg.h"

#define K(k) (1u << FL_BACKUP_##k)

#define STANZA   "faultline"
#define INFO_MAX (4u << 20)
/*
 * A server in archive recovery would otherwise accept read-only
 * connections: it would look healthy, and be read back, before the
 * replay ends. Without hot standby it answers only once promoted.
 */
#define NO_HOT_STANDBY "--recovery-option=hot_standby=off"

struct pgbr_set {
	char label[128];
	uint64_t end_wall_ns;    /* the backup command returned: its stop lies before */
};

struct pgbr {
	char bin[PATH_MAX];
	char conf_opt[PATH_MAX + 64]; /* --config=REPO/pgbackrest.conf */
	struct pgbr_set *sets;
	size_t n_sets;
};

static int available(struct fl_bk_ctx *c)
{
	char path[PATH_MAX];

	if (fl_child_which("pgbackrest", path, sizeof(path))) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest: not installed (Debian package pgbackrest)");
		return -ENOENT;
	}
	return 0;
}

static int write_conf(struct fl_bk_ctx *c, const char *path)
{
	const struct fl_bk_store *s = c->store;
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f) {
		err = -errno;
		fl_errf(c->errbuf, c->errlen, "pgbackrest: %s: %s", path, strerror(-err));
		return err;
	}
	fprintf(f, "# faultline backup: the pgbackrest strategy's configuration\n"
		   "[global]\n"
		   "repo1-path=%s/repo\n"
		   "repo1-retention-full=9999\n"
		   "log-path=%s/log\n"
		   "lock-path=%s/lock\n"
		   "log-level-console=warn\n"
		   "log-level-file=info\n"
		   "start-fast=y\n"
		   "compress-type=lz4\n"
		   "compress-level=1\n"
		   "process-max=1\n"
		   "archive-async=n\n"
		   "\n[" STANZA "]\n"
		   "pg1-path=%s\n"
		   "pg1-port=%d\n"
		   "pg1-socket-path=%s\n"
		   "pg1-user=postgres\n",
		c->repo, c->repo, c->repo, s->data_dir, s->port, s->socket_dir);
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		fl_errf(c->errbuf, c->errlen, "pgbackrest: %s: %s", path, strerror(-err));
	return err;
}

static int configure(struct fl_bk_ctx *c)
{
	const char *sub[] = { "repo", "log", "lock" };
	char path[PATH_MAX + 32], cmd[3 * PATH_MAX];
	struct pgbr *p;
	int err;

	if (!c->store->socket_dir || !c->store->port) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest: the store has no socket directory or port");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (fl_child_which("pgbackrest", p->bin, sizeof(p->bin))) {
		err = available(c);
		goto fail;
	}
	err = fl_bk_pg_open_repo(c);
	for (size_t i = 0; !err && i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->repo, sub[i]);
		err = fl_bk_pg_mkdir(c, path);
	}
	if (err)
		goto fail;
	snprintf(path, sizeof(path), "%s/pgbackrest.conf", c->repo);
	err = write_conf(c, path);
	if (err)
		goto fail;
	snprintf(p->conf_opt, sizeof(p->conf_opt), "--config=%s", path);
	snprintf(cmd, sizeof(cmd), "%s %s --stanza=" STANZA " archive-push %%p", p->bin,
		 p->conf_opt);
	err = fl_bk_pg_archive_conf(c, "pgbackrest", cmd);
	if (err)
		goto fail;
	c->priv = p;
	return 0;
fail:
	free(p);
	return err;
}

/* pgbackrest CONFIG --stanza=faultline ARGS... as the store's user. */
static int pgbr(struct fl_bk_ctx *c, char *out, size_t outlen, const char *a1, const char *a2,
		const char *a3, const char *a4, const char *a5, const char *a6)
{
	struct pgbr *p = c->priv;
	const char *argv[10] = { p->bin, p->conf_opt, "--stanza=" STANZA };
	const char *extra[] = { a1, a2, a3, a4, a5, a6 };
	size_t n = 3;

	for (size_t i = 0; i < 6 && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return fl_bk_cmd_as_store(c, FL_BK_TOOL_MS, out, outlen, argv);
}

static int prepare(struct fl_bk_ctx *c)
{
	int err;

	if (!c->priv) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest: not configured");
		return -EINVAL;
	}
	err = pgbr(c, NULL, 0, "stanza-create", NULL, NULL, NULL, NULL, NULL);
	/* check: a WAL switch archived end to end, so a broken archive_command shows now. */
	if (!err)
		err = pgbr(c, NULL, 0, "check", NULL, NULL, NULL, NULL, NULL);
	return err;
}

/* check switches the WAL and waits until pgBackRest has archived it. */
static int settle(struct fl_bk_ctx *c)
{
	return pgbr(c, NULL, 0, "check", NULL, NULL, NULL, NULL, NULL);
}

/* The newest backup of `pgbackrest info --output=json`: its label and repository delta. */
static int newest_backup(struct fl_bk_ctx *c, const char *type, struct fl_bk_taken *ret)
{
	char *out = malloc(INFO_MAX);
	json_t *root = NULL, *backups, *b;
	json_error_t jerr;
	const char *label, *got;
	json_int_t delta;
	int err;

	if (!out)
		return -ENOMEM;
	err = pgbr(c, out, INFO_MAX, "info", "--output=json", NULL, NULL, NULL, NULL);
	if (err)
		goto out;
	err = -EPROTO;
	if (strlen(out) >= INFO_MAX - 1) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest info: more than %u bytes of JSON", INFO_MAX);
		goto out;
	}
	root = json_loads(out, 0, &jerr);
	backups = json_object_get(json_array_get(root, 0), "backup");
	b = json_array_get(backups, json_array_size(backups) - 1);
	label = json_string_value(json_object_get(b, "label"));
	got = json_string_value(json_object_get(b, "type"));
	if (json_unpack(b, "{s:{s:{s:I}}}", "info", "repository", "delta", &delta) || !label ||
	    !got) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest info: no backup with a label and a repository delta%s%s",
			root ? "" : ": ", root ? "" : jerr.text);
		goto out;
	}
	/* A diff or an incr without a full before it is taken as a full (pgBackRest warns). */
	if (strcmp(got, type) && strcmp(got, "full")) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest info: the newest backup %s is a %s, not a %s",
			label, got, type);
		goto out;
	}
	ret->bytes = delta > 0 ? (uint64_t)delta : 0;
	snprintf(ret->label, sizeof(ret->label), "%s", label);
	err = 0;
out:
	json_decref(root);
	free(out);
	return err;
}

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	struct pgbr *p = c->priv;
	struct fl_bk_taken taken = { 0 };
	struct pgbr_set *sets;
	const char *type;
	char opt[32];
	int err;

	switch (kind) {
	case FL_BACKUP_FULL: type = "full"; break;
	case FL_BACKUP_DIFF: type = "diff"; break;
	case FL_BACKUP_INCR: type = "incr"; break;
	default:
		fl_errf(c->errbuf, c->errlen, "pgbackrest: takes no %s backup",
			fl_backup_kind_name(kind) ?: "such");
		return -EINVAL;
	}
	if (!p) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest: not configured");
		return -EINVAL;
	}
	snprintf(opt, sizeof(opt), "--type=%s", type);
	err = pgbr(c, NULL, 0, "backup", opt, NULL, NULL, NULL, NULL);
	if (err)
		return err;
	sets = realloc(p->sets, (p->n_sets + 1) * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	p->sets = sets;
	sets[p->n_sets].end_wall_ns = fl_bk_pg_wall_ns();
	err = newest_backup(c, type, &taken);
	if (err)
		return err;
	snprintf(sets[p->n_sets].label, sizeof(sets[0].label), "%s", taken.label);
	p->n_sets++;
	*ret = taken;
	return 0;
}

/* The part of the text report that says why: "backup: LABEL, status: invalid, ..." and its counts. */
static void verify_reason(const char *out, char *buf, size_t len)
{
	const char *bad = strstr(out, "status: invalid");
	const char *start, *end;

	if (!bad) {
		snprintf(buf, len, "pgbackrest verify: status: error");
		return;
	}
	for (start = bad; start > out && start[-1] != '\n'; start--)
		;
	while (*start == ' ')
		start++;
	end = strchr(bad, '\n');
	if (end && end[1])
		end = strchr(end + 1, '\n');
	/* Its two lines as one: "...; missing: 0, checksum invalid: 1, ...". */
	snprintf(buf, len, "pgbackrest verify: ");
	for (const char *q = start, *stop = end ? end : start + strlen(start); q < stop; q++) {
		size_t n = strlen(buf);

		if (n + 3 >= len)
			break;
		if (*q == '\n') {
			strcpy(buf + n, "; ");
			while (q + 1 < stop && q[1] == ' ')
				q++;
		} else {
			buf[n] = *q;
			buf[n + 1] = '\0';
		}
	}
}

static int verify(struct fl_bk_ctx *c, enum fl_bk_verify *ret)
{
	char *out;
	int err;

	if (!c->priv) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest: not configured");
		return -EINVAL;
	}
	out = malloc(INFO_MAX);
	if (!out)
		return -ENOMEM;
	/* 2.45 exits 0 whatever it finds: the verdict is in the text report. */
	err = pgbr(c, out, INFO_MAX, "verify", "--output=text", "--verbose", NULL, NULL, NULL);
	if (!err) {
		if (strstr(out, "\nstatus: ok")) {
			*ret = FL_BK_VERIFY_OK;
		} else if (strstr(out, "\nstatus: error")) {
			verify_reason(out, c->errbuf, c->errlen);
			*ret = FL_BK_VERIFY_FAILED;
		} else {
			fl_errf(c->errbuf, c->errlen, "pgbackrest verify: no status in its report");
			err = -EPROTO;
		}
	}
	free(out);
	return err;
}

/*
 * The newest backup whose command returned at or before the target. Its
 * own choice (2.45) compares the backup's stop time, kept in whole
 * seconds, with the target truncated to seconds, and skips a backup that
 * stopped in the target's second; our own end times are exact.
 */
static const char *set_for(const struct pgbr *p, uint64_t target_ns)
{
	const char *best = NULL;

	for (size_t i = 0; i < p->n_sets; i++)
		if (p->sets[i].end_wall_ns <= target_ns)
			best = p->sets[i].label;
	return best;
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	struct pgbr *p = c->priv;
	char target[96], set[160];
	const char *label;
	uint64_t t0;
	int err;

	if (!p) {
		fl_errf(c->errbuf, c->errlen, "pgbackrest: not configured");
		return -EINVAL;
	}
	t0 = fl_now_ns();
	if (!t->pitr) {
		/* The newest backup, then the whole archive: recovery ends where the WAL does. */
		err = pgbr(c, NULL, 0, "restore", NO_HOT_STANDBY, NULL, NULL, NULL, NULL);
	} else {
		snprintf(target, sizeof(target), "--target=%s", t->text);
		label = set_for(p, fl_bk_pg_target_ns(t));
		if (label)
			snprintf(set, sizeof(set), "--set=%s", label);
		err = pgbr(c, NULL, 0, "restore", NO_HOT_STANDBY, "--type=time", target,
			   "--target-action=promote", label ? set : NULL);
	}
	if (err)
		return err;
	ret->fetch_ns = 0;
	ret->restore_ns = fl_now_ns() - t0;
	return 0;
}

static void release(struct fl_bk_ctx *c)
{
	struct pgbr *p = c->priv;

	if (p)
		free(p->sets);
	free(p);
	c->priv = NULL;
}

const struct fl_backup_strategy fl_bk_pgbackrest = {
	.name      = "pgbackrest",
	.tool      = "pgBackRest",
	.kinds     = K(FULL) | K(DIFF) | K(INCR),
	.pitr      = true,
	.stores    = "postgres",
	.packages  = "pgbackrest",
	.available = available,
	.configure = configure,
	.prepare   = prepare,
	.backup    = backup,
	.settle    = settle,
	.verify    = verify,
	.restore   = restore,
	.release   = release,
};
