// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A shaping run (<faultline/net_shape.h>): which mechanism each delay= or
 * rate= rule gets (the probe says whether netem exists), the classifier's
 * slots per direction, and the trees on each target device, made inside
 * the target's netns (only the calling thread moves there).
 */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <faultline/probe.h>
#include <faultline/rule.h>
#include <faultline/state.h>

#include "core/errbuf.h"
#include "core/netns.h"
#include "net/devices.h"
#include "net/shape_priv.h"
#include "net_shape.skel.h"
#include "probe/probe_nl.h"

struct fl_net_shape {
	char netns[NAME_MAX + 1];
	struct fl_state *st;
	struct net_shape_bpf *skel[2];              /* [0] egress, [1] ingress */
	struct fl_net_shape_slot slots[2][FL_NET_MAX_RULES];
	size_t slot_rule[2][FL_NET_MAX_RULES];
	size_t n_slots[2];
	struct shape_class cls[2][FL_NET_MAX_RULES]; /* [dir][typed rule] */
	size_t n_rules;
	struct shape_dev *devs;
	size_t n_devs;
};

bool fl_net_shape_netem_works(char *why, size_t len)
{
	struct fl_probe_result r = { 0 };
	int err = fl_probe_mechanism(FL_MECH_NETEM, &r);

	if (!err && r.status == FL_PROBE_WORKS)
		return true;
	if (why)
		snprintf(why, len, "%s", err ? strerror(-err) : r.detail);
	return false;
}

const char *fl_net_shape_mech_name(enum fl_net_shape_mech m, bool ifb)
{
	switch (m) {
	case FL_NET_SHAPE_NFQUEUE: return "nfqueue";
	case FL_NET_SHAPE_NETEM: return ifb ? "netem+ifb" : "netem";
	case FL_NET_SHAPE_HTB: return ifb ? "htb+ifb" : "htb";
	case FL_NET_SHAPE_NONE: break;
	}
	return "none";
}

int fl_net_shape_pick(const struct fl_rule *r, enum fl_net_target_kind kind, bool netem,
		      enum fl_net_shape_mech *ret, struct fl_rule_error *err)
{
	static const unsigned per_packet[] = { FL_KEY_WHEN, FL_KEY_PROB, FL_KEY_COUNT,
					       FL_KEY_FOR, FL_KEY_BYTES, FL_KEY_HOST };
	unsigned col = r->col.action ? r->col.action : 1;
	bool delay = r->action == FL_ACTION_DELAY;

	if (!delay && r->action != FL_ACTION_RATE) {
		*ret = FL_NET_SHAPE_NONE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(per_packet) / sizeof(per_packet[0]); i++) {
		unsigned bit = per_packet[i];

		if (!(r->keys & bit))
			continue;
		if (bit == FL_KEY_HOST)
			return fl_rule_refuse(err, fl_rule_key_col(r, bit), -EOPNOTSUPP,
				      "host= is not compiled (nothing resolves names): use src= or dst= with an address or CIDR, at column %u",
				      fl_rule_key_col(r, bit));
		return fl_rule_refuse(err, fl_rule_key_col(r, bit), -EOPNOTSUPP,
			      "%s= on %s: shaping applies to every matching packet for the whole run (netem, HTB and the delay line have no %s=): leave it out%s, at column %u",
			      fl_rule_key_name(bit), delay ? "delay" : "rate", fl_rule_key_name(bit),
			      delay ? ", or use reorder=P% to let a share through at once" : "",
			      fl_rule_key_col(r, bit));
	}
	if (!delay && (r->keys & FL_KEY_REORDER))
		return fl_rule_refuse(err, fl_rule_key_col(r, FL_KEY_REORDER), -EOPNOTSUPP,
			      "reorder= goes with delay=, not rate=, at column %u",
			      fl_rule_key_col(r, FL_KEY_REORDER));
	/* A cgroup's own packets on egress: the delay line's OUTPUT rule with -m cgroup. */
	if (kind == FL_NET_TARGET_CGROUP && delay && r->net.dir == FL_NET_DIR_EGRESS) {
		*ret = FL_NET_SHAPE_NFQUEUE;
		return 0;
	}
	if (kind == FL_NET_TARGET_CGROUP)
		return fl_rule_refuse(err, col, -EOPNOTSUPP,
			      delay ?
			      "delay needs the NFQUEUE delay line (the iptables chains of a netns) or netem (the qdisc of a device), which cannot match the packets of one cgroup both ways: on a cgroup give dir=egress (OUTPUT -m cgroup: what its sockets send), or target --dev IFACE or --netns NAME ('faultline syscall' delays the socket calls of a process), at column %u" :
			      "rate needs an HTB class on a device, which cannot pick out the packets of one cgroup both ways: target --dev IFACE or --netns NAME, at column %u",
			      col);
	if (!delay) {
		if (r->arg.rate_bps < 8)
			return fl_rule_refuse(err, col, -EOPNOTSUPP, "rate below 8bit per second, at column %u", col);
		*ret = FL_NET_SHAPE_HTB;
		return 0;
	}
	*ret = netem ? FL_NET_SHAPE_NETEM : FL_NET_SHAPE_NFQUEUE;
	return 0;
}

