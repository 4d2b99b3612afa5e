// SPDX-License-Identifier: GPL-2.0-only
/*
 * error= on a RUNNING process (root), through the public session API with
 * the mechanism forced per case: cgroup socket hooks (work on this host),
 * BPF LSM and fmod_ret on security_* (skipped where the kernel refuses
 * them, run for real under `make check-vm`). Each case starts the target
 * before the session, proves the chosen errno reaches it, that when= and
 * count= pick the calls, that the counters and events add up, and that a
 * bystander making the same calls sees nothing.
 *
 * The target takes its orders over a socketpair with sendmsg/recvmsg, which
 * no case names, so the rules hit only the calls under test.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/bystander.h"
#include "helpers/fixtures.h"
#include <faultline/cgroup.h>
#include <faultline/probe.h>
#include <faultline/rule.h>
#include <faultline/syscall.h>

enum op {
	OP_SOCKET,   /* socket(AF_INET, SOCK_DGRAM) + close */
	OP_CONNECT,  /* connect a UDP socket made before the session to 127.0.0.1:9 */
	OP_OPENAT,
	OP_READ,
	OP_WRITE,
	OP_UNLINKAT,
	OP_MKDIRAT,
	OP_RENAMEAT2,
	OP_FTRUNCATE,
	OP_TRUNCATE,
	OP_MMAP,     /* anonymous, one page, unmapped again */
	OP_BIND,     /* socket + bind 127.0.0.1:0 + close */
	OP_LISTEN,   /* TCP socket + listen + close */
	OP_SENDTO,   /* socket + one UDP datagram to 127.0.0.1:9 + close */
	OP__COUNT,
};

/* dir/name into buf; the tests' paths are short, so overflow is a bug. */
static void path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		abort();
}

/* ---- the target: a child that runs one op per order ---------------------- */

#define TARGET_COMM "fl-errno-target"

struct target {
	pid_t pid;
	int ctl;
};

static long udp_socket(void)
{
	return syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static long udp_connect(long fd)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(9),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return syscall(SYS_connect, fd, &sin, sizeof(sin));
}

