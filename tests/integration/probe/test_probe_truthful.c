// SPDX-License-Identifier: GPL-2.0-only
/*
 * The probe must tell the truth. Each mechanism the probe calls "works" is
 * used here for real through a path independent of the probe's own code
 * (iproute2's tc, iptables, the faultfs and faultline binaries, plain
 * cgroupfs writes), and each one it calls "missing" must fail that way too.
 * On this project's reference kernel (6.18, hardened) the whole report must
 * equal DESIGN.md's table.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <faultline/probe.h>
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static struct fl_probe_report report;
static bool probed;

static int probe_once(void **state)
{
	if (geteuid() == 0 && fl_probe_all(&report) == 0)
		probed = true;
	return 0;
}

static bool require_probe(void)
{
	if (!fl_test_require_root())
		return false;
	if (!probed) {
		print_message("skip: the probe did not run\n");
		return false;
	}
	return true;
}

static bool works(enum fl_mechanism m)
{
	return report.mech[m].status == FL_PROBE_WORKS;
}

/* Exit status of a shell command line, output discarded. */
static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[1024], full[1100];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	st = system(full);
	if (st == -1)
		return -errno;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

static void assert_qdisc_agrees(enum fl_mechanism m, const char *kind_args)
{
	/* A throwaway netns: whatever tc installs there dies with unshare. */
	int rc = sh("unshare -n sh -c 'ip link set lo up && tc qdisc add dev lo root %s'", kind_args);

	print_message("  %s: probe says %s, tc says %s\n", fl_mechanism_name(m),
		      fl_probe_status_name(report.mech[m].status), rc == 0 ? "ok" : "error");
	assert_int_equal(works(m), rc == 0);
}

static void test_qdisc_kinds_agree_with_iproute2(void **state)
{
	if (!require_probe())
		skip();
	if (sh("command -v tc") != 0) {
		print_message("skip: iproute2's tc is not installed\n");
		skip();
	}
	assert_qdisc_agrees(FL_MECH_NETEM, "netem delay 10ms");
	assert_qdisc_agrees(FL_MECH_FQ, "fq");
	assert_qdisc_agrees(FL_MECH_HTB, "handle 1: htb default 1");
	assert_qdisc_agrees(FL_MECH_TBF, "tbf rate 1mbit burst 32kbit latency 400ms");
}

static void test_nfqueue_rule_installs_when_probe_says_it_works(void **state)
{
	int rc;

	if (!require_probe())
		skip();
	if (sh("command -v iptables") != 0) {
		print_message("skip: iptables is not installed\n");
		skip();
	}
	rc = sh("unshare -n iptables -t mangle -A OUTPUT -p udp --dport 9 -j NFQUEUE --queue-num 7");
	if (works(FL_MECH_NFQUEUE))
		assert_int_equal(rc, 0);
}