/* The shape a rule asks for; its dirs from the compiled match. */
static void class_of(const struct fl_rule *r, enum fl_net_shape_mech m, struct shape_class *c)
{
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->mech = m;
	if (m == FL_NET_SHAPE_HTB) {
		c->rate_bps = r->arg.rate_bps;
	} else {
		c->delay_ns = r->arg.delay.ns;
		c->jitter_ns = r->arg.delay.jitter_ns;
		c->reorder_ppm = r->net.reorder_ppm;
	}
}

/*
 * The rule's match as the datapath compiles it (protocol split, family,
 * addresses, ports, dir): compiled as a plain drop, which has no
 * selectors left, and only its match is kept.
 */
static int add_slots(struct fl_net_shape *s, const struct fl_rule *r, size_t i,
		     char *errbuf, size_t errlen)
{
	struct fl_net_compile_opts co = { .kind = FL_NET_TARGET_DEV, .start_ns = 1 };
	struct fl_net_rule k[FL_NET_MAX_RULES];
	struct fl_rule plain = *r;
	struct fl_rule_error err = { 0 };
	size_t nk = 0;
	int bad, e;

	plain.action = FL_ACTION_DROP;
	plain.keys &= ~(unsigned)(FL_KEY_REORDER | FL_KEY_SEED);
	e = fl_net_compile(&plain, 1, &co, k, NULL, FL_NET_MAX_RULES, &nk, &bad, &err);
	if (e) {
		fl_errf(errbuf, errlen, "rule %zu: %s", i, err.message);
		return e;
	}
	for (size_t j = 0; j < nk; j++) {
		for (int d = 0; d < 2; d++) {
			size_t at = s->n_slots[d];

			if (!(k[j].dir & (d ? FL_NET_ABI_INGRESS : FL_NET_ABI_EGRESS)))
				continue;
			if (at == FL_NET_MAX_RULES) {
				fl_errf(errbuf, errlen, "too many shaping matches (at most %d per direction)",
					FL_NET_MAX_RULES);
				return -E2BIG;
			}
			s->slots[d][at] = (struct fl_net_shape_slot){
				.match = k[j],
				.classid = TC_H_MAKE(FL_NET_SHAPE_MAJOR << 16, (uint32_t)i + 1),
			};
			s->slot_rule[d][at] = i;
			s->n_slots[d]++;
		}
	}
	return 0;
}

static int load_dir(struct fl_net_shape *s, int d, char *errbuf, size_t errlen)
{
	struct net_shape_bpf *skel;
	int err;

	skel = net_shape_bpf__open();
	if (!skel) {
		err = -errno;
		fl_errf(errbuf, errlen, "open the shaping classifier: %s", strerror(-err));
		return err;
	}
	s->skel[d] = skel;
	skel->rodata->nr_slots = (__u32)s->n_slots[d];
	bpf_program__set_autoload(skel->progs.fl_shape_select, d == 1);
	err = net_shape_bpf__load(skel);
	if (err) {
		fl_errf(errbuf, errlen, "load the shaping classifier: %s", strerror(-err));
		return err;
	}
	for (size_t j = 0; j < s->n_slots[d]; j++) {
		__u32 key = (__u32)j;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.slots), &key, &s->slots[d][j],
					BPF_ANY)) {
			err = -errno;
			fl_errf(errbuf, errlen, "fill the shaping classifier: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static int list_devices(struct fl_net_shape *s, const struct fl_net_target *t, char *errbuf,
			size_t errlen)
{
	struct fl_net_ifname *v;
	size_t n;
	int err;

	err = fl_net_devices(t->kind == FL_NET_TARGET_DEV ? t->dev : NULL, &v, &n);
	if (err == -ENODEV)
		fl_errf(errbuf, errlen, "no device %s%s%s", t->dev,
			*s->netns ? " in netns " : "", s->netns);
	else if (err == -ENOENT)
		fl_errf(errbuf, errlen, "netns %s has no device but lo", s->netns);
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	s->devs = calloc(n, sizeof(*s->devs));
	if (!s->devs) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(s->devs[i].name, v[i].name, sizeof(s->devs[i].name));
		s->devs[i].ifindex = v[i].ifindex;
	}
	s->n_devs = n;
	free(v);
	return 0;
}

