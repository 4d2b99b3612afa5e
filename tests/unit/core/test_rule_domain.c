// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Which ops, actions and selectors each fault domain accepts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/rule.h>

static void assert_domain_ok(const char *text, enum fl_domain domain)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	if (fl_rule_parse(text, &rule, &err))
		fail_msg("'%s' was refused: %s", text, err.message);
	if (fl_rule_check_domain(&rule, domain, &err))
		fail_msg("'%s' refused in %s: %s", text, fl_domain_name(domain),
			 err.message);
}

static void assert_domain_refused(const char *text, enum fl_domain domain,
				  const char *message, unsigned column)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	if (fl_rule_parse(text, &rule, &err))
		fail_msg("'%s' was refused by the parser: %s", text,
			 err.message);
	if (fl_rule_check_domain(&rule, domain, &err) != -EINVAL)
		fail_msg("'%s' was accepted in %s", text,
			 fl_domain_name(domain));
	assert_string_equal(err.message, message);
	assert_int_equal(err.column, column);
}

static void test_syscall_domain_accepts_syscall_names_and_star(void **state)
{
	assert_domain_ok("fsync:error=EIO:when=3+2", FL_DOMAIN_SYSCALL);
	assert_domain_ok("open,openat:error=ENOSPC:path=/data/*:prob=10%",
			 FL_DOMAIN_SYSCALL);
	assert_domain_ok("*:delay=1ms", FL_DOMAIN_SYSCALL);
	assert_domain_ok("write:retval=0:count=1:for=1s:seed=7",
			 FL_DOMAIN_SYSCALL);
	assert_domain_ok("fsync:signal=SIGKILL:when=100", FL_DOMAIN_SYSCALL);
	assert_domain_ok("fsync:pause=2s", FL_DOMAIN_SYSCALL);
}

static void test_syscall_domain_refuses_unknown_syscall_with_suggestion(void **state)
{
	assert_domain_refused("read,fsyncc:error=EIO", FL_DOMAIN_SYSCALL,
			      "unknown syscall 'fsyncc' at column 6 (did you mean 'fsync'?)",
			      6);
	assert_domain_refused("tcp:error=EIO", FL_DOMAIN_SYSCALL,
			      "unknown syscall 'tcp' at column 1 (use a syscall name or *)",
			      1);
	assert_domain_refused("zzzzzzzz:error=EIO", FL_DOMAIN_SYSCALL,
			      "unknown syscall 'zzzzzzzz' at column 1 (use a syscall name or *)",
			      1);
}

static void test_syscall_domain_refuses_storage_and_network_actions(void **state)
{
	assert_domain_refused("write:corrupt=bitflip", FL_DOMAIN_SYSCALL,
			      "'corrupt' is not a syscall action, at column 7 (use error, retval, delay, signal or pause)",
			      7);
	assert_domain_refused("sendto:drop", FL_DOMAIN_SYSCALL,
			      "'drop' is not a syscall action, at column 8 (use error, retval, delay, signal or pause)",
			      8);
}

static void test_syscall_domain_refuses_network_keys(void **state)
{
	assert_domain_refused("connect:error=ECONNREFUSED:dport=5432",
			      FL_DOMAIN_SYSCALL,
			      "'dport' does not apply to the syscall domain, at column 28",
			      28);
}

static void test_fs_domain_accepts_its_ops_and_actions(void **state)
{
	assert_domain_ok("write:path=*.sst:corrupt=bitflip:bytes=4",
			 FL_DOMAIN_FS);
	assert_domain_ok("write:torn=4k", FL_DOMAIN_FS);
	assert_domain_ok("fsync,fdatasync:fsyncgate", FL_DOMAIN_FS);
	assert_domain_ok("write:drop:path=/data/*", FL_DOMAIN_FS);
	assert_domain_ok("fsync:powercut=after:when=3", FL_DOMAIN_FS);
	assert_domain_ok("read:corrupt=zero:read", FL_DOMAIN_FS);
	assert_domain_ok("readdir,setxattr,fallocate:error=EIO", FL_DOMAIN_FS);
}

static void test_fs_domain_refuses_syscall_names_it_does_not_model(void **state)
{
	assert_domain_refused("openat:error=EIO", FL_DOMAIN_FS,
			      "unknown fs op 'openat' at column 1 (did you mean 'open'?)",
			      1);
}

static void test_fsyncgate_needs_fsync_or_fdatasync(void **state)
{
	assert_domain_refused("fsync,write:fsyncgate", FL_DOMAIN_FS,
			      "fsyncgate only applies to fsync and fdatasync, not 'write' at column 7",
			      7);
	assert_domain_refused("*:fsyncgate", FL_DOMAIN_FS,
			      "fsyncgate only applies to fsync and fdatasync, not '*' at column 1",
			      1);
}

static void test_fs_domain_refuses_signals_and_network_keys(void **state)
{
	assert_domain_refused("fsync:signal=SIGKILL", FL_DOMAIN_FS,
			      "'signal' is not a fs action, at column 7 (use error, delay, corrupt, torn, drop, powercut or fsyncgate)",
			      7);
	assert_domain_refused("write:drop:host=db", FL_DOMAIN_FS,
			      "'host' does not apply to the fs domain, at column 12",
			      12);
}

