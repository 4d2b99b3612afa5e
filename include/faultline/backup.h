/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `faultline backup run`: drive a real backup tool on a schedule while a
 * workload writes, destroy or corrupt the data, restore, and measure what
 * came back. Pure parts (the schedule, the point-in-time-restore
 * exactness check) first, then the runner and its result.
 *
 * Times are CLOCK_MONOTONIC nanoseconds, as in <faultline/rpo.h>;
 * schedule times count from the start of the load.
 */
#ifndef FAULTLINE_BACKUP_H
#define FAULTLINE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/objectives.h>
#include <faultline/rpo.h>
#include <faultline/rpo_session.h>

#include <jansson.h>

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

/* ---- The runner ---- */

enum fl_backup_fault {
	FL_BACKUP_FAULT_DISK_LOSS = 0, /* the service killed, its data directory gone */
	FL_BACKUP_FAULT_CORRUPT,       /* faultfs corrupts N blocks written to the data files */
	FL_BACKUP_FAULT_POWERCUT,      /* faultfs forgets what was not fsynced; the service killed */
	FL_BACKUP_FAULT_DROP_TABLE,    /* the records' table dropped, as an operator would */
	FL_BACKUP_FAULT_EXEC,          /* the user's command */
};

/* "disk-loss", "corrupt", "powercut", "drop-table", "exec". */
const char *fl_backup_fault_name(enum fl_backup_fault f);

struct fl_backup_config {
	const char *workload;     /* NULL: the strategy's own default store */
	const char *strategy;     /* a name of the table: pgbackrest, tar, ... */
	const char *schedule;     /* "full@0s,incr@every:5s" */
	enum fl_backup_fault fault;
	const char *fault_cmd;    /* exec=CMD */
	unsigned corrupt_blocks;  /* corrupt=N: blocks corrupted (4) */
	uint64_t fault_at_ns;     /* after the load starts */
	/*
	 * corrupt: the load and the backups go on this long after the
	 * corruption (so later backups carry it); then the disk is lost and
	 * the restore begins. 0: until two more backups are due, at least 5 s.
	 */
	uint64_t after_ns;
	bool pitr;                /* --restore pitr=...; else latest */
	bool pitr_before_fault;   /* pitr=-DUR: DUR before the fault; else DUR after the load started */
	uint64_t pitr_ns;
	uint64_t pitr_slack_ns;   /* the unsure band around the target (1 ms) */
	const char *backup_cmd, *restore_cmd, *verify_cmd; /* the exec strategy */
	bool keep;                /* keep the run directory (the repository, the data, the logs) */
	bool faultfs;             /* faultfs over the data directory (corrupt, powercut, fs-snapshot: always) */
	struct fl_rpo_load load;
	unsigned trials;
	uint64_t rpo_max_ns;      /* objective (1 min); UINT64_MAX: none */
	uint64_t rto_max_ns;      /* objective (5 min); UINT64_MAX: none */
	/*
	 * MTTR, availability, MTBF and MTBF's assumption (the brief's
	 * defaults); its rto/rpo fields are not read (rpo_max_ns, rto_max_ns).
	 */
	struct fl_objectives objectives;
	uint64_t health_timeout_ns; /* the restored service's start and replay (5 min) */
	const char *service_log;  /* the service's and the tools' output; NULL: in the run directory */
};

void fl_backup_config_defaults(struct fl_backup_config *cfg);
/*
 * --fault TEXT: disk-loss, corrupt[=N], powercut, drop-table, exec=CMD.
 * --restore TEXT: latest, pitr=DUR (after the load started), pitr=-DUR
 * (before the fault). -EINVAL with a reason in errbuf; cfg untouched then.
 */
int fl_backup_fault_parse(const char *text, struct fl_backup_config *cfg, char *errbuf,
			  size_t errlen);
int fl_backup_restore_parse(const char *text, struct fl_backup_config *cfg, char *errbuf,
			    size_t errlen);

/* One backup, as it went. Times count from the load's start. */
struct fl_backup_record {
	enum fl_backup_kind kind;
	uint64_t due_ns;          /* when the schedule wanted it */
	uint64_t start_ns, end_ns;
	bool ok;
	uint64_t bytes;           /* what it added to the repository */
	/*
	 * The newest write it must hold: of the writes acknowledged before it
	 * began, the one acknowledged last (0 when none). A tool that archives
	 * the log may restore more.
	 */
	uint64_t newest_id;
	char label[128];
	char error[256];
};

/* How an integrity check went. */
enum fl_backup_check {
	FL_BACKUP_CHECK_NONE = 0, /* not run: the tool or the store has none */
	FL_BACKUP_CHECK_OK,
	FL_BACKUP_CHECK_FAILED,   /* it found damage */
	FL_BACKUP_CHECK_ERROR,    /* it could not run */
};

