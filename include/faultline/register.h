/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Registers: one int64 value per key, written, read and compared-and-set
 * through a workload's connection (fl_workload_connect), for the stale
 * read checker (<faultline/history.h>). Optional per adapter:
 *
 *   etcd://      key faultline/register/<20-digit key>, the value in
 *                decimal; cas is a txn comparing the value
 *   redis://     key faultline:register:<key>; SET, GET, cas by EVAL of
 *                a GET-compare-SET script (atomic in Redis)
 *   postgres://  table fl_register(k bigint primary key, v bigint):
 *                INSERT .. ON CONFLICT DO UPDATE, SELECT, and
 *                UPDATE .. WHERE v = from RETURNING v
 *
 * The registers live apart from the workload's records (another key
 * prefix, another table), so read back and reset of records never see
 * them. Every operation is bounded by its timeout and ends as a write
 * does (fl_workload_write): OK, FAIL (did not happen) or UNKNOWN (may have),
 * with the errno in *ret_err (may be NULL). After any outcome but OK the
 * connection is to be dropped.
 *
 * The register load: N client threads doing a seeded random mix of
 * reads, writes and cas over K keys at a rate, every value written
 * unique per key, every operation recorded into a struct fl_history with
 * CLOCK_MONOTONIC invoke and complete times (UNKNOWN -> FL_HOP_INFO; a
 * client whose op ended INFO goes on as a new process, as in Jepsen).
 */
#ifndef FAULTLINE_REGISTER_H
#define FAULTLINE_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/history.h>
#include <faultline/workload.h>

bool fl_register_supported(const struct fl_workload *w);
/* Every register gone (durably): nil again. -EOPNOTSUPP for an adapter without registers. */
int fl_register_reset(struct fl_workload *w, char *errbuf, size_t errlen);

enum fl_op_outcome fl_register_write(struct fl_wl_conn *c, uint64_t key, int64_t value,
				     int timeout_ms, int *ret_err);
/* OK: *ret_nil when the key has no value, else *ret_value. */
enum fl_op_outcome fl_register_read(struct fl_wl_conn *c, uint64_t key, int64_t *ret_value,
				    bool *ret_nil, int timeout_ms, int *ret_err);
/* OK: answered, *ret_swapped says whether the value was from (and is now to). */
enum fl_op_outcome fl_register_cas(struct fl_wl_conn *c, uint64_t key, int64_t from, int64_t to,
				   bool *ret_swapped, int timeout_ms, int *ret_err);

/*
 * Which workload a client connects to, asked at each (re)connection (a
 * cluster's leader after a failover); NULL: the one given to start. It
 * runs on the client threads, concurrently.
 */
typedef struct fl_workload *(*fl_register_target_fn)(void *ctx);

struct fl_register_load_cfg {
	unsigned clients;            /* threads; 0: 4 */
	unsigned keys;               /* registers 0..keys-1; 0: 8 */
	double rate;                 /* operations/s over all clients; 0: 200 */
	uint64_t seed;               /* the mix of operations and keys */
	unsigned read_pct, write_pct;/* the rest are cas; both 0: 50 and 30 */
	int timeout_ms;              /* each operation; 0: 1000 */
	size_t max_ops;              /* a bound on the history; 0: 1000000 */
	bool no_reset;               /* keep the registers (else reset before the clients start) */
	fl_register_target_fn target;
	void *target_ctx;
};

struct fl_register_load;

/*
 * Reset the registers (unless no_reset) and start the clients. They run
 * until stop or max_ops; a client that cannot connect retries every
 * 100 ms and records nothing meanwhile.
 */
int fl_register_load_start(struct fl_workload *w, const struct fl_register_load_cfg *cfg,
			   struct fl_register_load **ret, char *errbuf, size_t errlen);
/* Stop the clients (each finishes its operation, within its timeout) and hand over the history. */
int fl_register_load_stop(struct fl_register_load *l, struct fl_history **ret);

#endif /* FAULTLINE_REGISTER_H */
