// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tc attachment of the network programs: tcx links where the kernel has
 * them (attach_tcx.c: no qdisc grafted, nothing to record), else per
 * device the clsact
 * qdisc (created only when missing, and then ours to remove) and one BPF
 * filter per direction the rules need. Each is recorded in core state
 * before it is created, so no moment exists at which a SIGKILL leaves an
 * unrecorded object. In a named netns only the calling thread moves there
 * (setns is per thread), as core's undo does; libbpf opens its netlink
 * socket per call, so it talks to the netns the thread is in.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include <faultline/state.h>

#include "core/netns.h"
#include "net/net_priv.h"
#include "net.skel.h"

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static const char *in_ns(const struct fl_net_session *s, char *buf, size_t len)
{
	if (*s->netns)
		snprintf(buf, len, " in netns %s", s->netns);
	else
		*buf = '\0';
	return buf;
}

/* Does the device already have a clsact (or ingress) qdisc? Runs in the netns. */
static int clsact_present(int ifindex, bool *ret)
{
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *q;
	struct nl_sock *sk;
	int err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_qdisc_alloc_cache(sk, &cache);
	if (err) {
		nl_socket_free(sk);
		return -EIO;
	}
	q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_CLSACT);
	*ret = q != NULL;
	if (q)
		rtnl_qdisc_put(q);
	nl_cache_free(cache);
	nl_socket_free(sk);
	return 0;
}

/* The devices to attach to, resolved inside the target's netns. */
static int list_devices(struct fl_net_session *s, char *errbuf, size_t len)
{
	struct fl_net_ifname *v;
	char where[NAME_MAX + 16];
	size_t n;
	int err;

	err = fl_net_devices(s->kind == FL_NET_TARGET_DEV ? s->dev : NULL, &v, &n);
	if (err == -ENODEV)
		fl_errf(errbuf, len, "no device %s%s", s->dev, in_ns(s, where, sizeof(where)));
	else if (err == -ENOENT)
		fl_errf(errbuf, len, "netns %s has no device but lo", s->netns);
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

static int ensure_qdisc(struct fl_net_session *s, struct net_dev *d, char *errbuf, size_t len)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = BPF_TC_INGRESS);
	struct fl_state_qdisc q = {
		.netns = s->netns, .ifname = d->name, .parent = TC_H_CLSACT,
		.handle = TC_H_MAKE(TC_H_CLSACT, 0), .kind = "clsact",
	};
	bool present;
	int err;

	err = clsact_present(d->ifindex, &present);
	if (err) {
		fl_errf(errbuf, len, "list the qdiscs of %s: %s", d->name, strerror(-err));
		return err;
	}
	if (present)
		return 0;
	err = fl_state_record_qdisc(s->st, &q, &d->qdisc_rec);
	if (err) {
		fl_errf(errbuf, len, "record the clsact qdisc of %s: %s", d->name,
			   strerror(-err));
		return err;
	}
	err = bpf_tc_hook_create(&hook);
	if (err == -EEXIST) {
		/* Someone made one since we looked: it is theirs to keep. */
		fl_state_forget(s->st, d->qdisc_rec);
		d->qdisc_rec = 0;
		return 0;
	}
	if (err) {
		fl_state_forget(s->st, d->qdisc_rec);
		d->qdisc_rec = 0;
		fl_errf(errbuf, len, "create a clsact qdisc on %s: %s", d->name,
			   strerror(-err));
		return err;
	}
	d->qdisc_created = true;
	return 0;
}

static int attach_filter(struct fl_net_session *s, struct net_dev *d, int egress,
			 char *errbuf, size_t len)
{
	struct bpf_program *prog = egress ? s->skel->progs.fl_net_tc_egress
					  : s->skel->progs.fl_net_tc_ingress;
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = bpf_program__fd(prog),
			    .handle = FL_NET_TC_HANDLE, .priority = FL_NET_TC_PRIO);
	struct fl_state_tc_filter f = {
		.netns = s->netns, .ifname = d->name, .ifindex = d->ifindex,
		.parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS),
		.prio = FL_NET_TC_PRIO, .protocol = ETH_P_ALL, .handle = FL_NET_TC_HANDLE,
		.kind = "bpf",
	};
	libbpf_print_fn_t old;
	uint64_t rec;
	int err;

	err = fl_state_record_tc_filter(s->st, &f, &rec);
	if (err) {
		fl_errf(errbuf, len, "record the tc filter of %s: %s", d->name, strerror(-err));
		return err;
	}
	/* libbpf would print the kernel's "Filter already exists": errbuf says it. */
	old = libbpf_set_print(quiet_print);
	err = bpf_tc_attach(&hook, &opts);
	libbpf_set_print(old);
	if (err) {
		fl_state_forget(s->st, rec);
		if (err == -EEXIST)
			fl_errf(errbuf, len, "attach the %s tc filter to %s: prio %d handle %#x is taken",
				   egress ? "egress" : "ingress", d->name, FL_NET_TC_PRIO,
				   FL_NET_TC_HANDLE);
		else
			fl_errf(errbuf, len, "attach the %s tc filter to %s: %s",
				   egress ? "egress" : "ingress", d->name, strerror(-err));
		return err;
	}
	d->filter_rec[egress] = rec;
	return 0;
}

