/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Between the pieces of the rpo session runner. */
#ifndef FL_RPO_PRIV_H
#define FL_RPO_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <faultline/state.h>

#include <faultline/rpo_load.h>
#include <faultline/rpo_session.h>
#include <faultline/workload.h>

#include "rpo_util.h"
#include "workload/service.h"


/*
 * preflight.c: what must hold before a run starts. The step that needs
 * root and was refused, worded for the user ("faultline rpo needs root:
 * creating its state directory /run/faultline was refused ..."); then the
 * privileged steps the run will take, tried or checked before any; then
 * the data directory for --user (created for it when missing, else it
 * must be able to use it).
 */
void fl_rpo_explain_refusal(const struct fl_rpo_config *cfg, const char *step, int err,
			    char *errbuf, size_t errlen);
int fl_rpo_preflight(const struct fl_rpo_config *cfg, char *errbuf, size_t errlen);
/*
 * fault_net.c: is a network fault's rule doable on the service's cgroup
 * (parsed, checked, compiled as it will be armed)? -EINVAL or -EOPNOTSUPP
 * with the net library's words, the rule's column included, in errbuf.
 */
int fl_rpo_net_config_check(const struct fl_rpo_config *cfg, char *errbuf, size_t errlen);
/* Does the run put faultfs over the data directory? */
bool fl_rpo_wants_faultfs(const struct fl_rpo_config *cfg);

/*
 * objectives_judge.c: r->verdict from the measured trials (the five
 * objectives; rpo_max_ns and rto_max_ns for RPO and RTO). -ENOMEM.
 */
int fl_rpo_judge_objectives(struct fl_rpo_result *r);

#endif /* FL_RPO_PRIV_H */
