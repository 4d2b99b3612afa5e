// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Value parsers and name tables shared by rules and the CLI. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/rule.h>

#define SENTINEL_U64 0xdeadbeefcafef00dull

static uint64_t duration_ok(const char *s)
{
	uint64_t ns = SENTINEL_U64;

	if (fl_parse_duration(s, &ns))
		fail_msg("duration '%s' was refused", s);
	return ns;
}

static void assert_duration_refused(const char *s)
{
	uint64_t ns = SENTINEL_U64;

	if (fl_parse_duration(s, &ns) != -EINVAL)
		fail_msg("duration '%s' was accepted", s);
	assert_int_equal(ns, SENTINEL_U64); /* untouched on failure */
}

static uint32_t percent_ok(const char *s)
{
	uint32_t ppm = 0xdead;

	if (fl_parse_percent(s, &ppm))
		fail_msg("percentage '%s' was refused", s);
	return ppm;
}

static void assert_percent_refused(const char *s)
{
	uint32_t ppm = 0xdead;

	if (fl_parse_percent(s, &ppm) != -EINVAL)
		fail_msg("percentage '%s' was accepted", s);
	assert_int_equal(ppm, 0xdead);
}

/* --- errno --------------------------------------------------------------- */

static void test_errno_accepts_symbolic_names(void **state)
{
	int e = 0;

	assert_int_equal(fl_parse_errno("EIO", &e), 0);
	assert_int_equal(e, EIO);
	assert_int_equal(fl_parse_errno("ENOSPC", &e), 0);
	assert_int_equal(e, ENOSPC);
	assert_int_equal(fl_parse_errno("EHWPOISON", &e), 0);
	assert_int_equal(e, EHWPOISON);
}

static void test_errno_accepts_lowercase_names(void **state)
{
	int e = 0;

	assert_int_equal(fl_parse_errno("eio", &e), 0);
	assert_int_equal(e, EIO);
}

static void test_errno_accepts_glibc_aliases(void **state)
{
	int e = 0;

	assert_int_equal(fl_parse_errno("EWOULDBLOCK", &e), 0);
	assert_int_equal(e, EAGAIN);
	assert_int_equal(fl_parse_errno("ENOTSUP", &e), 0);
	assert_int_equal(e, EOPNOTSUPP);
	assert_int_equal(fl_parse_errno("EDEADLOCK", &e), 0);
	assert_int_equal(e, EDEADLK);
}

static void test_errno_accepts_numbers_from_1_to_4095(void **state)
{
	int e = 0;

	assert_int_equal(fl_parse_errno("1", &e), 0);
	assert_int_equal(e, 1);
	assert_int_equal(fl_parse_errno("5", &e), 0);
	assert_int_equal(e, EIO);
	assert_int_equal(fl_parse_errno("4095", &e), 0);
	assert_int_equal(e, 4095);
}

static void test_errno_refuses_out_of_range_and_garbage(void **state)
{
	const char *bad[] = { "0", "4096", "-5", "+5", "EIOX", "", "E IO",
			      "5 ", "99999999999999999999999", "0x5" };
	size_t i;
	int e = -1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fl_parse_errno(bad[i], &e) != -EINVAL)
			fail_msg("errno '%s' was accepted", bad[i]);
	assert_int_equal(e, -1);
	assert_int_equal(fl_parse_errno(NULL, &e), -EINVAL);
}

static void test_errno_name_is_canonical_and_null_when_unknown(void **state)
{
	assert_string_equal(fl_errno_name(EIO), "EIO");
	assert_string_equal(fl_errno_name(EAGAIN), "EAGAIN");
	assert_null(fl_errno_name(0));
	assert_null(fl_errno_name(-5));
	assert_null(fl_errno_name(4000));
}

static void test_every_errno_name_parses_back_to_its_value(void **state)
{
	int i, e, named = 0;

	for (i = 1; i <= 4095; i++) {
		const char *name = fl_errno_name(i);

		if (!name)
			continue;
		named++;
		assert_int_equal(fl_parse_errno(name, &e), 0);
		assert_int_equal(e, i);
	}
	assert_true(named > 100); /* the table came from glibc */
}

