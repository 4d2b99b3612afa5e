// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gnuplot scripts for the report. Text from a result reaches gnuplot only
 * inside single-quoted strings (quotes doubled) with enhanced text off,
 * so a label cannot become a command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errbuf.h"
#include "plots.h"
#include "report_gnuplot.h"
#include "report_priv.h"

#define PALETTE_FAULT "#d62728"
#define PALETTE_BACKUP "#2ca02c"

static const char *const phase_colors[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
					    "#59a14f", "#edc948", "#b07aa1", "#ff9da7" };

struct plot {
	char dat[4096], gp[4096], svg[4096];
	FILE *d, *g;
};

static int plot_open(struct rp_plotter *p, struct plot *pl, int width, int height, char *err,
		     size_t len)
{
	unsigned n = p->n++;

	snprintf(pl->dat, sizeof(pl->dat), "%s/p%u.dat", p->dir, n);
	snprintf(pl->gp, sizeof(pl->gp), "%s/p%u.gp", p->dir, n);
	snprintf(pl->svg, sizeof(pl->svg), "%s/p%u.svg", p->dir, n);
	pl->d = fopen(pl->dat, "we");
	pl->g = fopen(pl->gp, "we");
	if (!pl->d || !pl->g) {
		fl_errf(err, len, "%s: %s", p->dir, strerror(errno));
		if (pl->d)
			fclose(pl->d);
		if (pl->g)
			fclose(pl->g);
		return -errno;
	}
	fprintf(pl->g, "set terminal svg size %d,%d noenhanced font 'DejaVu Sans,11' "
		"background rgb '#ffffff'\nset output '%s'\nset datafile missing '?'\n"
		"set border lc rgb '#555555'\nset grid lc rgb '#dddddd' lt 1\n"
		"set key top right opaque box lc rgb '#cccccc' font ',10'\n"
		"set tics font ',10'\n", width, height, pl->svg);
	return 0;
}

static void quote(FILE *g, const char *s)
{
	fputc('\'', g);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', g);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, g);
	}
	fputc('\'', g);
}

/*
 * gnuplot names the same ids in every SVG (gpPt0, textbox, ...): inlined
 * side by side they would repeat in the page, so each plot's get a
 * prefix of their own, and so do the references to them.
 */