/* One op; 0 (or a byte count) or -errno. Paths are below dir. */
static long do_op(enum op op, const char *dir, int sock, int file, unsigned n)
{
	char a[PATH_MAX], b[PATH_MAX], byte = 'x';
	long r;

	char name[32];

	snprintf(name, sizeof(name), "%d-%u-a", (int)op, n);
	path_join(a, sizeof(a), dir, name);
	snprintf(name, sizeof(name), "%d-%u-b", (int)op, n);
	path_join(b, sizeof(b), dir, name);
	switch (op) {
	case OP_SOCKET:
		r = udp_socket();
		if (r >= 0) {
			close((int)r);
			r = 0;
		}
		break;
	case OP_CONNECT:
		r = udp_connect(sock);
		break;
	case OP_OPENAT:
		r = syscall(SYS_openat, AT_FDCWD, a, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (r >= 0) {
			close((int)r);
			r = 0;
		}
		break;
	case OP_READ:
		r = syscall(SYS_read, file, &byte, 1);
		lseek(file, 0, SEEK_SET);
		break;
	case OP_WRITE:
		r = syscall(SYS_write, file, &byte, 1);
		break;
	case OP_UNLINKAT:
		close(open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
		r = syscall(SYS_unlinkat, AT_FDCWD, a, 0);
		break;
	case OP_MKDIRAT:
		r = syscall(SYS_mkdirat, AT_FDCWD, a, 0700);
		if (r == 0)
			rmdir(a);
		break;
	case OP_RENAMEAT2:
		close(open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
		r = syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 0);
		break;
	case OP_FTRUNCATE:
		r = syscall(SYS_ftruncate, file, 10);
		break;
	case OP_TRUNCATE:
		path_join(a, sizeof(a), dir, "data");
		r = syscall(SYS_truncate, a, 10);
		break;
	case OP_MMAP: {
		void *p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		r = p == MAP_FAILED ? -1 : 0;
		if (p != MAP_FAILED)
			munmap(p, 4096);
		break;
	}
	case OP_BIND:
	case OP_LISTEN: {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, (op == OP_BIND ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (op == OP_BIND)
			r = syscall(SYS_bind, fd, &sin, sizeof(sin));
		else
			r = syscall(SYS_listen, fd, 1);
		r = r < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	case OP_SENDTO: {
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_port = htons(9),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		};

		/* Its own socket: the ICMP "port unreachable" answer would make the
		 * next call on a shared one fail with ECONNREFUSED. */
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		r = syscall(SYS_sendto, fd, &byte, 1, MSG_DONTWAIT, &sin, sizeof(sin));
		r = r < 0 ? -errno : 0;
		close(fd);
		return r;
	}
	default:
		return -EINVAL;
	}
	return r < 0 ? -errno : r;
}

/* The control channel's only calls: sendmsg(2) and recvmsg(2). */
static ssize_t ctl_send(int fd, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	return sendmsg(fd, &m, MSG_NOSIGNAL);
}

static ssize_t ctl_recv(int fd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	return recvmsg(fd, &m, 0);
}

static void __attribute__((noreturn)) target_main(int ctl, const char *dir)
{
	char path[PATH_MAX];
	unsigned n = 0;
	int sock, file;
	uint8_t op;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, TARGET_COMM);
	/* What the ops need, made before any rule is active. */
	sock = (int)udp_socket();
	path_join(path, sizeof(path), dir, "data");
	file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sock < 0 || file < 0 || pwrite(file, "0123456789", 10, 0) != 10)
		_exit(2);
	lseek(file, 0, SEEK_SET);
	while (ctl_recv(ctl, &op, 1) == 1) {
		int64_t r = do_op((enum op)op, dir, sock, file, n++);

		if (ctl_send(ctl, &r, sizeof(r)) != sizeof(r))
			break;
	}
	_exit(0);
}

static void target_start(struct target *t, const char *dir)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	t->pid = fork();
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		close(sv[0]);
		target_main(sv[1], dir);
	}
	close(sv[1]);
	t->ctl = sv[0];
}

static int64_t target_run(struct target *t, enum op op)
{
	struct pollfd p = { .fd = t->ctl, .events = POLLIN };
	uint8_t b = (uint8_t)op;
	int64_t r;

	assert_int_equal(ctl_send(t->ctl, &b, 1), 1);
	/* TCG in the VM is slow: be generous. */
	assert_int_equal(poll(&p, 1, 20000), 1);
	assert_int_equal(ctl_recv(t->ctl, &r, sizeof(r)), sizeof(r));
	return r;
}

static void target_stop(struct target *t)
{
	int status;

	close(t->ctl);
	kill(t->pid, SIGKILL);
	waitpid(t->pid, &status, 0);
}

/* ---- the bystander: every op, in a loop, in its own directory ----------------- */

struct by_ctx {
	char dir[PATH_MAX];
	int sock, file;
	unsigned n;
};

static int bystander_ops(void *ctx)
{
	struct by_ctx *c = ctx;

	if (c->sock < 0) {
		char path[PATH_MAX];

		c->sock = (int)udp_socket();
		path_join(path, sizeof(path), c->dir, "data");
		c->file = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (c->sock < 0 || c->file < 0)
			return -EBADF;
	}
	for (int op = OP_SOCKET; op < OP__COUNT; op++) {
		long r = do_op((enum op)op, c->dir, c->sock, c->file, c->n++ % 64);

		if (r < 0)
			return (int)r;
	}
	return 0;
}

static struct fl_bystander *bystander_start(const char *dir, struct by_ctx *c)
{
	struct fl_bystander_opts o = { .op = FL_BYSTANDER_CUSTOM, .fn = bystander_ops, .ctx = c };
	struct fl_bystander *b;

	path_join(c->dir, sizeof(c->dir), dir, "bystander");
	assert_int_equal(mkdir(c->dir, 0700), 0);
	c->sock = c->file = -1;
	/* Slowness is not what these rules do; TCG makes the loop slow anyway. */
	o.slow_ns = 5000000000ull;
	assert_int_equal(fl_bystander_start(&o, &b), 0);
	return b;
}

