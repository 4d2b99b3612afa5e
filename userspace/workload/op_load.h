/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between the operation loads (register_load.c, bank_load.c) and the
 * client threads they share: a pool of clients, each keeping to its share
 * of the rate on a fixed schedule (never catching up in a burst after a
 * stall), connecting through the target callback (else the workload) and
 * again after a dropped connection, doing one operation per tick through
 * the load's callback and recording the fl_hop it fills into one history
 * (a client whose op ended INFO goes on as a new process, as in Jepsen),
 * until max_ops operations or stop. Private to the workload room.
 */
#ifndef FL_WORKLOAD_OP_LOAD_H
#define FL_WORKLOAD_OP_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/history.h>
#include <faultline/workload.h>

struct fl_op_load;

/*
 * One operation of client `client` on conn: fill *op (f, key, values,
 * invoke_ns, complete_ns, type; process is the pool's), drawing from
 * *rng. Return false when the connection must be dropped. Runs on the
 * client threads, concurrently; each client's calls are sequential.
 */
typedef bool (*fl_op_load_fn)(void *ctx, unsigned client, uint64_t *rng,
			      struct fl_wl_conn *conn, struct fl_hop *op);

struct fl_op_load_cfg {
	const char *name;            /* "register load": errbuf's prefix */
	unsigned clients;            /* > 0 */
	double rate;                 /* ops per second over all clients, > 0 */
	size_t max_ops;
	uint64_t seed;               /* each client's rng: seed * 0x100000001b3 + client + 1 */
	struct fl_workload *(*target)(void *ctx); /* NULL, or NULL returned: the workload */
	void *target_ctx;
	fl_op_load_fn op;
	void *op_ctx;
};

/* Start the clients; on failure none runs and nothing is left. */
int fl_op_load_start(struct fl_workload *w, const struct fl_op_load_cfg *cfg,
		     struct fl_op_load **ret, char *errbuf, size_t errlen);
/*
 * Stop and join the clients, free the pool; *ret gets the history unless
 * recording failed (that error is returned, and the history freed).
 */
int fl_op_load_stop(struct fl_op_load *p, struct fl_history **ret);

/* splitmix64: small, seedable, good enough to pick operations, keys and amounts. */
static inline uint64_t fl_op_load_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline enum fl_hop_type fl_op_load_hop_type(enum fl_op_outcome o)
{
	return o == FL_OP_OK ? FL_HOP_OK : o == FL_OP_FAIL ? FL_HOP_FAIL : FL_HOP_INFO;
}

#endif
