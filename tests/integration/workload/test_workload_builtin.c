// SPDX-License-Identifier: GPL-2.0-only
/*
 * The built-in stores for real: fl_workload_start forks the writer, four
 * client threads write 2,000 records through it, and every one reads back
 * intact; SIGKILL mid-run keeps every acknowledged record and read-back
 * parses what is left (a torn tail is id 0); reset empties the store. For
 * file: with each fsync policy and sqlite: with synchronous=FULL and OFF.
 * Also prints the writes/s of the fastest settings, on the disk under /tmp
 * and on a tmpfs (FL_RPO_PERF=N records, default 20,000).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/fixtures.h"

#define CLIENTS     4
#define PER_CLIENT  500
#define PAYLOAD_LEN 100
#define SEED        0x5eedull
#define TIMEOUT_MS  10000

struct back {
	uint8_t *seen;       /* per id: times read back intact */
	size_t max_id;
	size_t records, intact, torn;
	uint64_t last_id;    /* id of the last record seen */
};

static int on_record(void *ctx, uint64_t id, const void *payload, size_t len)
{
	struct back *b = ctx;
	uint64_t embedded;

	b->records++;
	b->last_id = id;
	if (!id) {
		b->torn++;
		return 0;
	}
	if (fl_payload_check(payload, len, &embedded) || embedded != id)
		return 0;
	b->intact++;
	if (id <= b->max_id)
		b->seen[id]++;
	return 0;
}

static void read_back(struct fl_workload *w, struct back *b, size_t max_id)
{
	char why[256] = "";

	free(b->seen);
	memset(b, 0, sizeof(*b));
	b->max_id = max_id;
	b->seen = calloc(max_id + 1, 1);
	assert_non_null(b->seen);
	if (fl_workload_read_all(w, on_record, b, why, sizeof(why)))
		fail_msg("read_all: %s", why);
}

struct client {
	struct fl_workload *w;
	unsigned idx;
	size_t n;            /* records to write; 0: until the writer goes */
	_Atomic uint64_t *next_id;
	uint8_t *acked;      /* per id */
	size_t max_id;
	size_t ok, bad;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	unsigned char payload[PAYLOAD_LEN];
	struct fl_wl_conn *conn;
	char why[256];

	if (fl_workload_connect(c->w, &conn, why, sizeof(why))) {
		c->bad++;
		return NULL;
	}
	for (size_t i = 0; !c->n || i < c->n; i++) {
		uint64_t id = atomic_fetch_add(c->next_id, 1);
		enum fl_op_outcome o;
		int err;

		if (id > c->max_id)
			break;
		fl_payload_make(id, SEED, payload, sizeof(payload));
		o = fl_workload_write(conn, id, payload, sizeof(payload), TIMEOUT_MS, &err);
		if (o != FL_OP_OK) {
			c->bad++;
			break;
		}
		c->acked[id] = 1;
		c->ok++;
	}
	fl_workload_disconnect(conn);
	return NULL;
}

/* CLIENTS threads write until each has n records (n 0: until a write fails). */
static size_t run_clients(struct fl_workload *w, size_t n, uint8_t *acked, size_t max_id,
			  pid_t kill_pid, int kill_after_ms, size_t *ret_bad)
{
	struct client c[CLIENTS];
	pthread_t t[CLIENTS];
	_Atomic uint64_t next_id = 1;
	size_t ok = 0, bad = 0;

	for (unsigned i = 0; i < CLIENTS; i++) {
		c[i] = (struct client){ .w = w, .idx = i, .n = n, .next_id = &next_id,
					.acked = acked, .max_id = max_id };
		assert_int_equal(pthread_create(&t[i], NULL, client_main, &c[i]), 0);
	}
	if (kill_pid) {
		usleep(kill_after_ms * 1000);
		kill(kill_pid, SIGKILL);
	}
	for (unsigned i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		ok += c[i].ok;
		bad += c[i].bad;
	}
	if (ret_bad)
		*ret_bad = bad;
	return ok;
}

static pid_t start(struct fl_workload *w)
{
	char why[256] = "";
	pid_t pid = 0;

	if (fl_workload_start(w, &pid, why, sizeof(why)))
		fail_msg("start %s: %s", fl_workload_describe(w), why);
	assert_true(pid > 0);
	assert_int_equal(fl_workload_ping(w, 1000), 0);
	return pid;
}

static void stop(struct fl_workload *w, pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	fl_workload_stopped(w);
	assert_int_equal(fl_workload_ping(w, 100), -ECONNREFUSED);
}

