// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTB tree that shapes one device's egress: root fa17: with no default
 * class (a packet no filter claims takes HTB's direct queue, unshaped),
 * one class per rule, a netem leaf under a delay rule's class, and the
 * cls_bpf classifier on the root, made last so that nothing is shaped by
 * half a tree. The root, each leaf and the filter are recorded before they
 * are created; classes die with the root. Runs in the device's netns, on
 * a route socket opened there.
 *
 * libnl-route has no cls_bpf, so the filter message is built by hand:
 * TCA_BPF_FD/NAME in classic mode, and for the ingress selector a mirred
 * action (TCA_BPF_ACT) that redirects to the IFB's egress.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include <faultline/state.h>

#include "core/errbuf.h"
#include "net/shape_priv.h"
#include "probe/probe_nl.h"

#define NL_TIMEOUT_MS 2000
/* A delay rule's class: far above any device here, so HTB never holds it back. */
#define UNLIMITED_BPS (100ull * 1000 * 1000 * 1000)
#define NETEM_LIMIT   50000

static uint32_t root_handle(void)
{
	return TC_H_MAKE(FL_NET_SHAPE_MAJOR << 16, 0);
}

static uint32_t class_id(size_t i)
{
	return TC_H_MAKE(FL_NET_SHAPE_MAJOR << 16, (uint32_t)i + 1);
}

static uint32_t leaf_handle(size_t i)
{
	return TC_H_MAKE((FL_NET_SHAPE_LEAF_MAJOR + (uint32_t)i) << 16, 0);
}

int fl_shape_root_qdisc(struct nl_sock *sk, int ifindex, uint32_t *ret_handle, char *kind,
			size_t kind_len)
{
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *q;
	int err;

	err = rtnl_qdisc_alloc_cache(sk, &cache);
	if (err < 0)
		return fl_nl_errno(err);
	q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	if (q) {
		const char *k = rtnl_tc_get_kind(TC_CAST(q));

		*ret_handle = rtnl_tc_get_handle(TC_CAST(q));
		snprintf(kind, kind_len, "%s", k ? k : "?");
		rtnl_qdisc_put(q);
	} else {
		*ret_handle = 0;
		snprintf(kind, kind_len, "none");
	}
	nl_cache_free(cache);
	return 0;
}

static int put_mirred(struct nl_msg *msg, int ifindex)
{
	struct tc_mirred m = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_EGRESS_REDIR,
		.ifindex = (__u32)ifindex,
	};
	struct nlattr *acts, *act, *opts;

	acts = nla_nest_start(msg, TCA_BPF_ACT);
	if (!acts)
		return -ENOBUFS;
	act = nla_nest_start(msg, 1);
	if (!act || nla_put_string(msg, TCA_ACT_KIND, "mirred"))
		return -ENOBUFS;
	opts = nla_nest_start(msg, TCA_ACT_OPTIONS);
	if (!opts || nla_put(msg, TCA_MIRRED_PARMS, sizeof(m), &m))
		return -ENOBUFS;
	nla_nest_end(msg, opts);
	nla_nest_end(msg, act);
	nla_nest_end(msg, acts);
	return 0;
}

int fl_shape_bpf_filter(struct nl_sock *sk, int ifindex, uint32_t parent, uint16_t prio,
			uint32_t handle, int prog_fd, const char *name, int mirred_ifindex,
			char *kmsg, size_t kmsg_len)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = handle,
		.tcm_parent = parent,
		.tcm_info = TC_H_MAKE((uint32_t)prio << 16, htons(ETH_P_ALL)),
	};
	struct nlattr *opts;
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "bpf"))
		goto full;
	opts = nla_nest_start(msg, TCA_OPTIONS);
	if (!opts || nla_put_u32(msg, TCA_BPF_FD, (uint32_t)prog_fd) ||
	    nla_put_string(msg, TCA_BPF_NAME, name))
		goto full;
	if (mirred_ifindex > 0 && put_mirred(msg, mirred_ifindex))
		goto full;
	nla_nest_end(msg, opts);
	return fl_nl_request(sk, msg, NL_TIMEOUT_MS, kmsg, kmsg_len);
full:
	nlmsg_free(msg);
	return -ENOBUFS;
}

int fl_shape_filter_delete(struct nl_sock *sk, int ifindex, uint32_t parent, uint16_t prio,
			   uint32_t handle)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = handle,
		.tcm_parent = parent,
		.tcm_info = TC_H_MAKE((uint32_t)prio << 16, htons(ETH_P_ALL)),
	};
	struct nl_msg *msg;
	int err;

	msg = nlmsg_alloc_simple(RTM_DELTFILTER, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "bpf")) {
		nlmsg_free(msg);
		return -ENOBUFS;
	}
	err = fl_nl_request(sk, msg, NL_TIMEOUT_MS, NULL, 0);
	/* Gone with its device or qdisc: fine. */
	return err == -ENOENT || err == -ENODEV || err == -EINVAL ? 0 : err;
}

