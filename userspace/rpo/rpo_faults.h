/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The fault plumbing of `faultline rpo`: faultfs mounted in place over a
 * service's data directory (power cut, disk failure, the write log), and a
 * memory cgroup whose limit is squeezed until the kernel OOM-kills the
 * service. Both are recorded in the state directory when st is given, so
 * a killed controller's watchdog or `faultline cleanup` undoes them.
 * Every call returns 0 or -errno and prints nothing; errbuf (may be NULL)
 * gets a sentence for the user where one helps.
 */
#ifndef FL_RPO_FAULTS_H
#define FL_RPO_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct fl_rpo_faultfs_check;
struct fl_rpo_loss_cause;

struct fl_state;

/* --- faultfs over a data directory ------------------------------------------ */

struct fl_rpo_faultfs;

/*
 * Run `faultfs DIR DIR -o OPTS` (faultfs from the directory of the running
 * executable, else $PATH), wait for its control socket to answer a ping
 * (bounded: 10 s in all), record the mount in st (may be NULL). opts are
 * faultfs -o options ("durability=data", "size=1G"; NULL for none). Unless
 * opts has log=FILE, the write log goes to a temporary file outside DIR
 * (removed at unmount; recorded in st too, so a killed run's undo removes it), so the service's directory gains nothing but the
 * .faultfs state directory faultfs needs, which unmount removes again when
 * it was not there before. A DIR that is a faultfs mount already (the
 * user's) is used as it is: opts do not apply, nothing is recorded, and
 * unmount leaves it mounted.
 */
int fl_rpo_faultfs_mount(const char *dir, const char *opts, struct fl_state *st,
			 struct fl_rpo_faultfs **ret, char *errbuf, size_t errlen);
/*
 * The canonical mount point, the write log file ("" for a mount that was
 * there already: read its log with fl_rpo_faultfs_log), faultfs's pid.
 */
const char *fl_rpo_faultfs_dir(const struct fl_rpo_faultfs *ff);
const char *fl_rpo_faultfs_log_path(const struct fl_rpo_faultfs *ff);
pid_t fl_rpo_faultfs_pid(const struct fl_rpo_faultfs *ff);

/*
 * One request on the control socket (<faultline/fs.h>), for anything not
 * wrapped below. A reply {"ok":false,"error":...} becomes -EIO with the
 * error in errbuf; *ret_reply (may be NULL) gets the reply otherwise.
 */
int fl_rpo_faultfs_request(struct fl_rpo_faultfs *ff, json_t *req, int timeout_ms,
			   json_t **ret_reply, char *errbuf, size_t errlen);

/* The seq of the newest write-log line (0: none yet): a mark to read the log from. */
int fl_rpo_faultfs_log_seq(struct fl_rpo_faultfs *ff, uint64_t *ret);

/* What a power cut undid (faultfs's report). */
struct fl_rpo_powercut {
	uint64_t writes_undone;  /* write calls undone (whole or partly) */
	uint64_t writes_kept;    /* volatile writes kept anyway (keep_ppm, torn) */
	uint64_t bytes_undone;   /* of writes, truncates and fallocates */
	uint64_t names_undone;   /* creates, unlinks, renames... undone */
	uint64_t files_touched;
	uint64_t duration_ns;    /* how long faultfs took */
	uint64_t cut_ns;         /* CLOCK_MONOTONIC when the request was sent */
};

/*
 * Power cut now: everything not made durable is undone (keep_ppm of the
 * volatile writes persist instead, chosen with seed; 0 for the worst case).
 * The mount stays usable (a cut from the control socket resumes at once).
 * Kill the service first: a process still writing races the cut.
 * ret_report (may be NULL) gets faultfs's report object as well.
 */
int fl_rpo_faultfs_powercut(struct fl_rpo_faultfs *ff, uint32_t keep_ppm, uint64_t seed,
			    struct fl_rpo_powercut *ret, json_t **ret_report,
			    char *errbuf, size_t errlen);
