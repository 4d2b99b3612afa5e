// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <libpq-fe.h>

#include <faultline/workload.h>
#include "backup/strategy.h"
#include "backup_pg.h"
#include "backup_store.h"

#define BATCH     200
/* Writes after the archive caught up, cut by the kill: longer than archive_timeout (5 s). */
#define TAIL_NS   7000000000ull
/* The RPO of a restore to the end of the archive: archive_timeout, and the push on a busy host. */
#define RPO_MAX_NS 8000000000ull
#define S_NS      1000000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * S_NS + (uint64_t)ts.tv_nsec;
}

static PGconn *pg_open(struct bk_test *t)
{
	char info[PATH_MAX + 64];
	PGconn *pg;

	snprintf(info, sizeof(info), "host=%s port=%d user=postgres dbname=postgres",
		 t->ctx.store->socket_dir, t->ctx.store->port);
	pg = PQconnectdb(info);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("psql: %s", PQerrorMessage(pg));
	return pg;
}

/* The first row's first field of sql, copied into buf. */
static void pg_value(PGconn *pg, const char *sql, char *buf, size_t len)
{
	PGresult *r = PQexec(pg, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* Wait until the WAL segment holding everything committed so far is archived: how long it took. */
static uint64_t wait_archived(struct bk_test *t)
{
	char want[64], got[64];
	uint64_t t0 = mono_ns();
	PGconn *pg = pg_open(t);

	pg_value(pg, "SELECT pg_walfile_name(pg_current_wal_insert_lsn())", want, sizeof(want));
	for (;;) {
		pg_value(pg, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", got,
			 sizeof(got));
		/* Same timeline: names sort as positions do (a ".partial" sorts after its segment). */
		if (strcmp(got, want) >= 0)
			break;
		if (mono_ns() - t0 > 30 * S_NS)
			fail_msg("%s was not archived within 30 s (last: %s)", want, got);
		usleep(50000);
	}
	PQfinish(pg);
	return mono_ns() - t0;
}

/* The service started by bk_test_start is out of recovery, not a read-only standby. */
static void assert_promoted(struct bk_test *t)
{
	char v[16];
	PGconn *pg = pg_open(t);

	pg_value(pg, "SELECT pg_is_in_recovery()", v, sizeof(v));
	assert_string_equal(v, "f");
	PQfinish(pg);
}

static void amcheck_ok(struct bk_test *t)
{
	enum fl_backup_check chk = FL_BACKUP_CHECK_NONE;
	char detail[256] = "";

	assert_int_equal(fl_bk_store_check(&t->ctx, &chk, detail, sizeof(detail)), 0);
	print_message("  store check: %s: %s\n", chk == FL_BACKUP_CHECK_OK ? "ok" : "not ok", detail);
	assert_int_equal(chk, FL_BACKUP_CHECK_OK);
}

/* Restore into the lost disk, start, wait for the promotion: the times. */
static void restore_and_start(struct bk_test *t, const struct fl_backup_strategy *s,
			      const struct fl_bk_target *target, const char *what)
{
	struct fl_bk_phases ph = { 0 };
	uint64_t t0;

	if (s->restore(&t->ctx, target, &ph))
		fail_msg("restore %s: %s", what, t->errbuf);
	t0 = mono_ns();
	if (bk_test_start(t))
		fail_msg("start after restore %s: %s", what, t->errbuf);
	print_message("  restore %s: fetch %.3f s, restore %.3f s, start+replay %.3f s\n", what,
		      ph.fetch_ns / 1e9, ph.restore_ns / 1e9, (mono_ns() - t0) / 1e9);
	assert_promoted(t);
}

void bk_pg_story(const struct fl_backup_strategy *s, const enum fl_backup_kind *kinds, size_t n,
		 size_t t_after,
		 void (*after_pitr)(struct bk_test *t, const char (*labels)[128]))
{
	char labels[8][128] = { { 0 } };

	struct fl_bk_target latest = { .pitr = false }, pitr = { .pitr = true };
	enum fl_bk_verify v = FL_BK_VERIFY_NONE;
	uint64_t id = 1, t_first = 0, kill_ns, tail_first, *acks, rpo;
	unsigned n_tail = 0, tail_back, lost = 0;
	struct fl_wl_conn *conn;
	struct bk_test t;
	struct tm tm;

	if (bk_test_open(&t, "postgres:local", false))
		fail_msg("postgres:local: %s", t.errbuf);
	if (s->available(&t.ctx))
		fail_msg("%s: %s", s->name, t.errbuf);
	if (s->configure && s->configure(&t.ctx))
		fail_msg("configure: %s", t.errbuf);
	if (bk_test_start(&t))
		fail_msg("start: %s", t.errbuf);
	if (s->prepare && s->prepare(&t.ctx))
		fail_msg("prepare: %s", t.errbuf);

	assert_int_equal(bk_test_write(&t, id, BATCH), BATCH);
	id += BATCH;
	for (size_t i = 0; i < n; i++) {
		struct fl_bk_taken taken = { 0 };
		uint64_t t0 = mono_ns();

		if (s->backup(&t.ctx, kinds[i], &taken))
			fail_msg("%s backup: %s", fl_backup_kind_name(kinds[i]), t.errbuf);
		print_message("  backup %s: %s, %llu bytes, %.3f s\n", fl_backup_kind_name(kinds[i]),
			      taken.label, (unsigned long long)taken.bytes, (mono_ns() - t0) / 1e9);
		assert_true(taken.bytes > 0);
		assert_true(taken.label[0]);
		assert_true(i < 8);
		memcpy(labels[i], taken.label, sizeof(labels[i]));
		assert_int_equal(bk_test_write(&t, id, BATCH), BATCH);
		id += BATCH;
		if (i == t_after) {
			/* Every write so far was acknowledged before T; every later one invoked after. */
			clock_gettime(CLOCK_REALTIME, &pitr.wall);
			gmtime_r(&pitr.wall.tv_sec, &tm);
			snprintf(pitr.text, sizeof(pitr.text), "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
				 tm.tm_sec, pitr.wall.tv_nsec / 1000);
			t_first = id;
		}
	}
	assert_int_equal(bk_test_write(&t, id, BATCH), BATCH);
	id += BATCH;
	print_message("  the archive caught up %.3f s after the last batch\n",
		      wait_archived(&t) / 1e9);

	/* Writes until the kill: what archive_timeout leaves unarchived. */
	acks = calloc(100000, sizeof(*acks));
	assert_non_null(acks);
	if (fl_workload_connect(fl_bk_service_workload(t.svc), &conn, t.errbuf, sizeof(t.errbuf)))
		fail_msg("connect: %s", t.errbuf);
	tail_first = id;
	for (uint64_t t0 = mono_ns(); mono_ns() - t0 < TAIL_NS && n_tail < 100000;) {
		char payload[100];

		fl_payload_make(id, 0, payload, sizeof(payload));
		if (fl_workload_write(conn, id, payload, sizeof(payload), 5000, NULL) != FL_OP_OK)
			fail_msg("write %llu was not acknowledged", (unsigned long long)id);
		acks[n_tail++] = mono_ns();
		id++;
	}
	kill_ns = mono_ns();
	assert_int_equal(bk_test_lose_disk(&t), 0);
	fl_workload_disconnect(conn);

	/* Latest: the whole archive, every batch; of the tail, what was archived. */
	restore_and_start(&t, s, &latest, "latest");
	assert_int_equal(bk_test_present(&t, 1, (unsigned)(tail_first - 1)), tail_first - 1);
	tail_back = bk_test_present(&t, tail_first, n_tail);
	{
		struct fl_readback *back = NULL;
		size_t n_back = 0;
		char *seen = calloc(n_tail, 1);

		assert_non_null(seen);
		assert_int_equal(fl_bk_service_read_back(t.svc, &back, &n_back, t.errbuf,
							 sizeof(t.errbuf)), 0);
		for (size_t i = 0; i < n_back; i++)
			if (back[i].intact && back[i].id >= tail_first && back[i].id < tail_first + n_tail)
				seen[back[i].id - tail_first] = 1;
		for (unsigned i = 0; i < n_tail && !lost; i++)
			if (!seen[i])
				lost = n_tail - i;
		rpo = lost ? kill_ns - acks[n_tail - lost] : 0;
		print_message("  after the kill: %u of %u tail writes back, %u lost; RPO %.3f s\n",
			      tail_back, n_tail, n_tail - tail_back, rpo / 1e9);
		/* What came back is a prefix: the archive is replayed in order. */
		assert_int_equal(tail_back, n_tail - lost);
		assert_true(rpo <= RPO_MAX_NS);
		free(seen);
		free(back);
	}
	if (s->verify) {
		if (s->verify(&t.ctx, &v))
			fail_msg("verify: %s", t.errbuf);
		assert_int_equal(v, FL_BK_VERIFY_OK);
	}
	amcheck_ok(&t);

	/* T: every write before it, none after. */
	assert_int_equal(bk_test_lose_disk(&t), 0);
	restore_and_start(&t, s, &pitr, pitr.text);
	assert_int_equal(bk_test_present(&t, 1, (unsigned)(t_first - 1)), t_first - 1);
	assert_int_equal(bk_test_present(&t, t_first, (unsigned)(id - t_first)), 0);
	amcheck_ok(&t);
	if (after_pitr)
		after_pitr(&t, (const char (*)[128])labels);

	assert_int_equal(fl_bk_service_stop(t.svc, 10 * S_NS), 0);
	if (s->release)
		s->release(&t.ctx);
	free(acks);
	bk_test_close(&t);
}
