/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A `faultline rpo` run: start a service (or the built-in writer), drive
 * writes, break it one way, restart it, read everything back, and measure
 * (<faultline/rpo.h>) - once per trial. The result carries the whole
 * history so another checker can judge it again; fl_rpo_result_json()
 * gives the versioned document the README describes.
 */
#ifndef FAULTLINE_RPO_SESSION_H
#define FAULTLINE_RPO_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include <faultline/objectives.h>
#include <faultline/rpo.h>

#define FL_RPO_SCHEMA "faultline-rpo/2"

struct fl_wl_managed;

enum fl_rpo_fault {
	FL_RPO_FAULT_KILL = 0,   /* SIGKILL the service's process group */
	FL_RPO_FAULT_TERM,       /* term_signal, SIGKILL after term_timeout */
	FL_RPO_FAULT_POWERCUT,   /* SIGKILL, then a faultfs power cut */
	FL_RPO_FAULT_CRASHPOINT, /* a syscall rule, e.g. fsync:signal=SIGKILL:when=50 */
	FL_RPO_FAULT_DISK_FAIL,  /* faultfs fails everything with EIO, then SIGKILL */
	FL_RPO_FAULT_OOM,        /* the memory limit squeezed until an OOM kill */
	/*
	 * Network faults (fault_net.c): rules on the service's cgroup
	 * (cgroup_skb) for fault_for_ns, then healed; the service is not
	 * restarted, and RTO is the clients' unavailability window.
	 */
	FL_RPO_FAULT_PARTITION,  /* every packet of the service dropped, both ways */
	FL_RPO_FAULT_NET,        /* net_rule, a `faultline net` rule */
	FL_RPO_FAULT__COUNT,
};

const char *fl_rpo_fault_name(enum fl_rpo_fault f);
int fl_rpo_fault_from_name(const char *name, enum fl_rpo_fault *ret);
/* partition or net=RULE: the service is cut off for a while, not killed. */
bool fl_rpo_fault_is_network(enum fl_rpo_fault f);

/* The load the clients put on the service. */
struct fl_rpo_load {
	unsigned clients;        /* concurrent client threads */
	double rate;             /* total writes per second, 0 = as fast as it goes */
	size_t payload_len;
	uint64_t seed;
	int op_timeout_ms;       /* a write not answered by then is UNKNOWN */
};

struct fl_rpo_config {
	const char *workload;    /* workload spec (<faultline/workload.h>) */
	const char *start_cmd;   /* NULL: the built-in writer (file:, sqlite:) */
	const char *restart_cmd; /* NULL: start_cmd again */
	const char *health_cmd;  /* NULL: the workload's ping */
	const char *data_dir;    /* NULL: the built-in store's directory */
	const char *user;        /* run start/restart as this user (NULL: as the caller) */
	bool faultfs;            /* mount faultfs over data_dir for the run */
	const char *faultfs_opts; /* more faultfs -o options ("durability=data,size=1G"); NULL: none */
	const char *service_log; /* service stdout/stderr; NULL = /dev/null */
	enum fl_rpo_fault fault;
	const char *crashpoint;  /* the rule, for FL_RPO_FAULT_CRASHPOINT */
	const char *net_rule;    /* the rule, for FL_RPO_FAULT_NET ("tcp:dport=6379:drop:prob=50%") */
	uint64_t fault_for_ns;   /* how long a network fault lasts before it heals; 5 s */
	uint64_t fault_at_ns;    /* after the load starts */
	uint64_t after_ns;       /* load kept on after the restart is healthy */
	uint64_t health_timeout_ns;
	uint64_t ping_timeout_ns; /* each health ping (exec: a client's start and PONG); 500 ms */
	uint64_t term_timeout_ns;
	int term_signal;         /* the graceful stop: SIGTERM, or SIGINT for PostgreSQL's fast one */
	uint64_t fault_timeout_ns; /* a crash point or OOM must strike within this */
	uint64_t readback_timeout_ns; /* exec: silence allowed within a READ answer */
	struct fl_rpo_load load;
	unsigned trials;
	uint64_t rpo_max_ns, rto_max_ns;
	uint64_t lost_max;       /* objective on lost acknowledged writes; UINT64_MAX: none */
	/*
	 * MTTR, availability, MTBF and MTBF's assumption (the brief's
	 * defaults); its rto/rpo fields are not read: rpo_max_ns and
	 * rto_max_ns above are RTO's and RPO's.
	 */
	struct fl_objectives objectives;
};