/* Remove what this session put on d. Runs in the netns. */
static int detach_dev(struct fl_net_session *s, struct net_dev *d)
{
	int first = 0;

	fl_net_tcx_detach(d);
	for (int egress = 0; egress < 2; egress++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
				    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FL_NET_TC_HANDLE,
				    .priority = FL_NET_TC_PRIO);
		int err;

		if (!d->filter_rec[egress])
			continue;
		err = bpf_tc_detach(&hook, &opts);
		if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL) {
			if (!first)
				first = err;
			continue;
		}
		fl_state_forget(s->st, d->filter_rec[egress]);
		d->filter_rec[egress] = 0;
	}
	if (d->qdisc_created) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->ifindex,
				    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		int err = bpf_tc_hook_destroy(&hook);

		if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL) {
			if (!first)
				first = err;
		} else {
			fl_state_forget(s->st, d->qdisc_rec);
			d->qdisc_created = false;
			d->qdisc_rec = 0;
		}
	}
	return first;
}

static int detach_all(struct fl_net_session *s)
{
	int first = 0;

	for (size_t i = 0; i < s->n_devs; i++) {
		int err = detach_dev(s, &s->devs[i]);

		if (err && !first)
			first = err;
	}
	if (!first) {
		free(s->devs);
		s->devs = NULL;
		s->n_devs = 0;
	}
	return first;
}

int fl_net_tc_attach(struct fl_net_session *s, char *errbuf, size_t len)
{
	int saved, err, lerr;

	err = fl_netns_enter(s->netns, &saved);
	if (err) {
		fl_errf(errbuf, len, "enter netns %s: %s", s->netns, strerror(-err));
		return err;
	}
	err = list_devices(s, errbuf, len);
	for (size_t i = 0; !err && i < s->n_devs; i++) {
		struct net_dev *d = &s->devs[i];

		err = fl_net_tcx_attach(s, d, errbuf, len);
		if (err != -EOPNOTSUPP)
			continue;
		err = ensure_qdisc(s, d, errbuf, len);
		if (!err && (s->dirs & FL_NET_ABI_INGRESS))
			err = attach_filter(s, d, 0, errbuf, len);
		if (!err && (s->dirs & FL_NET_ABI_EGRESS))
			err = attach_filter(s, d, 1, errbuf, len);
	}
	if (err)
		detach_all(s);
	lerr = fl_netns_leave(saved);
	if (lerr && !err) {
		fl_errf(errbuf, len, "return from netns %s: %s", s->netns, strerror(-lerr));
		err = lerr;
	}
	return err;
}

int fl_net_tc_detach(struct fl_net_session *s, char *errbuf, size_t len)
{
	char where[NAME_MAX + 16];
	int saved, err, lerr;

	err = fl_netns_enter(s->netns, &saved);
	if (err == -ENOENT) {
		/* The netns is gone, and our filters with it. */
		for (size_t i = 0; i < s->n_devs; i++) {
			struct net_dev *d = &s->devs[i];

			fl_net_tcx_detach(d);
			for (int k = 0; k < 2; k++)
				if (d->filter_rec[k])
					fl_state_forget(s->st, d->filter_rec[k]);
			if (d->qdisc_rec)
				fl_state_forget(s->st, d->qdisc_rec);
		}
		free(s->devs);
		s->devs = NULL;
		s->n_devs = 0;
		return 0;
	}
	if (err) {
		fl_errf(errbuf, len, "enter netns %s: %s", s->netns, strerror(-err));
		return err;
	}
	err = detach_all(s);
	if (err)
		fl_errf(errbuf, len, "remove the tc filters%s: %s",
			   in_ns(s, where, sizeof(where)), strerror(-err));
	lerr = fl_netns_leave(saved);
	if (lerr && !err) {
		fl_errf(errbuf, len, "return from netns %s: %s", s->netns, strerror(-lerr));
		err = lerr;
	}
	return err;
}
