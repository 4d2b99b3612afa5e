// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A scenario file's top level into struct fl_scenario: name, cluster or
 * nodes, settings, workload, objectives, trials, seed and duration. The
 * steps and the nemesis are scenario_steps.c's. Every error is recorded
 * and the walk goes on, so one run of 'scenario check' shows them all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario_internal.h"

static const char *const top_keys[] = {
	"name", "cluster", "nodes", "settings", "workload", "steps", "nemesis",
	"objectives", "trials", "seed", "duration", "faultfs", NULL,
};
static const char *const node_keys[] = {
	"name", "start", "stop", "health", "data_dir", "host", "client", NULL,
};
static const char *const workload_keys[] = {
	"kind", "target", "clients", "rate", "payload", "keys", "register", "bank", NULL,
};
static const char *const reads_keys[] = { "clients", "rate", "keys", "accounts", NULL };
static const char *const objective_keys[] = { "rpo", "rto", "mttr", "availability", "mtbf",
						"consistent", NULL };
static const char *const kind_list[] = { "etcd", "postgres-replica", "redis-replica",
					 "postgres-patroni", NULL };
static const char *const workload_kinds[] = { "etcd", "postgres", "redis", "mysql", NULL };
/* The workload each kind serves. */
static const char *const kind_workload[] = {
	[FL_SCENARIO_ETCD] = "etcd", [FL_SCENARIO_POSTGRES_REPLICA] = "postgres",
	[FL_SCENARIO_REDIS_REPLICA] = "redis", [FL_SCENARIO_POSTGRES_PATRONI] = "postgres",
};

static bool one_of(struct sc_ctx *c, const yaml_node_t *n, const char *path,
		   const char *const *names, const char *what, size_t *ret)
{
	char got[96], list[160] = "";
	const char *near;
	size_t off = 0;

	if (!sc_want_scalar(c, n, path, what))
		return false;
	for (size_t i = 0; names[i]; i++) {
		if (!strcmp(sc_str(n), names[i])) {
			*ret = i;
			return true;
		}
		off += (size_t)snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0,
					"%s%s", i ? (names[i + 1] ? ", " : " or ") : "", names[i]);
	}
	near = sc_nearest(sc_str(n), names);
	if (near)
		sc_err(c, n, "%s: expected %s (%s), got %s; did you mean \"%s\"?", path, what, list,
		       sc_got(n, got, sizeof(got)), near);
	else
		sc_err(c, n, "%s: expected %s (%s), got %s", path, what, list,
		       sc_got(n, got, sizeof(got)));
	return false;
}

/* host: ssh://USER@HOST[:PORT] */
static void parse_host(struct sc_ctx *c, const yaml_node_t *n, const char *path,
		       struct fl_scenario_node *node)
{
	const char *what = "ssh://USER@HOST[:PORT]";
	const char *s, *at, *host, *colon;
	char got[96], *end;
	unsigned long port = 22;

	if (!sc_strdup(c, n, path, what, &node->host))
		return;
	s = node->host;
	if (strncmp(s, "ssh://", 6))
		goto bad;
	s += 6;
	at = strchr(s, '@');
	if (!at || at == s)
		goto bad;
	host = at + 1;
	colon = strrchr(host, ':');
	/* [v6]:port, or host:port, or host */
	if (host[0] == '[') {
		const char *close = strchr(host, ']');

		if (!close || close == host + 1 || (close[1] && close[1] != ':'))
			goto bad;
		colon = close[1] ? close + 1 : NULL;
	}
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
			goto bad;
	} else {
		colon = host + strlen(host);
	}
	if (colon == host)
		goto bad;
	node->ssh_user = strndup(s, (size_t)(at - s));
	node->ssh_host = host[0] == '[' ? strndup(host + 1, (size_t)(colon - host - 2))
					: strndup(host, (size_t)(colon - host));
	node->ssh_port = (uint16_t)port;
	if (!node->ssh_user || !node->ssh_host)
		sc_err(c, n, "%s: out of memory", path);
	return;
