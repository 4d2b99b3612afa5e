// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cluster's network: a hub netns holding the bridge, a veth from the
 * host into it (the host's one new device, with the subnet's .1), and a
 * veth per node from the bridge into the node's netns. Every veth is made
 * from inside the hub with its far end created straight in the other
 * netns, so no device ever appears anywhere else, even for a moment.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include <faultline/state.h>
#include "cluster_priv.h"
#include "core/child.h"
#include "core/errbuf.h"
#include "core/netns.h"

int fl_cluster_netns_add(const char *name)
{
	char path[PATH_MAX];
	int fd, status, err = 0;
	pid_t pid;

	if (mkdir(FL_NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", FL_NETNS_RUN_DIR, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	/* unshare in a child: this process (and its threads) stay where they are. */
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto fail;
	}
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			_exit(2);
		_exit(fl_link_up("lo") ? 3 : 0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		err = WIFEXITED(status) && WEXITSTATUS(status) == 3 ? -ENETDOWN : -EPERM;
		goto fail;
	}
	return 0;
fail:
	umount2(path, MNT_DETACH);
	unlink(path);
	return err;
}

static int nl_open(struct nl_sock **ret)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err) {
		nl_socket_free(sk);
		return -EIO;
	}
	*ret = sk;
	return 0;
}

static int ifindex(struct nl_sock *sk, const char *ifname)
{
	struct rtnl_link *l = NULL;
	int idx;

	if (rtnl_link_get_kernel(sk, 0, ifname, &l))
		return -ENODEV;
	idx = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return idx;
}

/* In the current netns: a veth a (enslaved to master, 0 = none), its peer b in netns fd. */
static int veth_add(struct nl_sock *sk, const char *a, int master, const char *b, int peer_ns)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *peer;
	int err;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, a);
	if (master > 0)
		rtnl_link_set_master(l, master);
	peer = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(peer, b);
	rtnl_link_set_ns_fd(peer, peer_ns);
	err = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_put(l);
	return err == -NLE_EXIST ? -EEXIST : err ? -EIO : 0;
}

static int bridge_add(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int err;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	err = rtnl_link_set_type(l, "bridge");
	if (!err)
		err = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	return err == -NLE_EXIST ? -EEXIST : err ? -EIO : 0;
}

static int addr_add(struct nl_sock *sk, const char *ifname, const char *cidr)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int idx = ifindex(sk, ifname), err;

	if (!a)
		return -ENOMEM;
	err = idx < 0 ? idx : nl_addr_parse(cidr, AF_INET, &local) ? -EINVAL : 0;
	if (!err) {
		rtnl_addr_set_ifindex(a, idx);
		rtnl_addr_set_local(a, local);
		err = rtnl_addr_add(sk, a, 0) ? -EIO : 0;
	}
	if (local)
		nl_addr_put(local);
	rtnl_addr_put(a);
	return err;
}

