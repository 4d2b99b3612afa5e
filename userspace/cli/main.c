// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline: the command-line entry. Global options are parsed here into
 * one struct fl_cli; subcommands come from a dispatch table, bpftool style.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <faultline/kernfs.h>

#include "cli/cli.h"

const struct fl_cli_command fl_cli_commands[] = {
	{ "probe",   cmd_probe,   "prove which injection mechanisms this kernel allows",
	  .kernfs = true, .opts = fl_probe_options },
	{ "syscall", cmd_syscall, "make chosen syscalls of chosen processes fail, stall or crash",
	  .kernfs = true, .opts = fl_syscall_options },
	{ "net", cmd_net, "drop, partition, corrupt or duplicate chosen packets",
	  .kernfs = true, .opts = fl_net_options },
	{ "cleanup", cmd_cleanup, "remove everything a dead faultline session left installed",
	  .kernfs = true, .opts = fl_cleanup_options },
	{ "fs", cmd_fs, "control a faultfs mount: faults, power cut, status, write log",
	  .verb = fl_fs_verb },
	{ "rpo", cmd_rpo, "measure the data-loss window (RPO) and recovery time (RTO) of a service",
	  .kernfs = true, .opts = fl_rpo_options },
	{ "cluster", cmd_cluster, "bring a cluster of nodes (netns + cgroup + faultfs) up, show it, fault it, remove it",
	  .kernfs = true, .verb = fl_cluster_verb },
	{ "scenario", cmd_scenario, "check or run a scenario file: a cluster, faults on schedule, objectives",
	  .verb = fl_scenario_verb },
	{ "backup", cmd_backup, "drive a backup tool while a workload writes, break the store, restore, measure",
	  .kernfs = true, .verb = fl_backup_verb },
	{ "report", cmd_report, "write results as an HTML page (gnuplot plots), JUnit XML or Markdown, or compare two",
	  .opts = fl_report_options },
	{ "completion", cmd_completion, "print a bash completion script made from these tables",
	  .opts = fl_completion_options, .verb = fl_completion_verb },
};

const size_t fl_cli_n_commands = sizeof(fl_cli_commands) / sizeof(fl_cli_commands[0]);

const struct option fl_cli_global_options[] = {
	{ "json",    no_argument,       NULL, 'j' },
	{ "log",     required_argument, NULL, 'l' },
	{ "verbose", no_argument,       NULL, 'v' },
	{ "help",    no_argument,       NULL, 'h' },
	{ "version", no_argument,       NULL, 'V' },
	{ 0 },
};

void fl_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("faultline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

/*
 * A fresh machine may lack tracefs, bpffs, cgroup2 or securityfs: mount
 * them here, once, and say so once. A failure is not fatal: the command
 * then meets the missing piece itself and says what it could not do.
 */
static void mount_kernel_fs(void)
{
	unsigned mounted = 0;

	if (geteuid() != 0)
		return;
	fl_kernfs_ensure(FL_KERNFS_ALL, &mounted);
	for (unsigned fs = 1; fs & FL_KERNFS_ALL; fs <<= 1)
		if (mounted & fs)
			fprintf(stderr, "faultline: mounted %s at %s\n",
				fl_kernfs_name(fs), fl_kernfs_path(fs));
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline [OPTIONS] COMMAND [ARGS...]\n"
		"\n"
		"Inject faults at the kernel boundary and measure what a system loses.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < fl_cli_n_commands; i++)
		fprintf(out, "  %-11s %s\n", fl_cli_commands[i].name, fl_cli_commands[i].summary);
	fprintf(out,
		"\n"
		"Options (before the command):\n"
		"  -j, --json        machine-readable output on stdout\n"
		"  -l, --log FILE    write every injection as a JSON line to FILE ('-' = stdout)\n"
		"  -v, --verbose     more detail; repeat for more\n"
		"  -h, --help        this help; 'faultline COMMAND --help' for a command\n"
		"  -V, --version     print the version\n"
		"\n"
		"Most commands need root (CAP_BPF, CAP_SYS_ADMIN, CAP_NET_ADMIN).\n"
		"See faultline(8).\n");
}

int main(int argc, char **argv)
{
	struct fl_cli cli = { 0 };
	int c;

	/* '+': stop at the first non-option, which is the command. */
	while ((c = getopt_long(argc, argv, "+jl:vhV", fl_cli_global_options, NULL)) != -1) {
		switch (c) {
		case 'j':
			cli.json = true;
			break;
		case 'l':
			cli.log_path = optarg;
			break;
		case 'v':
			cli.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("faultline %s\n", FL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	if (optind >= argc) {
		usage(stderr);
		return 2;
	}

	for (size_t i = 0; i < fl_cli_n_commands; i++) {
		if (strcmp(argv[optind], fl_cli_commands[i].name) != 0)
			continue;
		/* Each command parses its own options with a fresh getopt. */
		argc -= optind;
		argv += optind;
		optind = 0;
		if (fl_cli_commands[i].kernfs && !wants_help(argc, argv))
			mount_kernel_fs();
		return fl_cli_commands[i].run(argc, argv, &cli);
	}
	fl_cli_error("unknown command '%s' (see 'faultline --help')", argv[optind]);
	return 2;
}
