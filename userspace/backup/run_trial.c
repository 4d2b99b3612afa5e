// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One backup trial: a fresh store and repository; the load writes while a
 * scheduler thread takes the backups the schedule asks for; the fault;
 * the store's disk wiped and the newest backups restored into it; the
 * service started, written to, read back and checked.
 *
 * Only the scheduler thread calls the strategy while the load runs; the
 * main thread calls it before and after, so the hooks never run at once.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <faultline/rpo_load.h>
#include <faultline/workload.h>
#include "core/clock.h"
#include "core/errbuf.h"
#include "rpo/rpo_faults.h"
#include "run.h"
#include "store.h"

#define NAP_NS        (50ull * 1000000ull)
#define STOP_NS       (30ull * 1000000000ull)
#define FIRST_WRITE_MS 10000

struct trial {
	const struct bk_run *run;
	const struct fl_backup_config *cfg;
	struct fl_backup_trial *out;
	struct fl_bk_service *svc;
	struct fl_bk_ctx ctx;
	char dir[PATH_MAX], repo[PATH_MAX + 8], work[PATH_MAX + 8];
	char errbuf[512];        /* the strategy's reasons */
	uint64_t t0;             /* CLOCK_MONOTONIC: the load started */
	struct timespec wall0;   /* CLOCK_REALTIME at t0 */
	struct fl_rpo_driver *driver;
	struct fl_op *ops;
	size_t n_ops;
	pthread_t scheduler;
	bool scheduling;
	atomic_bool stop;
	atomic_size_t taken;
};

/* Reasons go into fixed fields: the tail of a long one is dropped. */
static void text_set(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%.*s", (int)len - 1, src);
}

static bool interrupted(const struct trial *t)
{
	return t->run->interrupted && *t->run->interrupted;
}

static void progress(struct trial *t, const char *phase)
{
	if (t->run->progress)
		t->run->progress(t->run->ctx, t->out->index, phase, atomic_load(&t->taken),
				 t->driver ? fl_rpo_driver_acked(t->driver) : 0,
				 t->t0 ? fl_now_ns() - t->t0 : 0);
}

/* Sleep until t0 + at_ns; false when told to stop first. */
static bool wait_until(struct trial *t, uint64_t at_ns, bool heed_stop)
{
	for (;;) {
		uint64_t now = fl_now_ns();

		if (interrupted(t) || (heed_stop && atomic_load(&t->stop)))
			return false;
		if (now >= t->t0 + at_ns)
			return true;
		uint64_t nap = t->t0 + at_ns - now < NAP_NS ? t->t0 + at_ns - now : NAP_NS;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)nap };

		nanosleep(&ts, NULL);
		progress(t, "load");
	}
}

static void *schedule_loop(void *arg)
{
	struct trial *t = arg;

	for (size_t i = 0; i < t->run->n_slots; i++) {
		const struct fl_backup_slot *slot = &t->run->slots[i];
		struct fl_backup_record *b = &t->out->backups[i];
		struct fl_bk_taken taken = { 0 };
		int err;

		if (!wait_until(t, slot->at_ns, true))
			break;
		b->kind = slot->kind;
		b->due_ns = slot->at_ns;
		b->start_ns = fl_now_ns() - t->t0;
		t->errbuf[0] = '\0';
		err = t->run->strategy->backup(&t->ctx, slot->kind, &taken);
		b->end_ns = fl_now_ns() - t->t0;
		b->ok = !err;
		b->bytes = taken.bytes;
		text_set(b->label, sizeof(b->label), taken.label);
		if (err)
			text_set(b->error, sizeof(b->error), t->errbuf[0] ? t->errbuf : strerror(-err));
		t->out->n_backups = i + 1;
		atomic_fetch_add(&t->taken, 1);
	}
	return NULL;
}

static void stop_scheduler(struct trial *t)
{
	if (!t->scheduling)
		return;
	atomic_store(&t->stop, true);
	pthread_join(t->scheduler, NULL);
	t->scheduling = false;
}

