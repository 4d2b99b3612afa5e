/* SPDX-License-Identifier: GPL-2.0-only */
/* faultline net's shaping glue (net_shape_cli.c), kept out of cmd_net.c. */
#ifndef FL_CLI_NET_SHAPE_H
#define FL_CLI_NET_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <faultline/net_shape.h>

struct fl_rule;

/*
 * The mechanism of each rule (FL_NET_SHAPE_NONE for what is not delay= or
 * rate=) into mech[]; the probe is asked about netem once, and only for a
 * delay rule on a device or netns. A refused rule is printed with its text
 * and -EOPNOTSUPP returned.
 */
int fl_cli_net_pick_shaping(const struct fl_rule *rules, char *const *text, size_t n,
			    enum fl_net_target_kind kind, int verbose,
			    enum fl_net_shape_mech *mech);
/* Do the compiled datapath rules look at ingress (so an IFB redirect would hide packets)? */
bool fl_cli_net_ingress_busy(const struct fl_net_rule *k, size_t n);
/* abs (a cgroup v2 directory) relative to the cgroup2 root, for iptables -m cgroup --path. */
int fl_cli_cgroup_rel(const char *abs, char *buf, size_t len);
/* A shaped rule's extra --json fields: shaped_bytes, ifb. */
void fl_cli_net_shape_json(const struct fl_net_shape *s, size_t i, json_t *j);

#endif /* FL_CLI_NET_SHAPE_H */
