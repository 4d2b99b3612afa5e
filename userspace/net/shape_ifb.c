// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ingress shaping: a qdisc shapes only what a device sends, so the matching
 * packets a device receives are redirected (mirred, from the clsact
 * ingress hook) to an IFB device of faultline's own and shaped on its
 * egress, from where the IFB hands them back to the device's receive path.
 * The selector is the shaping classifier itself, so only the packets a
 * rule claims take the detour. The IFB is recorded before it is created
 * and deleted last; deleting it takes its qdiscs along.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include <faultline/state.h>

#include "core/errbuf.h"
#include "net/shape_priv.h"
#include "probe/probe_nl.h"

#define IFB_TXQLEN 1000

static uint32_t ingress_parent(void)
{
	return TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
}

static int make_ifb(const struct shape_ctx *c, struct nl_sock *sk, struct shape_dev *d)
{
	struct fl_state_link rec = { .netns = c->netns, .ifname = d->ifb, .kind = "ifb" };
	struct rtnl_link *link;
	int err;

	err = fl_state_record_link(c->st, &rec, &d->ifb_rec);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "record the IFB device %s: %s", d->ifb,
			strerror(-err));
		return err;
	}
	link = rtnl_link_alloc();
	if (!link) {
		err = -ENOMEM;
		goto fail;
	}
	rtnl_link_set_name(link, d->ifb);
	rtnl_link_set_txqlen(link, IFB_TXQLEN);
	rtnl_link_set_flags(link, IFF_UP);
	err = rtnl_link_set_type(link, "ifb");
	if (!err)
		err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	if (err < 0) {
		err = fl_nl_errno(err);
		fl_errf(c->errbuf, c->errlen,
			"create the IFB device %s for ingress shaping: %s (%s): without IFB (CONFIG_IFB) only egress can be shaped: use dir=egress, or delay with dir=ingress through the NFQUEUE delay line where netem is missing",
			d->ifb, strerror(-err),
			err == -EOPNOTSUPP || err == -ENOENT ? "no ifb link type in this kernel" :
							       "the kernel refused it");
		goto fail;
	}
	d->ifb_ifindex = (int)if_nametoindex(d->ifb);
	if (!d->ifb_ifindex) {
		err = -ENODEV;
		fl_errf(c->errbuf, c->errlen, "the IFB device %s vanished", d->ifb);
		goto fail;
	}
	return 0;
fail:
	fl_state_forget(c->st, d->ifb_rec);
	d->ifb_rec = 0;
	return err;
}

static int delete_ifb(const struct shape_ctx *c, struct nl_sock *sk, struct shape_dev *d)
{
	struct rtnl_link *link;
	int err;

	if (!d->ifb_rec)
		return 0;
	link = rtnl_link_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, d->ifb);
	err = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	if (err && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
		return fl_nl_errno(err);
	fl_state_forget(c->st, d->ifb_rec);
	d->ifb_rec = 0;
	/* Its qdiscs went with it. */
	for (size_t i = 0; i < FL_NET_MAX_RULES; i++) {
		if (d->ingress.leaf_rec[i])
			fl_state_forget(c->st, d->ingress.leaf_rec[i]);
		d->ingress.leaf_rec[i] = 0;
	}
	if (d->ingress.filter_rec)
		fl_state_forget(c->st, d->ingress.filter_rec);
	if (d->ingress.root_rec)
		fl_state_forget(c->st, d->ingress.root_rec);
	d->ingress.filter_rec = d->ingress.root_rec = 0;
	return 0;
}