/* ---- events ---------------------------------------------------------------------- */

#define MAX_EVENTS 64

struct seen {
	struct fl_event ev[MAX_EVENTS];
	size_t n;
};

static int on_event(void *ctx, const struct fl_event *ev)
{
	struct seen *s = ctx;

	if (s->n < MAX_EVENTS)
		s->ev[s->n] = *ev;
	s->n++;
	return 0;
}

/* ---- one case ----------------------------------------------------------------------- */

struct errno_case {
	enum fl_mechanism mech;
	const char *rule;      /* one rule on the syscall op makes */
	enum op op;
	const char *syscall;   /* the syscall op makes */
	int err;               /* the errno the rule injects */
	const char *pattern;   /* per call: 'x' injected, '.' runs */
};

static bool mechanism_works(enum fl_mechanism mech)
{
	struct fl_probe_result r;

	if (!fl_test_require_root())
		return false;
	if (fl_probe_mechanism(mech, &r) != 0 || r.status != FL_PROBE_WORKS) {
		print_message("skip: %s is not available on this kernel (%s): %s\n",
			      fl_mechanism_name(mech), fl_probe_status_name(r.status), r.detail);
		return false;
	}
	return true;
}

static void run_case(const struct fl_fixture *fx, const struct errno_case *c)
{
	struct fl_syscall_plan plan = { .n_rules = 1 };
	struct fl_syscall_targets tg = { 0 };
	struct fl_syscall_session *s = NULL;
	struct fl_bystander_stats bs;
	struct fl_syscall_stats st;
	struct fl_bystander *by;
	struct fl_rule_error rerr;
	struct by_ctx bctx;
	struct fl_rule rule;
	struct seen seen = { .n = 0 };
	struct target t;
	size_t calls = strlen(c->pattern), want = 0, i;
	char tdir[PATH_MAX];
	int nr = fl_syscall_nr(c->syscall);

	assert_true(nr >= 0);
	assert_int_equal(fl_rule_parse(c->rule, &rule, &rerr), 0);
	plan.mech[0] = c->mech;
	path_join(tdir, sizeof(tdir), fx->path, "target");
	assert_int_equal(mkdir(tdir, 0700), 0);

	/* Both run before the session exists: the target is a running process. */
	target_start(&t, tdir);
	by = bystander_start(fx->path, &bctx);
	assert_int_equal(target_run(&t, c->op) < 0, 0);   /* works before */

	tg.pids = &t.pid;
	tg.n_pids = 1;
	assert_int_equal(fl_syscall_session_open(&rule, 1, &plan, &tg, on_event, &seen, &s), 0);
	for (i = 0; i < calls; i++) {
		int64_t r = target_run(&t, c->op);

		if (c->pattern[i] == 'x') {
			want++;
			if (r != -c->err)
				fail_msg("%s: call %zu returned %lld, want -%s", c->rule, i + 1,
					 (long long)r, fl_errno_name(c->err));
		} else if (r < 0) {
			fail_msg("%s: call %zu failed with %s, want no fault", c->rule, i + 1,
				 fl_errno_name((int)-r));
		}
	}
	for (int spins = 0; seen.n < want && spins < 100; spins++)
		assert_int_equal(fl_syscall_session_poll(s, 100), 0);
	assert_int_equal(fl_syscall_session_stats(s, 0, &st), 0);
	fl_syscall_session_close(s);

	assert_int_equal(fl_bystander_stop(by, &bs), 0);
	if (bs.faults)
		fail_msg("%s: the bystander saw %llu faults (first %s)", c->rule,
			 (unsigned long long)bs.faults, fl_errno_name(bs.first_errno));
	assert_true(bs.calls > 0);
	/* The session is closed: the target is left alone again. */
	assert_int_equal(target_run(&t, c->op) < 0, 0);
	target_stop(&t);

	if (st.matched != calls || st.injected != want || st.failed || st.dropped || seen.n != want)
		fail_msg("%s: matched %llu injected %llu failed %llu dropped %llu events %zu, want %zu/%zu/0/0/%zu",
			 c->rule, (unsigned long long)st.matched, (unsigned long long)st.injected,
			 (unsigned long long)st.failed, (unsigned long long)st.dropped, seen.n,
			 calls, want, want);
	for (i = 0; i < seen.n && i < MAX_EVENTS; i++) {
		const struct fl_event *ev = &seen.ev[i];

		assert_int_equal(ev->pid, t.pid);
		assert_int_equal(ev->domain, FL_DOMAIN_SYSCALL);
		assert_int_equal(ev->action, FL_ACTION_ERROR);
		assert_int_equal(ev->mechanism, c->mech);
		assert_int_equal(ev->result, FL_RESULT_INJECTED);
		assert_int_equal(ev->op, nr);
		assert_int_equal(ev->value, c->err);
		assert_int_equal(ev->rule_id, 0);
	}
}

