/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Workloads: adapters that write records with unique ids and checksummed
 * payloads into a store, and read back what the store holds after
 * recovery (`faultline rpo` drives them; so may any program). One
 * interface, one adapter per scheme (the adapters' own table is private,
 * userspace/workload/adapter.h):
 *
 *   file:PATH?fsync=always|interval=DUR|never   append-only log, built in
 *                                               (default fsync=always)
 *   sqlite:PATH?synchronous=..&journal_mode=..  libsqlite3, built in
 *                                               (default FULL, DELETE)
 *   redis://HOST:PORT[/DB]                      hiredis
 *   postgres://...  (a libpq conninfo URI)      libpq
 *   mysql://USER[:PASS]@HOST[:PORT]/DB          libmariadb (MariaDB, MySQL)
 *   etcd://HOST[:PORT][?key=PREFIX&page=N]      etcd 3.4's v3 JSON gateway
 *                                               (HTTP/1.0, core/http.c)
 *   exec:CMD                                    any client, line protocol
 *   postgres:local?K=V, redis:local?K=V,        a managed server: see
 *   mysql:local?K=V                             fl_wl_managed_create below
 *
 * Built-in stores (file, sqlite) have no server: faultline forks a writer
 * process that is "the service" (it can be killed, its data dir can be on
 * faultfs) and talks to it with the exec line protocol. Connections are
 * used by one thread at a time; a workload may have many. The line
 * protocol: docs/rpo-exec-protocol.md.
 *
 * Every call returns 0 or a negative errno and prints nothing; where a
 * reason helps, errbuf (may be NULL) gets one line.
 */
#ifndef FAULTLINE_WORKLOAD_H
#define FAULTLINE_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How one operation ended, as Jepsen records it. */
enum fl_op_outcome {
	FL_OP_OK      = 0, /* acknowledged */
	FL_OP_FAIL    = 1, /* definitely not applied */
	FL_OP_UNKNOWN = 2, /* may or may not have been applied (timeout, lost connection) */
};

struct fl_workload;
struct fl_wl_conn;

/* Parse and validate spec; nothing is started or connected yet. */
int fl_workload_open(const char *spec, struct fl_workload **ret, char *errbuf, size_t errlen);
const char *fl_workload_scheme(const struct fl_workload *w);
/* The spec, normalised, without secrets (a postgres password is masked). */
const char *fl_workload_describe(const struct fl_workload *w);

/* Built-in stores: the file that holds the records (the log, the database); else NULL. */
const char *fl_workload_store_path(const struct fl_workload *w);

/*
 * Built-in stores: start the writer process that serves them (the
 * "service"), with the store at the spec's path. ret_pid: its pid, once it
 * answers PING (at most 5 s; a writer that failed is reaped here and
 * errbuf says why). The writer gets SIGKILL when the calling thread exits
 * (PR_SET_PDEATHSIG): start it from a thread that outlives it. For the
 * other schemes -EOPNOTSUPP: the user's --start runs the service.
 */
bool fl_workload_builtin(const struct fl_workload *w);
int fl_workload_start(struct fl_workload *w, pid_t *ret_pid, char *errbuf, size_t errlen);
/* The writer process exited (reaped by the caller): forget it. */
void fl_workload_stopped(struct fl_workload *w);

/* Is the service up and answering? -ECONNREFUSED, -ETIMEDOUT, ... */
int fl_workload_ping(struct fl_workload *w, int timeout_ms);
/* The same, with why not in errbuf ("exec: the client ... did not answer PING within 500 ms"). */
int fl_workload_ping_why(struct fl_workload *w, int timeout_ms, char *errbuf, size_t errlen);

/* Empty the store (before a trial): truncate, DELETE, FLUSHDB, ... */
int fl_workload_reset(struct fl_workload *w, char *errbuf, size_t errlen);

/*
 * An operator's mistake: the records' table dropped (`faultline backup
 * run --fault drop-table`). The service keeps running; stop the load
 * first, since what a write does after the drop is the store's:
 *   postgres  DROP TABLE faultline_rpo (synchronous_commit on). A later
 *             connection creates the table again, empty, as it does for a
 *             store never reset, and the driver reconnects after the first
 *             refused write: writes after the drop land in a new table.
 *   sqlite    DROP TABLE faultline_rpo on a connection of its own, waiting
 *             out the writer process's locks (the writer keeps running);
 *             its writes fail after it (no such table) until it restarts,
 *             which creates the table again, empty.
 *   redis     UNLINK (DEL before Redis 4) of every key of the workload's
 *             prefix, found by SCAN: not FLUSHDB, which would take keys
 *             that are not the workload's. No SAVE: the deletion is as
 *             durable as the server makes any write. A key written while
 *             the SCAN runs may survive it.
 *   file      the log truncated to 0 bytes and fsynced; the writer appends
 *             at the new end.
 *   others    -EOPNOTSUPP with the reason (exec: the line protocol has no
 *             such request).
 * -ENOENT when there is nothing to drop (no table, no log).
 */