static void test_net_domain_accepts_packet_faults(void **state)
{
	assert_domain_ok("tcp:dport=5432:drop:prob=30%", FL_DOMAIN_NET);
	assert_domain_ok("udp:delay=50ms~10ms:sport=53", FL_DOMAIN_NET);
	assert_domain_ok("tcp,udp:rate=1mbit:host=[::1]", FL_DOMAIN_NET);
	/*
	 * Issue 13 gave the net domain its own grammar: corrupt=wire|payload
	 * (not the fs modes), reorder=P% beside delay= (not a bare action),
	 * error= on the socket calls only. The three old forms that said
	 * otherwise are refused in test_net_grammar_replaced_old_forms.
	 */
	assert_domain_ok("ip:corrupt=wire:bytes=1", FL_DOMAIN_NET);
	assert_domain_ok("icmp:duplicate", FL_DOMAIN_NET);
	assert_domain_ok("*:delay=10ms:reorder=25%", FL_DOMAIN_NET);
	assert_domain_ok("connect:error=ECONNRESET", FL_DOMAIN_NET);
}

static void test_net_grammar_replaced_old_forms(void **state)
{
	assert_domain_refused("ip:corrupt=bitflip:bytes=1", FL_DOMAIN_NET,
			      "corrupt=bitflip is a fs mode, at column 12 (the net domain takes wire or payload)",
			      12);
	assert_domain_refused("*:reorder", FL_DOMAIN_NET,
			      "a bare 'reorder' is not a net action, at column 3 (write delay=DURATION:reorder=PERCENT%)",
			      3);
	assert_domain_refused("tcp:error=ECONNRESET", FL_DOMAIN_NET,
			      "error= only applies to the socket calls connect, sendmsg and bind, not to the packet protocol 'tcp', at column 5",
			      5);
}

static void test_net_domain_refuses_paths_and_unknown_protocols(void **state)
{
	assert_domain_refused("tcp:drop:path=/x", FL_DOMAIN_NET,
			      "'path' does not apply to the net domain, at column 10",
			      10);
	assert_domain_refused("sctp:drop", FL_DOMAIN_NET,
			      "unknown net op 'sctp' at column 1 (did you mean 'tcp'?)",
			      1);
	assert_domain_refused("tcp:torn=512", FL_DOMAIN_NET,
			      "'torn' is not a net action, at column 5 (use drop, reject, partition, delay, corrupt, duplicate, rate, reset or error)",
			      5);
}

static void test_proc_domain_is_permissive_about_actions(void **state)
{
	assert_domain_ok("kill:signal=SIGKILL:when=2", FL_DOMAIN_PROC);
	assert_domain_ok("pause:pause=5s", FL_DOMAIN_PROC);
	assert_domain_ok("oom:drop", FL_DOMAIN_PROC);
	assert_domain_refused("freeze:pause=1s", FL_DOMAIN_PROC,
			      "unknown proc op 'freeze' at column 1 (use kill, pause, oom or *)",
			      1);
}

static void test_unknown_domain_and_hand_built_rule_without_action(void **state)
{
	struct fl_rule_error err = { 0 };
	struct fl_rule rule;

	memset(&rule, 0, sizeof(rule));
	rule.n_ops = 1;
	strcpy(rule.ops[0], "fsync");
	assert_int_equal(fl_rule_check_domain(&rule, FL_DOMAIN__COUNT, &err),
			 -EINVAL);
	assert_string_equal(err.message, "unknown fault domain at column 1");
	assert_int_equal(fl_rule_check_domain(&rule, FL_DOMAIN_SYSCALL, &err),
			 -EINVAL);
	assert_string_equal(err.message, "missing action at column 1");
	/* err may be NULL */
	assert_int_equal(fl_rule_check_domain(&rule, FL_DOMAIN_SYSCALL, NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_domain_accepts_syscall_names_and_star),
		cmocka_unit_test(test_syscall_domain_refuses_unknown_syscall_with_suggestion),
		cmocka_unit_test(test_syscall_domain_refuses_storage_and_network_actions),
		cmocka_unit_test(test_syscall_domain_refuses_network_keys),
		cmocka_unit_test(test_fs_domain_accepts_its_ops_and_actions),
		cmocka_unit_test(test_fs_domain_refuses_syscall_names_it_does_not_model),
		cmocka_unit_test(test_fsyncgate_needs_fsync_or_fdatasync),
		cmocka_unit_test(test_fs_domain_refuses_signals_and_network_keys),
		cmocka_unit_test(test_net_domain_accepts_packet_faults),
		cmocka_unit_test(test_net_grammar_replaced_old_forms),
		cmocka_unit_test(test_net_domain_refuses_paths_and_unknown_protocols),
		cmocka_unit_test(test_proc_domain_is_permissive_about_actions),
		cmocka_unit_test(test_unknown_domain_and_hand_built_rule_without_action),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
