// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault rules of faultfs. Every request asks ffs_faults_match() when rules
 * are armed; the control socket adds and clears rules meanwhile.
 *
 * Rules are immutable once added except for their atomic counters, so
 * matching only needs the list to stay put: a rwlock, read-held while a
 * request scans the list, write-held for the rare add and clear. With no
 * rule at all, requests never touch the lock (ffs_faults_armed()).
 *
 * Random decisions (prob=, delay jitter, corruption offsets) are a pure
 * function of the rule's seed and of the request's position among the
 * rule's matching requests. The position is taken atomically, so the same
 * sequence of matching requests gives the same decisions whatever the
 * threads did, and no generator state is shared between requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/clock.h"
#include "faults.h"

/* Separate streams per decision, so prob= and jitter are independent. */
#define STREAM_PROB   0x9e3779b97f4a7c15ull
#define STREAM_DELAY  0xbf58476d1ce4e5b9ull
#define STREAM_HIT    0x94d049bb133111ebull

struct frule {
	int id;
	struct fl_rule rule;
	char *text;
	unsigned op_mask;          /* 1u << enum ffs_op */
	bool glob_has_slash;
	bool seed_given;
	uint64_t seed;
	uint64_t expires_ns;       /* CLOCK_MONOTONIC; 0 = never */
	_Atomic uint64_t matched;  /* also the position of the latest match */
	_Atomic uint64_t injected;
};

struct ffs_faults {
	pthread_rwlock_t lock;
	struct frule **rules;      /* in the order added: the first that fires wins */
	size_t n, cap;
	int next_id;
	_Atomic size_t armed;      /* == n, readable without the lock */
	_Atomic unsigned armed_ops; /* the rules' op_masks together, as armed */
};

static const char *const op_names[FFS_OP__COUNT] = {
	[FFS_OP_READ] = "read", [FFS_OP_WRITE] = "write", [FFS_OP_OPEN] = "open",
	[FFS_OP_CREATE] = "create", [FFS_OP_FSYNC] = "fsync",
	[FFS_OP_FDATASYNC] = "fdatasync", [FFS_OP_FLUSH] = "flush",
	[FFS_OP_RENAME] = "rename", [FFS_OP_UNLINK] = "unlink",
	[FFS_OP_MKDIR] = "mkdir", [FFS_OP_RMDIR] = "rmdir",
	[FFS_OP_TRUNCATE] = "truncate", [FFS_OP_FALLOCATE] = "fallocate",
	[FFS_OP_SETXATTR] = "setxattr", [FFS_OP_READDIR] = "readdir",
};

const char *ffs_op_name(enum ffs_op op)
{
	if ((unsigned)op >= FFS_OP__COUNT)
		return NULL;
	return op_names[op];
}

uint64_t ffs_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The random value of decision stream for the nth match of a rule. */
static uint64_t draw(uint64_t seed, uint64_t nth, uint64_t stream)
{
	uint64_t s = seed ^ stream;

	s ^= ffs_rng_next(&(uint64_t){ nth * 0xd6e8feb86659fd93ull + stream });
	return ffs_rng_next(&s);
}

static int op_mask(const struct fl_rule *rule, unsigned *ret)
{
	unsigned mask = 0, i;
	int op;

	for (i = 0; i < rule->n_ops; i++) {
		if (!strcmp(rule->ops[i], "*")) {
			mask = (1u << FFS_OP__COUNT) - 1;
			continue;
		}
		for (op = 0; op < FFS_OP__COUNT; op++)
			if (!strcmp(rule->ops[i], op_names[op]))
				break;
		if (op == FFS_OP__COUNT)
			return -EINVAL;
		mask |= 1u << op;
	}
	if (!mask)
		return -EINVAL;
	*ret = mask;
	return 0;
}