/* Bring a mount that a powercut= rule left offline back (harmless otherwise). */
int fl_rpo_faultfs_resume(struct fl_rpo_faultfs *ff);
/*
 * The disk fails: rule "*:error=EIO", so every file operation faultfs
 * sees (read, write, open, create, fsync, flush, rename, unlink, mkdir,
 * readdir, ...) fails with EIO and is not done. Lookups and stat are not
 * rule operations and keep working. ret_id (may be NULL): the rule's id.
 */
int fl_rpo_faultfs_disk_fail(struct fl_rpo_faultfs *ff, int *ret_id);
/* Remove every rule (the disk works again). ret_cleared may be NULL. */
int fl_rpo_faultfs_clear(struct fl_rpo_faultfs *ff, unsigned *ret_cleared);

/*
 * The write log from seq since on, one JSON object per line in seq order
 * (wlog.h gives the format: seq, ts_ns, op, path, ino, off, len, crc32,
 * result, detail). *ret is a JSON array; json_decref it.
 */
int fl_rpo_faultfs_log(struct fl_rpo_faultfs *ff, uint64_t since, json_t **ret);
/* A powercut report (the control reply, or the detail of its log line). */
void fl_rpo_powercut_from_json(json_t *rep, struct fl_rpo_powercut *pc);

/*
 * A write the log shows as not durable at a power cut. The log keeps no
 * data: offset, length and the zlib crc32 of the bytes are what identify
 * a record (for a line-per-write store: crc32 of the line written).
 */
struct fl_rpo_wlog_write {
	uint64_t seq;
	uint64_t ts_ns;          /* CLOCK_MONOTONIC of faultfs, as fl_now_ns() */
	uint64_t ino;            /* backing inode */
	int64_t off;
	uint64_t len;
	uint32_t crc32;
	bool lost_anyway;        /* a torn/drop/fsyncgate fault hit the file: lost even if synced */
	char path[256];          /* relative to the mount root, leading '/'; truncated if longer */
};

struct fl_rpo_volatility {
	uint64_t cut_seq;        /* the powercut line; 0 if none was found */
	uint64_t cut_ts_ns;
	uint64_t from_seq;       /* the window read: (previous cut or since, cut_seq) */
	struct fl_rpo_wlog_write *writes; /* volatile at the cut, seq order */
	size_t n_writes;
	/* the newest successful fsync/fdatasync of the file(s) asked about before the cut */
	uint64_t last_barrier_seq, last_barrier_ts_ns;
	/* the newest successful fsync/fdatasync/fsyncdir of any file under the mount */
	uint64_t last_any_barrier_seq, last_any_barrier_ts_ns;
	uint64_t all_volatile_writes; /* volatile writes of every file (vs. the report) */
	struct fl_rpo_powercut report; /* the cut's own report, from its log line */
	bool exact;              /* no fault rule, keep_ppm or torn write muddies the picture */
	char note[256];          /* why not exact, or disagreements found */
	/* Why the cut lost data, every file of the mount: cut_causes.c. */
	struct fl_rpo_loss_cause *causes;
	size_t n_causes;
	uint64_t causes_unlisted;
};

/*
 * wlog_volatile.c: which writes the write log shows as volatile at the
 * first power cut after seq since: a successful write to a file with no
 * successful fsync or fdatasync of the same file after it (in log order)
 * and before the cut, the file not removed for good before the cut, and
 * none of the lines after a previous cut. path: a file relative to the
 * mount root ("/log" or "log"), or NULL for every file. The cut is the
 * first "powercut" line with seq >= since. What the log can and cannot say
 * is in the top comment of wlog_volatile.c. -ENOENT: no cut after since.
 */
int fl_rpo_faultfs_volatile_at_cut(struct fl_rpo_faultfs *ff, const char *path,
				   uint64_t since, struct fl_rpo_volatility *ret);
void fl_rpo_volatility_free(struct fl_rpo_volatility *v);

/*
 * cut_causes.c: from the log lines [from, cut) and the powercut line's
 * detail (faultfs lists the names it undid and the directory each one
 * missed), what the cut took and the fsync that was missing: the names
 * undone, with every write that went with them, and each file's writes no
 * fsync of it followed. At most FL_RPO_CAUSES_MAX kept in v, biggest first.
 */
