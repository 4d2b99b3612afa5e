// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A schedule walked over one trial's length: the backups in the order a
 * runner takes them, so the runner needs no clock arithmetic of its own.
 */
#include <errno.h>
#include <stdlib.h>

#include <faultline/backup.h>
#include "core/errbuf.h"
#include "core/parse_values.h"

/* How many times e comes due before length_ns. */
static uint64_t due_count(const struct fl_backup_entry *e, uint64_t length_ns)
{
	if (e->at_ns >= length_ns)
		return 0;
	if (!e->every_ns)
		return 1;
	return (length_ns - 1 - e->at_ns) / e->every_ns + 1;
}

static int slot_cmp(const void *a, const void *b)
{
	const struct fl_backup_slot *x = a, *y = b;

	if (x->at_ns != y->at_ns)
		return x->at_ns < y->at_ns ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	/* qsort is not stable: the entry index keeps the first entry first */
	return (x->entry > y->entry) - (x->entry < y->entry);
}

int fl_backup_schedule_walk(const struct fl_backup_schedule *s, uint64_t length_ns,
			    struct fl_backup_slot **ret, size_t *ret_n,
			    char *errbuf, size_t errlen)
{
	struct fl_backup_slot *slots = NULL;
	uint64_t total = 0;
	size_t n = 0, w = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct fl_backup_entry *e = &s->entries[i];
		uint64_t c = due_count(e, length_ns);
		char at[32], len[32];

		if (!c) {
			fl_format_duration(e->at_ns, at, sizeof(at));
			fl_format_duration(length_ns, len, sizeof(len));
			fl_errf(errbuf, errlen,
				"schedule: the %s at column %u is first due at %s, not within the %s the load runs",
				fl_backup_kind_name(e->kind), e->column, at, len);
			return -ERANGE;
		}
		total += c;
		if (total > FL_BACKUP_WALK_MAX) {
			fl_errf(errbuf, errlen,
				"schedule: more than %d backups in one trial (the %s at column %u adds %llu)",
				FL_BACKUP_WALK_MAX, fl_backup_kind_name(e->kind), e->column,
				(unsigned long long)c);
			return -E2BIG;
		}
	}
	if (total) {
		slots = malloc(total * sizeof(*slots));
		if (!slots) {
			fl_errf(errbuf, errlen, "schedule: out of memory for %llu backups",
				(unsigned long long)total);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct fl_backup_entry *e = &s->entries[i];
		uint64_t c = due_count(e, length_ns);

		for (uint64_t k = 0; k < c; k++)
			slots[n++] = (struct fl_backup_slot){
				.at_ns = e->at_ns + k * e->every_ns, .kind = e->kind, .entry = i,
			};
	}
	if (n)
		qsort(slots, n, sizeof(*slots), slot_cmp);
	for (size_t i = 0; i < n; i++)
		if (!w || slots[w - 1].at_ns != slots[i].at_ns ||
		    slots[w - 1].kind != slots[i].kind)
			slots[w++] = slots[i];
	*ret = slots;
	*ret_n = w;
	return 0;
}
