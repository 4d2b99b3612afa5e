// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A cluster's life: up (hub, nodes, disks, services, health), release
 * (left running), open (found again by name), down (all of it removed).
 * The cluster keeps its records in a state session of its own, never the
 * caller's: `cluster down` undoes that session whole.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include <faultline/fs.h>
#include <faultline/state.h>
#include "cluster_priv.h"
#include "core/clock.h"
#include "core/errbuf.h"

#define HEALTH_MS       2000
#define UP_HEALTHY_MS   30000
#define FAIL_STOP_MS    2000

__attribute__((format(printf, 2, 3)))
static void progress(const struct fl_cluster_config *cfg, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!cfg->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg->progress(cfg->progress_arg, msg);
}

static void free_nodes(struct fl_cluster *c)
{
	for (size_t i = 0; i < FL_CLUSTER_MAX_NODES; i++) {
		free(c->nodes[i].start);
		free(c->nodes[i].client);
		free(c->nodes[i].stop);
		free(c->nodes[i].health);
	}
}

void fl_cluster_free(struct fl_cluster *c)
{
	if (!c)
		return;
	free_nodes(c);
	free(c);
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* rm -rf, never crossing into a mount (a faultfs still standing is left alone). */
static void remove_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > FL_CLUSTER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* "A.B.C.0/24" -> "A.B.C." */
static int subnet_prefix(const char *subnet, char *buf, size_t len)
{
	unsigned a, b, c, d, bits;
	char tail;

	if (sscanf(subnet, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &bits, &tail) != 5 ||
	    a > 255 || b > 255 || c > 255 || d != 0 || bits != 24)
		return -EINVAL;
	snprintf(buf, len, "%u.%u.%u.", a, b, c);
	return 0;
}

static int run_dir_of(const char *run_dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", run_dir && *run_dir ? run_dir : FL_CLUSTER_RUN_DIR,
			 name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Fill c's names and paths from the config (nothing is made). */
static int plan(struct fl_cluster *c, const struct fl_cluster_config *cfg, const char *cg_root,
		char *errbuf, size_t errlen)
{
	const struct fl_cluster_kind *k = cfg->kind;
	const char *name = cfg->name ? cfg->name : k->cluster_name ? k->cluster_name : k->name;
	unsigned nodes = cfg->nodes ? cfg->nodes : k->nodes;
	int err;

	if (!valid_name(name)) {
		fl_errf(errbuf, errlen, "cluster name '%s': use 1 to %d of a-z, 0-9 and _", name,
			FL_CLUSTER_NAME_MAX);
		return -EINVAL;
	}
	if (nodes < (k->min_nodes ? k->min_nodes : 1) || nodes > FL_CLUSTER_MAX_NODES) {
		fl_errf(errbuf, errlen, "%u nodes: kind %s takes %u to %d", nodes, k->name,
			k->min_nodes ? k->min_nodes : 1, FL_CLUSTER_MAX_NODES);
		return -EINVAL;
	}
	if (cfg->run_dir && cfg->run_dir[0] && cfg->run_dir[0] != '/') {
		fl_errf(errbuf, errlen, "run directory '%s': give an absolute path", cfg->run_dir);
		return -EINVAL;
	}
	if (subnet_prefix(cfg->subnet ? cfg->subnet : FL_CLUSTER_SUBNET, c->prefix,
			  sizeof(c->prefix))) {
		fl_errf(errbuf, errlen, "subnet '%s': give an IPv4 /24, as %s", cfg->subnet,
			FL_CLUSTER_SUBNET);
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->kind, sizeof(c->kind), "%s", k->name);
	c->k = k;
	err = run_dir_of(cfg->run_dir, name, c->dir, sizeof(c->dir));
	if (err)
		return err;
	snprintf(c->host_addr, sizeof(c->host_addr), "%.12s1", c->prefix);
	snprintf(c->host_if, sizeof(c->host_if), "flc-%.11s", name);
	snprintf(c->hub_ns, sizeof(c->hub_ns), "fl-%s-hub", name);
	if (snprintf(c->cgroup, sizeof(c->cgroup), "%s/faultline-cluster-%s", cg_root, name) >=
	    (int)sizeof(c->cgroup))
		return -ENAMETOOLONG;
	c->n = nodes;
	for (unsigned i = 0; i < nodes; i++) {
		struct fl_cluster_node *n = &c->nodes[i];

		snprintf(n->name, sizeof(n->name), "n%u", i + 1);
		snprintf(n->netns, sizeof(n->netns), "fl-%s-%s", name, n->name);
		snprintf(n->addr, sizeof(n->addr), "%.12s%u", c->prefix, (11 + i) % 100);
		if (snprintf(n->dir, sizeof(n->dir), "%s/%s", c->dir, n->name) >= (int)sizeof(n->dir) - 32)
			return -ENAMETOOLONG;
		const char *data = cfg->node_cfg ? cfg->node_cfg[i].data : NULL;

		if (data && data[0] != '/') {
			fl_errf(errbuf, errlen, "node %s: data directory '%s': give an absolute path",
				n->name, data);
			return -EINVAL;
		}
		if ((data ? snprintf(n->data, sizeof(n->data), "%s", data) :
			    snprintf(n->data, sizeof(n->data), "%s/data", n->dir)) >=
		    (int)sizeof(n->data) ||
		    snprintf(n->log, sizeof(n->log), "%s/service.log", n->dir) >=
		    (int)sizeof(n->log) ||
		    snprintf(n->cgroup, sizeof(n->cgroup), "%s/%s", c->cgroup, n->name) >=
		    (int)sizeof(n->cgroup))
			return -ENAMETOOLONG;
	}
	for (unsigned i = 0; i < nodes; i++) {
		struct fl_cluster_node *n = &c->nodes[i];

		const struct fl_cluster_node_cfg *nc = cfg->node_cfg ? &cfg->node_cfg[i] : NULL;

		err = fl_cluster_expand(c, i, nc && nc->start ? nc->start : k->start, &n->start);
		if (!err)
			err = fl_cluster_expand(c, i, nc && nc->stop ? nc->stop : k->stop, &n->stop);
		if (!err)
			err = fl_cluster_expand(c, i, nc && nc->health ? nc->health : k->health,
						&n->health);
		if (!err && nc && nc->client)
			err = fl_cluster_expand(c, i, nc->client, &n->client);
		if (err)
			return err;
		if (!n->start) {
			fl_errf(errbuf, errlen, "node %s: no start command", n->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* A cluster of that name already there: up (refused) or left over (cleared). */
static int check_existing(const char *dir, const char *name, char *errbuf, size_t errlen)
{
	struct fl_cluster *old = calloc(1, sizeof(*old));
	char path[PATH_MAX + 32];
	struct stat sb;
	int err = 0;

	if (!old)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", dir, FL_CLUSTER_JSON);
	if (fl_cluster_load(path, old, NULL, 0) == 0 && stat(old->state_dir, &sb) == 0) {
		fl_errf(errbuf, errlen, "cluster %s is up (its records: %s); "
			"'faultline cluster down %s' first", name, old->state_dir, name);
		err = -EEXIST;
	} else if (lstat(dir, &sb) == 0) {
		/* Its records were undone (cleanup): what is left is its old data. */
		remove_tree(dir);
	}
	fl_cluster_free(old);
	return err;
}

static int start_all(struct fl_cluster *c, const struct fl_cluster_config *cfg,
		     char *errbuf, size_t errlen)
{
	for (unsigned i = 0; i < c->n; i++) {
		int err = fl_node_start(c, i, errbuf, errlen);

		if (err)
			return err;
		progress(cfg, "node %s started at %s (netns %s)", c->nodes[i].name,
			 c->nodes[i].addr, c->nodes[i].netns);
	}
	return 0;
}

/* The kind's faultfs options, then the user's: malloc'ed, or NULL for none. */
static int faultfs_opts_of(const struct fl_cluster_config *cfg, char **ret)
{
	const char *k = cfg->kind->faultfs_opts, *u = cfg->faultfs_opts;

	*ret = NULL;
	if ((!k || !*k) && (!u || !*u))
		return 0;
	if (asprintf(ret, "%s%s%s", k ? k : "", k && *k && u && *u ? "," : "", u ? u : "") < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int fl_cluster_up(const struct fl_cluster_config *cfg, struct fl_cluster **ret,
		  char *errbuf, size_t errlen)
{
	char cg_root[PATH_MAX], run_root[PATH_MAX], real_root[PATH_MAX];
	struct fl_cluster *c;
	char *opts = NULL;
	int err, cg_err;

	if (!cfg || !cfg->kind || (!cfg->kind->start && !cfg->node_cfg) || !ret)
		return -EINVAL;
	if (cfg->settings && cfg->settings[0] && !cfg->kind->setup) {
		fl_errf(errbuf, errlen, "kind %s takes no settings", cfg->kind->name);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	/* Bad input is refused first, whatever this host has. */
	cg_err = fl_cgroup2_root(cg_root, sizeof(cg_root));
	if (cg_err)
		snprintf(cg_root, sizeof(cg_root), "/sys/fs/cgroup");
	err = plan(c, cfg, cg_root, errbuf, errlen);
	if (!err && cg_err) {
		err = cg_err;
		fl_errf(errbuf, errlen, "no cgroup v2 hierarchy: %s", strerror(-err));
	}
	if (err)
		goto fail_free;
	snprintf(run_root, sizeof(run_root), "%s",
		 cfg->run_dir && *cfg->run_dir ? cfg->run_dir : FL_CLUSTER_RUN_DIR);
	err = mkdir_p(run_root);
	if (err) {
		fl_errf(errbuf, errlen, "cannot make %s: %s", run_root, strerror(-err));
		goto fail_free;
	}
	/* faultfs and its control socket know a mount by its real path: plan with that. */
	if (realpath(run_root, real_root) && strcmp(real_root, run_root)) {
		struct fl_cluster_config real = *cfg;

		real.run_dir = real_root;
		free_nodes(c);
		memset(c, 0, sizeof(*c));
		err = plan(c, &real, cg_root, errbuf, errlen);
		if (err)
			goto fail_free;
	}
	err = check_existing(c->dir, c->name, errbuf, errlen);
	if (err)
		goto fail_free;
	err = fl_state_open(NULL, &c->st);
	if (!err)
		err = fl_state_watchdog_start(c->st);
	if (err) {
		fl_errf(errbuf, errlen, "cannot open a state session: %s", strerror(-err));
		goto fail;
	}
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", fl_state_dir(c->st));
	if (mkdir(c->dir, 0755) && errno != EEXIST) {
		err = -errno;
		fl_errf(errbuf, errlen, "cannot make %s: %s", c->dir, strerror(-err));
		goto fail;
	}
	err = fl_cluster_save(c, errbuf, errlen);
	if (!err) {
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/%s", c->dir, FL_CLUSTER_JSON);
		err = fl_state_record_file(c->st, path, NULL);
	}
	if (err)
		goto fail;
	progress(cfg, "cluster %s (%s, %zu nodes): hub netns %s, host %s on %s", c->name, c->kind,
		 c->n, c->hub_ns, c->host_addr, c->host_if);
	err = fl_cluster_hub_create(c, errbuf, errlen);
	for (unsigned i = 0; !err && i < c->n; i++)
		err = fl_cluster_hub_attach_node(c, i, errbuf, errlen);
	if (err)
		goto fail;
	err = fl_state_record_service_cgroup(c->st, c->cgroup, NULL);
	if (!err && mkdir(c->cgroup, 0755) && errno != EEXIST)
		err = -errno;
	if (err) {
		fl_errf(errbuf, errlen, "cannot make cgroup %s: %s", c->cgroup, strerror(-err));
		goto fail;
	}
	err = faultfs_opts_of(cfg, &opts);
	for (unsigned i = 0; !err && i < c->n; i++)
		err = fl_cluster_node_prepare(c, i, opts, errbuf, errlen);
	free(opts);
	if (!err && c->k->setup)
		err = c->k->setup(c, cfg->settings, errbuf, errlen);
	if (err)
		goto fail;
	progress(cfg, "faultfs mounted over each node's data dir under %s", c->dir);
	err = start_all(c, cfg, errbuf, errlen);
	if (err)
		goto fail;
	err = fl_cluster_wait_healthy(c, cfg->healthy_timeout_ms > 0 ? cfg->healthy_timeout_ms :
				      UP_HEALTHY_MS, errbuf, errlen);
	if (err)
		goto fail;
	*ret = c;
	return 0;
fail:
	/* Down removes whatever was made; errbuf keeps the first reason. */
	fl_cluster_down(c, FAIL_STOP_MS, NULL, 0);
	return err;
fail_free:
	fl_cluster_free(c);
	return err;
}

int fl_cluster_release(struct fl_cluster *c)
{
	int err = 0;

	if (!c)
		return -EINVAL;
	if (c->st)
		err = fl_state_release(c->st);
	fl_cluster_free(c);
	return err;
}

int fl_cluster_open(const char *run_dir, const char *name, struct fl_cluster **ret,
		    char *errbuf, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct fl_cluster *c;
	struct stat sb;
	int err;

	if (!name || !valid_name(name)) {
		fl_errf(errbuf, errlen, "no cluster name '%s'", name ? name : "");
		return -EINVAL;
	}
	err = run_dir_of(run_dir, name, dir, sizeof(dir));
	if (err)
		return err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", dir, FL_CLUSTER_JSON);
	err = fl_cluster_load(path, c, errbuf, errlen);
	if (err == -ENOENT)
		fl_errf(errbuf, errlen, "no cluster %s is up (no %s)", name, path);
	if (!err && stat(c->state_dir, &sb)) {
		fl_errf(errbuf, errlen, "cluster %s was removed (its records %s are gone)", name,
			c->state_dir);
		err = -ESTALE;
	}
	if (err) {
		fl_cluster_free(c);
		return err;
	}
	*ret = c;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fl_cluster_list(const char *run_dir, char ***ret_names, size_t *ret_n)
{
	const char *root = run_dir && *run_dir ? run_dir : FL_CLUSTER_RUN_DIR;
	char **v = NULL, path[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(root);

	if (!d) {
		if (errno != ENOENT)
			return -errno;
		*ret_names = NULL;
		*ret_n = 0;
		return 0;
	}
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.' || !valid_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", root, de->d_name, FL_CLUSTER_JSON);
		if (access(path, F_OK))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			v = nv ? nv : v;
			for (size_t i = 0; i < n; i++)
				free(v[i]);
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret_names = v;
	*ret_n = n;
	return 0;
}

int fl_cluster_down(struct fl_cluster *c, int stop_timeout_ms, char *errbuf, size_t errlen)
{
	struct fl_cleanup_report rep = { 0 };
	int err = 0, e;

	if (!c)
		return -EINVAL;
	for (unsigned i = 0; i < c->n; i++)
		fl_node_stop(c, i, stop_timeout_ms, NULL, 0);
	for (unsigned i = 0; i < c->n; i++) {
		e = fl_cluster_node_unmount(c, i);
		if (e && !err) {
			err = e;
			fl_errf(errbuf, errlen, "cannot unmount %s: %s", c->nodes[i].data,
				strerror(-e));
		}
	}
	if (c->st)
		e = fl_state_close_report(c->st, &rep);
	else if (c->state_dir[0])
		e = fl_state_undo_dir(c->state_dir, &rep);
	else
		e = 0;
	c->st = NULL;
	for (size_t i = 0; e && i < rep.n_items; i++) {
		if (!rep.items[i].err)
			continue;
		if (!err)
			fl_errf(errbuf, errlen, "cannot remove %s: %s", rep.items[i].what,
				rep.items[i].message[0] ? rep.items[i].message :
				strerror(-rep.items[i].err));
		break;
	}
	if (e && !err)
		err = e;
	fl_cleanup_report_free(&rep);
	if (!err)
		remove_tree(c->dir);
	fl_cluster_free(c);
	return err;
}

const char *fl_cluster_name(const struct fl_cluster *c) { return c->name; }
const char *fl_cluster_kind_name(const struct fl_cluster *c) { return c->kind; }
const char *fl_cluster_host_addr(const struct fl_cluster *c) { return c->host_addr; }
const char *fl_cluster_state_dir(const struct fl_cluster *c) { return c->state_dir; }
size_t fl_cluster_n_nodes(const struct fl_cluster *c) { return c->n; }

const struct fl_cluster_node *fl_cluster_node(const struct fl_cluster *c, unsigned i)
{
	return c && i < c->n ? &c->nodes[i] : NULL;
}

int fl_cluster_node_index(const struct fl_cluster *c, const char *name, unsigned *ret)
{
	for (unsigned i = 0; c && name && i < c->n; i++) {
		if (!strcmp(c->nodes[i].name, name)) {
			*ret = i;
			return 0;
		}
	}
	return -ENOENT;
}

int fl_cluster_wait_healthy(struct fl_cluster *c, int timeout_ms, char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	unsigned sick = 0;

	for (;;) {
		bool all = true;

		for (unsigned i = 0; i < c->n && all; i++) {
			if (fl_node_health(c, i, HEALTH_MS)) {
				all = false;
				sick = i;
			}
		}
		if (all)
			return 0;
		if (fl_now_ns() > deadline) {
			fl_errf(errbuf, errlen, "node %s is not healthy after %d ms (its log: %s)",
				c->nodes[sick].name, timeout_ms, c->nodes[sick].log);
			return -ETIMEDOUT;
		}
		fl_sleep_ms(100);
	}
}

int fl_cluster_leader(const struct fl_cluster *c, int timeout_ms, unsigned *ret_node,
		      char *errbuf, size_t errlen)
{
	if (!c || !c->k || !c->k->leader) {
		fl_errf(errbuf, errlen, "kind %s has no leader", c ? c->kind : "?");
		return -EOPNOTSUPP;
	}
	return c->k->leader(c, timeout_ms, ret_node, errbuf, errlen);
}

int fl_cluster_promote(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf,
		       size_t errlen)
{
	if (!c || i >= c->n)
		return -EINVAL;
	if (!c->k || !c->k->promote) {
		fl_errf(errbuf, errlen, "kind %s has no promotion (it fails over by itself, or "
			"has no leader)", c->kind);
		return -EOPNOTSUPP;
	}
	return c->k->promote(c, i, timeout_ms, errbuf, errlen);
}

int fl_cluster_client_spec(const struct fl_cluster *c, unsigned i, char **ret)
{
	if (!c || i >= c->n)
		return -EINVAL;
	if (c->nodes[i].client) {
		*ret = strdup(c->nodes[i].client);
		return *ret ? 0 : -ENOMEM;
	}
	if (!c->k || !c->k->client)
		return -EOPNOTSUPP;
	return fl_cluster_expand(c, i, c->k->client, ret);
}
