// SPDX-License-Identifier: GPL-2.0-only
/*
 * The safety contract end to end, with real kernel objects: a tmpfs mount,
 * a cgroup, a named netns, an HTB qdisc and an iptables rule (inside a
 * netns of our own, on a veth pair: dummy is not built here), and a
 * SIGSTOPped child. Each of the three undoers must remove them all: fl_state_close(), the watchdog
 * of a SIGKILLed controller (within 1 s), and `faultline cleanup`.
 */
#include <errno.h>
#include <libgen.h>
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
#include <linux/pkt_sched.h>
#include <cmocka.h>

#include <faultline/state.h>

#include "helpers/fixtures.h"
#include "helpers/target.h"

#define DEV "fl0"

/* Everything one scenario installs. */
struct objs {
	char run_dir[PATH_MAX];
	char mnt[PATH_MAX];
	char cgroup[PATH_MAX];
	char netns[64];       /* recorded, removed by the undo */
	char host_ns[64];     /* ours, holds the dummy device, qdisc and rule */
	pid_t stopped;
};

static const char *const rule[] = {
	"OUTPUT", "-p", "tcp", "--dport", "5999", "-j", "DROP", NULL,
};

static int ns_sh(const char *ns, const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };

	return fl_fixture_netns_cmd(ns, argv);
}

static bool mounted(const char *path)
{
	char parent[PATH_MAX];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s", path);
	if (stat(path, &a) < 0 || stat(dirname(parent), &b) < 0)
		return false;
	return a.st_dev != b.st_dev;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static bool netns_exists(const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/run/netns/%s", name);
	return exists(p);
}

static bool qdisc_present(const struct objs *o)
{
	return ns_sh(o->host_ns, "tc qdisc show dev " DEV " | grep -q htb") == 0;
}

static bool rule_present(const struct objs *o)
{
	return ns_sh(o->host_ns,
		     "iptables -w 5 -t filter -C OUTPUT -p tcp --dport 5999 -j DROP") == 0;
}

static bool is_stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool stopped = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		stopped = p[2] == 'T';
	fclose(f);
	return stopped;
}

static pid_t stopped_child(void)
{
	pid_t pid = fl_target_spawn_stopped();

	assert_true(pid > 0);
	return pid;
}

static void create_all(struct objs *o)
{
	char root[PATH_MAX];

	assert_int_equal(fl_fixture_tmpdir_create(o->run_dir, sizeof(o->run_dir)), 0);
	assert_int_equal(fl_fixture_tmpfs_create(o->mnt, sizeof(o->mnt)), 0);
	assert_int_equal(fl_fixture_cgroup2_root(root, sizeof(root)), 0);
	assert_int_equal(fl_fixture_cgroup_create(o->cgroup, sizeof(o->cgroup)), 0);
	fl_fixture_netns_name(o->netns, sizeof(o->netns));
	assert_int_equal(fl_fixture_netns_create(o->netns), 0);
	fl_fixture_netns_name(o->host_ns, sizeof(o->host_ns));
	assert_int_equal(fl_fixture_netns_create(o->host_ns), 0);
	assert_int_equal(ns_sh(o->host_ns, "ip link add " DEV " type veth peer name fl1 && "
			       "ip link set " DEV " up && "
			       "tc qdisc add dev " DEV " root handle 1: htb"), 0);
	assert_int_equal(ns_sh(o->host_ns, "iptables -w 5 -t filter -A OUTPUT -p tcp "
			       "--dport 5999 -j DROP"), 0);
	o->stopped = stopped_child();
	assert_true(mounted(o->mnt) && exists(o->cgroup) && netns_exists(o->netns));
	assert_true(qdisc_present(o) && rule_present(o) && is_stopped(o->stopped));
}

