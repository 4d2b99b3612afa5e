/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The brief's five objectives, judged the same way for every runner (rpo,
 * scenario, backup) and every report: RTO, RPO, MTTR, availability and
 * MTBF. Pure: no clock, no I/O.
 *
 * Each objective ends measured (observed in this run), derived (computed
 * from what was observed and a stated assumption: MTBF, and availability
 * over the long run), or not applicable (the run could not observe it).
 * Only a judged objective can pass; one that was not measured never shows
 * as a pass.
 *
 * The gating rule (README "Objectives"): RTO, RPO and MTTR are judged on
 * what the run measured. A short fault-injection run is unavailable for a
 * large share of its own time by design, so the availability objective is
 * judged on the long-run figure MTBF / (MTBF + MTTR), with the MTBF the
 * user assumed (assumed_mtbf_ns) or else the MTBF objective's; it is judged
 * on the run's own clients' view only when asked (availability_of_run, the
 * runners set it when --availability-min or a scenario file names it). The
 * run's own availability is reported beside it whenever it was sampled.
 */
#ifndef FAULTLINE_OBJECTIVES_H
#define FAULTLINE_OBJECTIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum fl_objective_kind {
	FL_OBJ_RTO = 0,          /* worst recovery time of a trial <= max */
	FL_OBJ_RPO,              /* worst data-loss window of a trial <= max */
	FL_OBJ_MTTR,             /* mean recovery time over trials <= max (with a 95% interval) */
	FL_OBJ_AVAILABILITY,     /* share of time writes succeed, clients' view >= min */
	FL_OBJ_MTBF,             /* mean time between failures >= min: derived, see below */
	FL_OBJ_COUNT,
};

/* "rto", "rpo", "mttr", "availability", "mtbf"; NULL for another value. */
const char *fl_objective_name(enum fl_objective_kind k);

/* The targets. UINT64_MAX (times) or 0 (availability): no objective. */
struct fl_objectives {
	uint64_t rto_max_ns;         /* brief: 5 min */
	uint64_t rpo_max_ns;         /* brief: 1 min; 0: met only when nothing was lost */
	uint64_t mttr_max_ns;        /* brief: 3 min */
	uint32_t availability_min_ppm; /* brief: 99.9 % = 999000 */
	uint64_t mtbf_min_ns;        /* brief: 720 h */
	/*
	 * MTBF's assumption, when the user has one: the service's real
	 * failure rate as a mean time between failures (0: none given). With
	 * it, availability is extrapolated as MTBF / (MTBF + MTTR).
	 */
	uint64_t assumed_mtbf_ns;
	/*
	 * Judge availability_min on the run's own clients' view rather than
	 * the long-run figure (unless assumed_mtbf_ns is given: the
	 * assumption wins). Off by default: see the gating rule above.
	 */
	bool availability_of_run;
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
	const uint64_t *lost;        /* NULL, or per trial (n_rpo): acknowledged writes lost */
	bool availability_seen;      /* the clients' view of the whole run was sampled */
	uint64_t up_ns, span_ns;     /* time writes succeeded, out of the time observed */
	const char *availability_what; /* NULL, or how it was sampled, for `how` */
	uint64_t faults;             /* faults injected over span_ns (said in MTBF's `how`) */
};

enum fl_objective_status {
	FL_OBJ_NOT_APPLICABLE = 0,   /* nothing in this run could observe it */
	FL_OBJ_MEASURED,
	FL_OBJ_DERIVED,              /* from what was measured and the assumption stated */
};

/* "not_applicable", "measured", "derived". */
const char *fl_objective_status_name(enum fl_objective_status s);

struct fl_objective_verdict {
	enum fl_objective_kind kind;
	enum fl_objective_status status;
	bool set;                    /* an objective was given for it */
	bool judged;                 /* set, applicable, and counted in fl_verdict.pass */
	bool pass;                   /* judged and met; never true otherwise */
	/*
	 * ns for times, ppm for availability; INFINITY when unbounded (a
	 * trial never recovered). MTBF derived without an assumption: the
	 * MTBF the service needs for availability_min with the measured
	 * MTTR, which passes when at most the objective's.
	 */
	double value;
	double target;
	double margin;               /* how far inside (> 0) or outside (< 0) the target */
	double ci_low, ci_high;      /* MTTR: the 95 % interval of the mean (t); NAN: none */
	size_t n;                    /* the trials it is over */
	char how[320];               /* how it was measured or derived, the assumption */
};

struct fl_verdict {
	struct fl_objective_verdict o[FL_OBJ_COUNT];
	bool run_availability_seen;  /* the run's own availability, reported beside */
	double run_availability_ppm;
	bool pass;                   /* every judged objective passes (vacuous: none judged) */
};

/*
 * Judge what was observed against o. RTO and RPO: the worst trial (RPO
 * with rpo_max_ns 0: nothing lost either). MTTR: the mean over the trials
 * that recovered, with a 95 % Student's t interval from two of them; a
 * trial that never recovered is out of the mean and named in `how` (RTO
 * is the objective it fails); none recovered: not applicable.
 * Availability: see the gating rule above. MTBF: with assumed_mtbf_ns,
 * the assumption is judged against mtbf_min (derived, its availability
 * stated); without it, the MTBF the service needs to reach
 * availability_min with the measured MTTR (MTTR * A / (1 - A)) is
 * derived and passes when mtbf_min is at least that.
 * -EINVAL on inconsistent input (a NULL pointer, n_recovery or n_rpo
 * above trials, a NULL array with a count, span 0 or up > span with
 * availability_seen, availability_min above 100 %); *ret untouched then.
 */
int fl_objectives_validate(const struct fl_observed *obs, const struct fl_objectives *o,
			   struct fl_verdict *ret);

/* One line, e.g. "MTTR 2.10 s (95% CI 1.80 s - 2.40 s) <= 3.0 min: met (measured: ...)". */
void fl_objective_text(const struct fl_objective_verdict *v, char *buf, size_t len);

/*
 * The verdict as the results' "objectives" array: per objective name,
 * status, set, judged, pass, unit ("ns" for times, "ppm" for
 * availability), value, target, margin (null when unbounded or none), ci_low and ci_high
 * (MTTR with two trials or more, else null), n, how; the availability
 * entry adds run_value (null when not sampled). NULL on ENOMEM.
 */
json_t *fl_verdict_json(const struct fl_verdict *v);

#endif /* FAULTLINE_OBJECTIVES_H */
