// SPDX-License-Identifier: GPL-2.0-only
/* faultline probe: what this kernel allows, and what each fault type uses. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <faultline/kernfs.h>
#include <faultline/probe.h>

#include "cli/cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline probe [--json] [--mechanism NAME]...\n"
		"\n"
		"Prove each injection mechanism on the running kernel by loading and\n"
		"attaching a tiny program, or by making the real call, then list the\n"
		"mechanism faultline will use for each fault type and why. Nothing is\n"
		"read from config files; nothing is left installed.\n"
		"\n"
		"  -j, --json            machine-readable output\n"
		"  -m, --mechanism NAME  probe only NAME (repeatable); see the list below\n"
		"  -h, --help            this help\n"
		"\n"
		"Mechanisms:");
	for (unsigned m = 0; m < FL_MECH__COUNT; m++)
		fprintf(out, "%s %s", m % 6 ? "" : "\n ", fl_mechanism_name(m));
	fprintf(out,
		"\n\n"
		"Status: works (seen to act), refused (the kernel said no: errno and\n"
		"likely cause), missing (not built into this kernel).\n"
		"Exit status: 0 when the probe ran, 1 when it could not, 2 on bad usage.\n");
}

static json_t *mounted_to_json(unsigned mounted)
{
	json_t *list = json_array();

	for (unsigned fs = 1; fs & FL_KERNFS_ALL; fs <<= 1)
		if (mounted & fs)
			json_array_append_new(list, json_pack("{s:s, s:s}",
				"fs", fl_kernfs_name(fs), "path", fl_kernfs_path(fs) ?: ""));
	return list;
}

static json_t *report_to_json(const struct fl_probe_report *rep, const bool *selected, bool all)
{
	json_t *root = json_object(), *mechs = json_array(), *picks = json_array();

	json_object_set_new(root, "kernel", json_string(rep->kernel_release));
	json_object_set_new(root, "lockdown", json_string(rep->lockdown));
	json_object_set_new(root, "root", json_boolean(geteuid() == 0));
	json_object_set_new(root, "mounted", mounted_to_json(rep->mounted));
	for (unsigned m = 0; m < FL_MECH__COUNT; m++) {
		const struct fl_probe_result *r = &rep->mech[m];

		if (!selected[m])
			continue;
		json_array_append_new(mechs, json_pack("{s:s, s:s, s:i, s:s, s:s}",
			"mechanism", fl_mechanism_name(m),
			"status", fl_probe_status_name(r->status),
			"errno", r->err,
			"error", r->err ? strerrorname_np(r->err) ?: "" : "",
			"detail", r->detail));
	}
	json_object_set_new(root, "mechanisms", mechs);
	if (!all) {
		json_decref(picks);
		return root;
	}
	for (unsigned k = 0; k < FL_FAULT__COUNT; k++) {
		const struct fl_probe_pick *p = &rep->pick[k];

		json_array_append_new(picks, json_pack("{s:s, s:s?, s:s}",
			"fault", fl_fault_kind_name(k),
			"mechanism", p->found ? fl_mechanism_name(p->mech) : NULL,
			"why", p->why));
	}
	json_object_set_new(root, "faults", picks);
	return root;
}

static void print_text(const struct fl_probe_report *rep, const bool *selected, bool all)
{
	printf("kernel %s, lockdown %s%s\n\n", rep->kernel_release,
	       rep->lockdown[0] ? rep->lockdown : "unknown (securityfs not mounted)",
	       geteuid() ? ", NOT ROOT: most probes are refused" : "");
	for (unsigned fs = 1; fs & FL_KERNFS_ALL; fs <<= 1)
		if (rep->mounted & fs)
			printf("mounted %s at %s (it was missing; left mounted)\n",
			       fl_kernfs_name(fs), fl_kernfs_path(fs) ?: "?");
	if (rep->mounted)
		putchar('\n');
	printf("%-18s %-8s %s\n", "MECHANISM", "STATUS", "DETAIL");
	for (unsigned m = 0; m < FL_MECH__COUNT; m++) {
		if (selected[m])
			printf("%-18s %-8s %s\n", fl_mechanism_name(m),
			       fl_probe_status_name(rep->mech[m].status), rep->mech[m].detail);
	}
	if (!all)
		return;
	printf("\n%-30s %-18s %s\n", "FAULT TYPE", "USES", "WHY");
	for (unsigned k = 0; k < FL_FAULT__COUNT; k++) {
		const struct fl_probe_pick *p = &rep->pick[k];

		printf("%-30s %-18s %s\n", fl_fault_kind_name(k),
		       p->found ? fl_mechanism_name(p->mech) : "-", p->why);
	}
}

/* The options, also read by 'faultline completion'. */
const struct option fl_probe_options[] = {
	{ "json",      no_argument,       NULL, 'j' },
	{ "mechanism", required_argument, NULL, 'm' },
	{ "help",      no_argument,       NULL, 'h' },
	{ 0 },
};

int cmd_probe(int argc, char **argv, const struct fl_cli *cli)
{
	bool selected[FL_MECH__COUNT], all = true, json = cli->json;
	static struct fl_probe_report rep;
	enum fl_mechanism mech;
	int c, err;

	memset(selected, 0, sizeof(selected));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jm:h", fl_probe_options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'm':
			if (fl_mechanism_from_name(optarg, &mech) < 0) {
				fl_cli_error("probe: unknown mechanism '%s' (see 'faultline probe --help')",
					     optarg);
				return 2;
			}
			selected[mech] = true;
			all = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fl_cli_error("probe: %s needs a value", argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				fl_cli_error("probe: unknown option '-%c' (see 'faultline probe --help')",
					     optopt);
			else
				fl_cli_error("probe: unknown option '%s' (see 'faultline probe --help')",
					     argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fl_cli_error("probe: unexpected argument '%s'", argv[optind]);
		return 2;
	}

	if (all) {
		for (unsigned m = 0; m < FL_MECH__COUNT; m++)
			selected[m] = true;
		err = fl_probe_all(&rep);
	} else {
		err = 0;
		memset(&rep, 0, sizeof(rep));
		for (unsigned m = 0; m < FL_MECH__COUNT && !err; m++)
			if (selected[m])
				err = fl_probe_mechanism(m, &rep.mech[m]);
		fl_probe_identify(&rep);
	}
	if (err < 0) {
		fl_cli_error("probe: %s", strerror(-err));
		return 1;
	}

	if (json) {
		json_t *root = report_to_json(&rep, selected, all);

		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(root);
	} else {
		print_text(&rep, selected, all);
	}
	return 0;
}