static struct fl_workload *open_spec(const char *fmt, const char *dir)
{
	struct fl_workload *w;
	char spec[512], why[256] = "";

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(spec, sizeof(spec), fmt, dir);
#pragma GCC diagnostic pop
	if (fl_workload_open(spec, &w, why, sizeof(why)))
		fail_msg("%s: %s", spec, why);
	return w;
}

/* 2,000 records by 4 clients, all read back intact, once each; then reset. */
static void write_read_reset(const char *fmt, const char *dir)
{
	size_t max_id = CLIENTS * PER_CLIENT, bad = 0;
	struct fl_workload *w = open_spec(fmt, dir);
	uint8_t *acked = calloc(max_id + 1, 1);
	struct back b = { 0 };
	char why[256] = "";
	pid_t pid;

	assert_non_null(acked);
	pid = start(w);
	if (fl_workload_reset(w, why, sizeof(why)))
		fail_msg("reset: %s", why);
	assert_int_equal(run_clients(w, PER_CLIENT, acked, max_id, 0, 0, &bad), max_id);
	assert_int_equal(bad, 0);
	read_back(w, &b, max_id);
	assert_int_equal(b.records, max_id);
	assert_int_equal(b.intact, max_id);
	assert_int_equal(b.torn, 0);
	for (size_t id = 1; id <= max_id; id++)
		assert_int_equal(b.seen[id], 1);

	/* Reset through the writer, and without one (the controller itself). */
	assert_int_equal(fl_workload_reset(w, why, sizeof(why)), 0);
	read_back(w, &b, max_id);
	assert_int_equal(b.records, 0);
	assert_int_equal(run_clients(w, 10, acked, max_id, 0, 0, NULL), 4 * 10);
	stop(w, pid);
	read_back(w, &b, max_id);
	assert_int_equal(b.records, 40);
	if (fl_workload_reset(w, why, sizeof(why)))
		fail_msg("reset without a writer: %s", why);
	read_back(w, &b, max_id);
	assert_int_equal(b.records, 0);

	free(b.seen);
	free(acked);
	fl_workload_close(w);
}

static void test_file_fsync_always(void **state)
{
	write_read_reset("file:%s/log?fsync=always", ((struct fl_fixture *)*state)->path);
}

static void test_file_fsync_interval(void **state)
{
	write_read_reset("file:%s/log?fsync=interval=20ms", ((struct fl_fixture *)*state)->path);
}

static void test_file_fsync_never(void **state)
{
	write_read_reset("file:%s/log?fsync=never", ((struct fl_fixture *)*state)->path);
}

static void test_sqlite_full(void **state)
{
	write_read_reset("sqlite:%s/t.db?synchronous=FULL", ((struct fl_fixture *)*state)->path);
}

static void test_sqlite_off(void **state)
{
	write_read_reset("sqlite:%s/t.db?synchronous=OFF", ((struct fl_fixture *)*state)->path);
}

static void test_sqlite_wal_normal(void **state)
{
	write_read_reset("sqlite:%s/t.db?synchronous=NORMAL&journal_mode=WAL",
			 ((struct fl_fixture *)*state)->path);
}

/*
 * SIGKILL mid-run: the page cache survives a process kill, so every
 * acknowledged record is there whatever the fsync policy, and a restarted
 * writer goes on where the last one stopped.
 */
