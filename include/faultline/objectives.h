/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The brief's five objectives, judged the same way for every runner (rpo,
 * scenario, backup) and every report: RTO, RPO, MTTR, availability and
 * MTBF. Pure: no clock, no I/O.
 *
 * Each objective ends measured (observed in this run), derived (computed
 * from what was observed and a stated assumption: MTBF), or not
 * applicable (the run could not observe it). Only a measured or derived
 * objective can pass; one that was not measured never shows as a pass.
 *
 * Status: the contract of issue 16; its implementation lands with it.
 */
#ifndef FAULTLINE_OBJECTIVES_H
#define FAULTLINE_OBJECTIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fl_objective_kind {
	FL_OBJ_RTO = 0,          /* worst recovery time of a trial <= max */
	FL_OBJ_RPO,              /* worst data-loss window of a trial <= max */
	FL_OBJ_MTTR,             /* mean recovery time over trials <= max (with a 95% interval) */
	FL_OBJ_AVAILABILITY,     /* share of time writes succeed, clients' view >= min */
	FL_OBJ_MTBF,             /* mean time between failures >= min: derived, see below */
	FL_OBJ_COUNT,
};

/* "rto", "rpo", "mttr", "availability", "mtbf". */
const char *fl_objective_name(enum fl_objective_kind k);

/* The targets. UINT64_MAX (times) or 0 (availability): no objective. */
struct fl_objectives {
	uint64_t rto_max_ns;         /* brief: 5 min */
	uint64_t rpo_max_ns;         /* brief: 1 min */
	uint64_t mttr_max_ns;        /* brief: 3 min */
	uint32_t availability_min_ppm; /* brief: 99.9 % = 999000 */
	uint64_t mtbf_min_ns;        /* brief: 720 h */
	/*
	 * MTBF's assumption, when the user has one: the service's real
	 * failure rate as a mean time between failures (0: none given). With
	 * it, availability is extrapolated as MTBF / (MTBF + MTTR).
	 */
	uint64_t assumed_mtbf_ns;
};

/* The brief's defaults. */
void fl_objectives_defaults(struct fl_objectives *o);

/* What a run observed, as the objectives need it. */
struct fl_observed {
	size_t trials;               /* trials that measured anything */
	const uint64_t *recovery_ns; /* per trial: its recovery time (UINT64_MAX: never recovered) */
	size_t n_recovery;
	const uint64_t *rpo_ns;      /* per trial: its data-loss window */
	size_t n_rpo;
	const uint64_t *lost;        /* per trial: acknowledged writes lost (an RPO of 0 needs 0) */
	bool availability_seen;      /* the clients' view of the whole run was sampled */
	uint64_t up_ns, span_ns;     /* time writes succeeded, out of the time observed */
	uint64_t faults;             /* faults injected over span_ns (for the MTBF derivation) */
};

enum fl_objective_status {
	FL_OBJ_NOT_APPLICABLE = 0,   /* nothing in this run could observe it */
	FL_OBJ_MEASURED,
	FL_OBJ_DERIVED,              /* from what was measured and the assumption stated */
};

struct fl_objective_verdict {
	enum fl_objective_kind kind;
	enum fl_objective_status status;
	bool set;                    /* an objective was given for it */
	bool pass;                   /* set, measured or derived, and met; never true otherwise */
	double value;                /* ns for times, ppm for availability */
	double target;
	double margin;               /* target - value for maxima, value - target for minima */
	double ci_low, ci_high;      /* MTTR: the 95 % interval of the mean (t distribution) */
	char how[256];               /* one sentence: how it was measured or derived, the assumption */
};

struct fl_verdict {
	struct fl_objective_verdict o[FL_OBJ_COUNT];
	bool pass;                   /* every objective that is set and applicable passes */
};

/*
 * Judge what was observed against o. MTBF: with assumed_mtbf_ns, the
 * availability it implies with the measured MTTR is checked against the
 * objective and the MTBF objective against the assumption; without it,
 * the MTBF the service needs to reach availability_min with the measured
 * MTTR (MTTR * A / (1 - A)) is reported as derived and judged against
 * mtbf_min. -EINVAL on inconsistent input (n_recovery > trials, span 0
 * with availability_seen), else 0.
 */
int fl_objectives_validate(const struct fl_observed *obs, const struct fl_objectives *o,
			   struct fl_verdict *ret);

#endif /* FAULTLINE_OBJECTIVES_H */
