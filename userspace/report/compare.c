// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --compare: the same experiment run twice. RPO and RTO are compared at
 * their worst trial, the figure the objectives judge. Worse means more
 * than threshold_pct above the old value; from an old RPO of 0 (nothing
 * lost) any loss is worse, and a figure that is no longer measured is
 * worse too: a regression check must not pass on missing data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/errbuf.h"
#include "report_priv.h"

static struct fl_rep_delta delta(double old_s, double new_s, double pct)
{
	struct fl_rep_delta d = { .old_s = old_s, .new_s = new_s, .change_pct = NAN };

	if (!isnan(old_s) && !isnan(new_s) && old_s > 0)
		d.change_pct = (new_s - old_s) / old_s * 100;
	if (isnan(old_s))
		d.worse = false;
	else if (isnan(new_s))
		d.worse = true;
	else if (old_s == 0)
		d.worse = new_s > 0;
	else
		d.worse = d.change_pct > pct;
	return d;
}

int fl_report_compare(const struct fl_report_result *old_r, const struct fl_report_result *new_r,
		      double threshold_pct, struct fl_rep_compare *ret, char *errbuf, size_t errlen)
{
	struct fl_rep_compare c = { .threshold_pct = threshold_pct };

	if (old_r->kind != new_r->kind || strcmp(old_r->experiment, new_r->experiment)) {
		fl_errf(errbuf, errlen, "%s and %s are not the same experiment ('%s' against '%s')",
			old_r->file, new_r->file, old_r->experiment, new_r->experiment);
		return -EINVAL;
	}
	if (!old_r->n_trials || !new_r->n_trials) {
		fl_errf(errbuf, errlen, "%s: no trials to compare", old_r->n_trials ? new_r->file :
			old_r->file);
		return -EINVAL;
	}
	if (isnan(threshold_pct) || threshold_pct < 0) {
		fl_errf(errbuf, errlen, "the threshold must be a percentage >= 0");
		return -EINVAL;
	}
	c.rpo = delta(fl_rep_worst(old_r, false), fl_rep_worst(new_r, false), threshold_pct);
	c.rto = delta(fl_rep_worst(old_r, true), fl_rep_worst(new_r, true), threshold_pct);
	c.regression = c.rpo.worse || c.rto.worse;
	*ret = c;
	return 0;
}

static void row(FILE *f, const char *name, const struct fl_rep_delta *d, double old_med,
		double new_med)
{
	char a[32], b[32], m1[32], m2[32];

	rp_fmt_s(a, sizeof(a), d->old_s);
	rp_fmt_s(b, sizeof(b), d->new_s);
	rp_fmt_s(m1, sizeof(m1), old_med);
	rp_fmt_s(m2, sizeof(m2), new_med);
	fprintf(f, "| %s (worst trial) | %s | %s | ", name, a, b);
	if (isnan(d->change_pct))
		fputs("—", f);
	else
		fprintf(f, "%+.1f %%", d->change_pct);
	fprintf(f, " | %s | %s → %s |\n", d->worse ? "❌ worse" : "✅ ok", m1, m2);
}

int fl_report_compare_markdown(FILE *f, const struct fl_report_result *old_r,
			       const struct fl_report_result *new_r, const struct fl_rep_compare *c)
{
	fputs("## faultline report --compare\n\n", f);
	fprintf(f, "`%s` (old) against `%s` (new): ", old_r->file, new_r->file);
	rp_md(f, new_r->experiment);
	fprintf(f, "\n\n| figure | old | new | change | verdict (threshold %.1f %%) | median old → new |\n"
		"|---|---|---|---|---|---|\n", c->threshold_pct);
	row(f, "RPO", &c->rpo, fl_rep_median(old_r, false), fl_rep_median(new_r, false));
	row(f, "RTO", &c->rto, fl_rep_median(old_r, true), fl_rep_median(new_r, true));
	fprintf(f, "\n%s\n", c->regression ? "**Regression**: RPO or RTO got worse beyond the threshold."
		: "No regression beyond the threshold.");
	return ferror(f) ? -EIO : 0;
}