int fl_workload_drop(struct fl_workload *w, char *errbuf, size_t errlen);

int fl_workload_connect(struct fl_workload *w, struct fl_wl_conn **ret,
			char *errbuf, size_t errlen);
/*
 * Write record id with payload; blocks until the store acknowledges it,
 * refuses it, or timeout_ms passes (UNKNOWN). ret_err (may be NULL): the
 * errno behind FAIL/UNKNOWN.
 */
enum fl_op_outcome fl_workload_write(struct fl_wl_conn *c, uint64_t id,
				     const void *payload, size_t len, int timeout_ms,
				     int *ret_err);
void fl_workload_disconnect(struct fl_wl_conn *c);

/*
 * Read back every record the store holds, after recovery: cb once per
 * record (a record whose bytes cannot be parsed is reported with id 0 and
 * its raw bytes). The service must be up (built-in stores are read
 * directly from their files).
 */
typedef int (*fl_wl_record_cb)(void *ctx, uint64_t id, const void *payload, size_t len);
int fl_workload_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx,
			 char *errbuf, size_t errlen);

void fl_workload_close(struct fl_workload *w);

/*
 * The read-back timeout of exec: clients: how long faultline waits for
 * the next line of a READ answer (a record or END) before it gives up,
 * kills the client and names it in the error. It bounds silence, not the
 * whole read-back, so a big store still reads back. timeout_ms <= 0: the
 * default, FL_WL_READBACK_TIMEOUT_MS.
 */
#define FL_WL_READBACK_TIMEOUT_MS 10000
void fl_workload_set_readback_timeout(struct fl_workload *w, int timeout_ms);

/*
 * Managed services: "postgres:local?synchronous_commit=off",
 * "redis:local?appendfsync=everysec", "mysql:local?innodb_flush_log_at_trx_commit=2".
 * faultline makes a throwaway server from the Debian package: its data
 * directory initialised as the package's user (initdb, mariadb-install-db;
 * redis starts empty), the query's settings written into its config, a
 * free port on 127.0.0.1. The result is what a user would otherwise have
 * given `faultline rpo`: a start command that runs the server in the
 * foreground as its own user (it drops privileges itself), the data
 * directory, the client's spec, and the graceful stop signal.
 *
 * fl_workload_open() accepts such a spec (so it can be checked early)
 * and fl_workload_managed() says so, but such a workload does nothing
 * until resolved: every call on it is -EOPNOTSUPP.
 */
bool fl_workload_managed(const struct fl_workload *w);

struct fl_wl_managed {
	const char *given;       /* the spec as given: "postgres:local?..." */
	const char *kind;        /* "postgres", "redis", "mysql" */
	const char *spec;        /* the client's workload spec: postgres://...:PORT/... */
	const char *start_cmd;   /* for sh -c; execs the server, which stays the process */
	const char *user;        /* who the server runs as (the caller when not root) */
	const char *data_dir;
	int stop_signal;         /* the graceful stop: SIGINT (PostgreSQL's fast), SIGTERM */
	int port;
	const char *settings;    /* the spec's query as given ("k=v&k2=v2"), or "" */
	const char *socket_dir;  /* postgres: its unix socket directory; else NULL */
	const char *bindir;      /* postgres: the server's bin directory; else NULL */
};

/*
 * Make the server's files: data_dir (NULL: a new directory under
 * /var/tmp) must be empty or absent; nothing is started. The caller runs
 * start_cmd (and restarts it the same way on the same data directory).
 */
int fl_wl_managed_create(const char *spec, const char *data_dir, struct fl_wl_managed **ret,
			 char *errbuf, size_t errlen);
/*
 * Throw the server away: kill what still runs from its data directory,
 * remove what create made (PostgreSQL's shared memory too). The strings
 * stay readable until free. 0, or -EBUSY when a process would not die.
 */
int fl_wl_managed_discard(struct fl_wl_managed *m);
/*
 * Stop the server for good but keep its files: kill what still runs from
 * its data directory, and what a killed server leaves behind (a SIGKILLed
 * PostgreSQL's shared memory). 0, or -EBUSY when a process would not die.
 */
int fl_wl_managed_kill(struct fl_wl_managed *m);
/* Discard (if not yet) and free. NULL is fine. */
void fl_wl_managed_free(struct fl_wl_managed *m);

/*
 * Payloads: FL_PAYLOAD_MIN..FL_PAYLOAD_MAX bytes that carry their record
 * id and a CRC-32C, the rest derived from (seed, id), so a record read
 * back can be checked on its own.
 */
#define FL_PAYLOAD_MIN 24
#define FL_PAYLOAD_MAX (1 << 20)
int fl_payload_make(uint64_t id, uint64_t seed, void *buf, size_t len);
/* 0 and *ret_id if buf is an intact payload; -EBADMSG if corrupt. */
int fl_payload_check(const void *buf, size_t len, uint64_t *ret_id);

#endif /* FAULTLINE_WORKLOAD_H */
