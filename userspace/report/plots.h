/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The report's plots: each writes its data and a gnuplot script into the
 * plotter's directory and returns the SVG (malloc'd), or NULL with why in
 * errbuf. Plots only draw what the model holds.
 */
#ifndef FL_REPORT_PLOTS_H
#define FL_REPORT_PLOTS_H

#include <faultline/report.h>

struct rp_plotter {
	const char *gnuplot;
	const char *dir;
	int timeout_ms;
	unsigned n;              /* plots made, for file names */
};

char *rp_plot_timeseries(struct rp_plotter *p, const struct fl_rep_trial *t, char *err, size_t len);
char *rp_plot_acked_lost(struct rp_plotter *p, const struct fl_rep_trial *t, char *err, size_t len);
char *rp_plot_windows(struct rp_plotter *p, const struct fl_rep_trial *t, char *err, size_t len);
char *rp_plot_phases(struct rp_plotter *p, const struct fl_report_result *r, char *err, size_t len);
char *rp_plot_distribution(struct rp_plotter *p, const struct fl_report_result *r, char *err,
			   size_t len);
char *rp_plot_events(struct rp_plotter *p, const struct fl_report_result *r, char *err, size_t len);

#endif
