/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The shaping classifier's ABI (bpf/net_shape.bpf.c, userspace/net/shape_*.c):
 * one slot per shaping rule of one direction, the rule's match (the packet
 * part of struct fl_net_rule: proto, family, addresses, ports) and the tc
 * class its packets go to. The classifier runs as a cls_bpf filter in
 * classic (not direct-action) mode, so its return value is the class id:
 * 0 means "no rule matched" and the packet stays out of every shaped class.
 */
#ifndef FAULTLINE_NET_SHAPE_ABI_H
#define FAULTLINE_NET_SHAPE_ABI_H

#include <faultline/net_abi.h>

struct fl_net_shape_slot {
	struct fl_net_rule match;   /* dir, action, selectors: ignored */
	__u32 classid;              /* TC_H_MAKE(major, minor) */
	__u32 _pad;
};

/* Per slot, in an array map: packets the classifier sent to the class. */
struct fl_net_shape_counters {
	__u64 packets;
	__u64 bytes;
};

#endif /* FAULTLINE_NET_SHAPE_ABI_H */
