// SPDX-License-Identifier: GPL-2.0-only
/*
 * The write log: line format, seq order under concurrent appenders, exact
 * paths whatever their bytes, and followers (backlog, live lines, a slow
 * follower dropped without slowing writers).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <faultline/rule.h>

#include "helpers/fixtures.h"
#include "wlog.h"
#include "wlog_priv.h"

struct ctx {
	char dir[PATH_MAX];
	int dirfd;
	struct ffs_wlog *w;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c || fl_fixture_tmpdir_create(c->dir, sizeof(c->dir)))
		return -1;
	c->dirfd = open(c->dir, O_PATH | O_DIRECTORY);
	if (c->dirfd < 0 || ffs_wlog_open(c->dirfd, "wlog.jsonl", &c->w))
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	ffs_wlog_close(c->w);
	close(c->dirfd);
	fl_fixture_tmpdir_destroy(c->dir);
	free(c);
	return 0;
}

/* Every line of the log file, parsed. */
static json_t *read_log(struct ctx *c)
{
	char path[PATH_MAX + 16], *line = NULL;
	size_t cap = 0;
	json_t *arr = json_array();
	FILE *f;

	snprintf(path, sizeof(path), "%s/wlog.jsonl", c->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);

		if (!o)
			fail_msg("bad line '%s': %s", line, jerr.text);
		json_array_append_new(arr, o);
	}
	free(line);
	fclose(f);
	return arr;
}

static void test_write_entry_has_every_field(void **state)
{
	struct ctx *c = *state;
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_WRITE, .path = "/db/a.wal", .ino = 42,
				    .off = 4096, .len = 512, .crc32 = 0xdeadbeef };
	json_t *log, *o;

	assert_int_equal(ffs_wlog_append(c->w, &e), 1);
	e.kind = FFS_WLOG_FSYNC;
	e.result = -EIO;
	assert_int_equal(ffs_wlog_append(c->w, &e), 2);
	log = read_log(c);
	assert_int_equal(json_array_size(log), 2);
	o = json_array_get(log, 0);
	assert_int_equal(json_integer_value(json_object_get(o, "seq")), 1);
	assert_true(json_integer_value(json_object_get(o, "ts_ns")) > 0);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "time"))), 27);
	assert_string_equal(json_string_value(json_object_get(o, "op")), "write");
	assert_string_equal(json_string_value(json_object_get(o, "path")), "/db/a.wal");
	assert_int_equal(json_integer_value(json_object_get(o, "ino")), 42);
	assert_int_equal(json_integer_value(json_object_get(o, "off")), 4096);
	assert_int_equal(json_integer_value(json_object_get(o, "len")), 512);
	assert_string_equal(json_string_value(json_object_get(o, "crc32")), "deadbeef");
	assert_int_equal(json_integer_value(json_object_get(o, "result")), 0);
	o = json_array_get(log, 1);
	assert_string_equal(json_string_value(json_object_get(o, "op")), "fsync");
	assert_null(json_object_get(o, "crc32"));
	assert_string_equal(json_string_value(json_object_get(o, "result")), "EIO");
	json_decref(log);
}

static void test_rename_has_path2_and_fault_detail_is_a_string(void **state)
{
	struct ctx *c = *state;
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_RENAME, .path = "/a", .path2 = "/b" };
	json_t *log;

	ffs_wlog_append(c->w, &e);
	e = (struct ffs_wlog_entry){ .kind = FFS_WLOG_FAULT, .path = "/a",
				     .detail = "rule 0 write:error=EIO" };
	ffs_wlog_append(c->w, &e);
	e = (struct ffs_wlog_entry){ .kind = FFS_WLOG_POWERCUT, .path = "/",
				     .detail = "{\"writes_undone\":3}" };
	ffs_wlog_append(c->w, &e);
	log = read_log(c);
	assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "path2")), "/b");
	assert_string_equal(json_string_value(json_object_get(json_array_get(log, 1), "detail")),
			    "rule 0 write:error=EIO");
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(json_array_get(log, 2), "detail"), "writes_undone")), 3);
	json_decref(log);
}