static void run_cases(void **state, enum fl_mechanism mech, const struct errno_case *cases,
		      size_t n)
{
	struct fl_fixture *fx = *state;
	char dir[PATH_MAX];

	if (!mechanism_works(mech))
		skip();
	for (size_t i = 0; i < n; i++) {
		struct fl_fixture sub = *fx;
		struct errno_case c = cases[i];
		char name[32];

		c.mech = mech;
		snprintf(name, sizeof(name), "case-%zu", i);
		path_join(dir, sizeof(dir), fx->path, name);
		assert_int_equal(mkdir(dir, 0700), 0);
		snprintf(sub.path, sizeof(sub.path), "%s", dir);
		run_case(&sub, &c);
	}
}

/* ---- cgroup socket hooks (this host) -------------------------------------------------- */

static const struct errno_case sock_cases[] = {
	{ .rule = "connect:error=ECONNREFUSED", .op = OP_CONNECT, .syscall = "connect",
	  .err = ECONNREFUSED, .pattern = "xxx" },
	{ .rule = "socket:error=EMFILE", .op = OP_SOCKET, .syscall = "socket",
	  .err = EMFILE, .pattern = "xxx" },
	{ .rule = "connect:error=ENETUNREACH:when=2+2:count=2", .op = OP_CONNECT,
	  .syscall = "connect", .err = ENETUNREACH, .pattern = ".x.x.." },
	{ .rule = "socket:error=EACCES:when=3", .op = OP_SOCKET, .syscall = "socket",
	  .err = EACCES, .pattern = "..x.." },
	{ .rule = "bind:error=EADDRINUSE", .op = OP_BIND, .syscall = "bind",
	  .err = EADDRINUSE, .pattern = "xx" },
};

static void test_cgroup_sock_fails_socket_calls_of_running_target_only(void **state)
{
	run_cases(state, FL_MECH_CGROUP_SOCK, sock_cases, sizeof(sock_cases) / sizeof(sock_cases[0]));
}

/*
 * A target named by its cgroup, whose socket was made before it joined:
 * the kernel files the socket under its old cgroup, the fault must follow
 * the calling process anyway.
 */
static void test_cgroup_sock_cgroup_target_even_with_older_socket(void **state)
{
	struct fl_fixture *fx = *state;
	struct fl_syscall_plan plan = { .n_rules = 1, .mech = { FL_MECH_CGROUP_SOCK } };
	struct fl_syscall_session *s = NULL;
	struct fl_syscall_stats st;
	struct fl_rule_error rerr;
	struct fl_rule rule;
	struct target t;
	char tdir[PATH_MAX];
	const char *cgs[1];
	long me;

	if (!mechanism_works(FL_MECH_CGROUP_SOCK))
		skip();
	assert_int_equal(fl_rule_parse("connect:error=EHOSTUNREACH", &rule, &rerr), 0);
	snprintf(tdir, sizeof(tdir), "/tmp/fl-errno-cg-%d", (int)getpid());
	mkdir(tdir, 0700);
	target_start(&t, tdir);
	assert_int_equal(fl_cgroup_add_pid(fx->path, t.pid), 0);
	cgs[0] = fx->path;
	{
		struct fl_syscall_targets tg = { .cgroups = cgs, .n_cgroups = 1 };

		assert_int_equal(fl_syscall_session_open(&rule, 1, &plan, &tg, NULL, NULL, &s), 0);
	}
	assert_int_equal(target_run(&t, OP_CONNECT), -EHOSTUNREACH);
	/* This process is in another cgroup: untouched. */
	me = udp_socket();
	assert_true(me >= 0);
	assert_int_equal(udp_connect(me), 0);
	close((int)me);
	assert_int_equal(fl_syscall_session_stats(s, 0, &st), 0);
	assert_int_equal(st.matched, 1);
	assert_int_equal(st.injected, 1);
	fl_syscall_session_close(s);
	assert_int_equal(target_run(&t, OP_CONNECT), 0);
	target_stop(&t);
	fl_fixture_tmpdir_destroy(tdir);
}

