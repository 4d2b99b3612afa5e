/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between workload.c and the adapters (wl_*.c). One adapter per scheme, a
 * const struct of function pointers defined in its own wl_*.c and listed in
 * workload.c's table. Adding an adapter (wl_redis.c, wl_postgres.c) means:
 * define `const struct fl_wl_adapter fl_wl_NAME_adapter` in wl_NAME.c (its
 * declaration is already below) and uncomment its line in workload.c's
 * table. Nothing else.
 *
 * Call order, all from the controller: parse once (fl_workload_open), then
 * any of ping / reset / connect / write / disconnect / read_all, from any
 * threads (a connection is used by one thread at a time; ping, reset and
 * read_all may run while client threads write), then free once.
 *
 * Conventions: 0 or -errno; errbuf may be NULL, fill it with fl_wl_err()
 * ("redis: ..."): the CLI prints it as is. A write never blocks longer than
 * its timeout: past it, FL_OP_UNKNOWN with *ret_err = -ETIMEDOUT, and the
 * connection is left to be disconnected (the driver does, after any
 * outcome other than OK).
 */
#ifndef FL_WORKLOAD_ADAPTER_H
#define FL_WORKLOAD_ADAPTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <faultline/workload.h>
#include "core/clock.h"

/* Every adapter's connection starts with this (embed it first, cast back). */
struct fl_wl_conn {
	struct fl_workload *w;
};

/*
 * What the writer process runs for a built-in store (wl_serve.c calls it;
 * reset also runs in the controller when no writer is up). One `th` per
 * connection thread, opened and closed on that thread.
 */
struct fl_wl_store_ops {
	int (*open)(struct fl_workload *w, void **ret_store, char *errbuf, size_t errlen);
	int (*thread_open)(void *store, void **ret_th, char *errbuf, size_t errlen);
	void (*thread_close)(void *th);
	/* why: the reason behind FAIL/UNKNOWN, one line. */
	enum fl_op_outcome (*append)(void *store, void *th, uint64_t id, const void *payload,
				     size_t len, char *why, size_t whylen);
	/* Empty the store durably (a powercut must not bring old records back). */
	int (*reset)(void *store, void *th, char *errbuf, size_t errlen);
	void (*close)(void *store);
};

struct fl_wl_adapter {
	const char *scheme;          /* "file": fl_workload_scheme() */
	const char *prefixes[4];     /* what a spec starts with: "file:"; NULL-terminated */
	/* Built-in stores: served by the forked writer; NULL for external services. */
	const struct fl_wl_store_ops *store;
	/*
	 * rest: the spec after the matched prefix (the whole spec is w->spec).
	 * Store the parsed options in w->cfg, set the description with
	 * fl_wl_set_desc() (mask secrets), or fail with a reason.
	 */
	int (*parse)(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen);
	void (*free)(struct fl_workload *w); /* w->cfg; may be NULL */
	int (*ping)(struct fl_workload *w, int timeout_ms);
	int (*reset)(struct fl_workload *w, char *errbuf, size_t errlen);
	/* *ret: a struct that begins with struct fl_wl_conn, .w set by the adapter. */
	int (*connect)(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf, size_t errlen);
	enum fl_op_outcome (*write)(struct fl_wl_conn *c, uint64_t id, const void *payload,
				    size_t len, int timeout_ms, int *ret_err);
	void (*disconnect)(struct fl_wl_conn *c);
	/* Bytes that are not a record: cb with id 0 and the raw bytes. */
	int (*read_all)(struct fl_workload *w, fl_wl_record_cb cb, void *ctx,
			char *errbuf, size_t errlen);
	/* Built-in stores: the file the records live in. NULL otherwise. */
	const char *(*store_path)(const struct fl_workload *w);
	/* Optional: ping, saying why it failed (else fl_workload_ping_why words it). */
	int (*ping_why)(struct fl_workload *w, int timeout_ms, char *errbuf, size_t errlen);
	/* Optional: fl_workload_drop (an operator's mistake); NULL: -EOPNOTSUPP. */
	int (*drop)(struct fl_workload *w, char *errbuf, size_t errlen);
};

struct fl_workload {
	const struct fl_wl_adapter *ad;
	char *spec;                  /* as given */
	char *desc;                  /* normalised, no secrets */
	void *cfg;                   /* the adapter's */
	_Atomic pid_t writer;        /* built-in: the writer process, 0 when down */
	int readback_timeout_ms;     /* exec: silence allowed within a READ answer; 0: default */
};

/* The adapters. redis and postgres: defined by their own files (slots in workload.c). */
extern const struct fl_wl_adapter fl_wl_file_adapter;
extern const struct fl_wl_adapter fl_wl_sqlite_adapter;
extern const struct fl_wl_adapter fl_wl_exec_adapter;
extern const struct fl_wl_adapter fl_wl_redis_adapter;
extern const struct fl_wl_adapter fl_wl_postgres_adapter;
extern const struct fl_wl_adapter fl_wl_mysql_adapter;
extern const struct fl_wl_adapter fl_wl_etcd_adapter;
/* local.c: "postgres:local?..." and its kind, checked but unusable until resolved. */
extern const struct fl_wl_adapter fl_wl_local_adapter;

