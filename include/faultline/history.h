/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Histories of reads and writes, and two exact checkers over them (issue
 * 14, "Stale reads"): a register per key (write, read, compare-and-set)
 * and a bank (transfers whose total must stay constant). An operation has
 * an invoke and a complete time (monotonic ns) and ends ok, fail or info
 * (indeterminate: it may or may not have taken effect), as Jepsen models
 * them. The history exports as Jepsen's EDN history so that Knossos or
 * Elle can judge it again, and reads that form back.
 *
 * Register check, per key (keys are independent). Values are unique per
 * key (the workload never writes one value twice), so every value read
 * names the one write that wrote it, and the check is exact: every
 * anomaly it reports is a real violation of linearizability.
 *   - stale read: a read R returns v although an acknowledged write W
 *     (an ok write, or an ok cas, to the same key) completed before R was
 *     invoked, and v's write completed before W was invoked: v was
 *     superseded by W in real time. An info write's value is never stale
 *     (it may take effect at any time after its invoke). A read of "no
 *     value" (nil) is stale once any acknowledged write completed before
 *     the read's invoke. An ok cas is also a read of its from-value.
 *   - never written: a read returns a value no write or cas to that key
 *     ever tried to write.
 *   - failed write read: a read returns the value of a write (or cas) that
 *     failed, i.e. definitely did not take effect.
 *   - future read: a read returns a value whose write was invoked after
 *     the read completed.
 * Algorithm: ops sorted by (key, time); per key the acknowledged writes
 * sorted by completion with a running maximum of their invoke times; a
 * read R of v is stale iff that maximum over the writes completed before
 * R's invoke exceeds v's completion (one binary search). O(n log n) time,
 * O(n) memory. What it does NOT check, unlike Knossos: full
 * linearizability (e.g. two reads of one client that see two concurrent
 * writes in opposite orders, a cas that succeeded from a value that was
 * already superseded only through a chain of concurrent ops, the
 * constraint that an info write took effect at most once), nor anything
 * across keys.
 *
 * Bank check: every ok read of all balances must sum to the initial
 * total, and (when the workload forbids it) hold no negative balance.
 * Reads that show a failed transfer's effect are not flagged: with
 * amounts that repeat, that is not decidable exactly.
 *
 * Library code: returns 0 or a negative errno, prints nothing.
 */
#ifndef FAULTLINE_HISTORY_H
#define FAULTLINE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

enum fl_hop_f {
	FL_HOP_WRITE     = 0, /* key := value */
	FL_HOP_READ      = 1, /* key -> value, or nil (no value yet) */
	FL_HOP_CAS       = 2, /* key: value -> value2 */
	FL_HOP_TRANSFER  = 3, /* account key -> account key2, amount value */
	FL_HOP_BANK_READ = 4, /* every balance */
};

enum fl_hop_type {
	FL_HOP_OK   = 0, /* acknowledged (a cas: it swapped) */
	FL_HOP_FAIL = 1, /* definitely did not take effect (a cas: from did not match) */
	FL_HOP_INFO = 2, /* indeterminate: timed out, connection lost */
};

/* complete_ns of an info op: when the client gave up (it is not an upper bound). */
struct fl_hop {
	enum fl_hop_f f;
	enum fl_hop_type type;
	uint32_t process;
	uint64_t invoke_ns, complete_ns;
	uint64_t key, key2;
	int64_t value, value2;
	bool nil;                /* a read that found no value */
	const int64_t *balances; /* a bank read: n_balances, account i at [i] */
	size_t n_balances;
};

/* A growable history; fl_history_add copies an op (and its balances). */
struct fl_history;
int fl_history_new(struct fl_history **ret);
void fl_history_free(struct fl_history *h);
int fl_history_add(struct fl_history *h, const struct fl_hop *op);
size_t fl_history_len(const struct fl_history *h);
const struct fl_hop *fl_history_op(const struct fl_history *h, size_t i);