/* --- signals ------------------------------------------------------------- */

static void test_signal_accepts_name_with_and_without_sig_prefix(void **state)
{
	int s = 0;

	assert_int_equal(fl_parse_signal("SIGKILL", &s), 0);
	assert_int_equal(s, SIGKILL);
	assert_int_equal(fl_parse_signal("KILL", &s), 0);
	assert_int_equal(s, SIGKILL);
	assert_int_equal(fl_parse_signal("sigterm", &s), 0);
	assert_int_equal(s, SIGTERM);
	assert_int_equal(fl_parse_signal("SIGIOT", &s), 0);
	assert_int_equal(s, SIGABRT);
}

static void test_signal_accepts_numbers_up_to_sigrtmax(void **state)
{
	int s = 0;

	assert_int_equal(fl_parse_signal("9", &s), 0);
	assert_int_equal(s, 9);
	assert_int_equal(fl_parse_signal("1", &s), 0);
	assert_int_equal(s, 1);
	assert_int_equal(fl_parse_signal("64", &s), 0);
	assert_int_equal(s, SIGRTMAX);
	assert_int_equal(fl_parse_signal("0", &s), -EINVAL);
	assert_int_equal(fl_parse_signal("65", &s), -EINVAL);
}

static void test_signal_accepts_realtime_offsets(void **state)
{
	int s = 0;

	assert_int_equal(fl_parse_signal("SIGRTMIN", &s), 0);
	assert_int_equal(s, SIGRTMIN);
	assert_int_equal(fl_parse_signal("SIGRTMIN+3", &s), 0);
	assert_int_equal(s, SIGRTMIN + 3);
	assert_int_equal(fl_parse_signal("RTMAX-1", &s), 0);
	assert_int_equal(s, SIGRTMAX - 1);
	assert_int_equal(fl_parse_signal("SIGRTMAX", &s), 0);
	assert_int_equal(s, SIGRTMAX);
}

static void test_signal_refuses_realtime_offset_past_the_range(void **state)
{
	int s = -1;

	assert_int_equal(fl_parse_signal("SIGRTMIN+31", &s), -EINVAL);
	assert_int_equal(fl_parse_signal("SIGRTMAX+1", &s), -EINVAL);
	assert_int_equal(fl_parse_signal("SIGRTMIN-1", &s), -EINVAL);
	assert_int_equal(fl_parse_signal("SIGRTMIN+", &s), -EINVAL);
	assert_int_equal(fl_parse_signal("SIGRTMINX", &s), -EINVAL);
	assert_int_equal(fl_parse_signal("SIG", &s), -EINVAL);
	assert_int_equal(fl_parse_signal("SIGFOO", &s), -EINVAL);
	assert_int_equal(s, -1);
}

