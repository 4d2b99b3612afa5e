// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rpo and managed services: a ":local" spec resolves, once per run, into
 * a start command, a data directory, a client spec and a stop signal, and
 * from then on the trials run it exactly as a user's --start: restart is
 * the same command on the same data directory, faultfs goes over that
 * directory. The server runs as its package's user through the command
 * itself (setpriv), so nothing here changes how services are started.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <faultline/workload.h>
#include "managed.h"

int fl_rpo_managed_resolve(struct fl_rpo_result *r, char *errbuf, size_t errlen)
{
	struct fl_rpo_config *cfg = &r->cfg;
	struct fl_workload *w;
	struct fl_wl_managed *m;
	bool managed;
	int err;

	if (fl_workload_open(cfg->workload, &w, NULL, 0))
		return 0; /* the trial says what is wrong with the spec */
	managed = fl_workload_managed(w);
	fl_workload_close(w);
	if (!managed)
		return 0;
	if (cfg->start_cmd || cfg->restart_cmd || cfg->user) {
		snprintf(errbuf, errlen, "%s: faultline starts a managed server itself, as its package's user: no --start, --restart or --user",
			 cfg->workload);
		return -EINVAL;
	}
	err = fl_wl_managed_create(cfg->workload, cfg->data_dir, &m, errbuf, errlen);
	if (err)
		return err;
	r->managed = m;
	cfg->workload = m->spec;
	cfg->start_cmd = m->start_cmd;
	cfg->data_dir = m->data_dir;
	/* The default graceful stop becomes the server's own (PostgreSQL's fast shutdown). */
	if (cfg->term_signal == SIGTERM)
		cfg->term_signal = m->stop_signal;
	return 0;
}

void fl_rpo_managed_discard(struct fl_rpo_result *r)
{
	if (r->managed)
		fl_wl_managed_discard(r->managed);
}