/* fd of netns name ("" = the one the thread was in: saved). */
static int ns_fd(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", FL_NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* In netns ns: bring ifname up, and give it cidr (NULL = no address). */
static int setup_in(const char *ns, const char *ifname, const char *cidr)
{
	struct nl_sock *sk = NULL;
	int saved, err, e2;

	err = fl_netns_enter(ns, &saved);
	if (err)
		return err;
	err = nl_open(&sk);
	if (!err && cidr)
		err = addr_add(sk, ifname, cidr);
	if (!err)
		err = fl_link_up(ifname);
	if (sk)
		nl_socket_free(sk);
	e2 = fl_netns_leave(saved);
	return err ? err : e2;
}

/*
 * Is the /24 already used on the host (an address of any device in it)?
 * Then routing to the nodes would change what the host reaches: refuse.
 */
static int subnet_free(const struct fl_cluster *c, char *errbuf, size_t errlen)
{
	struct ifaddrs *ifa = NULL;
	struct in_addr net;
	char want[32];
	int err = 0;

	snprintf(want, sizeof(want), "%s0", c->prefix);
	if (inet_pton(AF_INET, want, &net) != 1)
		return -EINVAL;
	if (getifaddrs(&ifa) < 0)
		return 0;  /* cannot tell: the kernel refuses a true clash at address time anyway */
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;
		char a[INET_ADDRSTRLEN];

		if (!sin || sin->sin_family != AF_INET ||
		    (ntohl(sin->sin_addr.s_addr) & 0xffffff00u) != ntohl(net.s_addr))
			continue;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		fl_errf(errbuf, errlen, "subnet %s/24 is in use on this host (%s has %s): "
			"pick another with --subnet", want, i->ifa_name, a);
		err = -EADDRINUSE;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

int fl_cluster_hub_create(struct fl_cluster *c, char *errbuf, size_t errlen)
{
	struct fl_state_link br = { .netns = c->hub_ns, .ifname = FL_CLUSTER_BRIDGE,
				    .kind = "bridge" };
	struct fl_state_link host = { .netns = NULL, .ifname = c->host_if, .kind = "veth" };
	struct nl_sock *sk = NULL;
	char cidr[32];
	int saved = -1, host_ns = -1, err, br_idx;

	err = subnet_free(c, errbuf, errlen);
	if (err)
		return err;
	/* Recorded first: a SIGKILL between record and creation leaves nothing behind. */
	err = fl_state_record_netns(c->st, c->hub_ns, NULL);
	if (!err)
		err = fl_state_record_link(c->st, &host, NULL);
	if (!err)
		err = fl_state_record_link(c->st, &br, NULL);
	if (err) {
		fl_errf(errbuf, errlen, "cannot record the hub: %s", strerror(-err));
		return err;
	}
	err = fl_cluster_netns_add(c->hub_ns);
	if (err) {
		fl_errf(errbuf, errlen, "cannot create netns %s: %s", c->hub_ns,
			err == -EEXIST ? "it exists (another cluster of that name?)" :
			strerror(-err));
		return err;
	}
	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (host_ns < 0)
		return -errno;
	err = fl_netns_enter(c->hub_ns, &saved);
	if (err)
		goto out;
	err = nl_open(&sk);
	if (!err)
		err = bridge_add(sk, FL_CLUSTER_BRIDGE);
	br_idx = err ? -1 : ifindex(sk, FL_CLUSTER_BRIDGE);
	if (!err && br_idx < 0)
		err = br_idx;
	if (!err)
		err = veth_add(sk, FL_CLUSTER_HUB_PEER, br_idx, c->host_if, host_ns);
	if (!err)
		err = fl_link_up(FL_CLUSTER_BRIDGE);
	if (!err)
		err = fl_link_up(FL_CLUSTER_HUB_PEER);
	if (sk)
		nl_socket_free(sk);
	fl_netns_leave(saved);
	if (err) {
		fl_errf(errbuf, errlen, "cannot make the bridge and the host's veth %s: %s",
			c->host_if, err == -EEXIST ? "a device of that name exists" :
			strerror(-err));
		goto out;
	}
	snprintf(cidr, sizeof(cidr), "%s/24", c->host_addr);
	err = setup_in(NULL, c->host_if, cidr);
	if (err)
		fl_errf(errbuf, errlen, "cannot give %s the address %s: %s", c->host_if, cidr,
			strerror(-err));
out:
	close(host_ns);
	return err;
}

int fl_cluster_hub_attach_node(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen)
{
	struct fl_cluster_node *n = &c->nodes[i];
	struct fl_state_link hub_end = { .netns = c->hub_ns, .ifname = n->name, .kind = "veth" };
	struct nl_sock *sk = NULL;
	char cidr[32];
	int saved = -1, node_ns = -1, err, br_idx;

	err = fl_state_record_netns(c->st, n->netns, NULL);
	if (!err)
		err = fl_state_record_link(c->st, &hub_end, NULL);
	if (err) {
		fl_errf(errbuf, errlen, "cannot record node %s: %s", n->name, strerror(-err));
		return err;
	}
	err = fl_cluster_netns_add(n->netns);
	if (err) {
		fl_errf(errbuf, errlen, "cannot create netns %s: %s", n->netns, strerror(-err));
		return err;
	}
	node_ns = ns_fd(n->netns);
	if (node_ns < 0)
		return node_ns;
	err = fl_netns_enter(c->hub_ns, &saved);
	if (err)
		goto out;
	err = nl_open(&sk);
	br_idx = err ? -1 : ifindex(sk, FL_CLUSTER_BRIDGE);
	if (!err && br_idx < 0)
		err = br_idx;
	if (!err)
		err = veth_add(sk, n->name, br_idx, FL_CLUSTER_NODE_DEV, node_ns);
	if (!err)
		err = fl_link_up(n->name);
	if (sk)
		nl_socket_free(sk);
	fl_netns_leave(saved);
	if (err) {
		fl_errf(errbuf, errlen, "cannot attach node %s to the bridge: %s", n->name,
			strerror(-err));
		goto out;
	}
	snprintf(cidr, sizeof(cidr), "%s/24", n->addr);
	err = setup_in(n->netns, FL_CLUSTER_NODE_DEV, cidr);
	if (err)
		fl_errf(errbuf, errlen, "cannot give node %s the address %s: %s", n->name, cidr,
			strerror(-err));
out:
	close(node_ns);
	return err;
}
