// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The register load (<faultline/register.h>): client threads doing a
 * seeded random mix of read, write and cas over K keys at a rate, each
 * operation recorded with its invoke and complete times.
 *
 * Values: one counter for the whole load, so each value is written once
 * (unique per key, as the checker wants). A cas goes from the last value
 * this client saw for the key (read, written or swapped in) to a new
 * one; a client that has seen none reads instead. Pacing: each client
 * keeps to its share of the rate on a fixed schedule, and never catches
 * up in a burst after a stall.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "register_ops.h"

#define DEF_CLIENTS 4
#define DEF_KEYS    8
#define DEF_RATE    200.0
#define DEF_TIMEOUT 1000
#define DEF_MAX_OPS 1000000
#define RETRY_MS    100
#define MAX_KEYS    1024

struct client {
	struct fl_register_load *l;
	pthread_t thread;
	unsigned idx;
	uint64_t rng;
	uint32_t process;
	int64_t last[MAX_KEYS];
	bool known[MAX_KEYS];
	bool started;
};

struct fl_register_load {
	struct fl_workload *w;
	struct fl_register_load_cfg cfg;
	struct fl_history *h;
	pthread_mutex_t lock;        /* h */
	_Atomic bool stop;
	_Atomic int64_t next_value;
	_Atomic size_t ops;
	int add_err;                 /* first fl_history_add failure, under lock */
	struct client *clients;
};

/* splitmix64: small, seedable, good enough to pick operations and keys. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static enum fl_hop_type hop_type(enum fl_op_outcome o)
{
	return o == FL_OP_OK ? FL_HOP_OK : o == FL_OP_FAIL ? FL_HOP_FAIL : FL_HOP_INFO;
}

static void record(struct client *c, struct fl_hop *op)
{
	struct fl_register_load *l = c->l;
	int err;

	op->process = c->process;
	pthread_mutex_lock(&l->lock);
	err = fl_history_add(l->h, op);
	if (err && !l->add_err)
		l->add_err = err;
	pthread_mutex_unlock(&l->lock);
	if (err)
		atomic_store(&l->stop, true);
	/* Jepsen: a process whose op is indeterminate may still be in it: go on as another. */
	if (op->type == FL_HOP_INFO)
		c->process += l->cfg.clients;
}

/* One operation on conn; false when the connection must be dropped. */
static bool one_op(struct client *c, struct fl_wl_conn *conn)
{
	const struct fl_register_load_cfg *cfg = &c->l->cfg;
	uint64_t r = next_rand(&c->rng), key = r % cfg->keys;
	unsigned pick = (unsigned)((r >> 32) % 100);
	struct fl_hop op = { .key = key };
	enum fl_op_outcome o;
	bool swapped = false, nil = true;
	int64_t v = 0;
	int err = 0;

	if (pick >= cfg->read_pct + cfg->write_pct && !c->known[key])
		pick = 0; /* a cas needs a from-value: read first */
	op.invoke_ns = fl_now_ns();
	if (pick < cfg->read_pct) {
		op.f = FL_HOP_READ;
		o = fl_register_read(conn, key, &v, &nil, cfg->timeout_ms, &err);
		if (o == FL_OP_OK) {
			op.nil = nil;
			op.value = v;
			c->known[key] = !nil;
			c->last[key] = v;
		}
	} else if (pick < cfg->read_pct + cfg->write_pct) {
		op.f = FL_HOP_WRITE;
		op.value = atomic_fetch_add(&c->l->next_value, 1);
		o = fl_register_write(conn, key, op.value, cfg->timeout_ms, &err);
		if (o == FL_OP_OK) {
			c->known[key] = true;
			c->last[key] = op.value;
		}
	} else {
		op.f = FL_HOP_CAS;
		op.value = c->last[key];
		op.value2 = atomic_fetch_add(&c->l->next_value, 1);
		o = fl_register_cas(conn, key, op.value, op.value2, &swapped, cfg->timeout_ms,
				    &err);
		if (o == FL_OP_OK && swapped)
			c->last[key] = op.value2;
		else if (o == FL_OP_OK)
			c->known[key] = false; /* it moved on: read it again before the next cas */
	}
	op.complete_ns = fl_now_ns();
	op.type = hop_type(o);
	if (op.f == FL_HOP_CAS && o == FL_OP_OK && !swapped)
		op.type = FL_HOP_FAIL;
	record(c, &op);
	return o == FL_OP_OK;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct fl_register_load *l = c->l;
	uint64_t interval = (uint64_t)(1e9 * l->cfg.clients / l->cfg.rate), next = fl_now_ns();
	struct fl_wl_conn *conn = NULL;

	while (!atomic_load(&l->stop)) {
		uint64_t now = fl_now_ns();

		if (now < next) {
			uint64_t ms = (next - now) / 1000000;

			fl_sleep_ms(ms > RETRY_MS ? RETRY_MS : (long)ms + 1);
			continue;
		}
		/* A stall is not made up for in a burst. */
		next = (next + interval > now ? next : now) + interval;
		if (!conn) {
			struct fl_workload *w = l->cfg.target ? l->cfg.target(l->cfg.target_ctx) : NULL;

			if (fl_workload_connect(w ? w : l->w, &conn, NULL, 0)) {
				conn = NULL;
				fl_sleep_ms(RETRY_MS);
				continue;
			}
		}
		if (atomic_fetch_add(&l->ops, 1) >= l->cfg.max_ops)
			break;
		if (!one_op(c, conn)) {
			fl_workload_disconnect(conn);
			conn = NULL;
		}
	}
	if (conn)
		fl_workload_disconnect(conn);
	return NULL;
}

static void join_all(struct fl_register_load *l)
{
	atomic_store(&l->stop, true);
	for (unsigned i = 0; i < l->cfg.clients; i++)
		if (l->clients[i].started)
			pthread_join(l->clients[i].thread, NULL);
}

static void load_free(struct fl_register_load *l)
{
	fl_history_free(l->h);
	pthread_mutex_destroy(&l->lock);
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
	l->w = w;
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
	pthread_mutex_init(&l->lock, NULL);
	l->clients = calloc(l->cfg.clients, sizeof(*l->clients));
	err = l->clients ? fl_history_new(&l->h) : -ENOMEM;
	if (err)
		goto fail;
	if (!cfg->no_reset) {
		err = fl_register_reset(w, errbuf, errlen);
		if (err)
			goto fail;
	}
	for (unsigned i = 0; i < l->cfg.clients; i++) {
		struct client *c = &l->clients[i];

		c->l = l;
		c->idx = i;
		c->process = i;
		c->rng = l->cfg.seed * 0x100000001b3ull + i + 1;
		err = -pthread_create(&c->thread, NULL, client_main, c);
		if (err) {
			fl_wl_err(w, err, errbuf, errlen, "register load: pthread_create: %s",
				  strerror(-err));
			goto fail;
		}
		c->started = true;
	}
	*ret = l;
	return 0;
fail:
	join_all(l);
	load_free(l);
	return err;
}

int fl_register_load_stop(struct fl_register_load *l, struct fl_history **ret)
{
	int err;

	join_all(l);
	err = l->add_err;
	if (!err) {
		*ret = l->h;
		l->h = NULL;
	}
	load_free(l);
	return err;
}
