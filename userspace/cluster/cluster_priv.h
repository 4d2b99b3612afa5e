/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Internal to userspace/cluster. */
#ifndef FL_CLUSTER_PRIV_H
#define FL_CLUSTER_PRIV_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <faultline/cluster.h>

#define FL_CLUSTER_JSON     "cluster.json"
#define FL_CLUSTER_BRIDGE   "br0"
#define FL_CLUSTER_HUB_PEER "host"   /* the hub's end of the host's veth */
#define FL_CLUSTER_NODE_DEV "eth0"   /* the node's end of its veth */

struct fl_cluster {
	char name[16];
	char kind[32];
	const struct fl_cluster_kind *k;  /* NULL: a kind this build does not know */
	char dir[PATH_MAX];               /* RUN/NAME */
	char prefix[16];                  /* "10.231.7." */
	char host_addr[16];
	char host_if[16];                 /* flc-NAME, in the host's netns */
	char hub_ns[64];
	char cgroup[PATH_MAX];            /* parent of the nodes' cgroups */
	char state_dir[PATH_MAX];
	struct fl_state *st;              /* live session of this process, or NULL */
	size_t n;
	struct fl_cluster_node nodes[FL_CLUSTER_MAX_NODES];
	pid_t faultfs_pid[FL_CLUSTER_MAX_NODES];
};

/* hub.c: named netns, the bridge, veths, addresses (libnl-route). */
int fl_cluster_netns_add(const char *name);
int fl_cluster_hub_create(struct fl_cluster *c, char *errbuf, size_t errlen);
int fl_cluster_hub_attach_node(struct fl_cluster *c, unsigned i, char *errbuf, size_t errlen);

/* node.c: a node's directories, cgroup and faultfs. */
int fl_cluster_node_prepare(struct fl_cluster *c, unsigned i, const char *faultfs_opts,
			    char *errbuf, size_t errlen);
int fl_cluster_node_unmount(struct fl_cluster *c, unsigned i);
/* The faultfs daemon's pid on the node's data dir (control socket ping). */
int fl_cluster_node_faultfs_pid(const struct fl_cluster_node *n, pid_t *ret);

/* node_exec.c: a command in the node's netns and cgroup. */
/* Detached (double fork: never our zombie), stdout/stderr appended to log. */
int fl_cluster_exec_detached(const struct fl_cluster_node *n, const char *cmd);
/* Wait for it up to timeout_ms (then SIGKILL): its wait status. */
int fl_cluster_exec_wait(const struct fl_cluster_node *n, const char *cmd, int timeout_ms,
			 int *ret_status);

/* cluster_json.c: cluster.json, written once at up. */
int fl_cluster_save(const struct fl_cluster *c, char *errbuf, size_t errlen);
int fl_cluster_load(const char *path, struct fl_cluster *c, char *errbuf, size_t errlen);

/* Nodes answer JSON questions over HTTP (etcd): core/http.h, fl_http_post_json. */
#include "core/http.h"

/* Template expansion ({name}, {addr}, ...): malloc'ed. */
int fl_cluster_expand(const struct fl_cluster *c, unsigned i, const char *tmpl, char **ret);

/*
 * settings.c: write settings ("KEY=VALUE" each) to the file name in node
 * i's data dir, one line each as fmt ("%s = '%s'"), refusing a key that is
 * not [A-Za-z0-9_.-] and a value with a quote, backslash or newline. The
 * file is written (empty) even without settings.
 */
int fl_cluster_settings_write(const struct fl_cluster *c, unsigned i, const char *name,
			      const char *fmt, const char *const *settings, char *errbuf,
			      size_t errlen);

#endif /* FL_CLUSTER_PRIV_H */