bad:
	sc_err(c, n, "%s: expected %s, got %s", path, what, sc_got(n, got, sizeof(got)));
}

static void parse_node(struct sc_ctx *c, const yaml_node_t *n, const char *path,
		       struct fl_scenario_node *node)
{
	char p[96];
	yaml_node_t *v;

	node->pos = sc_pos(n);
	if (!sc_want_map(c, n, path))
		return;
	sc_check_keys(c, n, path, node_keys);
	snprintf(p, sizeof(p), "%.64s.name", path);
	if ((v = sc_get(c, n, "name")))
		sc_name(c, v, p, node->name);
	else if (!sc_typo_of(c, n, "name", node_keys))
		sc_err(c, n, "%s: missing name:", path);
	snprintf(p, sizeof(p), "%.64s.start", path);
	if ((v = sc_get(c, n, "start")))
		sc_strdup(c, v, p, "a shell command", &node->start);
	else if (!sc_typo_of(c, n, "start", node_keys))
		sc_err(c, n, "%s: missing start: (the command that starts the service)", path);
	snprintf(p, sizeof(p), "%.64s.stop", path);
	if ((v = sc_get(c, n, "stop")))
		sc_strdup(c, v, p, "a shell command", &node->stop);
	snprintf(p, sizeof(p), "%.64s.health", path);
	if ((v = sc_get(c, n, "health")))
		sc_strdup(c, v, p, "a shell command", &node->health);
	snprintf(p, sizeof(p), "%.64s.data_dir", path);
	if ((v = sc_get(c, n, "data_dir")))
		sc_strdup(c, v, p, "a directory", &node->data_dir);
	else if (!sc_typo_of(c, n, "data_dir", node_keys))
		sc_err(c, n, "%s: missing data_dir: (faultfs is mounted over it)", path);
	snprintf(p, sizeof(p), "%.64s.host", path);
	if ((v = sc_get(c, n, "host")))
		parse_host(c, v, p, node);
	snprintf(p, sizeof(p), "%.64s.client", path);
	if ((v = sc_get(c, n, "client")))
		sc_strdup(c, v, p, "a workload spec like redis://{addr}:7000", &node->client);
}

static void parse_nodes_list(struct sc_ctx *c, const yaml_node_t *n, struct fl_scenario *s)
{
	size_t len = sc_len(n);
	char p[32];

	if (len == 0 || len > FL_SCENARIO_MAX_NODES) {
		sc_err(c, n, "nodes: expected 1 to %d nodes, got %zu", FL_SCENARIO_MAX_NODES, len);
		if (len == 0)
			return;
		len = FL_SCENARIO_MAX_NODES;
	}
	for (size_t i = 0; i < len; i++) {
		snprintf(p, sizeof(p), "nodes[%zu]", i + 1);
		parse_node(c, sc_item(c, n, i), p, &s->nodes[i]);
		for (size_t j = 0; j < i && s->nodes[i].name[0]; j++)
			if (!strcmp(s->nodes[i].name, s->nodes[j].name))
				sc_err(c, sc_get(c, sc_item(c, n, i), "name"),
				       "%s.name: \"%s\" is already nodes[%zu]'s name", p,
				       s->nodes[i].name, j + 1);
		if (s->nodes[i].name[0] && sc_node_alias(s->nodes[i].name))
			sc_err(c, sc_get(c, sc_item(c, n, i), "name"),
			       "%s.name: \"%s\" is a role name; name nodes otherwise", p,
			       s->nodes[i].name);
	}
	s->n_nodes = (unsigned)len;
}

