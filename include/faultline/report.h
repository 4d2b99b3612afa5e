/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * faultline report: results of rpo (faultline-rpo/1), scenario
 * (faultline-scenario/1) and backup (faultline-backup/1) runs, and the
 * JSON-lines event logs of net/syscall --log, read into one model and
 * written as HTML (gnuplot SVG plots inlined), JUnit XML and Markdown, or
 * compared as a regression check.
 *
 * The model keeps what a result says and nothing it does not: a figure
 * the result lacks is NAN (times, availability) or -1 (counts), a trial
 * without a write history has has_ops false, and the writers say "not in
 * this result" instead of inventing it. Times are seconds since the
 * trial's load started.
 */
#ifndef FAULTLINE_REPORT_H
#define FAULTLINE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum fl_rep_kind {
	FL_REP_RPO = 0,
	FL_REP_SCENARIO,
	FL_REP_BACKUP,
	FL_REP_EVENTS,           /* a net/syscall --log: injections, no trials */
};

enum fl_rep_outcome { FL_REP_OP_OK = 0, FL_REP_OP_FAIL, FL_REP_OP_UNKNOWN };

/* One write of the load, as the clients saw it. */
struct fl_rep_op {
	double invoke_s, complete_s;
	uint8_t outcome;         /* enum fl_rep_outcome */
	bool lost;               /* acknowledged, and not read back intact */
};

/* A time the service was under a fault (or a backup ran): shaded in plots. */
struct fl_rep_window {
	double from_s, to_s;
	char label[64];
};

#define FL_REP_MAX_PHASES 6
struct fl_rep_phase {
	char name[16];
	double s;                /* NAN: the phase did not happen */
};

struct fl_rep_trial {
	unsigned index;          /* 1-based */
	bool measured;           /* false: error[] says why, figures are NAN */
	char error[256];
	double span_s;           /* the trial's load, NAN unknown */
	double rpo_s, rto_s;     /* NAN: not measured */
	double availability;     /* 0..1, NAN: not measured */
	int64_t attempted, acknowledged, lost; /* -1: not in the result */
	bool rpo_met, rto_met;   /* as the runner judged them (when measured) */
	double phases_at_s;      /* where the recovery phases start (the fault) */
	struct fl_rep_phase phases[FL_REP_MAX_PHASES];
	size_t n_phases;
	struct fl_rep_window *windows;
	size_t n_windows;
	bool has_ops;            /* the result carries the write history */
	bool has_lost;           /* and which of its writes were lost (ops[].lost) */
	struct fl_rep_op *ops;
	size_t n_ops;
};

/* One injection of an event log. */
struct fl_rep_event {
	double s;                /* since the log's first event */
	char what[48];           /* domain:action (op) */
};

enum fl_rep_status {
	FL_REP_NOT_MEASURED = 0,
	FL_REP_MEASURED,
	FL_REP_DERIVED,
};

enum fl_rep_objective_kind { FL_REP_OBJ_RTO = 0, FL_REP_OBJ_RPO, FL_REP_OBJ_MTTR,
			     FL_REP_OBJ_AVAILABILITY, FL_REP_OBJ_MTBF, FL_REP_OBJ_COUNT };

/* Times in seconds, availability as a fraction. */
struct fl_rep_objective {
	enum fl_rep_status status;
	bool set;                /* a target was given */
	bool judged;             /* set and applicable: its verdict counts */
	bool pass;               /* judged, measured or derived, and met; never otherwise */
	bool at_most;            /* value <= target passes (else >=): MTBF derived as "needed" is */
	double value, target;    /* NAN when absent */
	double margin;           /* > 0 inside the target, < 0 outside */
	double ci_low, ci_high;  /* MTTR's 95 % interval, NAN none */
	char how[320];
};

struct fl_rep_kv {
	char key[32];
	char value[480];
};

