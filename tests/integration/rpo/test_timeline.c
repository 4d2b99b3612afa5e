// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel durability timeline on a real process (root): every write and
 * barrier of tests/targets/fl-durable-writer under the data directory is
 * recorded in order with its bytes, scope and times, nothing outside it,
 * a forked child is followed, io_uring requests are seen (or their use is
 * flagged where they cannot be), a process that was not
 * added is not seen, and the analysis gives the expected exposure window
 * and uncovered writes. Also measures the cost on a write+fsync loop
 * (printed, not judged: it depends on the disk).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/target.h"
#include <faultline/timeline.h>

static char bin_writer[PATH_MAX];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* buf = dir/name; the test fails if it does not fit. */
static void join(char *buf, size_t len, const char *dir, const char *name)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", dir, name) < len);
}

static int setup(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";

	snprintf(bin_writer, sizeof(bin_writer), "%s/targets/fl-durable-writer", build);
	return fl_setup_tmpdir(state);
}

static bool require(void)
{
	if (!fl_test_require_root())
		return false;
	if (access(bin_writer, X_OK)) {
		print_message("skip: %s is not built (run make)\n", bin_writer);
		return false;
	}
	return true;
}

/* Run the writer on data/ and outside/ under fx; added to tl unless bystander. */
static pid_t run_writer(struct fl_timeline *tl, const char *root, bool bystander)
{
	char data[PATH_MAX], out[PATH_MAX];
	struct fl_target *t;
	int status;
	pid_t pid;

	join(data, sizeof(data), root, "data");
	join(out, sizeof(out), root, "outside");
	char *argv[] = { bin_writer, data, out, NULL };

	assert_int_equal(fl_target_spawn_exec(argv, true, &t), 0);
	pid = t->pid;
	if (!bystander)
		assert_int_equal(fl_timeline_add_pid(tl, pid), 0);
	assert_int_equal(fl_target_step(t), 0);
	assert_int_equal(fl_target_wait(t, &status, 20000), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fl_target_free(t);
	return pid;
}

static void make_dirs(const char *root)
{
	char p[PATH_MAX];

	join(p, sizeof(p), root, "data");
	assert_int_equal(mkdir(p, 0755), 0);
	join(p, sizeof(p), root, "outside");
	assert_int_equal(mkdir(p, 0755), 0);
}

struct want {
	enum fl_tl_kind kind;
	const char *syscall;
	const char *path;
	int64_t ret;
	enum fl_tl_scope scope;
	int64_t offset;
	bool child;
	int uring;  /* 1: an io_uring syscall, 2: an io_uring request (if traced here) */
};

#define W(sc, p, n, off) { FL_TL_WRITE, sc, p, n, FL_TL_SCOPE_NONE, off, false, 0 }
#define B(sc, p, scope, off) { FL_TL_BARRIER, sc, p, 0, scope, off, false, 0 }
#define U(sc, n) { FL_TL_IO_URING, sc, NULL, n, FL_TL_SCOPE_NONE, -1, false, 1 }

static const struct want expected[] = {
	W("write", "log", 100, 0),
	W("write", "log", 200, 100),
	B("fsync", "log", FL_TL_SCOPE_FILE, -1),
	W("write", "log", 300, 300),
	B("fdatasync", "log", FL_TL_SCOPE_DATA, -1),
	W("pwrite64", "log", 50, 600),
	B("sync_file_range", "log", FL_TL_SCOPE_RANGE, 600),
	B("sync_file_range", "log", FL_TL_SCOPE_NONE, 0),
	W("writev", "log", 100, 650),
	B("msync", "map", FL_TL_SCOPE_RANGE, 0),
	B("syncfs", ".", FL_TL_SCOPE_FS, -1),
	{ FL_TL_META, "rename", NULL, 0, FL_TL_SCOPE_NONE, -1, false, 0 },
	{ FL_TL_WRITE, "write", "child", 33, FL_TL_SCOPE_NONE, 0, true, 0 },
	U("io_uring_setup", -1),  /* returns the ring's fd: not checked */
	/* Completed inside io_uring_enter, so recorded before it returns; no offset. */
	{ FL_TL_WRITE, "io_uring:write", "log", 44, FL_TL_SCOPE_NONE, -1, false, 2 },
	U("io_uring_enter", 1),
	{ FL_TL_BARRIER, "io_uring:fsync", "log", 0, FL_TL_SCOPE_DATA, -1, false, 2 },
	U("io_uring_enter", 1),
	W("write", "log", 70, 944),
};
#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))
#define I_FSYNC 2
#define I_W3 3
#define I_PWRITE 5
#define I_SFR 6
#define I_WRITEV 8
#define I_MSYNC 9
#define I_SYNCFS 10
#define I_CHILD 12
#define I_URING_FSYNC 16

static bool uring_ran(const char *root)
{
	char p[PATH_MAX], buf[64] = "";
	FILE *f;

	join(p, sizeof(p), root, "outside/result");
	f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	if (strncmp(buf, "io_uring=ok", 11) != 0) {
		print_message("note: io_uring did not run (%s): its events are not checked\n", buf);
		return false;
	}
	return true;
}

/* uring: 0 io_uring did not run, 1 only its syscalls are seen, 2 its requests too. */
static void check_sequence(const struct fl_tl_event *ev, size_t n, pid_t pid, int uring)
{
	size_t k = 0;

	for (size_t i = 0; i < N_EXPECTED; i++) {
		const struct want *w = &expected[i];
		const struct fl_tl_event *e;

		if (w->uring > uring)
			continue;
		assert_true(k < n);
		e = &ev[k++];
		print_message("  %-16s %-6s ret=%lld off=%lld scope=%d pid=%d %lluns\n", e->syscall,
			      e->path, (long long)e->ret, (long long)e->offset, e->scope, e->pid,
			      (unsigned long long)(e->exit_ns - e->enter_ns));
		assert_int_equal(e->kind, w->kind);
		assert_string_equal(e->syscall, w->syscall);
		assert_true(e->exit_ns >= e->enter_ns);
		assert_true(e->enter_ns > 0);
		if (w->child)
			assert_true(e->pid != pid && e->pid > 0);
		else
			assert_int_equal(e->pid, pid);
		if (w->path)
			assert_string_equal(e->path, w->path);
		if (w->ret >= 0)
			assert_int_equal(e->ret, w->ret);
		if (w->kind == FL_TL_WRITE) {
			assert_int_equal(e->bytes, (uint64_t)w->ret);
			assert_int_equal(e->offset, w->offset);
		}
		assert_int_equal(!!(e->flags & FL_TL_F_IO_URING), w->uring == 2);
		if (w->kind == FL_TL_BARRIER) {
			assert_int_equal(e->scope, w->scope);
			if (w->scope == FL_TL_SCOPE_RANGE)
				assert_int_equal(e->offset, w->offset);
		}
		if (w->kind == FL_TL_META)
			assert_non_null(strstr(e->path, "/data/final"));
	}
	if (k != n) {
		for (size_t i = k; i < n; i++)
			print_message("unexpected: %s %s ret=%lld\n", ev[i].syscall, ev[i].path,
				      (long long)ev[i].ret);
	}
	assert_int_equal(k, n);
	for (size_t i = 0; i < n; i++)
		assert_null(strstr(ev[i].path, "other"));
}

static void check_analysis(const struct fl_tl_event *ev, size_t n, int uring, uint64_t t)
{
	size_t last_barrier = uring == 2 ? I_URING_FSYNC : I_SYNCFS;
	struct fl_tl_exposure x;
	struct fl_tl_summary s;
	struct fl_tl_write_ref refs[3];
	size_t idx[8], last, k;
	uint64_t bytes;
	char note[256];
	const struct fl_tl_event *log = &ev[0], *map = &ev[I_MSYNC];

	/*
	 * After the last write: the io_uring fsync (or, where it is not seen, the
	 * syncfs) was the last barrier; the child's write and the last one are
	 * uncovered (the io_uring write was covered by the io_uring fsync).
	 */
	fl_tl_exposure(ev, n, t, &x);
	assert_true(x.barrier_seen);
	assert_int_equal(x.barrier_idx, last_barrier);
	assert_int_equal(x.window_ns, t - ev[last_barrier].exit_ns);
	assert_int_equal(x.writes_since, uring == 2 ? 1 : 2);
	assert_int_equal(x.bytes_since, uring == 2 ? 70 : 103);
	k = fl_tl_uncovered_writes(ev, n, t, idx, &bytes);
	assert_int_equal(k, 2);
	assert_int_equal(idx[0], I_CHILD);
	assert_int_equal(idx[1], n - 1);
	assert_int_equal(bytes, 103);

	/* Just after the third write: only it is uncovered, the fsync was the last barrier. */
	k = fl_tl_uncovered_writes(ev, n, ev[I_W3].exit_ns, idx, &bytes);
	assert_int_equal(k, 1);
	assert_int_equal(idx[0], I_W3);
	fl_tl_exposure(ev, n, ev[I_W3].exit_ns, &x);
	assert_int_equal(x.barrier_idx, I_FSYNC);

	/* Which barrier covered which write. */
	memset(refs, 0, sizeof(refs));
	refs[0] = (struct fl_tl_write_ref){ ev[0].exit_ns, log->dev, log->ino, 0, 100, 0, 0 };
	refs[1] = (struct fl_tl_write_ref){ ev[I_PWRITE].exit_ns, log->dev, log->ino, 600, 50,
					    0, 0 };
	refs[2] = (struct fl_tl_write_ref){ ev[I_WRITEV].exit_ns, log->dev, log->ino, 650, 100,
					    0, 0 };
	assert_int_equal(fl_tl_cover_refs(ev, n, t, refs, 3), 0);
	assert_int_equal(refs[0].barrier_idx, I_FSYNC);
	assert_int_equal(refs[0].covered_ns, ev[I_FSYNC].exit_ns);
	assert_int_equal(refs[1].barrier_idx, I_SFR);
	assert_int_equal(refs[2].barrier_idx, I_SYNCFS);

	/* The mapped file: its msync is a range barrier; syncfs covers it as a whole later. */
	assert_int_equal(fl_tl_last_barrier(ev, n, map->exit_ns, map->dev, map->ino, true, &last),
			 0);
	assert_int_equal(last, I_MSYNC);
	assert_int_equal(fl_tl_last_barrier(ev, n, map->exit_ns, map->dev, map->ino, false, &last),
			 -ENOENT);
	assert_int_equal(fl_tl_last_barrier(ev, n, t, map->dev, map->ino, false, &last), 0);
	assert_int_equal(last, I_SYNCFS);

	fl_tl_summarize(ev, n, t, &s);
	assert_int_equal(s.writes, uring == 2 ? 8 : 7);
	assert_int_equal(s.bytes, 100 + 200 + 300 + 50 + 100 + 33 + 70 + (uring == 2 ? 44 : 0));
	assert_int_equal(s.barriers, uring == 2 ? 7 : 6);
	assert_int_equal(s.uncovered_writes, 2);
	assert_int_equal(s.meta, 1);
	assert_int_equal(s.io_uring_calls, uring ? 3 : 0);
	assert_int_equal(s.io_uring_ops, uring == 2 ? 2 : 0);
	fl_tl_io_uring_note(&s, uring == 2, note, sizeof(note));
	if (uring == 1)
		assert_non_null(strstr(note, "not in this timeline"));
	if (uring == 2)
		assert_non_null(strstr(note, "recorded from its tracepoints"));
}

static void test_writes_and_barriers_under_the_data_dir_are_recorded_in_order(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_timeline *tl = NULL;
	const struct fl_tl_event *ev;
	char data[PATH_MAX];
	size_t n;
	pid_t bystander, pid;
	int uring;
	uint64_t t;
	int err;

	if (!require())
		skip();
	make_dirs(fx->path);
	join(data, sizeof(data), fx->path, "data");
	err = fl_timeline_open(data, &tl);
	assert_int_equal(err, 0);

	/* Not added: nothing of it may be recorded. Then the same program, added. */
	bystander = run_writer(tl, fx->path, true);
	pid = run_writer(tl, fx->path, false);
	t = now_ns();
	assert_true(fl_timeline_consume(tl) >= 0);
	assert_int_equal(fl_timeline_stop(tl), 0);
	assert_int_equal(fl_timeline_lost(tl), 0);
	ev = fl_timeline_events(tl, &n);
	uring = !uring_ran(fx->path) ? 0 : fl_timeline_io_uring_ops(tl) ? 2 : 1;
	if (uring == 1)
		print_message("note: no io_uring tracepoints here: only its syscalls are seen\n");
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(ev[i].pid, bystander);
	check_sequence(ev, n, pid, uring);
	assert_int_equal(fl_timeline_io_uring(tl), uring > 0);
	check_analysis(ev, n, uring, t);
	fl_timeline_free(tl);
}

static void test_a_pid_added_later_is_watched_with_the_first(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_timeline *tl = NULL;
	const struct fl_tl_event *ev;
	char data[PATH_MAX];
	size_t n, a = 0, b = 0;
	pid_t p1, p2;

	if (!require())
		skip();
	make_dirs(fx->path);
	join(data, sizeof(data), fx->path, "data");
	assert_int_equal(fl_timeline_open(data, &tl), 0);
	/* A service restarted after a crash: a new pid, added to the running timeline. */
	assert_int_equal(fl_timeline_start_thread(tl), 0);
	p1 = run_writer(tl, fx->path, false);
	p2 = run_writer(tl, fx->path, false);
	assert_int_equal(fl_timeline_stop(tl), 0);
	ev = fl_timeline_events(tl, &n);
	for (size_t i = 0; i < n; i++) {
		a += ev[i].pid == p1 && ev[i].kind == FL_TL_BARRIER;
		b += ev[i].pid == p2 && ev[i].kind == FL_TL_BARRIER;
	}
	/* Six barrier syscalls each, and the io_uring fsync where io_uring runs and is traced. */
	assert_true(a == 6 || a == 7);
	assert_int_equal(b, a);
	assert_int_equal(fl_timeline_lost(tl), 0);
	fl_timeline_free(tl);
}

/*
 * The data directory as the root of a faultfs mount, as `faultline rpo`
 * uses it: FUSE inodes, and a root whose stat() st_ino is the daemon's.
 */
static void test_writes_on_a_faultfs_mount_are_recorded(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_faultfs_mount m;
	struct fl_timeline *tl = NULL;
	const struct fl_tl_event *ev;
	char data[PATH_MAX], out[PATH_MAX];
	struct fl_target *t;
	size_t n, writes = 0, barriers = 0;
	int status;

	if (!require() || !fl_faultfs_require())
		skip();
	memset(&m, 0, sizeof(m));
	assert_int_equal(fl_faultfs_mount(NULL, &m), 0);
	join(data, sizeof(data), m.mnt, "");
	data[strlen(data) - 1] = '\0';
	join(out, sizeof(out), fx->path, "outside");
	assert_int_equal(mkdir(out, 0755), 0);
	char *argv[] = { bin_writer, data, out, NULL };

	assert_int_equal(fl_timeline_open(data, &tl), 0);
	assert_int_equal(fl_target_spawn_exec(argv, true, &t), 0);
	assert_int_equal(fl_timeline_add_pid(tl, t->pid), 0);
	assert_int_equal(fl_target_step(t), 0);
	assert_int_equal(fl_target_wait(t, &status, 20000), 0);
	fl_target_free(t);
	assert_int_equal(fl_timeline_stop(tl), 0);
	ev = fl_timeline_events(tl, &n);
	for (size_t i = 0; i < n; i++) {
		print_message("  %-16s %-6s ret=%lld scope=%d\n", ev[i].syscall, ev[i].path,
			      (long long)ev[i].ret, ev[i].scope);
		writes += ev[i].kind == FL_TL_WRITE;
		barriers += ev[i].kind == FL_TL_BARRIER;
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(writes >= 7);
	assert_true(barriers >= 6);
	assert_string_equal(ev[0].path, "log");
	fl_timeline_free(tl);
	fl_faultfs_unmount(&m);
}

/* pwrite(4096) [+ fdatasync] loop in this process: ns per iteration, best of 5 runs. */
static double loop_ns(struct fl_timeline *tl, int fd, int iters, bool sync)
{
	static char page[4096];
	double best = 0;

	for (int r = 0; r < 5; r++) {
		uint64_t t0 = now_ns();
		double x;

		for (int i = 0; i < iters; i++) {
			assert_int_equal(pwrite(fd, page, sizeof(page), 0), (ssize_t)sizeof(page));
			if (sync)
				assert_int_equal(fdatasync(fd), 0);
		}
		x = (double)(now_ns() - t0) / iters;
		best = !best || x < best ? x : best;
		if (tl)
			assert_true(fl_timeline_consume(tl) >= 0);
	}
	return best;
}

static void report(const char *what, const double *x)
{
	print_message("%s: native %.0f ns/iter, BPF loaded but process not watched %.0f "
		      "(%+.1f%%), watched %.0f (%+.1f%%)\n", what, x[0], x[1],
		      100.0 * (x[1] - x[0]) / x[0], x[2], 100.0 * (x[2] - x[0]) / x[0]);
}

static void test_overhead_on_a_write_fsync_loop_is_reported(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_timeline *tl = NULL;
	char data[PATH_MAX], file[PATH_MAX];
	double sync[3], nosync[3];
	int fd, iters = 2000;
	size_t n;

	if (!require())
		skip();
	make_dirs(fx->path);
	join(data, sizeof(data), fx->path, "data");
	join(file, sizeof(file), data, "bench");
	fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0644);
	assert_true(fd >= 0);
	loop_ns(NULL, fd, iters / 4, true);  /* warm up */
	sync[0] = loop_ns(NULL, fd, iters, true);
	nosync[0] = loop_ns(NULL, fd, 10 * iters, false);
	assert_int_equal(fl_timeline_open(data, &tl), 0);
	sync[1] = loop_ns(NULL, fd, iters, true);
	nosync[1] = loop_ns(NULL, fd, 10 * iters, false);
	assert_int_equal(fl_timeline_add_pid(tl, getpid()), 0);
	assert_int_equal(fl_timeline_start_thread(tl), 0);
	assert_int_equal(fl_timeline_consume(tl), -EBUSY);
	sync[2] = loop_ns(NULL, fd, iters, true);
	nosync[2] = loop_ns(NULL, fd, 10 * iters, false);
	assert_int_equal(fl_timeline_stop(tl), 0);
	fl_timeline_events(tl, &n);
	report("pwrite 4096 + fdatasync", sync);
	report("pwrite 4096 alone", nosync);
	print_message("%zu events, %llu lost, on %s\n", n,
		      (unsigned long long)fl_timeline_lost(tl), data);
	assert_int_equal(n + fl_timeline_lost(tl), (size_t)5 * iters * 2 + (size_t)5 * 10 * iters);
	close(fd);
	fl_timeline_free(tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_writes_and_barriers_under_the_data_dir_are_recorded_in_order, setup,
			fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_a_pid_added_later_is_watched_with_the_first,
						setup, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_writes_on_a_faultfs_mount_are_recorded, setup,
						fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_overhead_on_a_write_fsync_loop_is_reported,
						setup, fl_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