int ffs_faults_new(struct ffs_faults **ret)
{
	struct ffs_faults *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	if (pthread_rwlock_init(&f->lock, NULL)) {
		free(f);
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}

static void frule_free(struct frule *r)
{
	if (!r)
		return;
	free(r->text);
	free(r);
}

void ffs_faults_free(struct ffs_faults *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		frule_free(f->rules[i]);
	free(f->rules);
	pthread_rwlock_destroy(&f->lock);
	free(f);
}

int ffs_faults_add(struct ffs_faults *f, const struct fl_rule *rule, const char *text)
{
	struct frule *r = NULL;
	char canon[FL_RULE_MAX_LEN];
	int err, id;

	if (!f || !rule)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->rule = *rule;
	err = op_mask(rule, &r->op_mask);
	if (err)
		goto fail;
	if (!text) {
		fl_rule_format(rule, canon, sizeof(canon));
		text = canon;
	}
	r->text = strdup(text);
	if (!r->text) {
		err = -ENOMEM;
		goto fail;
	}
	r->glob_has_slash = strchr(rule->path, '/') != NULL;
	r->seed_given = rule->keys & FL_KEY_SEED;
	r->seed = rule->seed;
	if (!r->seed_given && getrandom(&r->seed, sizeof(r->seed), 0) != sizeof(r->seed))
		r->seed = fl_now_ns() ^ ((uint64_t)getpid() << 32);
	/* A drawn seed fits a JSON integer, so status shows it exactly. */
	if (!r->seed_given)
		r->seed &= INT64_MAX;
	if (rule->for_ns)
		r->expires_ns = fl_now_ns() + rule->for_ns;

	pthread_rwlock_wrlock(&f->lock);
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct frule **rules = realloc(f->rules, cap * sizeof(*rules));

		if (!rules) {
			pthread_rwlock_unlock(&f->lock);
			err = -ENOMEM;
			goto fail;
		}
		f->rules = rules;
		f->cap = cap;
	}
	id = r->id = f->next_id++;
	f->rules[f->n++] = r;
	atomic_fetch_or(&f->armed_ops, r->op_mask);
	atomic_store(&f->armed, f->n);
	pthread_rwlock_unlock(&f->lock);
	return id;
fail:
	frule_free(r);
	return err;
}

int ffs_faults_clear(struct ffs_faults *f, int id)
{
	size_t i, kept = 0;
	unsigned ops = 0;
	int cleared = 0;

	if (!f)
		return -EINVAL;
	pthread_rwlock_wrlock(&f->lock);
	for (i = 0; i < f->n; i++) {
		if (id < 0 || f->rules[i]->id == id) {
			frule_free(f->rules[i]);
			cleared++;
		} else {
			ops |= f->rules[i]->op_mask;
			f->rules[kept++] = f->rules[i];
		}
	}
	f->n = kept;
	atomic_store(&f->armed_ops, ops);
	atomic_store(&f->armed, f->n);
	pthread_rwlock_unlock(&f->lock);
	if (id >= 0 && !cleared)
		return -ENOENT;
	return cleared;
}

bool ffs_faults_armed(const struct ffs_faults *f)
{
	return f && atomic_load_explicit(&((struct ffs_faults *)f)->armed,
					 memory_order_relaxed) != 0;
}

bool ffs_faults_armed_for(const struct ffs_faults *f, enum ffs_op op)
{
	return f && (unsigned)op < FFS_OP__COUNT &&
	       (atomic_load_explicit(&((struct ffs_faults *)f)->armed_ops,
				     memory_order_relaxed) & (1u << op));
}

static bool path_matches(const struct frule *r, const char *path)
{
	const char *base;

	if (!(r->rule.keys & FL_KEY_PATH) || !r->rule.path[0])
		return true;
	if (!path)
		return false;
	if (fnmatch(r->rule.path, path, 0) == 0)
		return true;
	if (r->glob_has_slash)
		return false;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return fnmatch(r->rule.path, base, 0) == 0;
}

/* Take one injection out of count=, or fail if none is left. */
static bool take_injection(struct frule *r)
{
	uint64_t n = atomic_load(&r->injected);

	do {
		if (r->rule.count && n >= r->rule.count)
			return false;
	} while (!atomic_compare_exchange_weak(&r->injected, &n, n + 1));
	return true;
}

