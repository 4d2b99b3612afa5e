// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bank load (<faultline/bank.h>): client threads doing a seeded random
 * mix of transfers and reads of every balance at a rate, each operation
 * recorded with its invoke and complete times, as the register load
 * (register_load.c) does. A transfer picks two different accounts and an
 * amount 1..max_amount; one refused by the bank (insufficient funds, a
 * lost race) is FAIL and keeps the connection. The threads, their pacing
 * and the recording are op_load.c's, shared with the register load.
 */
#include <errno.h>
#include <stdlib.h>

#include "bank_ops.h"
#include "core/clock.h"
#include "op_load.h"

#define DEF_CLIENTS    4
#define DEF_ACCOUNTS   8
#define DEF_BALANCE    100
#define DEF_MAX_AMOUNT 5
#define DEF_RATE       200.0
#define DEF_READ_PCT   50
#define DEF_TIMEOUT    1000
#define DEF_MAX_OPS    1000000

struct fl_bank_load {
	struct fl_bank_load_cfg cfg;
	int64_t **balances;          /* per client, a read's: cfg.accounts of them */
	struct fl_op_load *pool;
};

/* A FAIL that the bank answered: the connection is as good as after an OK. */
static bool refused_by_bank(int err)
{
	return err == -EDQUOT || err == -ENOENT || err == -EAGAIN;
}

/* One operation (fl_op_load_fn); false when the connection must be dropped. */
static bool one_op(void *ctx, unsigned idx, uint64_t *rng, struct fl_wl_conn *conn,
		   struct fl_hop *op)
{
	struct fl_bank_load *l = ctx;
	const struct fl_bank_load_cfg *cfg = &l->cfg;
	uint64_t r = fl_op_load_rand(rng), r2 = fl_op_load_rand(rng);
	enum fl_op_outcome o;
	size_t found = 0;
	int err = 0;

	op->invoke_ns = fl_now_ns();
	if ((unsigned)(r % 100) < cfg->read_pct) {
		op->f = FL_HOP_BANK_READ;
		o = fl_bank_read(conn, l->balances[idx], cfg->accounts, &found, cfg->timeout_ms,
				 &err);
		if (o == FL_OP_OK) {
			/* A missing account reads 0: the total shows it. */
			op->balances = l->balances[idx];
			op->n_balances = cfg->accounts;
		}
	} else {
		op->f = FL_HOP_TRANSFER;
		op->key = (r >> 8) % cfg->accounts;
		op->key2 = (op->key + 1 + (r >> 40) % (cfg->accounts - 1)) % cfg->accounts;
		op->value = 1 + (int64_t)(r2 % (uint64_t)cfg->max_amount);
		o = fl_bank_transfer(conn, op->key, op->key2, op->value, cfg->timeout_ms, &err);
	}
	op->complete_ns = fl_now_ns();
	op->type = fl_op_load_hop_type(o);
	return o == FL_OP_OK || (o == FL_OP_FAIL && refused_by_bank(err));
}

static void load_free(struct fl_bank_load *l)
{
	for (unsigned i = 0; l->balances && i < l->cfg.clients; i++)
		free(l->balances[i]);
	free(l->balances);
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
	if (l->cfg.accounts < 2 || l->cfg.accounts > FL_BANK_MAX_ACCOUNTS || l->cfg.balance < 0 ||
	    l->cfg.max_amount < 0 || l->cfg.read_pct > 100 || cfg->rate < 0 ||
	    __builtin_mul_overflow((int64_t)l->cfg.accounts, l->cfg.balance, &total)) {
		err = fl_wl_err(w, -EINVAL, errbuf, errlen,
				"bank load: 2 to %d accounts, balance and amounts >= 0, read%% <= 100, "
				"rate >= 0, a total within int64", FL_BANK_MAX_ACCOUNTS);
		goto fail;
	}
	l->balances = calloc(l->cfg.clients, sizeof(*l->balances));
	err = l->balances ? 0 : -ENOMEM;
	for (unsigned i = 0; !err && i < l->cfg.clients; i++) {
		l->balances[i] = calloc(l->cfg.accounts, sizeof(int64_t));
		if (!l->balances[i])
			err = -ENOMEM;
	}
	if (err)
		goto fail;
	if (!cfg->no_reset) {
		err = fl_bank_reset(w, l->cfg.accounts, l->cfg.balance, errbuf, errlen);
		if (err)
			goto fail;
	}
	err = fl_op_load_start(w,
			       &(struct fl_op_load_cfg){
				       .name = "bank load",
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

int fl_bank_load_stop(struct fl_bank_load *l, struct fl_history **ret,
		      struct fl_bank_model *ret_model)
{
	int err = fl_op_load_stop(l->pool, ret);

	if (!err)
		*ret_model = (struct fl_bank_model){
			.enabled = true,
			.total = (int64_t)l->cfg.accounts * l->cfg.balance,
			.accounts = l->cfg.accounts,
			.negative_allowed = false,
		};
	load_free(l);
	return err;
}
