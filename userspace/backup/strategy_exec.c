// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exec strategy: the user's own backup, restore and verify commands,
 * each run with sh -c as root in the repository directory, told what to
 * do through the environment (FAULTLINE_BACKUP_KIND, _REPO, _N, the
 * store's FAULTLINE_DATA_DIR, _STORE_*, and for a restore
 * FAULTLINE_RESTORE and the target time). Any kind, any store; a point
 * in time only if the restore command honours FAULTLINE_TARGET_TIME:
 * faultline cannot tell, it measures what came back.
 *
 * A backup command may print `bytes=N` and `label=X` lines (the last of
 * each in its output's tail counts); without bytes=, a backup's size is
 * what the repository grew by.
 */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"
#include "core/clock.h"
#include "core/errbuf.h"
#include "strategy.h"

#define K(k) (1u << FL_BACKUP_##k)

#define ENV_N   20
#define ENV_LEN 4200
#define OUT_LEN 8192

struct exec_state {
	unsigned asked;  /* backups asked for: the next one's FAULTLINE_BACKUP_N - 1 */
	unsigned newest; /* the N of the newest that succeeded; 0: none */
};

struct env {
	char buf[ENV_N][ENV_LEN];
	const char *v[ENV_N + 1];
	size_t n;
};

static struct exec_state *state(struct fl_bk_ctx *c)
{
	if (!c->priv)
		c->priv = calloc(1, sizeof(struct exec_state));
	return c->priv;
}

static void env_add(struct env *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void env_add(struct env *e, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->n >= ENV_N)
		return;
	n = snprintf(e->buf[e->n], ENV_LEN, "%s=", key);
	va_start(ap, fmt);
	vsnprintf(e->buf[e->n] + n, ENV_LEN - (size_t)n, fmt, ap);
	va_end(ap);
	e->v[e->n] = e->buf[e->n];
	e->v[++e->n] = NULL;
}

/* What every command is told: the repository and the store. */
static struct env *env_new(struct fl_bk_ctx *c)
{
	const struct fl_bk_store *s = c->store;
	struct env *e = calloc(1, sizeof(*e));
	char pwbuf[1024];
	struct passwd pw, *found = NULL;

	if (!e)
		return NULL;
	env_add(e, "FAULTLINE_BACKUP_REPO", "%s", c->repo);
	if (s->data_dir)
		env_add(e, "FAULTLINE_DATA_DIR", "%s", s->data_dir);
	if (s->store_path)
		env_add(e, "FAULTLINE_STORE_PATH", "%s", s->store_path);
	env_add(e, "FAULTLINE_STORE_KIND", "%s", s->kind);
	/* No user of its own: the service runs as the caller. */
	if (s->user)
		env_add(e, "FAULTLINE_STORE_USER", "%s", s->user);
	else if (!getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &found) && found)
		env_add(e, "FAULTLINE_STORE_USER", "%s", pw.pw_name);
	if (s->port)
		env_add(e, "FAULTLINE_STORE_PORT", "%d", s->port);
	if (s->spec)
		env_add(e, "FAULTLINE_STORE_SPEC", "%s", s->spec);
	if (s->socket_dir)
		env_add(e, "FAULTLINE_STORE_SOCKET_DIR", "%s", s->socket_dir);
	if (s->bindir)
		env_add(e, "FAULTLINE_STORE_BINDIR", "%s", s->bindir);
	return e;
}

/*
 * sh -c cmd in the repository. fl_bk_cmd words a failure after sh ("sh
 * exited 2: LAST LINE"): name the command the user wrote instead.
 */
static int run(struct fl_bk_ctx *c, const char *what, const char *cmd, const struct env *e,
	       char *out, size_t outlen)
{
	const char *const argv[] = { "sh", "-c", cmd, NULL };
	char why[512];
	int err;

	err = fl_bk_cmd(c, NULL, c->repo, e->v, FL_BK_TOOL_MS, out, outlen, argv);
	if (err && c->errlen && !strncmp(c->errbuf, "sh ", 3)) {
		snprintf(why, sizeof(why), "%s", c->errbuf + 3);
		fl_errf(c->errbuf, c->errlen, "the %s command %s", what, why);
	}
	return err;
}