/*
 * wl_mysql.c's table, also made by mysql:local at install time, before
 * faultfs is over the data directory: InnoDB does not fsync a directory
 * after creating a table's file, so a table made under faultfs's strict
 * model does not survive a power cut.
 */
#define FL_WL_MYSQL_CREATE_TABLE "CREATE TABLE IF NOT EXISTS faultline_rpo" \
	"(id BIGINT PRIMARY KEY, payload LONGBLOB NOT NULL) ENGINE=InnoDB"

/* --- adapter.c: helpers for adapters ------------------------------------- */
/* Returns err; errbuf gets "scheme: " + the message. */
int fl_wl_err(const struct fl_workload *w, int err, char *errbuf, size_t errlen,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int fl_wl_set_desc(struct fl_workload *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * URL query: "a=1&b=2". Splits *cursor in place (it must be writable) and
 * returns the next pair, value after the first '=' (may itself hold '=':
 * fsync=interval=100ms); false at the end. *val is "" without '='.
 */
bool fl_wl_query_next(char **cursor, char **key, char **val);
/* Case-insensitive lookup in a NULL-terminated list; the canonical entry or NULL. */
const char *fl_wl_pick(const char *val, const char *const *list);

/* --- wl_proto.c: the line protocol, controller side ---------------------- */
/* A connection speaking the protocol over fd (a unix socket, or a socketpair to a child). */
struct fl_wl_pconn {
	struct fl_wl_conn base;
	int fd;
	pid_t child;                 /* exec: its process group, killed on close; else 0 */
	char *rbuf;                  /* bytes read, not yet consumed */
	size_t rlen, roff, rcap;
	char *wbuf;
	size_t wcap;
};

struct fl_wl_pconn *fl_wl_pconn_new(struct fl_workload *w, int fd, pid_t child);
void fl_wl_pconn_close(struct fl_wl_pconn *pc);
/* Send req ("PING"), expect the line want ("PONG"); -EPROTO with the answer in errbuf. */
int fl_wl_pconn_simple(struct fl_wl_pconn *pc, const char *req, const char *want,
		       int timeout_ms, char *errbuf, size_t errlen);
enum fl_op_outcome fl_wl_pconn_write(struct fl_wl_pconn *pc, uint64_t id, const void *payload,
				     size_t len, int timeout_ms, int *ret_err);
/*
 * READ: every "R <id> <hex>" line to cb until END. idle_ms bounds the wait
 * for each line, not the whole answer; past it -ETIMEDOUT, and errbuf
 * says how many records came and that END did not.
 */
int fl_wl_pconn_read_all(struct fl_wl_pconn *pc, int idle_ms, fl_wl_record_cb cb, void *ctx,
			 char *errbuf, size_t errlen);

/* Reads one line ('\n' stripped, NUL-terminated in place); deadline 0: wait forever. */
int fl_wl_readline(int fd, char **rbuf, size_t *rlen, size_t *roff, size_t *rcap,
		   uint64_t deadline_ns, char **ret_line, size_t *ret_len);
int fl_wl_send_all(int fd, const void *buf, size_t len, uint64_t deadline_ns, size_t *ret_sent);
/* Lowercase hex of len bytes into out (2*len chars, no NUL). */
void fl_wl_hex_encode(char *out, const void *buf, size_t len);
/* Decodes exactly n hex chars (n even) into out; -EINVAL on a bad char. */
int fl_wl_hex_decode(void *out, const char *hex, size_t n);
/*
 * A record line "<id> <hex>" (also "R <id> <hex>" after the R): 0 with the
 * decoded payload in *ret (malloc'd), or -EINVAL when it is not one.
 */
int fl_wl_parse_record(const char *s, size_t n, uint64_t *ret_id, void **ret, size_t *ret_len);

/* --- wl_serve.c: the built-in stores' writer process and its clients ----- */
int fl_wl_serve_start(struct fl_workload *w, pid_t *ret_pid, char *errbuf, size_t errlen);
int fl_wl_serve_ping(struct fl_workload *w, int timeout_ms);
/* Through the writer when it is up, else directly with the store ops. */
int fl_wl_serve_reset(struct fl_workload *w, char *errbuf, size_t errlen);
int fl_wl_serve_connect(struct fl_workload *w, struct fl_wl_conn **ret, char *errbuf,
			size_t errlen);
enum fl_op_outcome fl_wl_serve_write(struct fl_wl_conn *c, uint64_t id, const void *payload,
				     size_t len, int timeout_ms, int *ret_err);
void fl_wl_serve_disconnect(struct fl_wl_conn *c);

#endif /* FL_WORKLOAD_ADAPTER_H */
