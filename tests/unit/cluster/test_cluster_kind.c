// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cluster kinds without root: the built-in table, the command templates
 * ({name}, {addr}, {data}, {cluster}, {index}, {peers}) and bad names,
 * node counts and subnets refused before anything is made.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/cluster.h>
#include "cluster/cluster_priv.h"

static void three_nodes(struct fl_cluster *c, const struct fl_cluster_kind *k)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "demo");
	c->k = k;
	c->n = 3;
	for (unsigned i = 0; i < 3; i++) {
		snprintf(c->nodes[i].name, sizeof(c->nodes[i].name), "n%u", i + 1);
		snprintf(c->nodes[i].addr, sizeof(c->nodes[i].addr), "10.9.8.%u", 11 + i);
		snprintf(c->nodes[i].data, sizeof(c->nodes[i].data), "/r/demo/n%u/data", i + 1);
	}
}

static void test_etcd_is_built_in(void **state)
{
	const struct fl_cluster_kind *k = fl_cluster_kind_find("etcd");

	(void)state;
	assert_non_null(k);
	assert_ptr_equal(fl_cluster_kind_at(0), k);
	assert_null(fl_cluster_kind_find("etcd2"));
	assert_null(fl_cluster_kind_find(NULL));
	assert_int_equal(k->nodes, 3);
	assert_non_null(k->health);
	assert_non_null(k->leader);
}

static void test_etcd_start_names_every_peer(void **state)
{
	const struct fl_cluster_kind *k = fl_cluster_kind_find("etcd");
	struct fl_cluster c;
	char *cmd = NULL;

	(void)state;
	three_nodes(&c, k);
	assert_int_equal(fl_cluster_expand(&c, 1, k->start, &cmd), 0);
	assert_non_null(strstr(cmd, "--name n2 --data-dir /r/demo/n2/data/etcd "));
	assert_non_null(strstr(cmd, "--listen-client-urls http://10.9.8.12:2379 "));
	assert_non_null(strstr(cmd, "--initial-advertise-peer-urls http://10.9.8.12:2380 "));
	assert_non_null(strstr(cmd, "--initial-cluster n1=http://10.9.8.11:2380,"
			       "n2=http://10.9.8.12:2380,n3=http://10.9.8.13:2380 "));
	assert_non_null(strstr(cmd, "--initial-cluster-token demo "));
	free(cmd);
}

/* postgres-replica and redis-replica: their table entries and first-start commands. */
static void test_replica_kinds(void **state)
{
	const struct fl_cluster_kind *pg = fl_cluster_kind_find("postgres-replica");
	const struct fl_cluster_kind *rd = fl_cluster_kind_find("redis-replica");
	static const char *const bad[] = { "work_mem='1MB'", NULL };
	static const char *const badkey[] = { "a b=1", NULL };
	struct fl_cluster c;
	char *cmd = NULL, why[256] = "";

	(void)state;
	assert_non_null(pg);
	assert_non_null(rd);
	/* Their own names are no cluster names (a '-', too long): the default is short. */
	assert_string_equal(pg->cluster_name, "pg");
	assert_string_equal(rd->cluster_name, "redis");
	assert_non_null(pg->promote);
	assert_null(rd->promote);
	assert_non_null(pg->leader);
	assert_non_null(rd->leader);
	assert_non_null(strstr(pg->faultfs_opts, "allow_other"));
	three_nodes(&c, pg);
	assert_int_equal(fl_cluster_expand(&c, 1, pg->start, &cmd), 0);
	assert_non_null(strstr(cmd, "P=10.9.8.11,10.9.8.12,10.9.8.13; P=${P%%,*};"));
	assert_non_null(strstr(cmd, "pg_basebackup -h $P -p 5432 -U postgres -D $D -R"));
	assert_non_null(strstr(cmd, "-c listen_addresses=10.9.8.12 "));
	assert_non_null(strstr(cmd, "-c cluster_name=n2"));
	free(cmd);
	three_nodes(&c, rd);
	assert_int_equal(fl_cluster_expand(&c, 2, rd->start, &cmd), 0);
	assert_non_null(strstr(cmd, "'sentinel announce-ip 10.9.8.13'"));
	assert_non_null(strstr(cmd, "[ 3 = 1 ]"));
	assert_non_null(strstr(cmd, "--bind 10.9.8.13 --port 6379"));
	free(cmd);
	/* A setting that could add a line or a directive is refused, nothing written. */
	assert_int_equal(fl_cluster_settings_write(&c, 0, "x.conf", "%s \"%s\"", bad, why,
						   sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "work_mem='1MB'"));
	assert_int_equal(fl_cluster_settings_write(&c, 0, "x.conf", "%s \"%s\"", badkey, why,
						   sizeof(why)), -EINVAL);
	/* A kind without settings refuses them, before anything is made. */
	{
		static const char *const one[] = { "a=1", NULL };
		struct fl_cluster_config cfg = { .kind = fl_cluster_kind_find("etcd"), .settings = one };
		struct fl_cluster *cl = NULL;

		assert_int_equal(fl_cluster_up(&cfg, &cl, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, "takes no settings"));
		assert_null(cl);
	}
}

