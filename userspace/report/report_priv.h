/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Inside the report room: the typed readers every loader uses, so that a
 * malformed result gets one kind of message: the file, the field, and
 * what was expected there.
 */
#ifndef FL_REPORT_PRIV_H
#define FL_REPORT_PRIV_H

#include <jansson.h>
#include <math.h>

#include <faultline/report.h>

struct rp_ctx {
	const char *name;        /* the file, as errors call it */
	char *err;
	size_t errlen;
};

/* -EINVAL after "NAME: field WHERE.KEY: WHY". */
int rp_bad(const struct rp_ctx *c, const char *where, const char *key, const char *why);

/* Optional (null or absent: NAN / -1 / NULL) or required values. */
int rp_num(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	   double *ret);
int rp_int(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	   int64_t *ret);
int rp_str(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	   const char **ret);
int rp_bool(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	    bool *ret);
int rp_arr(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	   json_t **ret);
int rp_objv(const struct rp_ctx *c, json_t *o, const char *where, const char *key, bool required,
	    json_t **ret);

int rp_env(struct fl_report_result *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int rp_window(struct fl_rep_trial *t, double from, double to, const char *label);
void rp_phase(struct fl_rep_trial *t, const char *name, double s);
struct fl_report_result *rp_new(const char *name, enum fl_rep_kind kind);
int rp_trials(struct fl_report_result *r, size_t n);

int rp_load_rpo(const struct rp_ctx *c, json_t *doc, struct fl_report_result *r);
int rp_load_scenario(const struct rp_ctx *c, json_t *doc, struct fl_report_result *r);
int rp_load_backup(const struct rp_ctx *c, json_t *doc, struct fl_report_result *r);
int rp_load_events(const struct rp_ctx *c, const char *text, size_t len,
		   struct fl_report_result *r);
/* A result's own "objectives" array (the five, as the runner judged them), if it has one. */
int rp_load_objectives(const struct rp_ctx *c, json_t *arr, struct fl_report_result *r);
/* Objectives the result does not judge itself: RPO/RTO from the trials, the rest not measured. */
void rp_judge(struct fl_report_result *r, double rpo_target, double rto_target, double avail_target);

/* Text helpers for the writers. */
void rp_fmt_s(char *buf, size_t len, double s);      /* "73.1 ms", "—" for NAN */
void rp_fmt_value(char *buf, size_t len, enum fl_rep_objective_kind k, double v);
/* The value as the objectives tables show it: MTTR with its interval, MTBF "needed". */
void rp_fmt_objective(char *buf, size_t len, enum fl_rep_objective_kind k,
		      const struct fl_rep_objective *o);
void rp_xml(FILE *f, const char *s);                  /* escaped for XML/HTML text */
void rp_md(FILE *f, const char *s);                   /* escaped for a Markdown cell */

#endif
