// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline report: results of rpo, scenario and backup runs (and event
 * logs) as an HTML page, JUnit XML, Markdown, or a regression check
 * against an older result of the same experiment.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/recovery.h>
#include <faultline/report.h>

#include "cli.h"

#define EXIT_REGRESSION 1
#define EXIT_BAD_INPUT  3

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline report RESULT.json... [-o report.html] [--junit junit.xml]\n"
		"                        [--markdown] [--compare OLD.json [--threshold PCT]]\n"
		"\n"
		"Read results of 'faultline rpo -o', 'faultline scenario run -o' and\n"
		"'faultline backup run -o', and the JSON-lines event logs that 'faultline\n"
		"net' and 'faultline syscall' write with the global log option, and write\n"
		"them for people and for CI.\n"
		"\n"
		"  -o, --output FILE    one self-contained HTML page: plots drawn by gnuplot\n"
		"                       (SVG, inlined), objectives, trials, environment\n"
		"  --junit FILE         JUnit XML: a testsuite per result, a testcase per trial\n"
		"                       and per objective\n"
		"  --markdown           Markdown on stdout (objectives and trials), for a PR\n"
		"                       comment; the default when no other output is asked for\n"
		"  --compare OLD.json   compare each RESULT with OLD (the same experiment): the\n"
		"                       worst trial's RPO and RTO, as a Markdown table on stdout\n"
		"  --threshold PCT      how much worse RPO or RTO may get before --compare calls\n"
		"                       it a regression (default 10)\n"
		"  --gnuplot PROGRAM    the gnuplot to run (default gnuplot on $PATH)\n"
		"  --plot-timeout SEC   kill a gnuplot run after SEC seconds (default 20)\n"
		"  -j, --json           on stdout, instead of Markdown: each result's figures\n"
		"                       and objectives, and each comparison, as one JSON object\n"
		"  -h, --help           show this help\n"
		"\n"
		"A figure a result does not hold is shown as not in this result; an objective\n"
		"that was not measured never shows as a pass.\n"
		"\n"
		"Exit status: 0 done (objectives that failed are reported, not an error),\n"
		"1 --compare found a regression, 2 bad usage, 3 a result could not be read\n"
		"(the message names the file and the field), 125 an output could not be\n"
		"written.\n");
}

const struct option fl_report_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "junit", required_argument, NULL, 'J' },
	{ "markdown", no_argument, NULL, 'm' },
	{ "compare", required_argument, NULL, 'c' },
	{ "threshold", required_argument, NULL, 't' },
	{ "gnuplot", required_argument, NULL, 'g' },
	{ "plot-timeout", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct report_cfg {
	const char *html, *junit, *compare, *gnuplot;
	bool markdown;
	double threshold;
	int plot_timeout_ms;
};

static int parse_number(const char *opt, const char *s, double max, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > max)
		return fl_cli_bad("report: %s: '%s' is not a number from 0 to %g", opt, s, max);
	*ret = v;
	return 0;
}

/* The outputs, through the library API's writer; 0, or -1 after saying why. */
static int write_outputs(const struct report_cfg *cfg, bool json, struct fl_report_result **r,
			 size_t n)
{
	char errbuf[512] = "";
	unsigned plot_errors = 0;
	struct fl_report_opts o = {
		.html = cfg->html, .junit = cfg->junit,
		.markdown = !json && cfg->markdown ? "-" : NULL,
		.html_opts = { .gnuplot = cfg->gnuplot, .plot_timeout_ms = cfg->plot_timeout_ms },
		.plot_errors = &plot_errors, .errbuf = errbuf, .errlen = sizeof(errbuf),
	};
	int err;

	if (!o.html && !o.junit && !o.markdown)
		return 0;
	err = fl_report_write((const struct fl_report_result *const *)r, n, &o);
	if (plot_errors)
		fl_cli_error("report: %s: %u plot%s not drawn (the page says why)", cfg->html,
			     plot_errors, plot_errors == 1 ? "" : "s");
	if (err) {
		fl_cli_error("report: %s", errbuf);
		return -1;
	}
	return 0;
}

