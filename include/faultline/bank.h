/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A bank: N accounts (0..N-1) holding int64 balances, money moved between
 * two of them by atomic transfers and every balance read at once, through
 * a workload's connection (fl_workload_connect), for the bank checker
 * (<faultline/history.h>): transfers never create nor destroy money, so
 * every read must sum to the initial total. Optional per adapter:
 *
 *   etcd://      keys faultline/bank/<20-digit account>, balances in
 *                decimal; a transfer reads both accounts, then a txn
 *                comparing both mod revisions puts both (retried while
 *                another transfer won the race); a read is one range over
 *                the prefix (one revision)
 *   redis://     keys faultline:bank:<account>; a transfer is a Lua script
 *                through EVAL (atomic in Redis: check, DECRBY, INCRBY); a
 *                read is one MGET
 *   postgres://  table fl_bank(account bigint primary key, balance bigint
 *                CHECK (balance >= 0)); a transfer is one UPDATE of both
 *                rows (one transaction; the constraint refuses an overdraft);
 *                a read is one SELECT (one snapshot)
 *
 * The accounts live apart from the workload's records and registers
 * (another key prefix, another table). Every operation is bounded by its
 * timeout and ends as a write does (fl_workload_write): OK, FAIL (did not
 * happen) or UNKNOWN (may have), with the errno in *ret_err (may be
 * NULL). A transfer refused by the bank itself is FAIL with -EDQUOT (the
 * from account holds less than the amount), -ENOENT (an account does not
 * exist) or -EAGAIN (etcd: other transfers kept winning the race until the
 * timeout); after those the connection stays usable. After any other
 * outcome but OK the connection is to be dropped.
 *
 * The bank load: N client threads doing a seeded random mix of transfers
 * (two different random accounts, a random amount 1..max) and reads of
 * every balance at a rate, every operation recorded into a struct
 * fl_history with CLOCK_MONOTONIC invoke and complete times (UNKNOWN ->
 * FL_HOP_INFO; a client whose op ended INFO goes on as a new process, as
 * in Jepsen), and the struct fl_bank_model to check it against.
 */
#ifndef FAULTLINE_BANK_H
#define FAULTLINE_BANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/history.h>
#include <faultline/workload.h>

/* At most this many accounts (a read is one MGET, one range, one SELECT). */
#define FL_BANK_MAX_ACCOUNTS 4096

bool fl_bank_supported(const struct fl_workload *w);
/*
 * Every account gone, then accounts 0..accounts-1 created holding balance
 * each (durably). 2 <= accounts <= FL_BANK_MAX_ACCOUNTS, balance >= 0,
 * accounts * balance within int64. -EOPNOTSUPP for an adapter without a bank.
 */
int fl_bank_reset(struct fl_workload *w, size_t accounts, int64_t balance, char *errbuf,
		  size_t errlen);

/* Move amount (> 0) from one account to another (from != to), atomically. */
enum fl_op_outcome fl_bank_transfer(struct fl_wl_conn *c, uint64_t from, uint64_t to,
				    int64_t amount, int timeout_ms, int *ret_err);
/*
 * Read the balances of accounts 0..n-1 at one instant. OK: balances[i]
 * for each, 0 for an account that does not exist; *ret_found (may be
 * NULL) the number that do. Accounts past n are not read.
 */
enum fl_op_outcome fl_bank_read(struct fl_wl_conn *c, int64_t *balances, size_t n,
				size_t *ret_found, int timeout_ms, int *ret_err);

/*
 * Which workload a client connects to, asked at each (re)connection (a
 * cluster's leader after a failover); NULL: the one given to start. It
 * runs on the client threads, concurrently.
 */
typedef struct fl_workload *(*fl_bank_target_fn)(void *ctx);

struct fl_bank_load_cfg {
	unsigned clients;            /* threads; 0: 4 */
	unsigned accounts;           /* accounts 0..accounts-1; 0: 8; else >= 2 */
	int64_t balance;             /* each account's at the reset; 0: 100 */
	int64_t max_amount;          /* transfers move 1..max_amount; 0: 5 */
	double rate;                 /* operations/s over all clients; 0: 200 */
	uint64_t seed;               /* the mix of operations, accounts and amounts */
	unsigned read_pct;           /* the rest are transfers; 0: 50 */
	int timeout_ms;              /* each operation; 0: 1000 */
	size_t max_ops;              /* a bound on the history; 0: 1000000 */
	/* Keep the bank as it is: the caller has reset it to accounts x balance. */
	bool no_reset;
	fl_bank_target_fn target;
	void *target_ctx;
};

struct fl_bank_load;

/*
 * Reset the bank (unless no_reset) and start the clients. They run until
 * stop or max_ops; a client that cannot connect retries every 100 ms and
 * records nothing meanwhile.
 */
int fl_bank_load_start(struct fl_workload *w, const struct fl_bank_load_cfg *cfg,
		       struct fl_bank_load **ret, char *errbuf, size_t errlen);
/*
 * Stop the clients (each finishes its operation, within its timeout) and
 * hand over the history and the model to check it with (enabled, the
 * total accounts x balance, the accounts, negative balances not allowed):
 * fl_history_check(h, &model, &chk).
 */
int fl_bank_load_stop(struct fl_bank_load *l, struct fl_history **ret,
		      struct fl_bank_model *ret_model);

#endif /* FAULTLINE_BANK_H */
