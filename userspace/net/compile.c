// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Parsed net rules (struct fl_rule, checked for FL_DOMAIN_NET) to the
 * in-kernel datapath's struct fl_net_rule. Everything the datapath cannot
 * do is refused here, naming the rule's column and what is missing, so
 * that nothing is loaded for a rule that would silently do less than it
 * says.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <faultline/net.h>
#include <faultline/rule.h>

/* The ABI protocols a packet proto bit stands for, in split order. */
static const struct {
	unsigned bit;
	__u8 abi;
} proto_map[] = {
	{ FL_NET_PROTO_ANY, FL_NET_ABI_ANY },
	{ FL_NET_PROTO_IP, FL_NET_ABI_IP },
	{ FL_NET_PROTO_IP6, FL_NET_ABI_IP6 },
	{ FL_NET_PROTO_TCP, FL_NET_ABI_TCP },
	{ FL_NET_PROTO_UDP, FL_NET_ABI_UDP },
	{ FL_NET_PROTO_ICMP, FL_NET_ABI_ICMP },
	{ FL_NET_PROTO_CONNECT, FL_NET_ABI_CONNECT },
	{ FL_NET_PROTO_SENDMSG, FL_NET_ABI_SENDMSG },
	{ FL_NET_PROTO_BIND, FL_NET_ABI_BIND },
};

static unsigned act_col(const struct fl_rule *r)
{
	return r->col.action ? r->col.action : 1;
}

static unsigned protos_of(const struct fl_rule *r)
{
	unsigned m = 0;

	for (unsigned i = 0; i < r->n_ops && i < FL_RULE_MAX_OPS; i++)
		m |= fl_net_proto_bit(r->ops[i]);
	return m;
}

/*
 * Fold protocols that contain others: any holds all, ip and ip6 together
 * are any, and ip (ip6) holds tcp/udp/icmp when the addresses keep the
 * rule to IPv4 (IPv6) anyway.
 */
static unsigned fold_protos(unsigned p, unsigned family)
{
	if ((p & FL_NET_PROTO_ANY) ||
	    (p & (FL_NET_PROTO_IP | FL_NET_PROTO_IP6)) == (FL_NET_PROTO_IP | FL_NET_PROTO_IP6))
		return FL_NET_PROTO_ANY;
	if (((p & FL_NET_PROTO_IP) && family == FL_NET_IPV4) ||
	    ((p & FL_NET_PROTO_IP6) && family == FL_NET_IPV6))
		p &= FL_NET_PROTO_IP | FL_NET_PROTO_IP6;
	return p;
}

