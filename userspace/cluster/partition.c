// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A partition between two sets of nodes, made of net rules
 * (<faultline/net.h>): each node of side a gets `ip:partition:dst=B/32`
 * for every address B of side b on its own veth, which drops both ways
 * (partition also matches with source and destination swapped). Side b
 * needs no rule of its own: whatever it sends to a dies at a's veth.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/net.h>
#include <faultline/rule.h>
#include <faultline/state.h>
#include "cluster_priv.h"
#include "core/errbuf.h"

struct fl_cluster_partition {
	size_t n;
	struct fl_net_session *s[FL_CLUSTER_MAX_NODES];
	size_t nk[FL_CLUSTER_MAX_NODES];  /* kernel rules of each session */
};

static int cut_node(const struct fl_cluster *c, unsigned i, const unsigned *b, size_t nb,
		    struct fl_state *st, struct fl_net_session **ret, size_t *ret_nk, char *errbuf,
		    size_t errlen)
{
	struct fl_rule rules[FL_CLUSTER_MAX_NODES];
	struct fl_net_rule kr[FL_NET_MAX_RULES];
	struct fl_net_compile_opts co = { .kind = FL_NET_TARGET_DEV };
	struct fl_net_target t = { .kind = FL_NET_TARGET_DEV, .netns = c->nodes[i].netns,
				   .dev = FL_CLUSTER_NODE_DEV };
	struct fl_rule_error re = { 0 };
	size_t nk = 0;
	int bad = -1, err;

	for (size_t k = 0; k < nb; k++) {
		char text[64];

		snprintf(text, sizeof(text), "ip:partition:dst=%s/32", c->nodes[b[k]].addr);
		if (fl_rule_parse(text, &rules[k], &re) ||
		    fl_rule_check_domain(&rules[k], FL_DOMAIN_NET, &re)) {
			fl_errf(errbuf, errlen, "rule %s: %s", text, re.message);
			return -EINVAL;
		}
	}
	err = fl_net_compile(rules, nb, &co, kr, NULL, FL_NET_MAX_RULES, &nk, &bad, &re);
	if (err) {
		fl_errf(errbuf, errlen, "partition rules: %s", re.message);
		return err;
	}
	*ret_nk = nk;
	err = fl_net_session_open(kr, nk, &t, st, ret, errbuf, errlen);
	if (!err) {
		err = fl_net_session_attach(*ret, errbuf, errlen);
		if (err) {
			fl_net_session_close(*ret);
			*ret = NULL;
		}
	}
	return err;
}

int fl_cluster_partition(struct fl_cluster *c, const unsigned *a, size_t na,
			 const unsigned *b, size_t nb, struct fl_state *st,
			 struct fl_cluster_partition **ret, char *errbuf, size_t errlen)
{
	struct fl_cluster_partition *p;
	int err = 0;

	if (!c || !a || !b || !na || !nb || na > c->n || nb > c->n || !ret)
		return -EINVAL;
	for (size_t k = 0; k < na; k++)
		for (size_t j = 0; j < nb; j++)
			if (a[k] >= c->n || b[j] >= c->n || a[k] == b[j]) {
				fl_errf(errbuf, errlen, "a partition takes two disjoint sets of nodes");
				return -EINVAL;
			}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t k = 0; !err && k < na; k++) {
		err = cut_node(c, a[k], b, nb, st, &p->s[k], &p->nk[k], errbuf, errlen);
		if (!err)
			p->n = k + 1;
	}
	if (err) {
		fl_cluster_heal(p, NULL, 0);
		return err;
	}
	*ret = p;
	return 0;
}

int fl_cluster_partition_dropped(const struct fl_cluster_partition *p, uint64_t *ret)
{
	uint64_t sum = 0;

	if (!p || !ret)
		return -EINVAL;
	for (size_t k = 0; k < p->n; k++) {
		for (size_t j = 0; j < p->nk[k]; j++) {
			struct fl_net_counters nc = { 0 };
			int err = fl_net_session_counters(p->s[k], j, &nc);

			if (err)
				return err;
			sum += nc.injected;
		}
	}
	*ret = sum;
	return 0;
}

int fl_cluster_heal(struct fl_cluster_partition *p, char *errbuf, size_t errlen)
{
	int err = 0;

	if (!p)
		return 0;
	for (size_t k = 0; k < p->n; k++) {
		int e = fl_net_session_detach(p->s[k], errbuf, errlen);

		if (e && !err)
			err = e;
		fl_net_session_close(p->s[k]);
	}
	free(p);
	return err;
}
