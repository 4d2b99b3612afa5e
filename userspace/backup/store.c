// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The store a backup run protects: one service, started like rpo starts
 * its own (a process group and cgroup of its own, recorded in the state
 * directory so a killed run leaves nothing), on faultfs when a fault or a
 * strategy needs it, and wiped down to an empty data directory before a
 * restore.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultline/rpo_load.h>
#include <faultline/state.h>
#include <faultline/workload.h>
#include "core/errbuf.h"
#include "rpo/rpo_faults.h"
#include "workload/run_as.h"
#include "workload/service.h"
#include "store.h"

#define STOP_GONE_NS   (10ull * 1000000000ull)
#define KILL_GONE_NS   (10ull * 1000000000ull)

struct fl_bk_service {
	struct fl_bk_store pub;
	struct fl_wl_managed *m;     /* postgres:local, redis:local; NULL for a built-in store */
	struct fl_workload *w;
	struct fl_wl_service svc;
	struct fl_state *st;
	struct fl_rpo_faultfs *ff;
	bool want_faultfs;
	char data_dir[PATH_MAX];
	char store_path[PATH_MAX];
	char spec[PATH_MAX + 256];
	char log[PATH_MAX];
};

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	bool empty = true;

	if (!d)
		return errno == ENOENT;
	for (struct dirent *e; empty && (e = readdir(d));)
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* "file:rel?q" -> "file:RUN/rel?q"; the store's directory made. */
static int builtin_spec(struct fl_bk_service *s, const char *spec, const char *run_dir,
			char *errbuf, size_t errlen)
{
	const char *colon = strchr(spec, ':'), *path = colon + 1, *q = strchr(path, '?');
	size_t plen = q ? (size_t)(q - path) : strlen(path);
	char dir[PATH_MAX];

	snprintf(s->spec, sizeof(s->spec), "%.*s:%s%s%.*s%s", (int)(colon - spec), spec,
		 path[0] == '/' ? "" : run_dir, path[0] == '/' ? "" : "/", (int)plen, path,
		 q ? q : "");
	snprintf(dir, sizeof(dir), "%s%s%.*s", path[0] == '/' ? "" : run_dir,
		 path[0] == '/' ? "" : "/", (int)plen, path);
	snprintf(s->data_dir, sizeof(s->data_dir), "%s", dirname(dir));
	if (mkdir(s->data_dir, 0755) < 0 && errno != EEXIST) {
		fl_errf(errbuf, errlen, "%s: %s", s->data_dir, strerror(errno));
		return -errno;
	}
	/* A restore wipes the store's directory: it must hold nothing else. */
	if (!dir_empty(s->data_dir)) {
		fl_errf(errbuf, errlen, "%s: the store's directory must be empty or absent "
			"(a restore empties it)", s->data_dir);
		return -EEXIST;
	}
	return 0;
}

