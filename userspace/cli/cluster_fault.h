/* SPDX-License-Identifier: GPL-2.0-only */
/* cmd_cluster_fault.c: faultline cluster fault|partition|node. */
#ifndef FAULTLINE_CLI_CLUSTER_FAULT_H
#define FAULTLINE_CLI_CLUSTER_FAULT_H

#include <getopt.h>
#include <stddef.h>

#include "cli.h"

/* Is verb one of this file's? */
int fl_cluster_fault_is_verb(const char *verb);
/* argv[0] is the verb. Returns the exit status. */
int fl_cluster_fault_cmd(int argc, char **argv, const struct fl_cli *cli);
/* Verb i of this file and its options (completion), NULL past the last. */
const char *fl_cluster_fault_verb(size_t i, const struct option **opts);

#endif
