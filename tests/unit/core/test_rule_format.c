// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fl_rule_format(): canonical text that parses back into the same rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/rule.h>

/* Parse, format, compare with the canonical text, parse that again. */
static void assert_canonical(const char *text, const char *canonical)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule, again;
	char buf[512];
	int n;

	if (fl_rule_parse(text, &rule, &err))
		fail_msg("'%s' was refused: %s", text, err.message);
	n = fl_rule_format(&rule, buf, sizeof(buf));
	assert_int_equal(n, strlen(canonical));
	if (strcmp(buf, canonical))
		fail_msg("'%s' formats as '%s', expected '%s'", text, buf,
			 canonical);
	if (fl_rule_parse(buf, &again, &err))
		fail_msg("'%s' does not parse back: %s", buf, err.message);
	assert_true(fl_rule_equal(&rule, &again));
}

static void test_canonical_text_of_the_design_examples(void **state)
{
	assert_canonical("fsync:error=EIO:when=3+2", "fsync:error=EIO:when=3+2");
	assert_canonical("openat:error=ENOSPC:path=/data/*.wal:prob=10%",
			 "openat:error=ENOSPC:prob=10%:path=/data/*.wal");
	assert_canonical("write:delay=20ms", "write:delay=20ms");
	assert_canonical("fsync:signal=SIGKILL:when=100",
			 "fsync:signal=SIGKILL:when=100");
	assert_canonical("tcp:dport=5432:drop:prob=30%",
			 "tcp:drop:prob=30%:dport=5432");
	assert_canonical("write:path=*.sst:corrupt=bitflip",
			 "write:corrupt=bitflip:path=*.sst");
}

static void test_format_puts_the_action_first_and_keys_in_fixed_order(void **state)
{
	assert_canonical("a,b:host=h:sport=2:dport=1:seed=3:for=1s:count=4:prob=0.5:when=2:corrupt=zero:bytes=8:read",
			 "a,b:corrupt=zero:when=2:prob=50%:count=4:for=1s:seed=3:bytes=8:read:dport=1:sport=2:host=h");
}

static void test_format_normalises_values(void **state)
{
	assert_canonical("read:error=5", "read:error=EIO");
	assert_canonical("read:error=eagain", "read:error=EAGAIN");
	assert_canonical("read:error=EWOULDBLOCK", "read:error=EAGAIN");
	assert_canonical("read:error=4000", "read:error=4000");
	assert_canonical("read:signal=9", "read:signal=SIGKILL");
	assert_canonical("read:signal=kill", "read:signal=SIGKILL");
	assert_canonical("read:signal=32", "read:signal=32");
	assert_canonical("read:signal=RTMAX", "read:signal=SIGRTMAX");
	assert_canonical("read:retval=-0", "read:retval=0");
	assert_canonical("read:error=EIO:seed=0x10", "read:error=EIO:seed=16");
}

static void test_format_picks_the_largest_exact_duration_unit(void **state)
{
	assert_canonical("w:delay=1500ms", "w:delay=1500ms");
	assert_canonical("w:delay=1.5s", "w:delay=1500ms");
	assert_canonical("w:delay=2000ms", "w:delay=2s");
	assert_canonical("w:delay=120s", "w:delay=2m");
	assert_canonical("w:delay=1min", "w:delay=1m");
	assert_canonical("w:delay=3600s", "w:delay=1h");
	assert_canonical("w:delay=1001ns", "w:delay=1001ns");
	assert_canonical("w:delay_enter=1500", "w:delay=1500us");
	assert_canonical("w:delay=10ms~0ms", "w:delay=10ms");
	assert_canonical("w:delay=10ms~2500us", "w:delay=10ms~2500us");
	assert_canonical("w:pause=60000ms", "w:pause=1m");
}

static void test_format_writes_probabilities_as_percentages(void **state)
{
	assert_canonical("r:drop:prob=0.1", "r:drop:prob=10%");
	assert_canonical("r:drop:prob=12.50%", "r:drop:prob=12.5%");
	assert_canonical("r:drop:prob=0.000001", "r:drop:prob=0.0001%");
	assert_canonical("r:drop:prob=0", "r:drop:prob=0%");
	assert_canonical("r:drop:prob=1", "r:drop:prob=100%");
}