static void kill_mid_run(const char *fmt, const char *dir, bool torn_tail)
{
	size_t max_id = 1000000, bad = 0, ok;
	struct fl_workload *w = open_spec(fmt, dir);
	uint8_t *acked = calloc(max_id + 1, 1);
	struct back b = { 0 };
	pid_t pid;

	assert_non_null(acked);
	pid = start(w);
	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	ok = run_clients(w, 0, acked, max_id, pid, 300, &bad);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	fl_workload_stopped(w);
	assert_true(ok > 0);
	assert_true(bad > 0); /* the kill, not max_id, stopped them */
	read_back(w, &b, max_id);
	for (size_t id = 1; id <= max_id; id++)
		if (acked[id] && b.seen[id] != 1)
			fail_msg("acknowledged record %zu read back %d times", id, b.seen[id]);
	/* At most one per client in flight: applied but not acknowledged. */
	assert_true(b.intact >= ok && b.intact <= ok + CLIENTS);
	assert_true(b.torn <= 1);
	print_message("      %zu acknowledged before SIGKILL, %zu read back\n", ok, b.intact);

	if (torn_tail) {
		char path[512];
		int fd;

		/* What a write cut short leaves: a line without its end. */
		snprintf(path, sizeof(path), "%s/log", dir);
		fd = open(path, O_WRONLY | O_APPEND);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "1234567 464c52", 14), 14);
		close(fd);
		read_back(w, &b, max_id);
		assert_int_equal(b.last_id, 0);
		assert_int_equal(b.torn, 1);
		assert_true(b.intact >= ok);
	}

	/* A new writer appends after what is there; the torn bytes stay one bad record. */
	pid = start(w);
	memset(acked, 0, max_id + 1);
	{
		struct fl_wl_conn *c;
		unsigned char p[PAYLOAD_LEN];

		assert_int_equal(fl_workload_connect(w, &c, NULL, 0), 0);
		fl_payload_make(max_id, SEED, p, sizeof(p));
		assert_int_equal(fl_workload_write(c, max_id, p, sizeof(p), TIMEOUT_MS, NULL),
				 FL_OP_OK);
		fl_workload_disconnect(c);
	}
	stop(w, pid);
	read_back(w, &b, max_id);
	assert_int_equal(b.seen[max_id], 1);
	assert_int_equal(b.last_id, max_id);
	assert_true(b.intact >= ok + 1);

	free(b.seen);
	free(acked);
	fl_workload_close(w);
}

static void test_file_kill_mid_run(void **state)
{
	const char *dir = ((struct fl_fixture *)*state)->path;

	kill_mid_run("file:%s/log?fsync=never", dir, true);
	kill_mid_run("file:%s/log?fsync=interval=50ms", dir, true);
}

static void test_sqlite_kill_mid_run(void **state)
{
	const char *dir = ((struct fl_fixture *)*state)->path;

	kill_mid_run("sqlite:%s/t.db?synchronous=OFF", dir, false);
	kill_mid_run("sqlite:%s/w.db?synchronous=FULL&journal_mode=WAL", dir, false);
}

static void test_start_errors_are_reported(void **state)
{
	struct fl_workload *w;
	char why[256] = "";
	pid_t pid = 77;

	(void)state;
	assert_int_equal(fl_workload_open("file:/nonexistent-dir/x/log", &w, NULL, 0), 0);
	assert_int_equal(fl_workload_start(w, &pid, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "file: /nonexistent-dir/x/log: No such file or directory");
	assert_int_equal(pid, 77);
	assert_int_equal(fl_workload_ping(w, 100), -ECONNREFUSED);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* reaped already */
	fl_workload_close(w);

	assert_int_equal(fl_workload_open("sqlite:/nonexistent-dir/t.db", &w, NULL, 0), 0);
	assert_int_equal(fl_workload_start(w, &pid, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "sqlite: /nonexistent-dir/t.db: unable to open"));
	fl_workload_close(w);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Not a pass/fail: the figures for the report. */
static void test_throughput(void **state)
{
	static const char *const specs[] = {
		"file:%s/perf.log?fsync=never",
		"sqlite:%s/perf.db?synchronous=OFF",
		"sqlite:%s/perfw.db?synchronous=OFF&journal_mode=WAL",
	};
	const char *env = getenv("FL_RPO_PERF");
	size_t n = env ? strtoul(env, NULL, 10) : 20000;

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct fl_workload *w = open_spec(specs[i], ((struct fl_fixture *)*state)->path);
		uint8_t *acked = calloc(n + 1, 1);
		double t0;
		size_t ok;
		pid_t pid;

		assert_non_null(acked);
		pid = start(w);
		assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
		t0 = now_s();
		ok = run_clients(w, n / CLIENTS, acked, n, 0, 0, NULL);
		print_message("      %s: %zu writes by %d clients, %.0f writes/s\n",
			      fl_workload_describe(w), ok, CLIENTS, ok / (now_s() - t0));
		assert_int_equal(ok, n / CLIENTS * CLIENTS);
		stop(w, pid);
		free(acked);
		fl_workload_close(w);
	}
}

/* The same without the disk, to see the writer's own cost. */
static void test_throughput_tmpfs(void **state)
{
	if (!fl_test_require_root() || !((struct fl_fixture *)*state)->created)
		skip();
	test_throughput(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_fsync_always, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_fsync_interval, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_fsync_never, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sqlite_full, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sqlite_off, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sqlite_wal_normal, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_file_kill_mid_run, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sqlite_kill_mid_run, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test(test_start_errors_are_reported),
		cmocka_unit_test_setup_teardown(test_throughput, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_throughput_tmpfs, fl_setup_tmpfs,
						fl_teardown_tmpfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
