// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Storage and memory faults of `faultline rpo`: faultfs over the data
 * directory (power cut, disk failure, or just watching with --faultfs),
 * and the OOM squeeze. After a power cut the write log says which writes
 * were volatile; for the file workload each record is matched to them by
 * its byte range, so the checker's lost ids can be compared with
 * faultfs's own account, record by record.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/timeline.h>
#include "rpo_faults.h"
#include "trial.h"

/* How long a failing disk is left to the service before it is killed. */
#define DISK_FAIL_GRACE_NS (2000ull * 1000 * 1000)

int fl_rpo_fault_setup(struct rpo_trial *t)
{
	const struct fl_rpo_config *cfg = t->cfg;
	char why[512] = "", opts[1024];
	int err;

	if (fl_rpo_wants_faultfs(cfg)) {
		if (!cfg->data_dir) {
			fl_rpo_trial_fail(t, "setup", -EINVAL, "faultfs needs a data directory");
			return -EINVAL;
		}
		/*
		 * A service may run as its own user (redis, postgres): let it in,
		 * checked by the kernel against the files' modes (faultfs always
		 * mounts with default_permissions). The user's --faultfs-opt come after.
		 */
		if ((size_t)snprintf(opts, sizeof(opts), "allow_other%s%s",
				     cfg->faultfs_opts ? "," : "",
				     cfg->faultfs_opts ? cfg->faultfs_opts : "") >= sizeof(opts)) {
			fl_rpo_trial_fail(t, "setup", -E2BIG, "the faultfs options are too long");
			return -E2BIG;
		}
		err = fl_rpo_faultfs_mount(cfg->data_dir, opts, t->st, &t->faultfs, why,
					   sizeof(why));
		if (err) {
			fl_rpo_trial_fail(t, "setup", err, "cannot mount faultfs over %s: %s",
					  cfg->data_dir, why[0] ? why : strerror(-err));
			return err;
		}
		fl_rpo_faultfs_log_seq(t->faultfs, &t->wlog_mark);
	}
	if (cfg->fault == FL_RPO_FAULT_OOM) {
		err = fl_rpo_oom_create(t->st, &t->oom, why, sizeof(why));
		if (err) {
			fl_rpo_trial_fail(t, "setup", err, "cannot make a memory cgroup: %s",
					  why[0] ? why : strerror(-err));
			return err;
		}
		snprintf(t->cgroup_procs, sizeof(t->cgroup_procs), "%s", fl_rpo_oom_procs(t->oom));
	}
	return 0;
}

/* One record of the file workload's log: its byte range and id. */
struct line {
	uint64_t off, len, id;
};

