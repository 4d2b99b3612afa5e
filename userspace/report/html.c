// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTML report: one file, no script, no external resource. Plots are
 * gnuplot's SVG inlined; the page's style is inline CSS. A plot that
 * cannot be drawn leaves a note saying why, and what a result does not
 * hold is said to be "not in this result".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <unistd.h>

#include "core/errbuf.h"
#include "plots.h"
#include "report_priv.h"

static const char css[] =
	"body{font-family:'DejaVu Sans',system-ui,sans-serif;margin:0;background:#f4f5f7;color:#222}"
	"header{background:#1f2a38;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}"
	"header p{margin:4px 0 0;color:#b8c4d3;font-size:13px}header a{color:#d8e2ee}"
	"main{max-width:1020px;margin:0 auto;padding:16px}"
	"section.result{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);"
	"padding:18px 24px;margin:18px 0}"
	"h2{font-size:19px;margin:0 0 4px}h4{font-size:13px;margin:14px 0 0;color:#444}h3{font-size:15px;margin:22px 0 8px;color:#1f2a38}"
	".file{color:#666;font-size:12px;font-family:monospace}"
	"table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}"
	"th,td{padding:5px 9px;text-align:left;border-bottom:1px solid #e3e6ea}"
	"th{background:#eef1f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	".pass,.fail,.nm{white-space:nowrap}.pass{background:#dff3e3;color:#146c2e;font-weight:600;padding:2px 8px;border-radius:10px}"
	".fail{background:#fbe0e0;color:#a11;font-weight:600;padding:2px 8px;border-radius:10px}"
	".nm{background:#eceff3;color:#666;padding:2px 8px;border-radius:10px}"
	".how{color:#666;font-size:12px}.note{color:#777;font-style:italic;font-size:13px;margin:6px 0}"
	"figure{margin:8px 0 14px}figure svg{width:100%;height:auto;display:block}"
	"figcaption{font-size:12px;color:#555;margin-top:2px}"
	".summary{display:flex;gap:12px;flex-wrap:wrap;margin:10px 0}"
	".card{flex:1;min-width:140px;background:#f7f8fa;border-radius:6px;padding:8px 12px}"
	"table.env th{width:200px}.card b{display:block;font-size:20px}.card span{font-size:12px;color:#666}";

static void esc(FILE *f, const char *s)
{
	rp_xml(f, s);
}

static void badge(FILE *f, const struct fl_rep_objective *o)
{
	if (o->status == FL_REP_NOT_MEASURED)
		fputs("<span class=\"nm\">not measured</span>", f);
	else if (!o->set)
		fputs("<span class=\"nm\">no objective</span>", f);
	else if (!o->judged)
		fputs("<span class=\"nm\">not judged</span>", f);
	else if (o->pass)
		fputs("<span class=\"pass\">pass</span>", f);
	else
		fputs("<span class=\"fail\">FAIL</span>", f);
}

static void objectives(FILE *f, const struct fl_report_result *r)
{
	fputs("<h3>Objectives</h3><table><tr><th>objective</th><th>target</th><th>value</th>"
	      "<th>margin</th><th>verdict</th><th>how</th></tr>\n", f);
	for (int k = 0; k < FL_REP_OBJ_COUNT; k++) {
		const struct fl_rep_objective *o = &r->obj[k];
		char v[128], t[32], m[40] = "—";

		rp_fmt_value(v, sizeof(v), k, o->value);
		if (k == FL_REP_OBJ_MTBF && o->at_most && !isnan(o->value)) {
			memmove(v + 7, v, strlen(v) + 1);
			memcpy(v, "needed ", 7);
		}
		rp_fmt_value(t, sizeof(t), k, o->target);
		if (!isnan(o->margin) && k == FL_REP_OBJ_AVAILABILITY)
			snprintf(m, sizeof(m), "%+.3f pp", o->margin * 100);
		else if (!isnan(o->margin)) {
			rp_fmt_s(m + 1, sizeof(m) - 1, fabs(o->margin));
			m[0] = o->margin < 0 ? '-' : '+';
		}
		fprintf(f, "<tr><td>%s</td><td class=\"num\">%s %s</td><td class=\"num\">%s",
			fl_rep_objective_name(k), isnan(o->target) ? "" : o->at_most ? "&le;" : "&ge;",
			t, v);
		if (!isnan(o->ci_low) && !isnan(o->ci_high)) {
			char lo[32], hi[32];

			/* The interval under the value, small: the column stays narrow. */
			rp_fmt_value(lo, sizeof(lo), k, o->ci_low);
			rp_fmt_value(hi, sizeof(hi), k, o->ci_high);
			fprintf(f, "<br><span class=\"how\">95 %% CI %s – %s</span>", lo, hi);
		}
		fprintf(f, "</td><td class=\"num\">%s</td><td>", m);
		badge(f, o);
		fprintf(f, " <span class=\"how\">%s</span></td><td class=\"how\">",
			o->status == FL_REP_NOT_MEASURED ? "" : fl_rep_status_name(o->status));
		esc(f, o->how);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void count(FILE *f, int64_t v)
{
	if (v < 0)
		fputs("<td class=\"num\">—</td>", f);
	else
		fprintf(f, "<td class=\"num\">%lld</td>", (long long)v);
}

static void trials(FILE *f, const struct fl_report_result *r)
{
	fputs("<h3>Trials</h3><table><tr><th>trial</th><th>RPO</th><th>RTO</th>"
	      "<th>availability</th><th>attempted</th><th>acknowledged</th><th>lost</th>"
	      "<th>recovery phases</th><th>note</th></tr>\n", f);
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rep_trial *t = &r->trials[i];
		char a[32], b[32], c[32];

		rp_fmt_s(a, sizeof(a), t->rpo_s);
		rp_fmt_s(b, sizeof(b), t->rto_s);
		rp_fmt_value(c, sizeof(c), FL_REP_OBJ_AVAILABILITY, t->availability);
		fprintf(f, "<tr><td>%u</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
			"<td class=\"num\">%s</td>", t->index, a, b, c);
		count(f, t->attempted);
		count(f, t->acknowledged);
		count(f, t->lost);
		fputs("<td class=\"how\">", f);
		for (size_t k = 0; k < t->n_phases; k++) {
			rp_fmt_s(a, sizeof(a), t->phases[k].s);
			fprintf(f, "%s%s %s", k ? ", " : "", t->phases[k].name, a);
		}
		fputs("</td><td class=\"how\">", f);
		if (!t->measured)
			fputs("<span class=\"fail\">not measured</span> ", f);
		esc(f, t->error);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void environment(FILE *f, const struct fl_report_result *r)
{
	size_t i;

	fputs("<h3>Environment</h3><table class=\"env\">\n", f);
	for (i = 0; i < r->n_env; i++) {
		fputs("<tr><th>", f);
		esc(f, r->env[i].key);
		fputs("</th><td>", f);
		esc(f, r->env[i].value);
		fputs("</td></tr>\n", f);
	}
	for (i = 0; i < r->n_env && strcmp(r->env[i].key, "kernel"); i++)
		;
	if (i == r->n_env)
		fputs("<tr><th>kernel, versions</th><td class=\"note\">not in this result</td></tr>\n", f);
	fprintf(f, "<tr><th>result schema</th><td>%s</td></tr></table>\n", r->schema);
}

static void figure(FILE *f, char *svg, const char *caption, const char *why, unsigned *errors)
{
	fputs("<figure>", f);
	if (svg) {
		fputs(svg, f);
		free(svg);
	} else {
		fputs("<p class=\"note\">Plot not drawn: ", f);
		esc(f, why);
		fputs("</p>", f);
		(*errors)++;
	}
	fputs("<figcaption>", f);
	esc(f, caption);
	fputs("</figcaption></figure>\n", f);
}

static void plots(FILE *f, struct rp_plotter *p, const struct fl_report_result *r,
		  unsigned max_trials, unsigned *errors)
{
	char why[512], cap[300];
	size_t shown = 0;

	if (r->kind == FL_REP_EVENTS) {
		fputs("<h3>Injections over time</h3>", f);
		figure(f, rp_plot_events(p, r, why, sizeof(why)), "injections per interval", why, errors);
		return;
	}
	fputs("<h3>Throughput and latency over time</h3>\n", f);
	for (size_t i = 0; i < r->n_trials && shown < max_trials; i++) {
		const struct fl_rep_trial *t = &r->trials[i];

		if (!t->has_ops)
			continue;
		shown++;
		fprintf(f, "<h4>Trial %u</h4>\n", t->index);
		snprintf(cap, sizeof(cap), "Trial %u: writes per second and their latency; shaded: %s",
			 t->index, r->kind == FL_REP_SCENARIO ?
			 "each fault, from its start to its undo or the next heal" :
			 "the fault, from its start to the first acknowledged write after it "
			 "(a network fault: to its heal)");
		figure(f, rp_plot_timeseries(p, t, why, sizeof(why)), cap, why, errors);
		snprintf(cap, sizeof(cap), "Trial %u: acknowledged writes and, on the right axis, "
			 "those of them that were lost, on the same time axis", t->index);
		figure(f, rp_plot_acked_lost(p, t, why, sizeof(why)), cap, why, errors);
	}
	if (!shown) {
		fputs("<p class=\"note\">Throughput, latency, acknowledged and lost writes over time: "
		      "not in this result (it carries no write history).</p>\n", f);
		for (size_t i = 0; i < r->n_trials && i < max_trials; i++)
			if (r->trials[i].n_windows) {
				snprintf(cap, sizeof(cap), "Trial %u: backups and the fault (until the "
					 "restore's end) over time", r->trials[i].index);
				figure(f, rp_plot_windows(p, &r->trials[i], why, sizeof(why)), cap, why,
				       errors);
			}
	} else if (shown < r->n_trials) {
		fprintf(f, "<p class=\"note\">Time series shown for the first %zu of %zu trials.</p>\n",
			shown, r->n_trials);
	}
	fputs("<h3>Recovery phases</h3>\n", f);
	figure(f, rp_plot_phases(p, r, why, sizeof(why)),
	       "Each trial's recovery, phase by phase, from the fault on", why, errors);
	fputs("<h3>RPO and RTO over trials</h3>\n", f);
	{
		char a[32], b[32];

		rp_fmt_s(a, sizeof(a), r->obj[FL_REP_OBJ_RPO].target);
		rp_fmt_s(b, sizeof(b), r->obj[FL_REP_OBJ_RTO].target);
		snprintf(cap, sizeof(cap), "Per measured trial; the dashed line is the objective "
			 "when it is on the scale (RPO objective %s, RTO objective %s)", a, b);
	}
	figure(f, rp_plot_distribution(p, r, why, sizeof(why)), cap, why, errors);
}

static void cards(FILE *f, const struct fl_report_result *r)
{
	size_t measured = 0;
	char a[32], b[32];

	for (size_t i = 0; i < r->n_trials; i++)
		measured += r->trials[i].measured;
	rp_fmt_s(a, sizeof(a), fl_rep_worst(r, false));
	rp_fmt_s(b, sizeof(b), fl_rep_worst(r, true));
	fprintf(f, "<div class=\"summary\"><div class=\"card\"><b>%zu / %zu</b><span>trials measured"
		"</span></div><div class=\"card\"><b>%s</b><span>worst RPO</span></div>"
		"<div class=\"card\"><b>%s</b><span>worst RTO</span></div>", measured, r->n_trials, a, b);
	{
		int pass = 0, fail = 0;

		for (int k = 0; k < FL_REP_OBJ_COUNT; k++) {
			pass += r->obj[k].pass;
			fail += r->obj[k].judged && !r->obj[k].pass;
		}
		fprintf(f, "<div class=\"card\"><b>%d pass, %d fail</b><span>objectives (of 5; the "
			"rest not measured or not set)</span></div>", pass, fail);
	}
	fputs("</div>\n", f);
}

static void rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096 + 512];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int fl_report_html(FILE *f, const struct fl_report_result *const *r, size_t n,
		   const struct fl_report_html_opts *o, unsigned *ret_plot_errors,
		   char *errbuf, size_t errlen)
{
	const char *tmp = o && o->tmpdir ? o->tmpdir : getenv("TMPDIR");
	struct rp_plotter p = { .gnuplot = o && o->gnuplot ? o->gnuplot : "gnuplot",
				.timeout_ms = o && o->plot_timeout_ms ? o->plot_timeout_ms : 20000 };
	unsigned max_trials = o && o->max_trials ? o->max_trials : 3, errors = 0;
	char dir[4096];
	struct utsname u;

	snprintf(dir, sizeof(dir), "%s/faultline-report.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		int err = -errno;

		fl_errf(errbuf, errlen, "%s: %s", dir, strerror(errno));
		return err;
	}
	p.dir = dir;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\">"
	      "<title>faultline report</title><style>", f);
	fputs(css, f);
	fputs("</style></head><body><header><h1>faultline report</h1><p>", f);
	/* With several results, the header is their table of contents. */
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s<a href=\"#r%zu\">", i ? " · " : "", i + 1);
		esc(f, r[i]->title);
		fputs("</a>", f);
	}
	fprintf(f, "</p><p>generated by faultline %s%s%s</p></header><main>\n", FL_VERSION,
		uname(&u) ? "" : " on Linux ", uname(&u) ? "" : u.release);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<section class=\"result\" id=\"r%zu\"><h2>", i + 1);
		esc(f, r[i]->title);
		fputs("</h2><div class=\"file\">", f);
		esc(f, r[i]->file);
		fprintf(f, " · %s</div>\n", r[i]->schema);
		if (r[i]->kind != FL_REP_EVENTS) {
			cards(f, r[i]);
			objectives(f, r[i]);
			trials(f, r[i]);
		}
		plots(f, &p, r[i], max_trials, &errors);
		environment(f, r[i]);
		fputs("</section>\n", f);
	}
	fputs("</main></body></html>\n", f);
	rmtree(dir);
	if (ret_plot_errors)
		*ret_plot_errors = errors;
	if (ferror(f)) {
		fl_errf(errbuf, errlen, "writing the page failed");
		return -EIO;
	}
	return 0;
}