static void test_faultfs_mount_serves_io_when_fuse_works(void **state)
{
	struct fl_faultfs_mount m = { .pid = -1 };
	char path[PATH_MAX + 16], buf[32] = { 0 };
	FILE *f;
	int err;

	if (!require_probe())
		skip();
	if (!works(FL_MECH_FUSE)) {
		print_message("skip: the probe says FUSE does not work here: %s\n",
			      report.mech[FL_MECH_FUSE].detail);
		skip();
	}
	err = fl_faultfs_mount(NULL, &m);
	assert_int_equal(err, 0);

	snprintf(path, sizeof(path), "%s/hello", m.mnt);
	f = fopen(path, "w");
	if (f) {
		fputs("through fuse", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/hello", m.backing);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	fl_faultfs_unmount(&m);
	assert_string_equal(buf, "through fuse");
}

static void test_crash_point_kills_at_exact_call_when_send_signal_works(void **state)
{
	char dir[] = "/tmp/fl-truth-crash-XXXXXX", cmd[512], out[4096] = { 0 };
	FILE *p;
	size_t n;
	int st;

	if (!require_probe())
		skip();
	if (!works(FL_MECH_SEND_SIGNAL)) {
		print_message("skip: the probe says bpf_send_signal does not work here\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "%s/faultline syscall 'fsync:signal=SIGKILL:when=3' -- %s/targets/fl-demo-writer %s/log 10 2>/dev/null",
		 build_dir(), build_dir(), dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	sh("rm -rf %s", dir);

	/* Killed like a shell reports it: 128 + SIGKILL. */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGKILL);
	assert_non_null(strstr(out, "acked 2"));
	assert_null(strstr(out, "acked 3"));
}

static void test_cgroup2_takes_a_process_when_probe_says_it_works(void **state)
{
	char cg[PATH_MAX];
	pid_t child;
	int err;

	if (!require_probe())
		skip();
	err = fl_fixture_cgroup_create(cg, sizeof(cg));
	assert_int_equal(err == 0, works(FL_MECH_CGROUP2));
	if (err)
		return;

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(sh("echo %d > %s/cgroup.procs && grep -q '^0::.*%s$' /proc/%d/cgroup",
			    child, cg, strrchr(cg, '/'), child), 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(fl_fixture_cgroup_destroy(cg), 0);
}

/*
 * A leftover stays; a probe that another faultline on this machine runs at
 * the same moment is gone within milliseconds. Look for up to 2 s.
 */
static bool stays(const char *found_cmd)
{
	for (int i = 0; i < 20; i++) {
		if (sh("%s", found_cmd) != 0)
			return false;
		usleep(100 * 1000);
	}
	return true;
}

static void test_probe_leaves_nothing_behind(void **state)
{
	struct fl_probe_report again;

	if (!require_probe())
		skip();
	assert_int_equal(fl_probe_all(&again), 0);
	/* No program, cgroup or mount of the probe may outlive it. */
	assert_false(stays("bpftool prog show | grep -q fl_probe"));
	assert_int_not_equal(sh("grep -q faultline-probe /proc/self/mountinfo"), 0);
	assert_false(stays("find /sys/fs/cgroup -maxdepth 3 -name 'faultline-probe*' | grep -q ."));
}

/*
 * fl_probe_all probes side by side, in forked workers: each verdict must be
 * the one that mechanism gets when it is probed alone, in this process, and
 * no worker may be left behind (nothing of ours to reap).
 */
static void test_probe_all_agrees_with_one_by_one(void **state)
{
	int bad = 0;

	if (!require_probe())
		skip();
	for (unsigned m = 0; m < FL_MECH__COUNT; m++) {
		struct fl_probe_result alone = { 0 };

		assert_int_equal(fl_probe_mechanism(m, &alone), 0);
		if (alone.status == report.mech[m].status && alone.err == report.mech[m].err)
			continue;
		print_message("  %s: all at once %s (%s), alone %s (%s)\n", fl_mechanism_name(m),
			      fl_probe_status_name(report.mech[m].status), report.mech[m].detail,
			      fl_probe_status_name(alone.status), alone.detail);
		bad++;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/*
 * DESIGN.md, column "this kernel" (6.18, hardened).
 * The project's own machines and CI run this kernel.
 */
static void check_reference_table(void)
{
	static const struct { enum fl_mechanism m; enum fl_probe_status s; } expect[] = {
		{ FL_MECH_TRACEPOINT, FL_PROBE_WORKS },
		{ FL_MECH_RAW_TP, FL_PROBE_WORKS },
		{ FL_MECH_TP_BTF, FL_PROBE_WORKS },
		{ FL_MECH_SEND_SIGNAL, FL_PROBE_WORKS },
		{ FL_MECH_BPF_LOOP_DELAY, FL_PROBE_WORKS },
		{ FL_MECH_CGROUP_SOCK, FL_PROBE_WORKS },
		{ FL_MECH_CGROUP_SKB, FL_PROBE_WORKS },
		{ FL_MECH_TC, FL_PROBE_WORKS },
		{ FL_MECH_XDP, FL_PROBE_WORKS },
		{ FL_MECH_SECCOMP_NOTIFY, FL_PROBE_WORKS },
		{ FL_MECH_FUSE, FL_PROBE_WORKS },
		{ FL_MECH_FENTRY, FL_PROBE_REFUSED },
		{ FL_MECH_FMOD_RET_SECURITY, FL_PROBE_REFUSED },
		{ FL_MECH_BPF_LSM, FL_PROBE_REFUSED },
		{ FL_MECH_NETEM, FL_PROBE_MISSING },
		{ FL_MECH_FQ, FL_PROBE_MISSING },
		{ FL_MECH_HTB, FL_PROBE_WORKS },
		{ FL_MECH_TBF, FL_PROBE_WORKS },
		{ FL_MECH_NFQUEUE, FL_PROBE_WORKS },
		{ FL_MECH_CGROUP2, FL_PROBE_WORKS },
		{ FL_MECH_SIGSTOP, FL_PROBE_WORKS },
		{ FL_MECH_BPF_SOCK_DESTROY, FL_PROBE_WORKS },
		{ FL_MECH_SOCK_DIAG_DESTROY, FL_PROBE_WORKS },
		/* no nft_queue: the delay line takes iptables-nft's NFQUEUE target */
		{ FL_MECH_NFT_QUEUE, FL_PROBE_MISSING },
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const struct fl_probe_result *r = &report.mech[expect[i].m];

		if (r->status == expect[i].s)
			continue;
		print_message("  %s: expected %s, probe says %s (%s)\n", fl_mechanism_name(expect[i].m),
			      fl_probe_status_name(expect[i].s), fl_probe_status_name(r->status), r->detail);
		bad++;
	}
	/* No errno override of syscalls here, in either form. */
	assert_int_not_equal(report.mech[FL_MECH_FMOD_RET_SYSCALL].status, FL_PROBE_WORKS);
	assert_int_not_equal(report.mech[FL_MECH_KPROBE_OVERRIDE].status, FL_PROBE_WORKS);
	assert_int_equal(bad, 0);

	/* And the ladders pick what DESIGN.md says for this kernel. */
	assert_false(report.pick[FL_FAULT_ERRNO_RUNNING].found);
	assert_int_equal(report.pick[FL_FAULT_ERRNO_LAUNCHED].mech, FL_MECH_SECCOMP_NOTIFY);
	assert_int_equal(report.pick[FL_FAULT_CRASH_POINT].mech, FL_MECH_SEND_SIGNAL);
	assert_int_equal(report.pick[FL_FAULT_SOCKET_ERRNO].mech, FL_MECH_CGROUP_SOCK);
	assert_int_equal(report.pick[FL_FAULT_PACKET_DROP].mech, FL_MECH_TC);
	assert_int_equal(report.pick[FL_FAULT_PACKET_DELAY].mech, FL_MECH_NFQUEUE);
	assert_int_equal(report.pick[FL_FAULT_PACKET_RATE].mech, FL_MECH_HTB);
	assert_int_equal(report.pick[FL_FAULT_STORAGE].mech, FL_MECH_FUSE);
	assert_int_equal(report.pick[FL_FAULT_TCP_RESET].mech, FL_MECH_BPF_SOCK_DESTROY);
}

/*
 * Debian 12's own kernel (6.1), as tools/vmtest boots it with lsm=...,bpf:
 * DESIGN.md's Debian column. Everything the hardened host refuses works
 * there, except errno override on the syscall functions themselves.
 */
static void check_debian_table(void)
{
	int bad = 0;

	for (unsigned m = 0; m < FL_MECH__COUNT; m++) {
		enum fl_probe_status want = FL_PROBE_WORKS;

		/* bpf_sock_destroy came with 6.5 */
		if (m == FL_MECH_FMOD_RET_SYSCALL || m == FL_MECH_KPROBE_OVERRIDE ||
		    m == FL_MECH_BPF_SOCK_DESTROY)
			want = FL_PROBE_MISSING;
		if (report.mech[m].status == want)
			continue;
		print_message("  %s: expected %s, probe says %s (%s)\n", fl_mechanism_name(m),
			      fl_probe_status_name(want), fl_probe_status_name(report.mech[m].status),
			      report.mech[m].detail);
		bad++;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(report.pick[FL_FAULT_ERRNO_RUNNING].mech, FL_MECH_BPF_LSM);
	assert_int_equal(report.pick[FL_FAULT_SOCKET_ERRNO].mech, FL_MECH_BPF_LSM);
	assert_int_equal(report.pick[FL_FAULT_PACKET_DELAY].mech, FL_MECH_NETEM);
	/* faultline net's rate= is HTB's, never netem's rate */
	assert_int_equal(report.pick[FL_FAULT_PACKET_RATE].mech, FL_MECH_HTB);
	assert_int_equal(report.pick[FL_FAULT_TCP_RESET].mech, FL_MECH_SOCK_DIAG_DESTROY);
}


/* DESIGN.md's table has a column per kernel; check the one we run on. */
static void test_probe_matches_design_table_for_this_kernel(void **state)
{
	if (!require_probe())
		skip();
	if (strncmp(report.kernel_release, "6.18.", 5) == 0) {
		check_reference_table();
	} else if (strncmp(report.kernel_release, "6.1.", 4) == 0 && getenv("FL_VMTEST")) {
		check_debian_table();
	} else {
		print_message("skip: DESIGN.md has no column for kernel %s\n", report.kernel_release);
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_matches_design_table_for_this_kernel),
		cmocka_unit_test(test_qdisc_kinds_agree_with_iproute2),
		cmocka_unit_test(test_nfqueue_rule_installs_when_probe_says_it_works),
		cmocka_unit_test(test_faultfs_mount_serves_io_when_fuse_works),
		cmocka_unit_test(test_crash_point_kills_at_exact_call_when_send_signal_works),
		cmocka_unit_test(test_cgroup2_takes_a_process_when_probe_says_it_works),
		cmocka_unit_test(test_probe_leaves_nothing_behind),
		cmocka_unit_test(test_probe_all_agrees_with_one_by_one),
	};

	return cmocka_run_group_tests(tests, probe_once, NULL);
}