static void parse_cluster(struct sc_ctx *c, const yaml_node_t *root, struct fl_scenario *s)
{
	yaml_node_t *kind = sc_get(c, root, "cluster"), *nodes = sc_get(c, root, "nodes");
	uint64_t count;
	size_t k;

	if (kind && one_of(c, kind, "cluster", kind_list, "a cluster kind", &k))
		s->cluster = (enum fl_scenario_kind)(k + 1);
	if (kind) {
		if (!nodes) {
			s->n_nodes = fl_scenario_kind_default_nodes(s->cluster);
		} else if (nodes->type != YAML_SCALAR_NODE) {
			sc_err(c, nodes, "nodes: with cluster:, expected a node count, got %s; "
			       "a list of nodes is for scenarios without cluster:",
			       nodes->type == YAML_SEQUENCE_NODE ? "a list" : "a mapping");
		} else if (sc_u64(c, nodes, "nodes", 1, FL_SCENARIO_MAX_NODES, &count)) {
			s->n_nodes = (unsigned)count;
		}
		return;
	}
	if (!nodes) {
		if (sc_typo_of(c, root, "cluster", top_keys) || sc_typo_of(c, root, "nodes", top_keys))
			return;
		sc_err(c, root, "expected cluster: (%s) or nodes: (a list of nodes with name, "
		       "start, data_dir)", "etcd, postgres-replica, redis-replica or postgres-patroni");
		return;
	}
	if (nodes->type == YAML_SCALAR_NODE) {
		sc_err(c, nodes, "nodes: a node count needs cluster: KIND; without it, expected "
		       "a list of nodes (name, start, data_dir)");
		return;
	}
	if (sc_want_seq(c, nodes, "nodes"))
		parse_nodes_list(c, nodes, s);
}

static void parse_settings(struct sc_ctx *c, const yaml_node_t *n, struct fl_scenario *s)
{
	char p[96], got[96];

	if (!sc_want_map(c, n, "settings"))
		return;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&c->doc, pr->value);
		struct fl_scenario_setting *st;

		if (k->type != YAML_SCALAR_NODE || !k->data.scalar.length) {
			sc_err(c, k, "settings: expected a setting name, got %s",
			       sc_got(k, got, sizeof(got)));
			continue;
		}
		snprintf(p, sizeof(p), "settings.%.64s", sc_str(k));
		if (v->type != YAML_SCALAR_NODE) {
			sc_err(c, v, "%s: expected a value (text), got %s", p,
			       sc_got(v, got, sizeof(got)));
			continue;
		}
		for (unsigned i = 0; i < s->n_settings; i++)
			if (!strcmp(s->settings[i].key, sc_str(k)))
				sc_err(c, k, "%s: given twice", p);
		if (s->n_settings == FL_SCENARIO_MAX_SETTINGS) {
			sc_err(c, k, "settings: more than %d settings", FL_SCENARIO_MAX_SETTINGS);
			return;
		}
		st = &s->settings[s->n_settings];
		st->key = strdup(sc_str(k));
		st->value = strdup(sc_str(v)); /* "" is a value: synchronous_standby_names: "" */
		if (!st->key || !st->value) {
			free(st->key);
			free(st->value);
			st->key = st->value = NULL;
			sc_err(c, k, "%s: out of memory", p);
			return;
		}
		s->n_settings++;
	}
}

/* register: / bank: either off, or a mapping of clients, rate and keys (bank: accounts). */
static void parse_reads(struct sc_ctx *c, const yaml_node_t *n, const char *what,
			struct fl_scenario_reads *r)
{
	const char *count = !strcmp(what, "bank") ? "accounts" : "keys";
	char path[64], sub[96];
	yaml_node_t *v;
	uint64_t u;

