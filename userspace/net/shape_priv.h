/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shaping's insides (<faultline/net_shape.h>), shared by its files. */
#ifndef FL_NET_SHAPE_PRIV_H
#define FL_NET_SHAPE_PRIV_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <faultline/net_shape.h>

struct nl_sock;
struct fl_state;

/* What one typed rule asks of its class. */
struct shape_class {
	bool used;                 /* a shaping rule in this direction */
	enum fl_net_shape_mech mech;
	uint64_t rate_bps;         /* HTB: the class's rate; netem: 0 (a rate far above) */
	uint64_t delay_ns, jitter_ns;
	uint32_t reorder_ppm;
};

/* The HTB tree on one device's egress (the target's, or an IFB's). */
struct shape_tree {
	char dev[IF_NAMESIZE];
	int ifindex;
	uint64_t root_rec;         /* 0 = not made */
	uint64_t leaf_rec[FL_NET_MAX_RULES];
	uint64_t filter_rec;
};

/* One target device: its egress tree, and for ingress its IFB and selector. */
struct shape_dev {
	char name[IF_NAMESIZE];
	int ifindex;
	struct shape_tree egress;
	char ifb[IF_NAMESIZE];
	int ifb_ifindex;
	uint64_t ifb_rec;          /* 0 = no IFB */
	struct shape_tree ingress; /* on the IFB */
	uint64_t clsact_rec;       /* the clsact qdisc we made, 0 = none (or not ours) */
	uint64_t sel_rec;          /* the selector + mirred filter */
};

struct shape_ctx {
	struct fl_state *st;
	const char *netns;         /* "" = the caller's */
	char *errbuf;
	size_t errlen;
};

/* shape_qdisc.c: in the device's netns, with sk opened there. */
int fl_shape_tree_make(const struct shape_ctx *c, struct nl_sock *sk, struct shape_tree *t,
		       const struct shape_class *classes, size_t n, int classify_fd);
int fl_shape_tree_remove(const struct shape_ctx *c, struct nl_sock *sk, struct shape_tree *t);
/*
 * A cls_bpf filter in classic mode (the program's answer is the class id),
 * with a mirred egress redirect to mirred_ifindex when that is > 0.
 */
int fl_shape_bpf_filter(struct nl_sock *sk, int ifindex, uint32_t parent, uint16_t prio,
			uint32_t handle, int prog_fd, const char *name, int mirred_ifindex,
			char *kmsg, size_t kmsg_len);
int fl_shape_filter_delete(struct nl_sock *sk, int ifindex, uint32_t parent, uint16_t prio,
			   uint32_t handle);
/* The root qdisc of ifindex: *ret_handle (0 = the kernel's default), kind into kind. */
int fl_shape_root_qdisc(struct nl_sock *sk, int ifindex, uint32_t *ret_handle, char *kind,
			size_t kind_len);

/* shape_ifb.c */
int fl_shape_ingress_make(const struct shape_ctx *c, struct nl_sock *sk, struct shape_dev *d,
			  unsigned k, const struct shape_class *classes, size_t n,
			  int classify_fd, int select_fd);
int fl_shape_ingress_remove(const struct shape_ctx *c, struct nl_sock *sk, struct shape_dev *d);

#endif /* FL_NET_SHAPE_PRIV_H */
