// SPDX-License-Identifier: GPL-2.0-only
/*
 * The durability timeline's analysis on hand-made timelines: which barrier
 * covers which write (file, range, order, success), the exposure window,
 * the writes still uncovered at a time, and what io_uring hides.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/timeline.h>

#define MS 1000000ull
#define DEV 0x801ull
#define LOG 11ull
#define WAL 12ull

static struct fl_tl_event wr(uint64_t ino, int64_t off, uint64_t n, uint64_t in_ms,
			     uint64_t out_ms)
{
	return (struct fl_tl_event){ .kind = FL_TL_WRITE, .syscall = "pwrite64", .pid = 10,
				     .tid = 10, .fd = 3, .dev = DEV, .ino = ino, .ret = (int64_t)n,
				     .bytes = n, .enter_ns = in_ms * MS, .exit_ns = out_ms * MS,
				     .offset = off, .len = n };
}

static struct fl_tl_event bar(enum fl_tl_scope scope, uint64_t ino, uint64_t in_ms,
			      uint64_t out_ms)
{
	return (struct fl_tl_event){ .kind = FL_TL_BARRIER, .syscall = "fsync", .scope = scope,
				     .pid = 10, .tid = 10, .fd = 3, .dev = DEV, .ino = ino,
				     .enter_ns = in_ms * MS, .exit_ns = out_ms * MS,
				     .offset = -1 };
}

static struct fl_tl_event range(uint64_t ino, int64_t off, uint64_t len, uint64_t in_ms,
				uint64_t out_ms)
{
	struct fl_tl_event e = bar(FL_TL_SCOPE_RANGE, ino, in_ms, out_ms);

	e.syscall = "sync_file_range";
	e.offset = off;
	e.len = len;
	return e;
}

/*
 * Issue 12: with several clients, "acknowledged before a barrier covered
 * them" guessed the last write in each operation's window, which was often
 * another client's write, not yet synced: a durable setup looked unsafe.
 */
static void test_acks_are_judged_against_every_write_that_could_carry_them(void **state)
{
	struct fl_tl_event ev[] = {
		wr(LOG, 0, 100, 1, 2),             /* A's write */
		bar(FL_TL_SCOPE_FILE, LOG, 3, 6),  /* A's fsync: covers it */
		wr(LOG, 100, 100, 6, 7),           /* B's write, inside A's window */
		bar(FL_TL_SCOPE_FILE, LOG, 8, 12), /* B's fsync: after A's ack */
		wr(LOG, 200, 100, 21, 23),         /* C's write: never synced */
		wr(LOG, 300, 100, 41, 42),         /* E's write, O_DSYNC */
	};
	struct fl_tl_ack acks[] = {
		{ 0 * MS, 10 * MS },   /* A: its write was durable at 6: at most ambiguous */
		{ 5 * MS, 13 * MS },   /* B: durable at 12 */
		{ 20 * MS, 25 * MS },  /* C: certainly acknowledged before durable */
		{ 30 * MS, 31 * MS },  /* D: no write seen, not judged */
		{ 40 * MS, 45 * MS },  /* E: a sync write is durable when it returns */
	};
	struct fl_tl_ack_cover x;

	(void)state;
	ev[5].scope = FL_TL_SCOPE_DATA;
	ev[3].tid = ev[2].tid = 11;
	assert_int_equal(fl_tl_acks_uncovered(ev, 6, acks, 5, &x), 0);
	assert_int_equal(x.judged, 4);
	assert_int_equal(x.uncovered, 1);
	/* A: its window holds a protected write and an exposed one: cannot tell. */
	assert_int_equal(x.ambiguous, 1);
}

static void test_one_client_durable_writes_are_never_uncovered(void **state)
{
	struct fl_tl_event ev[] = {
		wr(LOG, 0, 100, 1, 2), bar(FL_TL_SCOPE_DATA, LOG, 2, 4),
		wr(LOG, 100, 100, 6, 7), bar(FL_TL_SCOPE_DATA, LOG, 7, 9),
		wr(LOG, 200, 100, 11, 12), bar(FL_TL_SCOPE_DATA, LOG, 12, 20),
	};
	struct fl_tl_ack acks[] = { { 0, 5 * MS }, { 5 * MS, 10 * MS }, { 10 * MS, 15 * MS } };
	struct fl_tl_ack_cover x;

	(void)state;
	assert_int_equal(fl_tl_acks_uncovered(ev, 6, acks, 3, &x), 0);
	assert_int_equal(x.judged, 3);
	/* The third was acknowledged at 15, its fdatasync returned at 20. */
	assert_int_equal(x.uncovered, 1);
	assert_int_equal(x.ambiguous, 0);
}

