// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcx attachment (bpf_link on a device's ingress/egress, kernel 6.6+),
 * tried before the clsact qdisc: no qdisc is made or removed, so arming
 * and disarming never graft one. A clsact graft runs dev_deactivate on a
 * device that is up, and every packet sent through it during that window
 * (an RCU grace period, milliseconds on a loaded machine) is dropped,
 * matching or not: `faultline net` on and off lost unrelated datagrams
 * (tools/bench-net.sh's on/off row). The links die with their fds, so a
 * SIGKILLed controller leaves nothing either, and there is nothing to
 * record. Kernels without tcx say EINVAL (unknown attach type): the
 * caller falls back to clsact.
 *
 * libbpf 1.1 (Debian 12) predates tcx: its generic bpf_link_create passes
 * the attach type through, and the values are kernel ABI.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "net/net_priv.h"
#include "net.skel.h"

#define FL_BPF_TCX_INGRESS 46  /* enum bpf_attach_type, <linux/bpf.h> of 6.6 */
#define FL_BPF_TCX_EGRESS  47
#define FL_TCX_QUERY_MAX   64

/* Is a program of ours (by name) already on this hook? Another session's. */
static bool taken(int ifindex, int type)
{
	__u32 ids[FL_TCX_QUERY_MAX], n = FL_TCX_QUERY_MAX;

	if (bpf_prog_query(ifindex, (enum bpf_attach_type)type, 0, NULL, ids, &n))
		return false;
	for (__u32 i = 0; i < n && i < FL_TCX_QUERY_MAX; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);
		bool ours;

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		ours = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
		       !strncmp(info.name, "fl_net_tc_", strlen("fl_net_tc_"));
		close(fd);
		if (ours)
			return true;
	}
	return false;
}

int fl_net_tcx_attach(struct fl_net_session *s, struct net_dev *d, char *errbuf, size_t len)
{
	for (int egress = 0; egress < 2; egress++) {
		struct bpf_program *prog = egress ? s->skel->progs.fl_net_tc_egress
						  : s->skel->progs.fl_net_tc_ingress;
		int type = egress ? FL_BPF_TCX_EGRESS : FL_BPF_TCX_INGRESS, fd;

		if (!(s->dirs & (egress ? FL_NET_ABI_EGRESS : FL_NET_ABI_INGRESS)))
			continue;
		if (taken(d->ifindex, type)) {
			fl_net_tcx_detach(d);
			fl_errf(errbuf, len, "attach the %s tc program to %s: the hook is taken by another faultline session (tcx)",
				egress ? "egress" : "ingress", d->name);
			return -EEXIST;
		}
		fd = bpf_link_create(bpf_program__fd(prog), d->ifindex,
				     (enum bpf_attach_type)type, NULL);
		if (fd < 0) {
			int err = fd;

			fl_net_tcx_detach(d);
			/* No tcx in this kernel: the first try says so, clsact follows. */
			if (err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUP)
				return -EOPNOTSUPP;
			fl_errf(errbuf, len, "attach the %s tcx program to %s: %s",
				egress ? "egress" : "ingress", d->name, strerror(-err));
			return err;
		}
		d->tcx_fd[egress] = fd;
		d->tcx_on[egress] = true;
	}
	return 0;
}

void fl_net_tcx_detach(struct net_dev *d)
{
	for (int k = 0; k < 2; k++) {
		if (!d->tcx_on[k])
			continue;
		close(d->tcx_fd[k]);
		d->tcx_on[k] = false;
	}
}
