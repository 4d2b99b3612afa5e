/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The library API: the brief's four operations over the existing domains,
 * with no engine of their own.
 *
 *   fl_simulate_failure     arm a fault of any domain (syscall, fs, net,
 *                           process, node); fl_failure_clear undoes it
 *   fl_test_recovery        run one recovery procedure (rpo, scenario,
 *                           backup) into a struct fl_recovery_result
 *   fl_validate_objectives  judge a result against the five objectives
 *   fl_generate_report      write results as HTML, JUnit XML, Markdown
 *
 * Each returns 0 or a negative errno, prints nothing, and leaves its ret
 * untouched on failure; where a reason is worth more than the errno, it
 * goes into the errbuf the caller gave (may be NULL).
 */
#ifndef FAULTLINE_RECOVERY_H
#define FAULTLINE_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <faultline/backup.h>
#include <faultline/objectives.h>
#include <faultline/report.h>
#include <faultline/rpo_session.h>
#include <faultline/scenario_run.h>

struct fl_cluster;

enum fl_failure_domain {
	FL_FAILURE_SYSCALL = 1,  /* a syscall rule on a process or cgroup (<faultline/syscall.h>) */
	FL_FAILURE_FS,           /* a faultfs rule, or a power cut, on a mount (<faultline/fs.h>) */
	FL_FAILURE_NET,          /* a net rule on a cgroup, device or netns (<faultline/net.h>) */
	FL_FAILURE_PROCESS,      /* a signal to a process: kill, stop (cleared by SIGCONT) */
	FL_FAILURE_NODE,         /* a fault on a cluster node (<faultline/cluster.h>) */
};

/* "syscall", "fs", "net", "process", "node"; NULL for another value. */
const char *fl_failure_domain_name(enum fl_failure_domain d);

struct fl_failure {
	enum fl_failure_domain domain;
	/*
	 * The rule, in its domain's grammar (README: the rule grammar):
	 * syscall "write:error=EIO", fs "fsync:error=EIO", net
	 * "tcp:dport=6379:drop"; node "disk=RULE", "syscall=RULE", "net=RULE".
	 * fs with powercut: NULL.
	 */
	const char *rule;
	/* syscall: the target process (its children followed); net: a cgroup's one process. */
	pid_t pid;
	/* syscall (instead of pid) and net: a cgroup v2 directory. */
	const char *cgroup;
	/* net: a device (with netns NULL: the caller's netns), or netns alone: its devices. */
	const char *dev, *netns;
	/* fs: the faultfs mount point. */
	const char *mountpoint;
	/*
	 * fs: cut the power instead of arming a rule: what was not fsynced
	 * is forgotten at once (keep_ppm of the volatile writes survive);
	 * clearing it resumes the mount, should it have gone offline.
	 */
	bool powercut;
	uint32_t keep_ppm;
	uint64_t seed;
	/* process: the process and the signal (SIGKILL, SIGTERM, SIGSTOP, ...). */
	pid_t process;
	int signal;
	/* node: the cluster (fl_cluster_up or fl_cluster_open) and the node's index. */
	struct fl_cluster *cluster;
	unsigned node;
};

struct fl_failure_handle;

/*
 * Arm f. -EINVAL (a malformed failure or rule: errbuf says which field
 * and why), -EOPNOTSUPP (this kernel or target cannot), -EPERM, or the
 * domain's -errno. The fault lasts until fl_failure_clear (a process
 * signal is sent once: clearing a stop sends SIGCONT, clearing any other
 * signal only frees the handle). A syscall fault's events are not
 * delivered (nothing polls its session): a pause= rule holds what it
 * stopped until the clear continues it.
 */
int fl_simulate_failure(const struct fl_failure *f, char *errbuf, size_t errlen,
			struct fl_failure_handle **ret);
/* What the handle's fault did: matched and injected, as its domain counts (0 when it does not). */
int fl_failure_counters(const struct fl_failure_handle *h, uint64_t *ret_matched,
			uint64_t *ret_injected);
