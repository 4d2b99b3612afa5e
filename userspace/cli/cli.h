/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the faultline subcommands: global options parsed once in
 * main.c, and the one place where errors are printed.
 */
#ifndef FAULTLINE_CLI_H
#define FAULTLINE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

struct fl_cli {
	bool json;            /* --json: machine output on stdout */
	const char *log_path; /* --log FILE: injection events as JSON lines */
	int verbose;          /* -v, repeatable */
};

/* Print "faultline: MESSAGE" to stderr. The only error printer. */
void fl_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit codes of a command that runs a target, as a shell and timeout(1) give them. */
#define FL_CLI_EXIT_USAGE    2
#define FL_CLI_EXIT_INTERNAL 125 /* faultline itself failed */
#define FL_CLI_EXIT_NOEXEC   126
#define FL_CLI_EXIT_NOTFOUND 127

/* args.c: print the usage error, return -EINVAL. */
int fl_cli_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Is a (one argv word) an option of opts that takes a value? Its long
 * name, and *val set for "--opt=value"; NULL if not.
 */
const char *fl_cli_valued_option(const struct option *opts, const char *a, const char **val);
/*
 * A run's result document: into output (may be NULL) and, with json, on
 * stdout. 0, or -1 after saying why (doc NULL: out of memory).
 */
typedef struct json_t json_t;
int fl_cli_write_result(const char *who, json_t *doc, const char *output, bool json);
/* A command that could not run: say so; 127 not found, 126 not executable, else 125. */
int fl_cli_launch_error(const char *cmd, int err);

/* Each subcommand: argv[0] is the subcommand name. Returns the exit status. */
int cmd_probe(int argc, char **argv, const struct fl_cli *cli);
int cmd_cleanup(int argc, char **argv, const struct fl_cli *cli);
int cmd_syscall(int argc, char **argv, const struct fl_cli *cli);
int cmd_net(int argc, char **argv, const struct fl_cli *cli);
int cmd_fs(int argc, char **argv, const struct fl_cli *cli);
int cmd_rpo(int argc, char **argv, const struct fl_cli *cli);
int cmd_cluster(int argc, char **argv, const struct fl_cli *cli);
int cmd_completion(int argc, char **argv, const struct fl_cli *cli);
int cmd_scenario(int argc, char **argv, const struct fl_cli *cli);
int cmd_backup(int argc, char **argv, const struct fl_cli *cli);
int cmd_report(int argc, char **argv, const struct fl_cli *cli);

/*
 * The command table (main.c). Each command points at the long options it
 * parses, so 'faultline completion' reads the same tables as the parsers.
 * A command with verbs ('fs status|fault|...') lists them through verb():
 * the name of verb i and its options, or NULL past the last one.
 */
struct fl_cli_command {
	const char *name;
	int (*run)(int argc, char **argv, const struct fl_cli *cli);
	const char *summary;
	bool kernfs;                   /* needs tracefs, bpffs, cgroup2 or securityfs mounted */
	const struct option *opts;     /* {0}-terminated, or NULL */
	const char *(*verb)(size_t i, const struct option **opts);
};

extern const struct fl_cli_command fl_cli_commands[];
extern const size_t fl_cli_n_commands;
extern const struct option fl_cli_global_options[];

/* Each command's long options, next to its parser. */
extern const struct option fl_probe_options[];
extern const struct option fl_cleanup_options[];
extern const struct option fl_syscall_options[];
extern const struct option fl_net_options[];
extern const struct option fl_rpo_options[];
extern const struct option fl_report_options[];
extern const struct option fl_completion_options[];
const char *fl_fs_verb(size_t i, const struct option **opts);
const char *fl_cluster_verb(size_t i, const struct option **opts);
const char *fl_completion_verb(size_t i, const struct option **opts);
const char *fl_scenario_verb(size_t i, const struct option **opts);
const char *fl_backup_verb(size_t i, const struct option **opts);
/* cmd_scenario_run.c: 'scenario run' (argv[0] is "run"). */
extern const struct option fl_scenario_run_opts[];
int fl_scenario_run_cli(int argc, char **argv, const struct fl_cli *cli);

#endif /* FAULTLINE_CLI_H */