struct fl_report_result {
	char file[256];
	enum fl_rep_kind kind;
	char schema[40];
	char title[200];         /* one line: what ran */
	char experiment[256];    /* identity of the experiment, for --compare */
	struct fl_rep_trial *trials;
	size_t n_trials;
	struct fl_rep_objective obj[FL_REP_OBJ_COUNT];
	struct fl_rep_kv *env;
	size_t n_env;
	struct fl_rep_event *events;
	size_t n_events;
};

const char *fl_rep_kind_name(enum fl_rep_kind k);
const char *fl_rep_objective_name(enum fl_rep_objective_kind k); /* "rto", ... */
const char *fl_rep_status_name(enum fl_rep_status s); /* "measured", "derived", "not measured" */
bool fl_rep_objective_is_min(enum fl_rep_objective_kind k);

/*
 * Read one result: a JSON document of a known schema, or a JSON-lines
 * event log. name is what errors call it (the file). -EINVAL (malformed,
 * unknown schema: errbuf names the file and the field), -ENOMEM, or the
 * open/read errno.
 */
int fl_report_load(const char *path, struct fl_report_result **ret, char *errbuf, size_t errlen);
int fl_report_parse(const char *name, const char *text, size_t len,
		    struct fl_report_result **ret, char *errbuf, size_t errlen);
void fl_report_free(struct fl_report_result *r);

/* Worst (max) and median RPO/RTO over the measured trials; NAN when none. */
double fl_rep_worst(const struct fl_report_result *r, bool rto);
double fl_rep_median(const struct fl_report_result *r, bool rto);

/* JUnit XML: one testsuite per result, one testcase per trial and objective. */
int fl_report_junit(FILE *f, const struct fl_report_result *const *r, size_t n);

/* Markdown for a PR comment: the objectives and per-trial tables of each result. */
int fl_report_markdown(FILE *f, const struct fl_report_result *const *r, size_t n);

struct fl_report_html_opts {
	const char *gnuplot;     /* the program, NULL: "gnuplot" on $PATH */
	int plot_timeout_ms;     /* each gnuplot run; 0: 20 s */
	const char *tmpdir;      /* NULL: $TMPDIR or /tmp */
	unsigned max_trials;     /* time-series plots for this many trials per result (0: 3) */
};

/*
 * One self-contained HTML page. A plot gnuplot could not draw is replaced
 * by a note saying why, and *ret_plot_errors counts them (may be NULL);
 * the page is still written. -errno when f could not be written.
 */
int fl_report_html(FILE *f, const struct fl_report_result *const *r, size_t n,
		   const struct fl_report_html_opts *o, unsigned *ret_plot_errors,
		   char *errbuf, size_t errlen);

/* --compare: the worst RPO and RTO of two results of the same experiment. */
struct fl_rep_delta {
	double old_s, new_s;     /* worst over trials, NAN not measured */
	double change_pct;       /* NAN when old is 0 or either is missing */
	bool worse;              /* beyond the threshold (or newly lost, or no longer measured) */
};
struct fl_rep_compare {
	struct fl_rep_delta rpo, rto;
	double threshold_pct;
	bool regression;         /* rpo.worse || rto.worse */
};

/*
 * -EINVAL when the two are not the same experiment (kind and
 * experiment differ: errbuf says how) or have no trials.
 */
int fl_report_compare(const struct fl_report_result *old_r, const struct fl_report_result *new_r,
		      double threshold_pct, struct fl_rep_compare *ret, char *errbuf, size_t errlen);
int fl_report_compare_markdown(FILE *f, const struct fl_report_result *old_r,
			       const struct fl_report_result *new_r, const struct fl_rep_compare *c);

/* --json: one result's figures and objectives, and one comparison (NULL: no memory). */
json_t *fl_report_summary_json(const struct fl_report_result *r);
json_t *fl_report_compare_json(const struct fl_report_result *old_r,
			       const struct fl_report_result *new_r, const struct fl_rep_compare *c);

#endif /* FAULTLINE_REPORT_H */
