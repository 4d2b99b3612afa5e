// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The built-in cluster kinds, and the expansion of their command templates. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_priv.h"

extern const struct fl_cluster_kind fl_cluster_kind_etcd;
extern const struct fl_cluster_kind fl_cluster_kind_postgres;
extern const struct fl_cluster_kind fl_cluster_kind_patroni;
extern const struct fl_cluster_kind fl_cluster_kind_redis;

static const struct fl_cluster_kind *const kinds[] = {
	&fl_cluster_kind_etcd,
	&fl_cluster_kind_postgres,
	&fl_cluster_kind_patroni,
	&fl_cluster_kind_redis,
};

const struct fl_cluster_kind *fl_cluster_kind_at(size_t i)
{
	return i < sizeof(kinds) / sizeof(kinds[0]) ? kinds[i] : NULL;
}

const struct fl_cluster_kind *fl_cluster_kind_find(const char *name)
{
	for (size_t i = 0; name && fl_cluster_kind_at(i); i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

static int put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

static int expand(const struct fl_cluster *c, unsigned i, const char *tmpl, bool peers_ok,
		  char **ret)
{
	const struct fl_cluster_node *n = &c->nodes[i];
	size_t len = 0, cap = 0;
	char *buf = NULL, idx[16];
	int err = put(&buf, &len, &cap, "", 0);

	snprintf(idx, sizeof(idx), "%u", i + 1);
	for (const char *p = tmpl; !err && *p;) {
		const char *v = NULL;

		if (!strncmp(p, "{name}", 6))
			v = n->name, p += 6;
		else if (!strncmp(p, "{addr}", 6))
			v = n->addr, p += 6;
		else if (!strncmp(p, "{data}", 6))
			v = n->data, p += 6;
		else if (!strncmp(p, "{cluster}", 9))
			v = c->name, p += 9;
		else if (!strncmp(p, "{index}", 7))
			v = idx, p += 7;
		if (v) {
			err = put(&buf, &len, &cap, v, strlen(v));
			continue;
		}
		if (peers_ok && !strncmp(p, "{peers}", 7)) {
			const char *pt = c->k && c->k->peer ? c->k->peer : "{name}={addr}";

			for (unsigned k = 0; !err && k < c->n; k++) {
				char *one = NULL;

				err = expand(c, k, pt, false, &one);
				if (!err && k)
					err = put(&buf, &len, &cap, ",", 1);
				if (!err)
					err = put(&buf, &len, &cap, one, strlen(one));
				free(one);
			}
			p += 7;
			continue;
		}
		err = put(&buf, &len, &cap, p, 1);
		p++;
	}
	if (err) {
		free(buf);
		return err;
	}
	*ret = buf;
	return 0;
}

int fl_cluster_expand(const struct fl_cluster *c, unsigned i, const char *tmpl, char **ret)
{
	if (!tmpl) {
		*ret = NULL;
		return 0;
	}
	return expand(c, i, tmpl, true, ret);
}
