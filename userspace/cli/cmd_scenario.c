// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline scenario check FILE [--json]: read a scenario file, report
 * every error with FILE:LINE:COL, or show what it would do. Nothing runs.
 * 'scenario run' is in cmd_scenario_run.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <faultline/scenario.h>

#include "cli/cli.h"
#include "cli/scenario_print.h"

static const struct option check_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const char *const verbs[] = { "check", "run" };

const char *fl_scenario_verb(size_t i, const struct option **opts)
{
	if (i >= sizeof(verbs) / sizeof(verbs[0]))
		return NULL;
	*opts = i ? fl_scenario_run_opts : check_opts;
	return verbs[i];
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline scenario check FILE [--json]\n"
		"       faultline scenario run FILE [OPTIONS]   (see 'faultline scenario run --help')\n"
		"\n"
		"A scenario file (YAML) names a cluster (etcd, postgres-replica, redis-replica)\n"
		"or nodes with their own commands, a workload, steps (faults and actions at a\n"
		"time, every interval, or after a condition), a nemesis and objectives. See the\n"
		"README's 'faultline scenario' section and faultline(8) for every key.\n"
		"\n"
		"  check FILE     validate FILE without running anything: every error as\n"
		"                 FILE:LINE:COL: what was expected (at most %d), or a summary\n"
		"                 of the nodes, the steps as a timeline and the objectives\n"
		"  run FILE       run its trials and judge its objectives (root; see\n"
		"                 'faultline scenario run --help')\n"
		"\n"
		"  -j, --json     check: the summary, or the errors, as one JSON object\n"
		"  -h, --help     this help\n"
		"\n"
		"Exit status: 0 the file is valid, 2 it is not (or bad usage, or unreadable).\n"
		"No privileges needed.\n", FL_SCENARIO_MAX_ERRORS);
}

static void print_json(json_t *o)
{
	if (!o) {
		fl_cli_error("out of memory");
		return;
	}
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
}

static int check(const char *file, bool json)
{
	struct fl_scenario_errors errs;
	struct fl_scenario *s = NULL;
	int r;

	r = fl_scenario_load(file, &s, &errs);
	if (r == -EINVAL || r == -EFBIG) {
		if (json) {
			print_json(fl_scenario_errors_json(file, &errs));
			return FL_CLI_EXIT_USAGE;
		}
		for (unsigned i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.e[i].text);
		if (errs.total > errs.n)
			fl_cli_error("%s: %u more errors not shown (the first %u are)", file,
				     errs.total - errs.n, errs.n);
		return FL_CLI_EXIT_USAGE;
	}
	if (r) {
		fl_cli_error("cannot read scenario %s: %s", file, strerror(-r));
		return FL_CLI_EXIT_USAGE;
	}
	if (json)
		print_json(fl_scenario_to_json(file, s));
	else
		fl_scenario_print_text(stdout, file, s);
	fl_scenario_free(s);
	return 0;
}

int cmd_scenario(int argc, char **argv, const struct fl_cli *cli)
{
	bool json = cli->json;
	int c;

	if (argc < 2) {
		usage(stderr);
		return FL_CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return fl_scenario_run_cli(argc - 1, argv + 1, cli);
	if (strcmp(argv[1], "check")) {
		fl_cli_error("scenario: unknown verb '%s' (check or run; see 'faultline scenario "
			     "--help')", argv[1]);
		return FL_CLI_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+jh", check_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return FL_CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fl_cli_error("scenario check: expected one FILE (see 'faultline scenario --help')");
		return FL_CLI_EXIT_USAGE;
	}
	return check(argv[optind], json);
}