/* What this datapath does not do, with the column and the nearest thing that works. */
static int refuse_action(const struct fl_rule *r, enum fl_net_target_kind kind,
			 bool delay_line, bool shape, struct fl_rule_error *err)
{
	unsigned col = act_col(r);

	switch (r->action) {
	case FL_ACTION_DROP:
	case FL_ACTION_PARTITION:
		return 0;
	case FL_ACTION_CORRUPT:
	case FL_ACTION_DUPLICATE:
		if (kind == FL_NET_TARGET_CGROUP)
			return fl_rule_refuse(err, col, -EOPNOTSUPP,
				    "%s is not possible on a cgroup or a launched command (cgroup_skb programs cannot rewrite or clone packets): target --dev or --netns (tc clsact), at column %u",
				    fl_action_name(r->action), col);
		return 0;
	case FL_ACTION_REJECT:
		if (kind == FL_NET_TARGET_CGROUP)
			return fl_rule_refuse(err, col, -EOPNOTSUPP,
				    "reject answers with a crafted TCP RST or ICMP unreachable, which cgroup_skb programs cannot send: target --dev or --netns (tc clsact); on a cgroup, 'connect:dport=N:error=ECONNREFUSED' fails the connect at once and 'tcp:dport=N:reset' aborts established connections, at column %u",
				    col);
		return 0;
	case FL_ACTION_DELAY:
		if (delay_line || shape)
			return 0;
		return fl_rule_refuse(err, col, -EOPNOTSUPP,
			    kind == FL_NET_TARGET_CGROUP ?
			    "delay needs the NFQUEUE delay line (iptables chains), which cannot match the packets of one cgroup both ways and which this caller does not set up: 'faultline net --cgroup' does, with dir=egress ('faultline syscall' delays socket calls of a process), at column %u" :
			    "delay needs netem or the NFQUEUE delay line (<faultline/net_shape.h>), which this caller does not set up: 'faultline net' does it on --dev or --netns, at column %u",
			    col);
	case FL_ACTION_RATE:
		if (shape)
			return 0;
		return fl_rule_refuse(err, col, -EOPNOTSUPP,
			    "rate needs htb/tbf on a device (<faultline/net_shape.h>), which this caller does not set up: 'faultline net' does it on --dev or --netns, at column %u",
			    col);
	case FL_ACTION_RESET:
		if (protos_of(r) == FL_NET_PROTO_TCP)
			return 0;
		return fl_rule_refuse(err, r->col.ops[0] ? r->col.ops[0] : 1, -EOPNOTSUPP,
			    "reset tears down established TCP connections: its protocol is tcp alone ('reject' answers other packets), at column %u",
			    r->col.ops[0] ? r->col.ops[0] : 1);
	case FL_ACTION_ERROR:
		if (kind == FL_NET_TARGET_CGROUP)
			return 0;
		return fl_rule_refuse(err, col, -EOPNOTSUPP,
			    "error= on connect, sendmsg and bind needs the cgroup sock_addr hooks, which attach to a cgroup and not to a device or netns: target --cgroup DIR, --pid PID or -- CMD ('faultline syscall connect:error=ECONNREFUSED --pid PID' hits one process), at column %u",
			    col);
	default:
		break;
	}
	return fl_rule_refuse(err, col, -EOPNOTSUPP, "'%s' is not a net action, at column %u",
		    fl_action_name(r->action), col);
}

static __u8 abi_dir(const struct fl_rule *r)
{
	if (r->action == FL_ACTION_PARTITION)
		return FL_NET_ABI_BOTH;  /* the programs match it both ways anyway */
	switch (r->net.dir) {
	case FL_NET_DIR_EGRESS: return FL_NET_ABI_EGRESS;
	case FL_NET_DIR_INGRESS: return FL_NET_ABI_INGRESS;
	default: return FL_NET_ABI_BOTH;
	}
}

static __u8 abi_action(const struct fl_rule *r)
{
	switch (r->action) {
	case FL_ACTION_DROP: return FL_NET_ACT_DROP;
	case FL_ACTION_PARTITION: return FL_NET_ACT_PARTITION;
	case FL_ACTION_REJECT: return FL_NET_ACT_REJECT;
	case FL_ACTION_RESET: return FL_NET_ACT_RESET;
	case FL_ACTION_DUPLICATE: return FL_NET_ACT_DUPLICATE;
	case FL_ACTION_ERROR: return FL_NET_ACT_ERROR;
	case FL_ACTION_CORRUPT:
		return r->arg.corrupt == FL_CORRUPT_PAYLOAD ? FL_NET_ACT_CORRUPT_PAYLOAD :
							      FL_NET_ACT_CORRUPT_WIRE;
	default: return FL_NET_ACT_NONE;
	}
}

static __u8 abi_family(const struct fl_net_prefix *p)
{
	if (p->family == FL_NET_IPV4)
		return FL_NET_ABI_FAMILY_IP4;
	if (p->family == FL_NET_IPV6)
		return FL_NET_ABI_FAMILY_IP6;
	return FL_NET_ABI_FAMILY_ANY;
}