/* The device's clsact, made (and recorded) only when missing. */
static int ensure_clsact(const struct shape_ctx *c, struct nl_sock *sk, struct shape_dev *d)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = BPF_TC_INGRESS);
	struct fl_state_qdisc q = {
		.netns = c->netns, .ifname = d->name, .parent = TC_H_CLSACT,
		.handle = TC_H_MAKE(TC_H_CLSACT, 0), .kind = "clsact",
	};
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *have;
	int err;

	err = rtnl_qdisc_alloc_cache(sk, &cache);
	if (err < 0) {
		err = fl_nl_errno(err);
		fl_errf(c->errbuf, c->errlen, "list the qdiscs of %s: %s", d->name, strerror(-err));
		return err;
	}
	have = rtnl_qdisc_get_by_parent(cache, d->ifindex, TC_H_CLSACT);
	nl_cache_free(cache);
	if (have) {
		rtnl_qdisc_put(have);
		return 0;
	}
	err = fl_state_record_qdisc(c->st, &q, &d->clsact_rec);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "record the clsact qdisc of %s: %s", d->name,
			strerror(-err));
		return err;
	}
	err = bpf_tc_hook_create(&hook);
	if (!err)
		return 0;
	fl_state_forget(c->st, d->clsact_rec);
	d->clsact_rec = 0;
	if (err == -EEXIST)
		return 0;  /* made since we looked: theirs */
	fl_errf(c->errbuf, c->errlen, "create a clsact qdisc on %s: %s", d->name, strerror(-err));
	return err;
}

int fl_shape_ingress_make(const struct shape_ctx *c, struct nl_sock *sk, struct shape_dev *d,
			  unsigned k, const struct shape_class *classes, size_t n,
			  int classify_fd, int select_fd)
{
	struct fl_state_tc_filter f = {
		.netns = c->netns, .ifname = d->name, .parent = ingress_parent(),
		.prio = FL_NET_SHAPE_SEL_PRIO, .protocol = ETH_P_ALL,
		.handle = FL_NET_SHAPE_SEL_HANDLE, .kind = "bpf",
	};
	char kmsg[160] = "";
	int err;

	snprintf(d->ifb, sizeof(d->ifb), FL_NET_SHAPE_IFB_PREFIX "%d_%u", (int)getpid(), k);
	err = make_ifb(c, sk, d);
	if (err)
		return err;
	snprintf(d->ingress.dev, sizeof(d->ingress.dev), "%s", d->ifb);
	d->ingress.ifindex = d->ifb_ifindex;
	err = fl_shape_tree_make(c, sk, &d->ingress, classes, n, classify_fd);
	if (err)
		goto fail;
	err = ensure_clsact(c, sk, d);
	if (err)
		goto fail;
	err = fl_state_record_tc_filter(c->st, &f, &d->sel_rec);
	if (err) {
		fl_errf(c->errbuf, c->errlen, "record the ingress selector: %s", strerror(-err));
		goto fail;
	}
	err = fl_shape_bpf_filter(sk, d->ifindex, ingress_parent(), FL_NET_SHAPE_SEL_PRIO,
				  FL_NET_SHAPE_SEL_HANDLE, select_fd, "fl_shape_select",
				  d->ifb_ifindex, kmsg, sizeof(kmsg));
	if (err) {
		fl_state_forget(c->st, d->sel_rec);
		d->sel_rec = 0;
		fl_errf(c->errbuf, c->errlen,
			"redirect the ingress of %s to %s (cls_bpf + mirred, CONFIG_NET_ACT_MIRRED): %s%s%s",
			d->name, d->ifb, strerror(-err), kmsg[0] ? ": kernel says: " : "", kmsg);
		goto fail;
	}
	return 0;
fail:
	fl_shape_ingress_remove(c, sk, d);
	return err;
}

int fl_shape_ingress_remove(const struct shape_ctx *c, struct nl_sock *sk, struct shape_dev *d)
{
	int err;

	if (d->sel_rec) {
		err = fl_shape_filter_delete(sk, d->ifindex, ingress_parent(),
					     FL_NET_SHAPE_SEL_PRIO, FL_NET_SHAPE_SEL_HANDLE);
		if (err)
			return err;
		fl_state_forget(c->st, d->sel_rec);
		d->sel_rec = 0;
	}
	if (d->clsact_rec) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
				    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

		err = bpf_tc_hook_destroy(&hook);
		if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL)
			return err;
		fl_state_forget(c->st, d->clsact_rec);
		d->clsact_rec = 0;
	}
	return delete_ifb(c, sk, d);
}
