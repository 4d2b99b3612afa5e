// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The client threads of the operation loads (op_load.h): the register and
 * the bank loads differ only in what one operation is, so the pacing, the
 * connections and the recording live here once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "core/clock.h"
#include "op_load.h"

#define RETRY_MS 100

struct client {
	struct fl_op_load *p;
	pthread_t thread;
	unsigned idx;
	uint64_t rng;
	uint32_t process;
	bool started;
};

struct fl_op_load {
	struct fl_workload *w;
	struct fl_op_load_cfg cfg;
	struct fl_history *h;
	pthread_mutex_t lock;        /* h */
	_Atomic bool stop;
	_Atomic size_t ops;
	int add_err;                 /* first fl_history_add failure, under lock */
	struct client *clients;
};

static void record(struct client *c, struct fl_hop *op)
{
	struct fl_op_load *p = c->p;
	int err;

	op->process = c->process;
	pthread_mutex_lock(&p->lock);
	err = fl_history_add(p->h, op);
	if (err && !p->add_err)
		p->add_err = err;
	pthread_mutex_unlock(&p->lock);
	if (err)
		atomic_store(&p->stop, true);
	/* Jepsen: a process whose op is indeterminate may still be in it: go on as another. */
	if (op->type == FL_HOP_INFO)
		c->process += p->cfg.clients;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct fl_op_load *p = c->p;
	uint64_t interval = (uint64_t)(1e9 * p->cfg.clients / p->cfg.rate), next = fl_now_ns();
	struct fl_wl_conn *conn = NULL;

	while (!atomic_load(&p->stop)) {
		uint64_t now = fl_now_ns();
		struct fl_hop op = { 0 };
		bool keep;

		if (now < next) {
			uint64_t ms = (next - now) / 1000000;

			fl_sleep_ms(ms > RETRY_MS ? RETRY_MS : (long)ms + 1);
			continue;
		}
		/* A stall is not made up for in a burst. */
		next = (next + interval > now ? next : now) + interval;
		if (!conn) {
			struct fl_workload *w = p->cfg.target ? p->cfg.target(p->cfg.target_ctx) : NULL;

			if (fl_workload_connect(w ? w : p->w, &conn, NULL, 0)) {
				conn = NULL;
				fl_sleep_ms(RETRY_MS);
				continue;
			}
		}
		if (atomic_fetch_add(&p->ops, 1) >= p->cfg.max_ops)
			break;
		keep = p->cfg.op(p->cfg.op_ctx, c->idx, &c->rng, conn, &op);
		record(c, &op);
		if (!keep) {
			fl_workload_disconnect(conn);
			conn = NULL;
		}
	}
	if (conn)
		fl_workload_disconnect(conn);
	return NULL;
}

static void join_all(struct fl_op_load *p)
{
	atomic_store(&p->stop, true);
	for (unsigned i = 0; p->clients && i < p->cfg.clients; i++)
		if (p->clients[i].started)
			pthread_join(p->clients[i].thread, NULL);
}

static void pool_free(struct fl_op_load *p)
{
	fl_history_free(p->h);
	pthread_mutex_destroy(&p->lock);
	free(p->clients);
	free(p);
}

int fl_op_load_start(struct fl_workload *w, const struct fl_op_load_cfg *cfg,
		     struct fl_op_load **ret, char *errbuf, size_t errlen)
{
	struct fl_op_load *p;
	int err;

	if (!cfg->clients || !(cfg->rate > 0) || !cfg->op)
		return fl_wl_err(w, -EINVAL, errbuf, errlen, "%s: clients and rate > 0",
				 cfg->name);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->w = w;
	p->cfg = *cfg;
	pthread_mutex_init(&p->lock, NULL);
	p->clients = calloc(p->cfg.clients, sizeof(*p->clients));
	err = p->clients ? fl_history_new(&p->h) : -ENOMEM;
	if (err)
		goto fail;
	for (unsigned i = 0; i < p->cfg.clients; i++) {
		struct client *c = &p->clients[i];

		c->p = p;
		c->idx = i;
		c->process = i;
		c->rng = p->cfg.seed * 0x100000001b3ull + i + 1;
		err = -pthread_create(&c->thread, NULL, client_main, c);
		if (err) {
			fl_wl_err(w, err, errbuf, errlen, "%s: pthread_create: %s", p->cfg.name,
				  strerror(-err));
			goto fail;
		}
		c->started = true;
	}
	*ret = p;
	return 0;
fail:
	join_all(p);
	pool_free(p);
	return err;
}

int fl_op_load_stop(struct fl_op_load *p, struct fl_history **ret)
{
	int err;

	join_all(p);
	err = p->add_err;
	if (!err) {
		*ret = p->h;
		p->h = NULL;
	}
	pool_free(p);
	return err;
}
