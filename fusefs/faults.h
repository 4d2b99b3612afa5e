/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault rules of faultfs: the common rule grammar (FL_DOMAIN_FS) applied to
 * filesystem operations. The passthrough asks before each operation; the
 * control socket adds and clears rules while the mount runs.
 */
#ifndef FAULTFS_FAULTS_H
#define FAULTFS_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include <faultline/rule.h>

/* Operations rules can name; the strings are the rule grammar's op names. */
enum ffs_op {
	FFS_OP_READ, FFS_OP_WRITE, FFS_OP_OPEN, FFS_OP_CREATE, FFS_OP_FSYNC,
	FFS_OP_FDATASYNC, FFS_OP_FLUSH, FFS_OP_RENAME, FFS_OP_UNLINK, FFS_OP_MKDIR,
	FFS_OP_RMDIR, FFS_OP_TRUNCATE, FFS_OP_FALLOCATE, FFS_OP_SETXATTR,
	FFS_OP_READDIR,
	FFS_OP__COUNT,
};

const char *ffs_op_name(enum ffs_op op);

/* What the passthrough must do for this request. */
struct ffs_fault_hit {
	unsigned rule_id;
	uint64_t seq;                 /* nth matching op of this rule */
	enum fl_action action;        /* ERROR, DELAY, CORRUPT, TORN, DROP, POWERCUT, FSYNCGATE */
	int error;                    /* ERROR: positive errno */
	uint64_t delay_ns;            /* DELAY: jitter already applied */
	enum fl_corrupt_mode corrupt; /* CORRUPT */
	bool corrupt_on_read;         /* CORRUPT: the data returned by a read, else the persisted data */
	uint32_t corrupt_bytes;       /* CORRUPT: bytes to damage (default 1) */
	uint32_t torn_sector;         /* TORN */
	enum fl_powercut_at powercut; /* POWERCUT */
	uint64_t rng;                 /* seeded from the rule's seed and seq: pass &hit.rng
				       * to ffs_fault_corrupt (or any other random choice)
				       * so a run with the same seed repeats exactly */
	char rule_text[256];          /* for the write log; truncated if longer */
};

struct ffs_faults;

int ffs_faults_new(struct ffs_faults **ret);
void ffs_faults_free(struct ffs_faults *f);

/*
 * Add a rule (already parsed and domain-checked); returns its id >= 0. Ids
 * are never reused. text may be NULL (the canonical form is then used).
 * Without seed=, the rule gets a random seed, shown by ffs_faults_status so
 * the run can be repeated with it.
 */
int ffs_faults_add(struct ffs_faults *f, const struct fl_rule *rule, const char *text);
/* Remove one rule, or all with id < 0. Returns how many were removed; -ENOENT for an unknown id. */
int ffs_faults_clear(struct ffs_faults *f, int id);

/* Cheap check, lock-free: are there rules at all (so a path must be computed)? */
bool ffs_faults_armed(const struct ffs_faults *f);
/* Lock-free too: is a rule armed (fired out or not) that names op? */
bool ffs_faults_armed_for(const struct ffs_faults *f, enum ffs_op op);

/*
 * Decide for one operation on path (relative to the mount root, with a
 * leading '/'). Counts the match; returns true and fills hit when a rule
 * fires. Rules are tried in order, the first that fires wins.
 */
bool ffs_faults_match(struct ffs_faults *f, enum ffs_op op, const char *path,
		      struct ffs_fault_hit *hit);

/*
 * Damage buf in place as hit says: hit->corrupt_bytes consecutive bytes (all
 * of buf if shorter) at an offset drawn from *rng. bitflip flips one random
 * bit of each byte, zero clears them, random replaces each with a different
 * random value. Returns the offset (within buf) of the first damaged byte.
 */
size_t ffs_fault_corrupt(const struct ffs_fault_hit *hit, void *buf, size_t len, uint64_t *rng);

/*
 * The small seeded generator faultfs uses for every random choice
 * (splitmix64): the same state gives the same sequence on every machine.
 */
uint64_t ffs_rng_next(uint64_t *state);

/* Per rule, for status. text is valid during the callback only. */
struct ffs_rule_status {
	int id;
	const char *text;
	uint64_t matched, injected;
	uint64_t seed;      /* given with seed=, or drawn at random when added */
	bool seed_given;
	bool expired;       /* for= has run out: the rule matches nothing any more */
};
typedef int (*ffs_rule_status_cb)(void *ctx, const struct ffs_rule_status *st);
int ffs_faults_status(struct ffs_faults *f, ffs_rule_status_cb cb, void *ctx);

#endif /* FAULTFS_FAULTS_H */
