// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The rule grammar: structure, actions, selectors and error messages. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/rule.h>

static struct fl_rule parse_ok(const char *text)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	if (fl_rule_parse(text, &rule, &err))
		fail_msg("'%s' was refused: %s", text, err.message);
	return rule;
}

/* The exact message and column the CLI will print after "RULE: ". */
static void assert_refused(const char *text, const char *message,
			   unsigned column)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	memset(&rule, 0xa5, sizeof(rule));
	if (fl_rule_parse(text, &rule, &err) != -EINVAL)
		fail_msg("'%s' was accepted", text);
	assert_string_equal(err.message, message);
	assert_int_equal(err.column, column);
	/* ret is untouched on failure */
	assert_int_equal(((unsigned char *)&rule)[0], 0xa5);
	assert_int_equal(rule.n_ops, 0xa5a5a5a5u);
}

/* --- structure ------------------------------------------------------------- */

static void test_single_op_with_error_action(void **state)
{
	struct fl_rule r = parse_ok("fsync:error=EIO");

	assert_int_equal(r.n_ops, 1);
	assert_string_equal(r.ops[0], "fsync");
	assert_int_equal(r.action, FL_ACTION_ERROR);
	assert_int_equal(r.arg.error, EIO);
	assert_int_equal(r.keys, 0);
}

static void test_absent_selectors_have_documented_defaults(void **state)
{
	struct fl_rule r = parse_ok("fsync:error=EIO");

	assert_int_equal(r.when.first, 1);
	assert_true(r.when.last == FL_WHEN_INF);
	assert_int_equal(r.when.step, 1);
	assert_int_equal(r.prob_ppm, 1000000);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.for_ns, 0);
	assert_string_equal(r.path, "");
	assert_false(r.corrupt_on_read);
}

static void test_comma_separated_ops_keep_their_order(void **state)
{
	struct fl_rule r = parse_ok("open,openat,creat:error=EACCES");

	assert_int_equal(r.n_ops, 3);
	assert_string_equal(r.ops[0], "open");
	assert_string_equal(r.ops[1], "openat");
	assert_string_equal(r.ops[2], "creat");
	assert_int_equal(r.col.ops[1], 6);
	assert_int_equal(r.col.ops[2], 13);
}

static void test_star_matches_every_op_and_stands_alone(void **state)
{
	struct fl_rule r = parse_ok("*:error=EIO");

	assert_int_equal(r.n_ops, 1);
	assert_string_equal(r.ops[0], "*");
	assert_refused("read,*:error=EIO",
		       "'*' already means every op, '*' at column 6", 6);
	assert_refused("f*:error=EIO",
		       "invalid op name 'f*' at column 1 (lowercase letters, digits, '_', or a lone '*')",
		       1);
}

static void test_sixteen_ops_fit_and_seventeen_do_not(void **state)
{
	struct fl_rule r = parse_ok("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p:drop");

	assert_int_equal(r.n_ops, FL_RULE_MAX_OPS);
	assert_refused("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q:drop",
		       "more than 16 ops, 'q' at column 33", 33);
}

static void test_op_name_limits_and_duplicates(void **state)
{
	parse_ok("abcdefghijklmnopqrstuvwxyz01234:drop"); /* 31 chars */
	assert_refused("abcdefghijklmnopqrstuvwxyz012345:drop",
		       "op name too long 'abcdefghijklmnopqrstuvwxyz012345' at column 1",
		       1);
	assert_refused("read,read:drop", "duplicate op 'read' at column 6", 6);
	assert_refused("read,,write:drop", "empty op at column 6", 6);
	assert_refused(":error=EIO", "empty op at column 1", 1);
	assert_refused("Read:drop",
		       "invalid op name 'Read' at column 1 (lowercase letters, digits, '_', or a lone '*')",
		       1);
}

/* --- error messages ---------------------------------------------------------- */

static void test_empty_rule_is_refused_at_column_1(void **state)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule r;

	assert_refused("", "empty rule at column 1", 1);
	assert_int_equal(fl_rule_parse(NULL, &r, &err), -EINVAL);
	assert_string_equal(err.message, "empty rule at column 1");
}

