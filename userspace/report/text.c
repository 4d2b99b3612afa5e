// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Figures as people read them, and text made safe for XML, HTML and Markdown. */
#include <stdio.h>
#include <string.h>

#include "report_priv.h"

void rp_fmt_s(char *buf, size_t len, double s)
{
	double a = fabs(s);

	if (isnan(s))
		snprintf(buf, len, "—");
	else if (a == 0)
		snprintf(buf, len, "0 s");
	else if (a < 1e-3)
		snprintf(buf, len, "%.1f µs", s * 1e6);
	else if (a < 1)
		snprintf(buf, len, "%.1f ms", s * 1e3);
	else if (a < 120)
		snprintf(buf, len, "%.2f s", s);
	else if (a < 7200)
		snprintf(buf, len, "%.1f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
}

void rp_fmt_value(char *buf, size_t len, enum fl_rep_objective_kind k, double v)
{
	if (k == FL_REP_OBJ_AVAILABILITY && !isnan(v)) {
		/* Never round a shortfall up to a perfect 100 %. */
		for (int d = 3; d <= 9; d++) {
			snprintf(buf, len, "%.*f %%", d, v * 100);
			if (v >= 1 || strncmp(buf, "100.", 4))
				break;
		}
	}
	else
		rp_fmt_s(buf, len, v);
}

void rp_fmt_objective(char *buf, size_t len, enum fl_rep_objective_kind k,
		      const struct fl_rep_objective *o)
{
	char v[32], lo[32], hi[32];

	rp_fmt_value(v, sizeof(v), k, o->value);
	if (isnan(o->ci_low) || isnan(o->ci_high)) {
		snprintf(buf, len, "%s%s", k == FL_REP_OBJ_MTBF && o->at_most ? "needed " : "", v);
		return;
	}
	rp_fmt_value(lo, sizeof(lo), k, o->ci_low);
	rp_fmt_value(hi, sizeof(hi), k, o->ci_high);
	snprintf(buf, len, "%s (95 %% CI %s – %s)", v, lo, hi);
}

void rp_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '<')
			fputs("&lt;", f);
		else if (ch == '>')
			fputs("&gt;", f);
		else if (ch == '&')
			fputs("&amp;", f);
		else if (ch == '"')
			fputs("&quot;", f);
		else if (ch == '\'')
			fputs("&apos;", f);
		else if (ch < 0x20 && ch != '\t' && ch != '\n')
			fputc(' ', f); /* not allowed in XML 1.0 at all */
		else
			fputc(ch, f);
	}
}

void rp_md(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '`' || *s == '*' || *s == '_' || *s == '<')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
}
