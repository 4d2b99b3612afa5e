// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The load of `faultline rpo`: N client threads write records with unique
 * ids at a set total rate, and keep an exact history of every attempt.
 * Through an outage a client keeps reconnecting (without recording an
 * operation per refused connection), so the first acknowledgement after
 * a restart is seen as soon as it can happen. With several targets (a
 * cluster's nodes) a client follows the picker's answer (the leader) and
 * records where each write went.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpo_priv.h"

#define RECONNECT_PAUSE_NS (10ull * 1000 * 1000)

struct client {
	struct fl_rpo_driver *d;
	pthread_t thread;
	unsigned idx;
	struct fl_op *ops;
	size_t n, cap;
	bool started;
};

struct fl_rpo_driver {
	struct fl_rpo_targets t;   /* t.w points at targets */
	struct fl_workload **targets;
	struct client *clients;
	unsigned n_clients;
	double rate;               /* writes/s over all clients; 0 = unpaced */
	size_t payload_len;
	uint64_t seed;
	int op_timeout_ms;
	atomic_uint_fast64_t next_id;
	atomic_uint_fast64_t acked;
	atomic_bool stop;
};

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull),
			       .tv_nsec = (long)(t % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int record(struct client *c, const struct fl_op *op)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 4096;
		struct fl_op *ops = realloc(c->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		c->ops = ops;
		c->cap = cap;
	}
	c->ops[c->n++] = *op;
	return 0;
}

static int pick(const struct fl_rpo_driver *d, unsigned client)
{
	int i = d->t.pick ? d->t.pick(d->t.ctx, client) : 0;

	return i >= 0 && (size_t)i < d->t.n ? i : -1;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct fl_rpo_driver *d = c->d;
	/* Each client's share of the rate; staggered so they do not fire together. */
	uint64_t period = d->rate > 0 ? (uint64_t)(1e9 * d->n_clients / d->rate) : 0;
	uint64_t next = fl_now_ns() + (period ? period * c->idx / d->n_clients : 0);
	struct fl_wl_conn *conn = NULL;
	int conn_target = -1;
	unsigned char *payload = malloc(d->payload_len);

	if (!payload)
		return NULL;
	while (!atomic_load(&d->stop)) {
		struct fl_op op = { .client = c->idx, .len = (uint32_t)d->payload_len };
		int target = pick(d, c->idx);

		if (conn && target != conn_target) {
			/* The leader moved: write where it is now. */
			fl_workload_disconnect(conn);
			conn = NULL;
		}
		if (!conn && (target < 0 || fl_workload_connect(d->t.w[target], &conn, NULL, 0))) {
			conn = NULL;
			sleep_until(fl_now_ns() + RECONNECT_PAUSE_NS);
			continue;
		}
		conn_target = target;
		op.target = (uint32_t)target;
		if (period) {
			/* Fall behind rather than burst after an outage. */
			uint64_t now = fl_now_ns();

			if (next > now)
				sleep_until(next);
			else if (now - next > period)
				next = now;
			next += period;
		}
		op.id = atomic_fetch_add(&d->next_id, 1);
		fl_payload_make(op.id, d->seed, payload, d->payload_len);
		op.invoke_ns = fl_now_ns();
		op.outcome = fl_workload_write(conn, op.id, payload, d->payload_len,
					       d->op_timeout_ms, &op.err);
		op.complete_ns = fl_now_ns();
		if (record(c, &op))
			break;
		if (op.outcome == FL_OP_OK) {
			atomic_fetch_add(&d->acked, 1);
		} else {
			/* The connection may be dead; a fresh one tells. */
			fl_workload_disconnect(conn);
			conn = NULL;
		}
	}
	if (conn)
		fl_workload_disconnect(conn);
	free(payload);
	return NULL;
}

int fl_rpo_driver_start_targets(const struct fl_rpo_targets *t, const struct fl_rpo_load *load,
				struct fl_rpo_driver **ret)
{
	struct fl_rpo_driver *d;
	int err = 0;

	if (!t->n || !load->clients || load->payload_len < FL_PAYLOAD_MIN || load->payload_len > FL_PAYLOAD_MAX)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->clients = calloc(load->clients, sizeof(*d->clients));
	if (!d->clients) {
		free(d);
		return -ENOMEM;
	}
	d->targets = calloc(t->n, sizeof(*d->targets));
	if (!d->targets) {
		free(d->clients);
		free(d);
		return -ENOMEM;
	}
	memcpy(d->targets, t->w, t->n * sizeof(*d->targets));
	d->t = *t;
	d->t.w = d->targets;
	d->n_clients = load->clients;
	d->rate = load->rate;
	d->payload_len = load->payload_len;
	d->seed = load->seed;
	d->op_timeout_ms = load->op_timeout_ms;
	atomic_init(&d->next_id, 1);
	for (unsigned i = 0; i < d->n_clients; i++) {
		struct client *c = &d->clients[i];

		c->d = d;
		c->idx = i;
		err = -pthread_create(&c->thread, NULL, client_main, c);
		if (err)
			break;
		c->started = true;
	}
	if (err) {
		fl_rpo_driver_stop(d, NULL, NULL);
		return err;
	}
	*ret = d;
	return 0;
}

int fl_rpo_driver_start(struct fl_workload *w, const struct fl_rpo_load *load,
			struct fl_rpo_driver **ret)
{
	const struct fl_rpo_targets one = { .w = &w, .n = 1 };

	return fl_rpo_driver_start_targets(&one, load, ret);
}

uint64_t fl_rpo_driver_acked(const struct fl_rpo_driver *d)
{
	return atomic_load(&((struct fl_rpo_driver *)d)->acked);
}

int fl_rpo_driver_stop(struct fl_rpo_driver *d, struct fl_op **ret_ops, size_t *ret_n)
{
	struct fl_op *all = NULL;
	size_t n = 0, k = 0;
	int err = 0;

	atomic_store(&d->stop, true);
	for (unsigned i = 0; i < d->n_clients; i++) {
		if (d->clients[i].started)
			pthread_join(d->clients[i].thread, NULL);
		n += d->clients[i].n;
	}
	if (ret_ops) {
		all = malloc((n ? n : 1) * sizeof(*all));
		if (!all)
			err = -ENOMEM;
	}
	for (unsigned i = 0; i < d->n_clients; i++) {
		if (all && d->clients[i].n) {
			memcpy(all + k, d->clients[i].ops, d->clients[i].n * sizeof(*all));
			k += d->clients[i].n;
		}
		free(d->clients[i].ops);
	}
	free(d->clients);
	free(d->targets);
	free(d);
	if (ret_ops && !err) {
		*ret_ops = all;
		*ret_n = n;
	}
	return err;
}
