/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the faultline subcommands: global options parsed once in
 * main.c, and the one place where errors are printed.
 */
#ifndef FAULTLINE_CLI_H
#define FAULTLINE_CLI_H

#include <stdbool.h>

struct fl_cli {
	bool json;            /* --json: machine output on stdout */
	const char *log_path; /* --log FILE: injection events as JSON lines */
	int verbose;          /* -v, repeatable */
};

/* Print "faultline: MESSAGE" to stderr. The only error printer. */
void fl_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Each subcommand: argv[0] is the subcommand name. Returns the exit status. */
int cmd_probe(int argc, char **argv, const struct fl_cli *cli);
int cmd_cleanup(int argc, char **argv, const struct fl_cli *cli);
int cmd_syscall(int argc, char **argv, const struct fl_cli *cli);
int cmd_fs(int argc, char **argv, const struct fl_cli *cli);
int cmd_rpo(int argc, char **argv, const struct fl_cli *cli);

#endif /* FAULTLINE_CLI_H */
