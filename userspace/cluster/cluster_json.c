// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RUN/NAME/cluster.json: what another faultline process needs to find a
 * cluster left running (its nodes, their commands, the state session
 * holding its records). Written once, before the first object is made,
 * and recorded, so an undo removes it with the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cluster_priv.h"
#include "core/errbuf.h"

int fl_cluster_save(const struct fl_cluster *c, char *errbuf, size_t errlen)
{
	json_t *o, *nodes = json_array();
	char path[PATH_MAX + 32], tmp[PATH_MAX + 40];
	int err = -ENOMEM;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "format", "faultline-cluster/1",
		      "name", c->name, "kind", c->kind, "dir", c->dir, "prefix", c->prefix,
		      "host_addr", c->host_addr, "host_if", c->host_if, "hub_netns", c->hub_ns,
		      "cgroup", c->cgroup, "state_dir", c->state_dir);
	if (!o || !nodes)
		goto out;
	for (size_t i = 0; i < c->n; i++) {
		const struct fl_cluster_node *n = &c->nodes[i];
		json_t *jn = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s*,s:s*}",
				       "name", n->name, "netns", n->netns, "addr", n->addr,
				       "dir", n->dir, "data", n->data, "log", n->log,
				       "cgroup", n->cgroup, "start", n->start, "stop", n->stop,
				       "health", n->health);

		if (!jn || json_array_append_new(nodes, jn))
			goto out;
	}
	json_object_set(o, "nodes", nodes);
	snprintf(path, sizeof(path), "%s/%s", c->dir, FL_CLUSTER_JSON);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	err = json_dump_file(o, tmp, JSON_INDENT(2)) ? -EIO : 0;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		fl_errf(errbuf, errlen, "cannot write %s: %s", path, strerror(-err));
out:
	json_decref(nodes);
	json_decref(o);
	return err;
}

static int get(json_t *o, const char *key, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || strlen(v) >= len)
		return -EBADMSG;
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

static char *dup_opt(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? strdup(v) : NULL;
}

int fl_cluster_load(const char *path, struct fl_cluster *c, char *errbuf, size_t errlen)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je), *nodes;
	int err = 0;

	if (!o) {
		err = access(path, F_OK) ? -ENOENT : -EBADMSG;
		fl_errf(errbuf, errlen, "%s: %s", path, err == -ENOENT ? "no such file" : je.text);
		return err;
	}
	nodes = json_object_get(o, "nodes");
	if (get(o, "name", c->name, sizeof(c->name)) || get(o, "kind", c->kind, sizeof(c->kind)) ||
	    get(o, "dir", c->dir, sizeof(c->dir)) || get(o, "prefix", c->prefix, sizeof(c->prefix)) ||
	    get(o, "host_addr", c->host_addr, sizeof(c->host_addr)) ||
	    get(o, "host_if", c->host_if, sizeof(c->host_if)) ||
	    get(o, "hub_netns", c->hub_ns, sizeof(c->hub_ns)) ||
	    get(o, "cgroup", c->cgroup, sizeof(c->cgroup)) ||
	    get(o, "state_dir", c->state_dir, sizeof(c->state_dir)) ||
	    !json_is_array(nodes) || json_array_size(nodes) > FL_CLUSTER_MAX_NODES)
		err = -EBADMSG;
	for (size_t i = 0; !err && i < json_array_size(nodes); i++) {
		json_t *jn = json_array_get(nodes, i);
		struct fl_cluster_node *n = &c->nodes[i];

		if (get(jn, "name", n->name, sizeof(n->name)) ||
		    get(jn, "netns", n->netns, sizeof(n->netns)) ||
		    get(jn, "addr", n->addr, sizeof(n->addr)) ||
		    get(jn, "dir", n->dir, sizeof(n->dir)) ||
		    get(jn, "data", n->data, sizeof(n->data)) ||
		    get(jn, "log", n->log, sizeof(n->log)) ||
		    get(jn, "cgroup", n->cgroup, sizeof(n->cgroup)) ||
		    !(n->start = dup_opt(jn, "start"))) {
			err = -EBADMSG;
			break;
		}
		n->stop = dup_opt(jn, "stop");
		n->health = dup_opt(jn, "health");
		c->n = i + 1;
	}
	if (err)
		fl_errf(errbuf, errlen, "%s: not a cluster description faultline wrote", path);
	else
		c->k = fl_cluster_kind_find(c->kind);
	json_decref(o);
	return err;
}
