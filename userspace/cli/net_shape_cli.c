// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline net's side of shaping (<faultline/net_shape.h>): which
 * mechanism each delay= and rate= rule takes, what the delay line needs to
 * know of a cgroup target, and the summary's shaping fields. In its own
 * file so that cmd_net.c only calls it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/cgroup.h>
#include <faultline/rule.h>

#include "cli/cli.h"
#include "cli/net_shape_cli.h"

#define EXCERPT_LEN 96

static bool delay_line_forced(void)
{
	const char *v = getenv("FAULTLINE_NET_DELAY");

	return v && (!strcmp(v, "nfqueue") || !strcmp(v, "nft") || !strcmp(v, "xtables"));
}

int fl_cli_net_pick_shaping(const struct fl_rule *rules, char *const *text, size_t n,
			    enum fl_net_target_kind kind, int verbose,
			    enum fl_net_shape_mech *mech)
{
	char excerpt[EXCERPT_LEN];
	bool netem = false, asked = false;

	for (size_t i = 0; i < n; i++) {
		struct fl_rule_error err = { 0 };

		if (rules[i].action == FL_ACTION_DELAY && !asked && kind != FL_NET_TARGET_CGROUP) {
			char why[192] = "";

			/*
			 * FAULTLINE_NET_DELAY=nfqueue (or =nft, =xtables, which
			 * also pick its rules): the delay line even where netem
			 * works (its counters, lo on a netns; and its tests).
			 */
			if (delay_line_forced())
				snprintf(why, sizeof(why), "FAULTLINE_NET_DELAY=%s",
					 getenv("FAULTLINE_NET_DELAY"));
			else
				netem = fl_net_shape_netem_works(why, sizeof(why));
			asked = true;
			if (!netem && verbose)
				fprintf(stderr, "faultline: no netem (%s): delay= takes the NFQUEUE delay line\n",
					why);
		}
		if (fl_net_shape_pick(&rules[i], kind, netem, &mech[i], &err)) {
			fl_cli_error("%s: %s", fl_rule_excerpt(text[i], excerpt, sizeof(excerpt)),
				     err.message);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

bool fl_cli_net_ingress_busy(const struct fl_net_rule *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (k[i].proto >= FL_NET_ABI_CONNECT)
			continue;  /* socket calls see no packet */
		if ((k[i].dir & FL_NET_ABI_INGRESS) || k[i].action == FL_NET_ACT_PARTITION)
			return true;
	}
	return false;
}

int fl_cli_cgroup_rel(const char *abs, char *buf, size_t len)
{
	char root[PATH_MAX];
	size_t k, rest;
	int err;

	err = fl_cgroup2_root(root, sizeof(root));
	if (err)
		return err;
	k = strlen(root);
	if (strncmp(abs, root, k) || abs[k] != '/')
		return -EINVAL;
	rest = strlen(abs + k);
	if (rest >= len)
		return -ENAMETOOLONG;
	memcpy(buf, abs + k, rest + 1);
	return 0;
}

void fl_cli_net_shape_json(const struct fl_net_shape *s, size_t i, json_t *j)
{
	struct fl_net_shape_counters c = { 0 };

	if (s)
		fl_net_shape_counters(s, i, &c);
	json_object_set_new(j, "shaped_bytes", json_integer((json_int_t)c.bytes));
	json_object_set_new(j, "ifb", json_boolean(fl_net_shape_uses_ifb(s, i)));
}