static void test_unknown_errno_names_the_token_and_its_column(void **state)
{
	assert_refused("fsync:error=EIOX", "unknown errno 'EIOX' at column 13",
		       13);
	assert_refused("fsync:error=5000",
		       "errno out of range 1..4095, got '5000' at column 13", 13);
}

static void test_trailing_or_double_colon_is_an_empty_key(void **state)
{
	assert_refused("fsync:", "empty key at column 7", 7);
	assert_refused("fsync:error=EIO:", "empty key at column 17", 17);
	assert_refused("fsync::error=EIO", "empty key at column 7", 7);
	assert_refused("fsync:=EIO", "empty key at column 7", 7);
}

static void test_unknown_key_suggests_the_nearest_key(void **state)
{
	assert_refused("fsync:eror=EIO",
		       "unknown key 'eror' at column 7 (did you mean 'error'?)", 7);
	assert_refused("fsync:error=EIO:wehn=3",
		       "unknown key 'wehn' at column 17 (did you mean 'when'?)",
		       17);
	assert_refused("fsync:error=EIO:banana=3",
		       "unknown key 'banana' at column 17", 17);
}

static void test_strace_only_options_are_named_as_unsupported(void **state)
{
	assert_refused("fsync:delay_exit=10",
		       "strace's 'delay_exit' is not supported, at column 7", 7);
}

static void test_duplicate_key_is_refused(void **state)
{
	assert_refused("fsync:error=EIO:when=2:when=3",
		       "duplicate key 'when' at column 24", 24);
	assert_refused("tcp:drop:drop", "duplicate key 'drop' at column 10", 10);
}

static void test_second_action_is_refused_at_its_column(void **state)
{
	assert_refused("fsync:error=EIO:delay=1ms",
		       "second action 'delay' at column 17 (the rule already has 'error' at column 7)",
		       17);
	assert_refused("write:delay=1ms:delay_enter=5",
		       "second action 'delay_enter' at column 17 (the rule already has 'delay' at column 7)",
		       17);
}

static void test_rule_without_action_is_refused(void **state)
{
	assert_refused("fsync",
		       "missing action at column 6 (such as error=EIO, delay=10ms, signal=SIGKILL, drop)",
		       6);
	assert_refused("fsync:when=3",
		       "missing action at column 13 (such as error=EIO, delay=10ms, signal=SIGKILL, drop)",
		       13);
}

static void test_value_presence_matches_the_key(void **state)
{
	assert_refused("fsync:error",
		       "missing value for 'error' at column 7 (error=ERRNO)", 7);
	assert_refused("fsync:error=",
		       "missing value for 'error=' at column 13 (error=ERRNO)", 13);
	assert_refused("tcp:drop=yes", "'drop' takes no value, got 'yes' at column 10",
		       10);
}

static void test_overlong_rule_is_refused(void **state)
{
	char text[FL_RULE_MAX_LEN + 2];

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_refused(text, "rule longer than 4096 characters at column 4097",
		       4097);
}

static void test_unprintable_bytes_are_not_echoed_raw(void **state)
{
	assert_refused("fsync:error=E\x01\xff",
		       "unknown errno 'E?\?' at column 13", 13);
}

/* What a CLI echoes of a rule: cut to its buffer, bytes escaped, never raw. */
static void test_rule_excerpts_are_cut_and_escaped(void **state)
{
	static char big[100 * 1024];
	char buf[32];

	(void)state;
	assert_string_equal(fl_rule_excerpt("fsync:error=EIO", buf, sizeof(buf)),
			    "fsync:error=EIO");
	assert_string_equal(fl_rule_excerpt("a\x01\xff\\b\n", buf, sizeof(buf)),
			    "a\\x01\\xff\\x5cb\\x0a");
	memset(big, 'a', sizeof(big) - 1);
	fl_rule_excerpt(big, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf + sizeof(buf) - 4, "...");
	/* An escape is never cut in half. */
	memset(big, 1, 40);
	fl_rule_excerpt(big, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 7 * 4 + 3);
	assert_string_equal(buf + 28, "...");
}