/* A file's whole text (static buffer), or "" when it cannot be read. */
static const char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* postgres-patroni: the table, the start command, and each node's patroni.yml from setup. */
static void test_patroni_kind(void **state)
{
	const struct fl_cluster_kind *k = fl_cluster_kind_find("postgres-patroni");
	static const char *const settings[] = { "ttl=20", "synchronous_mode=on", "work_mem=7MB",
						NULL };
	static const char *const bad_dcs[] = { "loop_wait=1 s", NULL };
	static const char *const bad_quote[] = { "work_mem='1MB'", NULL };
	char tmp[] = "/tmp/fl-kind-XXXXXX", path[PATH_MAX + 64], why[256] = "";
	struct fl_cluster c;
	const char *y;
	char *cmd = NULL;
	int err;

	(void)state;
	assert_non_null(k);
	assert_string_equal(k->cluster_name, "pgp");
	assert_int_equal(k->nodes, 3);
	assert_non_null(k->leader);
	assert_non_null(k->promote);
	assert_non_null(k->setup);
	assert_non_null(k->stop);
	assert_non_null(strstr(k->faultfs_opts, "allow_other"));
	three_nodes(&c, k);
	assert_int_equal(fl_cluster_expand(&c, 1, k->client, &cmd), 0);
	assert_string_equal(cmd, "postgres://postgres@10.9.8.12:5432/postgres");
	free(cmd);
	/* The etcd member as the etcd kind's, then patroni exec'd as postgres. */
	assert_int_equal(fl_cluster_expand(&c, 1, k->start, &cmd), 0);
	assert_non_null(strstr(cmd, "etcd --name n2 --data-dir /r/demo/n2/data/etcd "));
	assert_non_null(strstr(cmd, "--initial-cluster n1=http://10.9.8.11:2380,"
			       "n2=http://10.9.8.12:2380,n3=http://10.9.8.13:2380 "));
	assert_non_null(strstr(cmd, "--heartbeat-interval 50 --election-timeout 500 & "));
	/* Its data dirs made durable first; a member a power cut emptied is re-added. */
	assert_non_null(strstr(cmd, "mkdir -p $D /r/demo/n2/data/etcd "));
	assert_non_null(strstr(cmd, " sync /r/demo/n2/data "));
	assert_non_null(strstr(cmd, "EP=$(echo n1=http://10.9.8.11:2380,n2=http://10.9.8.12:2380,"));
	assert_non_null(strstr(cmd, "member add n2 "));
	assert_non_null(strstr(cmd, "--peer-urls=http://10.9.8.12:2380; then"));
	assert_non_null(strstr(cmd, "--initial-cluster-state $S "));
	assert_non_null(strstr(cmd, "exec setpriv --reuid=postgres --regid=postgres "
			       "--init-groups --reset-env patroni /r/demo/n2/data/patroni.yml"));
	free(cmd);

	assert_non_null(mkdtemp(tmp));
	for (unsigned i = 0; i < 3; i++)
		snprintf(c.nodes[i].data, sizeof(c.nodes[i].data), "%s", tmp);
	/* Refused before a file is written. */
	assert_int_equal(k->setup(&c, bad_dcs, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "loop_wait"));
	assert_int_equal(k->setup(&c, bad_quote, why, sizeof(why)), -EINVAL);
	snprintf(path, sizeof(path), "%s/patroni.yml", tmp);
	assert_int_not_equal(access(path, F_OK), 0);
	err = k->setup(&c, settings, why, sizeof(why));
	if (err == -ENOENT) {
		/* No PostgreSQL server here: the file cannot name its bin dir. */
		rmdir(tmp);
		return;
	}
	assert_int_equal(err, 0);
	/* Each node writes its own into its data dir (here all one): the last is n3's. */
	y = slurp(path);
	assert_non_null(strstr(y, "scope: demo\nname: n3\n"));
	assert_non_null(strstr(y, "  listen: 10.9.8.13:8008\n"));
	assert_non_null(strstr(y, "  hosts:\n  - 10.9.8.11:2379\n  - 10.9.8.12:2379\n"
			       "  - 10.9.8.13:2379\n"));
	/* A setting given replaces the kind's default; a DCS key bare, a parameter quoted. */
	assert_non_null(strstr(y, "    ttl: 20\n"));
	assert_null(strstr(y, "ttl: 10"));
	assert_non_null(strstr(y, "    loop_wait: 1\n    retry_timeout: 3\n"));
	assert_non_null(strstr(y, "    synchronous_mode: on\n"));
	assert_non_null(strstr(y, "        work_mem: '7MB'\n"));
	assert_non_null(strstr(y, "      use_pg_rewind: true\n"));
	assert_non_null(strstr(y, "  listen: 10.9.8.13:5432\n"));
	assert_non_null(strstr(y, "  - host replication all samenet trust\n"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmp), 0);
}