/* "none", "ok", "failed", "error". */
const char *fl_backup_check_name(enum fl_backup_check c);

struct fl_backup_trial {
	unsigned index;
	struct fl_backup_record *backups;
	size_t n_backups;
	uint64_t fault_ns;        /* from the load's start: the fault in place */
	uint64_t loss_ns;         /* the data destroyed (the fault; corrupt: after_ns later) */
	char fault_error[256];    /* the fault could not be made ("" when it was) */
	char settle_error[256];   /* drop-table, exec: the repository could not catch up to the fault */
	uint64_t attempted, acknowledged;

	/* The restore. Times in ns; 0: did not happen. */
	bool restored;
	char restore_error[256];
	char restored_from[128];  /* the newest good backup that ended by the target: its label */
	uint64_t fetch_ns, restore_ns, replay_ns, first_write_ns;
	uint64_t rto_ns;          /* the four together; UINT64_MAX when the service never took a write */

	/*
	 * What came back, judged against the restore's target (the loss for
	 * latest, T for pitr): lost ids, the RPO (the target minus the
	 * acknowledgement of the oldest missing write) and, for a PITR,
	 * the writes from after T that came back.
	 */
	uint64_t target_ns;
	struct fl_backup_pitr verdict;
	/* The RPO window: the loss minus the newest restorable write's acknowledgement. */
	uint64_t window_ns;

	/* Integrity. */
	enum fl_backup_check tool_verify, db_check;
	char tool_verify_detail[256], db_check_detail[256];
	uint64_t corrupt_records; /* read back with a bad checksum (the workload's checker) */
	/*
	 * corrupt: who caught the damage, comma-separated: "tool-verify"
	 * (the tool's own check of its repository), "db-check" (the store's
	 * own check after the restore), "checker" (records read back with a
	 * bad checksum, or acknowledged ones missing), or "none".
	 */
	char caught_by[64];

	bool rpo_met, rto_met, pitr_met, ok;
};

struct fl_backup_result {
	struct fl_backup_config cfg; /* as run, defaults filled; strings are the caller's or static */
	const char *strategy, *tool, *store_kind, *workload;
	struct fl_backup_schedule schedule;
	struct fl_backup_trial *trials;
	size_t n_trials;
	bool interrupted;
	char run_dir[4096];       /* cfg.keep: where the run's files stay; else "" */
	/*
	 * The five objectives over the trials whose load ran: the restore's
	 * RTO (a failed restore never recovered) and RPO; availability and
	 * MTBF derived from the restores' MTTR (a restore has no clients'
	 * view of its own to sample). In the exit status.
	 */
	struct fl_verdict verdict;
};

/* Over the trials whose restore worked: n of them, and each measure's statistics. */
struct fl_backup_summary {
	size_t restored;
	struct fl_rpo_stats lost, rpo_ns, window_ns, rto_ns;
};

/* -ENODATA when no trial restored (ret untouched), -ENOMEM, or 0. */
int fl_backup_summarize(const struct fl_backup_result *r, struct fl_backup_summary *ret);

/* Progress, for a TTY line. */
typedef void (*fl_backup_progress_cb)(void *ctx, unsigned trial, const char *phase,
				      size_t backups_taken, uint64_t acked, uint64_t elapsed_ns);

/*
 * Run cfg->trials trials. 0 with *ret filled (a trial that failed says
 * so in it), or -errno before any trial ran (bad config, missing tool)
 * with the reason in errbuf. *interrupted set (SIGINT): the trial ends,
 * the service and mounts are cleaned up, ret->interrupted.
 */
int fl_backup_run(const struct fl_backup_config *cfg, fl_backup_progress_cb progress,
		  void *ctx, volatile int *interrupted, struct fl_backup_result **ret,
		  char *errbuf, size_t errlen);
void fl_backup_result_free(struct fl_backup_result *r);
/* "faultline-backup/1" */
json_t *fl_backup_result_json(const struct fl_backup_result *r);
/*
 * Judge r's measured trials against o (every field of o is read, RTO and
 * RPO included), as the run judged its own verdict with its targets: the
 * library API's fl_validate_objectives. -EINVAL on a NULL pointer or
 * inconsistent result; *ret untouched on failure.
 */
int fl_backup_result_judge(const struct fl_backup_result *r, const struct fl_objectives *o,
			   struct fl_verdict *ret);
/* 0 every objective met, 1 one missed, 3 a trial could not run or the run was interrupted. */
int fl_backup_exit_status(const struct fl_backup_result *r);

#endif /* FAULTLINE_BACKUP_H */