/* Fill cfg with the documented defaults. */
void fl_rpo_config_defaults(struct fl_rpo_config *cfg);

/* Progress, for a TTY line: phase name, acknowledged writes so far, elapsed. */
typedef void (*fl_rpo_progress_cb)(void *ctx, unsigned trial, const char *phase,
				   uint64_t acked, double ops_per_s, uint64_t elapsed_ns);

struct fl_rpo_timeline_summary {
	bool seen;               /* the timeline ran */
	bool barrier_seen;       /* some barrier completed before the fault */
	uint64_t exposure_ns;    /* fault - last completed barrier */
	uint64_t writes, barriers; /* calls recorded under the data directory */
	/*
	 * Acknowledged writes before the fault against the barriers
	 * (fl_tl_acks_uncovered()): judged ones had a recorded write in their
	 * invoke-ack window; uncovered ones were certainly acknowledged
	 * before any barrier covered their data (a lower bound); ambiguous
	 * ones cannot be attributed, as concurrent clients' writes overlap
	 * (uncovered + ambiguous is the upper bound).
	 */
	uint64_t acked_judged;
	uint64_t acked_uncovered;
	uint64_t acked_ambiguous;
	bool io_uring;           /* the service used io_uring: its I/O is not seen */
	char note[256];
};

/*
 * faultfs's own account of a power cut, against the checker's: for the
 * file workload each record is matched by its byte range to the writes
 * the write log shows as volatile at the cut.
 */
/*
 * Why a power cut lost data, read from faultfs's write log and its powercut
 * line: a name the cut undid (created, renamed, ... after its directory's
 * last fsync) or a file's writes no fsync of it followed. Exact: only what
 * the log shows.
 */
#define FL_RPO_CAUSES_MAX 8
struct fl_rpo_loss_cause {
	char what[12];           /* "create", "rename", "exchange", "unlink" (a name); "data" */
	bool is_dir;             /* the name is a directory */
	char path[256];          /* inside the mount, "/appendonlydir" */
	char from[256];          /* rename/exchange: the other name */
	char missing_fsync[256]; /* what needed an fsync: the directory ("/") or the file */
	bool never;              /* no fsync of it at all since the mount */
	uint64_t count;          /* name operations like this one undone */
	uint64_t files;          /* files that went with a name (itself, or under a directory) */
	uint64_t writes, bytes;  /* write calls (and bytes) that went with it / were undone */
	uint64_t synced_writes;  /* of those, fsynced ones: lost only because the name went */
	int64_t acked;           /* acknowledged records it held; -1: records do not map to files */
};

/* One cause in words: "`/appendonlydir/` was created but its parent directory `/` ...". */
void fl_rpo_loss_cause_text(const struct fl_rpo_loss_cause *c, char *buf, size_t len);

struct fl_rpo_faultfs_check {
	bool done;               /* a power cut was cut and its log read */
	bool by_record;          /* records matched by byte range (file workload) */
	bool exact;              /* faultfs says its picture is exact */
	uint64_t volatile_writes;   /* writes of the store's file volatile at the cut */
	uint64_t bytes_undone;      /* faultfs's report */
	uint64_t volatile_acked;    /* acknowledged records in volatile ranges */
	uint64_t lost_not_volatile; /* lost, yet durable by the log: a disagreement */
	uint64_t volatile_not_lost; /* volatile, acknowledged, yet read back: a disagreement */
	uint64_t last_barrier_ns;   /* the last fsync/fdatasync/fsyncdir of any file of the
				       data dir before the cut (0: none), as the kernel side counts */
	/*
	 * The kernel timeline against the write log: the last barrier the
	 * kernel saw complete before the fault, and the last one faultfs got.
	 * They agree when both saw one within FL_RPO_BARRIER_SKEW_NS (or
	 * neither did); a kernel barrier faultfs never received is flagged.
	 */
	bool timeline_checked;
	bool timeline_agrees;
	int64_t barrier_skew_ns;    /* kernel's last barrier - faultfs's */
	char note[256];
	/* Why data was lost, biggest first; the rest counted. */
	struct fl_rpo_loss_cause causes[FL_RPO_CAUSES_MAX];
	size_t n_causes;
	uint64_t causes_unlisted;
	char why[768];              /* the causes in words, for the summary */
};

#define FL_RPO_BARRIER_SKEW_NS (50ll * 1000 * 1000)

/*
 * A network fault as it ran (partition, net=RULE) and what the clients saw
 * of it. The window (RTO) runs from the fault (the rules armed) to the
 * first write acknowledged at or after the heal (the rules removed).
 */