/* --- actions ------------------------------------------------------------------ */

static void test_error_accepts_name_or_number(void **state)
{
	assert_int_equal(parse_ok("read:error=ENOSPC").arg.error, ENOSPC);
	assert_int_equal(parse_ok("read:error=28").arg.error, 28);
	assert_int_equal(parse_ok("read:error=4095").arg.error, 4095);
}

static void test_retval_is_signed_64_bit(void **state)
{
	assert_int_equal(parse_ok("read:retval=42").arg.retval, 42);
	assert_int_equal(parse_ok("read:retval=-1").arg.retval, -1);
	assert_true(parse_ok("read:retval=-9223372036854775808").arg.retval ==
		    INT64_MIN);
	assert_true(parse_ok("read:retval=9223372036854775807").arg.retval ==
		    INT64_MAX);
	assert_refused("read:retval=9223372036854775808",
		       "invalid retval '9223372036854775808' at column 13: too large",
		       13);
	assert_refused("read:retval=1x",
		       "invalid retval '1x' at column 13: not a number", 13);
}

static void test_delay_with_and_without_jitter(void **state)
{
	struct fl_rule r = parse_ok("write:delay=20ms~5ms");

	assert_int_equal(r.action, FL_ACTION_DELAY);
	assert_int_equal(r.arg.delay.ns, 20000000);
	assert_int_equal(r.arg.delay.jitter_ns, 5000000);
	r = parse_ok("write:delay=1.5s");
	assert_int_equal(r.arg.delay.ns, 1500000000ull);
	assert_int_equal(r.arg.delay.jitter_ns, 0);
}

static void test_delay_errors_point_into_the_value(void **state)
{
	assert_refused("write:delay=20",
		       "invalid duration '20' at column 13: missing unit (use ns, us, ms, s, m or h)",
		       13);
	assert_refused("write:delay=0ms",
		       "duration must be more than 0, got '0ms' at column 13", 13);
	assert_refused("write:delay=5ms~10ms",
		       "jitter larger than the delay, '10ms' at column 17", 17);
	assert_refused("write:delay=5ms~x",
		       "invalid jitter 'x' at column 17: not a number", 17);
}

static void test_strace_delay_enter_is_delay_in_microseconds(void **state)
{
	struct fl_rule r = parse_ok("write:delay_enter=1500");

	assert_int_equal(r.action, FL_ACTION_DELAY);
	assert_int_equal(r.arg.delay.ns, 1500000);
	assert_int_equal(parse_ok("write:delay_enter=2ms").arg.delay.ns,
			 2000000);
}

static void test_signal_forms(void **state)
{
	assert_int_equal(parse_ok("fsync:signal=SIGKILL").arg.signal, SIGKILL);
	assert_int_equal(parse_ok("fsync:signal=KILL").arg.signal, SIGKILL);
	assert_int_equal(parse_ok("fsync:signal=9").arg.signal, 9);
	assert_int_equal(parse_ok("fsync:signal=SIGRTMIN+2").arg.signal,
			 SIGRTMIN + 2);
	assert_refused("fsync:signal=SIGFOO",
		       "unknown signal 'SIGFOO' at column 14", 14);
	assert_refused("fsync:signal=65",
		       "signal out of range 1..64, got '65' at column 14", 14);
	assert_refused("fsync:signal=SIGRTMIN+99",
		       "realtime signal out of range 'SIGRTMIN+99' at column 14",
		       14);
}

static void test_pause_needs_a_positive_duration(void **state)
{
	assert_int_equal(parse_ok("fsync:pause=2s").arg.pause_ns,
			 2000000000ull);
	assert_refused("fsync:pause=0s",
		       "duration must be more than 0, got '0s' at column 13", 13);
}

static void test_flag_actions(void **state)
{
	assert_int_equal(parse_ok("tcp:drop").action, FL_ACTION_DROP);
	assert_int_equal(parse_ok("fsync:fsyncgate").action,
			 FL_ACTION_FSYNCGATE);
	assert_int_equal(parse_ok("udp:duplicate").action,
			 FL_ACTION_DUPLICATE);
	assert_int_equal(parse_ok("udp:reorder").action, FL_ACTION_REORDER);
}