/* A target named by its thread name (--comm): every program must test it. */
static void comm_target(enum fl_mechanism mech, const char *rule_text, enum op op, int err)
{
	struct fl_syscall_plan plan = { .n_rules = 1, .mech = { mech } };
	struct fl_syscall_targets tg = { .comm = TARGET_COMM };
	struct fl_syscall_session *s = NULL;
	struct fl_syscall_stats st;
	struct fl_rule_error rerr;
	struct fl_rule rule;
	struct target t;
	char tdir[PATH_MAX];

	if (!mechanism_works(mech))
		skip();
	assert_int_equal(fl_rule_parse(rule_text, &rule, &rerr), 0);
	snprintf(tdir, sizeof(tdir), "/tmp/fl-errno-comm-%d", (int)getpid());
	mkdir(tdir, 0700);
	target_start(&t, tdir);
	assert_int_equal(fl_syscall_session_open(&rule, 1, &plan, &tg, NULL, NULL, &s), 0);
	assert_int_equal(target_run(&t, op), -err);
	/* This process has another name: untouched. */
	assert_true(do_op(op, tdir, -1, -1, 1000) != -err);
	assert_int_equal(fl_syscall_session_stats(s, 0, &st), 0);
	assert_int_equal(st.matched, 1);
	assert_int_equal(st.injected, 1);
	fl_syscall_session_close(s);
	target_stop(&t);
	fl_fixture_tmpdir_destroy(tdir);
}

static void test_cgroup_sock_comm_target(void **state)
{
	(void)state;
	comm_target(FL_MECH_CGROUP_SOCK, "socket:error=EPERM", OP_SOCKET, EPERM);
}

static void test_bpf_lsm_comm_target(void **state)
{
	(void)state;
	comm_target(FL_MECH_BPF_LSM, "openat:error=EROFS", OP_OPENAT, EROFS);
}

/* ---- LSM hooks: BPF LSM and fmod_ret on security_* (the VM tier) ------------------------ */

static const struct errno_case lsm_cases[] = {
	{ .rule = "openat:error=EACCES", .op = OP_OPENAT, .syscall = "openat",
	  .err = EACCES, .pattern = "xx" },
	{ .rule = "read:error=EIO:when=2:count=1", .op = OP_READ, .syscall = "read",
	  .err = EIO, .pattern = ".x.." },
	{ .rule = "write:error=ENOSPC:when=1+2", .op = OP_WRITE, .syscall = "write",
	  .err = ENOSPC, .pattern = "x.x." },
	{ .rule = "unlinkat:error=EBUSY", .op = OP_UNLINKAT, .syscall = "unlinkat",
	  .err = EBUSY, .pattern = "xx" },
	{ .rule = "mkdirat:error=EDQUOT", .op = OP_MKDIRAT, .syscall = "mkdirat",
	  .err = EDQUOT, .pattern = "xx" },
	{ .rule = "renameat2:error=EXDEV:count=1", .op = OP_RENAMEAT2, .syscall = "renameat2",
	  .err = EXDEV, .pattern = "x." },
	{ .rule = "connect:error=ECONNREFUSED", .op = OP_CONNECT, .syscall = "connect",
	  .err = ECONNREFUSED, .pattern = "xx" },
	{ .rule = "socket:error=EAFNOSUPPORT:when=2", .op = OP_SOCKET, .syscall = "socket",
	  .err = EAFNOSUPPORT, .pattern = ".x." },
	{ .rule = "ftruncate:error=EPERM", .op = OP_FTRUNCATE, .syscall = "ftruncate",
	  .err = EPERM, .pattern = "xx" },
	{ .rule = "truncate:error=ETXTBSY", .op = OP_TRUNCATE, .syscall = "truncate",
	  .err = ETXTBSY, .pattern = "xx" },
	{ .rule = "mmap:error=ENOMEM:when=2", .op = OP_MMAP, .syscall = "mmap",
	  .err = ENOMEM, .pattern = ".x." },
	{ .rule = "bind:error=EADDRNOTAVAIL", .op = OP_BIND, .syscall = "bind",
	  .err = EADDRNOTAVAIL, .pattern = "xx" },
	{ .rule = "listen:error=EOPNOTSUPP", .op = OP_LISTEN, .syscall = "listen",
	  .err = EOPNOTSUPP, .pattern = "xx" },
	{ .rule = "sendto:error=ENOBUFS:count=1", .op = OP_SENDTO, .syscall = "sendto",
	  .err = ENOBUFS, .pattern = "x." },
};

