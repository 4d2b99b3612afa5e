// SPDX-License-Identifier: GPL-2.0-only
/* A backup strategy driven step by step against a real store (backup_trial.h). */
#include <errno.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <faultline/workload.h>

#include "core/child.h"
#include "helpers/backup_trial.h"

#define START_NS (30ull * 1000000000ull)
#define SEED 0x5eedULL

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool fl_bt_ready(const char *strategy, const char *spec)
{
	const struct fl_backup_strategy *s = fl_backup_strategy_find(strategy);
	char errbuf[512] = "", bin[PATH_MAX];
	struct fl_bk_store st = { .kind = "file" };
	struct fl_bk_ctx c = { .store = &st, .errbuf = errbuf, .errlen = sizeof(errbuf) };

	if (geteuid() != 0) {
		printf("skip: needs root (a service as its own user, chown)\n");
		return false;
	}
	if (!s || s->available(&c)) {
		printf("skip: %s\n", s ? errbuf : "no such strategy");
		return false;
	}
	if (!strncmp(spec, "redis:", 6) &&
	    (fl_child_which("redis-server", bin, sizeof(bin)) || !getpwnam("redis"))) {
		printf("skip: no redis-server or user redis (Debian package redis-server)\n");
		return false;
	}
	return true;
}

int fl_bt_open(struct fl_bt *t, const char *spec, const char *strategy)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->next_id = 1;
	t->s = fl_backup_strategy_find(strategy);
	if (!t->s) {
		snprintf(t->errbuf, sizeof(t->errbuf), "no strategy %s", strategy);
		return -ENOENT;
	}
	snprintf(t->dir, sizeof(t->dir), "/var/tmp/fl-bk-test-XXXXXX");
	if (!mkdtemp(t->dir)) {
		err = -errno;
		snprintf(t->errbuf, sizeof(t->errbuf), "mkdtemp: %s", strerror(errno));
		t->dir[0] = '\0';
		return err;
	}
	/* The service's user must reach its data directory inside. */
	chmod(t->dir, 0755);
	snprintf(t->repo, sizeof(t->repo), "%s/repo", t->dir);
	snprintf(t->work, sizeof(t->work), "%s/work", t->dir);
	if (mkdir(t->repo, 0700) < 0 || mkdir(t->work, 0700) < 0) {
		err = -errno;
		snprintf(t->errbuf, sizeof(t->errbuf), "mkdir: %s", strerror(errno));
		return err;
	}
	err = fl_bk_service_create(spec, t->dir, false, &t->svc, t->errbuf, sizeof(t->errbuf));
	if (err)
		return err;
	t->c = (struct fl_bk_ctx){
		.store = fl_bk_service_store(t->svc),
		.repo = t->repo,
		.work = t->work,
		.errbuf = t->errbuf,
		.errlen = sizeof(t->errbuf),
	};
	if (t->s->configure && (err = t->s->configure(&t->c)))
		return err;
	err = fl_bk_service_start(t->svc, START_NS, NULL, t->errbuf, sizeof(t->errbuf));
	if (err)
		return err;
	if (t->s->prepare && (err = t->s->prepare(&t->c)))
		return err;
	return fl_workload_connect(fl_bk_service_workload(t->svc), &t->conn, t->errbuf,
				   sizeof(t->errbuf));
}

int fl_bt_write(struct fl_bt *t, unsigned n, size_t len)
{
	unsigned char *buf = malloc(len);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; i < n && !err; i++) {
		uint64_t id = t->next_id++;
		int why = 0;

		fl_payload_make(id, SEED, buf, len);
		if (fl_workload_write(t->conn, id, buf, len, 10000, &why) != FL_OP_OK) {
			snprintf(t->errbuf, sizeof(t->errbuf), "write %llu: not acknowledged: %s",
				 (unsigned long long)id, strerror(why));
			err = why ? -why : -EIO;
			break;
		}
		if (t->n_acked == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 1024;
			uint64_t *v = realloc(t->acked, cap * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				break;
			}
			t->acked = v;
			t->cap = cap;
		}
		t->acked[t->n_acked++] = id;
	}
	free(buf);
	return err;
}

int fl_bt_backup(struct fl_bt *t, enum fl_backup_kind kind, struct fl_bk_taken *ret,
		 uint64_t *ret_ns)
{
	struct fl_bk_taken taken = { 0 };
	uint64_t t0 = mono_ns();
	int err = t->s->backup(&t->c, kind, &taken);

	if (err)
		return err;
	*ret = taken;
	if (ret_ns)
		*ret_ns = mono_ns() - t0;
	return 0;
}

int fl_bt_lose_and_restore(struct fl_bt *t, struct fl_bk_phases *ph, uint64_t *ret_ns)
{
	struct fl_bk_target target = { .pitr = false };
	struct fl_bk_phases p = { 0 };
	uint64_t t0 = mono_ns();
	int err;

	if (t->conn) {
		fl_workload_disconnect(t->conn);
		t->conn = NULL;
	}
	err = fl_bk_service_kill(t->svc);
	if (!err)
		err = fl_bk_service_wipe(t->svc, t->errbuf, sizeof(t->errbuf));
	if (!err)
		err = t->s->restore(&t->c, &target, &p);
	if (!err)
		err = fl_bk_service_start(t->svc, START_NS, NULL, t->errbuf, sizeof(t->errbuf));
	if (err)
		return err;
	*ph = p;
	if (ret_ns)
		*ret_ns = mono_ns() - t0;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct fl_readback *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int fl_bt_missing(struct fl_bt *t, size_t upto, uint64_t *ret_missing, uint64_t *ret_corrupt)
{
	struct fl_readback *back = NULL;
	uint64_t missing = 0, corrupt = 0;
	size_t n = 0;
	int err;

	err = fl_bk_service_read_back(t->svc, &back, &n, t->errbuf, sizeof(t->errbuf));
	if (err)
		return err;
	if (n)
		qsort(back, n, sizeof(*back), by_id);
	for (size_t i = 0; i < upto && i < t->n_acked; i++) {
		struct fl_readback key = { .id = t->acked[i] };
		struct fl_readback *r = n ? bsearch(&key, back, n, sizeof(*back), by_id) : NULL;

		if (!r || !r->intact) {
			missing++;
			corrupt += r != NULL;
		}
	}
	free(back);
	*ret_missing = missing;
	*ret_corrupt = corrupt;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void fl_bt_close(struct fl_bt *t)
{
	if (t->s && t->s->release && t->c.store)
		t->s->release(&t->c);
	if (t->conn)
		fl_workload_disconnect(t->conn);
	fl_bk_service_free(t->svc);
	if (t->dir[0])
		nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	free(t->acked);
	memset(t, 0, sizeof(*t));
}