static void test_corrupt_modes_and_their_options(void **state)
{
	struct fl_rule r = parse_ok("write:corrupt=bitflip:bytes=4:read");

	assert_int_equal(r.action, FL_ACTION_CORRUPT);
	assert_int_equal(r.arg.corrupt, FL_CORRUPT_BITFLIP);
	assert_int_equal(r.bytes, 4);
	assert_true(r.corrupt_on_read);
	assert_int_equal(r.keys, FL_KEY_BYTES | FL_KEY_READ);
	assert_int_equal(parse_ok("write:corrupt=zero").arg.corrupt,
			 FL_CORRUPT_ZERO);
	r = parse_ok("write:corrupt=random:persist");
	assert_int_equal(r.arg.corrupt, FL_CORRUPT_RANDOM);
	assert_false(r.corrupt_on_read);
	assert_int_equal(r.keys, FL_KEY_PERSIST);
	assert_refused("write:corrupt=flip",
		       "unknown corrupt mode 'flip' at column 15: use bitflip, zero or random",
		       15);
}

static void test_corrupt_options_need_corrupt(void **state)
{
	assert_refused("write:error=EIO:bytes=4",
		       "'bytes' only applies to corrupt=, at column 17", 17);
	assert_refused("write:drop:read",
		       "'read' only applies to corrupt=, at column 12", 12);
	assert_refused("write:corrupt=zero:read:persist",
		       "'read' and 'persist' exclude each other, second at column 25",
		       25);
}

static void test_torn_sector_is_a_power_of_two_from_512(void **state)
{
	assert_int_equal(parse_ok("write:torn=512").arg.torn_sector, 512);
	assert_int_equal(parse_ok("write:torn=4k").arg.torn_sector, 4096);
	assert_refused("write:torn=1000",
		       "invalid sector size '1000' at column 12: a power of two from 512 to 2G",
		       12);
	assert_refused("write:torn=256",
		       "invalid sector size '256' at column 12: a power of two from 512 to 2G",
		       12);
}

static void test_powercut_before_or_after(void **state)
{
	assert_int_equal(parse_ok("fsync:powercut=before").arg.powercut,
			 FL_POWERCUT_BEFORE);
	assert_int_equal(parse_ok("fsync:powercut=after").arg.powercut,
			 FL_POWERCUT_AFTER);
	assert_refused("fsync:powercut=during",
		       "unknown powercut point 'during' at column 16: use before or after",
		       16);
}

static void test_rate_in_bits_per_second(void **state)
{
	assert_int_equal(parse_ok("tcp:rate=1000").arg.rate_bps, 1000);
	assert_int_equal(parse_ok("tcp:rate=1mbit").arg.rate_bps, 1000000);
	assert_int_equal(parse_ok("tcp:rate=64kbit").arg.rate_bps, 64000);
	assert_int_equal(parse_ok("tcp:rate=2.5g").arg.rate_bps, 2500000000ull);
	assert_refused("tcp:rate=0", "rate must be more than 0, got '0' at column 10",
		       10);
	assert_refused("tcp:rate=1mbps",
		       "invalid rate '1mbps' at column 10: unknown rate unit (use bit, kbit, mbit or gbit)",
		       10);
}

/* --- selectors ------------------------------------------------------------------ */

static void test_prob_accepts_percent_or_fraction(void **state)
{
	struct fl_rule r = parse_ok("read:error=EIO:prob=10%");

	assert_int_equal(r.prob_ppm, 100000);
	assert_true(r.keys & FL_KEY_PROB);
	assert_int_equal(parse_ok("read:error=EIO:prob=0.25").prob_ppm, 250000);
	assert_int_equal(parse_ok("read:error=EIO:prob=0%").prob_ppm, 0);
	assert_int_equal(parse_ok("read:error=EIO:prob=100%").prob_ppm, 1000000);
	assert_refused("read:error=EIO:prob=100.5%",
		       "invalid prob= '100.5%' at column 21: more than 100%", 21);
}