static void test_odd_paths_are_escaped_and_kept_exactly(void **state)
{
	struct ctx *c = *state;
	const char weird[] = "/q\"b\\s\nt\tc\x01\x7f\xc3\xa9";   /* valid UTF-8 with controls */
	const char bad[] = "/bin\xff\xfe\xc3(x";                  /* not UTF-8 */
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_CREATE, .path = weird };
	json_t *log, *o;

	ffs_wlog_append(c->w, &e);
	e.path = bad;
	e.path2 = weird;
	e.kind = FFS_WLOG_RENAME;
	ffs_wlog_append(c->w, &e);
	log = read_log(c);
	o = json_array_get(log, 0);
	assert_string_equal(json_string_value(json_object_get(o, "path")), weird);
	assert_null(json_object_get(o, "path_b64"));
	o = json_array_get(log, 1);
	/* Lossy for display, exact in base64. */
	assert_string_equal(json_string_value(json_object_get(o, "path")),
			    "/bin\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(x");
	assert_string_equal(json_string_value(json_object_get(o, "path_b64")), "L2Jpbv/+wyh4");
	assert_string_equal(json_string_value(json_object_get(o, "path2")), weird);
	json_decref(log);
}

static void test_utf8_validation_refuses_overlong_and_surrogates(void **state)
{
	struct ffs_sbuf b = { 0 };

	assert_false(ffs_json_string(&b, "\xc0\xaf", 2));      /* overlong '/' */
	assert_false(ffs_json_string(&b, "\xed\xa0\x80", 3));  /* surrogate */
	assert_false(ffs_json_string(&b, "\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_true(ffs_json_string(&b, "\xf0\x9f\x98\x80", 4)); /* emoji */
	ffs_sbuf_free(&b);
}

struct appender {
	struct ffs_wlog *w;
	int id;
};

#define APPENDERS 8
#define PER_APPENDER 2000

static void *append_thread(void *arg)
{
	struct appender *a = arg;
	char path[32];

	snprintf(path, sizeof(path), "/t%d", a->id);
	for (int i = 0; i < PER_APPENDER; i++) {
		struct ffs_wlog_entry e = { .kind = FFS_WLOG_WRITE, .path = path, .off = i };

		if (ffs_wlog_append(a->w, &e) <= 0)
			return (void *)1;
	}
	return NULL;
}

static void test_seq_is_strictly_increasing_in_file_order_under_concurrent_appenders(void **state)
{
	struct ctx *c = *state;
	struct appender a[APPENDERS];
	pthread_t t[APPENDERS];
	int64_t last_off[APPENDERS];
	json_t *log;
	uint64_t prev_ts = 0;
	void *rv;

	for (int i = 0; i < APPENDERS; i++) {
		a[i] = (struct appender){ c->w, i };
		last_off[i] = -1;
		assert_int_equal(pthread_create(&t[i], NULL, append_thread, &a[i]), 0);
	}
	for (int i = 0; i < APPENDERS; i++) {
		pthread_join(t[i], &rv);
		assert_null(rv);
	}
	log = read_log(c);
	assert_int_equal(json_array_size(log), APPENDERS * PER_APPENDER);
	for (size_t i = 0; i < json_array_size(log); i++) {
		json_t *o = json_array_get(log, i);
		int id = atoi(json_string_value(json_object_get(o, "path")) + 2);
		uint64_t ts = (uint64_t)json_integer_value(json_object_get(o, "ts_ns"));

		assert_int_equal(json_integer_value(json_object_get(o, "seq")), i + 1);
		assert_true(ts >= prev_ts);
		prev_ts = ts;
		/* Each appender's own entries stay in its order. */
		assert_true(json_integer_value(json_object_get(o, "off")) > last_off[id]);
		last_off[id] = json_integer_value(json_object_get(o, "off"));
	}
	json_decref(log);
}

static void test_reopened_log_continues_the_seq(void **state)
{
	struct ctx *c = *state;
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_MKDIR, .path = "/d" };

	ffs_wlog_append(c->w, &e);
	ffs_wlog_append(c->w, &e);
	ffs_wlog_close(c->w);
	assert_int_equal(ffs_wlog_open(c->dirfd, "wlog.jsonl", &c->w), 0);
	assert_int_equal(ffs_wlog_last_seq(c->w), 2);
	assert_int_equal(ffs_wlog_append(c->w, &e), 3);
}

/* Read lines from fd until n lines or timeout; returns how many. */
static int read_lines(int fd, json_t *out, int n, int timeout_ms)
{
	static char buf[1 << 16];
	static size_t have;
	int got = 0;

	if (!out) {
		have = 0;
		return 0;
	}
	while (got < n) {
		char *nl;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		while (got < n && (nl = memchr(buf, '\n', have))) {
			*nl = '\0';
			json_array_append_new(out, json_loads(buf, 0, NULL));
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			got++;
		}
		if (got == n)
			break;
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		k = read(fd, buf + have, sizeof(buf) - have);
		if (k <= 0)
			break;
		have += (size_t)k;
	}
	return got;
}

static void append_n(struct ffs_wlog *w, int n)
{
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_WRITE, .path = "/f", .len = 1 };

	for (int i = 0; i < n; i++)
		assert_true(ffs_wlog_append(w, &e) > 0);
}

