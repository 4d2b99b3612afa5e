// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which devices a target means, in one place for the fault programs
 * (attach_tc.c) and the shaping trees (shape_session.c): a --dev alone, or
 * for a netns every device but lo and the IFBs of faultline (ours or
 * another run's), which only carry packets redirected from a device that
 * is itself a target. Called inside the target's netns.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/net_shape.h>

#include "net/devices.h"

int fl_net_devices(const char *dev, struct fl_net_ifname **ret, size_t *ret_n)
{
	struct if_nameindex *all, *it;
	struct fl_net_ifname *v;
	size_t n = 0, max = 0;

	if (dev) {
		int ifindex = (int)if_nametoindex(dev);

		if (!ifindex)
			return -ENODEV;
		v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		snprintf(v->name, sizeof(v->name), "%s", dev);
		v->ifindex = ifindex;
		*ret = v;
		*ret_n = 1;
		return 0;
	}
	all = if_nameindex();
	if (!all)
		return -errno;
	for (it = all; it->if_index; it++)
		max++;
	v = calloc(max ? max : 1, sizeof(*v));
	if (!v) {
		if_freenameindex(all);
		return -ENOMEM;
	}
	for (it = all; it->if_index; it++) {
		if (!strcmp(it->if_name, "lo") ||
		    !strncmp(it->if_name, FL_NET_SHAPE_IFB_PREFIX, strlen(FL_NET_SHAPE_IFB_PREFIX)))
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s", it->if_name);
		v[n++].ifindex = (int)it->if_index;
	}
	if_freenameindex(all);
	if (!n) {
		free(v);
		return -ENOENT;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