/* In the netns: remove every tree, selector and IFB; the first error. */
static int remove_all(struct fl_net_shape *s, struct nl_sock *sk, char *errbuf, size_t errlen)
{
	struct shape_ctx c = { .st = s->st, .netns = s->netns, .errbuf = errbuf, .errlen = errlen };
	int first = 0;

	for (size_t k = 0; k < s->n_devs; k++) {
		int e1 = fl_shape_ingress_remove(&c, sk, &s->devs[k]);
		int e2 = fl_shape_tree_remove(&c, sk, &s->devs[k].egress);

		if (!first)
			first = e1 ? e1 : e2;
	}
	if (first)
		fl_errf(errbuf, errlen, "remove the shaping qdiscs%s%s: %s",
			*s->netns ? " in netns " : "", s->netns, strerror(-first));
	return first;
}

static int make_all(struct fl_net_shape *s, struct nl_sock *sk, char *errbuf, size_t errlen)
{
	struct shape_ctx c = { .st = s->st, .netns = s->netns, .errbuf = errbuf, .errlen = errlen };
	int err = 0;

	for (size_t k = 0; !err && k < s->n_devs; k++) {
		struct shape_dev *d = &s->devs[k];

		snprintf(d->egress.dev, sizeof(d->egress.dev), "%s", d->name);
		d->egress.ifindex = d->ifindex;
		if (s->n_slots[0])
			err = fl_shape_tree_make(&c, sk, &d->egress, s->cls[0], s->n_rules,
						 bpf_program__fd(s->skel[0]->progs.fl_shape_classify));
		if (!err && s->n_slots[1])
			err = fl_shape_ingress_make(&c, sk, d, (unsigned)k, s->cls[1], s->n_rules,
				bpf_program__fd(s->skel[1]->progs.fl_shape_classify),
				bpf_program__fd(s->skel[1]->progs.fl_shape_select));
	}
	return err;
}

