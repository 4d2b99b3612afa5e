// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The postgres-patroni kind (Debian patroni 3.0, PostgreSQL, etcd-server
 * 3.4): every node runs an etcd member, as the etcd kind does (heartbeat
 * 50 ms, election 500 ms, data on the node's faultfs), and a patroni that
 * manages a PostgreSQL on the node's faultfs, with that etcd cluster as
 * its store (etcd3, every node's member listed). Patroni bootstraps the
 * cluster (one node initdb's, the others take a base backup), elects a
 * leader through an etcd lease, and fails over by itself once the
 * leader's lease runs out: ttl 10 s, loop_wait 1 s, retry_timeout 3 s by
 * default (loop_wait + 2 * retry_timeout <= ttl, as patroni wants). A
 * restarted old primary is rewound (pg_rewind; patroni keeps wal_log_hints
 * on), or its data dir is removed and cloned again when that fails.
 *
 * Both processes are the node: in its netns and its cgroup, so a crash or
 * a power cut kills the etcd member with the patroni and its postgres.
 * Patroni and PostgreSQL run as user postgres (PostgreSQL refuses root);
 * patroni is exec'd by setpriv rather than runuser, so it is the start
 * command's process itself and takes the stop's SIGTERM first hand.
 *
 * A node's data dirs (DATA/pg, DATA/etcd) are made and their names
 * fsynced before the services start; a node whose etcd member dir a power
 * cut undid (etcd 3.4 fsyncs no directory) is removed and re-added by the
 * other members, which needs their quorum.
 *
 * Each node's patroni.yml is written by the setup hook into its data dir.
 * A setting names a key of patroni's dynamic configuration (ttl,
 * loop_wait, retry_timeout, synchronous_mode, ...) or else a PostgreSQL
 * parameter; both go to bootstrap.dcs, which is the cluster's own
 * configuration once it is made.
 *
 * The leader is the node whose patroni REST API answers GET /leader with
 * 200 (only the holder of the leader lock does), of two the one on the
 * later timeline. promote asks the leader's patroni for a switchover to
 * the node (POST /switchover), or, without a leader, any patroni for a
 * failover to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_priv.h"
#include "core/clock.h"
#include "core/errbuf.h"

#define PG_PORT        "5432"
#define API_PORT       8008
#define PATRONI_CONFIG "patroni.yml"

/* --- leader and promote ---------------------------------------------------- */

/*
 * Node i's patroni says it holds the leader lock: its timeline (>= 1), 0
 * when it does not lead, negative errno when it does not answer.
 */
static long long leads(const struct fl_cluster *c, unsigned i, int timeout_ms)
{
	struct fl_http_reply r;
	long long tl = 0;
	json_t *j;
	int err;

	err = fl_http_get(c->nodes[i].addr, API_PORT, "/leader", timeout_ms, &r);
	if (err)
		return err;
	if (r.status == 200) {
		j = json_loadb(r.body, r.len, 0, NULL);
		tl = json_integer_value(json_object_get(j, "timeline"));
		json_decref(j);
		if (tl < 1)
			tl = 1;  /* leads, though its postgres is not up to say on which timeline */
	}
	free(r.body);
	return tl;
}

static int patroni_leader(const struct fl_cluster *c, int timeout_ms, unsigned *ret_node,
			  char *errbuf, size_t errlen)
{
	long long best_tl = 0;
	unsigned answered = 0, best = 0;

	for (unsigned i = 0; i < c->n; i++) {
		long long tl = leads(c, i, timeout_ms);

		if (tl < 0)
			continue;
		answered++;
		if (tl > best_tl) {
			best_tl = tl;
			best = i;
		}
	}
	if (!best_tl) {
		fl_errf(errbuf, errlen, answered ? "no patroni holds the leader lock" :
			"no patroni REST API answers");
		return -ENOENT;
	}
	*ret_node = best;
	return 0;
}

static int patroni_promote(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf,
			   size_t errlen)
{
	uint64_t deadline = fl_deadline(timeout_ms);
	struct fl_http_reply r = { 0 };
	char body[96];
	unsigned l;
	int err;

	err = patroni_leader(c, timeout_ms < 2000 ? timeout_ms : 2000, &l, NULL, 0);
	if (!err && l == i)
		return 0;
	/* A switchover names the leader it moves from; without one it is a failover. */
	if (!err)
		snprintf(body, sizeof(body), "{\"leader\":\"%s\",\"candidate\":\"%s\"}",
			 c->nodes[l].name, c->nodes[i].name);
	else
		snprintf(body, sizeof(body), "{\"candidate\":\"%s\"}", c->nodes[i].name);
	err = fl_http_post(c->nodes[err ? i : l].addr, API_PORT, err ? "/failover" : "/switchover",
			   body, strlen(body), timeout_ms, &r, NULL);
	if (err) {
		fl_errf(errbuf, errlen, "node %s: patroni's REST API: %s", c->nodes[i].name,
			strerror(-err));
		return err;
	}
	if (r.status != 200) {
		fl_errf(errbuf, errlen, "node %s: patroni refused (%d): %.200s", c->nodes[i].name,
			r.status, r.body);
		free(r.body);
		return -EIO;
	}
	free(r.body);
	/* Patroni answers once it decided; wait until the node holds the lock. */
	while (fl_now_ns() < deadline) {
		if (leads(c, i, 1000) > 0)
			return 0;
		fl_sleep_ms(100);
	}
	fl_errf(errbuf, errlen, "node %s does not lead %d ms after patroni's switchover",
		c->nodes[i].name, timeout_ms);
	return -ETIMEDOUT;
}

/* --- setup: each node's patroni.yml ------------------------------------------ */

/* Keys of patroni's dynamic configuration; any other setting is a PostgreSQL parameter. */
static const char *const dcs_keys[] = {
	"ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover",
	"maximum_lag_on_syncnode", "synchronous_mode", "synchronous_mode_strict",
	"synchronous_node_count", "failsafe_mode", "check_timeline",
	"primary_start_timeout", "primary_stop_timeout",
};
#define N_DCS_KEYS (sizeof(dcs_keys) / sizeof(dcs_keys[0]))

/* The kind's defaults, each written unless a setting of the same key is given. */
static const char *const dcs_defaults[] = { "ttl=10", "loop_wait=1", "retry_timeout=3" };
static const char *const pg_defaults[] = { "wal_keep_size=64MB" };

static bool is_dcs_key(const char *k, size_t n)
{
	for (size_t i = 0; i < N_DCS_KEYS; i++)
		if (strlen(dcs_keys[i]) == n && !strncmp(dcs_keys[i], k, n))
			return true;
	return false;
}

static bool chars_ok(const char *s, size_t n, bool value)
{
	if (!n)
		return value;
	for (size_t i = 0; i < n; i++)
		if (value ? !!strchr("'\"\\\n\r", s[i]) :
		    !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_.-", s[i])))
			return false;
	return true;
}

static int check_settings(const char *const *settings, char *errbuf, size_t errlen)
{
	for (size_t k = 0; settings && settings[k]; k++) {
		const char *s = settings[k], *eq = strchr(s, '=');
		size_t kl = eq ? (size_t)(eq - s) : 0;

		if (!eq || !chars_ok(s, kl, false) || !chars_ok(eq + 1, strlen(eq + 1), true)) {
			fl_errf(errbuf, errlen, "setting '%s': give KEY=VALUE, the key of A-Z a-z "
				"0-9 _ . -, the value without quotes, backslashes or newlines", s);
			return -EINVAL;
		}
		/* Written bare (an integer or a boolean to YAML): one word. */
		if (is_dcs_key(s, kl) && (!eq[1] || !chars_ok(eq + 1, strlen(eq + 1), false))) {
			fl_errf(errbuf, errlen, "setting '%s': patroni's %.*s takes a number or "
				"a word (on, off, true, false)", s, (int)kl, s);
			return -EINVAL;
		}
	}
	return 0;
}

/* Is key (of setting s) given among settings? */
static bool given(const char *const *settings, const char *s)
{
	size_t kl = strcspn(s, "=");

	for (size_t k = 0; settings && settings[k]; k++)
		if (strcspn(settings[k], "=") == kl && !strncmp(settings[k], s, kl))
			return true;
	return false;
}

/* "KEY: VALUE" lines at indent, of the settings whose key is (not) a DCS key. */
static void put_settings(FILE *f, const char *const *settings, bool dcs, int indent)
{
	for (size_t k = 0; settings && settings[k]; k++) {
		const char *s = settings[k];
		size_t kl = strcspn(s, "=");

		if (is_dcs_key(s, kl) != dcs)
			continue;
		fprintf(f, dcs ? "%*s%.*s: %s\n" : "%*s%.*s: '%s'\n", indent, "", (int)kl, s,
			s + kl + 1);
	}
}

static void put_defaults(FILE *f, const char *const *defs, size_t n,
			 const char *const *settings, bool dcs, int indent)
{
	const char *one[2] = { NULL, NULL };

	for (size_t k = 0; k < n; k++) {
		if (given(settings, defs[k]))
			continue;
		one[0] = defs[k];
		put_settings(f, one, dcs, indent);
	}
}

/* The newest PostgreSQL server's bin dir (/usr/lib/postgresql/V/bin). */
static int pg_bin_dir(char *buf, size_t len)
{
	glob_t g;
	long best = -1;

	if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g))
		return -ENOENT;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		long v = strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);

		if (v > best) {
			best = v;
			snprintf(buf, len, "%.*s", (int)(strlen(g.gl_pathv[i]) - strlen("/postgres")),
				 g.gl_pathv[i]);
		}
	}
	globfree(&g);
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int write_config(const struct fl_cluster *c, unsigned i, const char *bin,
			const char *const *settings, char *errbuf, size_t errlen)
{
	const struct fl_cluster_node *n = &c->nodes[i];
	char path[PATH_MAX + 64];
	FILE *f;
	int err = 0;

	if (strchr(n->data, '\'')) {
		fl_errf(errbuf, errlen, "data dir %s: a quote in the path", n->data);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/" PATRONI_CONFIG, n->data);
	f = fopen(path, "we");
	if (!f) {
		err = -errno;
		fl_errf(errbuf, errlen, "cannot write %s: %s", path, strerror(-err));
		return err;
	}
	fprintf(f, "# faultline cluster %s: node %s's patroni (postgres-patroni)\n"
		"scope: %s\nname: %s\n"
		"restapi:\n  listen: %s:%d\n  connect_address: %s:%d\n"
		"etcd3:\n  hosts:\n", c->name, n->name, c->name, n->name, n->addr, API_PORT,
		n->addr, API_PORT);
	for (unsigned k = 0; k < c->n; k++)
		fprintf(f, "  - %s:2379\n", c->nodes[k].addr);
	fprintf(f, "bootstrap:\n  dcs:\n");
	put_defaults(f, dcs_defaults, sizeof(dcs_defaults) / sizeof(dcs_defaults[0]), settings,
		     true, 4);
	put_settings(f, settings, true, 4);
	fprintf(f, "    postgresql:\n      use_pg_rewind: true\n      use_slots: true\n"
		"      remove_data_directory_on_rewind_failure: true\n"
		"      remove_data_directory_on_diverged_timelines: true\n"
		"      parameters:\n        wal_log_hints: 'on'\n");
	put_defaults(f, pg_defaults, sizeof(pg_defaults) / sizeof(pg_defaults[0]), settings,
		     false, 8);
	put_settings(f, settings, false, 8);
	fprintf(f, "  initdb:\n  - encoding: UTF8\n"
		"postgresql:\n  listen: %s:" PG_PORT "\n  connect_address: %s:" PG_PORT "\n"
		"  data_dir: '%s/pg'\n  bin_dir: '%s'\n  pgpass: '%s/pgpass'\n"
		"  pg_hba:\n  - local all all trust\n  - host all all samenet trust\n"
		"  - host replication all samenet trust\n"
		"  authentication:\n    superuser:\n      username: postgres\n"
		"    replication:\n      username: postgres\n"
		/* No Unix socket: nothing uses one (patroni connects over TCP). */
		"  parameters:\n    unix_socket_directories: ''\n",
		n->addr, n->addr, n->data, bin, n->data);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	/* Its name too: patroni reads it at every start, a power cut's included. */
	if (!err)
		err = fsync_dir(n->data);
	if (err)
		fl_errf(errbuf, errlen, "cannot write %s: %s", path, strerror(-err));
	return err;
}

static int patroni_setup(struct fl_cluster *c, const char *const *settings, char *errbuf,
			 size_t errlen)
{
	char bin[PATH_MAX];
	int err = check_settings(settings, errbuf, errlen);

	if (err)
		return err;
	if (pg_bin_dir(bin, sizeof(bin))) {
		fl_errf(errbuf, errlen, "no PostgreSQL server installed (/usr/lib/postgresql/*/bin)");
		return -ENOENT;
	}
	for (unsigned i = 0; !err && i < c->n; i++)
		err = write_config(c, i, bin, settings, errbuf, errlen);
	return err;
}

/* --- commands ---------------------------------------------------------------- */

#define AS_PG "setpriv --reuid=postgres --regid=postgres --init-groups "

const struct fl_cluster_kind fl_cluster_kind_patroni = {
	.name = "postgres-patroni",
	.cluster_name = "pgp",
	.nodes = 3,
	.min_nodes = 1,
	/* PostgreSQL runs as postgres: let it into the mount. */
	.faultfs_opts = "allow_other",
	.start = "D={data}/pg; rm -f {data}/etcd.pid {data}/patroni.pid; "
		 "command -v patroni >/dev/null || { echo 'patroni is not installed'; exit 1; }; "
		 "chown postgres: {data} && chmod 700 {data} || exit 1; "
		 /*
		  * The two data dirs are made here, their names fsynced, as an
		  * installed system has had them long before its services run:
		  * neither patroni (nor initdb, nor pg_basebackup) nor etcd
		  * fsyncs the parent of the dir it makes, and a power cut
		  * (durability=strict) would undo a whole data dir. What the
		  * services make inside them is theirs to make durable.
		  */
		 "mkdir -p $D {data}/etcd && chown postgres: $D && chmod 700 $D &&"
		 " sync {data} || exit 1; "
		 AS_PG "test -x {data} || { echo 'user postgres cannot reach {data}:"
		 " make every parent directory searchable (o+x)'; exit 1; }; "
		 /*
		  * etcd 3.4 never fsyncs the directories it makes: a power cut
		  * (faultfs durability=strict) can undo its whole member dir, and
		  * a member that comes back empty is refused ("already
		  * bootstrapped"). As an operator would, have the others remove
		  * and re-add it (they list it as started, under its name), and
		  * join them as an existing member.
		  */
		 "S=new; EP=$(echo {peers} | sed 's|[^,=]*=\\(http://[^,:]*\\):2380|\\1:2379|g'); "
		 "if [ ! -d {data}/etcd/member/wal ]; then "
		 "  L=$(etcdctl --endpoints=$EP --dial-timeout=1s --command-timeout=2s member list"
		 "    2>/dev/null | grep ', started, {name}, '); "
		 "  if [ -n \"$L\" ] &&"
		 "     etcdctl --endpoints=$EP --command-timeout=5s member remove ${L%%,*} &&"
		 "     etcdctl --endpoints=$EP --command-timeout=5s member add {name}"
		 "       --peer-urls=http://{addr}:2380; then"
		 "    rm -rf {data}/etcd; S=existing; echo \"etcd member {name} re-added\"; "
		 "  fi; "
		 "fi; "
		 "etcd --name {name} --data-dir {data}/etcd"
		 " --listen-client-urls http://{addr}:2379"
		 " --advertise-client-urls http://{addr}:2379"
		 " --listen-peer-urls http://{addr}:2380"
		 " --initial-advertise-peer-urls http://{addr}:2380"
		 " --initial-cluster {peers} --initial-cluster-token {cluster}"
		 " --initial-cluster-state $S"
		 " --heartbeat-interval 50 --election-timeout 500 & "
		 "echo $! > {data}/etcd.pid; "
		 /*
		  * Patroni waits 5 s before it asks again when no etcd answers
		  * its first question: give the members (every node starts at
		  * once) up to 10 s to make a quorum first.
		  */
		 "T=$(($(date +%s) + 10)); "
		 "until etcdctl --endpoints=http://{addr}:2379 --dial-timeout=1s"
		 " --command-timeout=1s endpoint health >/dev/null 2>&1 ||"
		 " [ $(date +%s) -ge $T ]; do sleep 0.1; done; "
		 /* A crashed postmaster's pid file, its process gone or an unreaped zombie, is stale. */
		 "if [ -f $D/postmaster.pid ]; then p=$(head -n 1 $D/postmaster.pid); "
		 "  s=$(sed -n 's/^State:[[:space:]]*\\(.\\).*/\\1/p' /proc/$p/status 2>/dev/null); "
		 "  [ -z \"$s\" ] || [ \"$s\" = Z ] && rm -f $D/postmaster.pid; "
		 "fi; "
		 "echo $$ > {data}/patroni.pid; "
		 "exec " AS_PG "--reset-env patroni {data}/" PATRONI_CONFIG,
	/*
	 * Patroni first (it stops its postgres and, on the leader, gives the
	 * lock up while the store still answers), then the etcd member. A pid
	 * counts only if it is in this node's cgroup (the stop runs there).
	 */
	.stop = "mine() { [ -n \"$1\" ] && [ \"$(cat /proc/$1/cgroup 2>/dev/null)\" ="
		" \"$(cat /proc/self/cgroup)\" ] &&"
		" ! grep -q '^State:[[:space:]]*Z' /proc/$1/status 2>/dev/null; }; "
		"P=$(cat {data}/patroni.pid 2>/dev/null); E=$(cat {data}/etcd.pid 2>/dev/null); "
		"mine \"$P\" && kill -TERM $P; "
		"while mine \"$P\"; do sleep 0.1; done; "
		"mine \"$E\" && kill -TERM $E; true",
	/* The postgres accepts connections, and the node's etcd member sees a quorum. */
	.health = "pg_isready -q -h {addr} -p " PG_PORT " -U postgres -t 2 &&"
		  " exec etcdctl --endpoints=http://{addr}:2379 --dial-timeout=1s"
		  " --command-timeout=1s endpoint health >/dev/null 2>&1",
	.peer = "{name}=http://{addr}:2380",
	.leader = patroni_leader,
	.setup = patroni_setup,
	.promote = patroni_promote,
	.client = "postgres://postgres@{addr}:" PG_PORT "/postgres",
	.fails_over = true,
};
