/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which devices a target means (devices.c), for the fault programs and the shaping trees. */
#ifndef FL_NET_DEVICES_H
#define FL_NET_DEVICES_H

#include <net/if.h>
#include <stddef.h>

/* A device of the target's netns. */
struct fl_net_ifname {
	char name[IF_NAMESIZE];
	int ifindex;
};

/*
 * Inside the target's netns (devices.c): dev alone (-ENODEV when there is
 * no such device), or with dev NULL every device but lo and faultline's
 * IFBs (-ENOENT when that leaves none). *ret is the caller's to free.
 */
int fl_net_devices(const char *dev, struct fl_net_ifname **ret, size_t *ret_n);

#endif