	snprintf(path, sizeof(path), "workload.%s", what);
	if (n->type == YAML_SCALAR_NODE) {
		if (!strcmp(sc_str(n), "off") || !strcmp(sc_str(n), "false"))
			r->off = true;
		else if (strcmp(sc_str(n), "on") && strcmp(sc_str(n), "true"))
			sc_err(c, n, "%s: expected on, off, or a mapping of clients, rate and %s, "
			       "got \"%s\"", path, count, sc_str(n));
		return;
	}
	if (!sc_want_map(c, n, path))
		return;
	sc_check_keys(c, n, path, reads_keys);
	if ((v = sc_get(c, n, !strcmp(count, "keys") ? "accounts" : "keys")))
		sc_err(c, v, "%s: %s has %s:, not %s:", path, what, count,
		       !strcmp(count, "keys") ? "accounts" : "keys");
	snprintf(sub, sizeof(sub), "%s.clients", path);
	if ((v = sc_get(c, n, "clients")) && sc_u64(c, v, sub, 1, 64, &u))
		r->clients = (unsigned)u;
	snprintf(sub, sizeof(sub), "%s.rate", path);
	if ((v = sc_get(c, n, "rate")))
		sc_u64(c, v, sub, 1, 100000, &r->rate);
	snprintf(sub, sizeof(sub), "%s.%s", path, count);
	if ((v = sc_get(c, n, count)))
		sc_u64(c, v, sub, 2, 100000, &r->keys);
}

static void parse_workload(struct sc_ctx *c, const yaml_node_t *n, struct fl_scenario *s)
{
	yaml_node_t *v;
	uint64_t u;
	size_t k;

	if (n && !sc_want_map(c, n, "workload"))
		return;
	if (n)
		sc_check_keys(c, n, "workload", workload_keys);
	if (n && (v = sc_get(c, n, "kind"))) {
		if (one_of(c, v, "workload.kind", workload_kinds, "a workload", &k)) {
			if (s->cluster && strcmp(workload_kinds[k], kind_workload[s->cluster]))
				sc_err(c, v, "workload.kind: cluster %s serves the %s workload, got \"%s\"",
				       fl_scenario_kind_name(s->cluster), kind_workload[s->cluster], sc_str(v));
			else
				s->workload.kind = strdup(workload_kinds[k]);
		}
	} else if (s->cluster) {
		s->workload.kind = strdup(kind_workload[s->cluster]);
	} else if (s->n_nodes) {
		sc_err(c, n ? n : sc_root(c), "workload.kind: missing: with nodes: of your own, "
		       "say which workload drives them (etcd, postgres, redis or mysql)");
	}
	if (n && (v = sc_get(c, n, "target"))) {
		if (sc_node_ref(c, s, v, "workload.target", s->workload.target) &&
		    !strcmp(s->workload.target, "all"))
			sc_err(c, v, "workload.target: expected one node, got \"all\"");
	} else
		snprintf(s->workload.target, sizeof(s->workload.target), "%s",
			 s->cluster == FL_SCENARIO_ETCD ? "leader" :
			 s->cluster ? "primary" : s->nodes[0].name);
	if (n && (v = sc_get(c, n, "clients")) && sc_u64(c, v, "workload.clients", 1, 256, &u))
		s->workload.clients = (unsigned)u;
	if (n && (v = sc_get(c, n, "rate")))
		sc_u64(c, v, "workload.rate", 0, 10000000, &s->workload.rate);
	if (n && (v = sc_get(c, n, "payload")) && sc_size(c, v, "workload.payload", &u)) {
		if (u < 1 || u > (16u << 20))
			sc_err(c, v, "workload.payload: expected 1 byte to 16M, got \"%s\"", sc_str(v));
		else
			s->workload.payload = u;
	}
	if (n && (v = sc_get(c, n, "keys")))
		sc_u64(c, v, "workload.keys", 1, UINT64_MAX, &s->workload.keys);
	if (n && (v = sc_get(c, n, "register")))
		parse_reads(c, v, "register", &s->workload.reg);
	if (n && (v = sc_get(c, n, "bank")))
		parse_reads(c, v, "bank", &s->workload.bank);
}