/* The last `bytes=N` and `label=X` lines of out. */
static void parse_output(const char *out, bool *ret_has_bytes, struct fl_bk_taken *ret)
{
	const char *line = out;

	while (line && *line) {
		size_t n = strcspn(line, "\n");

		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		if (n > 6 && !strncmp(line, "bytes=", 6)) {
			char num[32], *end;
			unsigned long long v;

			snprintf(num, sizeof(num), "%.*s", (int)(n - 6), line + 6);
			errno = 0;
			v = strtoull(num, &end, 10);
			if (!errno && !*end && num[0] != '-') {
				ret->bytes = v;
				*ret_has_bytes = true;
			}
		} else if (n > 6 && !strncmp(line, "label=", 6)) {
			snprintf(ret->label, sizeof(ret->label), "%.*s", (int)(n - 6), line + 6);
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
}

/* The commands are the user's: the runner checks they were given, the hooks that they are. */
static int available(struct fl_bk_ctx *c)
{
	char path[4096];

	if (fl_child_which("sh", path, sizeof(path))) {
		fl_errf(c->errbuf, c->errlen, "strategy exec: sh is not on $PATH");
		return -ENOENT;
	}
	return 0;
}

static int need(struct fl_bk_ctx *c, const char *what, const char *cmd)
{
	if (cmd && *cmd)
		return 0;
	fl_errf(c->errbuf, c->errlen, "strategy exec: no %s command", what);
	return -EINVAL;
}

static int backup(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret)
{
	struct exec_state *st = state(c);
	struct fl_bk_taken taken = { 0 };
	bool has_bytes = false;
	uint64_t before;
	char *out = NULL;
	struct env *e = NULL;
	unsigned n;
	int err;

	if (!st)
		return -ENOMEM;
	err = need(c, "backup", c->backup_cmd);
	if (err)
		return err;
	n = ++st->asked;
	e = env_new(c);
	out = malloc(OUT_LEN);
	if (!e || !out) {
		err = -ENOMEM;
		goto out;
	}
	env_add(e, "FAULTLINE_BACKUP_KIND", "%s", fl_backup_kind_name(kind));
	env_add(e, "FAULTLINE_BACKUP_N", "%u", n);
	before = fl_bk_du(c->repo);
	err = run(c, "backup", c->backup_cmd, e, out, OUT_LEN);
	if (err)
		goto out;
	parse_output(out, &has_bytes, &taken);
	if (!has_bytes) {
		uint64_t after = fl_bk_du(c->repo);

		taken.bytes = after > before ? after - before : 0;
	}
	if (!taken.label[0])
		snprintf(taken.label, sizeof(taken.label), "%u-%s", n, fl_backup_kind_name(kind));
	st->newest = n;
	*ret = taken;
out:
	free(out);
	free(e);
	return err;
}

static int verify(struct fl_bk_ctx *c, enum fl_bk_verify *ret)
{
	struct exec_state *st = state(c);
	struct env *e;
	int err;

	if (!c->verify_cmd || !*c->verify_cmd) {
		*ret = FL_BK_VERIFY_NONE;
		return 0;
	}
	if (!st || !(e = env_new(c)))
		return -ENOMEM;
	env_add(e, "FAULTLINE_BACKUP_N", "%u", st->newest);
	err = run(c, "verify", c->verify_cmd, e, NULL, 0);
	free(e);
	/* It ran and said no: damage found, the reason is its last line. */
	if (err == -EIO) {
		*ret = FL_BK_VERIFY_FAILED;
		return 0;
	}
	if (!err)
		*ret = FL_BK_VERIFY_OK;
	return err;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

static int restore(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret)
{
	const struct fl_bk_store *s = c->store;
	struct exec_state *st = state(c);
	uint64_t t0 = fl_now_ns(), took;
	struct env *e;
	int err;

	err = need(c, "restore", c->restore_cmd);
	if (err)
		return err;
	if (!st || !(e = env_new(c)))
		return -ENOMEM;
	env_add(e, "FAULTLINE_BACKUP_N", "%u", st->newest);
	env_add(e, "FAULTLINE_RESTORE", "%s", t->pitr ? "pitr" : "latest");
	if (t->pitr) {
		env_add(e, "FAULTLINE_TARGET_TIME", "%s", t->text);
		env_add(e, "FAULTLINE_TARGET_EPOCH", "%lld.%06ld", (long long)t->wall.tv_sec,
			t->wall.tv_nsec / 1000);
	}
	err = run(c, "restore", c->restore_cmd, e, NULL, 0);
	free(e);
	if (err)
		return err;
	took = fl_now_ns() - t0;
	/* The command ran as root: what it wrote must be the service's. */
	if (s->data_dir)
		err = fl_bk_chown_store(c, s->data_dir);
	if (!err && s->store_path && (!s->data_dir || !under(s->store_path, s->data_dir)) &&
	    !access(s->store_path, F_OK))
		err = fl_bk_chown_store(c, s->store_path);
	if (err)
		return err;
	ret->fetch_ns = 0;
	ret->restore_ns = took;
	return 0;
}

static void release(struct fl_bk_ctx *c)
{
	free(c->priv);
	c->priv = NULL;
}

const struct fl_backup_strategy fl_bk_exec = {
	.name      = "exec",
	.tool      = "your commands",
	.kinds     = K(FULL) | K(DIFF) | K(INCR) | K(SNAPSHOT),
	.pitr      = true,
	.stores    = "postgres redis sqlite file",
	.packages  = "",
	.available = available,
	.backup    = backup,
	.verify    = verify,
	.restore   = restore,
	.release   = release,
};