static void fill_hit(const struct frule *r, uint64_t nth, struct ffs_fault_hit *hit)
{
	const struct fl_rule *rule = &r->rule;

	memset(hit, 0, sizeof(*hit));
	hit->rule_id = (unsigned)r->id;
	hit->seq = nth;
	hit->action = rule->action;
	hit->rng = draw(r->seed, nth, STREAM_HIT);
	snprintf(hit->rule_text, sizeof(hit->rule_text), "%s", r->text);
	switch (rule->action) {
	case FL_ACTION_ERROR:
		hit->error = rule->arg.error;
		break;
	case FL_ACTION_DELAY: {
		uint64_t ns = rule->arg.delay.ns, j = rule->arg.delay.jitter_ns;

		if (j) {
			/* Uniform in [ns - j, ns + j], clamped at 0. */
			uint64_t span = j > UINT64_MAX / 2 ? UINT64_MAX : 2 * j + 1;
			uint64_t r_ = span == UINT64_MAX ? draw(r->seed, nth, STREAM_DELAY) :
				draw(r->seed, nth, STREAM_DELAY) % span;

			ns = ns + r_ < j ? 0 : ns + r_ - j;
		}
		hit->delay_ns = ns;
		break;
	}
	case FL_ACTION_CORRUPT:
		hit->corrupt = rule->arg.corrupt;
		hit->corrupt_on_read = rule->corrupt_on_read;
		hit->corrupt_bytes = (rule->keys & FL_KEY_BYTES) && rule->bytes ? rule->bytes : 1;
		break;
	case FL_ACTION_TORN:
		hit->torn_sector = rule->arg.torn_sector;
		break;
	case FL_ACTION_POWERCUT:
		hit->powercut = rule->arg.powercut;
		break;
	default:
		break;
	}
}

bool ffs_faults_match(struct ffs_faults *f, enum ffs_op op, const char *path,
		      struct ffs_fault_hit *hit)
{
	bool fired = false;
	uint64_t now = 0;

	if (!ffs_faults_armed(f) || (unsigned)op >= FFS_OP__COUNT)
		return false;
	pthread_rwlock_rdlock(&f->lock);
	for (size_t i = 0; i < f->n && !fired; i++) {
		struct frule *r = f->rules[i];
		uint64_t nth;

		if (!(r->op_mask & (1u << op)))
			continue;
		if (r->expires_ns) {
			if (!now)
				now = fl_now_ns();
			if (now >= r->expires_ns)
				continue;
		}
		if (!path_matches(r, path))
			continue;
		nth = atomic_fetch_add(&r->matched, 1) + 1;
		if (!fl_when_matches(&r->rule.when, nth))
			continue;
		if (r->rule.prob_ppm < 1000000 &&
		    draw(r->seed, nth, STREAM_PROB) % 1000000 >= r->rule.prob_ppm)
			continue;
		if (!take_injection(r))
			continue;
		if (hit)
			fill_hit(r, nth, hit);
		fired = true;
	}
	pthread_rwlock_unlock(&f->lock);
	return fired;
}

size_t ffs_fault_corrupt(const struct ffs_fault_hit *hit, void *buf, size_t len, uint64_t *rng)
{
	unsigned char *p = buf;
	uint64_t local = hit ? hit->rng : 0;
	size_t n, off, i;

	if (!rng)
		rng = &local;
	if (!hit || !buf || !len)
		return 0;
	n = hit->corrupt_bytes ? hit->corrupt_bytes : 1;
	if (n > len)
		n = len;
	off = len == n ? 0 : (size_t)(ffs_rng_next(rng) % (len - n + 1));
	for (i = off; i < off + n; i++) {
		switch (hit->corrupt) {
		case FL_CORRUPT_ZERO:
			p[i] = 0;
			break;
		case FL_CORRUPT_RANDOM:
			/* Never the same value: the damage must be real. */
			p[i] ^= (unsigned char)(ffs_rng_next(rng) % 255 + 1);
			break;
		case FL_CORRUPT_BITFLIP:
		default:
			p[i] ^= (unsigned char)(1u << (ffs_rng_next(rng) % 8));
			break;
		}
	}
	return off;
}

int ffs_faults_status(struct ffs_faults *f, ffs_rule_status_cb cb, void *ctx)
{
	uint64_t now = fl_now_ns();
	int err = 0;

	if (!f || !cb)
		return -EINVAL;
	pthread_rwlock_rdlock(&f->lock);
	for (size_t i = 0; i < f->n && !err; i++) {
		const struct frule *r = f->rules[i];
		struct ffs_rule_status st = {
			.id = r->id,
			.text = r->text,
			.matched = atomic_load(&((struct frule *)r)->matched),
			.injected = atomic_load(&((struct frule *)r)->injected),
			.seed = r->seed,
			.seed_given = r->seed_given,
			.expired = r->expires_ns && now >= r->expires_ns,
		};

		err = cb(ctx, &st);
	}
	pthread_rwlock_unlock(&f->lock);
	return err;
}
