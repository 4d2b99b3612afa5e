// SPDX-License-Identifier: GPL-2.0-only
/*
 * State records and their undo, in a temporary run directory. Kinds that
 * need no privilege (sigcont) always run; mount and cgroup kinds skip
 * without root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/state.h>

#include "helpers/fixtures.h"
#include "helpers/target.h"

static int count_files(const char *dir)
{
	char cmd[PATH_MAX + 64];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' 2>/dev/null | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static pid_t stopped_child(void)
{
	pid_t pid = fl_target_spawn_stopped();

	assert_true(pid > 0);
	return pid;
}

/* Did the stopped child get SIGCONT within timeout_ms? */
static bool continued(pid_t pid, int timeout_ms)
{
	for (int i = 0; i < timeout_ms; i++) {
		int status;

		if (waitpid(pid, &status, WCONTINUED | WNOHANG) == pid &&
		    WIFCONTINUED(status))
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return false;
}

static void end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_open_creates_session_dir_named_pid_starttime(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state *st;
	char prefix[32];
	const char *name;

	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_true(exists(fl_state_dir(st)));
	name = strrchr(fl_state_dir(st), '/') + 1;
	snprintf(prefix, sizeof(prefix), "%d-", (int)getpid());
	assert_int_equal(strncmp(name, prefix, strlen(prefix)), 0);
	assert_int_equal(fl_state_close(st), 0);
	assert_int_equal(count_files(fx->path), 0);
}

static void test_run_dir_comes_from_env_when_no_argument(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state *st;

	setenv(FL_STATE_RUN_DIR_ENV, fx->path, 1);
	assert_int_equal(fl_state_open(NULL, &st), 0);
	assert_int_equal(strncmp(fl_state_dir(st), fx->path, strlen(fx->path)), 0);
	assert_int_equal(fl_state_close(st), 0);
	unsetenv(FL_STATE_RUN_DIR_ENV);
}

static void test_each_record_is_one_file_with_increasing_id(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state *st;
	uint64_t a = 0, b = 0;
	pid_t pid = stopped_child();

	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_record_sigcont(st, pid, &a), 0);
	assert_int_equal(fl_state_record_sigcont(st, pid, &b), 0);
	assert_true(b > a && a > 0);
	assert_int_equal(count_files(fl_state_dir(st)), 2);
	assert_int_equal(fl_state_forget(st, a), 0);
	assert_int_equal(fl_state_forget(st, a), -ENOENT);
	assert_int_equal(count_files(fl_state_dir(st)), 1);
	assert_int_equal(fl_state_close(st), 0);
	assert_true(continued(pid, 1000));
	end_child(pid);
}

static void test_close_continues_stopped_child_and_removes_dir(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cleanup_report rep;
	struct fl_state *st;
	pid_t pid = stopped_child();

	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_record_sigcont(st, pid, NULL), 0);
	assert_int_equal(fl_state_close_report(st, &rep), 0);
	assert_int_equal(rep.removed, 1);
	assert_int_equal(rep.failed, 0);
	assert_string_equal(rep.items[0].kind, "sigcont");
	fl_cleanup_report_free(&rep);
	assert_true(continued(pid, 1000));
	assert_int_equal(count_files(fx->path), 0);
	end_child(pid);
}

static void test_records_are_undone_newest_first(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cleanup_report rep;
	struct fl_state *st;
	pid_t p1 = stopped_child(), p2 = stopped_child();
	char w1[64], w2[64];

	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_record_sigcont(st, p1, NULL), 0);
	assert_int_equal(fl_state_record_sigcont(st, p2, NULL), 0);
	assert_int_equal(fl_state_close_report(st, &rep), 0);
	assert_int_equal(rep.n_items, 2);
	snprintf(w1, sizeof(w1), "SIGCONT to pid %d", (int)p1);
	snprintf(w2, sizeof(w2), "SIGCONT to pid %d", (int)p2);
	assert_string_equal(rep.items[0].what, w2);
	assert_string_equal(rep.items[1].what, w1);
	fl_cleanup_report_free(&rep);
	end_child(p1);
	end_child(p2);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A session dir of a controller that is dead: a reaped child's pid. */
static void make_dead_session(const char *root, char *dir, size_t len)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	snprintf(dir, len, "%s/%d-1", root, (int)pid);
	assert_int_equal(mkdir(dir, 0700), 0);
}