static int record_all(struct fl_state *st, const struct objs *o)
{
	struct fl_state_qdisc q = {
		.netns = o->host_ns, .ifname = DEV, .parent = TC_H_ROOT,
		.handle = 0x10000, .kind = "htb",
	};

	if (fl_state_record_netns(st, o->netns, NULL) ||
	    fl_state_record_qdisc(st, &q, NULL) ||
	    fl_state_record_iptables(st, o->host_ns, "iptables", "filter", rule, NULL) ||
	    fl_state_record_mount(st, o->mnt, NULL) ||
	    fl_state_record_cgroup(st, o->cgroup, NULL) ||
	    fl_state_record_sigcont(st, o->stopped, NULL))
		return -1;
	return 0;
}

static bool all_gone(const struct objs *o)
{
	return !mounted(o->mnt) && !exists(o->cgroup) && !netns_exists(o->netns) &&
	       !qdisc_present(o) && !rule_present(o) && !is_stopped(o->stopped);
}

/* The fixtures' own teardown removes whatever a failed test left. */
static void destroy_all(struct objs *o)
{
	kill(o->stopped, SIGKILL);
	waitpid(o->stopped, NULL, 0);
	fl_fixture_netns_delete(o->host_ns);
	fl_fixture_netns_delete(o->netns);
	fl_fixture_cgroup_destroy(o->cgroup);
	fl_fixture_tmpfs_destroy(o->mnt);
	fl_fixture_tmpdir_destroy(o->run_dir);
}

static int setup(void **state)
{
	struct objs *o = calloc(1, sizeof(*o));

	*state = o;
	if (!o)
		return -1;
	if (geteuid() == 0)
		create_all(o);
	return 0;
}

static int teardown(void **state)
{
	struct objs *o = *state;

	if (o && geteuid() == 0)
		destroy_all(o);
	free(o);
	return 0;
}

static void test_close_removes_every_recorded_object(void **state)
{
	struct objs *o = *state;
	struct fl_cleanup_report rep;
	struct fl_state *st;

	if (!fl_test_require_root())
		skip();
	assert_int_equal(fl_state_open(o->run_dir, &st), 0);
	assert_int_equal(record_all(st, o), 0);
	assert_int_equal(fl_state_close_report(st, &rep), 0);
	for (size_t i = 0; i < rep.n_items; i++)
		if (rep.items[i].err)
			print_message("failed: %s: %s\n", rep.items[i].what, rep.items[i].message);
	assert_int_equal(rep.removed, 6);
	assert_int_equal(rep.failed, 0);
	fl_cleanup_report_free(&rep);
	assert_true(all_gone(o));
}

struct ctl_ctx {
	struct objs *o;
	bool watchdog;
};

static int controller(struct fl_target_child *c)
{
	struct ctl_ctx *ctx = c->arg;
	struct fl_state *st;

	if (fl_state_open(ctx->o->run_dir, &st) || record_all(st, ctx->o))
		return 1;
	if (ctx->watchdog && fl_state_watchdog_start(st))
		return 2;
	fl_target_child_report(c, 0);
	for (;;)
		pause();
}

static void kill_controller(struct objs *o, bool watchdog)
{
	struct ctl_ctx ctx = { .o = o, .watchdog = watchdog };
	struct fl_target *t;
	int64_t v;

	assert_int_equal(fl_target_spawn(controller, &ctx, &t), 0);
	assert_int_equal(fl_target_read(t, &v, 10000), 0);
	assert_int_equal(fl_target_kill(t), 0);
	assert_int_equal(fl_target_wait(t, NULL, 2000), 0);
	fl_target_free(t);
}

static void test_watchdog_removes_everything_within_1s_of_sigkill(void **state)
{
	struct objs *o = *state;
	struct timespec t0, t1;
	long ms;

	if (!fl_test_require_root())
		skip();
	kill_controller(o, true);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* all_gone forks tc and iptables: poll the cheap checks first. */
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (!netns_exists(o->netns) || ms > 1000)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
	print_message("watchdog finished in %ld ms\n", ms);
	assert_true(ms <= 1000);
	assert_true(all_gone(o));
}

