// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The built-in cluster kinds a scenario names: their names and default
 * node counts, read by the parser and the cross-checks alike, so it sits
 * below both.
 */
#include <faultline/scenario.h>

static const char *const kind_names[] = {
	[FL_SCENARIO_ETCD] = "etcd", [FL_SCENARIO_POSTGRES_REPLICA] = "postgres-replica",
	[FL_SCENARIO_REDIS_REPLICA] = "redis-replica",
	[FL_SCENARIO_POSTGRES_PATRONI] = "postgres-patroni",
};

const char *fl_scenario_kind_name(enum fl_scenario_kind kind)
{
	if (kind <= FL_SCENARIO_KIND_NONE || kind > FL_SCENARIO_POSTGRES_PATRONI)
		return NULL;
	return kind_names[kind];
}

unsigned fl_scenario_kind_default_nodes(enum fl_scenario_kind kind)
{
	switch (kind) {
	case FL_SCENARIO_ETCD:             return 3;
	case FL_SCENARIO_POSTGRES_REPLICA: return 2;
	case FL_SCENARIO_REDIS_REPLICA:    return 3; /* a primary, two replicas */
	case FL_SCENARIO_POSTGRES_PATRONI: return 3; /* etcd's quorum under patroni */
	default:                          return 0;
	}
}