enum fl_anomaly_kind {
	FL_ANOM_STALE_READ = 0,
	FL_ANOM_NEVER_WRITTEN,
	FL_ANOM_FAILED_WRITE_READ,
	FL_ANOM_FUTURE_READ,
	FL_ANOM_BANK_TOTAL,
	FL_ANOM_BANK_NEGATIVE,
	FL_ANOM__COUNT,
};
const char *fl_anomaly_kind_name(enum fl_anomaly_kind k);

#define FL_HIST_NONE SIZE_MAX

/* One anomaly; op indexes are indexes into the history. */
struct fl_anomaly {
	enum fl_anomaly_kind kind;
	uint64_t key;       /* register key; bank: the account (negative) or 0 */
	size_t op;          /* the read (or ok cas) */
	size_t writer;      /* the op that wrote the value read, or FL_HIST_NONE */
	size_t by;          /* stale: the acknowledged write that superseded it */
	int64_t value;      /* the value read; bank: the total, or the balance */
	bool nil;           /* the read found no value */
	int64_t by_value;   /* stale: the superseding write's value */
	int64_t expected;   /* bank total: the initial total */
	int64_t diff;       /* bank total: value - expected */
	uint64_t read_invoke_ns, read_complete_ns;
	uint64_t writer_complete_ns; /* stale: when the value read was acknowledged */
	uint64_t by_invoke_ns, by_complete_ns;
};

struct fl_bank_model {
	bool enabled;
	int64_t total;           /* the initial sum of all balances */
	size_t accounts;         /* 0: do not check the count */
	bool negative_allowed;
};

struct fl_hist_check {
	struct fl_anomaly *anomalies; /* all of them, in history order per checker */
	size_t n_anomalies;
	size_t counts[FL_ANOM__COUNT];
	size_t keys, reads_checked, writes_ok, writes_info, bank_reads_checked;
	bool valid; /* no anomaly */
};

/* Both checks (the bank one when bank->enabled); ret is filled only on success. */
int fl_history_check(const struct fl_history *h, const struct fl_bank_model *bank,
		     struct fl_hist_check *ret);
void fl_hist_check_free(struct fl_hist_check *c);

/*
 * The check as JSON, for a faultline-rpo/1 trial's new "reads" key (new
 * fields only): {"valid", "keys", "reads_checked", "writes_ok",
 * "writes_info", "bank_reads_checked", "counts": {kind: n},
 * "anomalies": [{"kind", "key", "op", "writer", "by", "value", "nil",
 * "by_value", "expected", "diff", "times_ns": {...}}]} (at most
 * max_anomalies of them; 0: all).
 */
int fl_hist_check_json(const struct fl_hist_check *c, size_t max_anomalies, json_t **ret);

/*
 * Jepsen's EDN history: one map per line, an invoke and then its
 * completion per op, all lines ordered by time:
 *   {:type :invoke, :f :write, :value [3 17], :process 2, :time 1000}
 *   {:type :ok, :f :write, :value [3 17], :process 2, :time 2000}
 * register ops as Jepsen's independent keys: :value [k v], a read's
 * invoke [k nil], a cas [k [from to]]; bank ops as Jepsen's bank test:
 * :f :transfer, :value {:from a, :to b, :amount n}; :f :read, :value
 * {0 10, 1 20}. An info op's completion line is :type :info at the time
 * the client gave up. Keys, accounts and times are below 2^63 (EDN
 * integers are signed 64-bit).
 */
/*
 * Each process's ops must be sequential, as in Jepsen (invoke <= complete
 * <= its next invoke): else -EINVAL. At one instant a process's completion
 * precedes its next invoke, and across processes invokes go first.
 */
int fl_history_write_edn(const struct fl_history *h, FILE *f);
/* The same lines as a JSON array of strings, to embed the history in a result. */
int fl_history_edn_json(const struct fl_history *h, json_t **ret);
/*
 * Read those lines back (pairs invoke and completion by process; :time
 * never goes back; extra keys are skipped). errbuf: the line and why.
 */
int fl_history_read_edn(FILE *f, struct fl_history **ret, char *errbuf, size_t errlen);

#endif