static int add_root(struct nl_sock *sk, int ifindex, char *kmsg, size_t kmsg_len)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_msg *msg;
	int err;

	if (!q)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), root_handle());
	err = rtnl_tc_set_kind(TC_CAST(q), "htb");
	/* No default class: what no filter claims goes through HTB's direct queue. */
	if (!err)
		err = rtnl_htb_set_defcls(q, 0);
	if (!err)
		err = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg);
	rtnl_qdisc_put(q);
	if (err < 0)
		return fl_nl_errno(err);
	return fl_nl_request(sk, msg, NL_TIMEOUT_MS, kmsg, kmsg_len);
}

static int add_class(struct nl_sock *sk, int ifindex, size_t i, const struct shape_class *sc,
		     char *kmsg, size_t kmsg_len)
{
	uint64_t bps = sc->mech == FL_NET_SHAPE_HTB ? sc->rate_bps : UNLIMITED_BPS;
	uint64_t bytes = bps / 8 ? bps / 8 : 1;
	uint64_t quantum = bytes / 10;
	struct rtnl_class *cls = rtnl_class_alloc();
	struct nl_msg *msg;
	int err;

	if (!cls)
		return -ENOMEM;
	/* HTB warns below 1000 and above 200000 bytes (r2q 10 gives rate/10). */
	if (quantum < 1514)
		quantum = 1514;
	if (quantum > 200000)
		quantum = 200000;
	rtnl_tc_set_ifindex(TC_CAST(cls), ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), root_handle());
	rtnl_tc_set_handle(TC_CAST(cls), class_id(i));
	err = rtnl_tc_set_kind(TC_CAST(cls), "htb");
	if (!err)
		err = rtnl_htb_set_rate64(cls, bytes);
	if (!err)
		err = rtnl_htb_set_ceil64(cls, bytes);
	if (!err)
		err = rtnl_htb_set_quantum(cls, (uint32_t)quantum);
	if (!err)
		err = rtnl_class_build_add_request(cls, NLM_F_CREATE | NLM_F_EXCL, &msg);
	rtnl_class_put(cls);
	if (err < 0)
		return fl_nl_errno(err);
	return fl_nl_request(sk, msg, NL_TIMEOUT_MS, kmsg, kmsg_len);
}

static int add_netem(struct nl_sock *sk, int ifindex, size_t i, const struct shape_class *sc,
		     char *kmsg, size_t kmsg_len)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_msg *msg;
	int err;

	if (!q)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), class_id(i));
	rtnl_tc_set_handle(TC_CAST(q), leaf_handle(i));
	err = rtnl_tc_set_kind(TC_CAST(q), "netem");
	if (!err) {
		rtnl_netem_set_limit(q, NETEM_LIMIT);
		rtnl_netem_set_delay(q, (int)(sc->delay_ns / 1000));
		if (sc->jitter_ns)
			rtnl_netem_set_jitter(q, (int)(sc->jitter_ns / 1000));
		if (sc->reorder_ppm) {
			/* netem's probabilities are fractions of 2^32; gap 1 as tc sets it. */
			uint64_t p = (uint64_t)sc->reorder_ppm * 4294967295ull / 1000000ull;

			rtnl_netem_set_reorder_probability(q, (int)(uint32_t)p);
			rtnl_netem_set_gap(q, 1);
		}
		err = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg);
	}
	rtnl_qdisc_put(q);
	if (err < 0)
		return fl_nl_errno(err);
	return fl_nl_request(sk, msg, NL_TIMEOUT_MS, kmsg, kmsg_len);
}

static void where(const struct shape_ctx *c, char *buf, size_t len)
{
	if (c->netns && *c->netns)
		snprintf(buf, len, " in netns %s", c->netns);
	else
		buf[0] = '\0';
}

static void say(const struct shape_ctx *c, const struct shape_tree *t, const char *what,
		int err, const char *kmsg)
{
	char ns[NAME_MAX + 16];

	where(c, ns, sizeof(ns));
	fl_errf(c->errbuf, c->errlen, "%s on %s%s: %s%s%s", what, t->dev, ns, strerror(-err),
		kmsg[0] ? ": kernel says: " : "", kmsg);
}