/* BUILD/faultline, found from our own path BUILD/tests/integration/core/x. */
static bool find_cli(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (int i = 0; i < 4; i++) {
		char *slash = strrchr(exe, '/');

		if (slash)
			*slash = '\0';
	}
	if ((size_t)snprintf(buf, len, "%s/faultline", exe) >= len)
		return false;
	return access(buf, X_OK) == 0;
}

static int run_cli(const char *cli, const char *run_dir, char *out, size_t len)
{
	char cmd[PATH_MAX * 2 + 64];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' cleanup --run-dir '%s' 2>&1", cli, run_dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return WEXITSTATUS(pclose(p));
}

static void test_cli_cleanup_removes_leftovers_and_second_run_is_noop(void **state)
{
	struct objs *o = *state;
	char cli[PATH_MAX], out[8192];

	if (!fl_test_require_root())
		skip();
	if (!find_cli(cli, sizeof(cli))) {
		print_message("skip: %s not built\n", cli);
		skip();
	}
	kill_controller(o, false);
	assert_false(all_gone(o));
	assert_int_equal(run_cli(cli, o->run_dir, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "6 removed, 0 failed"));
	assert_true(all_gone(o));
	assert_int_equal(run_cli(cli, o->run_dir, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "nothing to clean up"));
}

static bool dead(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			return true;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			return true;
		usleep(5000);
	}
	return false;
}

/*
 * A controller that started a service in a cgroup of its own and was
 * SIGKILLed without a watchdog: `faultline cleanup` kills the service
 * (it is faultline's) instead of moving it out, and says how many.
 */
static void test_cli_cleanup_kills_a_service_cgroup_and_says_how_many(void **state)
{
	struct fl_fixture *fx = *state;
	char cli[PATH_MAX], out[8192], root[PATH_MAX], cg[PATH_MAX + 64], procs[PATH_MAX + 80];
	int p[2], status;
	pid_t ctl, svc = 0;

	if (!fl_test_require_root())
		skip();
	if (!find_cli(cli, sizeof(cli))) {
		print_message("skip: %s not built\n", cli);
		skip();
	}
	assert_int_equal(fl_fixture_cgroup2_root(root, sizeof(root)), 0);
	snprintf(cg, sizeof(cg), "%s/faultline-test-cleanup-svc-%d", root, (int)getpid());
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	assert_int_equal(pipe(p), 0);
	ctl = fork();
	assert_true(ctl >= 0);
	if (ctl == 0) {
		struct fl_state *st;
		pid_t pid;

		close(p[0]);
		if (fl_state_open(fx->path, &st) || fl_state_record_service_cgroup(st, cg, NULL) ||
		    mkdir(cg, 0755))
			_exit(1);
		pid = fork();
		if (pid == 0) {
			FILE *f = fopen(procs, "w");

			if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
				_exit(1);
			for (;;)
				pause();
		}
		/* Wait until the service sits in its group, then tell the test its pid. */
		for (int i = 0; i < 1000; i++) {
			char line[32] = "";
			FILE *f = fopen(procs, "r");

			if (f && fgets(line, sizeof(line), f) && atoi(line) == pid)
				i = 1000;
			if (f)
				fclose(f);
			usleep(1000);
		}
		if (write(p[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &svc, sizeof(svc)), sizeof(svc));
	close(p[0]);
	kill(ctl, SIGKILL);
	assert_int_equal(waitpid(ctl, &status, 0), ctl);
	/* The service outlived its controller: what a SIGKILLed faultline left. */
	assert_int_equal(kill(svc, 0), 0);
	assert_int_equal(run_cli(cli, fx->path, out, sizeof(out)), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "removed service cgroup"));
	assert_non_null(strstr(out, "(killed 1 process)"));
	assert_int_equal(access(cg, F_OK), -1);
	/* Dead: gone, or a zombie its new parent (a subreaper, maybe) has not reaped. */
	assert_true(dead(svc));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_close_removes_every_recorded_object,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_removes_everything_within_1s_of_sigkill,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_cleanup_removes_leftovers_and_second_run_is_noop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_cleanup_kills_a_service_cgroup_and_says_how_many,
						fl_setup_tmpdir, fl_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
