// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * postgres:local?KEY=VALUE&...: a throwaway PostgreSQL cluster from the
 * newest installed server (Debian's /usr/lib/postgresql/N), initdb'ed as
 * user postgres with trust auth, listening on 127.0.0.1 and its socket in
 * our own directory. Each setting becomes a line of postgresql.conf, after
 * ours, so it wins. Its graceful stop is SIGINT (fast shutdown).
 */
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>

#include "local.h"

#define PG_BIN_GLOB "/usr/lib/postgresql/*/bin/postgres"

/* The newest installed PostgreSQL's bin directory. */
static int pg_bindir(char *buf, size_t len)
{
	glob_t g;
	int err = -ENOENT;

	if (glob(PG_BIN_GLOB, 0, NULL, &g) == 0 && g.gl_pathc) {
		const char *best = g.gl_pathv[0];

		/* By version number: "9.6" < "15" < "16". */
		for (size_t i = 1; i < g.gl_pathc; i++)
			if (strverscmp(g.gl_pathv[i], best) > 0)
				best = g.gl_pathv[i];
		snprintf(buf, len, "%.*s", (int)(strrchr(best, '/') - best), best);
		err = 0;
	}
	globfree(&g);
	return err;
}

static int pg_available(char *errbuf, size_t errlen)
{
	char bin[256];
	int err = pg_bindir(bin, sizeof(bin));

	if (err)
		fl_wl_local_err(errbuf, errlen, err,
				"postgres:local: no %s (Debian package postgresql)", PG_BIN_GLOB);
	return err;
}

static int pg_check(const char *key, const char *val, char *errbuf, size_t errlen)
{
	return fl_wl_local_check_plain("postgres:local", key, val, errbuf, errlen);
}

static int add_setting(void *ctx, const char *key, const char *val)
{
	FILE *f = ctx;

	return fprintf(f, "%s = '%s'\n", key, val) < 0 ? -EIO : 0;
}

static int write_conf(struct fl_wl_local *l)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/postgresql.conf", l->data);
	f = fopen(path, "a");
	if (!f)
		return -errno;
	fprintf(f, "\n# faultline: a managed service (postgres:local)\n"
		   "listen_addresses = '127.0.0.1'\n"
		   "port = %d\n"
		   "unix_socket_directories = '%s/sock'\n"
		   "logging_collector = off\n"
		   "# the spec's settings\n", l->pub.port, l->root);
	err = fl_wl_local_each(l, add_setting, f);
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static int pg_create(struct fl_wl_local *l, char *errbuf, size_t errlen)
{
	char bin[256], sock[PATH_MAX + 8];
	int err, status;

	err = pg_available(errbuf, errlen);
	if (!err)
		err = pg_bindir(bin, sizeof(bin));
	if (err)
		return err;
	snprintf(sock, sizeof(sock), "%s/sock", l->root);
	err = fl_wl_local_mkdir(l, sock, 0755);
	if (err)
		return err;
	/* A throwaway cluster: initdb's own fsyncs buy nothing here. */
	status = fl_wl_local_sh(l, "%s%s/initdb -D %s -U postgres --auth=trust -E UTF8 "
				"--no-sync --no-instructions", l->as_user, bin, l->data);
	if (status)
		return fl_wl_local_err(errbuf, errlen, -EIO,
				       "postgres:local: initdb failed (status %d): %s", status,
				       fl_wl_local_setup_log(l));
	err = write_conf(l);
	if (err)
		return fl_wl_local_err(errbuf, errlen, err, "postgres:local: %s/postgresql.conf: %s",
				       l->data, strerror(-err));
	snprintf(l->spec, sizeof(l->spec), "postgres://postgres@127.0.0.1:%d/postgres",
		 l->pub.port);
	snprintf(l->socket_dir, sizeof(l->socket_dir), "%s/sock", l->root);
	snprintf(l->bindir, sizeof(l->bindir), "%s", bin);
	/*
	 * Backends call setsid(): after a kill, one may still be attached to
	 * the old shared memory for a moment, and a postmaster started then
	 * refuses to run ("pre-existing shared memory block is still in use").
	 * So the command waits (at most 5 s) until nothing is attached to the
	 * segment named in postmaster.pid (line 7: key, id), then execs the
	 * postmaster, which stays the process faultline signals.
	 */
	snprintf(l->start_cmd, sizeof(l->start_cmd),
		 "i=0; while [ $i -lt 100 ] && "
		 "id=$(sed -n 7p %s/postmaster.pid 2>/dev/null | awk '{ print $2 }') && "
		 "[ -n \"$id\" ] && awk -v id=\"$id\" "
		 "'$2 == id && $7 > 0 { f = 1 } END { exit !f }' /proc/sysvipc/shm; "
		 "do i=$((i + 1)); sleep 0.05; done; "
		 "exec %s%s/postgres -D %s",
		 l->data, l->as_user, bin, l->data);
	return 0;
}

/* A postmaster killed with SIGKILL leaves its small SysV interlock segment behind. */
static void pg_discard(struct fl_wl_local *l)
{
	char path[PATH_MAX + 32], line[256];
	struct shmid_ds ds;
	long key, id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/postmaster.pid", l->data);
	f = fopen(path, "re");
	if (!f)
		return;
	for (int i = 0; i < 7 && fgets(line, sizeof(line), f); i++)
		if (i == 6 && sscanf(line, "%ld %ld", &key, &id) != 2)
			id = -1;
	fclose(f);
	if (id >= 0 && !shmctl((int)id, IPC_STAT, &ds) && ds.shm_nattch == 0)
		shmctl((int)id, IPC_RMID, NULL);
}

const struct fl_wl_local_kind fl_wl_local_postgres = {
	.name        = "postgres",
	.user        = "postgres",
	.stop_signal = SIGINT,
	.available   = pg_available,
	.check       = pg_check,
	.create      = pg_create,
	.discard     = pg_discard,
};