/* Parse "<id> <hex>\n" lines of the log as it is before the cut. */
static int map_lines(const char *path, struct line **ret, size_t *ret_n)
{
	struct line *v = NULL;
	size_t n = 0, cap = 0, len = 0;
	uint64_t off = 0;
	char *buf = NULL;
	ssize_t k;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((k = getline(&buf, &len, f)) > 0) {
		if (n == cap) {
			struct line *nv = realloc(v, (cap = cap ? 2 * cap : 4096) * sizeof(*v));

			if (!nv) {
				free(v);
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n].off = off;
		v[n].len = (uint64_t)k;
		v[n].id = strtoull(buf, NULL, 10);
		n++;
		off += (uint64_t)k;
	}
	free(buf);
	fclose(f);
	*ret = v;
	*ret_n = n;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The store's file relative to the mount, "/log". */
static int relative(const char *store, const char *mnt, char *buf, size_t len)
{
	char rs[PATH_MAX], rm[PATH_MAX];
	size_t n;

	if (!realpath(store, rs) || !realpath(mnt, rm))
		return -errno;
	n = strlen(rm);
	if (strncmp(rs, rm, n) || rs[n] != '/')
		return -EXDEV;
	snprintf(buf, len, "%s", rs + n);
	return 0;
}

/* After the cut: which records sat in writes the log calls volatile. */
static void account_cut(struct rpo_trial *t, const struct line *lines, size_t n_lines)
{
	struct fl_rpo_faultfs_check *fc = &t->out->faultfs;
	const char *store = fl_workload_store_path(t->w);
	struct fl_rpo_volatility v = { 0 };
	char rel[PATH_MAX] = "";
	bool in_mount = store && !relative(store, fl_rpo_faultfs_dir(t->faultfs), rel, sizeof(rel));
	int err;

	/* A service's own files (or a store outside the mount): every file counts. */
	if (!in_mount)
		lines = NULL;
	err = fl_rpo_faultfs_volatile_at_cut(t->faultfs, in_mount ? rel : NULL, t->wlog_mark, &v);
	if (err) {
		snprintf(fc->note, sizeof(fc->note), "write log: %s", strerror(-err));
		return;
	}
	fc->done = true;
	fc->n_causes = v.n_causes < FL_RPO_CAUSES_MAX ? v.n_causes : FL_RPO_CAUSES_MAX;
	memcpy(fc->causes, v.causes, fc->n_causes * sizeof(*fc->causes));
	fc->causes_unlisted = v.causes_unlisted;
	fl_rpo_loss_why(fc);
	fc->exact = v.exact;
	fc->volatile_writes = v.n_writes;
	fc->bytes_undone = v.report.bytes_undone;
	/* Every file of the data dir, as the kernel timeline counts them (a WAL's fdatasyncs too). */
	fc->last_barrier_ns = v.last_any_barrier_ts_ns;
	if (v.note[0])
		snprintf(fc->note, sizeof(fc->note), "%s", v.note);
	if (lines) {
		/* Records are appended in order: walk both by offset. */
		t->volatile_ids = calloc(n_lines ? n_lines : 1, sizeof(*t->volatile_ids));
		for (size_t i = 0; t->volatile_ids && i < n_lines; i++) {
			for (size_t j = 0; j < v.n_writes; j++) {
				uint64_t a = (uint64_t)v.writes[j].off, b = a + v.writes[j].len;

				if (lines[i].off < b && a < lines[i].off + lines[i].len) {
					t->volatile_ids[t->n_volatile_ids++] = lines[i].id;
					break;
				}
			}
		}
		qsort(t->volatile_ids, t->n_volatile_ids, sizeof(uint64_t), cmp_u64);
		fc->by_record = t->volatile_ids != NULL;
	}
	fl_rpo_volatility_free(&v);
}

static int powercut(struct rpo_trial *t)
{
	struct fl_rto *rto = &t->out->rto;
	struct fl_rpo_powercut report;
	const char *store = fl_workload_store_path(t->w);
	struct line *lines = NULL;
	size_t n_lines = 0;
	char why[256] = "";
	int err;

	rto->fault_ns = fl_now_ns();
	fl_wl_service_signal(&t->svc, SIGKILL);
	if (fl_wl_service_wait_gone(&t->svc, 10000000000ull)) {
		fl_rpo_trial_fail(t, "fault", -ETIMEDOUT, "the service survived SIGKILL for 10 s");
		return -ETIMEDOUT;
	}
	/* What the file held the instant before the power went: record by record. */
	if (store && !strcmp(fl_workload_scheme(t->w), "file"))
		map_lines(store, &lines, &n_lines);
	snprintf(t->out->mechanism, sizeof(t->out->mechanism),
		 "kill(2) SIGKILL, then faultfs power cut (FUSE)");
	err = fl_rpo_faultfs_powercut(t->faultfs, 0, t->out->seed, &report, NULL, why, sizeof(why));
	rto->stopped_ns = fl_now_ns();
	if (err) {
		free(lines);
		fl_rpo_trial_fail(t, "fault", err, "power cut: %s", why[0] ? why : strerror(-err));
		return err;
	}
	account_cut(t, lines, n_lines);
	free(lines);
	return 0;
}

static int disk_fail(struct rpo_trial *t)
{
	struct fl_rto *rto = &t->out->rto;
	int err;

	snprintf(t->out->mechanism, sizeof(t->out->mechanism), "faultfs rule: every call EIO (FUSE)");
	rto->fault_ns = fl_now_ns();
	err = fl_rpo_faultfs_disk_fail(t->faultfs, NULL);
	if (err) {
		fl_rpo_trial_fail(t, "fault", err, "cannot fail the disk: %s", strerror(-err));
		return err;
	}
	/* Some services die of EIO by themselves; the rest are killed, as a node would be. */
	if (fl_wl_service_wait_gone(&t->svc, DISK_FAIL_GRACE_NS))
		fl_wl_service_signal(&t->svc, SIGKILL);
	fl_wl_service_wait_gone(&t->svc, 10000000000ull);
	fl_wl_service_signal(&t->svc, SIGKILL); /* the rest of the group */
	rto->stopped_ns = t->svc.exited_ns ? t->svc.exited_ns : fl_now_ns();
	/* The disk is replaced: the restart runs on a working one. */
	fl_rpo_faultfs_clear(t->faultfs, NULL);
	return 0;
}

static int oom(struct rpo_trial *t)
{
	struct fl_rto *rto = &t->out->rto;
	struct fl_rpo_oom_result res = { 0 };
	pid_t victim = 0;
	int err;

	snprintf(t->out->mechanism, sizeof(t->out->mechanism), "the kernel's OOM killer (%s)",
		 fl_rpo_oom_is_v2(t->oom) ? "cgroup v2 memory.max" : "cgroup v1 memory.limit_in_bytes");
	err = fl_rpo_oom_squeeze(t->oom, t->cfg->fault_timeout_ns, &victim, &res);
	if (err) {
		fl_rpo_oom_release(t->oom);
		fl_rpo_trial_fail(t, "fault", err, "no OOM kill within %.0f s%s",
				  t->cfg->fault_timeout_ns / 1e9,
				  err == -ETIMEDOUT ? " (a service that allocates nothing is never OOM-killed)" : "");
		return err;
	}
	rto->fault_ns = res.kill_ns ? res.kill_ns : fl_now_ns();
	/* The kernel killed one process; a node's supervisor takes the rest down. */
	fl_wl_service_signal(&t->svc, SIGKILL);
	fl_wl_service_wait_gone(&t->svc, 10000000000ull);
	rto->stopped_ns = t->svc.exited_ns ? t->svc.exited_ns : fl_now_ns();
	fl_rpo_oom_release(t->oom);
	return 0;
}

int fl_rpo_fault_inject_storage(struct rpo_trial *t)
{
	switch (t->cfg->fault) {
	case FL_RPO_FAULT_POWERCUT:
		return powercut(t);
	case FL_RPO_FAULT_DISK_FAIL:
		return disk_fail(t);
	case FL_RPO_FAULT_OOM:
		return oom(t);
	default:
		return -EINVAL;
	}
}

static bool in(const uint64_t *v, size_t n, uint64_t id)
{
	return bsearch(&id, v, n, sizeof(*v), cmp_u64) != NULL;
}

/*
 * Was a barrier in flight at the fault (entered before it, returned after
 * it) when faultfs logged its own? A service killed inside fsync(2) never
 * sees it return, while faultfs may finish it: then the two disagree on
 * "the last barrier" and are both right.
 */
static bool barrier_in_flight(const struct rpo_trial *t, uint64_t fault, uint64_t logged)
{
	for (size_t i = 0; i < t->n_tl_events; i++) {
		const struct fl_tl_event *e = &t->tl_events[i];

		if (e->kind == FL_TL_BARRIER && e->enter_ns <= fault && e->exit_ns > fault &&
		    logged + FL_RPO_BARRIER_SKEW_NS > e->enter_ns &&
		    logged < e->exit_ns + FL_RPO_BARRIER_SKEW_NS)
			return true;
	}
	return false;
}

/* The kernel's durability timeline and faultfs's write log, on the last barrier. */
static void timeline_against_log(struct rpo_trial *t)
{
	struct fl_rpo_faultfs_check *fc = &t->out->faultfs;
	const struct fl_rpo_timeline_summary *tl = &t->out->timeline;
	uint64_t fault = t->out->rto.fault_ns, kernel;
	/* Only what both watched: faultfs's log also has the reset's fsync. */
	uint64_t logged = fc->last_barrier_ns > t->tl_start_ns ? fc->last_barrier_ns : 0;

	if (!fc->done || !tl->seen)
		return;
	fc->timeline_checked = true;
	if (!tl->barrier_seen || !logged) {
		fc->timeline_agrees = !tl->barrier_seen && !logged;
		fc->barrier_skew_ns = 0;
	} else {
		kernel = fault - tl->exposure_ns;
		fc->barrier_skew_ns = (int64_t)kernel - (int64_t)logged;
		fc->timeline_agrees = fc->barrier_skew_ns > -FL_RPO_BARRIER_SKEW_NS &&
				      fc->barrier_skew_ns < FL_RPO_BARRIER_SKEW_NS;
	}
	if (!fc->timeline_agrees && logged && barrier_in_flight(t, fault, logged)) {
		size_t n = strlen(fc->note);

		/* Killed inside its fsync: faultfs made it durable, the caller never heard. */
		fc->timeline_agrees = true;
		snprintf(fc->note + n, sizeof(fc->note) - n, "%sthe last barrier was in flight at the "
			 "kill: faultfs completed it, the service never saw it return", n ? "; " : "");
	}
	if (!fc->timeline_agrees) {
		size_t n = strlen(fc->note);

		snprintf(fc->note + n, sizeof(fc->note) - n,
			 "%sthe kernel timeline and the write log disagree on the last barrier%s",
			 n ? "; " : "",
			 tl->barrier_seen && !logged ?
			 " (the kernel saw one complete that faultfs never got)" : "");
	}
}

/*
 * The file workload's records map to its log: a cause that is the log's
 * unsynced data held the volatile acknowledged records; a dropped name
 * that is the log (or a directory above it) held every record
 * acknowledged before the cut.
 */
static void causes_acked(struct rpo_trial *t)
{
	struct fl_rpo_faultfs_check *fc = &t->out->faultfs;
	const struct fl_rpo_trial *o = t->out;
	const char *store = fl_workload_store_path(t->w);
	char rel[PATH_MAX];
	int64_t before = 0;

	if (!store || relative(store, fl_rpo_faultfs_dir(t->faultfs), rel, sizeof(rel)))
		return;
	for (size_t i = 0; i < o->n_ops; i++)
		before += o->ops[i].outcome == FL_OP_OK && o->ops[i].invoke_ns < o->rto.stopped_ns;
	for (size_t i = 0; i < fc->n_causes; i++) {
		struct fl_rpo_loss_cause *c = &fc->causes[i];
		size_t n = strlen(c->path);

		if (!strcmp(c->what, "data") && !strcmp(c->path, rel))
			c->acked = (int64_t)fc->volatile_acked;
		else if (!strcmp(c->what, "create") &&
			 (!strcmp(c->path, rel) ||
			  (c->is_dir && !strncmp(rel, c->path, n) && (n == 1 || rel[n] == '/'))))
			c->acked = before;
	}
}

void fl_rpo_fault_crosscheck(struct rpo_trial *t)
{
	struct fl_rpo_faultfs_check *fc = &t->out->faultfs;
	const struct fl_rpo_trial *o = t->out;
	uint64_t *present = NULL;
	size_t n_present = 0;

	timeline_against_log(t);
	if (!fc->by_record)
		goto why;
	present = calloc(o->n_back ? o->n_back : 1, sizeof(*present));
	if (!present)
		goto why;
	for (size_t i = 0; i < o->n_back; i++)
		if (o->back[i].intact)
			present[n_present++] = o->back[i].id;
	qsort(present, n_present, sizeof(*present), cmp_u64);
	for (size_t i = 0; i < o->n_ops; i++) {
		const struct fl_op *op = &o->ops[i];
		bool vol, back;

		/* Acknowledged by the service that was cut (even if the ack came in late). */
		if (op->outcome != FL_OP_OK || op->invoke_ns >= o->rto.stopped_ns)
			continue;
		vol = in(t->volatile_ids, t->n_volatile_ids, op->id);
		back = in(present, n_present, op->id);
		fc->volatile_acked += vol;
		fc->lost_not_volatile += !vol && !back;
		fc->volatile_not_lost += vol && back;
	}
	free(present);
	causes_acked(t);
why:
	fl_rpo_loss_why(fc);
}

void fl_rpo_fault_teardown(struct rpo_trial *t)
{
	if (t->faultfs) {
		fl_rpo_faultfs_unmount(t->faultfs);
		t->faultfs = NULL;
	}
	if (t->oom) {
		fl_rpo_oom_remove(t->oom);
		t->oom = NULL;
	}
	free(t->volatile_ids);
	t->volatile_ids = NULL;
	t->n_volatile_ids = 0;
}
