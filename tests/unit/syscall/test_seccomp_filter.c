// SPDX-License-Identifier: GPL-2.0-only
/*
 * The seccomp filter for launched targets: only the syscalls named in the
 * rules reach the supervisor, everything else (and every foreign-arch
 * call) stays in the kernel; rule checks and the path/fd argument tables.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <cmocka.h>

#include <faultline/seccomp.h>
#include "syscall/seccomp_priv.h"

static void parse(const char *text, struct fl_rule *r)
{
	struct fl_rule_error e = { 0 };

	if (fl_rule_parse(text, r, &e))
		fail_msg("parse '%s': %s", text, e.message);
}

static int64_t eval(const struct sock_fprog *p, const char *name)
{
	return fl_seccomp_filter_eval(p, AUDIT_ARCH_X86_64, fl_syscall_nr(name));
}

static void test_filter_notifies_named_syscalls_and_allows_the_rest(void **state)
{
	struct fl_rule r[2];
	struct sock_fprog p;

	parse("openat:error=ENOENT", &r[0]);
	parse("fsync,fdatasync:delay=10ms", &r[1]);
	assert_int_equal(fl_seccomp_filter_build(r, 2, &p), 0);
	assert_int_equal(eval(&p, "openat"), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(eval(&p, "fsync"), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(eval(&p, "fdatasync"), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(eval(&p, "read"), SECCOMP_RET_ALLOW);
	assert_int_equal(eval(&p, "open"), SECCOMP_RET_ALLOW);
	assert_int_equal(eval(&p, "close"), SECCOMP_RET_ALLOW);
	fl_seccomp_filter_free(&p);
}

static void test_filter_allows_every_call_of_a_foreign_arch(void **state)
{
	struct fl_rule r;
	struct sock_fprog p;

	parse("openat:error=ENOENT", &r);
	assert_int_equal(fl_seccomp_filter_build(&r, 1, &p), 0);
	assert_int_equal(fl_seccomp_filter_eval(&p, AUDIT_ARCH_I386, fl_syscall_nr("openat")),
			 SECCOMP_RET_ALLOW);
	fl_seccomp_filter_free(&p);
}

static void test_filter_compares_a_syscall_named_by_several_rules_once(void **state)
{
	struct fl_rule r[3];
	struct sock_fprog p;

	parse("openat:error=ENOENT:when=1", &r[0]);
	parse("openat:error=EIO:when=2", &r[1]);
	parse("openat,unlink:retval=0", &r[2]);
	assert_int_equal(fl_seccomp_filter_build(r, 3, &p), 0);
	/* ld arch, jeq arch, ld nr, 2 compares, allow, notif */
	assert_int_equal(p.len, 7);
	assert_int_equal(eval(&p, "unlink"), SECCOMP_RET_USER_NOTIF);
	fl_seccomp_filter_free(&p);
}

static void test_rule_check_refuses_star_and_path_on_a_pathless_syscall(void **state)
{
	struct fl_rule r;
	struct fl_rule_error e = { 0 };

	parse("*:error=EIO", &r);
	assert_int_equal(fl_seccomp_rule_check(&r, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.message, "named"));
	parse("getpid:error=EIO:path=*.wal", &r);
	assert_int_equal(fl_seccomp_rule_check(&r, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.message, "getpid"));
	parse("fsync:error=EIO:path=*.wal", &r);
	assert_int_equal(fl_seccomp_rule_check(&r, NULL), 0);
	parse("openat:signal=SIGKILL:path=/data/*", &r);
	assert_int_equal(fl_seccomp_rule_check(&r, NULL), 0);
}

static void test_filter_build_refuses_a_rule_seccomp_cannot_honour(void **state)
{
	struct fl_rule r;
	struct sock_fprog p = { 0 };

	parse("*:error=EIO", &r);
	assert_int_equal(fl_seccomp_filter_build(&r, 1, &p), -EINVAL);
	assert_null(p.filter);
}

