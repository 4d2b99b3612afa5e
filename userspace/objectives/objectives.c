// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The five objectives judged from what a run observed (objectives.h says
 * the rule). Pure: the runners and the report share one definition, and
 * the unit tests pin it down.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <faultline/objectives.h>

#include "objectives/objectives_priv.h"

#define NS_PER_S  1e9
#define PPM_ALL   1000000u

static const char *const names[FL_OBJ_COUNT] = { "rto", "rpo", "mttr", "availability", "mtbf" };

const char *fl_objective_name(enum fl_objective_kind k)
{
	return (unsigned)k < FL_OBJ_COUNT ? names[k] : NULL;
}

const char *fl_objective_status_name(enum fl_objective_status s)
{
	switch (s) {
	case FL_OBJ_NOT_APPLICABLE: return "not_applicable";
	case FL_OBJ_MEASURED: return "measured";
	case FL_OBJ_DERIVED: return "derived";
	}
	return NULL;
}

void fl_objectives_defaults(struct fl_objectives *o)
{
	*o = (struct fl_objectives){
		.rto_max_ns = 300ull * 1000000000ull,
		.rpo_max_ns = 60ull * 1000000000ull,
		.mttr_max_ns = 180ull * 1000000000ull,
		.availability_min_ppm = 999000,
		.mtbf_min_ns = 720ull * 3600 * 1000000000ull,
	};
}

/*
 * Student's t, two-sided 95 %, by degrees of freedom 1..30; above, the
 * tabled 40, 60, 120 and the normal's 1.96, interpolated in 1/df (the
 * quantile is close to linear in it).
 */
static const double t95[] = {
	0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};

double fl_obj_t95(size_t df)
{
	static const struct { double df, t; } tail[] = {
		{ 30, 2.042 }, { 40, 2.021 }, { 60, 2.000 }, { 120, 1.980 }, { INFINITY, 1.960 },
	};

	if (df == 0)
		return NAN;
	if (df <= 30)
		return t95[df];
	for (size_t i = 1; i < sizeof(tail) / sizeof(tail[0]); i++) {
		if ((double)df <= tail[i].df) {
			double x = 1.0 / (double)df, x0 = 1.0 / tail[i - 1].df, x1 = 1.0 / tail[i].df;

			return tail[i - 1].t + (tail[i].t - tail[i - 1].t) * (x - x0) / (x1 - x0);
		}
	}
	return 1.960;
}

