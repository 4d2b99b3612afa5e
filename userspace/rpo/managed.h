/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A managed service (postgres:local, ...) turned into what a user would have given rpo. */
#ifndef FL_RPO_MANAGED_H
#define FL_RPO_MANAGED_H

#include <stddef.h>

#include <faultline/rpo_session.h>

/*
 * r->cfg.workload a ":local" spec: make the server's files and point the
 * configuration at them (the client spec, the start command, the data
 * directory, the graceful stop signal); the result owns the server
 * (r->managed) until fl_rpo_managed_discard. Any other spec: nothing.
 * 0 or -errno with the reason in errbuf.
 */
int fl_rpo_managed_resolve(struct fl_rpo_result *r, char *errbuf, size_t errlen);
/* After the last trial: throw the server away (the strings stay for the report). */
void fl_rpo_managed_discard(struct fl_rpo_result *r);

#endif /* FL_RPO_MANAGED_H */
