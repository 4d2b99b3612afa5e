// SPDX-License-Identifier: GPL-2.0-only
/* Injection events as JSON lines, the event log and per-rule counters. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include <faultline/event.h>
#include <faultline/probe.h>
#include <faultline/rule.h>

#include "helpers/fixtures.h"

/* 2026-11-25T17:02:08.123456789Z expressed as monotonic 5 s + offset. */
#define MONO_NS   5000000000ULL
#define WALL_SEC  1795626128LL

static int64_t fixed_offset(void)
{
	return WALL_SEC * 1000000000LL + 123456789LL - (int64_t)MONO_NS;
}

static struct fl_event sample(void)
{
	struct fl_event ev = {
		.ts_ns = MONO_NS, .pid = 4242, .tid = 4243, .comm = "postgres",
		.domain = FL_DOMAIN_SYSCALL, .rule_id = 0,
		.action = FL_ACTION_SIGNAL, .mechanism = FL_MECH_SEND_SIGNAL,
		.result = FL_RESULT_INJECTED, .value = SIGKILL, .seq = 3,
	};

	ev.op = fl_syscall_nr("fsync");
	return ev;
}

static json_t *render(const struct fl_event *ev)
{
	char buf[FL_EVENT_JSON_MAX + 1];
	json_error_t jerr;
	json_t *j;
	int n;

	n = fl_event_to_json_offset(ev, fixed_offset(), buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(strlen(buf), n);
	assert_null(strchr(buf, '\n'));
	j = json_loads(buf, 0, &jerr);
	if (!j)
		fail_msg("invalid JSON (%s): %s", jerr.text, buf);
	return j;
}

static const char *str(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_signal_event_renders_exact_line(void **state)
{
	struct fl_event ev = sample();
	char buf[FL_EVENT_JSON_MAX + 1], want[FL_EVENT_JSON_MAX + 1];

	assert_true(ev.op >= 0);
	snprintf(want, sizeof(want),
		 "{\"ts_ns\":5000000000,\"time\":\"2026-11-25T17:02:08.123456Z\","
		 "\"pid\":4242,\"tid\":4243,\"comm\":\"postgres\",\"domain\":\"%s\","
		 "\"rule\":0,\"action\":\"%s\",\"mechanism\":\"%s\","
		 "\"result\":\"injected\",\"op\":\"fsync\",\"op_nr\":%d,"
		 "\"value\":9,\"value_name\":\"SIGKILL\",\"seq\":3}",
		 fl_domain_name(FL_DOMAIN_SYSCALL), fl_action_name(FL_ACTION_SIGNAL),
		 fl_mechanism_name(FL_MECH_SEND_SIGNAL), ev.op);
	assert_int_equal(fl_event_to_json_offset(&ev, fixed_offset(), buf, sizeof(buf)),
			 strlen(want));
	assert_string_equal(buf, want);
}

static void test_error_event_names_the_errno(void **state)
{
	struct fl_event ev = sample();
	json_t *j;

	ev.action = FL_ACTION_ERROR;
	ev.value = EIO;
	j = render(&ev);
	assert_string_equal(str(j, "value_name"), "EIO");
	assert_int_equal(json_integer_value(json_object_get(j, "value")), EIO);
	json_decref(j);
}

static void test_delay_event_names_the_duration(void **state)
{
	struct fl_event ev = sample();
	json_t *j;

	ev.action = FL_ACTION_DELAY;
	ev.value = 20000000;
	j = render(&ev);
	assert_string_equal(str(j, "value_name"), "20ms");
	json_decref(j);
	ev.value = 1500000000;
	j = render(&ev);
	assert_string_equal(str(j, "value_name"), "1.5s");
	json_decref(j);
}

static void test_failed_result_names_the_mechanism_errno(void **state)
{
	struct fl_event ev = sample();
	json_t *j;

	ev.result = FL_RESULT_FAILED;
	ev.value = -EPERM;
	j = render(&ev);
	assert_string_equal(str(j, "result"), "failed");
	assert_string_equal(str(j, "value_name"), "EPERM");
	json_decref(j);
}

static void test_action_without_named_value_has_no_value_name(void **state)
{
	struct fl_event ev = sample();
	json_t *j;

	ev.action = FL_ACTION_RETVAL;
	ev.value = 0;
	j = render(&ev);
	assert_null(json_object_get(j, "value_name"));
	json_decref(j);
}

static void test_unknown_or_non_syscall_op_renders_null_name(void **state)
{
	struct fl_event ev = sample();
	json_t *j;

	ev.op = -1;
	j = render(&ev);
	assert_true(json_is_null(json_object_get(j, "op")));
	assert_int_equal(json_integer_value(json_object_get(j, "op_nr")), -1);
	json_decref(j);

	ev = sample();
	ev.domain = FL_DOMAIN_FS;
	ev.op = 3;
	j = render(&ev);
	assert_true(json_is_null(json_object_get(j, "op")));
	assert_string_equal(str(j, "domain"), fl_domain_name(FL_DOMAIN_FS));
	json_decref(j);
}

static void test_comm_with_quotes_and_control_bytes_stays_valid_json(void **state)
{
	struct fl_event ev = sample();
	json_t *j;

	memcpy(ev.comm, "a\"b\\c\n\x01\xff" "01234567", FL_COMM_LEN); /* no NUL */
	j = render(&ev);
	assert_int_equal(strlen(str(j, "comm")), FL_COMM_LEN + 1); /* 0xff became U+00FF */
	assert_memory_equal(str(j, "comm"), "a\"b\\c\n\x01\xc3\xbf", 9);
	json_decref(j);
}

static void test_all_keys_are_present(void **state)
{
	static const char *const keys[] = {
		"ts_ns", "time", "pid", "tid", "comm", "domain", "rule", "action",
		"mechanism", "result", "op", "op_nr", "value", "seq",
	};
	struct fl_event ev = sample();
	json_t *j = render(&ev);

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(j, keys[i]));
	json_decref(j);
}

static void test_small_buffer_gives_enobufs_and_leaves_it_untouched(void **state)
{
	struct fl_event ev = sample();
	char buf[32];

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(fl_event_to_json(&ev, buf, sizeof(buf)), -ENOBUFS);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z');
}

static void test_clock_offset_maps_monotonic_now_to_wall_clock(void **state)
{
	struct timespec m, r;
	int64_t wall, mono;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	mono = (int64_t)m.tv_sec * 1000000000LL + m.tv_nsec;
	wall = (int64_t)r.tv_sec * 1000000000LL + r.tv_nsec;
	assert_true(llabs(mono + fl_event_clock_offset() - wall) < 10000000LL);
	/* Sampled once: stable across calls. */
	assert_true(fl_event_clock_offset() == fl_event_clock_offset());
}

static int count_valid_lines(const char *path, int *ret_bad)
{
	char line[1024];
	int n = 0, bad = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);

		if (!j || !json_is_object(j))
			bad++;
		json_decref(j);
		n++;
	}
	fclose(f);
	*ret_bad = bad;
	return n;
}

