// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bank load (<faultline/bank.h>): client threads doing a seeded random
 * mix of transfers and reads of every balance at a rate, each operation
 * recorded with its invoke and complete times, as the register load
 * (register_load.c) does. A transfer picks two different accounts and an
 * amount 1..max_amount; one refused by the bank (insufficient funds, a
 * lost race) is FAIL and keeps the connection. Pacing: each client keeps
 * to its share of the rate on a fixed schedule, and never catches up in a
 * burst after a stall.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bank_ops.h"
#include "core/clock.h"

#define DEF_CLIENTS    4
#define DEF_ACCOUNTS   8
#define DEF_BALANCE    100
#define DEF_MAX_AMOUNT 5
#define DEF_RATE       200.0
#define DEF_READ_PCT   50
#define DEF_TIMEOUT    1000
#define DEF_MAX_OPS    1000000
#define RETRY_MS       100

struct client {
	struct fl_bank_load *l;
	pthread_t thread;
	uint64_t rng;
	uint32_t process;
	int64_t *balances;           /* a read's, cfg.accounts of them */
	bool started;
};

struct fl_bank_load {
	struct fl_workload *w;
	struct fl_bank_load_cfg cfg;
	struct fl_history *h;
	pthread_mutex_t lock;        /* h */
	_Atomic bool stop;
	_Atomic size_t ops;
	int add_err;                 /* first fl_history_add failure, under lock */
	struct client *clients;
};

/* splitmix64: small, seedable, good enough to pick operations, accounts and amounts. */
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
	struct fl_bank_load *l = c->l;
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

/* A FAIL that the bank answered: the connection is as good as after an OK. */
static bool refused_by_bank(int err)
{
	return err == -EDQUOT || err == -ENOENT || err == -EAGAIN;
}

/* One operation on conn; false when the connection must be dropped. */
static bool one_op(struct client *c, struct fl_wl_conn *conn)
{
	const struct fl_bank_load_cfg *cfg = &c->l->cfg;
	uint64_t r = next_rand(&c->rng), r2 = next_rand(&c->rng);
	struct fl_hop op = { 0 };
	enum fl_op_outcome o;
	size_t found = 0;
	int err = 0;

	op.invoke_ns = fl_now_ns();
	if ((unsigned)(r % 100) < cfg->read_pct) {
		op.f = FL_HOP_BANK_READ;
		o = fl_bank_read(conn, c->balances, cfg->accounts, &found, cfg->timeout_ms, &err);
		if (o == FL_OP_OK) {
			/* A missing account reads 0: the total shows it. */
			op.balances = c->balances;
			op.n_balances = cfg->accounts;
		}
	} else {
		op.f = FL_HOP_TRANSFER;
		op.key = (r >> 8) % cfg->accounts;
		op.key2 = (op.key + 1 + (r >> 40) % (cfg->accounts - 1)) % cfg->accounts;
		op.value = 1 + (int64_t)(r2 % (uint64_t)cfg->max_amount);
		o = fl_bank_transfer(conn, op.key, op.key2, op.value, cfg->timeout_ms, &err);
	}
	op.complete_ns = fl_now_ns();
	op.type = hop_type(o);
	record(c, &op);
	return o == FL_OP_OK || (o == FL_OP_FAIL && refused_by_bank(err));
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct fl_bank_load *l = c->l;
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

static void join_all(struct fl_bank_load *l)
{
	atomic_store(&l->stop, true);
	for (unsigned i = 0; l->clients && i < l->cfg.clients; i++)
		if (l->clients[i].started)
			pthread_join(l->clients[i].thread, NULL);
}

static void load_free(struct fl_bank_load *l)
{
	fl_history_free(l->h);
	pthread_mutex_destroy(&l->lock);
	for (unsigned i = 0; l->clients && i < l->cfg.clients; i++)
		free(l->clients[i].balances);
	free(l->clients);
	free(l);
}

int fl_bank_load_start(struct fl_workload *w, const struct fl_bank_load_cfg *cfg,
		       struct fl_bank_load **ret, char *errbuf, size_t errlen)
{
	struct fl_bank_load *l;
	int64_t total;
	int err;

	if (!fl_bank_supported(w))
		return fl_wl_err(w, -EOPNOTSUPP, errbuf, errlen, "no bank for this workload");
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->w = w;
	l->cfg = *cfg;
	if (!l->cfg.clients)
		l->cfg.clients = DEF_CLIENTS;
	if (!l->cfg.accounts)
		l->cfg.accounts = DEF_ACCOUNTS;
	if (!l->cfg.balance)
		l->cfg.balance = DEF_BALANCE;
	if (!l->cfg.max_amount)
		l->cfg.max_amount = DEF_MAX_AMOUNT;
	if (l->cfg.rate <= 0)
		l->cfg.rate = DEF_RATE;
	if (!l->cfg.read_pct)
		l->cfg.read_pct = DEF_READ_PCT;
	if (l->cfg.timeout_ms <= 0)
		l->cfg.timeout_ms = DEF_TIMEOUT;
	if (!l->cfg.max_ops)
		l->cfg.max_ops = DEF_MAX_OPS;
	pthread_mutex_init(&l->lock, NULL);
	if (l->cfg.accounts < 2 || l->cfg.accounts > FL_BANK_MAX_ACCOUNTS || l->cfg.balance < 0 ||
	    l->cfg.max_amount < 0 || l->cfg.read_pct > 100 || cfg->rate < 0 ||
	    __builtin_mul_overflow((int64_t)l->cfg.accounts, l->cfg.balance, &total)) {
		err = fl_wl_err(w, -EINVAL, errbuf, errlen,
				"bank load: 2 to %d accounts, balance and amounts >= 0, read%% <= 100, "
				"rate >= 0, a total within int64", FL_BANK_MAX_ACCOUNTS);
		goto fail;
	}
	l->clients = calloc(l->cfg.clients, sizeof(*l->clients));
	err = l->clients ? fl_history_new(&l->h) : -ENOMEM;
	for (unsigned i = 0; !err && i < l->cfg.clients; i++) {
		l->clients[i].balances = calloc(l->cfg.accounts, sizeof(int64_t));
		if (!l->clients[i].balances)
			err = -ENOMEM;
	}
	if (err)
		goto fail;
	if (!cfg->no_reset) {
		err = fl_bank_reset(w, l->cfg.accounts, l->cfg.balance, errbuf, errlen);
		if (err)
			goto fail;
	}
	for (unsigned i = 0; i < l->cfg.clients; i++) {
		struct client *c = &l->clients[i];

		c->l = l;
		c->process = i;
		c->rng = l->cfg.seed * 0x100000001b3ull + i + 1;
		err = -pthread_create(&c->thread, NULL, client_main, c);
		if (err) {
			fl_wl_err(w, err, errbuf, errlen, "bank load: pthread_create: %s",
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

int fl_bank_load_stop(struct fl_bank_load *l, struct fl_history **ret,
		      struct fl_bank_model *ret_model)
{
	int err;

	join_all(l);
	err = l->add_err;
	if (!err) {
		*ret = l->h;
		l->h = NULL;
		*ret_model = (struct fl_bank_model){
			.enabled = true,
			.total = (int64_t)l->cfg.accounts * l->cfg.balance,
			.accounts = l->cfg.accounts,
			.negative_allowed = false,
		};
	}
	load_free(l);
	return err;
}