static void test_sigcont_leaves_alone_a_pid_with_other_starttime(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cleanup_report rep;
	char dir[PATH_MAX], rec[PATH_MAX + 32], text[128];
	pid_t pid = stopped_child();

	make_dead_session(fx->path, dir, sizeof(dir));
	snprintf(rec, sizeof(rec), "%s/000001-sigcont.json", dir);
	snprintf(text, sizeof(text), "{\"kind\":\"sigcont\",\"pid\":%d,\"starttime\":1}\n",
		 (int)pid);
	write_file(rec, text);
	assert_int_equal(fl_state_cleanup_all(fx->path, false, &rep), 0);
	assert_int_equal(rep.removed, 1);
	fl_cleanup_report_free(&rep);
	assert_false(continued(pid, 100));
	assert_false(exists(dir));
	end_child(pid);
}

static void test_cleanup_all_skips_live_sessions_unless_include_live(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cleanup_report rep;
	struct fl_state *st;
	pid_t pid = stopped_child();
	char dir[PATH_MAX];

	assert_int_equal(fl_state_open(fx->path, &st), 0);
	snprintf(dir, sizeof(dir), "%s", fl_state_dir(st));
	assert_int_equal(fl_state_record_sigcont(st, pid, NULL), 0);
	assert_int_equal(fl_state_cleanup_all(fx->path, false, &rep), 0);
	assert_int_equal(rep.removed + rep.failed, 0);
	fl_cleanup_report_free(&rep);
	assert_true(exists(dir));

	assert_int_equal(fl_state_cleanup_all(fx->path, true, &rep), 0);
	assert_int_equal(rep.removed, 1);
	fl_cleanup_report_free(&rep);
	assert_false(exists(dir));
	assert_true(continued(pid, 1000));
	/* The controller closing afterwards finds nothing left to do. */
	assert_int_equal(fl_state_close(st), 0);
	end_child(pid);
}

static void test_cleanup_all_of_dead_session_is_idempotent(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cleanup_report rep;
	char dir[PATH_MAX], rec[PATH_MAX + 32];

	make_dead_session(fx->path, dir, sizeof(dir));
	snprintf(rec, sizeof(rec), "%s/000001-netns.json", dir);
	write_file(rec, "{\"kind\":\"netns\",\"name\":\"fl-never-existed-xyz\"}\n");
	assert_int_equal(fl_state_cleanup_all(fx->path, false, &rep), 0);
	assert_int_equal(rep.sessions, 1);
	assert_int_equal(rep.removed, 1);
	fl_cleanup_report_free(&rep);
	assert_false(exists(dir));
	assert_int_equal(fl_state_cleanup_all(fx->path, false, &rep), 0);
	assert_int_equal(rep.sessions, 0);
	assert_int_equal(rep.n_items, 0);
	fl_cleanup_report_free(&rep);
}

static void test_cleanup_of_missing_run_dir_finds_nothing(void **state)
{
	struct fl_cleanup_report rep;

	assert_int_equal(fl_state_cleanup_all("/nonexistent/faultline-run", true, &rep), 0);
	assert_int_equal(rep.n_items, 0);
	fl_cleanup_report_free(&rep);
}

static void test_unknown_record_kind_fails_and_stays_for_next_cleanup(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cleanup_report rep;
	char dir[PATH_MAX], rec[PATH_MAX + 32];

	make_dead_session(fx->path, dir, sizeof(dir));
	snprintf(rec, sizeof(rec), "%s/000001-bogus.json", dir);
	write_file(rec, "{\"kind\":\"bogus\"}\n");
	assert_int_equal(fl_state_cleanup_all(fx->path, false, &rep), -EIO);
	assert_int_equal(rep.failed, 1);
	assert_non_null(strstr(rep.items[0].message, "unknown kind"));
	fl_cleanup_report_free(&rep);
	assert_true(exists(rec));
}

static void test_record_rejects_invalid_arguments(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state_tc_filter f = { .ifname = "lo", .parent = 0xfffffff2, .prio = 0 };
	struct fl_state_qdisc q = { .ifname = "bad/name" };
	const char *rule[] = { "OUTPUT", "-j", "DROP", NULL };
	const char *rule_opt_first[] = { "-F", NULL };
	struct fl_state *st;
	uint64_t id = 77;

	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_record_mount(st, "relative/path", &id), -EINVAL);
	assert_int_equal(fl_state_record_netns(st, "../etc", &id), -EINVAL);
	assert_int_equal(fl_state_record_netns(st, "a/b", &id), -EINVAL);
	assert_int_equal(fl_state_record_cgroup(st, "/sys/fs/cgroup/../x", &id), -EINVAL);
	assert_int_equal(fl_state_record_cgroup(st, "/tmp/not-a-cgroup", &id), -EINVAL);
	assert_int_equal(fl_state_record_tc_filter(st, &f, &id), -EINVAL);
	assert_int_equal(fl_state_record_qdisc(st, &q, &id), -EINVAL);
	assert_int_equal(fl_state_record_iptables(st, NULL, "rm", "filter", rule, &id), -EINVAL);
	assert_int_equal(fl_state_record_iptables(st, NULL, "iptables", "filter",
						  rule_opt_first, &id), -EINVAL);
	assert_int_equal(fl_state_record_sigcont(st, 0, &id), -EINVAL);
	assert_int_equal(id, 77);
	assert_int_equal(count_files(fl_state_dir(st)), 0);
	assert_int_equal(fl_state_close(st), 0);
}