static void test_follower_gets_backlog_from_since_then_live_lines_in_order(void **state)
{
	struct ctx *c = *state;
	json_t *lines = json_array();
	int sv[2];

	append_n(c->w, 10);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ffs_wlog_follow(c->w, sv[1], 4), 0);
	append_n(c->w, 5);
	read_lines(-1, NULL, 0, 0);
	assert_int_equal(read_lines(sv[0], lines, 12, 2000), 12);
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(json_integer_value(json_object_get(json_array_get(lines, i), "seq")),
				 i + 4);
	/* Nothing more than that. */
	assert_int_equal(read_lines(sv[0], lines, 1, 100), 0);
	close(sv[0]);
	json_decref(lines);
}

static void test_dump_writes_backlog_and_returns(void **state)
{
	struct ctx *c = *state;
	json_t *lines = json_array();
	int sv[2];

	append_n(c->w, 5);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ffs_wlog_dump(c->w, sv[1], 2), 0);
	close(sv[1]);
	read_lines(-1, NULL, 0, 0);
	assert_int_equal(read_lines(sv[0], lines, 10, 500), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(lines, 0), "seq")), 2);
	close(sv[0]);
	json_decref(lines);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_slow_follower_is_dropped_with_an_error_line_and_never_blocks_writers(void **state)
{
	struct ctx *c = *state;
	char *buf = malloc(1 << 20), *last;
	int sv[2], sz = 4096;
	size_t have = 0;
	ssize_t k;
	uint64_t t0;

	ffs_wlog_set_follow_limit(c->w, 16);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	assert_int_equal(ffs_wlog_follow(c->w, sv[1], 1), 0);
	/* Nobody reads sv[0]: the socket fills, then the queue. */
	t0 = mono_ms();
	append_n(c->w, 20000);
	assert_true(mono_ms() - t0 < 5000);
	/* Now read everything until the log hangs up on us. */
	while ((k = read(sv[0], buf + have, (1 << 20) - have - 1)) > 0)
		have += (size_t)k;
	buf[have] = '\0';
	assert_true(have > 0 && buf[have - 1] == '\n');
	buf[have - 1] = '\0';
	last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	assert_non_null(strstr(last, "{\"error\":\"follower too slow, "));
	assert_non_null(strstr(last, " entries dropped\"}"));
	close(sv[0]);
	free(buf);
}

static void test_follower_that_hangs_up_is_reaped(void **state)
{
	struct ctx *c = *state;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ffs_wlog_follow(c->w, sv[1], 1), 0);
	close(sv[0]);
	usleep(50000);
	append_n(c->w, 3);
	/* The next follow reaps the dead one; close joins cleanly (teardown). */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ffs_wlog_follow(c->w, sv[1], 1), 0);
	close(sv[0]);
}

static void test_close_with_a_stuck_follower_does_not_hang(void **state)
{
	struct ctx *c = *state;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	append_n(c->w, 5000);
	assert_int_equal(ffs_wlog_follow(c->w, sv[1], 1), 0);
	usleep(50000);
	ffs_wlog_close(c->w);
	c->w = NULL;
	close(sv[0]);
	assert_int_equal(ffs_wlog_open(c->dirfd, "wlog.jsonl", &c->w), 0);
}

/*
 * The hand-written integer and time formatting gives the bytes printf and
 * strftime gave: the format is read by tools and tests, byte for byte.
 */