static void test_signal_names_round_trip_for_every_named_signal(void **state)
{
	int i, s;

	assert_string_equal(fl_signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(fl_signal_name(SIGRTMIN + 2), "SIGRTMIN+2");
	assert_string_equal(fl_signal_name(SIGRTMAX), "SIGRTMAX");
	assert_null(fl_signal_name(0));
	assert_null(fl_signal_name(65));
	for (i = 1; i <= SIGRTMAX; i++) {
		const char *name = fl_signal_name(i);

		if (!name)
			continue;
		assert_int_equal(fl_parse_signal(name, &s), 0);
		assert_int_equal(s, i);
	}
}

/* --- durations ----------------------------------------------------------- */

static void test_duration_units_from_ns_to_hours(void **state)
{
	assert_int_equal(duration_ok("7ns"), 7);
	assert_int_equal(duration_ok("3us"), 3000);
	assert_int_equal(duration_ok("20ms"), 20000000);
	assert_int_equal(duration_ok("2s"), 2000000000ull);
	assert_int_equal(duration_ok("2m"), 120000000000ull);
	assert_int_equal(duration_ok("1min"), 60000000000ull);
	assert_int_equal(duration_ok("1h"), 3600000000000ull);
	assert_int_equal(duration_ok("0ms"), 0);
}

static void test_duration_accepts_decimals_that_are_whole_ns(void **state)
{
	assert_int_equal(duration_ok("1.5s"), 1500000000ull);
	assert_int_equal(duration_ok("0.25ms"), 250000);
	assert_int_equal(duration_ok("1.000000000s"), 1000000000ull);
	assert_int_equal(duration_ok("2.5us"), 2500);
}

static void test_duration_without_unit_is_refused(void **state)
{
	assert_duration_refused("20");
	assert_duration_refused("1.5");
}

static void test_duration_refuses_bad_units_and_shapes(void **state)
{
	assert_duration_refused("20msec");
	assert_duration_refused("20 ms");
	assert_duration_refused("ms");
	assert_duration_refused("-1s");
	assert_duration_refused(".5s");
	assert_duration_refused("1.s");
	assert_duration_refused("1.5ns"); /* finer than 1 ns */
	assert_duration_refused("");
	assert_duration_refused(NULL);
}

static void test_duration_overflow_is_refused(void **state)
{
	assert_int_equal(duration_ok("18446744073709551615ns"), UINT64_MAX);
	assert_duration_refused("18446744073709551616ns");
	assert_duration_refused("18446744074s");
	assert_duration_refused("5124096h");
	assert_duration_refused("99999999999999999999999999h");
}

/* --- percentages ----------------------------------------------------------- */

static void test_percent_edges_0_and_100(void **state)
{
	assert_int_equal(percent_ok("0%"), 0);
	assert_int_equal(percent_ok("100%"), 1000000);
	assert_int_equal(percent_ok("100.0%"), 1000000);
	assert_int_equal(percent_ok("0"), 0);
	assert_int_equal(percent_ok("1"), 1000000);
}

static void test_percent_and_fraction_forms_agree(void **state)
{
	assert_int_equal(percent_ok("10%"), 100000);
	assert_int_equal(percent_ok("0.1"), 100000);
	assert_int_equal(percent_ok("12.5%"), 125000);
	assert_int_equal(percent_ok("0.125"), 125000);
	assert_int_equal(percent_ok("0.0001%"), 1);
	assert_int_equal(percent_ok("0.000001"), 1);
}

static void test_percent_above_100_is_refused(void **state)
{
	assert_percent_refused("100.5%");
	assert_percent_refused("101%");
	assert_percent_refused("1.5");
	assert_percent_refused("50"); /* a fraction above 1: meant 50% */
	assert_percent_refused("99999999999999999999999%");
}

static void test_percent_refuses_garbage_and_too_fine_values(void **state)
{
	assert_percent_refused("");
	assert_percent_refused("%");
	assert_percent_refused("ten%");
	assert_percent_refused("10 %");
	assert_percent_refused("-1%");
	assert_percent_refused("10%%");
	assert_percent_refused("0.00001%"); /* below 1 ppm */
	assert_percent_refused("0.0000001");
}

/* --- integers and sizes ---------------------------------------------------- */

static void test_u64_accepts_decimal_hex_and_the_full_range(void **state)
{
	uint64_t v = 0;

	assert_int_equal(fl_parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(fl_parse_u64("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(fl_parse_u64("0x2A", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(fl_parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
}

static void test_u64_refuses_overflow_signs_and_garbage(void **state)
{
	const char *bad[] = { "18446744073709551616", "0x10000000000000000",
			      "-1", "+1", " 1", "1 ", "1a", "0x", "" };
	uint64_t v = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fl_parse_u64(bad[i], &v) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	assert_int_equal(v, 7);
}

static void test_size_suffixes_are_binary(void **state)
{
	uint64_t v = 0;

	assert_int_equal(fl_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(fl_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(fl_parse_size("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(fl_parse_size("1M", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(fl_parse_size("2G", &v), 0);
	assert_int_equal(v, 2147483648ull);
	assert_int_equal(fl_parse_size("1.5k", &v), 0);
	assert_int_equal(v, 1536);
	assert_int_equal(fl_parse_size("4KiB", &v), 0);
	assert_int_equal(v, 4096);
}

static void test_size_refuses_unknown_suffix_and_overflow(void **state)
{
	uint64_t v = 9;

	assert_int_equal(fl_parse_size("4x", &v), -EINVAL);
	assert_int_equal(fl_parse_size("4kb", &v), -EINVAL);
	assert_int_equal(fl_parse_size("k", &v), -EINVAL);
	assert_int_equal(fl_parse_size("16777216T", &v), -EINVAL);
	assert_int_equal(fl_parse_size("0.1k", &v), -EINVAL); /* 102.4 B */
	assert_int_equal(v, 9);
}

/* --- syscall table ----------------------------------------------------------- */

static void test_syscall_table_maps_names_and_numbers(void **state)
{
	assert_int_equal(fl_syscall_nr("read"), 0);
	assert_int_equal(fl_syscall_nr("write"), 1);
	assert_true(fl_syscall_nr("fsync") > 0);
	assert_true(fl_syscall_nr("openat") > 0);
	assert_string_equal(fl_syscall_name(fl_syscall_nr("fsync")), "fsync");
	assert_string_equal(fl_syscall_name(0), "read");
}

static void test_syscall_table_refuses_unknown_names_and_numbers(void **state)
{
	assert_int_equal(fl_syscall_nr("fsyncx"), -ENOENT);
	assert_int_equal(fl_syscall_nr(""), -ENOENT);
	assert_int_equal(fl_syscall_nr(NULL), -ENOENT);
	assert_null(fl_syscall_name(-1));
	assert_null(fl_syscall_name(100000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_accepts_symbolic_names),
		cmocka_unit_test(test_errno_accepts_lowercase_names),
		cmocka_unit_test(test_errno_accepts_glibc_aliases),
		cmocka_unit_test(test_errno_accepts_numbers_from_1_to_4095),
		cmocka_unit_test(test_errno_refuses_out_of_range_and_garbage),
		cmocka_unit_test(test_errno_name_is_canonical_and_null_when_unknown),
		cmocka_unit_test(test_every_errno_name_parses_back_to_its_value),
		cmocka_unit_test(test_signal_accepts_name_with_and_without_sig_prefix),
		cmocka_unit_test(test_signal_accepts_numbers_up_to_sigrtmax),
		cmocka_unit_test(test_signal_accepts_realtime_offsets),
		cmocka_unit_test(test_signal_refuses_realtime_offset_past_the_range),
		cmocka_unit_test(test_signal_names_round_trip_for_every_named_signal),
		cmocka_unit_test(test_duration_units_from_ns_to_hours),
		cmocka_unit_test(test_duration_accepts_decimals_that_are_whole_ns),
		cmocka_unit_test(test_duration_without_unit_is_refused),
		cmocka_unit_test(test_duration_refuses_bad_units_and_shapes),
		cmocka_unit_test(test_duration_overflow_is_refused),
		cmocka_unit_test(test_percent_edges_0_and_100),
		cmocka_unit_test(test_percent_and_fraction_forms_agree),
		cmocka_unit_test(test_percent_above_100_is_refused),
		cmocka_unit_test(test_percent_refuses_garbage_and_too_fine_values),
		cmocka_unit_test(test_u64_accepts_decimal_hex_and_the_full_range),
		cmocka_unit_test(test_u64_refuses_overflow_signs_and_garbage),
		cmocka_unit_test(test_size_suffixes_are_binary),
		cmocka_unit_test(test_size_refuses_unknown_suffix_and_overflow),
		cmocka_unit_test(test_syscall_table_maps_names_and_numbers),
		cmocka_unit_test(test_syscall_table_refuses_unknown_names_and_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