struct wd_ctx {
	const char *root;
	pid_t stopped;
};

static int wd_controller(struct fl_target_child *c)
{
	struct wd_ctx *ctx = c->arg;
	struct fl_state *st;

	if (fl_state_open(ctx->root, &st) ||
	    fl_state_record_sigcont(st, ctx->stopped, NULL) ||
	    fl_state_watchdog_start(st))
		return 1;
	fl_target_child_report(c, fl_state_watchdog_pid(st));
	for (;;)
		pause();
}

static void test_watchdog_undoes_session_of_sigkilled_controller(void **state)
{
	struct fl_fixture *fx = *state;
	struct wd_ctx ctx = { .root = fx->path, .stopped = stopped_child() };
	struct fl_target *t;
	int64_t wd = 0;

	assert_int_equal(fl_target_spawn(wd_controller, &ctx, &t), 0);
	assert_int_equal(fl_target_read(t, &wd, 5000), 0);
	assert_true(wd > 0);
	assert_int_equal(count_files(fx->path), 1);
	assert_int_equal(fl_target_kill(t), 0);
	assert_int_equal(fl_target_wait(t, NULL, 2000), 0);
	assert_true(continued(ctx.stopped, 1000));
	for (int i = 0; i < 1000 && count_files(fx->path); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	assert_int_equal(count_files(fx->path), 0);
	fl_target_free(t);
	end_child(ctx.stopped);
}

static void test_close_stops_watchdog_without_it_undoing(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state *st;
	pid_t wd;

	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_watchdog_start(st), 0);
	wd = fl_state_watchdog_pid(st);
	assert_true(wd > 0);
	assert_int_equal(fl_state_close(st), 0);
	/* Reaped by close: the pid no longer names our child. */
	assert_int_equal(waitpid(wd, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_close_unmounts_recorded_mount(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state *st;
	char mnt[PATH_MAX + 8];
	struct stat a, b;

	if (!fl_test_require_root())
		skip();
	snprintf(mnt, sizeof(mnt), "%s/mnt", fx->path);
	assert_int_equal(mkdir(mnt, 0700), 0);
	assert_int_equal(mount("fl-test", mnt, "tmpfs", 0, "size=1m"), 0);
	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_record_mount(st, mnt, NULL), 0);
	assert_int_equal(fl_state_close(st), 0);
	assert_int_equal(stat(mnt, &a), 0);
	assert_int_equal(stat(fx->path, &b), 0);
	assert_int_equal(a.st_dev, b.st_dev);
	rmdir(mnt);
}

static void test_mount_undo_leaves_a_later_mount_on_same_path_alone(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state *st;
	char mnt[PATH_MAX + 8];
	struct stat a, b;

	if (!fl_test_require_root())
		skip();
	snprintf(mnt, sizeof(mnt), "%s/mnt", fx->path);
	assert_int_equal(mkdir(mnt, 0700), 0);
	assert_int_equal(mount("fl-test", mnt, "tmpfs", 0, "size=1m"), 0);
	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_record_mount(st, mnt, NULL), 0);
	assert_int_equal(umount2(mnt, 0), 0);
	assert_int_equal(mount("someone-else", mnt, "tmpfs", 0, "size=1m"), 0);
	assert_int_equal(fl_state_close(st), 0);
	assert_int_equal(stat(mnt, &a), 0);
	assert_int_equal(stat(fx->path, &b), 0);
	assert_true(a.st_dev != b.st_dev);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
}

static void test_close_removes_cgroup_after_moving_its_processes_out(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state *st;
	char root[PATH_MAX], cg[PATH_MAX + 64], procs[PATH_MAX + 80], pid_s[16];
	pid_t pid;

	if (!fl_test_require_root())
		skip();
	assert_int_equal(fl_fixture_cgroup2_root(root, sizeof(root)), 0);
	snprintf(cg, sizeof(cg), "%s/faultline-test-state-%d", root, (int)getpid());
	assert_int_equal(fl_state_open(fx->path, &st), 0);
	/* Recorded before creation: a crash in between leaves nothing behind. */
	assert_int_equal(fl_state_record_cgroup(st, cg, NULL), 0);
	assert_int_equal(mkdir(cg, 0755), 0);
	pid = stopped_child();
	kill(pid, SIGCONT);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	write_file(procs, pid_s);
	assert_int_equal(fl_state_close(st), 0);
	assert_false(exists(cg));
	assert_int_equal(kill(pid, 0), 0); /* moved, not killed */
	end_child(pid);
}

/* A child that sleeps until killed, already inside cgroup dir (cgroup.procs). */
static pid_t child_in_cgroup(const char *procs)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char num[16];
		int fd = open(procs, O_WRONLY);

		snprintf(num, sizeof(num), "%d", (int)getpid());
		if (fd < 0 || write(fd, num, strlen(num)) < 0)
			_exit(1);
		close(fd);
		close(p[0]);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void test_close_kills_service_cgroup_members_and_says_so(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_cleanup_report rep = { 0 };
	struct fl_state *st;
	char root[PATH_MAX], cg[PATH_MAX + 64], procs[PATH_MAX + 80], want[64];
	pid_t pid[2];
	int status;

	if (!fl_test_require_root())
		skip();
	assert_int_equal(fl_fixture_cgroup2_root(root, sizeof(root)), 0);
	snprintf(cg, sizeof(cg), "%s/faultline-test-svc-%d", root, (int)getpid());
	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_record_service_cgroup(st, cg, NULL), 0);
	assert_int_equal(mkdir(cg, 0755), 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	pid[0] = child_in_cgroup(procs);
	pid[1] = child_in_cgroup(procs);
	assert_int_equal(fl_state_close_report(st, &rep), 0);
	assert_false(exists(cg));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	assert_int_equal(rep.n_items, 1);
	assert_int_equal(rep.items[0].err, 0);
	snprintf(want, sizeof(want), "killed 2 processes");
	assert_non_null(strstr(rep.items[0].what, want));
	assert_non_null(strstr(rep.items[0].message, "killed 2 processes of service cgroup"));
	fl_cleanup_report_free(&rep);
}

static void test_file_record_unlinks_the_file_but_not_a_replacement(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_state *st;
	char a[PATH_MAX + 16], b[PATH_MAX + 16], tmp[PATH_MAX + 16];

	snprintf(a, sizeof(a), "%s/wlog-a", fx->path);
	snprintf(b, sizeof(b), "%s/wlog-b", fx->path);
	snprintf(tmp, sizeof(tmp), "%s/other", fx->path);
	write_file(a, "x");
	write_file(b, "x");
	assert_int_equal(fl_state_open(fx->path, &st), 0);
	assert_int_equal(fl_state_record_file(st, a, NULL), 0);
	assert_int_equal(fl_state_record_file(st, b, NULL), 0);
	assert_int_equal(fl_state_record_file(st, "relative", NULL), -EINVAL);
	assert_int_equal(fl_state_record_file(st, fx->path, NULL), -EINVAL);
	/* b is replaced by another file: that one is not ours. */
	write_file(tmp, "y");
	assert_int_equal(rename(tmp, b), 0);
	assert_int_equal(fl_state_close(st), 0);
	assert_false(exists(a));
	assert_true(exists(b));
	unlink(b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fl_setup_tmpdir, fl_teardown_tmpdir)
	const struct CMUnitTest tests[] = {
		T(test_open_creates_session_dir_named_pid_starttime),
		T(test_run_dir_comes_from_env_when_no_argument),
		T(test_each_record_is_one_file_with_increasing_id),
		T(test_close_continues_stopped_child_and_removes_dir),
		T(test_records_are_undone_newest_first),
		T(test_sigcont_leaves_alone_a_pid_with_other_starttime),
		T(test_cleanup_all_skips_live_sessions_unless_include_live),
		T(test_cleanup_all_of_dead_session_is_idempotent),
		cmocka_unit_test(test_cleanup_of_missing_run_dir_finds_nothing),
		T(test_unknown_record_kind_fails_and_stays_for_next_cleanup),
		T(test_record_rejects_invalid_arguments),
		T(test_watchdog_undoes_session_of_sigkilled_controller),
		T(test_close_stops_watchdog_without_it_undoing),
		T(test_close_unmounts_recorded_mount),
		T(test_mount_undo_leaves_a_later_mount_on_same_path_alone),
		T(test_close_removes_cgroup_after_moving_its_processes_out),
		T(test_close_kills_service_cgroup_members_and_says_so),
		T(test_file_record_unlinks_the_file_but_not_a_replacement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
