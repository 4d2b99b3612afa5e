/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `faultline rpo`'s measurements, as pure functions over a recorded
 * history: which acknowledged writes a fault lost (Jepsen's set checker:
 * lost, recovered, unexpected), the data-loss window (RPO), the recovery
 * time (RTO) split into phases, the time back to steady throughput, and
 * the statistics over trials. The definitions here are the ones the
 * README documents; change them together.
 *
 * Times are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef FAULTLINE_RPO_H
#define FAULTLINE_RPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/workload.h>

/* One write as the workload saw it. */
struct fl_op {
	uint64_t id;             /* unique over the run, from 1 */
	uint64_t invoke_ns;
	uint64_t complete_ns;
	uint32_t client;
	uint32_t len;            /* payload bytes */
	uint32_t target;         /* which of the load's targets it went to (a cluster's node) */
	enum fl_op_outcome outcome;
	int err;                 /* errno behind FAIL/UNKNOWN, else 0 */
};

/* One record read back after recovery. */
struct fl_readback {
	uint64_t id;             /* the store's key (0: unparseable record) */
	bool intact;             /* payload checksum and embedded id agree with id */
};

#define FL_RPO_LOST_SAMPLE 16

struct fl_check {
	uint64_t attempted, acknowledged, failed, unknown;
	uint64_t lost;           /* acknowledged, and absent or corrupt after recovery */
	uint64_t lost_corrupt;   /* of those, present but corrupt */
	uint64_t recovered;      /* unknown or failed, and present intact */
	uint64_t recovered_failed; /* of those, FAIL yet present: the store said no and kept it */
	uint64_t unexpected;     /* present, but never written (or its id is unparseable) */
	uint64_t duplicates;     /* ids read back more than once */
	uint64_t lost_sample[FL_RPO_LOST_SAMPLE]; /* the oldest lost ids */
	size_t n_lost_sample;

	/*
	 * RPO = max(0, fault time - acknowledgement time of the oldest lost
	 * write); 0 when nothing was lost. Also in writes and bytes: every
	 * lost acknowledged write and their payload bytes.
	 *
	 * Losses that straddle the fault: a lost write acknowledged at or
	 * after the fault (by the dying service in its last instant, or by
	 * the restarted one) lies outside the window that ends at the fault,
	 * so it adds nothing to rpo_ns; it is counted in rpo_writes and
	 * lost, and on its own in lost_after_fault, with after_fault_ns =
	 * its newest acknowledgement - fault. When every lost write is such
	 * a one, rpo_ns is 0 yet lost is not: fl_rpo_rpo_met() then refuses
	 * an objective of 0.
	 */
	uint64_t rpo_ns;
	uint64_t rpo_writes;
	uint64_t rpo_bytes;
	uint64_t oldest_lost_id;  /* 0 when nothing was lost */
	uint64_t lost_after_fault; /* lost, acknowledged at or after the fault */
	uint64_t after_fault_ns;  /* newest such acknowledgement - fault; 0 when none */
};

/*
 * Judge ops (any order) against what was read back after a fault at
 * fault_ns. Writes acknowledged after fault_ns (by the restarted service)
 * count like the others. -ENOMEM or 0.
 */
int fl_rpo_check(const struct fl_op *ops, size_t n_ops,
		 const struct fl_readback *back, size_t n_back,
		 uint64_t fault_ns, struct fl_check *ret);

/*
 * The objectives on one measured trial. RPO: rpo_ns <= rpo_max_ns, and an
 * objective of 0 also needs lost == 0 (a write lost after the fault has
 * an RPO of 0 but is still a lost write). Lost: lost <= lost_max
 * (UINT64_MAX: no objective, always met).
 */
bool fl_rpo_rpo_met(const struct fl_check *c, uint64_t rpo_max_ns);
bool fl_rpo_lost_met(const struct fl_check *c, uint64_t lost_max);

/* The recovery, phase by phase; 0 = did not happen. */
struct fl_rto {
	uint64_t fault_ns;
	uint64_t stopped_ns;     /* the service was seen gone (or the fault returned) */
	uint64_t restarted_ns;   /* the restarted service process exists */
	uint64_t healthy_ns;     /* its first successful health check, or the first
				    acknowledged write if that came first */
	uint64_t first_ok_ns;    /* the first write acknowledged that was invoked after
				    the restart (restarted_ns; else stopped_ns, else fault_ns) */
	uint64_t steady_ns;      /* throughput back to 90% of the pre-fault level */
	/*
	 * A network fault's heal (its rules removed; 0: not a network fault).
	 * When set, first_ok_ns is the first write acknowledged at or after
	 * it, whenever it was invoked: the service never went away, so a
	 * write held up by the fault and let through by the heal is the
	 * clients' first sight of the service again.
	 */
	uint64_t healed_ns;
};

#define FL_RPO_BUCKET_NS (100ull * 1000 * 1000)

/*
 * From the history: first_ok_ns (see struct fl_rto) and
 * steady_ns (start of the first 100 ms bucket after first_ok whose
 * acknowledgements reach 90% of the mean per-bucket rate before the fault,
 * measured over [warmup_ns, fault_ns)). Other fields are left as given.
 * No pre-fault acknowledgement: steady_ns = first_ok_ns.
 */
void fl_rpo_recovery(const struct fl_op *ops, size_t n_ops, uint64_t warmup_ns,
		     struct fl_rto *rto);

/* RTO = first_ok - fault; UINT64_MAX when nothing was acknowledged after the fault. */
uint64_t fl_rpo_rto_ns(const struct fl_rto *rto);

/* min, median, p95 (nearest rank), max and mean of n values (n >= 1). */
struct fl_rpo_stats {
	uint64_t min, median, p95, max, mean;
};
int fl_rpo_stats(const uint64_t *values, size_t n, struct fl_rpo_stats *ret);

#endif /* FAULTLINE_RPO_H */
