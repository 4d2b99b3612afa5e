// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup_skb attachment of the network programs: the packets of sockets
 * created by processes of one cgroup v2 directory (and its children). The
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

int fl_net_cgroup_attach(struct fl_net_session *s, char *errbuf, size_t len)
{
	struct bpf_program *progs[2] = { s->skel->progs.fl_net_skb_ingress,
					 s->skel->progs.fl_net_skb_egress };
	int fd, err = 0;

	fd = open(s->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fl_net_err(errbuf, len, "open cgroup %s: %s", s->cgroup, strerror(-err));
		return err;
	}
	for (int egress = 0; egress < 2; egress++) {
		if (!(s->dirs & (egress ? FL_NET_ABI_EGRESS : FL_NET_ABI_INGRESS)))
			continue;
		s->links[egress] = bpf_program__attach_cgroup(progs[egress], fd);
		if (!s->links[egress]) {
			err = -errno;
			fl_net_err(errbuf, len, "attach cgroup_skb/%s to %s: %s",
				   egress ? "egress" : "ingress", s->cgroup, strerror(-err));
			fl_net_cgroup_detach(s);
			break;
		}
	}
	close(fd);
	return err;
}

void fl_net_cgroup_detach(struct fl_net_session *s)
{
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(s->links[i]);
		s->links[i] = NULL;
	}
}
