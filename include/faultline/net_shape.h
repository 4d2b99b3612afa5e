/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Packet shaping: delay=DUR[~JITTER][:reorder=P%] through netem and rate=BW
 * through HTB, on the devices of a --dev or --netns target, egress on the
 * device itself and ingress on an IFB device the matching packets are
 * redirected to (mirred). Only matching packets are shaped:
 *
 * - egress: an HTB root qdisc (handle fa17:) with no default class, so a
 *   packet that no rule claims goes through HTB's direct queue, untouched;
 *   one class fa17:N per rule (rate = the rule's rate, or, under a netem
 *   leaf for a delay rule, a rate far above the device's); a cls_bpf
 *   classifier (bpf/net_shape.bpf.c) puts each matching packet into its
 *   rule's class.
 * - ingress: an IFB device (faultline's own), with the same layout on its
 *   egress; on the device's clsact ingress, the classifier with a mirred
 *   action redirects the matching packets, and only them, to the IFB.
 *
 * A root qdisc that someone set up (a handle other than 0:) is never
 * replaced: the start is refused. Every qdisc, filter and IFB device is
 * recorded in core state before it is created (HTB classes die with their
 * qdisc), and forgotten once removed, so a SIGKILLed controller leaves
 * nothing once its watchdog or `faultline cleanup` ran.
 *
 * Which delay mechanism a kernel gets is the probe's choice
 * (fl_net_shape_pick): netem where the kernel has it, else the NFQUEUE
 * delay line (<faultline/net_delay.h>), which is run by the caller.
 */
#ifndef FAULTLINE_NET_SHAPE_H
#define FAULTLINE_NET_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/net.h>
#include <faultline/net_shape_abi.h>

struct fl_rule;
struct fl_rule_error;
struct fl_state;
struct fl_net_shape;

enum fl_net_shape_mech {
	FL_NET_SHAPE_NONE = 0,   /* not a shaping rule */
	FL_NET_SHAPE_NFQUEUE,    /* delay through the NFQUEUE delay line (the caller's) */
	FL_NET_SHAPE_NETEM,      /* delay under an HTB class, netem leaf */
	FL_NET_SHAPE_HTB,        /* rate: an HTB class */
};

/* The tc handles: HTB root fa17:, class fa17:(rule+1), netem leaf (fa20+rule):. */
#define FL_NET_SHAPE_MAJOR       0xfa17u
#define FL_NET_SHAPE_LEAF_MAJOR  0xfa20u
/* The ingress selector's filter on clsact: prio and handle (net.h's is prio 1). */
#define FL_NET_SHAPE_SEL_PRIO    2
#define FL_NET_SHAPE_SEL_HANDLE  0xfa18
/* IFB names: "flifb<pid>_<k>", k the target device's index in the run. */
#define FL_NET_SHAPE_IFB_PREFIX  "flifb"

/*
 * Does this kernel have netem? Asks the probe (a scratch netns, a netem
 * qdisc added and removed). why gets the probe's detail when it has not.
 */
bool fl_net_shape_netem_works(char *why, size_t len);

/*
 * The mechanism for a parsed rule (FL_NET_SHAPE_NONE for a rule that is
 * not delay= or rate=) on a target kind, netem being there or not. A rule
 * no mechanism can honour is refused with -EOPNOTSUPP and err naming the
 * column, the missing mechanism and the nearest one that works.
 */
int fl_net_shape_pick(const struct fl_rule *r, enum fl_net_target_kind kind, bool netem,
		      enum fl_net_shape_mech *ret, struct fl_rule_error *err);

/* "netem", "htb", "nfqueue"; with ifb: "netem+ifb", "htb+ifb" (ingress shaped there). */
const char *fl_net_shape_mech_name(enum fl_net_shape_mech m, bool ifb);

/*
 * Start shaping: rules[i] with mech[i] NETEM or HTB are set up on the
 * target (a DEV or a NETNS: every device but lo and faultline's IFBs); the
 * others are skipped. ingress_busy: the caller has tc rules on clsact ingress of the
 * same devices, which a redirect to the IFB would hide the shaped packets
 * from: ingress shaping is then refused. st: where to record. On failure
 * nothing is left and errbuf says why.
 */
int fl_net_shape_start(const struct fl_rule *rules, const enum fl_net_shape_mech *mech,
		       size_t n, const struct fl_net_target *t, bool ingress_busy,
		       struct fl_state *st, struct fl_net_shape **ret, char *errbuf,
		       size_t errlen);

/* Rule i's packets sent into its class so far (egress and ingress, all devices). */
int fl_net_shape_counters(const struct fl_net_shape *s, size_t i,
			  struct fl_net_shape_counters *ret);
/* Does rule i shape ingress through an IFB? */
bool fl_net_shape_uses_ifb(const struct fl_net_shape *s, size_t i);

/*
 * Stop: remove the filters first (nothing is classified any more), then
 * the qdiscs and the IFB devices; keep the counters. Returns 0 or the
 * first removal error (its record stays for `faultline cleanup`).
 */
int fl_net_shape_stop(struct fl_net_shape *s, char *errbuf, size_t errlen);
/* Stop if needed, and free. NULL is fine. */
void fl_net_shape_free(struct fl_net_shape *s);

#endif /* FAULTLINE_NET_SHAPE_H */