static void test_templates_of_a_kind_without_peer_form(void **state)
{
	struct fl_cluster_kind k = { .name = "exec", .nodes = 3 };
	struct fl_cluster c;
	char *cmd = NULL;

	(void)state;
	three_nodes(&c, &k);
	assert_int_equal(fl_cluster_expand(&c, 2, "srv {index} {peers} {{name}} {unknown}", &cmd), 0);
	assert_string_equal(cmd, "srv 3 n1=10.9.8.11,n2=10.9.8.12,n3=10.9.8.13 {n3} {unknown}");
	free(cmd);
	cmd = (char *)"untouched";
	assert_int_equal(fl_cluster_expand(&c, 0, NULL, &cmd), 0);
	assert_null(cmd);
}

static void test_bad_config_is_refused_before_anything(void **state)
{
	struct fl_cluster_config cfg = { .kind = fl_cluster_kind_find("etcd"),
					 .run_dir = "/nonexistent/faultline-unit" };
	struct fl_cluster *c = NULL;
	char why[256];

	(void)state;
	cfg.name = "Upper";
	assert_int_equal(fl_cluster_up(&cfg, &c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'Upper'"));
	cfg.name = "twelve_chars";
	assert_int_equal(fl_cluster_up(&cfg, &c, why, sizeof(why)), -EINVAL);
	cfg.name = "ok";
	cfg.nodes = FL_CLUSTER_MAX_NODES + 1;
	assert_int_equal(fl_cluster_up(&cfg, &c, why, sizeof(why)), -EINVAL);
	cfg.nodes = 0;
	cfg.subnet = "10.1.2.0/16";
	assert_int_equal(fl_cluster_up(&cfg, &c, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "/24"));
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etcd_is_built_in),
		cmocka_unit_test(test_etcd_start_names_every_peer),
		cmocka_unit_test(test_replica_kinds),
		cmocka_unit_test(test_patroni_kind),
		cmocka_unit_test(test_templates_of_a_kind_without_peer_form),
		cmocka_unit_test(test_bad_config_is_refused_before_anything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