static void test_count_for_and_seed(void **state)
{
	struct fl_rule r = parse_ok("read:error=EIO:count=3:for=30s:seed=0x2a");

	assert_int_equal(r.count, 3);
	assert_int_equal(r.for_ns, 30000000000ull);
	assert_int_equal(r.seed, 42);
	assert_int_equal(r.keys, FL_KEY_COUNT | FL_KEY_FOR | FL_KEY_SEED);
	assert_int_equal(parse_ok("read:error=EIO:seed=0").keys, FL_KEY_SEED);
	assert_refused("read:error=EIO:count=0",
		       "count= must be at least 1, got '0' at column 22", 22);
	assert_refused("read:error=EIO:for=0s",
		       "duration must be more than 0, got '0s' at column 20", 20);
}

static void test_path_glob_keeps_escaped_colons_and_bracket_classes(void **state)
{
	assert_string_equal(parse_ok("openat:error=ENOENT:path=/data/*.wal").path,
			    "/data/*.wal");
	assert_string_equal(parse_ok("openat:error=ENOENT:path=/a\\:b:when=2").path,
			    "/a:b");
	assert_string_equal(parse_ok("openat:error=ENOENT:path=/d/[[:digit:]]*:when=2").path,
			    "/d/[[:digit:]]*");
	assert_string_equal(parse_ok("openat:error=ENOENT:path=/d/\\*").path,
			    "/d/\\*");
}

static void test_path_errors(void **state)
{
	char text[400];

	assert_refused("openat:error=ENOENT:path=/d/[ab:when=2",
		       "unclosed '[' at column 29", 29);
	assert_refused("openat:error=ENOENT:path=/d\\",
		       "lone '\\' at the end of the rule at column 28", 28);
	assert_refused("openat:error=ENOENT:path=",
		       "missing value for 'path=' at column 26 (path=GLOB)", 26);
	snprintf(text, sizeof(text), "openat:error=ENOENT:path=%0256d", 0);
	assert_refused(text,
		       "path= longer than 255 bytes '00000000000000000000000000000000000000000000...' at column 26",
		       26);
}

static void test_ports_and_host(void **state)
{
	struct fl_rule r = parse_ok("tcp:drop:dport=5432:sport=1:host=db.local");

	assert_int_equal(r.dport, 5432);
	assert_int_equal(r.sport, 1);
	assert_string_equal(r.host, "db.local");
	assert_string_equal(parse_ok("tcp:drop:host=[::1]").host, "::1");
	assert_string_equal(parse_ok("tcp:drop:host=10.0.0.0/8").host,
			    "10.0.0.0/8");
	assert_refused("tcp:drop:dport=0",
		       "invalid port '0' at column 16: from 1 to 65535", 16);
	assert_refused("tcp:drop:dport=65536",
		       "invalid port '65536' at column 16: from 1 to 65535", 16);
	assert_refused("tcp:drop:host=a b",
		       "invalid host= 'a b' at column 15: a name, an address or a CIDR prefix",
		       15);
}

/* --- when= ------------------------------------------------------------------------- */

static struct fl_when when_of(const char *value)
{
	char text[128];

	snprintf(text, sizeof(text), "fsync:error=EIO:when=%s", value);
	return parse_ok(text).when;
}

static void assert_when(const char *value, uint64_t first, uint64_t last,
			uint64_t step)
{
	struct fl_when w = when_of(value);

	if (w.first != first || w.last != last || w.step != step)
		fail_msg("when=%s gave %llu..%llu+%llu", value,
			 (unsigned long long)w.first,
			 (unsigned long long)w.last,
			 (unsigned long long)w.step);
}

static void test_when_first_alone_is_only_that_call(void **state)
{
	assert_when("3", 3, 3, 1);
}

static void test_when_first_plus_is_that_call_and_all_later(void **state)
{
	assert_when("3+", 3, FL_WHEN_INF, 1);
}

static void test_when_first_plus_step_is_open_ended(void **state)
{
	assert_when("3+2", 3, FL_WHEN_INF, 2);
}

