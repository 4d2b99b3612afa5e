// SPDX-License-Identifier: GPL-2.0-only
/*
 * The faultfs-rule record (<faultline/state.h>): its undo clears that rule
 * id on that faultfs daemon, and nothing else. A record naming another
 * process than the one answering on the socket leaves the rule alone (it
 * is not ours), and a daemon that is gone counts as undone (its rules went
 * with it).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/fs.h>
#include <faultline/state.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static json_t *call(const char *mnt, json_t *req)
{
	json_t *rep = NULL;
	int fd;

	assert_int_equal(fl_fs_connect(mnt, &fd), 0);
	assert_int_equal(fl_fs_request(fd, req, &rep, 5000), 0);
	close(fd);
	json_decref(req);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	return rep;
}

/* The ids of the rules the mount holds, as a bit set. */
static unsigned rule_ids(const char *mnt)
{
	json_t *rep = call(mnt, json_pack("{s:s}", "cmd", "status")), *v;
	unsigned set = 0;
	size_t i;

	json_array_foreach(json_object_get(rep, "rules"), i, v)
		set |= 1u << json_integer_value(json_object_get(v, "id"));
	json_decref(rep);
	return set;
}

static void test_undo_clears_that_rule_of_that_daemon(void **state)
{
	struct fl_faultfs_mount m = { 0 };
	struct fl_cleanup_report rep = { 0 };
	struct fl_state *st = NULL;
	char dir[PATH_MAX], sock[PATH_MAX];
	json_t *r;

	(void)state;
	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_fixture_tmpdir_create(dir, sizeof(dir)), 0);
	assert_int_equal(fl_faultfs_mount(NULL, &m), 0);
	assert_int_equal(fl_fs_socket_path(m.mnt, sock, sizeof(sock)), 0);
	r = call(m.mnt, json_pack("{s:s,s:[s,s,s]}", "cmd", "fault", "rules",
				  "write:error=ENOSPC", "fsync:error=EIO", "write:drop"));
	json_decref(r);
	assert_int_equal(rule_ids(m.mnt), 0x7);

	assert_int_equal(fl_state_open(dir, &st), 0);
	assert_int_equal(fl_state_record_faultfs_rule(st, "relative.sock", m.pid, 0, m.mnt, NULL),
			 -EINVAL);
	assert_int_equal(fl_state_record_faultfs_rule(st, sock, m.pid, 0, m.mnt, NULL), 0);
	/* Our own pid: alive, but not the process on the socket. */
	assert_int_equal(fl_state_record_faultfs_rule(st, sock, getpid(), 1, m.mnt, NULL), 0);
	assert_int_equal(fl_state_close_report(st, &rep), 0);
	assert_int_equal(rep.n_items, 2);
	assert_int_equal(rep.failed, 0);
	assert_string_equal(rep.items[0].kind, "faultfs-rule");
	assert_non_null(strstr(rep.items[1].what, "faultfs rule 0 on "));
	fl_cleanup_report_free(&rep);
	assert_int_equal(rule_ids(m.mnt), 0x6);

	/* Cleared already (by hand): undone all the same. */
	assert_int_equal(fl_state_open(dir, &st), 0);
	assert_int_equal(fl_state_record_faultfs_rule(st, sock, m.pid, 1, m.mnt, NULL), 0);
	r = call(m.mnt, json_pack("{s:s,s:i}", "cmd", "clear", "id", 1));
	json_decref(r);
	assert_int_equal(fl_state_close(st), 0);
	assert_int_equal(rule_ids(m.mnt), 0x4);

	/* The daemon is gone: so are its rules. */
	assert_int_equal(fl_state_open(dir, &st), 0);
	assert_int_equal(fl_state_record_faultfs_rule(st, sock, m.pid, 2, m.mnt, NULL), 0);
	fl_faultfs_stop(&m);
	assert_int_equal(fl_state_close(st), 0);
	fl_faultfs_unmount(&m);
	fl_fixture_tmpdir_destroy(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_undo_clears_that_rule_of_that_daemon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
