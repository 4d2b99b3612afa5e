// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup_skb attachment of the network programs: the packets of sockets
 * created by processes of one cgroup v2 directory (and its children); and
 * the cgroup sock_addr programs, for the connect/sendmsg/bind calls of its
 * processes (only those the socket-call rules name). The
 * links are owned by their fds, so a killed controller takes them along
 * and nothing needs recording. Multi-attach keeps whatever programs the
 * cgroup already has.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "net/net_priv.h"
#include "net.skel.h"

size_t fl_net_sock_progs(struct fl_net_session *s, struct bpf_program **progs,
			 uint8_t *calls)
{
	struct bpf_program *p[6] = {
		s->skel->progs.fl_net_connect4, s->skel->progs.fl_net_connect6,
		s->skel->progs.fl_net_sendmsg4, s->skel->progs.fl_net_sendmsg6,
		s->skel->progs.fl_net_bind4, s->skel->progs.fl_net_bind6,
	};

	for (size_t i = 0; i < 6; i++) {
		progs[i] = p[i];
		calls[i] = (uint8_t)FL_NET_SOCK_BIT(FL_NET_ABI_CONNECT + i / 2);
	}
	return 6;
}

static int sock_attach(struct fl_net_session *s, int fd, char *errbuf, size_t len)
{
	struct bpf_program *progs[6];
	uint8_t calls[6];
	size_t n = fl_net_sock_progs(s, progs, calls);
	int err;

	for (size_t i = 0; i < n; i++) {
		if (!(s->sock_calls & calls[i]))
			continue;
		s->sock_links[i] = bpf_program__attach_cgroup(progs[i], fd);
		if (!s->sock_links[i]) {
			err = -errno;
			fl_errf(errbuf, len, "attach %s to %s: %s",
				   bpf_program__section_name(progs[i]), s->cgroup, strerror(-err));
			return err;
		}
	}
	return 0;
}

int fl_net_cgroup_attach(struct fl_net_session *s, char *errbuf, size_t len)
{
	struct bpf_program *progs[2] = { s->skel->progs.fl_net_skb_ingress,
					 s->skel->progs.fl_net_skb_egress };
	int fd, skb_fd = -1, err = 0;

	fd = open(s->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fl_errf(errbuf, len, "open cgroup %s: %s", s->cgroup, strerror(-err));
		return err;
	}
	/* --pid: its sockets are marked before a packet of them is looked at. */
	err = fl_net_pid_attach(s, fd, &skb_fd, errbuf, len);
	for (int egress = 0; !err && egress < 2; egress++) {
		if (!(s->dirs & (egress ? FL_NET_ABI_EGRESS : FL_NET_ABI_INGRESS)))
			continue;
		s->links[egress] = bpf_program__attach_cgroup(progs[egress], skb_fd);
		if (!s->links[egress]) {
			err = -errno;
			fl_errf(errbuf, len, "attach cgroup_skb/%s to %s: %s",
				   egress ? "egress" : "ingress", s->cgroup, strerror(-err));
			break;
		}
	}
	if (!err)
		err = sock_attach(s, fd, errbuf, len);
	if (err)
		fl_net_cgroup_detach(s);
	if (skb_fd >= 0 && skb_fd != fd)
		close(skb_fd);
	close(fd);
	return err;
}

void fl_net_cgroup_detach(struct fl_net_session *s)
{
	fl_net_pid_detach(s);
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(s->links[i]);
		s->links[i] = NULL;
	}
	for (size_t i = 0; i < sizeof(s->sock_links) / sizeof(s->sock_links[0]); i++) {
		bpf_link__destroy(s->sock_links[i]);
		s->sock_links[i] = NULL;
	}
}