static void test_a_barrier_covers_only_writes_that_returned_before_it_began(void **state)
{
	struct fl_tl_event w = wr(LOG, 0, 100, 1, 2);
	struct fl_tl_event early = bar(FL_TL_SCOPE_FILE, LOG, 1, 5);  /* overlaps the write */
	struct fl_tl_event late = bar(FL_TL_SCOPE_FILE, LOG, 2, 5);

	(void)state;
	assert_false(fl_tl_covers(&early, &w));
	assert_true(fl_tl_covers(&late, &w));
}

static void test_a_file_barrier_covers_only_its_own_file(void **state)
{
	struct fl_tl_event w = wr(LOG, 0, 100, 1, 2);
	struct fl_tl_event other = bar(FL_TL_SCOPE_FILE, WAL, 3, 4);
	struct fl_tl_event data = bar(FL_TL_SCOPE_DATA, LOG, 3, 4);
	struct fl_tl_event fs = bar(FL_TL_SCOPE_FS, 0, 3, 4);
	struct fl_tl_event fs_other = bar(FL_TL_SCOPE_FS, 0, 3, 4);
	struct fl_tl_event all = bar(FL_TL_SCOPE_ALL, 0, 3, 4);

	(void)state;
	fs_other.dev = DEV + 1;
	all.dev = 0;
	assert_false(fl_tl_covers(&other, &w));
	assert_true(fl_tl_covers(&data, &w));
	assert_true(fl_tl_covers(&fs, &w));
	assert_false(fl_tl_covers(&fs_other, &w));
	assert_true(fl_tl_covers(&all, &w));
}

static void test_a_failed_or_non_flushing_barrier_covers_nothing(void **state)
{
	struct fl_tl_event w = wr(LOG, 0, 100, 1, 2);
	struct fl_tl_event eio = bar(FL_TL_SCOPE_FILE, LOG, 3, 4);
	struct fl_tl_event async = range(LOG, 0, 0, 3, 4);

	(void)state;
	eio.ret = -5;
	async.scope = FL_TL_SCOPE_NONE;  /* sync_file_range(WRITE) or msync(MS_ASYNC) */
	assert_false(fl_tl_is_barrier(&eio));
	assert_false(fl_tl_covers(&eio, &w));
	assert_false(fl_tl_covers(&async, &w));
}

static void test_a_range_barrier_covers_writes_inside_its_range_only(void **state)
{
	struct fl_tl_event in = wr(LOG, 4096, 100, 1, 2);
	struct fl_tl_event across = wr(LOG, 8150, 100, 1, 2);
	struct fl_tl_event unknown = wr(LOG, -1, 100, 1, 2);
	struct fl_tl_event r = range(LOG, 4096, 4096, 3, 4);
	struct fl_tl_event to_end = range(LOG, 4096, 0, 3, 4);

	(void)state;
	assert_true(fl_tl_covers(&r, &in));
	assert_false(fl_tl_covers(&r, &across));
	assert_true(fl_tl_covers(&to_end, &across));
	assert_false(fl_tl_covers(&to_end, &unknown));
}

static void test_a_sync_write_is_durable_when_it_returns(void **state)
{
	struct fl_tl_event ev[] = { wr(LOG, 0, 100, 1, 2), wr(LOG, 100, 100, 3, 4) };
	size_t idx[2];
	uint64_t bytes;

	(void)state;
	ev[0].scope = FL_TL_SCOPE_DATA;  /* O_DSYNC file */
	assert_true(fl_tl_is_barrier(&ev[0]));
	assert_int_equal(fl_tl_uncovered_writes(ev, 2, 10 * MS, idx, &bytes), 1);
	assert_int_equal(idx[0], 1);
	assert_int_equal(bytes, 100);
}

static void test_exposure_is_time_since_the_last_completed_barrier(void **state)
{
	struct fl_tl_event ev[] = {
		wr(LOG, 0, 100, 1, 2),
		bar(FL_TL_SCOPE_FILE, LOG, 3, 5),
		wr(LOG, 100, 50, 6, 7),
		wr(LOG, 150, 50, 8, 9),
		bar(FL_TL_SCOPE_FILE, LOG, 10, 30),   /* in flight at 20 ms */
	};
	struct fl_tl_exposure x;

	(void)state;
	fl_tl_exposure(ev, 5, 20 * MS, &x);
	assert_true(x.barrier_seen);
	assert_int_equal(x.barrier_idx, 1);
	assert_int_equal(x.last_barrier_ns, 5 * MS);
	assert_int_equal(x.window_ns, 15 * MS);
	assert_int_equal(x.writes_since, 2);
	assert_int_equal(x.bytes_since, 100);
	assert_int_equal(x.in_flight, 1);

	fl_tl_exposure(ev, 5, 31 * MS, &x);
	assert_int_equal(x.barrier_idx, 4);
	assert_int_equal(x.window_ns, 1 * MS);
	assert_int_equal(x.writes_since, 0);
}