static void stop_load(struct trial *t)
{
	if (!t->driver)
		return;
	fl_rpo_driver_stop(t->driver, &t->ops, &t->n_ops);
	t->driver = NULL;
}

static void fail(struct trial *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct trial *t, const char *fmt, ...)
{
	va_list ap;

	if (t->out->restore_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(t->out->restore_error, sizeof(t->out->restore_error), fmt, ap);
	va_end(ap);
}

bool fl_bk_uses_faultfs(const struct fl_backup_config *cfg, const char *strategy)
{
	return cfg->faultfs || cfg->fault == FL_BACKUP_FAULT_CORRUPT ||
	       cfg->fault == FL_BACKUP_FAULT_POWERCUT || !strcmp(strategy, "fs-snapshot");
}

/* The run's own directories, and the store in them, up and empty of records. */
static int set_up(struct trial *t)
{
	const struct fl_backup_strategy *s = t->run->strategy;
	bool faultfs = fl_bk_uses_faultfs(t->cfg, s->name);
	int err;

	snprintf(t->dir, sizeof(t->dir), "%s/trial-%u", t->run->dir, t->out->index + 1);
	snprintf(t->repo, sizeof(t->repo), "%s/repo", t->dir);
	snprintf(t->work, sizeof(t->work), "%s/work", t->dir);
	if (mkdir(t->dir, 0755) < 0 || mkdir(t->repo, 0755) < 0 || mkdir(t->work, 0755) < 0) {
		fail(t, "%s: %s", t->dir, strerror(errno));
		return -errno;
	}
	err = fl_bk_service_create(t->run->workload, t->dir, faultfs, &t->svc, t->errbuf,
				   sizeof(t->errbuf));
	if (err) {
		fail(t, "the store: %s", t->errbuf);
		return err;
	}
	t->ctx = (struct fl_bk_ctx){
		.store = fl_bk_service_store(t->svc),
		.repo = t->repo, .work = t->work,
		.backup_cmd = t->cfg->backup_cmd, .restore_cmd = t->cfg->restore_cmd,
		.verify_cmd = t->cfg->verify_cmd,
		.errbuf = t->errbuf, .errlen = sizeof(t->errbuf),
	};
	progress(t, "start");
	if (s->configure && (err = s->configure(&t->ctx))) {
		fail(t, "%s: configuring the service: %s", s->name, t->errbuf);
		return err;
	}
	err = fl_bk_service_start(t->svc, t->cfg->health_timeout_ns, t->run->interrupted,
				  t->errbuf, sizeof(t->errbuf));
	if (!err)
		err = fl_workload_reset(fl_bk_service_workload(t->svc), t->errbuf, sizeof(t->errbuf));
	if (err) {
		fail(t, "starting the store: %s", t->errbuf);
		return err;
	}
	if (s->prepare && (err = s->prepare(&t->ctx))) {
		fail(t, "%s: preparing the repository: %s", s->name, t->errbuf);
		return err;
	}
	return 0;
}

/* corrupt: the next N blocks written to the store's data files are damaged on disk. */
static int arm_corruption(struct trial *t)
{
	struct fl_rpo_faultfs *ff = fl_bk_service_faultfs_handle(t->svc);
	char rule[PATH_MAX + 96];

	snprintf(rule, sizeof(rule), "write:path=%s:corrupt=bitflip:count=%u",
		 fl_bk_service_data_glob(t->svc), t->cfg->corrupt_blocks);
	return fl_rpo_faultfs_request(ff, json_pack("{s:s,s:[s]}", "cmd", "fault", "rules", rule),
				      5000, NULL, t->out->fault_error, sizeof(t->out->fault_error));
}

static int run_fault_cmd(struct trial *t)
{
	const struct fl_bk_store *st = t->ctx.store;
	char data[PATH_MAX + 24], kind[64];
	const char *env[] = { data, kind, NULL };

	snprintf(data, sizeof(data), "FAULTLINE_DATA_DIR=%s", st->data_dir);
	snprintf(kind, sizeof(kind), "FAULTLINE_STORE_KIND=%s", st->kind);
	t->errbuf[0] = '\0';
	if (fl_bk_cmd(&t->ctx, NULL, NULL, env, (int)(STOP_NS / 1000000), NULL, 0,
		      (const char *const[]){ "sh", "-c", t->cfg->fault_cmd, NULL })) {
		text_set(t->out->fault_error, sizeof(t->out->fault_error), t->errbuf);
		return -EIO;
	}
	return 0;
}

/* The fault in place; the store is then down and its disk gone, ready for a restore. */
static void break_store(struct trial *t)
{
	struct fl_backup_trial *o = t->out;
	int err = 0;

	progress(t, "fault");
	switch (t->cfg->fault) {
	case FL_BACKUP_FAULT_CORRUPT:
		err = arm_corruption(t);
		o->fault_ns = fl_now_ns() - t->t0;
		/* Later backups read the damaged blocks: they carry the corruption. */
		wait_until(t, o->fault_ns + t->cfg->after_ns, false);
		break;
	case FL_BACKUP_FAULT_POWERCUT:
		fl_bk_service_kill(t->svc);
		err = fl_rpo_faultfs_powercut(fl_bk_service_faultfs_handle(t->svc), 0, 1, NULL, NULL,
					      o->fault_error, sizeof(o->fault_error));
		o->fault_ns = fl_now_ns() - t->t0;
		break;
	case FL_BACKUP_FAULT_DROP_TABLE:
		err = fl_workload_drop(fl_bk_service_workload(t->svc), o->fault_error,
				       sizeof(o->fault_error));
		o->fault_ns = fl_now_ns() - t->t0;
		break;
	case FL_BACKUP_FAULT_EXEC:
		err = run_fault_cmd(t);
		o->fault_ns = fl_now_ns() - t->t0;
		break;
	case FL_BACKUP_FAULT_DISK_LOSS:
		fl_bk_service_kill(t->svc);
		o->fault_ns = fl_now_ns() - t->t0;
		break;
	}
	if (err && !o->fault_error[0])
		text_set(o->fault_error, sizeof(o->fault_error), strerror(-err));
	o->loss_ns = fl_now_ns() - t->t0;
	/* A backup running now ends as it ends (it may fail: its disk is going). */
	stop_load(t);
	stop_scheduler(t);
	if ((t->cfg->fault == FL_BACKUP_FAULT_DROP_TABLE || t->cfg->fault == FL_BACKUP_FAULT_EXEC) &&
	    t->run->strategy->settle) {
		progress(t, "settle");
		t->errbuf[0] = '\0';
		if (t->run->strategy->settle(&t->ctx))
			text_set(o->settle_error, sizeof(o->settle_error), t->errbuf);
	}
	fl_bk_service_kill(t->svc);
}

/* "2026-12-06 13:02:03.123456+00": what the tools take as a time target. */
static void target_of(const struct trial *t, uint64_t target_abs, struct fl_bk_target *ret)
{
	uint64_t since = target_abs - t->t0;
	struct timespec w = t->wall0;
	struct tm tm;

	w.tv_sec += (time_t)(since / 1000000000ull);
	w.tv_nsec += (long)(since % 1000000000ull);
	if (w.tv_nsec >= 1000000000L) {
		w.tv_sec++;
		w.tv_nsec -= 1000000000L;
	}
	ret->pitr = true;
	ret->wall = w;
	gmtime_r(&w.tv_sec, &tm);
	snprintf(ret->text, sizeof(ret->text), "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 w.tv_nsec / 1000);
}

static uint64_t max_id(const struct trial *t)
{
	uint64_t m = 0;

	for (size_t i = 0; i < t->n_ops; i++)
		if (t->ops[i].id > m)
			m = t->ops[i].id;
	return m;
}

/* Wipe, restore, start, write once: the RTO's phases. */
static int restore(struct trial *t, const struct fl_bk_target *target)
{
	const struct fl_backup_strategy *s = t->run->strategy;
	struct fl_backup_trial *o = t->out;
	struct fl_bk_phases ph = { 0 };
	uint64_t t1;
	int err;

	err = fl_bk_service_wipe(t->svc, t->errbuf, sizeof(t->errbuf));
	if (err) {
		fail(t, "wiping the data directory: %s", t->errbuf);
		return err;
	}
	progress(t, "restore");
	t->errbuf[0] = '\0';
	t1 = fl_now_ns();
	err = s->restore(&t->ctx, target, &ph);
	if (err) {
		fail(t, "%s restore: %s", s->name, t->errbuf[0] ? t->errbuf : strerror(-err));
		return err;
	}
	o->fetch_ns = ph.fetch_ns;
	o->restore_ns = ph.fetch_ns + ph.restore_ns ? ph.restore_ns : fl_now_ns() - t1;
	progress(t, "replay");
	t1 = fl_now_ns();
	err = fl_bk_service_start(t->svc, t->cfg->health_timeout_ns, t->run->interrupted,
				  t->errbuf, sizeof(t->errbuf));
	if (err) {
		fail(t, "the restored service: %s", t->errbuf);
		return err;
	}
	o->replay_ns = fl_now_ns() - t1;
	t1 = fl_now_ns();
	err = fl_bk_service_write_one(t->svc, max_id(t) + 1, FIRST_WRITE_MS, t->errbuf,
				      sizeof(t->errbuf));
	if (err) {
		fail(t, "the restored service took no write: %s", t->errbuf);
		return err;
	}
	o->first_write_ns = fl_now_ns() - t1;
	o->rto_ns = o->fetch_ns + o->restore_ns + o->replay_ns + o->first_write_ns;
	o->restored = true;
	return 0;
}

/* Read back, judge against the target, and let the store check itself. */
static void check(struct trial *t, uint64_t target_abs)
{
	struct fl_backup_trial *o = t->out;
	struct fl_readback *back = NULL;
	size_t n_back = 0, k = 0;
	uint64_t probe = max_id(t) + 1;
	char detail[256];
	int err;

	progress(t, "check");
	err = fl_bk_store_check(&t->ctx, &o->db_check, detail, sizeof(detail));
	if (err) {
		o->db_check = FL_BACKUP_CHECK_ERROR;
		text_set(detail, sizeof(detail), t->errbuf[0] ? t->errbuf : strerror(-err));
	}
	text_set(o->db_check_detail, sizeof(o->db_check_detail), detail);
	err = fl_bk_service_read_back(t->svc, &back, &n_back, t->errbuf, sizeof(t->errbuf));
	if (err) {
		o->restored = false;
		fail(t, "reading back: %s", t->errbuf);
		return;
	}
	for (size_t i = 0; i < n_back; i++) {
		if (back[i].id == probe)
			continue;
		o->corrupt_records += !back[i].intact;
		back[k++] = back[i];
	}
	err = fl_backup_pitr_check(t->ops, t->n_ops, back, k, target_abs,
				   t->cfg->pitr ? t->cfg->pitr_slack_ns : 0, &o->verdict);
	free(back);
	if (err) {
		o->restored = false;
		fail(t, "checking: %s", strerror(-err));
		return;
	}
	o->window_ns = t->t0 + o->loss_ns - (o->verdict.newest_ack_ns ? o->verdict.newest_ack_ns
								      : t->t0);
}

static void verify(struct trial *t)
{
	const struct fl_backup_strategy *s = t->run->strategy;
	struct fl_backup_trial *o = t->out;
	enum fl_bk_verify v = FL_BK_VERIFY_NONE;

	if (!s->verify)
		return;
	progress(t, "verify");
	t->errbuf[0] = '\0';
	if (s->verify(&t->ctx, &v)) {
		o->tool_verify = FL_BACKUP_CHECK_ERROR;
		text_set(o->tool_verify_detail, sizeof(o->tool_verify_detail), t->errbuf);
		return;
	}
	o->tool_verify = v == FL_BK_VERIFY_OK ? FL_BACKUP_CHECK_OK :
			 v == FL_BK_VERIFY_FAILED ? FL_BACKUP_CHECK_FAILED : FL_BACKUP_CHECK_NONE;
	if (v == FL_BK_VERIFY_FAILED)
		text_set(o->tool_verify_detail, sizeof(o->tool_verify_detail), t->errbuf);
}

/*
 * What the restore stands on: the newest backup that succeeded and ended
 * at or before the target (the loss for latest, T for a PITR), which is
 * the one the strategies pick.
 */
static void restored_from(struct trial *t, uint64_t target_ns)
{
	for (size_t i = t->out->n_backups; i-- > 0;)
		if (t->out->backups[i].ok && t->out->backups[i].end_ns <= target_ns) {
			text_set(t->out->restored_from, sizeof(t->out->restored_from),
				 t->out->backups[i].label);
			return;
		}
}

static void tear_down(struct trial *t)
{
	stop_load(t);
	stop_scheduler(t);
	if (t->svc)
		fl_bk_service_stop(t->svc, STOP_NS);
	if (t->run->strategy->release)
		t->run->strategy->release(&t->ctx);
	fl_bk_service_free(t->svc);
	t->svc = NULL;
	if (!t->cfg->keep && t->dir[0]) {
		if (fl_bk_remove_tree(t->dir, false))
			snprintf(t->out->restore_error + strlen(t->out->restore_error),
				 sizeof(t->out->restore_error) - strlen(t->out->restore_error),
				 "%s(%s was not removed)", t->out->restore_error[0] ? " " : "",
				 t->dir);
	}
	free(t->ops);
}

void fl_bk_trial_run(const struct bk_run *run, unsigned index, struct fl_backup_trial *out)
{
	struct trial t = { .run = run, .cfg = run->cfg, .out = out };
	struct fl_bk_target target = { 0 };
	uint64_t target_abs;
	int err;

	out->index = index;
	out->rto_ns = UINT64_MAX;
	out->backups = calloc(run->n_slots ? run->n_slots : 1, sizeof(*out->backups));
	if (!out->backups) {
		fail(&t, "out of memory");
		return;
	}
	if (set_up(&t) || interrupted(&t))
		goto out;
	clock_gettime(CLOCK_REALTIME, &t.wall0);
	t.t0 = fl_now_ns();
	err = fl_rpo_driver_start(fl_bk_service_workload(t.svc), &t.cfg->load, &t.driver);
	if (!err)
		err = -pthread_create(&t.scheduler, NULL, schedule_loop, &t);
	if (err) {
		fail(&t, "starting the load: %s", strerror(-err));
		goto out;
	}
	t.scheduling = true;
	if (!wait_until(&t, t.cfg->fault_at_ns, false))
		goto out;
	break_store(&t);
	if (interrupted(&t))
		goto out;
	out->attempted = t.n_ops;
	for (size_t i = 0; i < t.n_ops; i++)
		out->acknowledged += t.ops[i].outcome == FL_OP_OK;
	if (fl_bk_backups_newest(out->backups, out->n_backups, t.ops, t.n_ops, t.t0)) {
		fail(&t, "out of memory");
		goto out;
	}
	verify(&t);
	if (t.cfg->pitr) {
		target_abs = t.t0 + (t.cfg->pitr_before_fault ? out->fault_ns - t.cfg->pitr_ns
							       : t.cfg->pitr_ns);
		target_of(&t, target_abs, &target);
	} else {
		target_abs = t.t0 + out->loss_ns;
	}
	out->target_ns = target_abs - t.t0;
	restored_from(&t, out->target_ns);
	if (restore(&t, &target) == 0 && !interrupted(&t))
		check(&t, target_abs);
	fl_bk_trial_judge(out, t.cfg);
out:
	tear_down(&t);
}