/* A time for `how`: the unit that reads best. */
void fl_obj_dur(char *buf, size_t len, double ns)
{
	double s = ns / NS_PER_S;

	if (isinf(ns))
		snprintf(buf, len, "never");
	else if (isnan(ns))
		snprintf(buf, len, "-");
	else if (s < 1)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else if (s < 120)
		snprintf(buf, len, "%.2f s", s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%.1f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
}

static void judge_max(struct fl_objective_verdict *v, uint64_t max_ns)
{
	v->set = max_ns != UINT64_MAX;
	v->target = v->set ? (double)max_ns : NAN;
	v->judged = v->set && v->status != FL_OBJ_NOT_APPLICABLE;
	v->margin = v->judged ? v->target - v->value : NAN;
	v->pass = v->judged && v->value <= v->target;
}

static void rto(const struct fl_observed *obs, const struct fl_objectives *o,
		struct fl_objective_verdict *v)
{
	size_t never = 0;

	v->n = obs->n_recovery;
	if (!obs->n_recovery) {
		snprintf(v->how, sizeof(v->how), "no trial measured a recovery");
		judge_max(v, o->rto_max_ns);
		return;
	}
	v->status = FL_OBJ_MEASURED;
	v->value = 0;
	for (size_t i = 0; i < obs->n_recovery; i++) {
		if (obs->recovery_ns[i] == UINT64_MAX) {
			never++;
			v->value = INFINITY;
		} else if ((double)obs->recovery_ns[i] > v->value) {
			v->value = (double)obs->recovery_ns[i];
		}
	}
	if (never)
		snprintf(v->how, sizeof(v->how), "measured: the worst of %zu trials; %zu never recovered",
			 obs->n_recovery, never);
	else
		snprintf(v->how, sizeof(v->how), "measured: the worst recovery of %zu trial%s",
			 obs->n_recovery, obs->n_recovery == 1 ? "" : "s");
	judge_max(v, o->rto_max_ns);
}

static void rpo(const struct fl_observed *obs, const struct fl_objectives *o,
		struct fl_objective_verdict *v)
{
	uint64_t lost = 0;

	v->n = obs->n_rpo;
	if (!obs->n_rpo) {
		snprintf(v->how, sizeof(v->how), "no trial measured a data-loss window");
		judge_max(v, o->rpo_max_ns);
		return;
	}
	v->status = FL_OBJ_MEASURED;
	v->value = 0;
	for (size_t i = 0; i < obs->n_rpo; i++) {
		if ((double)obs->rpo_ns[i] > v->value)
			v->value = (double)obs->rpo_ns[i];
		if (obs->lost)
			lost += obs->lost[i];
	}
	snprintf(v->how, sizeof(v->how), "measured: the worst data-loss window of %zu trial%s",
		 obs->n_rpo, obs->n_rpo == 1 ? "" : "s");
	if (obs->lost)
		snprintf(v->how + strlen(v->how), sizeof(v->how) - strlen(v->how),
			 ", %llu acknowledged write%s lost in all", (unsigned long long)lost,
			 lost == 1 ? "" : "s");
	judge_max(v, o->rpo_max_ns);
	/* A zero-loss gate: a window of 0 from losses after the fault is still loss. */
	if (v->judged && o->rpo_max_ns == 0 && lost)
		v->pass = false;
}

static void mttr(const struct fl_observed *obs, const struct fl_objectives *o,
		 struct fl_objective_verdict *v)
{
	double sum = 0, ss = 0, mean, half;
	size_t n = 0, never = 0;
	char a[32], b[32];

	v->ci_low = v->ci_high = NAN;
	for (size_t i = 0; i < obs->n_recovery; i++) {
		if (obs->recovery_ns[i] == UINT64_MAX) {
			never++;
			continue;
		}
		sum += (double)obs->recovery_ns[i];
		n++;
	}
	v->n = n;
	if (!n) {
		snprintf(v->how, sizeof(v->how), obs->n_recovery ?
			 "no trial recovered: no time to average (RTO judges them)" :
			 "no trial measured a recovery");
		judge_max(v, o->mttr_max_ns);
		return;
	}
	mean = sum / (double)n;
	v->status = FL_OBJ_MEASURED;
	v->value = mean;
	if (n >= 2) {
		for (size_t i = 0; i < obs->n_recovery; i++)
			if (obs->recovery_ns[i] != UINT64_MAX)
				ss += ((double)obs->recovery_ns[i] - mean) *
				      ((double)obs->recovery_ns[i] - mean);
		half = fl_obj_t95(n - 1) * sqrt(ss / (double)(n - 1)) / sqrt((double)n);
		v->ci_low = mean - half < 0 ? 0 : mean - half;
		v->ci_high = mean + half;
		fl_obj_dur(a, sizeof(a), v->ci_low);
		fl_obj_dur(b, sizeof(b), v->ci_high);
		snprintf(v->how, sizeof(v->how),
			 "measured: the mean recovery of %zu trials, 95%% interval %s - %s (Student's t, %zu df)",
			 n, a, b, n - 1);
	} else {
		snprintf(v->how, sizeof(v->how),
			 "measured: one trial's recovery; no interval from a single trial");
	}
	if (never)
		snprintf(v->how + strlen(v->how), sizeof(v->how) - strlen(v->how),
			 "; %zu trial%s never recovered, not in the mean (RTO judges %s)", never,
			 never == 1 ? "" : "s", never == 1 ? "it" : "them");
	judge_max(v, o->mttr_max_ns);
}

static double run_ppm(const struct fl_observed *obs)
{
	return (double)obs->up_ns * PPM_ALL / (double)obs->span_ns;
}

static void availability(const struct fl_observed *obs, const struct fl_objectives *o,
			 const struct fl_objective_verdict *m, struct fl_objective_verdict *v)
{
	bool mttr_ok = m->status == FL_OBJ_MEASURED;
	char a[32], b[32];
	double mtbf;

	v->set = o->availability_min_ppm != 0;
	v->target = v->set ? o->availability_min_ppm : NAN;
	fl_obj_dur(b, sizeof(b), m->value);
	/* The run's own is judged when asked and sampled; else the long-run figure. */
	if (mttr_ok && (o->assumed_mtbf_ns ||
			(o->mtbf_min_ns != UINT64_MAX &&
			 !(o->availability_of_run && obs->availability_seen)))) {
		mtbf = (double)(o->assumed_mtbf_ns ? o->assumed_mtbf_ns : o->mtbf_min_ns);
		fl_obj_dur(a, sizeof(a), mtbf);
		v->status = FL_OBJ_DERIVED;
		v->value = mtbf / (mtbf + m->value) * PPM_ALL;
		v->n = m->n;
		snprintf(v->how, sizeof(v->how),
			 "derived, long run: MTBF / (MTBF + MTTR) with the measured MTTR %s and %s %s",
			 b, o->assumed_mtbf_ns ? "the MTBF assumed (given)," : "the MTBF objective,", a);
	} else if (obs->availability_seen && (o->availability_of_run || !v->set)) {
		v->status = FL_OBJ_MEASURED;
		v->value = run_ppm(obs);
		v->n = obs->trials;
		snprintf(v->how, sizeof(v->how), "measured: this run's own, clients' view (%s)",
			 obs->availability_what ? obs->availability_what :
			 "the share of its time in which writes succeeded");
	} else if (obs->availability_seen) {
		/* Not judged: a short run with faults is mostly its faults. */
		v->status = FL_OBJ_MEASURED;
		v->value = run_ppm(obs);
		v->n = obs->trials;
		snprintf(v->how, sizeof(v->how),
			 "measured: this run's own (clients' view), not judged: a short run is mostly "
			 "its faults; no MTTR or MTBF for the long-run figure");
		v->margin = NAN;
		return;
	} else {
		snprintf(v->how, sizeof(v->how), mttr_ok ?
			 "not applicable: no MTBF (assumed or objective) for the long-run figure, "
			 "and the run did not sample the clients' view" :
			 "not applicable: no recovery measured and the clients' view not sampled");
		v->margin = NAN;
		return;
	}
	v->judged = v->set;
	v->margin = v->judged ? v->value - v->target : NAN;
	v->pass = v->judged && v->value >= v->target;
}

static void mtbf(const struct fl_observed *obs, const struct fl_objectives *o,
		 const struct fl_objective_verdict *m, struct fl_objective_verdict *v)
{
	double a_min = o->availability_min_ppm / (double)PPM_ALL, implied;
	char a[32], b[32], c[32];
	size_t len;

	v->set = o->mtbf_min_ns != UINT64_MAX;
	v->target = v->set ? (double)o->mtbf_min_ns : NAN;
	v->margin = NAN;
	if (o->assumed_mtbf_ns) {
		v->status = FL_OBJ_DERIVED;
		v->value = (double)o->assumed_mtbf_ns;
		fl_obj_dur(a, sizeof(a), v->value);
		len = (size_t)snprintf(v->how, sizeof(v->how),
				       "assumed (given as input), not observed: %s", a);
		if (m->status == FL_OBJ_MEASURED && len < sizeof(v->how)) {
			implied = v->value / (v->value + m->value) * 100;
			fl_obj_dur(b, sizeof(b), m->value);
			snprintf(v->how + len, sizeof(v->how) - len,
				 "; with the measured MTTR %s it gives %.4f%% availability", b, implied);
		}
		v->judged = v->set;
		v->margin = v->judged ? v->value - v->target : NAN;
		v->pass = v->judged && v->value >= v->target;
		return;
	}
	if (m->status != FL_OBJ_MEASURED || !o->availability_min_ppm) {
		snprintf(v->how, sizeof(v->how), m->status != FL_OBJ_MEASURED ?
			 "not applicable: no MTTR measured to derive it from, and none assumed" :
			 "not applicable: no availability objective to derive it from, and none assumed");
		return;
	}
	/* The MTBF needed for availability_min: A = MTBF / (MTBF + MTTR). */
	v->status = FL_OBJ_DERIVED;
	v->n = m->n;
	if (m->value == 0)
		v->value = 0;
	else if (o->availability_min_ppm >= PPM_ALL)
		v->value = INFINITY;
	else
		v->value = m->value * a_min / (1 - a_min);
	fl_obj_dur(a, sizeof(a), v->value);
	fl_obj_dur(b, sizeof(b), m->value);
	len = (size_t)snprintf(v->how, sizeof(v->how),
			       "derived, not observed (a short run cannot): to reach %.4g%% with the "
			       "measured MTTR %s, a service must fail at most once every %s "
			       "(MTTR * A / (1 - A)); it passes when the objective is at least that",
			       a_min * 100, b, a);
	if (obs->faults && obs->span_ns && len < sizeof(v->how)) {
		fl_obj_dur(c, sizeof(c), (double)obs->span_ns / (double)obs->faults);
		snprintf(v->how + len, sizeof(v->how) - len,
			 "; the run's own fault rate (one per %s) is the test's, not the service's", c);
	}
	v->judged = v->set;
	v->margin = v->judged ? v->target - v->value : NAN;
	v->pass = v->judged && v->value <= v->target;
}

static bool valid(const struct fl_observed *obs, const struct fl_objectives *o)
{
	if (obs->n_recovery > obs->trials || obs->n_rpo > obs->trials)
		return false;
	if ((obs->n_recovery && !obs->recovery_ns) || (obs->n_rpo && !obs->rpo_ns))
		return false;
	if (obs->availability_seen && (!obs->span_ns || obs->up_ns > obs->span_ns))
		return false;
	return o->availability_min_ppm <= PPM_ALL;
}

int fl_objectives_validate(const struct fl_observed *obs, const struct fl_objectives *o,
			   struct fl_verdict *ret)
{
	struct fl_verdict v;

	if (!obs || !o || !ret || !valid(obs, o))
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	for (int k = 0; k < FL_OBJ_COUNT; k++) {
		v.o[k].kind = (enum fl_objective_kind)k;
		v.o[k].value = v.o[k].target = v.o[k].margin = NAN;
		v.o[k].ci_low = v.o[k].ci_high = NAN;
	}
	rto(obs, o, &v.o[FL_OBJ_RTO]);
	rpo(obs, o, &v.o[FL_OBJ_RPO]);
	mttr(obs, o, &v.o[FL_OBJ_MTTR]);
	availability(obs, o, &v.o[FL_OBJ_MTTR], &v.o[FL_OBJ_AVAILABILITY]);
	mtbf(obs, o, &v.o[FL_OBJ_MTTR], &v.o[FL_OBJ_MTBF]);
	if (obs->availability_seen) {
		v.run_availability_seen = true;
		v.run_availability_ppm = run_ppm(obs);
	}
	v.pass = true;
	for (int k = 0; k < FL_OBJ_COUNT; k++)
		if (v.o[k].judged && !v.o[k].pass)
			v.pass = false;
	*ret = v;
	return 0;
}
