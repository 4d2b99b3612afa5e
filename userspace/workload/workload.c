// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Workload specs and dispatch: the scheme picks an adapter from the table,
 * the adapter parses the rest; every other call goes through its ops.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "adapter.h"

static const struct fl_wl_adapter *const adapters[] = {
	&fl_wl_file_adapter,
	&fl_wl_sqlite_adapter,
	&fl_wl_exec_adapter,
	&fl_wl_redis_adapter,
	&fl_wl_postgres_adapter,
	&fl_wl_mysql_adapter,
	&fl_wl_etcd_adapter,
	&fl_wl_local_adapter,
};

#define N_ADAPTERS (sizeof(adapters) / sizeof(adapters[0]))

static const struct fl_wl_adapter *find_adapter(const char *spec, size_t *ret_prefix)
{
	for (size_t i = 0; i < N_ADAPTERS; i++) {
		for (const char *const *p = adapters[i]->prefixes; *p; p++) {
			size_t n = strlen(*p);

			if (!strncmp(spec, *p, n)) {
				*ret_prefix = n;
				return adapters[i];
			}
		}
	}
	return NULL;
}

int fl_workload_open(const char *spec, struct fl_workload **ret, char *errbuf, size_t errlen)
{
	const struct fl_wl_adapter *ad;
	struct fl_workload *w;
	size_t prefix = 0;
	int err;

	if (!spec || !*spec)
		return fl_wl_err(NULL, -EINVAL, errbuf, errlen, "empty workload spec");
	ad = find_adapter(spec, &prefix);
	if (!ad) {
		char known[256] = "";

		/* One prefix per scheme (no aliases), but every kind of managed service. */
		for (size_t i = 0; i < N_ADAPTERS; i++)
			for (size_t j = 0; adapters[i]->prefixes[j]; j++)
				if (!j || adapters[i] == &fl_wl_local_adapter)
					snprintf(known + strlen(known), sizeof(known) - strlen(known),
						 "%s%s", known[0] ? ", " : "", adapters[i]->prefixes[j]);
		return fl_wl_err(NULL, -EINVAL, errbuf, errlen,
				 "workload '%s': unknown scheme (expected %s)", spec, known);
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ad = ad;
	w->spec = strdup(spec);
	if (!w->spec) {
		err = -ENOMEM;
		goto fail;
	}
	err = ad->parse(w, spec + prefix, errbuf, errlen);
	if (err)
		goto fail;
	if (!w->desc && !(w->desc = strdup(spec))) {
		err = -ENOMEM;
		goto fail;
	}
	*ret = w;
	return 0;
fail:
	fl_workload_close(w);
	return err;
}

const char *fl_workload_scheme(const struct fl_workload *w)
{
	return w->ad->scheme;
}

const char *fl_workload_describe(const struct fl_workload *w)
{
	return w->desc;
}

const char *fl_workload_store_path(const struct fl_workload *w)
{
	return w->ad->store_path ? w->ad->store_path(w) : NULL;
}

bool fl_workload_builtin(const struct fl_workload *w)
{
	return w->ad->store != NULL;
}

int fl_workload_start(struct fl_workload *w, pid_t *ret_pid, char *errbuf, size_t errlen)
{
	if (!w->ad->store)
		return fl_wl_err(w, -EOPNOTSUPP, errbuf, errlen,
				 "not a built-in store: start the service with --start");
	return fl_wl_serve_start(w, ret_pid, errbuf, errlen);
}

void fl_workload_stopped(struct fl_workload *w)
{
	atomic_store(&w->writer, 0);
}

int fl_workload_ping(struct fl_workload *w, int timeout_ms)
{
	return w->ad->ping(w, timeout_ms);
}

int fl_workload_ping_why(struct fl_workload *w, int timeout_ms, char *errbuf, size_t errlen)
{
	int err;

	if (w->ad->ping_why)
		return w->ad->ping_why(w, timeout_ms, errbuf, errlen);
	err = w->ad->ping(w, timeout_ms);
	if (err == -ETIMEDOUT)
		fl_wl_err(w, err, errbuf, errlen, "no answer to a ping within %d ms", timeout_ms);
	else if (err)
		fl_wl_err(w, err, errbuf, errlen, "ping: %s", strerror(-err));
	return err;
}

int fl_workload_reset(struct fl_workload *w, char *errbuf, size_t errlen)
{
	return w->ad->reset(w, errbuf, errlen);
}

int fl_workload_drop(struct fl_workload *w, char *errbuf, size_t errlen)
{
	if (!w->ad->drop)
		return fl_wl_err(w, -EOPNOTSUPP, errbuf, errlen,
				 "this scheme has no drop operation (break it with exec=CMD)");
	return w->ad->drop(w, errbuf, errlen);
}

int fl_workload_connect(struct fl_workload *w, struct fl_wl_conn **ret,
			char *errbuf, size_t errlen)
{
	return w->ad->connect(w, ret, errbuf, errlen);
}

enum fl_op_outcome fl_workload_write(struct fl_wl_conn *c, uint64_t id,
				     const void *payload, size_t len, int timeout_ms,
				     int *ret_err)
{
	int dummy;

	if (!ret_err)
		ret_err = &dummy;
	*ret_err = 0;
	return c->w->ad->write(c, id, payload, len, timeout_ms, ret_err);
}

void fl_workload_disconnect(struct fl_wl_conn *c)
{
	if (c)
		c->w->ad->disconnect(c);
}

int fl_workload_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx,
			 char *errbuf, size_t errlen)
{
	return w->ad->read_all(w, cb, ctx, errbuf, errlen);
}

void fl_workload_set_readback_timeout(struct fl_workload *w, int timeout_ms)
{
	w->readback_timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

void fl_workload_close(struct fl_workload *w)
{
	if (!w)
		return;
	if (w->ad && w->ad->free)
		w->ad->free(w);
	free(w->spec);
	free(w->desc);
	free(w);
}