int fl_bk_service_create(const char *spec, const char *run_dir, bool faultfs,
			 struct fl_bk_service **ret, char *errbuf, size_t errlen)
{
	struct fl_bk_service *s;
	struct fl_workload *probe = NULL;
	char data[PATH_MAX];
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->want_faultfs = faultfs;
	snprintf(s->log, sizeof(s->log), "%s/service.log", run_dir);
	err = fl_workload_open(spec, &probe, errbuf, errlen);
	if (err)
		goto fail;
	if (fl_workload_managed(probe)) {
		snprintf(data, sizeof(data), "%s/data", run_dir);
		err = fl_wl_managed_create(spec, data, &s->m, errbuf, errlen);
		if (err)
			goto fail;
		snprintf(s->spec, sizeof(s->spec), "%s", s->m->spec);
		snprintf(s->data_dir, sizeof(s->data_dir), "%s", s->m->data_dir);
		s->pub.kind = s->m->kind;
		s->pub.user = s->m->user;
		s->pub.port = s->m->port;
		s->pub.socket_dir = s->m->socket_dir;
		s->pub.settings = s->m->settings;
		s->pub.bindir = s->m->bindir;
	} else if (fl_workload_builtin(probe)) {
		err = builtin_spec(s, spec, run_dir, errbuf, errlen);
		if (err)
			goto fail;
		s->pub.kind = !strcmp(fl_workload_scheme(probe), "sqlite") ? "sqlite" : "file";
		s->pub.settings = "";
	} else {
		fl_errf(errbuf, errlen, "%s: a backup run starts its own store: give postgres:local, "
			"redis:local, file:PATH or sqlite:PATH", fl_workload_describe(probe));
		err = -EINVAL;
		goto fail;
	}
	err = fl_workload_open(s->spec, &s->w, errbuf, errlen);
	if (err)
		goto fail;
	if (fl_workload_store_path(s->w))
		snprintf(s->store_path, sizeof(s->store_path), "%s", fl_workload_store_path(s->w));
	s->pub.data_dir = s->data_dir;
	s->pub.store_path = s->store_path[0] ? s->store_path : NULL;
	s->pub.spec = s->spec;
	/* Mounts and the service's cgroup are recorded: nothing outlives a killed run. */
	err = fl_state_open(NULL, &s->st);
	if (!err)
		err = fl_state_watchdog_start(s->st);
	if (err) {
		fl_errf(errbuf, errlen, "the state directory: %s", strerror(-err));
		goto fail;
	}
	fl_workload_close(probe);
	*ret = s;
	return 0;
fail:
	fl_workload_close(probe);
	fl_bk_service_free(s);
	return err;
}

const struct fl_bk_store *fl_bk_service_store(const struct fl_bk_service *s)
{
	return &s->pub;
}

struct fl_workload *fl_bk_service_workload(struct fl_bk_service *s)
{
	return s->w;
}

const char *fl_bk_service_faultfs(const struct fl_bk_service *s)
{
	return s->ff ? fl_rpo_faultfs_dir(s->ff) : NULL;
}

const char *fl_bk_service_data_glob(const struct fl_bk_service *s)
{
	if (!strcmp(s->pub.kind, "postgres"))
		return "base/*";
	if (!strcmp(s->pub.kind, "redis"))
		return "appendonlydir/*";
	return strrchr(s->store_path, '/') + 1;   /* a glob without '/' matches the name */
}

struct fl_rpo_faultfs *fl_bk_service_faultfs_handle(struct fl_bk_service *s)
{
	return s->ff;
}

int fl_bk_service_start(struct fl_bk_service *s, uint64_t timeout_ns, volatile int *interrupted,
			char *errbuf, size_t errlen)
{
	char why[256] = "";
	int err;

	if (s->want_faultfs && !s->ff) {
		/* A server running as its own user must be let into the mount. */
		err = fl_rpo_faultfs_mount(s->data_dir, s->pub.user ? "allow_other" : NULL, s->st,
					   &s->ff, errbuf, errlen);
		if (err)
			return err;
	}
	if (s->svc.builtin && fl_wl_service_gone(&s->svc))
		fl_workload_stopped(s->w);
	fl_wl_service_release(&s->svc);
	/* A managed server's command drops to its user itself. */
	err = fl_wl_service_start(&s->svc, s->st, s->w, s->m ? s->m->start_cmd : NULL, s->log,
				  NULL, why, sizeof(why));
	if (err) {
		fl_errf(errbuf, errlen, "the service did not start: %s", why[0] ? why : strerror(-err));
		return err;
	}
	err = fl_wl_service_wait_healthy_why(&s->svc, s->w, NULL, FL_WL_PING_TIMEOUT_MS, timeout_ns,
					      interrupted, why, sizeof(why));
	if (err == -ECHILD)
		fl_errf(errbuf, errlen, "the service exited before it was healthy; see %s", s->log);
	else if (err == -ETIMEDOUT)
		fl_errf(errbuf, errlen, "the service was not healthy within %.0f s%s%s (see %s)",
			timeout_ns / 1e9, why[0] ? ": " : "", why, s->log);
	else if (err)
		fl_errf(errbuf, errlen, "interrupted");
	return err;
}

