/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The write load of `faultline rpo`, for other runners too (a scenario's
 * clients): N client threads write records with unique ids at a set total
 * rate and keep an exact history of every attempt (struct fl_op).
 *
 * A load has one target (a service) or several (the nodes of a cluster).
 * With several, a picker says which one a client should write to now; a
 * client asks before every write and moves its connection when the answer
 * changes, or after a write that failed. This is how clients follow a
 * failover: the picker returns the cluster's current leader. Each op
 * records the target it went to (fl_op.target).
 */
#ifndef FAULTLINE_RPO_LOAD_H
#define FAULTLINE_RPO_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include <faultline/rpo.h>
#include <faultline/rpo_session.h>

struct fl_workload;
struct fl_rpo_driver;

struct fl_rpo_targets {
	struct fl_workload *const *w; /* n targets (the array is copied; the workloads are borrowed) */
	size_t n;
	/*
	 * The target client should write to now: 0..n-1, or -1 when none is
	 * known (the client waits and asks again). Called before every write,
	 * from the client threads: keep it cheap (an atomic read). NULL: 0.
	 */
	int (*pick)(void *ctx, unsigned client);
	void *ctx;
};

/* Start load->clients threads on the targets. -EINVAL on a bad load. */
int fl_rpo_driver_start_targets(const struct fl_rpo_targets *t, const struct fl_rpo_load *load,
				struct fl_rpo_driver **ret);
/* One target: fl_rpo_driver_start_targets with w alone. */
int fl_rpo_driver_start(struct fl_workload *w, const struct fl_rpo_load *load,
			struct fl_rpo_driver **ret);
/* Acknowledged writes so far. */
uint64_t fl_rpo_driver_acked(const struct fl_rpo_driver *d);
/* Stop, join, and hand over every client's history merged (ret_ops may be NULL). */
int fl_rpo_driver_stop(struct fl_rpo_driver *d, struct fl_op **ret_ops, size_t *ret_n);

/*
 * After recovery: every record w holds, each judged intact (its payload's
 * checksum and embedded id agree with its key) or not. *ret malloc'd
 * (NULL when the store is empty); -errno with the reason in errbuf.
 */
int fl_rpo_read_back(struct fl_workload *w, struct fl_readback **ret, size_t *ret_n,
		     char *errbuf, size_t errlen);

#endif /* FAULTLINE_RPO_LOAD_H */