static void test_when_range_forms(void **state)
{
	assert_when("2..6", 2, 6, 1);
	assert_when("2..6+", 2, 6, 1); /* strace: same as 2..6 */
	assert_when("2..10+3", 2, 10, 3);
	assert_when("5..5", 5, 5, 1);
}

static void test_when_is_not_capped_at_straces_65535(void **state)
{
	assert_when("100000..18446744073709551615", 100000, UINT64_MAX, 1);
	assert_when("18446744073709551615", UINT64_MAX, UINT64_MAX, 1);
}

static void test_when_zero_is_refused_because_calls_count_from_1(void **state)
{
	assert_refused("fsync:when=0:error=EIO",
		       "when= counts calls from 1, got '0' at column 12", 12);
	assert_refused("fsync:error=EIO:when=0",
		       "when= counts calls from 1, got '0' at column 22", 22);
}

static void test_when_bad_bounds_and_steps_point_at_the_number(void **state)
{
	assert_refused("fsync:error=EIO:when=6..2",
		       "when= range ends before it starts, last '2' at column 25",
		       25);
	assert_refused("fsync:error=EIO:when=3+0",
		       "when= step must be at least 1, got '0' at column 24", 24);
	assert_refused("fsync:error=EIO:when=18446744073709551616",
		       "number too large in when= '18446744073709551616' at column 22",
		       22);
	assert_refused("fsync:error=EIO:when=3x",
		       "invalid when= '3x' at column 22: use FIRST[..LAST][+STEP]",
		       22);
	assert_refused("fsync:error=EIO:when=..3",
		       "invalid when= '..3' at column 22: use FIRST[..LAST][+STEP]",
		       22);
	assert_refused("fsync:error=EIO:when=3++",
		       "invalid when= '3++' at column 22: use FIRST[..LAST][+STEP]",
		       22);
}

/* Which of calls 1..12 a when= selects, as a string of 0/1. */
static void assert_when_selects(const char *value, const char *expect)
{
	struct fl_when w = when_of(value);
	char got[13];
	uint64_t nth;

	for (nth = 1; nth <= 12; nth++)
		got[nth - 1] = fl_when_matches(&w, nth) ? '1' : '0';
	got[12] = '\0';
	if (strcmp(got, expect))
		fail_msg("when=%s selects %s, expected %s", value, got, expect);
	assert_false(fl_when_matches(&w, 0));
}

static void test_when_matches_only_the_nth_call(void **state)
{
	assert_when_selects("3", "001000000000");
}

static void test_when_plus_matches_the_nth_and_every_later_call(void **state)
{
	assert_when_selects("3+", "001111111111");
}

static void test_when_plus_step_matches_every_second_call(void **state)
{
	assert_when_selects("3+2", "001010101010");
}

static void test_when_range_matches_inclusive_bounds(void **state)
{
	assert_when_selects("2..6", "011111000000");
}

static void test_when_range_with_step_matches_2_5_8(void **state)
{
	assert_when_selects("2..10+3", "010010010000");
}

static void test_default_when_matches_every_call(void **state)
{
	struct fl_when w = parse_ok("fsync:error=EIO").when;

	assert_true(fl_when_matches(&w, 1));
	assert_true(fl_when_matches(&w, 1000000));
	assert_true(fl_when_matches(&w, UINT64_MAX));
	assert_false(fl_when_matches(&w, 0));
}

static void test_when_matches_near_uint64_max_without_overflow(void **state)
{
	struct fl_when w = { UINT64_MAX - 4, FL_WHEN_INF, 2 };

	assert_false(fl_when_matches(&w, UINT64_MAX - 5));
	assert_true(fl_when_matches(&w, UINT64_MAX - 4));
	assert_false(fl_when_matches(&w, UINT64_MAX - 3));
	assert_true(fl_when_matches(&w, UINT64_MAX));
}

/* --- names --------------------------------------------------------------------- */