/* Everything but the protocol, which the caller sets per split. */
static void fill(const struct fl_rule *r, const struct fl_net_compile_opts *o,
		 struct fl_net_rule *k)
{
	memset(k, 0, sizeof(*k));
	k->dir = abi_dir(r);
	k->action = abi_action(r);
	if (r->net.src.family) {
		k->family = abi_family(&r->net.src);
		k->src_plen = r->net.src.prefix_len;
		memcpy(k->src, r->net.src.addr, sizeof(k->src));
	}
	if (r->net.dst.family) {
		k->family = abi_family(&r->net.dst);
		k->dst_plen = r->net.dst.prefix_len;
		memcpy(k->dst, r->net.dst.addr, sizeof(k->dst));
	}
	if (r->keys & FL_KEY_SPORT) {
		k->sport_lo = r->net.sport.first;
		k->sport_hi = r->net.sport.last;
	}
	if (r->keys & FL_KEY_DPORT) {
		k->dport_lo = r->net.dport.first;
		k->dport_hi = r->net.dport.last;
	}
	k->prob_ppm = (r->keys & FL_KEY_PROB) ? r->prob_ppm : 0;
	if (r->keys & FL_KEY_WHEN) {
		k->when_first = r->when.first;
		k->when_last = r->when.last == FL_WHEN_INF ? 0 : r->when.last;
		k->when_step = r->when.step;
	}
	k->count = r->count;
	if (r->for_ns)
		k->until_ns = o->start_ns + r->for_ns;
	k->seed = (r->keys & FL_KEY_SEED) ? r->seed : o->seed;
	if (r->action == FL_ACTION_ERROR)
		k->error = (__u32)r->arg.error;
}

/*
 * A delay= rule for the delay line: no kernel rule (*ret_n stays 0 for the
 * caller), but the selectors the delay line cannot honour are refused.
 */
static int check_delay(const struct fl_rule *r, struct fl_rule_error *err)
{
	static const unsigned unsupported[] = { FL_KEY_WHEN, FL_KEY_PROB, FL_KEY_COUNT,
						FL_KEY_FOR, FL_KEY_BYTES, FL_KEY_HOST };

	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		unsigned bit = unsupported[i], col = fl_rule_key_col(r, bit);

		if (!(r->keys & bit))
			continue;
		if (bit == FL_KEY_HOST)
			return fl_rule_refuse(err, col, -EOPNOTSUPP,
				    "host= is not compiled (nothing resolves names): use src= or dst= with an address or CIDR, at column %u",
				    col);
		return fl_rule_refuse(err, col, -EOPNOTSUPP,
			    "%s= on delay: the delay line delays every matching packet for the whole run (it has no %s= selector): leave it out, or use reorder=P%% to let a share through at once, at column %u",
			    fl_rule_key_name(bit), fl_rule_key_name(bit), col);
	}
	return 0;
}

static int compile_one(const struct fl_rule *r, const struct fl_net_compile_opts *o,
		       struct fl_net_rule *out, size_t room, size_t *ret_n,
		       struct fl_rule_error *err)
{
	unsigned family = r->net.src.family ? r->net.src.family : r->net.dst.family;
	unsigned protos = protos_of(r), folded;
	size_t n = 0;
	int e;