static void old_body(const struct ffs_wlog_entry *e, char *out, size_t n)
{
	char res[64];
	int k;

	if (!e->result)
		snprintf(res, sizeof(res), ",\"result\":0");
	else if (fl_errno_name(e->result < 0 ? -e->result : e->result))
		snprintf(res, sizeof(res), ",\"result\":\"%s\"",
			 fl_errno_name(e->result < 0 ? -e->result : e->result));
	else
		snprintf(res, sizeof(res), ",\"result\":%d", e->result);
	k = snprintf(out, n, ",\"op\":\"%s\",\"path\":\"%s\",\"ino\":%llu,\"off\":%lld,\"len\":%llu",
		     ffs_wlog_kind_name(e->kind), e->path, (unsigned long long)e->ino,
		     (long long)e->off, (unsigned long long)e->len);
	if (e->kind == FFS_WLOG_WRITE)
		k += snprintf(out + k, n - (size_t)k, ",\"crc32\":\"%08x\"", e->crc32);
	snprintf(out + k, n - (size_t)k, "%s}\n", res);
}

static void test_numbers_and_time_format_as_printf_and_strftime_did(void **state)
{
	static const struct ffs_wlog_entry entries[] = {
		{ .kind = FFS_WLOG_WRITE, .path = "/a", .ino = 0, .off = 0, .len = 0, .crc32 = 0 },
		{ .kind = FFS_WLOG_WRITE, .path = "/b", .ino = UINT64_MAX, .off = INT64_MAX,
		  .len = UINT64_MAX, .crc32 = 0xffffffffu },
		{ .kind = FFS_WLOG_WRITE, .path = "/c", .ino = 1311, .off = INT64_MIN, .len = 4096,
		  .crc32 = 0x9a0b7c2eu, .result = -EIO },
		{ .kind = FFS_WLOG_TRUNCATE, .path = "/d", .ino = 10, .off = -1, .len = 9,
		  .result = -ENOSPC },
		{ .kind = FFS_WLOG_UNLINK, .path = "/e", .result = -4000 },
		{ .kind = FFS_WLOG_CREATE, .path = "/f", .ino = 1234567890123ull, .result = 7 },
	};
	static const time_t secs[] = { 0, 59, 951782400, 1764988799, 1764988800, 4102444799 };
	struct ffs_wlog_clock clk = { 0 };
	char want[512], pre[FFS_WLOG_PREFIX_MAX], when[40];
	struct tm tm;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		char line[64];
		struct ffs_sbuf b = FFS_SBUF_ON(line);

		old_body(&entries[i], want, sizeof(want));
		assert_int_equal(ffs_wlog_format_body(&entries[i], &b), 0);
		assert_string_equal(b.s, want);
		ffs_sbuf_free(&b);
	}
	/* Each second twice (the cached calendar part), then the next one. */
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		static const long nsecs[] = { 0, 999, 1000, 123456789, 999999999 };

		for (size_t j = 0; j < sizeof(nsecs) / sizeof(nsecs[0]); j++) {
			struct timespec rt = { .tv_sec = secs[i], .tv_nsec = nsecs[j] };
			uint64_t seq = j ? UINT64_MAX - j : 1, ts = j * 1000000007ull;

			gmtime_r(&rt.tv_sec, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(want, sizeof(want),
				 "{\"seq\":%llu,\"ts_ns\":%llu,\"time\":\"%s.%06ldZ\"",
				 (unsigned long long)seq, (unsigned long long)ts, when,
				 rt.tv_nsec / 1000);
			n = ffs_wlog_format_prefix(pre, &clk, seq, ts, &rt);
			assert_int_equal(n, strlen(want));
			assert_memory_equal(pre, want, n);
		}
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_write_entry_has_every_field),
		T(test_rename_has_path2_and_fault_detail_is_a_string),
		T(test_odd_paths_are_escaped_and_kept_exactly),
		T(test_utf8_validation_refuses_overlong_and_surrogates),
		T(test_seq_is_strictly_increasing_in_file_order_under_concurrent_appenders),
		T(test_reopened_log_continues_the_seq),
		T(test_follower_gets_backlog_from_since_then_live_lines_in_order),
		T(test_dump_writes_backlog_and_returns),
		T(test_slow_follower_is_dropped_with_an_error_line_and_never_blocks_writers),
		T(test_follower_that_hangs_up_is_reaped),
		T(test_close_with_a_stuck_follower_does_not_hang),
		cmocka_unit_test(test_numbers_and_time_format_as_printf_and_strftime_did),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
