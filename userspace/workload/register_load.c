// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The register load (<faultline/register.h>): client threads doing a
 * seeded random mix of read, write and cas over K keys at a rate, each
 * operation recorded with its invoke and complete times.
 *
 * Values: one counter for the whole load, so each value is written once
 * (unique per key, as the checker wants). A cas goes from the last value
 * this client saw for the key (read, written or swapped in) to a new
 * one; a client that has seen none reads instead. The threads, their
 * pacing and the recording are op_load.c's, shared with the bank load.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/clock.h"
#include "op_load.h"
#include "register_ops.h"

#define DEF_CLIENTS 4
#define DEF_KEYS    8
#define DEF_RATE    200.0
#define DEF_TIMEOUT 1000
#define DEF_MAX_OPS 1000000
#define MAX_KEYS    1024

/* What a client has seen of each key, for its next cas. */
struct client {
	int64_t last[MAX_KEYS];
	bool known[MAX_KEYS];
};

struct fl_register_load {
	struct fl_register_load_cfg cfg;
	_Atomic int64_t next_value;
	struct client *clients;
	struct fl_op_load *pool;
};

/* One operation (fl_op_load_fn); false when the connection must be dropped. */
static bool one_op(void *ctx, unsigned idx, uint64_t *rng, struct fl_wl_conn *conn,
		   struct fl_hop *op)
{
	struct fl_register_load *l = ctx;
	struct client *c = &l->clients[idx];
	const struct fl_register_load_cfg *cfg = &l->cfg;
	uint64_t r = fl_op_load_rand(rng), key = r % cfg->keys;
	unsigned pick = (unsigned)((r >> 32) % 100);
	enum fl_op_outcome o;
	bool swapped = false, nil = true;
	int64_t v = 0;
	int err = 0;

	op->key = key;
	if (pick >= cfg->read_pct + cfg->write_pct && !c->known[key])
		pick = 0; /* a cas needs a from-value: read first */
	op->invoke_ns = fl_now_ns();
	if (pick < cfg->read_pct) {
		op->f = FL_HOP_READ;
		o = fl_register_read(conn, key, &v, &nil, cfg->timeout_ms, &err);
		if (o == FL_OP_OK) {
			op->nil = nil;
			op->value = v;
			c->known[key] = !nil;
			c->last[key] = v;
		}
	} else if (pick < cfg->read_pct + cfg->write_pct) {
		op->f = FL_HOP_WRITE;
		op->value = atomic_fetch_add(&l->next_value, 1);
		o = fl_register_write(conn, key, op->value, cfg->timeout_ms, &err);
		if (o == FL_OP_OK) {
			c->known[key] = true;
			c->last[key] = op->value;
		}
	} else {
		op->f = FL_HOP_CAS;
		op->value = c->last[key];
		op->value2 = atomic_fetch_add(&l->next_value, 1);
		o = fl_register_cas(conn, key, op->value, op->value2, &swapped, cfg->timeout_ms,
				    &err);
		if (o == FL_OP_OK && swapped)
			c->last[key] = op->value2;
		else if (o == FL_OP_OK)
			c->known[key] = false; /* it moved on: read it again before the next cas */
	}
	op->complete_ns = fl_now_ns();
	op->type = fl_op_load_hop_type(o);
	if (op->f == FL_HOP_CAS && o == FL_OP_OK && !swapped)
		op->type = FL_HOP_FAIL;
	return o == FL_OP_OK;
}

static void load_free(struct fl_register_load *l)
{
	free(l->clients);
	free(l);
}

int fl_register_load_start(struct fl_workload *w, const struct fl_register_load_cfg *cfg,
			   struct fl_register_load **ret, char *errbuf, size_t errlen)
{
	struct fl_register_load *l;
	int err;

	if (!fl_register_supported(w))
		return fl_wl_err(w, -EOPNOTSUPP, errbuf, errlen, "no registers for this workload");
	if (cfg->keys > MAX_KEYS || cfg->read_pct + cfg->write_pct > 100 || cfg->rate < 0)
		return fl_wl_err(w, -EINVAL, errbuf, errlen,
				 "register load: at most %d keys, read%% + write%% <= 100, rate >= 0",
				 MAX_KEYS);
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cfg = *cfg;
	if (!l->cfg.clients)
		l->cfg.clients = DEF_CLIENTS;
	if (!l->cfg.keys)
		l->cfg.keys = DEF_KEYS;
	if (l->cfg.rate <= 0)
		l->cfg.rate = DEF_RATE;
	if (!l->cfg.read_pct && !l->cfg.write_pct) {
		l->cfg.read_pct = 50;
		l->cfg.write_pct = 30;
	}
	if (l->cfg.timeout_ms <= 0)
		l->cfg.timeout_ms = DEF_TIMEOUT;
	if (!l->cfg.max_ops)
		l->cfg.max_ops = DEF_MAX_OPS;
	atomic_init(&l->next_value, 1);
	l->clients = calloc(l->cfg.clients, sizeof(*l->clients));
	err = l->clients ? 0 : -ENOMEM;
	if (err)
		goto fail;
	if (!cfg->no_reset) {
		err = fl_register_reset(w, errbuf, errlen);
		if (err)
			goto fail;
	}
	err = fl_op_load_start(w,
			       &(struct fl_op_load_cfg){
				       .name = "register load",
				       .clients = l->cfg.clients,
				       .rate = l->cfg.rate,
				       .max_ops = l->cfg.max_ops,
				       .seed = l->cfg.seed,
				       .target = l->cfg.target,
				       .target_ctx = l->cfg.target_ctx,
				       .op = one_op,
				       .op_ctx = l,
			       },
			       &l->pool, errbuf, errlen);
	if (err)
		goto fail;
	*ret = l;
	return 0;
fail:
	load_free(l);
	return err;
}

int fl_register_load_stop(struct fl_register_load *l, struct fl_history **ret)
{
	int err = fl_op_load_stop(l->pool, ret);

	load_free(l);
	return err;
}
