// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Markdown for a pull request's comment: per result, the objectives and the trials. */
#include <errno.h>
#include <stdio.h>

#include "report_priv.h"

static const char *verdict(const struct fl_rep_objective *o)
{
	if (o->status == FL_REP_NOT_MEASURED)
		return "not measured";
	if (!o->set)
		return "no objective";
	if (!o->judged)
		return "not judged";
	return o->pass ? "✅ pass" : "❌ FAIL";
}

static void margin(char *buf, size_t len, enum fl_rep_objective_kind k, const struct fl_rep_objective *o)
{
	if (isnan(o->margin))
		snprintf(buf, len, "—");
	else if (k == FL_REP_OBJ_AVAILABILITY)
		snprintf(buf, len, "%+.3f pp", o->margin * 100);
	else {
		rp_fmt_s(buf + 1, len - 1, fabs(o->margin));
		buf[0] = o->margin < 0 ? '-' : '+';
	}
}

static void result(FILE *f, const struct fl_report_result *r)
{
	fputs("### ", f);
	rp_md(f, r->title);
	fputs("\n\n`", f);
	fputs(r->file, f);
	fprintf(f, "` (%s)\n\n", r->schema);
	if (r->kind == FL_REP_EVENTS) {
		for (size_t i = 0; i < r->n_env; i++) {
			fprintf(f, "- %s: ", r->env[i].key);
			rp_md(f, r->env[i].value);
			fputc('\n', f);
		}
		fputc('\n', f);
		return;
	}
	fputs("| objective | target | value | margin | status | verdict |\n"
	      "|---|---|---|---|---|---|\n", f);
	for (int k = 0; k < FL_REP_OBJ_COUNT; k++) {
		const struct fl_rep_objective *o = &r->obj[k];
		char v[128], t[32], m[40];

		rp_fmt_objective(v, sizeof(v), k, o);
		rp_fmt_value(t, sizeof(t), k, o->target);
		margin(m, sizeof(m), k, o);
		fprintf(f, "| %s | %s %s | %s | %s | %s | %s |\n", fl_rep_objective_name(k),
			isnan(o->target) ? "" : o->at_most ? "≤" : "≥", t, v, m,
			fl_rep_status_name(o->status), verdict(o));
	}
	fputs("\n| trial | RPO | RTO | acknowledged | lost | note |\n|---|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rep_trial *t = &r->trials[i];
		char a[32], b[32];

		rp_fmt_s(a, sizeof(a), t->rpo_s);
		rp_fmt_s(b, sizeof(b), t->rto_s);
		fprintf(f, "| %u | %s | %s | ", t->index, a, b);
		if (t->acknowledged >= 0)
			fprintf(f, "%lld", (long long)t->acknowledged);
		else
			fputs("—", f);
		fputs(" | ", f);
		if (t->lost >= 0)
			fprintf(f, "%lld", (long long)t->lost);
		else
			fputs("—", f);
		fputs(" | ", f);
		if (!t->measured)
			fputs("not measured: ", f);
		rp_md(f, t->error);
		fputs(" |\n", f);
	}
	fputc('\n', f);
}

int fl_report_markdown(FILE *f, const struct fl_report_result *const *r, size_t n)
{
	fputs("## faultline report\n\n", f);
	for (size_t i = 0; i < n; i++)
		result(f, r[i]);
	return ferror(f) ? -EIO : 0;
}