int fl_net_shape_start(const struct fl_rule *rules, const enum fl_net_shape_mech *mech,
		       size_t n, const struct fl_net_target *t, bool ingress_busy,
		       struct fl_state *st, struct fl_net_shape **ret, char *errbuf,
		       size_t errlen)
{
	struct fl_net_shape *s;
	struct nl_sock *sk = NULL;
	int saved = -1, err, lerr;

	if (!t || (t->kind != FL_NET_TARGET_DEV && t->kind != FL_NET_TARGET_NETNS) || !st ||
	    n > FL_NET_MAX_RULES) {
		fl_errf(errbuf, errlen, "shaping needs a --dev or --netns target");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->st = st;
	s->n_rules = n;
	if (t->netns)
		snprintf(s->netns, sizeof(s->netns), "%s", t->netns);
	for (size_t i = 0; i < n; i++) {
		if (mech[i] != FL_NET_SHAPE_NETEM && mech[i] != FL_NET_SHAPE_HTB)
			continue;
		err = add_slots(s, &rules[i], i, errbuf, errlen);
		if (err)
			goto fail;
		for (int d = 0; d < 2; d++) {
			for (size_t j = 0; j < s->n_slots[d]; j++)
				if (s->slot_rule[d][j] == i)
					class_of(&rules[i], mech[i], &s->cls[d][i]);
		}
	}
	if (s->n_slots[1] && ingress_busy) {
		fl_errf(errbuf, errlen,
			"ingress shaping redirects the matching packets to an IFB, past the tc rules of the same run on the device's ingress, which would then miss them: give the shaping rule dir=egress, or run the ingress rules and the shaping in separate targets");
		err = -EOPNOTSUPP;
		goto fail;
	}
	for (int d = 0; d < 2; d++) {
		if (!s->n_slots[d])
			continue;
		err = load_dir(s, d, errbuf, errlen);
		if (err)
			goto fail;
	}
	if (!s->n_slots[0] && !s->n_slots[1]) {
		*ret = s;
		return 0;
	}
	err = fl_netns_enter(s->netns, &saved);
	if (err) {
		fl_errf(errbuf, errlen, "enter netns %s: %s", s->netns, strerror(-err));
		goto fail;
	}
	err = list_devices(s, t, errbuf, errlen);
	if (!err)
		err = fl_nl_open(NETLINK_ROUTE, &sk);
	if (!err)
		err = make_all(s, sk, errbuf, errlen);
	if (err && sk)
		remove_all(s, sk, NULL, 0);
	nl_socket_free(sk);
	lerr = fl_netns_leave(saved);
	if (lerr && !err) {
		fl_errf(errbuf, errlen, "return from netns %s: %s", s->netns, strerror(-lerr));
		err = lerr;
	}
	if (err)
		goto fail;
	*ret = s;
	return 0;
fail:
	fl_net_shape_free(s);
	return err;
}

int fl_net_shape_counters(const struct fl_net_shape *s, size_t i,
			  struct fl_net_shape_counters *ret)
{
	struct fl_net_shape_counters sum = { 0 };

	if (i >= s->n_rules)
		return -ERANGE;
	for (int d = 0; d < 2; d++) {
		if (!s->skel[d])
			continue;
		for (size_t j = 0; j < s->n_slots[d]; j++) {
			struct fl_net_shape_counters c;
			__u32 key = (__u32)j;

			if (s->slot_rule[d][j] != i ||
			    bpf_map_lookup_elem(bpf_map__fd(s->skel[d]->maps.shape_counters), &key, &c))
				continue;
			sum.packets += c.packets;
			sum.bytes += c.bytes;
		}
	}
	*ret = sum;
	return 0;
}

bool fl_net_shape_uses_ifb(const struct fl_net_shape *s, size_t i)
{
	return s && i < s->n_rules && s->cls[1][i].used;
}

int fl_net_shape_stop(struct fl_net_shape *s, char *errbuf, size_t errlen)
{
	struct nl_sock *sk = NULL;
	int saved, err, lerr;

	if (!s || !s->n_devs)
		return 0;
	err = fl_netns_enter(s->netns, &saved);
	if (err == -ENOENT) {
		/* The netns is gone, and with it our devices and qdiscs: forget them. */
		for (size_t k = 0; k < s->n_devs; k++) {
			struct shape_dev *d = &s->devs[k];
			uint64_t recs[] = { d->sel_rec, d->clsact_rec, d->ifb_rec,
					    d->egress.filter_rec, d->egress.root_rec,
					    d->ingress.filter_rec, d->ingress.root_rec };

			for (size_t r = 0; r < sizeof(recs) / sizeof(recs[0]); r++)
				if (recs[r])
					fl_state_forget(s->st, recs[r]);
			for (size_t r = 0; r < FL_NET_MAX_RULES; r++) {
				if (d->egress.leaf_rec[r])
					fl_state_forget(s->st, d->egress.leaf_rec[r]);
				if (d->ingress.leaf_rec[r])
					fl_state_forget(s->st, d->ingress.leaf_rec[r]);
			}
		}
		goto done;
	}
	if (err) {
		fl_errf(errbuf, errlen, "enter netns %s: %s", s->netns, strerror(-err));
		return err;
	}
	err = fl_nl_open(NETLINK_ROUTE, &sk);
	if (!err)
		err = remove_all(s, sk, errbuf, errlen);
	nl_socket_free(sk);
	lerr = fl_netns_leave(saved);
	if (lerr && !err) {
		fl_errf(errbuf, errlen, "return from netns %s: %s", s->netns, strerror(-lerr));
		err = lerr;
	}
	if (err)
		return err;
done:
	free(s->devs);
	s->devs = NULL;
	s->n_devs = 0;
	return 0;
}

void fl_net_shape_free(struct fl_net_shape *s)
{
	if (!s)
		return;
	fl_net_shape_stop(s, NULL, 0);
	for (int d = 0; d < 2; d++)
		net_shape_bpf__destroy(s->skel[d]);
	free(s->devs);
	free(s);
}
