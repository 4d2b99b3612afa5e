// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JUnit XML as GitLab and Jenkins read it: <testsuites> with tests,
 * failures, errors and time; a <testsuite> per result; a <testcase> per
 * trial (error: the trial could not measure; failure: it broke RPO or
 * RTO) and per objective (failure: by how much; skipped: not measured).
 */
#include <errno.h>
#include <stdio.h>

#include "report_priv.h"

static double trial_time(const struct fl_rep_trial *t)
{
	return isnan(t->span_s) || t->span_s < 0 ? 0 : t->span_s;
}

/* Does trial t break objective k of r? The sentence into msg. */
static bool trial_breaks(const struct fl_report_result *r, const struct fl_rep_trial *t,
			 enum fl_rep_objective_kind k, char *msg, size_t len)
{
	const struct fl_rep_objective *o = &r->obj[k];
	double v = k == FL_REP_OBJ_RPO ? t->rpo_s : t->rto_s;
	char a[32], b[32], d[32];

	if (!o->set || isnan(o->target) || isnan(v) || v <= o->target)
		return false;
	rp_fmt_s(a, sizeof(a), v);
	rp_fmt_s(b, sizeof(b), o->target);
	rp_fmt_s(d, sizeof(d), v - o->target);
	snprintf(msg, len, "trial %u: %s %s exceeds the objective %s by %s", t->index,
		 k == FL_REP_OBJ_RPO ? "RPO" : "RTO", a, b, d);
	return true;
}

static void suite(FILE *f, const struct fl_report_result *r)
{
	size_t tests = r->n_trials + FL_REP_OBJ_COUNT, failures = 0, errors = 0, skipped = 0;
	double time = 0;
	char msg[768], cls[300];

	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rep_trial *t = &r->trials[i];

		time += trial_time(t);
		if (!t->measured)
			errors++;
		else if (trial_breaks(r, t, FL_REP_OBJ_RPO, msg, sizeof(msg)) ||
			 trial_breaks(r, t, FL_REP_OBJ_RTO, msg, sizeof(msg)))
			failures++;
	}
	for (int k = 0; k < FL_REP_OBJ_COUNT; k++) {
		const struct fl_rep_objective *o = &r->obj[k];

		if (!o->judged)
			skipped++;
		else if (!o->pass)
			failures++;
	}
	snprintf(cls, sizeof(cls), "faultline.%s", fl_rep_kind_name(r->kind));
	fputs("  <testsuite name=\"", f);
	rp_xml(f, r->file);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		tests, failures, errors, skipped, time);
	fputs("    <properties>\n", f);
	for (size_t i = 0; i < r->n_env; i++) {
		fputs("      <property name=\"", f);
		rp_xml(f, r->env[i].key);
		fputs("\" value=\"", f);
		rp_xml(f, r->env[i].value);
		fputs("\"/>\n", f);
	}
	fputs("    </properties>\n", f);
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rep_trial *t = &r->trials[i];
		char a[32], b[32];

		fprintf(f, "    <testcase name=\"trial %u\" classname=\"", t->index);
		rp_xml(f, cls);
		fprintf(f, ".trials\" time=\"%.3f\"", trial_time(t));
		if (!t->measured) {
			fputs(">\n      <error type=\"not measured\" message=\"", f);
			rp_xml(f, t->error[0] ? t->error : "the trial could not measure");
			fputs("\"/>\n    </testcase>\n", f);
			continue;
		}
		if (trial_breaks(r, t, FL_REP_OBJ_RPO, msg, sizeof(msg)) ||
		    trial_breaks(r, t, FL_REP_OBJ_RTO, msg, sizeof(msg))) {
			fputs(">\n      <failure type=\"objective\" message=\"", f);
			rp_xml(f, msg);
			fputs("\"/>\n", f);
		} else {
			fputs(">\n", f);
		}
		rp_fmt_s(a, sizeof(a), t->rpo_s);
		rp_fmt_s(b, sizeof(b), t->rto_s);
		fprintf(f, "      <system-out>RPO %s, RTO %s, %lld acknowledged, %lld lost</system-out>\n",
			a, b, (long long)t->acknowledged, (long long)t->lost);
		fputs("    </testcase>\n", f);
	}
	for (int k = 0; k < FL_REP_OBJ_COUNT; k++) {
		const struct fl_rep_objective *o = &r->obj[k];
		char v[128], tg[32], m[32];

		fprintf(f, "    <testcase name=\"objective %s\" classname=\"", fl_rep_objective_name(k));
		rp_xml(f, cls);
		fputs(".objectives\" time=\"0\">\n", f);
		rp_fmt_objective(v, sizeof(v), k, o);
		rp_fmt_value(tg, sizeof(tg), k, o->target);
		if (k == FL_REP_OBJ_AVAILABILITY)
			snprintf(m, sizeof(m), "%.3f percentage points", fabs(o->margin) * 100);
		else
			rp_fmt_s(m, sizeof(m), fabs(o->margin));
		if (!o->judged) {
			snprintf(msg, sizeof(msg), "%s: %s", o->status == FL_REP_NOT_MEASURED ?
				 "not measured" : !o->set ? "no objective set" : "not judged", o->how);
			fputs("      <skipped message=\"", f);
			rp_xml(f, msg);
			fputs("\"/>\n", f);
		} else if (!o->pass) {
			snprintf(msg, sizeof(msg), "%s %s %s the objective %s %s by %s (%s)",
				 fl_rep_objective_name(k), v, o->at_most ? "exceeds" : "is below",
				 o->at_most ? "<=" : ">=", tg, m, o->how);
			fputs("      <failure type=\"objective\" message=\"", f);
			rp_xml(f, msg);
			fputs("\"/>\n", f);
		} else {
			fprintf(f, "      <system-out>%s %s, objective %s, margin %s (%s)</system-out>\n",
				fl_rep_status_name(o->status), v, tg, m, o->how);
		}
		fputs("    </testcase>\n", f);
	}
	fputs("  </testsuite>\n", f);
}

int fl_report_junit(FILE *f, const struct fl_report_result *const *r, size_t n)
{
	size_t tests = 0, failures = 0, errors = 0;
	double time = 0;

	/* The totals again at the top, where GitLab and Jenkins look first. */
	for (size_t i = 0; i < n; i++) {
		char msg[256];

		tests += r[i]->n_trials + FL_REP_OBJ_COUNT;
		for (size_t k = 0; k < r[i]->n_trials; k++) {
			const struct fl_rep_trial *t = &r[i]->trials[k];

			time += trial_time(t);
			errors += !t->measured;
			failures += t->measured &&
				    (trial_breaks(r[i], t, FL_REP_OBJ_RPO, msg, sizeof(msg)) ||
				     trial_breaks(r[i], t, FL_REP_OBJ_RTO, msg, sizeof(msg)));
		}
		for (int k = 0; k < FL_REP_OBJ_COUNT; k++)
			failures += r[i]->obj[k].judged && !r[i]->obj[k].pass;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"faultline report\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"time=\"%.3f\">\n", tests, failures, errors, time);
	for (size_t i = 0; i < n; i++)
		suite(f, r[i]);
	fputs("</testsuites>\n", f);
	return ferror(f) ? -EIO : 0;
}
