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
		cmocka_unit_test(test_templates_of_a_kind_without_peer_form),
		cmocka_unit_test(test_bad_config_is_refused_before_anything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