int fl_rpo_cut_causes(json_t *lines, size_t from, size_t cut, const bool *undone,
		      struct fl_rpo_volatility *v);
/* The causes as a JSON array (result "faultfs.causes"). */
json_t *fl_rpo_loss_causes_json(const struct fl_rpo_faultfs_check *fc);
/* fc->why from fc->causes: the causes in words, "; "-separated. */
void fl_rpo_loss_why(struct fl_rpo_faultfs_check *fc);

/*
 * Unmount (the service must be dead: a busy mount is retried for 2 s, then
 * detached lazily), wait for faultfs to exit (a clean stop makes
 * everything still volatile durable), forget the state record, remove the
 * temporary log and the .faultfs directory if it was not there before.
 * Frees ff, also on error (the record then stays for `faultline cleanup`).
 */
int fl_rpo_faultfs_unmount(struct fl_rpo_faultfs *ff);

/* --- oom: a memory cgroup squeezed until the kernel OOM-kills ----------------- */

struct fl_rpo_oom;

/*
 * Create a memory cgroup for the service: on cgroup v2 when the unified
 * hierarchy has the memory controller (ROOT/faultline-rpo-PID-N; "+memory"
 * is added to the root's subtree_control if missing), else on cgroup v1
 * below the controller's own memory cgroup. No limit yet; swap is off for
 * the group so a squeeze cannot push it to swap. Recorded in st (may be
 * NULL) before it is made (v1: see the .c, the state code takes v2 only).
 */
int fl_rpo_oom_create(struct fl_state *st, struct fl_rpo_oom **ret, char *errbuf,
		      size_t errlen);
/* The cgroup.procs file to write the service's first pid into (from the child, before exec). */
const char *fl_rpo_oom_procs(const struct fl_rpo_oom *o);
/* The cgroup directory. */
const char *fl_rpo_oom_path(const struct fl_rpo_oom *o);
bool fl_rpo_oom_is_v2(const struct fl_rpo_oom *o);
/* Charged memory now (memory.current / memory.usage_in_bytes). */
int fl_rpo_oom_usage(const struct fl_rpo_oom *o, uint64_t *ret);

struct fl_rpo_oom_result {
	pid_t victim;            /* the killed process, 0 if it could not be told */
	char victim_comm[32];
	uint64_t start_ns, kill_ns; /* squeeze began, the kill was seen (CLOCK_MONOTONIC) */
	uint64_t usage_start, limit_final; /* bytes */
	unsigned steps;          /* limit writes */
	bool from_kmsg;          /* victim read from the kernel's oom-kill line */
};

/*
 * Lower the limit from the current usage quickly, stepwise, until the
 * kernel records an OOM kill in the group (memory.events oom_kill on v2,
 * memory.oom_control oom_kill on v1), or timeout_ns (-ETIMEDOUT). On v2
 * a limit below what can be reclaimed kills at once; v1 refuses such a
 * limit (EBUSY), so there the limit is held at what is charged and the
 * kill comes at the service's next allocation: a service that allocates
 * nothing is never killed on v1. ret (may be NULL) says who and when
 * (on -ETIMEDOUT: how far the limit got, victim 0). -ESRCH: the group
 * is empty. The victim may be any process of the group, not the first.
 * The limit stays where it was; fl_rpo_oom_release() lifts it.
 */
int fl_rpo_oom_squeeze(struct fl_rpo_oom *o, uint64_t timeout_ns, pid_t *ret_victim,
		       struct fl_rpo_oom_result *ret);
/* Lift the limit again (for a restart in the same group). */
int fl_rpo_oom_release(struct fl_rpo_oom *o);
/*
 * Move any process left to the parent group, remove the cgroup, forget
 * its record. Frees o, also on error (the record then stays).
 */
int fl_rpo_oom_remove(struct fl_rpo_oom *o);

#endif /* FL_RPO_FAULTS_H */
