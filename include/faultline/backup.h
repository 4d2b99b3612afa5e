/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Status: groundwork for `faultline backup` (issue 15). Nothing calls
 * this yet; the runner, the strategies and the CLI come later. What is
 * here is pure: the backup schedule (parsed, then walked into the list
 * of backups a runner takes in order) and the point-in-time-restore
 * exactness check over a recorded write history.
 *
 * Times are CLOCK_MONOTONIC nanoseconds, as in <faultline/rpo.h>;
 * schedule times count from the start of the load.
 */
#ifndef FAULTLINE_BACKUP_H
#define FAULTLINE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/rpo.h>

/*
 * The order of the values is the order of backups due at the same
 * instant: a full first, then a diff (on that full), then an incr (on
 * either), then a snapshot, which stands on its own.
 */
enum fl_backup_kind {
	FL_BACKUP_FULL = 0,
	FL_BACKUP_DIFF,
	FL_BACKUP_INCR,
	FL_BACKUP_SNAPSHOT,
};

/* "full", "diff", "incr", "snapshot"; NULL for anything else. */
const char *fl_backup_kind_name(enum fl_backup_kind kind);

#define FL_BACKUP_SCHEDULE_MAX 16

/*
 * One entry of a schedule:
 *   KIND@DUR                 once, DUR after the load starts
 *   KIND@every:DUR           at DUR, 2*DUR, 3*DUR, ...
 *   KIND@every:DUR+OFFSET    the same series shifted by OFFSET:
 *                            at OFFSET+DUR, OFFSET+2*DUR, ...
 * DUR and OFFSET are durations with a unit (0s, 500ms, 5s, 2m).
 */
struct fl_backup_entry {
	enum fl_backup_kind kind;
	uint64_t at_ns;          /* once: the time; every: the first time */
	uint64_t every_ns;       /* 0: once */
	unsigned column;         /* 1-based column of the entry in the text */
};

struct fl_backup_schedule {
	struct fl_backup_entry entries[FL_BACKUP_SCHEDULE_MAX];
	size_t n;
};

struct fl_backup_error {
	unsigned column;         /* 1-based; 1 when the text as a whole is wrong */
	char message[256];
};

/*
 * Parse "full@0s,incr@every:5s,diff@every:20s" (entries separated by
 * ',', no spaces). 0 and ret filled, or -EINVAL and err (may be NULL)
 * filled with the column and a message in the rule parser's style:
 * "schedule: expected a backup kind (full, incr, diff, snapshot) at
 * column 9, got 'inc'; did you mean 'incr'?". ret is untouched on
 * failure. The same entry written twice is refused.
 */
int fl_backup_schedule_parse(const char *text, struct fl_backup_schedule *ret,
			     struct fl_backup_error *err);

/* One backup to take. */
struct fl_backup_slot {
	uint64_t at_ns;
	enum fl_backup_kind kind;
	size_t entry;            /* index into the schedule's entries */
};

/* More backups than a trial may ask for: a typo such as every:1ms over an hour. */
#define FL_BACKUP_WALK_MAX 100000

/*
 * Every backup the schedule asks for in a trial whose load runs for
 * length_ns: the times t with t < length_ns (a backup due when the load
 * stops is not taken), in time order; at the same time, in enum
 * fl_backup_kind order; a (time, kind) two entries both ask for is
 * listed once, under the first entry. *ret is malloc'd (NULL when n is 0).
 *
 * -ERANGE when an entry never comes due within length_ns (full@60s in a
 * 30s trial: surely a mistake), -E2BIG past FL_BACKUP_WALK_MAX backups,
 * -ENOMEM; errbuf (may be NULL) says which entry, by column.
 */
int fl_backup_schedule_walk(const struct fl_backup_schedule *s, uint64_t length_ns,
			    struct fl_backup_slot **ret, size_t *ret_n,
			    char *errbuf, size_t errlen);

/*
 * Point-in-time restore exactness: after a restore to target T, read the
 * store back and judge each write of the history by where it stands
 * against T (slack S >= 0 widens the unsure band on both sides, for a
 * tool whose time has coarser steps or another clock than ours):
 *
 *   must be present   acknowledged (FL_OP_OK) with complete_ns <= T - S.
 *                     The acknowledgement came after the store committed
 *                     it, so its commit lies at or before T: a restore
 *                     that includes everything committed up to and
 *                     including T (PostgreSQL's recovery_target_inclusive,
 *                     the default) must have it. An acknowledgement at
 *                     exactly T counts as before T.
 *   must be absent    invoked with invoke_ns > T + S, whatever its
 *                     outcome: the store cannot have committed it by T.
 *   either way        the rest ("in flight at T"): invoked at or before
 *                     T + S and acknowledged after T - S, or never
 *                     acknowledged (FL_OP_FAIL, FL_OP_UNKNOWN). A write
 *                     invoked at exactly T is in flight: its commit may
 *                     carry the same timestamp as T.
 *
 * A must-be-present write read back corrupt is missing (and counted in
 * missing_corrupt); a must-be-absent write read back at all, even
 * corrupt, is a future write. Records whose id no write had (or 0) are
 * unexpected.
 */
struct fl_backup_pitr {
	uint64_t target_ns, slack_ns;
	uint64_t attempted;
	uint64_t must_have;        /* acknowledged at or before T - S */
	uint64_t must_not;         /* invoked after T + S */
	uint64_t in_flight;        /* the rest */
	uint64_t in_flight_present; /* of those, read back intact */
	uint64_t missing;          /* violations: must_have, absent or corrupt */
	uint64_t missing_corrupt;  /* of those, present but corrupt */
	uint64_t future;           /* violations: must_not, present */
	uint64_t unexpected;       /* read back, never written (or id 0) */
	uint64_t duplicates;       /* ids read back more than once */
	uint64_t *missing_ids;     /* ascending; n_missing_ids == missing */
	size_t n_missing_ids;
	uint64_t *future_ids;      /* ascending; n_future_ids == future */
	size_t n_future_ids;

	/*
	 * The newest restorable write: of the acknowledged writes read back
	 * intact, the one acknowledged last (ties: the larger id), whatever
	 * side of T; 0/0 when there is none. The RPO window of a restore is
	 * the gap from the point it was meant to reach to newest_ack_ns.
	 */
	uint64_t newest_id;
	uint64_t newest_ack_ns;
	/*
	 * RPO as <faultline/rpo.h> defines it, with T as the fault:
	 * T - acknowledgement of the oldest missing write; 0 when none.
	 */
	uint64_t rpo_ns;
};

/*
 * Judge ops (any order) against back (any order). 0 and *ret filled (its
 * id lists malloc'd: fl_backup_pitr_release), or -ENOMEM with *ret
 * untouched.
 */
int fl_backup_pitr_check(const struct fl_op *ops, size_t n_ops,
			 const struct fl_readback *back, size_t n_back,
			 uint64_t target_ns, uint64_t slack_ns,
			 struct fl_backup_pitr *ret);

/* No missing and no future write. */
bool fl_backup_pitr_exact(const struct fl_backup_pitr *p);

/* Free the id lists (and zero them); safe on a zeroed struct. */
void fl_backup_pitr_release(struct fl_backup_pitr *p);

#endif /* FAULTLINE_BACKUP_H */