static int compare(const struct report_cfg *cfg, struct fl_report_result **r, size_t n,
		   json_t *out)
{
	struct fl_report_result *old_r = NULL;
	char errbuf[512] = "";
	int status = 0, err;

	err = fl_report_load(cfg->compare, &old_r, errbuf, sizeof(errbuf));
	if (err) {
		fl_cli_error("report: --compare: %s", errbuf);
		return EXIT_BAD_INPUT;
	}
	for (size_t i = 0; i < n && !status; i++) {
		struct fl_rep_compare c;

		err = fl_report_compare(old_r, r[i], cfg->threshold, &c, errbuf, sizeof(errbuf));
		if (err) {
			fl_cli_error("report: --compare: %s", errbuf);
			status = EXIT_BAD_INPUT;
			break;
		}
		if (out)
			json_array_append_new(out, fl_report_compare_json(old_r, r[i], &c));
		else
			fl_report_compare_markdown(stdout, old_r, r[i], &c);
		if (c.regression)
			status = EXIT_REGRESSION;
	}
	fl_report_free(old_r);
	return status;
}

int cmd_report(int argc, char **argv, const struct fl_cli *cli)
{
	struct report_cfg cfg = { .threshold = 10, .plot_timeout_ms = 20000 };
	struct fl_report_result **r = NULL;
	size_t n = 0;
	bool json = cli && cli->json;
	json_t *doc = NULL, *cmp = NULL;
	int c, status = 0;
	double v;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:jh", fl_report_options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'o':
			cfg.html = optarg;
			break;
		case 'J':
			cfg.junit = optarg;
			break;
		case 'm':
			cfg.markdown = true;
			break;
		case 'c':
			cfg.compare = optarg;
			break;
		case 't':
			if (parse_number("--threshold", optarg, 1e6, &cfg.threshold))
				return FL_CLI_EXIT_USAGE;
			break;
		case 'g':
			cfg.gnuplot = optarg;
			break;
		case 'T':
			if (parse_number("--plot-timeout", optarg, 3600, &v))
				return FL_CLI_EXIT_USAGE;
			if (v < 0.1) {
				fl_cli_bad("report: --plot-timeout: at least 0.1 s, got '%s'", optarg);
				return FL_CLI_EXIT_USAGE;
			}
			cfg.plot_timeout_ms = (int)(v * 1000);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fl_cli_error("report: %s needs a value", argv[optind - 1]);
			return FL_CLI_EXIT_USAGE;
		default:
			fl_cli_error("report: unknown option '%s' (see faultline report --help)",
				     argv[optind - 1]);
			return FL_CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fl_cli_error("report: which results? (faultline report RESULT.json...; see --help)");
		return FL_CLI_EXIT_USAGE;
	}
	r = calloc((size_t)(argc - optind), sizeof(*r));
	if (!r) {
		fl_cli_error("report: out of memory");
		return FL_CLI_EXIT_INTERNAL;
	}
	for (int i = optind; i < argc; i++) {
		char errbuf[512] = "";

		if (fl_report_load(argv[i], &r[n], errbuf, sizeof(errbuf))) {
			fl_cli_error("report: %s", errbuf);
			status = EXIT_BAD_INPUT;
			goto out;
		}
		n++;
	}
	if (!cfg.html && !cfg.junit && !cfg.compare)
		cfg.markdown = true;
	if (write_outputs(&cfg, json, r, n)) {
		status = FL_CLI_EXIT_INTERNAL;
		goto out;
	}
	if (json) {
		json_t *results = json_array();

		cmp = cfg.compare ? json_array() : json_null();
		doc = json_pack("{s:o, s:o}", "results", results, "compare", cmp);
		for (size_t i = 0; doc && i < n; i++)
			json_array_append_new(results, fl_report_summary_json(r[i]));
	}
	if (cfg.compare)
		status = compare(&cfg, r, n, json ? cmp : NULL);
	if (json && status != EXIT_BAD_INPUT) {
		if (!doc || json_dumpf(doc, stdout, JSON_COMPACT) < 0) {
			fl_cli_error("report: --json: out of memory");
			status = FL_CLI_EXIT_INTERNAL;
		} else {
			fputc('\n', stdout);
		}
	}
out:
	json_decref(doc);
	for (size_t i = 0; i < n; i++)
		fl_report_free(r[i]);
	free(r);
	return status;
}
