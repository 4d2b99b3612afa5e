// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline rpo --start CMD` runs sh -c "exec CMD" when CMD is one simple
 * command, so the service is the started process and not a child of a
 * shell; anything else runs as given.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "workload/service.h"

static void test_one_simple_command_is_execed(void **state)
{
	(void)state;
	assert_true(fl_wl_shell_can_exec("sleep 1"));
	assert_true(fl_wl_shell_can_exec("  redis-server /etc/redis/redis.conf --port 6390"));
	assert_true(fl_wl_shell_can_exec("/bin/sh -c 'a; b'") == false); /* ';' anywhere: as given */
	assert_true(fl_wl_shell_can_exec("/bin/sleep 1 > /dev/null 2>/tmp/x"));
	assert_true(fl_wl_shell_can_exec("env A=1 sleep \"$HOME\""));
}

static void test_lists_pipelines_groups_and_builtins_run_as_given(void **state)
{
	(void)state;
	assert_false(fl_wl_shell_can_exec(NULL));
	assert_false(fl_wl_shell_can_exec(""));
	assert_false(fl_wl_shell_can_exec("true && sleep 1"));
	assert_false(fl_wl_shell_can_exec("sleep 1 | cat"));
	assert_false(fl_wl_shell_can_exec("sleep 1 &"));
	assert_false(fl_wl_shell_can_exec("sleep 1\nsleep 2"));
	assert_false(fl_wl_shell_can_exec("(sleep 1)"));
	assert_false(fl_wl_shell_can_exec("{ sleep 1; }"));
	assert_false(fl_wl_shell_can_exec("sleep $(echo 1)"));
	assert_false(fl_wl_shell_can_exec("sleep `echo 1`"));
	assert_false(fl_wl_shell_can_exec("exec sleep 1"));   /* already */
	assert_false(fl_wl_shell_can_exec("A=1 sleep 1"));    /* exec A=1 would fail */
	assert_false(fl_wl_shell_can_exec("cd /tmp"));        /* a builtin only */
	assert_false(fl_wl_shell_can_exec("if true then"));
	assert_false(fl_wl_shell_can_exec("no-such-program-here 1"));
	assert_false(fl_wl_shell_can_exec("\"sleep\" 1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_simple_command_is_execed),
		cmocka_unit_test(test_lists_pipelines_groups_and_builtins_run_as_given),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