/* Everything the service ran is gone, and what a killed server leaves behind. */
static int reap(struct fl_bk_service *s)
{
	int err = 0;

	if (s->svc.pid && fl_wl_service_wait_gone(&s->svc, KILL_GONE_NS))
		err = -EBUSY;
	if (s->svc.builtin)
		fl_workload_stopped(s->w);
	fl_wl_service_release(&s->svc);
	if (s->m && fl_wl_managed_kill(s->m))
		err = -EBUSY;
	return err;
}

int fl_bk_service_kill(struct fl_bk_service *s)
{
	if (s->svc.pid)
		fl_wl_service_signal(&s->svc, SIGKILL);
	return reap(s);
}

int fl_bk_service_stop(struct fl_bk_service *s, uint64_t timeout_ns)
{
	if (s->svc.pid) {
		fl_wl_service_signal(&s->svc, s->m ? s->m->stop_signal : SIGTERM);
		if (fl_wl_service_wait_gone(&s->svc, timeout_ns))
			fl_wl_service_signal(&s->svc, SIGKILL);
	}
	return reap(s);
}

int fl_bk_service_wipe(struct fl_bk_service *s, char *errbuf, size_t errlen)
{
	struct fl_wl_user u;
	int err;

	if (s->ff) {
		err = fl_rpo_faultfs_unmount(s->ff);
		s->ff = NULL;
		if (err) {
			fl_errf(errbuf, errlen, "unmounting faultfs from %s: %s", s->data_dir,
				strerror(-err));
			return err;
		}
	}
	err = fl_bk_remove_tree(s->data_dir, true);
	if (err) {
		fl_errf(errbuf, errlen, "emptying %s: %s", s->data_dir, strerror(-err));
		return err;
	}
	if (mkdir(s->data_dir, 0700) < 0 && errno != EEXIST) {
		fl_errf(errbuf, errlen, "%s: %s", s->data_dir, strerror(errno));
		return -errno;
	}
	if (!s->pub.user)
		return 0;
	err = fl_wl_user_lookup(s->pub.user, &u, errbuf, errlen);
	if (err)
		return err;
	if (chown(s->data_dir, u.uid, u.gid) < 0) {
		err = -errno;
		fl_errf(errbuf, errlen, "%s: %s", s->data_dir, strerror(errno));
	}
	fl_wl_user_free(&u);
	return err;
}

int fl_bk_service_read_back(struct fl_bk_service *s, struct fl_readback **ret, size_t *ret_n,
			    char *errbuf, size_t errlen)
{
	return fl_rpo_read_back(s->w, ret, ret_n, errbuf, errlen);
}

int fl_bk_service_write_one(struct fl_bk_service *s, uint64_t id, int timeout_ms,
			    char *errbuf, size_t errlen)
{
	struct fl_wl_conn *c;
	char payload[64];
	enum fl_op_outcome o;
	int err, why = 0;

	err = fl_payload_make(id, 0, payload, sizeof(payload));
	if (!err)
		err = fl_workload_connect(s->w, &c, errbuf, errlen);
	if (err)
		return err;
	o = fl_workload_write(c, id, payload, sizeof(payload), timeout_ms, &why);
	fl_workload_disconnect(c);
	if (o == FL_OP_OK)
		return 0;
	err = why ? -abs(why) : -EIO;
	fl_errf(errbuf, errlen, "the write was %s: %s", o == FL_OP_FAIL ? "refused" : "not answered",
		strerror(-err));
	return err;
}

void fl_bk_service_free(struct fl_bk_service *s)
{
	if (!s)
		return;
	if (s->svc.pid)
		fl_bk_service_kill(s);
	fl_wl_service_release(&s->svc);
	if (s->ff)
		fl_rpo_faultfs_unmount(s->ff);
	fl_workload_close(s->w);
	fl_wl_managed_free(s->m);
	if (s->st)
		fl_state_close(s->st);
	free(s);
}