static void parse_objectives(struct sc_ctx *c, const yaml_node_t *n, struct fl_scenario *s)
{
	yaml_node_t *v;

	if (!sc_want_map(c, n, "objectives"))
		return;
	sc_check_keys(c, n, "objectives", objective_keys);
	if ((v = sc_get(c, n, "rpo")))
		sc_duration(c, v, "objectives.rpo", &s->objectives.rpo_ns);
	if ((v = sc_get(c, n, "rto")))
		sc_duration(c, v, "objectives.rto", &s->objectives.rto_ns);
	/* 0 would read as "not named" (the brief's default): refused. */
	if ((v = sc_get(c, n, "mttr")) &&
	    sc_duration(c, v, "objectives.mttr", &s->objectives.mttr_ns) && !s->objectives.mttr_ns)
		sc_err(c, v, "objectives.mttr: expected more than 0s, got \"%s\"", sc_str(v));
	if ((v = sc_get(c, n, "mtbf")) &&
	    sc_duration(c, v, "objectives.mtbf", &s->objectives.mtbf_ns) && !s->objectives.mtbf_ns)
		sc_err(c, v, "objectives.mtbf: expected more than 0s, got \"%s\"", sc_str(v));
	if ((v = sc_get(c, n, "availability")) &&
	    sc_percent(c, v, "objectives.availability", &s->objectives.availability_ppm) &&
	    s->objectives.availability_ppm == 0)
		sc_err(c, v, "objectives.availability: expected more than 0%%, got \"%s\"", sc_str(v));
	if ((v = sc_get(c, n, "consistent")) && sc_want_scalar(c, v, "objectives.consistent",
							     "true or false")) {
		if (!strcmp(sc_str(v), "true"))
			s->objectives.consistent = true;
		else if (strcmp(sc_str(v), "false"))
			sc_err(c, v, "objectives.consistent: expected true or false, got \"%s\"",
			       sc_str(v));
	}
}

