// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What compiled rules ask of a target, before anything is loaded: is each
 * rule doable on this kind of target (fl_net_rules_check), and which hooks
 * the rules need (fl_net_rules_needs). Pure functions of the rules, used
 * by the session when it opens and when its rules are replaced.
 */
#include <errno.h>
#include <stdio.h>

#include "net/net_priv.h"

static const char *action_name(unsigned a)
{
	switch (a) {
	case FL_NET_ACT_DROP: return "drop";
	case FL_NET_ACT_PARTITION: return "partition";
	case FL_NET_ACT_CORRUPT_WIRE: return "corrupt=wire";
	case FL_NET_ACT_CORRUPT_PAYLOAD: return "corrupt=payload";
	case FL_NET_ACT_DUPLICATE: return "duplicate";
	case FL_NET_ACT_ERROR: return "error";
	case FL_NET_ACT_REJECT: return "reject";
	case FL_NET_ACT_RESET: return "reset";
	case FL_NET_ACT_DELAY: return "delay";
	case FL_NET_ACT_RATE: return "rate";
	}
	return "?";
}

static int check_one(const struct fl_net_rule *r, size_t i, enum fl_net_target_kind kind,
		     char *errbuf, size_t len)
{
	unsigned maxlen = r->family == FL_NET_ABI_FAMILY_IP6 ? 128 : 32;

	bool sock = r->proto >= FL_NET_ABI_CONNECT;

	if (r->proto > FL_NET_ABI_BIND) {
		fl_errf(errbuf, len, "rule %zu: unknown protocol %u", i + 1, r->proto);
		return -EINVAL;
	}
	if (sock != (r->action == FL_NET_ACT_ERROR)) {
		fl_errf(errbuf, len, "rule %zu: error is the action of connect, sendmsg and bind, and theirs only",
			   i + 1);
		return -EINVAL;
	}
	if (!(r->dir & FL_NET_ABI_BOTH) || (r->dir & ~FL_NET_ABI_BOTH)) {
		fl_errf(errbuf, len, "rule %zu: dir must be egress, ingress or both", i + 1);
		return -EINVAL;
	}
	if (r->family != FL_NET_ABI_FAMILY_ANY && r->family != FL_NET_ABI_FAMILY_IP4 &&
	    r->family != FL_NET_ABI_FAMILY_IP6) {
		fl_errf(errbuf, len, "rule %zu: unknown address family %u", i + 1, r->family);
		return -EINVAL;
	}
	if ((r->family == FL_NET_ABI_FAMILY_ANY && (r->src_plen || r->dst_plen)) ||
	    r->src_plen > maxlen || r->dst_plen > maxlen) {
		fl_errf(errbuf, len, "rule %zu: bad address prefix length", i + 1);
		return -EINVAL;
	}
	if ((r->family == FL_NET_ABI_FAMILY_IP4 && r->proto == FL_NET_ABI_IP6) ||
	    (r->family == FL_NET_ABI_FAMILY_IP6 && r->proto == FL_NET_ABI_IP)) {
		fl_errf(errbuf, len, "rule %zu: addresses of the other IP version", i + 1);
		return -EINVAL;
	}
	if (r->sport_lo > r->sport_hi || r->dport_lo > r->dport_hi) {
		fl_errf(errbuf, len, "rule %zu: port range runs backwards", i + 1);
		return -EINVAL;
	}
	if ((r->sport_hi || r->dport_hi) && r->proto != FL_NET_ABI_TCP &&
	    r->proto != FL_NET_ABI_UDP && !sock) {
		fl_errf(errbuf, len, "rule %zu: ports need tcp or udp", i + 1);
		return -EINVAL;
	}
	if (r->when_last && r->when_last < r->when_first) {
		fl_errf(errbuf, len, "rule %zu: when= ends before it starts", i + 1);
		return -EINVAL;
	}
	switch (r->action) {
	case FL_NET_ACT_DROP:
	case FL_NET_ACT_PARTITION:
		return 0;
	case FL_NET_ACT_ERROR:
		if (r->error == 0 || r->error > 4095) {
			fl_errf(errbuf, len, "rule %zu: errno %u out of range", i + 1, r->error);
			return -EINVAL;
		}
		if (kind == FL_NET_TARGET_CGROUP)
			return 0;
		fl_errf(errbuf, len,
			   "rule %zu: error= on socket calls needs the cgroup sock_addr hooks, which attach to a cgroup: target --cgroup, --pid or -- CMD",
			   i + 1);
		return -EOPNOTSUPP;
	case FL_NET_ACT_CORRUPT_WIRE:
	case FL_NET_ACT_CORRUPT_PAYLOAD:
	case FL_NET_ACT_DUPLICATE:
		if (kind != FL_NET_TARGET_CGROUP)
			return 0;
		fl_errf(errbuf, len,
			   "rule %zu: %s is not possible on a cgroup (cgroup_skb programs cannot rewrite or clone packets): target a device or a netns (tc clsact)",
			   i + 1, action_name(r->action));
		return -EOPNOTSUPP;
	case FL_NET_ACT_REJECT:
		if (kind != FL_NET_TARGET_CGROUP)
			return 0;
		fl_errf(errbuf, len,
			   "rule %zu: reject is not possible on a cgroup (cgroup_skb programs cannot send an answer): target a device or a netns (tc clsact)",
			   i + 1);
		return -EOPNOTSUPP;
	case FL_NET_ACT_RESET:
		if (r->proto == FL_NET_ABI_TCP)
			return 0;
		fl_errf(errbuf, len, "rule %zu: reset tears down TCP connections: its protocol is tcp",
			   i + 1);
		return -EINVAL;
	case FL_NET_ACT_DELAY:
	case FL_NET_ACT_RATE:
		fl_errf(errbuf, len, "rule %zu: %s is not done by the in-kernel BPF path",
			   i + 1, action_name(r->action));
		return -EOPNOTSUPP;
	}
	fl_errf(errbuf, len, "rule %zu: unknown action %u", i + 1, r->action);
	return -EINVAL;
}

void fl_net_rules_needs(const struct fl_net_rule *rules, size_t n, uint8_t *dirs,
			uint8_t *sock_calls)
{
	*dirs = *sock_calls = 0;
	for (size_t i = 0; i < n; i++) {
		if (rules[i].proto >= FL_NET_ABI_CONNECT)
			*sock_calls |= (uint8_t)FL_NET_SOCK_BIT(rules[i].proto);
		else if (rules[i].action == FL_NET_ACT_RESET)
			continue;   /* no packet hook: reset.c */
		else
			/* reject: the answer passes the other hook too, which clears its mark. */
			*dirs |= rules[i].action == FL_NET_ACT_PARTITION ||
				 rules[i].action == FL_NET_ACT_REJECT ? FL_NET_ABI_BOTH :
									 rules[i].dir;
	}
}

int fl_net_rules_check(const struct fl_net_rule *rules, size_t n,
		       enum fl_net_target_kind kind, char *errbuf, size_t errlen)
{
	int err;

	if (!rules || n == 0 || n > FL_NET_MAX_RULES) {
		fl_errf(errbuf, errlen, "between 1 and %d network rules, not %zu",
			   FL_NET_MAX_RULES, n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		err = check_one(&rules[i], i, kind, errbuf, errlen);
		if (err)
			return err;
	}
	return 0;
}
