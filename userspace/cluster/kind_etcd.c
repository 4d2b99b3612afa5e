// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The etcd kind (Debian etcd-server 3.4): one member per node, clients on
 * ADDR:2379, peers on ADDR:2380. A write is acknowledged after the raft
 * commit. Short heartbeat and election timeouts keep a re-election after
 * a leader's crash near a second, as a test budget wants.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_priv.h"
#include "core/errbuf.h"

#define ETCD_CLIENT_PORT 2379

/*
 * Ask every node for its own view (/v3/maintenance/status): the leader is
 * the node that says it leads, at the highest term (an old leader cut off
 * may believe it leads, at an older term, until its check-quorum fires).
 */
static int etcd_leader(const struct fl_cluster *c, int timeout_ms, unsigned *ret_node,
		       char *errbuf, size_t errlen)
{
	long long best_term = -1;
	unsigned best = 0, answered = 0;

	for (unsigned i = 0; i < fl_cluster_n_nodes(c); i++) {
		const struct fl_cluster_node *n = fl_cluster_node(c, i);
		json_t *r = NULL, *hdr;
		const char *self, *leader;
		long long term;

		if (fl_http_post_json(n->addr, ETCD_CLIENT_PORT, "/v3/maintenance/status",
				      "{}", timeout_ms, &r))
			continue;
		answered++;
		hdr = json_object_get(r, "header");
		self = json_string_value(json_object_get(hdr, "member_id"));
		leader = json_string_value(json_object_get(r, "leader"));
		term = json_is_string(json_object_get(r, "raftTerm")) ?
		       atoll(json_string_value(json_object_get(r, "raftTerm"))) :
		       atoll(json_string_value(json_object_get(hdr, "raft_term")) ?: "0");
		if (self && leader && !strcmp(self, leader) && term > best_term) {
			best_term = term;
			best = i;
		}
		json_decref(r);
	}
	if (best_term < 0) {
		fl_errf(errbuf, errlen, answered ? "no etcd member says it leads" :
			"no etcd member answers");
		return -ENOENT;
	}
	*ret_node = best;
	return 0;
}

const struct fl_cluster_kind fl_cluster_kind_etcd = {
	.name = "etcd",
	.nodes = 3,
	.min_nodes = 1,
	.start = "exec etcd --name {name} --data-dir {data}/etcd"
		 " --listen-client-urls http://{addr}:2379"
		 " --advertise-client-urls http://{addr}:2379"
		 " --listen-peer-urls http://{addr}:2380"
		 " --initial-advertise-peer-urls http://{addr}:2380"
		 " --initial-cluster {peers} --initial-cluster-token {cluster}"
		 " --initial-cluster-state new"
		 " --heartbeat-interval 50 --election-timeout 500",
	.stop = NULL,
	.peer = "{name}=http://{addr}:2380",
	.health = "exec etcdctl --endpoints=http://{addr}:2379 --dial-timeout=1s"
		  " --command-timeout=1s endpoint health",
	.leader = etcd_leader,
	.client = "etcd://{addr}:2379",
	.fails_over = true,
};