static char *prefix_ids(char *svg, unsigned n)
{
	static const char *const marks[] = { "id='", "id=\"", "href='#", "href=\"#", "url(#" };
	size_t len = strlen(svg), hits = 0, o = 0;
	char prefix[16], *out;

	snprintf(prefix, sizeof(prefix), "p%u-", n);
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		for (const char *s = svg; (s = strstr(s, marks[i])); s++)
			hits++;
	out = malloc(len + hits * strlen(prefix) + 1);
	if (!out)
		return svg; /* unique ids are nicer, not needed: keep the plot */
	for (const char *s = svg; *s;) {
		size_t i;

		for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
			if (!strncmp(s, marks[i], strlen(marks[i])))
				break;
		if (i < sizeof(marks) / sizeof(marks[0])) {
			memcpy(out + o, marks[i], strlen(marks[i]));
			o += strlen(marks[i]);
			s += strlen(marks[i]);
			memcpy(out + o, prefix, strlen(prefix));
			o += strlen(prefix);
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = 0;
	free(svg);
	return out;
}

static char *plot_run(struct rp_plotter *p, struct plot *pl, char *err, size_t len)
{
	char *svg = NULL;
	int e1 = fclose(pl->d), e2 = fclose(pl->g);

	if (e1 || e2) {
		fl_errf(err, len, "%s: could not write the plot's data", p->dir);
		return NULL;
	}
	if (rp_gnuplot_run(p->gnuplot, p->dir, pl->gp, pl->svg, p->timeout_ms, &svg, err, len))
		return NULL;
	return prefix_ids(svg, p->n);
}

/* Fault windows shaded, with their labels, on every panel that follows. */
static void shade(FILE *g, const struct fl_rep_trial *t, bool labels)
{
	for (size_t i = 0; i < t->n_windows; i++) {
		const struct fl_rep_window *w = &t->windows[i];
		bool backup = !strncmp(w->label, "backup", 6);
		double to = w->to_s > w->from_s ? w->to_s : w->from_s + 1e-3;

		fprintf(g, "set object %zu rect from %.6f, graph 0 to %.6f, graph 1 behind "
			"fc rgb '%s' fs transparent solid %s noborder\n", i + 1, w->from_s, to,
			backup ? PALETTE_BACKUP : PALETTE_FAULT, backup ? "0.12" : "0.18");
		if (labels && !backup) {
			fprintf(g, "set label %zu ", i + 1);
			quote(g, w->label);
			fprintf(g, " at %.6f, graph 0.93 left front font ',10' tc rgb '%s' offset 0.4,0\n",
				w->from_s, PALETTE_FAULT);
		}
	}
}

static double bucket_of(double span)
{
	static const double steps[] = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 150)
			return steps[i];
	return span / 150;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

char *rp_plot_timeseries(struct rp_plotter *p, const struct fl_rep_trial *t, char *err, size_t len)
{
	double span = isnan(t->span_s) || t->span_s <= 0 ? 1 : t->span_s, b = bucket_of(span);
	size_t nb = (size_t)(span / b) + 1;
	size_t *ok = calloc(nb, sizeof(*ok)), *bad = calloc(nb, sizeof(*bad)), *cnt = calloc(nb, sizeof(*cnt));
	double **lat = calloc(nb, sizeof(*lat));
	struct plot pl;
	char *svg = NULL;

	if (!ok || !bad || !cnt || !lat) {
		fl_errf(err, len, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->n_ops; i++) {
		size_t k = (size_t)(t->ops[i].complete_s / b);

		if (t->ops[i].complete_s < 0 || k >= nb)
			continue;
		if (t->ops[i].outcome == FL_REP_OP_OK)
			ok[k]++;
		else
			bad[k]++;
	}
	for (size_t k = 0; k < nb; k++)
		if (ok[k] + bad[k] && !(lat[k] = malloc((ok[k] + bad[k]) * sizeof(double)))) {
			fl_errf(err, len, "out of memory");
			goto out;
		}
	for (size_t i = 0; i < t->n_ops; i++) {
		size_t k = (size_t)(t->ops[i].complete_s / b);

		if (t->ops[i].complete_s >= 0 && k < nb && t->ops[i].outcome == FL_REP_OP_OK)
			lat[k][cnt[k]++] = (t->ops[i].complete_s - t->ops[i].invoke_s) * 1e3;
	}
	if (plot_open(p, &pl, 960, 440, err, len))
		goto out;
	for (size_t k = 0; k < nb; k++) {
		/* The last bucket is cut by the end of the load: a rate over what it covers. */
		double w = k + 1 < nb ? b : span - k * b;

		if (w < b / 4)
			break;
		fprintf(pl.d, "%.6f %.3f %.3f ", k * b + w / 2, ok[k] / w, bad[k] / w);
		if (cnt[k]) {
			qsort(lat[k], cnt[k], sizeof(double), cmp_double);
			fprintf(pl.d, "%.4f %.4f\n", lat[k][cnt[k] / 2], lat[k][cnt[k] - 1]);
		} else {
			fputs("NaN NaN\n", pl.d);
		}
	}
	/* The same left and right edges as the acknowledged/lost plot: one time axis down the page. */
	fprintf(pl.g, "set multiplot layout 2,1 margins 0.08,0.91,0.11,0.95 spacing 0,0.07\n"
		"set xrange [0:%.6f]\nset format x ''\nset ylabel 'writes/s'\nset yrange [0:*]\n",
		span);
	shade(pl.g, t, true);
	fprintf(pl.g, "plot '%s' using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'acknowledged/s', "
		"'' using 1:3 with lines lw 1.5 lc rgb '#ff7f0e' title 'failed or unknown/s'\n", pl.dat);
	fprintf(pl.g, "unset label\nset format x '%%g'\nset xlabel 'seconds since the load started'\n"
		"set ylabel 'latency (ms)'\nset logscale y\nset yrange [*:*]\n"
		"plot '%s' using 1:4 with lines lw 2 lc rgb '#2ca02c' title 'median', "
		"'' using 1:5 with lines lw 1 lc rgb '#9467bd' title 'max'\nunset multiplot\n", pl.dat);
	svg = plot_run(p, &pl, err, len);
out:
	for (size_t k = 0; lat && k < nb; k++)
		free(lat[k]);
	free(lat);
	free(ok);
	free(bad);
	free(cnt);
	return svg;
}

char *rp_plot_acked_lost(struct rp_plotter *p, const struct fl_rep_trial *t, char *err, size_t len)
{
	double *acked = malloc((t->n_ops + 1) * sizeof(double));
	size_t n = 0, lost = 0;
	struct plot pl;
	char *svg = NULL;

	if (!acked) {
		fl_errf(err, len, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < t->n_ops; i++)
		if (t->ops[i].outcome == FL_REP_OP_OK)
			acked[n++] = t->ops[i].complete_s;
	qsort(acked, n, sizeof(double), cmp_double);
	if (plot_open(p, &pl, 960, 300, err, len))
		goto out;
	/* Cumulative, by acknowledgement time; lost ones counted at the moment they were acknowledged. */
	{
		double *l = malloc((t->n_ops + 1) * sizeof(double));
		size_t nl = 0, j = 0;

		if (!l) {
			fclose(pl.d);
			fclose(pl.g);
			fl_errf(err, len, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < t->n_ops; i++)
			if (t->ops[i].outcome == FL_REP_OP_OK && t->ops[i].lost)
				l[nl++] = t->ops[i].complete_s;
		qsort(l, nl, sizeof(double), cmp_double);
		fprintf(pl.d, "0 0 0\n");
		for (size_t i = 0; i < n; i += n > 2000 ? n / 2000 : 1) {
			while (j < nl && l[j] <= acked[i])
				j++;
			fprintf(pl.d, "%.6f %zu %zu\n", acked[i], i + 1, j);
		}
		if (n)
			fprintf(pl.d, "%.6f %zu %zu\n", acked[n - 1], n, nl);
		lost = nl;
		free(l);
	}
	fprintf(pl.g, "set xrange [0:%.6f]\nset xlabel 'seconds since the load started'\n"
		"set ylabel 'acknowledged (cumulative)'\nset y2label 'lost (cumulative)' tc rgb '%s'\n"
		"set ytics nomirror\nset y2tics tc rgb '%s'\nset yrange [0:*]\nset y2range [0:%zu]\n"
		"set key outside bottom center horizontal noopaque nobox\nset tmargin 1\nset bmargin 5.5\n"
		"set lmargin at screen 0.08\nset rmargin at screen 0.91\n",
		isnan(t->span_s) || t->span_s <= 0 ? 1 : t->span_s, PALETTE_FAULT, PALETTE_FAULT,
		lost > 0 ? lost + lost / 5 + 1 : 1);
	shade(pl.g, t, true);
	fprintf(pl.g, "plot '%s' using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'acknowledged', "
		"'' using 1:3 axes x1y2 with steps lw 2 lc rgb '%s' title %s\n", pl.dat,
		PALETTE_FAULT, t->has_lost ? "'acknowledged, then lost'" :
		"'lost: not in this result'");
	svg = plot_run(p, &pl, err, len);
out:
	free(acked);
	return svg;
}

/* A result without a write history: its windows (backups, the fault) on a time line. */
char *rp_plot_windows(struct rp_plotter *p, const struct fl_rep_trial *t, char *err, size_t len)
{
	struct plot pl;
	double end = 0;

	if (plot_open(p, &pl, 960, 170, err, len))
		return NULL;
	for (size_t i = 0; i < t->n_windows; i++) {
		const struct fl_rep_window *w = &t->windows[i];
		bool backup = !strncmp(w->label, "backup", 6);
		double to = w->to_s > w->from_s ? w->to_s : w->from_s;

		fprintf(pl.d, "%.6f %d %.6f 0.3 %s\n", (w->from_s + to) / 2, backup ? 2 : 1,
			(to - w->from_s) / 2 > 0.004 * (t->span_s > 0 ? t->span_s : 1) ?
			(to - w->from_s) / 2 : 0.004 * (t->span_s > 0 ? t->span_s : 1),
			backup ? "0x2ca02c" : "0xd62728");
		end = to > end ? to : end;
	}
	fprintf(pl.g, "set xrange [0:%.6f]\nset yrange [0.4:2.6]\nset ytics ('fault' 1, 'backups' 2)\n"
		"set xlabel 'seconds since the load started'\nset key off\nset margins 10,3,3.5,1\n"
		"plot '%s' using 1:2:3:4:5 with boxxyerror fs solid 0.7 noborder lc rgb variable\n",
		end * 1.05 + 0.1, pl.dat);
	return plot_run(p, &pl, err, len);
}

char *rp_plot_phases(struct rp_plotter *p, const struct fl_report_result *r, char *err, size_t len)
{
	char names[FL_REP_MAX_PHASES * 2][16];
	size_t n_names = 0;
	struct plot pl;

	for (size_t i = 0; i < r->n_trials; i++)
		for (size_t k = 0; k < r->trials[i].n_phases; k++) {
			size_t j;

			for (j = 0; j < n_names && strcmp(names[j], r->trials[i].phases[k].name); j++)
				;
			if (j == n_names && n_names < sizeof(names) / sizeof(names[0]))
				snprintf(names[n_names++], sizeof(names[0]), "%s",
					 r->trials[i].phases[k].name);
		}
	if (!n_names) {
		fl_errf(err, len, "no recovery phases: not in this result");
		return NULL;
	}
	if (plot_open(p, &pl, 960, 110 + 34 * (int)(r->n_trials < 12 ? r->n_trials : 12), err, len))
		return NULL;
	/* One block per phase (gnuplot's index), bars stacked from the fault on. */
	for (size_t j = 0; j < n_names; j++) {
		for (size_t i = 0; i < r->n_trials; i++) {
			const struct fl_rep_trial *t = &r->trials[i];
			double at = 0;

			for (size_t k = 0; k < t->n_phases; k++) {
				double d = isnan(t->phases[k].s) ? 0 : t->phases[k].s;

				if (!strcmp(t->phases[k].name, names[j]) && d > 0)
					fprintf(pl.d, "%.6f %u %.6f 0.32\n", (at + d / 2) * 1e3,
						t->index, d / 2 * 1e3);
				/* heal/reconnect run alongside stop..first_ok, not after it */
				if (strcmp(t->phases[k].name, "heal"))
					at += d;
			}
		}
		fputs("? ? ? ?\n\n\n", pl.d);
	}
	fprintf(pl.g, "set xlabel 'ms after the fault'\nset ylabel 'trial'\nset yrange [%zu.6:0.4]\n"
		"set ytics 1\nset xrange [0:*]\nset key outside right top\nset margins 8,18,3.5,1\n"
		"plot ", r->n_trials);
	for (size_t j = 0; j < n_names; j++) {
		fprintf(pl.g, "%s'%s' index %zu using 1:2:3:4 with boxxyerror fs solid 0.85 noborder "
			"lc rgb '%s' title ", j ? ", " : "", pl.dat, j,
			phase_colors[j % (sizeof(phase_colors) / sizeof(phase_colors[0]))]);
		quote(pl.g, names[j]);
	}
	fputc('\n', pl.g);
	return plot_run(p, &pl, err, len);
}

/* The target as a dashed line when it is on the scale; a target 1000x the values is noted in the page. */
static void target_line(FILE *g, double target_ms, double max_ms)
{
	if (isnan(target_ms) || target_ms > max_ms * 3 || target_ms <= 0)
		return;
	fprintf(g, "set arrow 1 from graph 0, first %.6f to graph 1, first %.6f nohead "
		"lc rgb '%s' dt 2 lw 2 front\nset label 1 'objective' at graph 0.01, first %.6f "
		"offset 0,0.6 tc rgb '%s' font ',9' front\n", target_ms, target_ms, PALETTE_FAULT,
		target_ms, PALETTE_FAULT);
	fprintf(g, "set yrange [0:%.6f]\n", target_ms * 1.15 > max_ms * 1.15 ? target_ms * 1.15 :
		max_ms * 1.15);
}

char *rp_plot_distribution(struct rp_plotter *p, const struct fl_report_result *r, char *err,
			   size_t len)
{
	double max_rpo = 0, max_rto = 0;
	size_t n = 0;
	struct plot pl;

	if (plot_open(p, &pl, 960, 300, err, len))
		return NULL;
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_rep_trial *t = &r->trials[i];

		if (!t->measured)
			continue;
		n++;
		fprintf(pl.d, "%u ", t->index);
		if (isnan(t->rpo_s))
			fputs("? ", pl.d);
		else
			fprintf(pl.d, "%.6f ", t->rpo_s * 1e3);
		if (isnan(t->rto_s))
			fputs("?\n", pl.d);
		else
			fprintf(pl.d, "%.6f\n", t->rto_s * 1e3);
		max_rpo = t->rpo_s * 1e3 > max_rpo ? t->rpo_s * 1e3 : max_rpo;
		max_rto = t->rto_s * 1e3 > max_rto ? t->rto_s * 1e3 : max_rto;
	}
	if (!n) {
		fclose(pl.d);
		fclose(pl.g);
		fl_errf(err, len, "no trial measured");
		return NULL;
	}
	fprintf(pl.g, "set multiplot layout 1,2 margins 0.08,0.98,0.16,0.9 spacing 0.08,0\n"
		"set style fill solid 0.8 noborder\nset boxwidth 0.6\nset xrange [0.4:%zu.6]\n"
		"set xtics 1\nset xlabel 'trial'\nset key off\nset yrange [0:*]\n", r->n_trials);
	fprintf(pl.g, "set title 'RPO per trial (ms)'\nset ylabel 'ms'\n");
	target_line(pl.g, r->obj[FL_REP_OBJ_RPO].target * 1e3, max_rpo);
	fprintf(pl.g, "plot '%s' using 1:2 with boxes lc rgb '#4e79a7'\n", pl.dat);
	fprintf(pl.g, "unset arrow\nunset label\nset yrange [0:*]\nset title 'RTO per trial (ms)'\n");
	target_line(pl.g, r->obj[FL_REP_OBJ_RTO].target * 1e3, max_rto);
	fprintf(pl.g, "plot '%s' using 1:3 with boxes lc rgb '#f28e2b'\nunset multiplot\n", pl.dat);
	return plot_run(p, &pl, err, len);
}

char *rp_plot_events(struct rp_plotter *p, const struct fl_report_result *r, char *err, size_t len)
{
	double span = r->n_events ? r->events[r->n_events - 1].s : 0, b;
	size_t nb, *cnt;
	struct plot pl;
	char *svg = NULL;

	span = span > 0 ? span : 1;
	b = bucket_of(span);
	nb = (size_t)(span / b) + 1;
	cnt = calloc(nb, sizeof(*cnt));
	if (!cnt) {
		fl_errf(err, len, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < r->n_events; i++) {
		size_t k = r->events[i].s < 0 ? 0 : (size_t)(r->events[i].s / b);

		cnt[k < nb ? k : nb - 1]++;
	}
	if (plot_open(p, &pl, 960, 280, err, len))
		goto out;
	for (size_t k = 0; k < nb; k++)
		fprintf(pl.d, "%.6f %zu\n", (k + 0.5) * b, cnt[k]);
	fprintf(pl.g, "set style fill solid 0.8 noborder\nset boxwidth %.6f\nset xrange [0:%.6f]\n"
		"set yrange [0:*]\nset xlabel 'seconds since the first injection'\n"
		"set ylabel 'injections per %g s'\nset key off\n"
		"plot '%s' using 1:2 with boxes lc rgb '%s'\n", b * 0.9, nb * b, b, pl.dat, PALETTE_FAULT);
	svg = plot_run(p, &pl, err, len);
out:
	free(cnt);
	return svg;
}