static void test_event_log_appends_one_json_line_per_event(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_event_log *log;
	struct fl_event ev = sample();
	char path[PATH_MAX + 16];
	int bad;

	snprintf(path, sizeof(path), "%s/events.jsonl", fx->path);
	assert_int_equal(fl_event_log_open(path, &log), 0);
	for (int i = 0; i < 3; i++) {
		ev.seq = i + 1;
		assert_int_equal(fl_event_log_write(log, &ev), 0);
	}
	fl_event_log_close(log);
	assert_int_equal(count_valid_lines(path, &bad), 3);
	assert_int_equal(bad, 0);
}

static void test_event_log_lines_of_concurrent_writers_never_interleave(void **state)
{
	struct fl_fixture *fx = *state;
	char path[PATH_MAX + 16];
	pid_t pids[4];
	int bad;

	snprintf(path, sizeof(path), "%s/events.jsonl", fx->path);
	for (int w = 0; w < 4; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			struct fl_event_log *log;
			struct fl_event ev = sample();

			if (fl_event_log_open(path, &log))
				_exit(1);
			ev.pid = 100 + w;
			for (int i = 0; i < 500; i++) {
				ev.seq = i;
				if (fl_event_log_write(log, &ev))
					_exit(1);
			}
			fl_event_log_close(log);
			_exit(0);
		}
	}
	for (int w = 0; w < 4; w++) {
		int status;

		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(count_valid_lines(path, &bad), 2000);
	assert_int_equal(bad, 0);
}

static void test_event_log_open_of_missing_dir_fails_with_errno(void **state)
{
	struct fl_event_log *log = (void *)0x1;

	assert_int_equal(fl_event_log_open("/nonexistent-dir/x.jsonl", &log), -ENOENT);
	assert_ptr_equal(log, (void *)0x1);
}

static void test_rule_stats_count_by_result_and_reject_unknown_rule(void **state)
{
	struct fl_rule_stats stats[2] = { 0 };
	struct fl_event ev = sample();

	ev.rule_id = 1;
	assert_int_equal(fl_rule_stats_add(stats, 2, &ev), 0);
	ev.result = FL_RESULT_SKIPPED;
	assert_int_equal(fl_rule_stats_add(stats, 2, &ev), 0);
	ev.result = FL_RESULT_FAILED;
	assert_int_equal(fl_rule_stats_add(stats, 2, &ev), 0);
	assert_int_equal(stats[1].matched, 3);
	assert_int_equal(stats[1].injected, 1);
	assert_int_equal(stats[1].failed, 1);
	assert_int_equal(stats[0].matched, 0);
	ev.rule_id = 2;
	assert_int_equal(fl_rule_stats_add(stats, 2, &ev), -ERANGE);
}

static void test_ring_open_rejects_bad_fd(void **state)
{
	struct fl_event_ring *ring = NULL;

	assert_int_equal(fl_event_ring_open(-1, NULL, NULL, &ring), -EINVAL);
	assert_null(ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_event_renders_exact_line),
		cmocka_unit_test(test_error_event_names_the_errno),
		cmocka_unit_test(test_delay_event_names_the_duration),
		cmocka_unit_test(test_failed_result_names_the_mechanism_errno),
		cmocka_unit_test(test_action_without_named_value_has_no_value_name),
		cmocka_unit_test(test_unknown_or_non_syscall_op_renders_null_name),
		cmocka_unit_test(test_comm_with_quotes_and_control_bytes_stays_valid_json),
		cmocka_unit_test(test_all_keys_are_present),
		cmocka_unit_test(test_small_buffer_gives_enobufs_and_leaves_it_untouched),
		cmocka_unit_test(test_clock_offset_maps_monotonic_now_to_wall_clock),
		cmocka_unit_test_setup_teardown(test_event_log_appends_one_json_line_per_event,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_event_log_lines_of_concurrent_writers_never_interleave,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test(test_event_log_open_of_missing_dir_fails_with_errno),
		cmocka_unit_test(test_rule_stats_count_by_result_and_reject_unknown_rule),
		cmocka_unit_test(test_ring_open_rejects_bad_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