static void test_action_and_domain_names(void **state)
{
	assert_string_equal(fl_action_name(FL_ACTION_ERROR), "error");
	assert_string_equal(fl_action_name(FL_ACTION_FSYNCGATE), "fsyncgate");
	assert_string_equal(fl_action_name(FL_ACTION_RATE), "rate");
	assert_string_equal(fl_action_name(FL_ACTION__COUNT), "unknown");
	assert_string_equal(fl_domain_name(FL_DOMAIN_SYSCALL), "syscall");
	assert_string_equal(fl_domain_name(FL_DOMAIN_FS), "fs");
	assert_string_equal(fl_domain_name(FL_DOMAIN__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_op_with_error_action),
		cmocka_unit_test(test_absent_selectors_have_documented_defaults),
		cmocka_unit_test(test_comma_separated_ops_keep_their_order),
		cmocka_unit_test(test_star_matches_every_op_and_stands_alone),
		cmocka_unit_test(test_sixteen_ops_fit_and_seventeen_do_not),
		cmocka_unit_test(test_op_name_limits_and_duplicates),
		cmocka_unit_test(test_empty_rule_is_refused_at_column_1),
		cmocka_unit_test(test_unknown_errno_names_the_token_and_its_column),
		cmocka_unit_test(test_trailing_or_double_colon_is_an_empty_key),
		cmocka_unit_test(test_unknown_key_suggests_the_nearest_key),
		cmocka_unit_test(test_strace_only_options_are_named_as_unsupported),
		cmocka_unit_test(test_duplicate_key_is_refused),
		cmocka_unit_test(test_second_action_is_refused_at_its_column),
		cmocka_unit_test(test_rule_without_action_is_refused),
		cmocka_unit_test(test_value_presence_matches_the_key),
		cmocka_unit_test(test_overlong_rule_is_refused),
		cmocka_unit_test(test_unprintable_bytes_are_not_echoed_raw),
		cmocka_unit_test(test_rule_excerpts_are_cut_and_escaped),
		cmocka_unit_test(test_error_accepts_name_or_number),
		cmocka_unit_test(test_retval_is_signed_64_bit),
		cmocka_unit_test(test_delay_with_and_without_jitter),
		cmocka_unit_test(test_delay_errors_point_into_the_value),
		cmocka_unit_test(test_strace_delay_enter_is_delay_in_microseconds),
		cmocka_unit_test(test_signal_forms),
		cmocka_unit_test(test_pause_needs_a_positive_duration),
		cmocka_unit_test(test_flag_actions),
		cmocka_unit_test(test_corrupt_modes_and_their_options),
		cmocka_unit_test(test_corrupt_options_need_corrupt),
		cmocka_unit_test(test_torn_sector_is_a_power_of_two_from_512),
		cmocka_unit_test(test_powercut_before_or_after),
		cmocka_unit_test(test_rate_in_bits_per_second),
		cmocka_unit_test(test_prob_accepts_percent_or_fraction),
		cmocka_unit_test(test_count_for_and_seed),
		cmocka_unit_test(test_path_glob_keeps_escaped_colons_and_bracket_classes),
		cmocka_unit_test(test_path_errors),
		cmocka_unit_test(test_ports_and_host),
		cmocka_unit_test(test_when_first_alone_is_only_that_call),
		cmocka_unit_test(test_when_first_plus_is_that_call_and_all_later),
		cmocka_unit_test(test_when_first_plus_step_is_open_ended),
		cmocka_unit_test(test_when_range_forms),
		cmocka_unit_test(test_when_is_not_capped_at_straces_65535),
		cmocka_unit_test(test_when_zero_is_refused_because_calls_count_from_1),
		cmocka_unit_test(test_when_bad_bounds_and_steps_point_at_the_number),
		cmocka_unit_test(test_when_matches_only_the_nth_call),
		cmocka_unit_test(test_when_plus_matches_the_nth_and_every_later_call),
		cmocka_unit_test(test_when_plus_step_matches_every_second_call),
		cmocka_unit_test(test_when_range_matches_inclusive_bounds),
		cmocka_unit_test(test_when_range_with_step_matches_2_5_8),
		cmocka_unit_test(test_default_when_matches_every_call),
		cmocka_unit_test(test_when_matches_near_uint64_max_without_overflow),
		cmocka_unit_test(test_action_and_domain_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