struct fl_rpo_net_fault {
	bool done;               /* the rules were armed and removed again */
	char rule[256];          /* the rule armed ("any:partition" for a partition) */
	char target[4200];       /* "cgroup /sys/fs/cgroup/faultline-svc-..." */
	uint64_t fault_for_ns;   /* asked for */
	uint64_t matched, injected; /* packets, over the kernel rules */
	/* Over [fault, first acknowledgement after the heal]: */
	uint64_t acked_during;   /* writes sent while the rules were armed and acknowledged before the heal */
	uint64_t failed_during, unknown_during; /* writes that completed fail / unknown */
	uint64_t longest_gap_ns; /* the longest stretch without an acknowledgement */
	bool restarted;          /* always false: the service is not restarted */
};

struct fl_rpo_trial {
	uint64_t seed;
	uint64_t start_ns;       /* the load started */
	struct fl_rto rto;       /* fault_ns and the phases */
	struct fl_check check;
	struct fl_rpo_timeline_summary timeline;
	struct fl_rpo_faultfs_check faultfs;
	struct fl_rpo_net_fault net; /* network faults only */
	char mechanism[64];      /* what carried the fault ("kill(2) SIGKILL", "send-signal"...) */
	struct fl_op *ops;       /* the whole history */
	size_t n_ops;
	struct fl_readback *back; /* what was read back */
	size_t n_back;
	int err;                 /* 0, or why the trial could not finish */
	char error[256];         /* what happened, for the report */
	char phase[16];          /* where it failed */
};

struct fl_rpo_result {
	struct fl_rpo_config cfg;
	struct fl_rpo_trial *trials;
	size_t n_trials;
	struct fl_rpo_stats rpo, rto; /* over the trials that finished */
	/*
	 * The objectives are judged over the trials that measured (err == 0)
	 * only: a trial that could not measure (a crash point that never
	 * struck, a service never healthy) is reported with its cause and
	 * is no violation. n_measured == 0: nothing judged, *_met false.
	 */
	size_t n_measured;
	uint64_t mttr_ns;        /* mean RTO */
	bool rpo_met, rto_met;
	bool lost_met;           /* every measured trial's lost <= cfg.lost_max */
	uint64_t lost_worst;     /* the most lost writes of a measured trial */
	/*
	 * The five objectives over the trials that measured (objectives.h);
	 * availability from each trial's clients' view, in slices of 100 ms
	 * (or 4 writes' time at --rate) with an acknowledged write.
	 */
	struct fl_verdict verdict;
	char data_dir[4096];     /* cfg.data_dir points here when it was defaulted */
	/* A managed service (postgres:local, ...): cfg points into it; NULL otherwise. */
	struct fl_wl_managed *managed;
};

/*
 * Run cfg->trials trials. Returns 0 when every trial finished (objectives
 * are in the result), or -errno when the run could not even start; a
 * trial that failed midway is in the result with its error.
 */
int fl_rpo_run(const struct fl_rpo_config *cfg, fl_rpo_progress_cb progress, void *ctx,
	       struct fl_rpo_result **ret);
/*
 * fl_rpo_run, saying in errbuf why a run could not start: a bad setting
 * (fl_rpo_config_check), or the step that needs root and was refused.
 */
int fl_rpo_run_why(const struct fl_rpo_config *cfg, fl_rpo_progress_cb progress, void *ctx,
		   struct fl_rpo_result **ret, char *errbuf, size_t errlen);
/*
 * Check what can be checked before anything starts: --user exists and
 * applies (a --start service), the faultfs options are well-formed and
 * can apply. -EINVAL or -ENOENT with the reason in errbuf.
 */
int fl_rpo_config_check(const struct fl_rpo_config *cfg, char *errbuf, size_t errlen);
/* Make a running fl_rpo_run stop soon (async-signal-safe). */
void fl_rpo_interrupt(void);
json_t *fl_rpo_result_json(const struct fl_rpo_result *r);
/*
 * Judge r's measured trials against o (every field of o is read, RTO and
 * RPO included), as the run judged its own verdict with its targets: the
 * library API's fl_validate_objectives. -EINVAL on a NULL pointer or
 * inconsistent result; *ret untouched on failure.
 */
int fl_rpo_result_judge(const struct fl_rpo_result *r, const struct fl_objectives *o,
			struct fl_verdict *ret);
void fl_rpo_result_free(struct fl_rpo_result *r);

#endif /* FAULTLINE_RPO_SESSION_H */
