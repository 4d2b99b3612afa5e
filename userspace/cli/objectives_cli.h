/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The flags of the brief's last three objectives and MTBF's assumption,
 * parsed the same way by rpo, scenario run and backup run; and the
 * summary's one line per objective.
 */
#ifndef FL_CLI_OBJECTIVES_CLI_H
#define FL_CLI_OBJECTIVES_CLI_H

#include <getopt.h>
#include <stdio.h>

#include <faultline/objectives.h>

/* getopt values of the four flags: FL_CLI_OBJ_OPT + 0..3, above every short option. */
#define FL_CLI_OBJ_OPT 0x4f00

#define FL_CLI_OBJ_OPTIONS \
	{ "mttr-max", required_argument, NULL, FL_CLI_OBJ_OPT }, \
	{ "availability-min", required_argument, NULL, FL_CLI_OBJ_OPT + 1 }, \
	{ "mtbf-min", required_argument, NULL, FL_CLI_OBJ_OPT + 2 }, \
	{ "assume-mtbf", required_argument, NULL, FL_CLI_OBJ_OPT + 3 }

/* True for a getopt value of the four. */
#define FL_CLI_IS_OBJ_OPT(c) ((c) >= FL_CLI_OBJ_OPT && (c) <= FL_CLI_OBJ_OPT + 3)

/*
 * Parse one of them into o: DUR or 'none' for the times, PCT ("99.9%",
 * "0.999") or 'none' for availability (given: judged on the run's own
 * availability, see objectives.h). Prints the error with cmd; -EINVAL.
 */
int fl_cli_objective_opt(const char *cmd, int c, const char *arg, struct fl_objectives *o);

/* The --help lines of the four, the same in the three commands. */
extern const char fl_cli_objectives_help[];

/* "objective RTO 2.10 s <= 5.0 min: met (measured: ...)", one line each. */
void fl_cli_print_verdict(FILE *out, const struct fl_verdict *v);

#endif /* FL_CLI_OBJECTIVES_CLI_H */