static void test_bpf_lsm_fails_covered_calls_of_running_target_only(void **state)
{
	run_cases(state, FL_MECH_BPF_LSM, lsm_cases, sizeof(lsm_cases) / sizeof(lsm_cases[0]));
}

static void test_fmod_ret_security_fails_covered_calls_of_running_target_only(void **state)
{
	run_cases(state, FL_MECH_FMOD_RET_SECURITY, lsm_cases,
		  sizeof(lsm_cases) / sizeof(lsm_cases[0]));
}

/* ---- coverage table ---------------------------------------------------------------------------- */

static void test_coverage_tables_name_the_right_syscalls(void **state)
{
	static const char *const lsm_yes[] = {
		"openat", "read", "write", "pread64", "pwritev", "mmap", "unlinkat", "mkdirat",
		"renameat2", "truncate", "ftruncate", "socket", "connect", "bind", "listen",
		"accept4", "sendto", "sendmsg", "recvfrom", "recvmsg",
	};
	static const char *const lsm_no[] = { "fsync", "close", "getpid", "socketpair", "sendmmsg" };

	(void)state;
	for (size_t i = 0; i < sizeof(lsm_yes) / sizeof(lsm_yes[0]); i++)
		if (!fl_syscall_lsm_covers(fl_syscall_nr(lsm_yes[i])))
			fail_msg("%s should be covered by an LSM hook", lsm_yes[i]);
	for (size_t i = 0; i < sizeof(lsm_no) / sizeof(lsm_no[0]); i++)
		if (fl_syscall_lsm_covers(fl_syscall_nr(lsm_no[i])))
			fail_msg("%s has no LSM hook that sees it once per call", lsm_no[i]);
	assert_true(fl_syscall_sock_covers(fl_syscall_nr("socket")));
	assert_true(fl_syscall_sock_covers(fl_syscall_nr("connect")));
	assert_true(fl_syscall_sock_covers(fl_syscall_nr("bind")));
	assert_false(fl_syscall_sock_covers(fl_syscall_nr("sendto")));
	assert_false(fl_syscall_sock_covers(fl_syscall_nr("openat")));
	assert_false(fl_syscall_sock_covers(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coverage_tables_name_the_right_syscalls),
		cmocka_unit_test_setup_teardown(test_cgroup_sock_fails_socket_calls_of_running_target_only,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_cgroup_sock_cgroup_target_even_with_older_socket,
						fl_setup_cgroup, fl_teardown_cgroup),
		cmocka_unit_test(test_cgroup_sock_comm_target),
		cmocka_unit_test(test_bpf_lsm_comm_target),
		cmocka_unit_test_setup_teardown(test_bpf_lsm_fails_covered_calls_of_running_target_only,
						fl_setup_tmpdir, fl_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_fmod_ret_security_fails_covered_calls_of_running_target_only,
						fl_setup_tmpdir, fl_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