static void test_exposure_without_any_barrier_says_so(void **state)
{
	struct fl_tl_event ev[] = { wr(LOG, 0, 100, 1, 2), wr(LOG, 100, 100, 3, 4) };
	struct fl_tl_exposure x;
	size_t idx;

	(void)state;
	fl_tl_exposure(ev, 2, 10 * MS, &x);
	assert_false(x.barrier_seen);
	assert_int_equal(x.window_ns, 0);
	assert_int_equal(x.writes_since, 2);
	assert_int_equal(fl_tl_last_barrier(ev, 2, 10 * MS, 0, 0, true, &idx), -ENOENT);
	fl_tl_exposure(NULL, 0, 10 * MS, &x);
	assert_false(x.barrier_seen);
}

static void test_last_barrier_for_a_file_skips_other_files_and_ranges(void **state)
{
	struct fl_tl_event ev[] = {
		bar(FL_TL_SCOPE_FS, 0, 1, 2),
		bar(FL_TL_SCOPE_FILE, LOG, 3, 4),
		bar(FL_TL_SCOPE_FILE, WAL, 5, 6),
		range(LOG, 0, 0, 7, 8),
	};
	size_t idx;

	(void)state;
	assert_int_equal(fl_tl_last_barrier(ev, 4, 10 * MS, DEV, LOG, false, &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(fl_tl_last_barrier(ev, 4, 10 * MS, DEV, LOG, true, &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(fl_tl_last_barrier(ev, 4, 10 * MS, DEV, WAL, true, &idx), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(fl_tl_last_barrier(ev, 4, 10 * MS, DEV, 99, true, &idx), 0);
	assert_int_equal(idx, 0);  /* only the syncfs reached it */
	assert_int_equal(fl_tl_last_barrier(ev, 4, 1 * MS, DEV, LOG, true, &idx), -ENOENT);
}

static void test_refs_get_the_first_barrier_that_covered_them(void **state)
{
	struct fl_tl_event ev[] = {
		bar(FL_TL_SCOPE_FILE, WAL, 3, 4),     /* another file */
		bar(FL_TL_SCOPE_FILE, LOG, 5, 40),    /* slow */
		bar(FL_TL_SCOPE_DATA, LOG, 6, 8),     /* entered later, done first */
		bar(FL_TL_SCOPE_FILE, LOG, 50, 60),   /* after t */
	};
	struct fl_tl_write_ref refs[] = {
		{ .end_ns = 2 * MS, .dev = DEV, .ino = LOG, .offset = 0, .len = 10 },
		{ .end_ns = 7 * MS, .dev = DEV, .ino = LOG, .offset = 10, .len = 10 },
		{ .end_ns = 7 * MS, .dev = DEV, .ino = WAL, .offset = 0, .len = 10 },
	};

	(void)state;
	assert_int_equal(fl_tl_cover_refs(ev, 4, 45 * MS, refs, 3), 2);
	assert_int_equal(refs[0].covered_ns, 8 * MS);
	assert_int_equal(refs[0].barrier_idx, 2);
	assert_int_equal(refs[1].covered_ns, 0);  /* only the barrier at 50 ms, after t */
	assert_int_equal(refs[2].covered_ns, 0);
	assert_int_equal(fl_tl_cover_refs(ev, 4, 60 * MS, refs, 3), 1);
	assert_int_equal(refs[1].covered_ns, 60 * MS);
}

static void test_uncovered_writes_at_t_and_acknowledged_before_covered(void **state)
{
	struct fl_tl_event ev[] = {
		wr(LOG, 0, 100, 1, 2),
		wr(LOG, 100, 100, 3, 4),
		bar(FL_TL_SCOPE_FILE, LOG, 5, 9),
		wr(LOG, 200, 100, 10, 11),
		wr(WAL, 0, 10, 12, 13),
	};
	struct fl_tl_write_ref ref;
	size_t idx[5], w;
	uint64_t bytes;

	(void)state;
	assert_int_equal(fl_tl_uncovered_writes(ev, 5, 20 * MS, idx, &bytes), 2);
	assert_int_equal(idx[0], 3);
	assert_int_equal(idx[1], 4);
	assert_int_equal(bytes, 110);
	/* Before the fsync returned, the first two were not covered either. */
	assert_int_equal(fl_tl_uncovered_writes(ev, 5, 8 * MS, NULL, &bytes), 2);
	assert_int_equal(bytes, 200);

	/* An op invoked at 2.5 ms, acknowledged at 4.5 ms: carried by write 1, covered at 9. */
	assert_int_equal(fl_tl_op_write(ev, 5, 10, 2 * MS + MS / 2, 4 * MS + MS / 2, &w), 0);
	assert_int_equal(w, 1);
	memset(&ref, 0, sizeof(ref));
	ref.end_ns = ev[w].exit_ns;
	ref.dev = ev[w].dev;
	ref.ino = ev[w].ino;
	ref.offset = ev[w].offset;
	ref.len = ev[w].bytes;
	assert_int_equal(fl_tl_cover_refs(ev, 5, 20 * MS, &ref, 1), 0);
	assert_true(ref.covered_ns > 4 * MS + MS / 2);  /* acknowledged before covered */
	assert_int_equal(fl_tl_op_write(ev, 5, 99, 0, 20 * MS, &w), -ENOENT);
}

static void test_summary_counts_and_io_uring_note(void **state)
{
	struct fl_tl_event ev[] = {
		wr(LOG, 0, 100, 1, 2),
		bar(FL_TL_SCOPE_FILE, LOG, 3, 4),
		bar(FL_TL_SCOPE_FILE, LOG, 5, 6),
		{ .kind = FL_TL_IO_URING, .syscall = "io_uring_enter", .enter_ns = 7 * MS,
		  .exit_ns = 8 * MS, .ret = 1 },
		wr(LOG, 100, 50, 9, 10),
	};
	struct fl_tl_summary s;
	char note[256];

	(void)state;
	ev[2].ret = -5;
	fl_tl_summarize(ev, 5, 20 * MS, &s);
	assert_int_equal(s.writes, 2);
	assert_int_equal(s.bytes, 150);
	assert_int_equal(s.barriers, 2);
	assert_int_equal(s.failed_barriers, 1);
	assert_int_equal(s.io_uring_calls, 1);
	assert_int_equal(s.uncovered_writes, 1);
	assert_int_equal(s.uncovered_bytes, 50);
	assert_int_equal(s.exposure.barrier_idx, 1);  /* the failed fsync does not count */
	fl_tl_io_uring_note(&s, false, note, sizeof(note));
	assert_non_null(strstr(note, "not in this timeline"));
	fl_tl_io_uring_note(&s, true, note, sizeof(note));
	assert_non_null(strstr(note, "offsets of io_uring writes"));
	s.io_uring_calls = 0;
	fl_tl_io_uring_note(&s, true, note, sizeof(note));
	assert_string_equal(note, "");
}

static void test_meta_paths_are_judged_against_the_data_dir(void **state)
{
	struct fl_tl_event e = { .kind = FL_TL_META, .syscall = "rename" };

	(void)state;
	strcpy(e.path, "/srv/db/wal/000001");
	assert_true(fl_tl_meta_under(&e, "/srv/db"));
	assert_true(fl_tl_meta_under(&e, "/srv/db/"));
	assert_false(fl_tl_meta_under(&e, "/srv/d"));
	strcpy(e.path, "/srv/db/../etc/x");
	assert_false(fl_tl_meta_under(&e, "/srv/db"));
	strcpy(e.path, "wal/000001");
	assert_false(fl_tl_meta_under(&e, "/srv/db"));
	e.flags = FL_TL_F_UNDER;
	assert_true(fl_tl_meta_under(&e, "/srv/db"));
	strcpy(e.path, "../x");
	assert_false(fl_tl_meta_under(&e, "/srv/db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_barrier_covers_only_writes_that_returned_before_it_began),
		cmocka_unit_test(test_a_file_barrier_covers_only_its_own_file),
		cmocka_unit_test(test_a_failed_or_non_flushing_barrier_covers_nothing),
		cmocka_unit_test(test_a_range_barrier_covers_writes_inside_its_range_only),
		cmocka_unit_test(test_a_sync_write_is_durable_when_it_returns),
		cmocka_unit_test(test_exposure_is_time_since_the_last_completed_barrier),
		cmocka_unit_test(test_exposure_without_any_barrier_says_so),
		cmocka_unit_test(test_last_barrier_for_a_file_skips_other_files_and_ranges),
		cmocka_unit_test(test_acks_are_judged_against_every_write_that_could_carry_them),
		cmocka_unit_test(test_one_client_durable_writes_are_never_uncovered),
		cmocka_unit_test(test_refs_get_the_first_barrier_that_covered_them),
		cmocka_unit_test(test_uncovered_writes_at_t_and_acknowledged_before_covered),
		cmocka_unit_test(test_summary_counts_and_io_uring_note),
		cmocka_unit_test(test_meta_paths_are_judged_against_the_data_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
