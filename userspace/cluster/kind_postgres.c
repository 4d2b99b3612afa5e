// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The postgres-replica kind (Debian PostgreSQL, the newest installed
 * server): n1 is the primary, initdb'ed on its faultfs data dir with
 * wal_level=replica and trust for every address of its subnet (samenet),
 * replication included; n2..nN are replicas made by pg_basebackup -R from
 * it, streaming. Every server runs as user postgres (PostgreSQL refuses
 * root), on ADDR:5432, without a Unix socket (nothing would use it).
 *
 * The settings go to the primary's postgresql.conf (async by default,
 * sync when synchronous_standby_names names the standbys: each one's
 * application_name is its node name, through cluster_name). A replica
 * copies that file with its base backup, as a real one does: promoted, it
 * keeps the primary's settings.
 *
 * There is no automatic failover: fl_cluster_promote() calls pg_promote()
 * on a replica. The leader is the node not in recovery (of two, the one on
 * the later timeline: the promoted one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cluster_priv.h"
#include "core/clock.h"
#include "core/errbuf.h"

#define PG_PORT "5432"
#define PG_SETTINGS "faultline.conf"

/* A connection to node i, or NULL (why in errbuf). */
static PGconn *pg_connect(const struct fl_cluster *c, unsigned i, int timeout_ms,
			  char *errbuf, size_t errlen)
{
	char conninfo[256];
	PGconn *pg;
	/* libpq counts whole seconds, and takes 1 as 2. */
	int secs = timeout_ms < 2000 ? 2 : (timeout_ms + 999) / 1000;

	snprintf(conninfo, sizeof(conninfo),
		 "host=%s port=" PG_PORT " user=postgres dbname=postgres connect_timeout=%d",
		 c->nodes[i].addr, secs);
	pg = PQconnectdb(conninfo);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		fl_errf(errbuf, errlen, "node %s (%s): %s", c->nodes[i].name, c->nodes[i].addr,
			pg ? PQerrorMessage(pg) : "out of memory");
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

/*
 * Node i's timeline when it is a primary (out of recovery): the first 8 hex
 * digits of its current WAL file's name. 0 in recovery, negative errno.
 */
static long long primary_timeline(const struct fl_cluster *c, unsigned i, int timeout_ms,
				  char *errbuf, size_t errlen)
{
	PGconn *pg = pg_connect(c, i, timeout_ms, errbuf, errlen);
	PGresult *r;
	long long ret;

	if (!pg)
		return -ECONNREFUSED;
	r = PQexec(pg, "SELECT CASE WHEN pg_is_in_recovery() THEN '0' ELSE "
		       "substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		ret = strtoll(PQgetvalue(r, 0, 0), NULL, 16);
	} else {
		fl_errf(errbuf, errlen, "node %s: %s", c->nodes[i].name, PQerrorMessage(pg));
		ret = -EIO;
	}
	PQclear(r);
	PQfinish(pg);
	return ret;
}

/*
 * The node that is not in recovery. Two of them (an old primary restarted
 * after a promotion: a split brain) are told apart by their timelines:
 * the promoted one is on a later timeline, and leads.
 */
static int pg_leader(const struct fl_cluster *c, int timeout_ms, unsigned *ret_node,
		     char *errbuf, size_t errlen)
{
	long long best_tl = 0;
	unsigned answered = 0, best = 0;

	for (unsigned i = 0; i < c->n; i++) {
		long long tl = primary_timeline(c, i, timeout_ms, NULL, 0);

		if (tl < 0)
			continue;
		answered++;
		if (tl > best_tl) {
			best_tl = tl;
			best = i;
		}
	}
	if (!best_tl) {
		fl_errf(errbuf, errlen, answered ? "every server that answers is in recovery "
			"(a replica)" : "no server answers");
		return -ENOENT;
	}
	*ret_node = best;
	return 0;
}

static int pg_promote(struct fl_cluster *c, unsigned i, int timeout_ms, char *errbuf,
		      size_t errlen)
{
	PGconn *pg = pg_connect(c, i, timeout_ms, errbuf, errlen);
	int secs = timeout_ms < 1000 ? 1 : timeout_ms / 1000, err = 0;
	const char *param;
	char arg[16];
	PGresult *r;

	if (!pg)
		return -ECONNREFUSED;
	snprintf(arg, sizeof(arg), "%d", secs);
	param = arg;
	/* wait => true: it returns once the server left recovery, or false after wait_seconds. */
	r = PQexecParams(pg, "SELECT pg_promote(true, $1::int)", 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		fl_errf(errbuf, errlen, "node %s: pg_promote(): %s", c->nodes[i].name,
			PQerrorMessage(pg));
		err = -EIO;
	} else if (PQgetvalue(r, 0, 0)[0] != 't') {
		fl_errf(errbuf, errlen, "node %s: not promoted after %d s", c->nodes[i].name, secs);
		err = -ETIMEDOUT;
	}
	PQclear(r);
	PQfinish(pg);
	return err;
}

static int pg_setup(struct fl_cluster *c, const char *const *settings, char *errbuf,
		    size_t errlen)
{
	/* The primary's: replicas copy it with their base backup. */
	return fl_cluster_settings_write(c, 0, PG_SETTINGS, "%s = '%s'", settings, errbuf,
					 errlen);
}

/*
 * One start command for every node: the first start makes the data dir
 * (initdb on n1; on a replica, a base backup from n1, retried until n1
 * answers, since every node starts at once), later ones reuse it. A data
 * dir made once and gone later (a power cut took it) is not made again:
 * that would hide the loss behind a fresh, empty server. A mark beside the
 * mount (outside faultfs, so no cut takes it) remembers the first start.
 */
#define PG_BIN "B=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); "
#define PG_AS  "runuser -u postgres -- "

const struct fl_cluster_kind fl_cluster_kind_postgres = {
	.name = "postgres-replica",
	.cluster_name = "pg",
	.nodes = 2,
	.min_nodes = 1,
	/* The servers run as postgres: let them into the mount. */
	.faultfs_opts = "allow_other",
	.start = PG_BIN "P={peers}; P=${P%%,*}; D={data}/pg; "
		 "[ -x \"$B/postgres\" ] || { echo 'no PostgreSQL server installed'; exit 1; }; "
		 "chown postgres: {data} && chmod 700 {data} || exit 1; "
		 PG_AS "test -x {data} || { echo 'user postgres cannot reach {data}:"
		 " make every parent directory searchable (o+x)'; exit 1; }; "
		 "M={data}/../pg-made; "
		 "if [ ! -s $D/PG_VERSION ] && [ -e $M ]; then "
		 "  echo \"faultline: $D was made at the first start and is gone: refusing to"
		 " make it again (a power cut took its names?)\"; exit 1; "
		 "fi; "
		 "if [ ! -s $D/PG_VERSION ]; then "
		 "  if [ {index} = 1 ]; then "
		 "    " PG_AS "$B/initdb -D $D -U postgres --auth=trust -E UTF8 >/dev/null || exit 1; "
		 "    printf \"%s\\n\" '# faultline: the postgres-replica primary'"
		 "      'wal_level = replica' 'max_wal_senders = 10' 'wal_keep_size = 64MB'"
		 "      'hot_standby = on' >> $D/postgresql.conf; "
		 "    cat {data}/" PG_SETTINGS " >> $D/postgresql.conf || exit 1; "
		 "    printf \"%s\\n\" 'host all all samenet trust'"
		 "      'host replication all samenet trust' >> $D/pg_hba.conf; "
		 "  else "
		 "    until " PG_AS "$B/pg_basebackup -h $P -p " PG_PORT " -U postgres -D $D -R"
		 "      -X stream -c fast; do rm -rf $D; sleep 0.2; done; "
		 "  fi; "
		 "fi; "
		 /*
		  * initdb does not fsync PGDATA's parent directory, nor the shell
		  * its appends to the config: a power cut would take them back.
		  */
		 "sync {data} $D $D/postgresql.conf $D/pg_hba.conf || exit 1; "
		 "touch $M || exit 1; "
		 /*
		  * After a crash the killed postmaster may still be a zombie, not
		  * yet reaped by init: postgres takes its pid for a live
		  * postmaster and refuses to start. A pid file whose process is
		  * gone or a zombie is stale.
		  */
		 "if [ -f $D/postmaster.pid ]; then p=$(head -n 1 $D/postmaster.pid); "
		 "  s=$(sed -n 's/^State:[[:space:]]*\\(.\\).*/\\1/p' /proc/$p/status 2>/dev/null); "
		 "  [ -z \"$s\" ] || [ \"$s\" = Z ] && rm -f $D/postmaster.pid; "
		 "fi; "
		 "exec " PG_AS "$B/postgres -D $D -c listen_addresses={addr} -c port=" PG_PORT
		 " -c unix_socket_directories= -c cluster_name={name}",
	/* Fast shutdown (SIGINT to the postmaster): clients cut, a clean checkpoint. */
	.stop = "kill -INT $(head -n 1 {data}/pg/postmaster.pid)",
	.health = "exec pg_isready -q -h {addr} -p " PG_PORT " -t 2",
	.peer = "{addr}",
	.leader = pg_leader,
	.setup = pg_setup,
	.promote = pg_promote,
	.client = "postgres://postgres@{addr}:" PG_PORT "/postgres",
};