/* Disarm (a power cut: resume the mount) and free h, even on failure. NULL is fine. */
int fl_failure_clear(struct fl_failure_handle *h, char *errbuf, size_t errlen);

enum fl_recovery_kind {
	FL_RECOVERY_RPO = 1,
	FL_RECOVERY_SCENARIO,
	FL_RECOVERY_BACKUP,
};

/* "rpo", "scenario", "backup"; NULL for another value. */
const char *fl_recovery_kind_name(enum fl_recovery_kind k);

struct fl_recovery_test {
	enum fl_recovery_kind kind;
	/* rpo: fl_rpo_config_defaults, then the run. */
	const struct fl_rpo_config *rpo;
	fl_rpo_progress_cb rpo_progress;
	/* scenario: parsed (<faultline/scenario.h>); it must outlive the result. */
	const struct fl_scenario *scenario;
	const struct fl_scenario_run_opts *scenario_opts;
	/* backup: fl_backup_config_defaults, then the run. */
	const struct fl_backup_config *backup;
	fl_backup_progress_cb backup_progress;
	volatile int *interrupted;
	void *progress_ctx;
	/* Why a run could not start (may be NULL). */
	char *errbuf;
	size_t errlen;
};

/*
 * One procedure's result: its runner's own, and its versioned JSON
 * document. (The brief's struct fl_result: that tag is <faultline/abi.h>'s
 * enum of an injection's outcome, and C has one namespace for both.)
 */
struct fl_recovery_result {
	enum fl_recovery_kind kind;
	struct fl_rpo_result *rpo;           /* the one of kind; the others NULL */
	struct fl_scenario_result *scenario;
	struct fl_backup_result *backup;
	json_t *json;                        /* the runner's *_result_json */
	const struct fl_verdict *verdict;    /* the run's own, against its own targets */
};

/*
 * Run t's procedure. 0 when it ran (a trial that failed says so in the
 * result, and in its verdict), -EINVAL for a test without its kind's
 * settings, or the runner's -errno when it could not start.
 */
int fl_test_recovery(const struct fl_recovery_test *t, struct fl_recovery_result **ret);
/* Wrap a runner's result (taken: freed with r) into an fl_result. */
int fl_recovery_result_wrap(enum fl_recovery_kind kind, void *runner_result, struct fl_recovery_result **ret);
/* NULL is fine. */
void fl_recovery_result_free(struct fl_recovery_result *r);

/*
 * Judge r against o (fl_objectives_defaults for the brief's), over the
 * runner's measured trials (fl_objectives_validate). -EINVAL for a NULL
 * pointer, a result whose kind and runner result disagree, or
 * inconsistent figures; *ret untouched then.
 */
int fl_validate_objectives(const struct fl_recovery_result *r, const struct fl_objectives *o,
			   struct fl_verdict *ret);

struct fl_report_opts {
	const char *html;        /* a self-contained HTML page to this file; NULL: none */
	const char *junit;       /* JUnit XML to this file; NULL: none */
	const char *markdown;    /* Markdown to this file, "-" stdout; NULL: none */
	struct fl_report_html_opts html_opts; /* gnuplot, its timeout, ... */
	unsigned *plot_errors;   /* may be NULL: plots of the page gnuplot could not draw */
	char *errbuf;            /* why (may be NULL) */
	size_t errlen;
};

/*
 * Write n results (read back from their JSON documents, as `faultline
 * report` reads files) to the outputs o names. -EINVAL for no result, a
 * NULL one or one without its document, or no output named; the
 * document's own -EINVAL when it cannot be read; -errno when a file
 * could not be written.
 */
int fl_generate_report(const struct fl_recovery_result *const *r, size_t n, const struct fl_report_opts *o);
/*
 * The writing half, over results already read (fl_report_load): what
 * `faultline report` uses. errbuf begins with the file it could not write.
 */
int fl_report_write(const struct fl_report_result *const *r, size_t n,
		    const struct fl_report_opts *o);

#endif /* FAULTLINE_RECOVERY_H */