static void test_path_and_fd_tables_name_the_right_argument(void **state)
{
	assert_int_equal(fl_seccomp_path_arg(fl_syscall_nr("open")), 0);
	assert_int_equal(fl_seccomp_path_arg(fl_syscall_nr("openat")), 1);
	assert_int_equal(fl_seccomp_path_arg(fl_syscall_nr("unlink")), 0);
	assert_int_equal(fl_seccomp_path_arg(fl_syscall_nr("renameat2")), 1);
	assert_int_equal(fl_seccomp_path_arg(fl_syscall_nr("fsync")), -1);
	assert_int_equal(fl_seccomp_fd_arg(fl_syscall_nr("fsync")), 0);
	assert_int_equal(fl_seccomp_fd_arg(fl_syscall_nr("pwrite64")), 0);
	assert_int_equal(fl_seccomp_fd_arg(fl_syscall_nr("openat")), -1);
	assert_int_equal(fl_seccomp_path_arg(fl_syscall_nr("getpid")), -1);
	assert_int_equal(fl_seccomp_fd_arg(fl_syscall_nr("getpid")), -1);
}

/*
 * The filter answers a rule by itself only where it needs no decision and
 * comes first on every syscall it names; a rule is answered in the kernel
 * whole or not at all; the handshake exemption still lets the launcher's
 * own sendmsg through.
 */
static void test_filter_answers_rules_without_conditions_in_the_kernel(void **state)
{
	const char *text[] = { "mkdir:error=EPERM:when=2", "mkdir,rmdir:error=EROFS",
			       "unlink:error=EBUSY", "sendmsg:error=EIO", "fsync:error=EIO:when=1+" };
	struct fl_rule rules[5];
	struct fl_sc_filter_spec spec;
	struct sock_fprog p = { 0 };
	bool ik[5];
	const bool want[5] = { false, false, true, true, true };

	(void)state;
	for (size_t i = 0; i < 5; i++)
		parse(text[i], &rules[i]);
	assert_int_equal(fl_sc_filter_spec(rules, 5, true, &spec, ik), 0);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(ik[i], want[i]);
	assert_int_equal(fl_sc_filter_build(&spec, 5, &p), 0);
	assert_int_equal(eval(&p, "mkdir"), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(eval(&p, "rmdir"), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(eval(&p, "unlink"), SECCOMP_RET_ERRNO | EBUSY);
	/* fd 0 is not the handshake socket (5): the rule's answer */
	assert_int_equal(eval(&p, "sendmsg"), SECCOMP_RET_ERRNO | EIO);
	assert_int_equal(eval(&p, "fsync"), SECCOMP_RET_ERRNO | EIO);
	assert_int_equal(eval(&p, "getppid"), SECCOMP_RET_ALLOW);
	fl_seccomp_filter_free(&p);

	/* Off: everything named is notified, as fl_seccomp_filter_build does. */
	assert_int_equal(fl_sc_filter_spec(rules, 5, false, &spec, ik), 0);
	for (size_t i = 0; i < 5; i++)
		assert_false(ik[i]);
	assert_int_equal(fl_sc_filter_build(&spec, 5, &p), 0);
	assert_int_equal(eval(&p, "unlink"), SECCOMP_RET_USER_NOTIF);
	fl_seccomp_filter_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_notifies_named_syscalls_and_allows_the_rest),
		cmocka_unit_test(test_filter_allows_every_call_of_a_foreign_arch),
		cmocka_unit_test(test_filter_compares_a_syscall_named_by_several_rules_once),
		cmocka_unit_test(test_rule_check_refuses_star_and_path_on_a_pathless_syscall),
		cmocka_unit_test(test_filter_build_refuses_a_rule_seccomp_cannot_honour),
		cmocka_unit_test(test_path_and_fd_tables_name_the_right_argument),
		cmocka_unit_test(test_filter_answers_rules_without_conditions_in_the_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