static void test_format_writes_every_when_shape(void **state)
{
	assert_canonical("f:drop:when=3", "f:drop:when=3");
	assert_canonical("f:drop:when=3+", "f:drop:when=3+");
	assert_canonical("f:drop:when=3+2", "f:drop:when=3+2");
	assert_canonical("f:drop:when=2..6", "f:drop:when=2..6");
	assert_canonical("f:drop:when=2..6+", "f:drop:when=2..6");
	assert_canonical("f:drop:when=2..10+3", "f:drop:when=2..10+3");
	assert_canonical("f:drop:when=5..5+3", "f:drop:when=5..5+3");
	assert_canonical("f:drop:when=1..18446744073709551615", "f:drop:when=1+");
	assert_canonical("f:drop:when=1+1", "f:drop:when=1+");
}

static void test_format_of_sizes_rates_and_modes(void **state)
{
	assert_canonical("w:torn=4k", "w:torn=4096");
	assert_canonical("w:corrupt=random:persist", "w:corrupt=random:persist");
	assert_canonical("w:powercut=before", "w:powercut=before");
	assert_canonical("tcp:rate=1000000", "tcp:rate=1mbit");
	assert_canonical("tcp:rate=1500k", "tcp:rate=1500kbit");
	assert_canonical("tcp:rate=999", "tcp:rate=999bit");
	assert_canonical("f:fsyncgate", "f:fsyncgate");
	assert_canonical("u:duplicate", "u:duplicate");
	assert_canonical("u:reorder", "u:reorder");
}

static void test_format_escapes_colons_in_paths_and_brackets_ipv6(void **state)
{
	assert_canonical("o:error=EIO:path=/a\\:b", "o:error=EIO:path=/a\\:b");
	assert_canonical("o:error=EIO:path=/d/[[:digit:]]",
			 "o:error=EIO:path=/d/[[\\:digit\\:]]");
	assert_canonical("o:error=EIO:path=/d/\\*", "o:error=EIO:path=/d/\\*");
	assert_canonical("o:error=EIO:path=\\\\\\:", "o:error=EIO:path=\\\\\\:");
	assert_canonical("tcp:drop:host=[::1]", "tcp:drop:host=[::1]");
	assert_canonical("tcp:drop:host=\\:\\:1", "tcp:drop:host=[::1]");
}

static void test_format_reports_the_needed_length_when_truncated(void **state)
{
	struct fl_rule rule;
	char small[8];

	assert_int_equal(fl_rule_parse("fsync:error=EIO:when=3+2", &rule, NULL),
			 0);
	assert_int_equal(fl_rule_format(&rule, NULL, 0), 24);
	memset(small, 'x', sizeof(small));
	assert_int_equal(fl_rule_format(&rule, small, sizeof(small)), 24);
	assert_string_equal(small, "fsync:e");
}

static void test_equal_ignores_columns_but_not_values(void **state)
{
	struct fl_rule a, b;

	assert_int_equal(fl_rule_parse("fsync:when=3:error=EIO", &a, NULL), 0);
	assert_int_equal(fl_rule_parse("fsync:error=EIO:when=3", &b, NULL), 0);
	assert_int_not_equal(a.col.action, b.col.action);
	assert_true(fl_rule_equal(&a, &b));
	assert_int_equal(fl_rule_parse("fsync:error=EIO:when=4", &b, NULL), 0);
	assert_false(fl_rule_equal(&a, &b));
	assert_int_equal(fl_rule_parse("fsync:error=EIO", &b, NULL), 0);
	assert_false(fl_rule_equal(&a, &b)); /* a given when= differs from none */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_text_of_the_design_examples),
		cmocka_unit_test(test_format_puts_the_action_first_and_keys_in_fixed_order),
		cmocka_unit_test(test_format_normalises_values),
		cmocka_unit_test(test_format_picks_the_largest_exact_duration_unit),
		cmocka_unit_test(test_format_writes_probabilities_as_percentages),
		cmocka_unit_test(test_format_writes_every_when_shape),
		cmocka_unit_test(test_format_of_sizes_rates_and_modes),
		cmocka_unit_test(test_format_escapes_colons_in_paths_and_brackets_ipv6),
		cmocka_unit_test(test_format_reports_the_needed_length_when_truncated),
		cmocka_unit_test(test_equal_ignores_columns_but_not_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