int fl_shape_tree_make(const struct shape_ctx *c, struct nl_sock *sk, struct shape_tree *t,
		       const struct shape_class *classes, size_t n, int classify_fd)
{
	struct fl_state_qdisc root = {
		.netns = c->netns, .ifname = t->dev, .parent = TC_H_ROOT,
		.handle = root_handle(), .kind = "htb",
	};
	struct fl_state_tc_filter f = {
		.netns = c->netns, .ifname = t->dev, .parent = root_handle(),
		.prio = 1, .protocol = ETH_P_ALL, .handle = 1, .kind = "bpf",
	};
	char kmsg[160] = "", kind[32], ns[NAME_MAX + 16];
	uint32_t handle;
	int err;

	err = fl_shape_root_qdisc(sk, t->ifindex, &handle, kind, sizeof(kind));
	if (err) {
		say(c, t, "list the qdiscs", err, kmsg);
		return err;
	}
	if (handle) {
		where(c, ns, sizeof(ns));
		fl_errf(c->errbuf, c->errlen,
			"%s%s has a root qdisc %s %x: that someone set up, and shaping would replace it: faultline keeps it; remove it (tc qdisc del dev %s root) or target another device",
			t->dev, ns, kind, TC_H_MAJ(handle) >> 16, t->dev);
		return -EBUSY;
	}
	err = fl_state_record_qdisc(c->st, &root, &t->root_rec);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "record the HTB root of %s: %s", t->dev,
			strerror(-err));
		return err;
	}
	err = add_root(sk, t->ifindex, kmsg, sizeof(kmsg));
	if (err) {
		fl_state_forget(c->st, t->root_rec);
		t->root_rec = 0;
		say(c, t, "add an HTB root qdisc", err, kmsg);
		return err;
	}
	for (size_t i = 0; i < n; i++) {
		struct fl_state_qdisc leaf = {
			.netns = c->netns, .ifname = t->dev, .parent = class_id(i),
			.handle = leaf_handle(i), .kind = "netem",
		};

		if (!classes[i].used)
			continue;
		err = add_class(sk, t->ifindex, i, &classes[i], kmsg, sizeof(kmsg));
		if (err) {
			say(c, t, "add an HTB class", err, kmsg);
			goto fail;
		}
		if (classes[i].mech != FL_NET_SHAPE_NETEM)
			continue;
		err = fl_state_record_qdisc(c->st, &leaf, &t->leaf_rec[i]);
		if (err) {
			fl_errf(c->errbuf, c->errlen, "record a netem qdisc: %s", strerror(-err));
			goto fail;
		}
		err = add_netem(sk, t->ifindex, i, &classes[i], kmsg, sizeof(kmsg));
		if (err) {
			say(c, t, err == -ENOENT || err == -EOPNOTSUPP ?
				  "add a netem qdisc (sch_netem, CONFIG_NET_SCH_NETEM)" :
				  "add a netem qdisc", err, kmsg);
			goto fail;
		}
	}
	f.ifname = t->dev;
	err = fl_state_record_tc_filter(c->st, &f, &t->filter_rec);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "record the shaping filter: %s", strerror(-err));
		goto fail;
	}
	err = fl_shape_bpf_filter(sk, t->ifindex, root_handle(), 1, 1, classify_fd,
				  "fl_shape_classify", 0, kmsg, sizeof(kmsg));
	if (err) {
		say(c, t, "attach the shaping classifier (cls_bpf)", err, kmsg);
		goto fail;
	}
	return 0;
fail:
	fl_shape_tree_remove(c, sk, t);
	return err;
}

int fl_shape_tree_remove(const struct shape_ctx *c, struct nl_sock *sk, struct shape_tree *t)
{
	struct rtnl_qdisc *q;
	int err = 0;

	if (t->filter_rec) {
		err = fl_shape_filter_delete(sk, t->ifindex, root_handle(), 1, 1);
		if (err)
			return err;  /* records stay for the watchdog or `faultline cleanup` */
		fl_state_forget(c->st, t->filter_rec);
		t->filter_rec = 0;
	}
	if (!t->root_rec)
		return 0;
	q = rtnl_qdisc_alloc();
	if (!q)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), t->ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), root_handle());
	rtnl_tc_set_kind(TC_CAST(q), "htb");
	err = rtnl_qdisc_delete(sk, q);
	rtnl_qdisc_put(q);
	if (err && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV && err != -NLE_INVAL)
		return fl_nl_errno(err);
	/* The leaves and classes went with the root. */
	for (size_t i = 0; i < FL_NET_MAX_RULES; i++) {
		if (t->leaf_rec[i])
			fl_state_forget(c->st, t->leaf_rec[i]);
		t->leaf_rec[i] = 0;
	}
	fl_state_forget(c->st, t->root_rec);
	t->root_rec = 0;
	return 0;
}
