// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Undo of a network device faultline created (an IFB for ingress
 * shaping): deleted through libnl-route inside its netns, but only when
 * the device of that name is of the recorded kind. A device of another
 * kind that took the name since is someone else's: it counts as gone.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "state_priv.h"

static const char *get_str(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* Runs in the netns. 0 (deleted or gone) or a libnl error (negative). */
static int link_delete(const char *ifname, const char *kind)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sk;
	const char *type;
	int err;

	sk = nl_socket_alloc();
	if (!sk)
		return -NLE_NOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err)
		goto out;
	err = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (err) {
		if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
			err = 0;
		goto out;
	}
	type = rtnl_link_get_type(link);
	if (!type || strcmp(type, kind))
		goto out;  /* not ours */
	err = rtnl_link_delete(sk, link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
		err = 0;
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return err;
}

int fl_undo_link(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *netns = get_str(rec, "netns");
	const char *ifname = get_str(rec, "ifname");
	const char *kind = get_str(rec, "link");
	int saved, err, nlerr;

	snprintf(what, what_len, "link %s %s%s%s", *kind ? kind : "?", ifname,
		 *netns ? " in netns " : "", netns);
	if (!*ifname || !*kind || strlen(ifname) >= 16) {
		snprintf(msg, msg_len, "record has no valid ifname/kind");
		return -EBADMSG;
	}
	err = fl_netns_enter(netns, &saved);
	if (err) {
		if (err == -ENOENT)
			return 0;  /* the netns went, and its devices with it */
		snprintf(msg, msg_len, "cannot enter netns %s: %s", netns, strerror(-err));
		return err;
	}
	nlerr = link_delete(ifname, kind);
	err = fl_netns_leave(saved);
	if (err) {
		snprintf(msg, msg_len, "cannot return from netns %s: %s", netns, strerror(-err));
		return err;
	}
	if (nlerr) {
		snprintf(msg, msg_len, "netlink: %s", nl_geterror(nlerr));
		return -EIO;
	}
	return 0;
}