	e = refuse_action(r, o->kind, o->delay_line, o->shape, err);
	if (!e && (protos & FL_NET_PROTO_SOCKET) && r->action != FL_ACTION_ERROR)
		return fl_rule_refuse(err, 1, -EOPNOTSUPP, "socket calls take error= only");
	if (e)
		return e;
	if (r->action == FL_ACTION_RATE && (r->keys & FL_KEY_REORDER))
		return fl_rule_refuse(err, fl_rule_key_col(r, FL_KEY_REORDER), -EOPNOTSUPP,
			    "reorder= goes with delay=, not rate=, at column %u",
			    fl_rule_key_col(r, FL_KEY_REORDER));
	if (r->action == FL_ACTION_DELAY || r->action == FL_ACTION_RATE) {
		e = check_delay(r, err);
		if (!e)
			*ret_n = 0;
		return e;
	}
	if (r->keys & FL_KEY_BYTES)
		return fl_rule_refuse(err, fl_rule_key_col(r, FL_KEY_BYTES), -EOPNOTSUPP,
			    "bytes= on corrupt: the datapath flips exactly one bit per packet, a larger corruption is not built yet: issue 13 (leave bytes= out), at column %u",
			    fl_rule_key_col(r, FL_KEY_BYTES));
	if (r->keys & FL_KEY_REORDER)
		return fl_rule_refuse(err, fl_rule_key_col(r, FL_KEY_REORDER), -EOPNOTSUPP,
			    "reorder= goes with delay= only, at column %u",
			    fl_rule_key_col(r, FL_KEY_REORDER));
	if (r->keys & FL_KEY_HOST)
		return fl_rule_refuse(err, fl_rule_key_col(r, FL_KEY_HOST), -EOPNOTSUPP,
			    "host= is not compiled (nothing resolves names): use src= or dst= with an address or CIDR, at column %u",
			    fl_rule_key_col(r, FL_KEY_HOST));
	if ((r->keys & FL_KEY_PROB) && r->prob_ppm == 0)
		return fl_rule_refuse(err, fl_rule_key_col(r, FL_KEY_PROB), -EOPNOTSUPP,
			    "prob=0%% never fires: leave the rule out, at column %u",
			    fl_rule_key_col(r, FL_KEY_PROB));
	folded = fold_protos(protos, family);
	if ((folded & (FL_NET_PROTO_IP | FL_NET_PROTO_IP6)) &&
	    (folded & (FL_NET_PROTO_TCP | FL_NET_PROTO_UDP | FL_NET_PROTO_ICMP))) {
		unsigned col = r->col.ops[r->n_ops > 1 ? 1 : 0];

		return fl_rule_refuse(err, col, -EOPNOTSUPP,
			    "the protocols overlap ('ip' or 'ip6' holds part of tcp, udp and icmp), and the kernel takes one protocol per rule: write them as separate rules, at column %u",
			    col ? col : 1);
	}
	for (size_t i = 0; i < sizeof(proto_map) / sizeof(proto_map[0]); i++) {
		if (!(folded & proto_map[i].bit))
			continue;
		if (n == room)
			return fl_rule_refuse(err, 1, -EOPNOTSUPP,
				    "too many kernel rules: at most %d in all (a rule with several protocols takes one per protocol)",
				    FL_NET_MAX_RULES);
		fill(r, o, &out[n]);
		out[n].proto = proto_map[i].abi;
		n++;
	}
	/* Each kernel rule numbers its own matches: when= and count= would apply per protocol. */
	if (n > 1 && (r->keys & (FL_KEY_WHEN | FL_KEY_COUNT))) {
		unsigned bit = (r->keys & FL_KEY_WHEN) ? FL_KEY_WHEN : FL_KEY_COUNT;

		return fl_rule_refuse(err, fl_rule_key_col(r, bit), -EOPNOTSUPP,
			    "%s= counts the rule's matches, but these %zu protocols become %zu kernel rules that would each count their own: give one protocol per rule, at column %u",
			    fl_rule_key_name(bit), n, n, fl_rule_key_col(r, bit));
	}
	if (n == 0)
		return fl_rule_refuse(err, 1, -EOPNOTSUPP, "no packet protocol in the rule");
	*ret_n = n;
	return 0;
}

int fl_net_compile(const struct fl_rule *rules, size_t n, const struct fl_net_compile_opts *o,
		   struct fl_net_rule *out, size_t *origin, size_t max, size_t *ret_n,
		   int *bad_rule, struct fl_rule_error *err)
{
	struct fl_net_compile_opts opts = *o;
	struct fl_net_rule tmp[FL_NET_MAX_RULES];
	size_t from[FL_NET_MAX_RULES];
	size_t total = 0, got = 0;
	struct timespec ts;
	int e;

	if (bad_rule)
		*bad_rule = -1;
	if (!rules || !n || !out || !max) {
		if (err) {
			err->column = 0;
			snprintf(err->message, sizeof(err->message), "no rules to compile");
		}
		return -EINVAL;
	}
	if (!opts.start_ns) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		opts.start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	if (max > FL_NET_MAX_RULES)
		max = FL_NET_MAX_RULES;
	for (size_t i = 0; i < n; i++) {
		e = compile_one(&rules[i], &opts, tmp + total, max - total, &got, err);
		if (e) {
			if (bad_rule)
				*bad_rule = (int)i;
			return e;
		}
		for (size_t j = 0; j < got; j++)
			from[total + j] = i;
		total += got;
	}
	/* Outputs only on success. */
	memcpy(out, tmp, total * sizeof(*out));
	if (origin)
		memcpy(origin, from, total * sizeof(*origin));
	*ret_n = total;
	return 0;
}
