// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Point-in-time restore exactness over a write history: the definitions
 * (what must be present, what must be absent, what may go either way)
 * are the header's; change them together.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/backup.h>

struct seen {
	uint64_t id;
	bool intact;
};

static int seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The first of the records read back with this id (any intact one wins), or NULL. */
static const struct seen *find(const struct seen *s, size_t n, uint64_t id, bool *intact)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == n || s[lo].id != id)
		return NULL;
	*intact = false;
	for (size_t i = lo; i < n && s[i].id == id; i++)
		*intact |= s[i].intact;
	return &s[lo];
}

int fl_backup_pitr_check(const struct fl_op *ops, size_t n_ops,
			 const struct fl_readback *back, size_t n_back,
			 uint64_t target_ns, uint64_t slack_ns,
			 struct fl_backup_pitr *ret)
{
	struct fl_backup_pitr p = { .target_ns = target_ns, .slack_ns = slack_ns };
	struct seen *seen = NULL;
	uint64_t *written = NULL, oldest_missing_ack = UINT64_MAX;
	/* saturating, so a target near either end of the clock stays meaningful */
	bool have_lo = target_ns >= slack_ns;
	uint64_t lo = have_lo ? target_ns - slack_ns : 0;
	uint64_t hi = target_ns > UINT64_MAX - slack_ns ? UINT64_MAX : target_ns + slack_ns;
	int r = -ENOMEM;

	seen = malloc((n_back ? n_back : 1) * sizeof(*seen));
	written = malloc((n_ops ? n_ops : 1) * sizeof(*written));
	p.missing_ids = malloc((n_ops ? n_ops : 1) * sizeof(uint64_t));
	p.future_ids = malloc((n_ops ? n_ops : 1) * sizeof(uint64_t));
	if (!seen || !written || !p.missing_ids || !p.future_ids)
		goto out;
	for (size_t i = 0; i < n_back; i++)
		seen[i] = (struct seen){ .id = back[i].id, .intact = back[i].intact };
	qsort(seen, n_back, sizeof(*seen), seen_cmp);
	for (size_t i = 1; i < n_back; i++)
		if (seen[i].id && seen[i].id == seen[i - 1].id)
			p.duplicates++;

	p.attempted = n_ops;
	for (size_t i = 0; i < n_ops; i++) {
		const struct fl_op *o = &ops[i];
		bool acked = o->outcome == FL_OP_OK, intact = false;
		bool present = find(seen, n_back, o->id, &intact) != NULL;

		written[i] = o->id;
		if (acked && present && intact &&
		    (!p.newest_id || o->complete_ns > p.newest_ack_ns ||
		     (o->complete_ns == p.newest_ack_ns && o->id > p.newest_id))) {
			p.newest_id = o->id;
			p.newest_ack_ns = o->complete_ns;
		}
		if (acked && have_lo && o->complete_ns <= lo) {
			p.must_have++;
			if (present && intact)
				continue;
			p.missing++;
			p.missing_corrupt += present;
			p.missing_ids[p.n_missing_ids++] = o->id;
			if (o->complete_ns < oldest_missing_ack)
				oldest_missing_ack = o->complete_ns;
		} else if (o->invoke_ns > hi) {
			p.must_not++;
			if (!present)
				continue;
			p.future++;
			p.future_ids[p.n_future_ids++] = o->id;
		} else {
			p.in_flight++;
			p.in_flight_present += present && intact;
		}
	}
	qsort(written, n_ops, sizeof(*written), u64_cmp);
	for (size_t i = 0; i < n_back; i++)
		if (!seen[i].id || !bsearch(&seen[i].id, written, n_ops, sizeof(*written), u64_cmp))
			p.unexpected++;
	qsort(p.missing_ids, p.n_missing_ids, sizeof(uint64_t), u64_cmp);
	qsort(p.future_ids, p.n_future_ids, sizeof(uint64_t), u64_cmp);
	p.rpo_ns = p.missing && oldest_missing_ack < target_ns ? target_ns - oldest_missing_ack : 0;
	*ret = p;
	p.missing_ids = p.future_ids = NULL;
	r = 0;
out:
	free(p.missing_ids);
	free(p.future_ids);
	free(written);
	free(seen);
	return r;
}

bool fl_backup_pitr_exact(const struct fl_backup_pitr *p)
{
	return !p->missing && !p->future;
}

void fl_backup_pitr_release(struct fl_backup_pitr *p)
{
	free(p->missing_ids);
	free(p->future_ids);
	p->missing_ids = p->future_ids = NULL;
	p->n_missing_ids = p->n_future_ids = 0;
}