static void parse_top(struct sc_ctx *c, const yaml_node_t *root, struct fl_scenario *s)
{
	yaml_node_t *v, *steps, *nemesis;
	uint64_t u;

	sc_check_keys(c, root, "scenario", top_keys);
	if ((v = sc_get(c, root, "name")))
		sc_strdup(c, v, "name", "a name", &s->name);
	parse_cluster(c, root, s);
	if ((v = sc_get(c, root, "settings")))
		parse_settings(c, v, s);
	parse_workload(c, sc_get(c, root, "workload"), s);
	steps = sc_get(c, root, "steps");
	nemesis = sc_get(c, root, "nemesis");
	if (steps && sc_want_seq(c, steps, "steps"))
		sc_parse_steps(c, steps, s);
	if (nemesis)
		sc_parse_nemesis(c, nemesis, s);
	if (!steps && !nemesis && !sc_typo_of(c, root, "steps", top_keys) &&
	    !sc_typo_of(c, root, "nemesis", top_keys))
		sc_err(c, root, "expected steps: (a list of faults and actions) or nemesis:");
	if ((v = sc_get(c, root, "objectives")))
		parse_objectives(c, v, s);
	if ((v = sc_get(c, root, "trials")) && sc_u64(c, v, "trials", 1, 1000, &u))
		s->trials = (unsigned)u;
	if ((v = sc_get(c, root, "seed")) && sc_u64(c, v, "seed", 0, UINT64_MAX, &s->seed))
		s->has_seed = true;
	/* faultfs -o options: a comma-separated list of KEY[=VALUE] (checked by faultfs itself). */
	if ((v = sc_get(c, root, "faultfs")) &&
	    sc_strdup(c, v, "faultfs", "faultfs options like durability=data", &s->faultfs) &&
	    (!s->faultfs[0] || s->faultfs[strspn(s->faultfs, "abcdefghijklmnopqrstuvwxyz"
						 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=,.-")]))
		sc_err(c, v, "faultfs: expected options like durability=data,size=1G, got \"%s\"",
		       sc_str(v));
	if ((v = sc_get(c, root, "duration")) && sc_duration(c, v, "duration", &s->duration_ns) &&
	    !s->duration_ns)
		sc_err(c, v, "duration: expected more than 0s, got \"%s\"", sc_str(v));
}

/* In file order, as a compiler lists them (insertion sort: stable, at most 20). */
static void sort_errors(struct fl_scenario_errors *e)
{
	struct fl_scenario_diag d;
	unsigned j;

	for (unsigned i = 1; i < e->n; i++) {
		d = e->e[i];
		for (j = i; j > 0 && (e->e[j - 1].line > d.line ||
				      (e->e[j - 1].line == d.line && e->e[j - 1].column > d.column));
		     j--)
			e->e[j] = e->e[j - 1];
		e->e[j] = d;
	}
}

static void set_defaults(struct fl_scenario *s)
{
	s->trials = 1;
	s->workload.clients = 4;
	s->workload.payload = 128;
	s->workload.keys = 1000;
	s->workload.reg = (struct fl_scenario_reads){ .clients = 2, .rate = 100, .keys = 8 };
	s->workload.bank = (struct fl_scenario_reads){ .clients = 2, .rate = 50, .keys = 5 };
	s->objectives.rpo_ns = UINT64_MAX;
	s->objectives.rto_ns = UINT64_MAX;
}

int fl_scenario_parse(const char *text, size_t len, const char *file,
		      struct fl_scenario **ret, struct fl_scenario_errors *errs)
{
	struct fl_scenario_errors local;
	struct sc_ctx c = { .file = file ? file : "<scenario>" };
	struct fl_scenario *s = NULL;
	yaml_node_t *root;
	int r;

	c.errs = errs ? errs : &local;
	memset(c.errs, 0, sizeof(*c.errs));
	if (len > FL_SCENARIO_MAX_FILE) {
		sc_err_pos(&c, (struct fl_scenario_pos){ 1, 1 },
			   "the file is larger than %u bytes", FL_SCENARIO_MAX_FILE);
		return -EFBIG;
	}
	r = sc_yaml_load(&c, text, len);
	if (r)
		goto out;
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	set_defaults(s);
	root = sc_root(&c);
	if (sc_want_map(&c, root, "scenario"))
		parse_top(&c, root, s);
	sc_check(&c, s);
	sort_errors(c.errs);
	r = c.errs->total ? -EINVAL : 0;
out:
	sc_yaml_free(&c);
	if (r) {
		fl_scenario_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int fl_scenario_load(const char *path, struct fl_scenario **ret,
		     struct fl_scenario_errors *errs)
{
	FILE *f;
	char *buf;
	size_t n;
	int r;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(FL_SCENARIO_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, FL_SCENARIO_MAX_FILE + 1, f);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!r)
		r = fl_scenario_parse(buf, n, path, ret, errs);
	free(buf);
	return r;
}

static void free_fault(struct fl_scenario_fault *f)
{
	free(f->rule_text);
}

void fl_scenario_free(struct fl_scenario *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->faultfs);
	for (unsigned i = 0; i < FL_SCENARIO_MAX_NODES; i++) {
		struct fl_scenario_node *n = &s->nodes[i];

		free(n->start);
		free(n->stop);
		free(n->health);
		free(n->data_dir);
		free(n->client);
		free(n->host);
		free(n->ssh_user);
		free(n->ssh_host);
	}
	for (unsigned i = 0; i < s->n_settings; i++) {
		free(s->settings[i].key);
		free(s->settings[i].value);
	}
	free(s->workload.kind);
	for (unsigned i = 0; i < FL_SCENARIO_MAX_STEPS; i++)
		free_fault(&s->steps[i].what);
	for (unsigned i = 0; i < FL_SCENARIO_MAX_NEMESIS; i++)
		free_fault(&s->nemesis.faults[i]);
	free(s);
}
