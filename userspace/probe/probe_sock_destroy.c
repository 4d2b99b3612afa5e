// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probes for the two ways `faultline net`'s reset aborts a TCP connection,
 * each proven on a real connection over loopback in a forked child inside
 * a fresh netns (the sockets die with it): works means the connection's
 * socket then reports ECONNABORTED.
 * - bpf-sock-destroy: bpf/net_reset.bpf.c, a TCP socket iterator calling
 *   the bpf_sock_destroy kfunc (6.5+) on the cookie put in its map;
 * - sock-diag-destroy: sock_diag SOCK_DESTROY (CONFIG_INET_DIAG_DESTROY).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "core/child.h"
#include "probe/probe_bpf_priv.h"
#include "net_reset.skel.h"

#define PROBE_PORT 9

struct conn {
	int listener, client, server;
};

/* A connection over 127.0.0.1 in the child's own netns. */
static int loop_conn(struct conn *c)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(PROBE_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	c->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c->client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listener < 0 || c->client < 0 ||
	    bind(c->listener, (struct sockaddr *)&a, sizeof(a)) || listen(c->listener, 1) ||
	    connect(c->client, (struct sockaddr *)&a, sizeof(a)))
		return -errno;
	c->server = accept(c->listener, NULL, NULL);
	return c->server < 0 ? -errno : 0;
}

static bool aborted(int fd)
{
	char b;

	return recv(fd, &b, 1, MSG_DONTWAIT) < 0 && errno == ECONNABORTED;
}

static void verdict(struct fl_probe_result *r, const struct conn *c, const char *how)
{
	if (aborted(c->client))
		fl_probe_set(r, FL_PROBE_WORKS, 0, "%s aborted a loopback connection (ECONNABORTED)",
			     how);
	else
		fl_probe_set(r, FL_PROBE_REFUSED, ENODATA, "%s ran, but the connection lives on",
			     how);
}

static int iter_child(struct fl_probe_result *r, void *arg)
{
	struct net_reset_bpf *skel = net_reset_bpf__open();
	struct bpf_link *link = NULL;
	struct conn c;
	uint64_t cookie;
	socklen_t len = sizeof(cookie);
	uint8_t zero = 0;
	char buf[64];
	int err, fd;

	if (!skel)
		return -errno;
	{
		struct btf *vmlinux = btf__load_vmlinux_btf();
		bool has = vmlinux && btf__find_by_name_kind(vmlinux, "bpf_sock_destroy",
							      BTF_KIND_FUNC) > 0;

		btf__free(vmlinux);
		if (!has) {
			fl_probe_set(r, FL_PROBE_MISSING, ENOENT,
				     "no bpf_sock_destroy kfunc in the kernel's BTF (kernel 6.5+)");
			goto out;
		}
	}
	err = net_reset_bpf__load(skel);
	if (err) {
		/* 6.1: no bpf_sock_destroy kfunc; hardened kernels may refuse tracing programs. */
		fl_probe_bpf_load_failure(r, err, "load a TCP iterator calling bpf_sock_destroy");
		goto out;
	}
	link = bpf_program__attach_iter(skel->progs.fl_net_reset_iter, NULL);
	if (!link) {
		fl_probe_set_failure(r, -errno, "attach the TCP iterator");
		goto out;
	}
	err = loop_conn(&c);
	if (!err && getsockopt(c.client, SOL_SOCKET, SO_COOKIE, &cookie, &len))
		err = -errno;
	if (!err && bpf_map_update_elem(bpf_map__fd(skel->maps.doomed), &cookie, &zero, BPF_ANY))
		err = -errno;
	if (err) {
		fl_probe_set_failure(r, err, "set up a loopback connection");
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		fl_probe_set_failure(r, -errno, "create the TCP iterator");
		goto out;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	verdict(r, &c, "bpf_sock_destroy from a TCP iterator");
out:
	bpf_link__destroy(link);
	net_reset_bpf__destroy(skel);
	return 0;
}

int fl_probe_bpf_sock_destroy(struct fl_probe_result *r)
{
	return fl_probe_bpf_in_child(iter_child, NULL, FL_CHILD_NEWNET, r);
}

static int diag_child(struct fl_probe_result *r, void *arg)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DESTROY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.req = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = ~0u,
			 .id.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct sockaddr_in local, peer;
	socklen_t len = sizeof(local);
	struct conn c;
	ssize_t n;
	int fd, err;

	err = loop_conn(&c);
	if (!err && (getsockname(c.client, (struct sockaddr *)&local, &len) ||
		     getpeername(c.client, (struct sockaddr *)&peer, &len)))
		err = -errno;
	if (err) {
		fl_probe_set_failure(r, err, "set up a loopback connection");
		return 0;
	}
	msg.req.id.idiag_sport = local.sin_port;
	msg.req.id.idiag_dport = peer.sin_port;
	msg.req.id.idiag_src[0] = local.sin_addr.s_addr;
	msg.req.id.idiag_dst[0] = peer.sin_addr.s_addr;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		fl_probe_set(r, FL_PROBE_MISSING, errno, "no NETLINK_SOCK_DIAG socket: %s",
			     strerror(errno));
		return 0;
	}
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		fl_probe_set_failure(r, -errno, "send SOCK_DESTROY");
		close(fd);
		return 0;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < 0 || !NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR) {
		fl_probe_set_failure(r, n < 0 ? -errno : -EIO, "read the SOCK_DESTROY answer");
		return 0;
	}
	err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	if (err == -EOPNOTSUPP)
		fl_probe_set(r, FL_PROBE_MISSING, EOPNOTSUPP,
			     "SOCK_DESTROY is not built (CONFIG_INET_DIAG_DESTROY)");
	else if (err == -ENOENT)
		fl_probe_set(r, FL_PROBE_MISSING, ENOENT,
			     "no TCP sock_diag handler (the inet_diag/tcp_diag modules)");
	else if (err)
		fl_probe_set_failure(r, err, "SOCK_DESTROY");
	else
		verdict(r, &c, "sock_diag SOCK_DESTROY");
	return 0;
}

int fl_probe_sock_diag_destroy(struct fl_probe_result *r)
{
	return fl_probe_bpf_in_child(diag_child, NULL, FL_CHILD_NEWNET, r);
}
