// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The redis-replica kind (Debian redis-server; redis-sentinel is the same
 * binary in sentinel mode): n1 is the master, n2..nN replicas of it
 * (--replicaof), and every node also runs a sentinel on ADDR:26379 that
 * watches master "fl" with a majority quorum, a 1 s down-after, a 3 s
 * failover timeout and INFO polled every second, so the sentinels fail
 * over by themselves in about two seconds.
 *
 * Both processes are the node: in its netns and its cgroup, so a crash or
 * a power cut of the node kills its sentinel with its redis, as losing a
 * machine does. A restarted node comes back with its own sentinel config
 * (rewritten by the sentinel as it learned the cluster); its redis starts
 * as it did first (master on n1, replica elsewhere) and the sentinels
 * turn it into a replica of the current master.
 *
 * The settings are redis-server directives, in the config file each redis
 * reads first. The leader is the master the sentinels report
 * (SENTINEL get-master-addr-by-name), mapped to its node.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cluster_priv.h"
#include "core/errbuf.h"

#define SENTINEL_PORT 26379
#define MASTER_NAME   "fl"
#define REDIS_SETTINGS "faultline.conf"

/* What the sentinel on node i says the master is: its node index, or negative errno. */
static int ask_sentinel(const struct fl_cluster *c, unsigned i, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	redisContext *rc = redisConnectWithTimeout(c->nodes[i].addr, SENTINEL_PORT, tv);
	redisReply *r;
	int ret = -EIO;

	if (!rc || rc->err) {
		redisFree(rc);
		return -ECONNREFUSED;
	}
	redisSetTimeout(rc, tv);
	r = redisCommand(rc, "SENTINEL get-master-addr-by-name " MASTER_NAME);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING) {
		ret = -ENOENT;
		for (unsigned k = 0; k < c->n; k++)
			if (!strcmp(c->nodes[k].addr, r->element[0]->str))
				ret = (int)k;
	}
	freeReplyObject(r);
	redisFree(rc);
	return ret;
}

/*
 * The master most sentinels that answer report (during a failover they
 * may differ for a moment; a tie goes to the lower node).
 */
static int redis_leader(const struct fl_cluster *c, int timeout_ms, unsigned *ret_node,
			char *errbuf, size_t errlen)
{
	unsigned votes[FL_CLUSTER_MAX_NODES] = { 0 }, answered = 0, best = 0;

	for (unsigned i = 0; i < c->n; i++) {
		int m = ask_sentinel(c, i, timeout_ms);

		if (m == -ECONNREFUSED || m == -EIO)
			continue;
		answered++;
		if (m >= 0)
			votes[m]++;
	}
	for (unsigned k = 1; k < c->n; k++)
		if (votes[k] > votes[best])
			best = k;
	if (!votes[best]) {
		fl_errf(errbuf, errlen, answered ? "no sentinel names a master on a node" :
			"no sentinel answers");
		return -ENOENT;
	}
	*ret_node = best;
	return 0;
}

/*
 * The kind's own defaults go first, so a setting of the same name given
 * by the user (a later line) wins. A replica's first sync is started at
 * once rather than after redis' 5 s diskless-sync delay: until then the
 * replicas hold nothing, and a failover in a short test would lose all.
 */
static const char *const redis_defaults[] = { "repl-diskless-sync-delay=0" };
#define N_DEFAULTS (sizeof(redis_defaults) / sizeof(redis_defaults[0]))

static int redis_setup(struct fl_cluster *c, const char *const *settings, char *errbuf,
		       size_t errlen)
{
	const char *all[N_DEFAULTS + 64 + 1] = { NULL };
	size_t n = 0;
	int err = 0;

	for (size_t i = 0; i < N_DEFAULTS; i++)
		all[n++] = redis_defaults[i];
	for (size_t i = 0; settings && settings[i]; i++) {
		if (n + 1 == sizeof(all) / sizeof(all[0]))
			return fl_errf(errbuf, errlen, "more than 64 settings"), -E2BIG;
		all[n++] = settings[i];
	}
	for (unsigned i = 0; !err && i < c->n; i++)
		err = fl_cluster_settings_write(c, i, REDIS_SETTINGS, "%s \"%s\"", all,
						errbuf, errlen);
	return err;
}

const struct fl_cluster_kind fl_cluster_kind_redis = {
	.name = "redis-replica",
	.cluster_name = "redis",
	.nodes = 3,
	.min_nodes = 1,
	.start = "P={peers}; set -- $(echo $P | tr , ' '); M=$1; Q=$(($# / 2 + 1)); "
		 "R={data}/redis; mkdir -p $R || exit 1; "
		 "[ -f $R/sentinel.conf ] || printf \"%s\\n\" 'port 26379' 'bind {addr}'"
		 "  'protected-mode no' 'sentinel announce-ip {addr}' \"dir $R\""
		 "  \"sentinel monitor " MASTER_NAME " $M 6379 $Q\""
		 "  'sentinel down-after-milliseconds " MASTER_NAME " 1000'"
		 "  'sentinel failover-timeout " MASTER_NAME " 3000'"
		 "  'sentinel parallel-syncs " MASTER_NAME " 1' > $R/sentinel.conf || exit 1; "
		 "[ {index} = 1 ] && REP= || REP=\"--replicaof $M 6379\"; "
		 "redis-server $R/sentinel.conf --sentinel & "
		 /*
		  * A replica whose last INFO is older than 5 s when the master goes
		  * down cannot be chosen, and the sentinels then wait twice the
		  * failover timeout to try again: have them poll INFO every second
		  * (SENTINEL DEBUG, redis 7; not kept in the config file).
		  */
		 "(i=0; until redis-cli -h {addr} -p 26379 sentinel debug info-period 1000"
		 " >/dev/null 2>&1 || [ $i -ge 50 ]; do i=$((i + 1)); sleep 0.1; done) & "
		 "exec redis-server {data}/" REDIS_SETTINGS " --bind {addr} --port 6379"
		 " --protected-mode no --daemonize no --dir $R $REP",
	.stop = NULL,
	/*
	 * The redis answers and serves its role (a master, or a replica whose
	 * link to its master is up: synced), and its sentinel sees a quorum.
	 */
	.health = "redis-cli -h {addr} -p 6379 info replication |"
		  " grep -Eq '^(role:master|master_link_status:up)' &&"
		  " redis-cli -h {addr} -p 26379 sentinel ckquorum " MASTER_NAME
		  " | grep -q '^OK'",
	.peer = "{addr}",
	.leader = redis_leader,
	.setup = redis_setup,
	.client = "redis://{addr}:6379",
	.fails_over = true,
};
