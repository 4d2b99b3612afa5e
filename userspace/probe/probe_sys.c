// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probes that need no BPF: seccomp user notification, FUSE, a writable
 * cgroup2 hierarchy and SIGSTOP/SIGCONT. Each makes the real call on a
 * process it forked itself and watches the effect; nothing outlives it.
 */
#define FUSE_USE_VERSION 314

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <fuse_lowlevel.h>

#include <faultline/cgroup.h>
#include "core/child.h"
#include "probe/probe_internal.h"

#define PROBE_TIMEOUT_MS 2000

#if defined(__x86_64__)
#define PROBE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PROBE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Milliseconds left until deadline (ns, CLOCK_MONOTONIC), never negative. */
static int ms_left(long long deadline)
{
	long long left = deadline - now_ns();

	return left > 0 ? (int)((left + 999999) / 1000000) : 0;
}

static int wait_readable(int fd, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, ms_left(deadline));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A forked child that only waits to be killed, and dies with us. */
static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

/* ---------------------------------------------------------------------------
 * seccomp user notification
 *
 * The child filters one rare syscall (getppid) to the supervisor and hands
 * the listener fd back over a socketpair. The supervisor answers the first
 * call with EXDEV and lets the second run after sleeping, which is exactly
 * what errno and delay injection for launched targets will do.
 */

#define SC_DELAY_MS 20

enum sc_stage {
	SC_READY = 1,   /* listener fd attached */
	SC_NNP,         /* PR_SET_NO_NEW_PRIVS failed */
	SC_INSTALL,     /* seccomp(SET_MODE_FILTER, NEW_LISTENER) failed */
	SC_DONE,        /* both calls made, results below */
};

struct sc_msg {
	int stage;
	int err;
	long ret1;
	int err1;
	long ret2;
	int err2;
	long long delay_ns;
};

static int sc_send(int sock, const struct sc_msg *m, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(*m) ? 0 : -1;
}

static int sc_recv(int sock, struct sc_msg *m, int *ret_fd, long long deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;
	int err;

	err = wait_readable(sock, deadline);
	if (err < 0)
		return err;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(*m))
		return -EPROTO; /* the child died before it reported */
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && ret_fd)
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	}
	return 0;
}

#ifdef PROBE_AUDIT_ARCH
static __attribute__((noreturn)) void sc_child(int sock)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROBE_AUDIT_ARCH, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	struct sc_msg m = { 0 };
	long long t0;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		m.stage = SC_NNP;
		m.err = errno;
		sc_send(sock, &m, -1);
		_exit(0);
	}
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0) {
		m.stage = SC_INSTALL;
		m.err = errno;
		sc_send(sock, &m, -1);
		_exit(0);
	}
	m.stage = SC_READY;
	if (sc_send(sock, &m, fd) < 0)
		_exit(1);
	close(fd);

	/* Raw syscalls: libc must not cache or wrap what we measure. */
	errno = 0;
	m.ret1 = syscall(SYS_getppid);
	m.err1 = m.ret1 < 0 ? errno : 0;
	t0 = now_ns();
	errno = 0;
	m.ret2 = syscall(SYS_getppid);
	m.err2 = m.ret2 < 0 ? errno : 0;
	m.delay_ns = now_ns() - t0;
	m.stage = SC_DONE;
	sc_send(sock, &m, -1);
	_exit(0);
}

/*
 * Receive one notification from pid, check it, then answer: with error
 * (a negative errno) at once, or let the call run after delay_ms.
 */
static int sc_answer(int lfd, pid_t pid, int error, int delay_ms, long long deadline,
		     const char **step)
{
	struct seccomp_notif_sizes sizes = { 0 };
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	size_t req_len, resp_len;
	int err = 0;

	*step = "SECCOMP_GET_NOTIF_SIZES";
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;
	/* The kernel's structs may be larger than the ones we were built with. */
	req_len = sizes.seccomp_notif > sizeof(*req) ? sizes.seccomp_notif : sizeof(*req);
	resp_len = sizes.seccomp_notif_resp > sizeof(*resp) ? sizes.seccomp_notif_resp
							     : sizeof(*resp);
	req = calloc(1, req_len);
	resp = calloc(1, resp_len);
	if (!req || !resp) {
		err = -ENOMEM;
		goto out;
	}

	*step = "wait for a notification";
	err = wait_readable(lfd, deadline);
	if (err < 0)
		goto out;
	*step = "SECCOMP_IOCTL_NOTIF_RECV";
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
		err = -errno;
		goto out;
	}
	*step = "check the notification";
	if (req->pid != (__u32)pid || req->data.nr != __NR_getppid ||
	    req->data.arch != PROBE_AUDIT_ARCH) {
		err = -EPROTO;
		goto out;
	}
	if (delay_ms)
		sleep_ms(delay_ms);

	/* The target is still blocked in the call, so its id must be valid. */
	*step = "SECCOMP_IOCTL_NOTIF_ID_VALID";
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) {
		err = -errno;
		goto out;
	}
	resp->id = req->id;
	resp->error = error;
	resp->val = 0;
	resp->flags = error ? 0 : SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	*step = error ? "SECCOMP_IOCTL_NOTIF_SEND" : "SECCOMP_IOCTL_NOTIF_SEND (continue)";
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0) {
		err = -errno;
		goto out;
	}
	/* Answered: the id must no longer be pending. */
	*step = "SECCOMP_IOCTL_NOTIF_ID_VALID after the answer";
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) == 0)
		err = -EPROTO;
out:
	free(req);
	free(resp);
	return err;
}

static void sc_install_failed(struct fl_probe_result *r, const struct sc_msg *m)
{
	if (m->stage == SC_NNP) {
		fl_probe_set_failure(r, m->err, "prctl(PR_SET_NO_NEW_PRIVS)");
		return;
	}
	switch (m->err) {
	case EINVAL:
		fl_probe_set(r, FL_PROBE_MISSING, m->err,
			     "seccomp listener refused (EINVAL): SECCOMP_FILTER_FLAG_NEW_LISTENER or RET_USER_NOTIF needs Linux 5.0+");
		break;
	case ENOSYS:
		fl_probe_set(r, FL_PROBE_MISSING, m->err,
			     "seccomp() not available: CONFIG_SECCOMP_FILTER not set");
		break;
	default:
		fl_probe_set_failure(r, m->err, "install a seccomp filter with a listener");
		break;
	}
}

int fl_probe_seccomp_notify(struct fl_probe_result *r)
{
	long long deadline = now_ns() + PROBE_TIMEOUT_MS * 1000000LL;
	struct sc_msg m = { 0 };
	const char *step = "socketpair";
	int sv[2] = { -1, -1 }, lfd = -1, err;
	pid_t pid = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		sc_child(sv[1]);
	}
	close(sv[1]);
	sv[1] = -1;

	err = sc_recv(sv[0], &m, &lfd, deadline);
	if (err < 0)
		goto out;
	if (m.stage != SC_READY) {
		sc_install_failed(r, &m);
		goto out;
	}
	if (lfd < 0) {
		err = -EPROTO;
		goto out;
	}

	err = sc_answer(lfd, pid, -EXDEV, 0, deadline, &step);
	if (err == 0)
		err = sc_answer(lfd, pid, 0, SC_DELAY_MS, deadline, &step);
	if (err < 0) {
		if (err == -ETIMEDOUT || err == -EPROTO)
			fl_probe_set(r, FL_PROBE_REFUSED, -err, "%s: %s", step, strerror(-err));
		else
			fl_probe_set_failure(r, err, step);
		err = 0;
		goto out;
	}

	step = "read the child's report";
	err = sc_recv(sv[0], &m, NULL, deadline);
	if (err < 0)
		goto out;
	if (m.stage != SC_DONE || m.ret1 != -1 || m.err1 != EXDEV) {
		fl_probe_set(r, FL_PROBE_REFUSED, EPROTO,
			     "supervisor answered EXDEV but the target saw ret=%ld errno=%d",
			     m.ret1, m.err1);
		goto out;
	}
	if (m.ret2 != getpid() || m.delay_ns < SC_DELAY_MS * 1000000LL) {
		fl_probe_set(r, FL_PROBE_REFUSED, EPROTO,
			     "continued call returned %ld after %.1f ms (want %d after >= %d ms)",
			     m.ret2, m.delay_ns / 1e6, (int)getpid(), SC_DELAY_MS);
		goto out;
	}
	fl_probe_set(r, FL_PROBE_WORKS, 0,
		     "errno (EXDEV) and a %.1f ms delay answered by the supervisor (user notification, continue)",
		     m.delay_ns / 1e6);
out:
	if (lfd >= 0)
		close(lfd);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	reap(pid);
	return err;
}
#else
int fl_probe_seccomp_notify(struct fl_probe_result *r)
{
	fl_probe_set(r, FL_PROBE_MISSING, ENOSYS,
		     "seccomp probe not ported to this architecture");
	return 0;
}
#endif

/* ---------------------------------------------------------------------------
 * FUSE
 *
 * A one-file filesystem served by libfuse's low-level API in a thread. The
 * whole probe runs in a forked child inside a private mount namespace, so
 * the mount cannot outlive the probe even if the child is killed.
 */

#define FUSE_FILE_INO 2
#define FUSE_FILE_NAME "probe"
#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

struct fuse_probe_fs {
	char content[64];
	size_t len;
	int lookups;
	int reads;
};

enum fuse_stage {
	FS_OK = 0,
	FS_PRIVATE,
	FS_TMPDIR,
	FS_SESSION,
	FS_MOUNT,
	FS_THREAD,
	FS_STAT,
	FS_READ,
	FS_UNMOUNT,
};

static const char *const fuse_stage_names[] = {
	[FS_OK]      = "ok",
	[FS_PRIVATE] = "make the probe's mount namespace private",
	[FS_TMPDIR]  = "mkdtemp",
	[FS_SESSION] = "fuse_session_new",
	[FS_MOUNT]   = "fuse_session_mount",
	[FS_THREAD]  = "start the session thread",
	[FS_STAT]    = "stat a file on the mount",
	[FS_READ]    = "read a file on the mount",
	[FS_UNMOUNT] = "unmount",
};

struct fuse_probe_shared {
	char dir[64];
	int stage;
	int err;
	bool private_ns;
	int lookups;
	int reads;
	size_t len;
	char detail[96];
};

static void fuse_fill_attr(fuse_ino_t ino, const struct fuse_probe_fs *fs, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = fs->len;
	}
}

static void fuse_probe_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_probe_fs *fs = fuse_req_userdata(req);
	struct fuse_entry_param e = { 0 };

	if (parent != FUSE_ROOT_ID || strcmp(name, FUSE_FILE_NAME) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	__atomic_add_fetch(&fs->lookups, 1, __ATOMIC_RELAXED);
	e.ino = FUSE_FILE_INO;
	fuse_fill_attr(FUSE_FILE_INO, fs, &e.attr);
	fuse_reply_entry(req, &e);
}

static void fuse_probe_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_probe_fs *fs = fuse_req_userdata(req);
	struct stat st;

	if (ino != FUSE_ROOT_ID && ino != FUSE_FILE_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_fill_attr(ino, fs, &st);
	fuse_reply_attr(req, &st, 0);
}

static void fuse_probe_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			       struct fuse_file_info *fi)
{
	static const char *const names[] = { ".", "..", FUSE_FILE_NAME };
	static const fuse_ino_t inos[] = { FUSE_ROOT_ID, FUSE_ROOT_ID, FUSE_FILE_INO };
	struct fuse_probe_fs *fs = fuse_req_userdata(req);
	char buf[512];
	size_t used = 0;

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	/* off is the index of the next entry; each entry carries off + 1. */
	for (size_t i = off; i < sizeof(names) / sizeof(names[0]); i++) {
		struct stat st;
		size_t need;

		fuse_fill_attr(inos[i], fs, &st);
		need = fuse_add_direntry(req, buf + used, size - used, names[i], &st, i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void fuse_probe_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FUSE_FILE_INO)
		fuse_reply_err(req, EISDIR);
	else if ((fi->flags & O_ACCMODE) != O_RDONLY)
		fuse_reply_err(req, EACCES);
	else
		fuse_reply_open(req, fi);
}

static void fuse_probe_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			    struct fuse_file_info *fi)
{
	struct fuse_probe_fs *fs = fuse_req_userdata(req);

	__atomic_add_fetch(&fs->reads, 1, __ATOMIC_RELAXED);
	if (off < 0 || (size_t)off >= fs->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > fs->len - off)
		size = fs->len - off;
	fuse_reply_buf(req, fs->content + off, size);
}

static const struct fuse_lowlevel_ops fuse_probe_ops = {
	.lookup  = fuse_probe_lookup,
	.getattr = fuse_probe_getattr,
	.readdir = fuse_probe_readdir,
	.open    = fuse_probe_open,
	.read    = fuse_probe_read,
};

/* libfuse must not write to our stderr: only the CLI prints. */
static void fuse_quiet_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
}

static void *fuse_loop_thread(void *arg)
{
	fuse_session_loop(arg);
	return NULL;
}

/* Look at the mount the way a user would: stat, list and read it. */
static int fuse_verify(const char *dir, const struct fuse_probe_fs *fs,
		       struct fuse_probe_shared *sh)
{
	char path[PATH_MAX], buf[128];
	struct statfs sfs;
	struct stat st;
	ssize_t n;
	int fd;

	sh->stage = FS_STAT;
	if (statfs(dir, &sfs) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type != FUSE_SUPER_MAGIC) {
		snprintf(sh->detail, sizeof(sh->detail), "mount has f_type 0x%lx, not FUSE",
			 (unsigned long)sfs.f_type);
		return -EPROTO;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, FUSE_FILE_NAME);
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size != fs->len) {
		snprintf(sh->detail, sizeof(sh->detail), "stat saw mode %o size %lld",
			 st.st_mode, (long long)st.st_size);
		return -EPROTO;
	}
	sh->stage = FS_READ;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	if ((size_t)n != fs->len || memcmp(buf, fs->content, fs->len) != 0) {
		snprintf(sh->detail, sizeof(sh->detail), "read %zd bytes that differ from the served file",
			 n);
		return -EPROTO;
	}
	sh->len = n;
	return 0;
}

static int fuse_child(void *shared, void *arg)
{
	struct fuse_probe_shared *sh = shared;
	char *argv[] = { "faultline-probe", "-o", "fsname=faultline-probe,subtype=faultline", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_probe_fs fs = { 0 };
	struct fuse_session *se = NULL;
	struct timespec until;
	pthread_t thread;
	bool mounted = false, running = false;
	int err = 0;

	int devnull;

	/* Nothing may reach our stderr: not libfuse, not a fusermount3 it runs. */
	fuse_set_log_func(fuse_quiet_log);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	fs.len = snprintf(fs.content, sizeof(fs.content), "faultline probe %d %lld\n",
			  (int)getpid(), now_ns());

	/*
	 * A private mount namespace: the mount dies with this process, and
	 * MS_PRIVATE keeps it from propagating back to the host. Without one
	 * we still mount, and the cleanup below removes it.
	 */
	if (unshare(CLONE_NEWNS) == 0) {
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			sh->stage = FS_PRIVATE;
			sh->err = errno;
			return 0;
		}
		sh->private_ns = true;
	}

	sh->stage = FS_TMPDIR;
	/* The prober's pid in the name says whose directory it is. */
	snprintf(sh->dir, sizeof(sh->dir), "/tmp/faultline-probe-fuse-%d-XXXXXX",
		 *(const pid_t *)arg);
	if (!mkdtemp(sh->dir)) {
		sh->dir[0] = '\0';
		sh->err = errno;
		return 0;
	}

	sh->stage = FS_SESSION;
	se = fuse_session_new(&args, &fuse_probe_ops, sizeof(fuse_probe_ops), &fs);
	if (!se) {
		err = -EINVAL;
		goto out;
	}
	sh->stage = FS_MOUNT;
	errno = 0;
	if (fuse_session_mount(se, sh->dir) != 0) {
		/* libfuse logs the reason; the kernel's errno is usually still set. */
		err = errno ? -errno : -EPERM;
		goto out;
	}
	mounted = true;
	sh->stage = FS_THREAD;
	err = -pthread_create(&thread, NULL, fuse_loop_thread, se);
	if (err < 0)
		goto out;
	running = true;

	err = fuse_verify(sh->dir, &fs, sh);
	if (err < 0)
		goto out;
	sh->stage = FS_OK;
out:
	if (se)
		fuse_session_exit(se);
	if (mounted) {
		/* Detaching the mount aborts the connection and ends the loop. */
		if (umount2(sh->dir, MNT_DETACH) < 0 && err == 0) {
			sh->stage = FS_UNMOUNT;
			err = -errno;
		}
	}
	if (running) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		if (pthread_timedjoin_np(thread, NULL, &until) != 0) {
			/* The server is stuck: exit and let the kernel tear it down. */
			sh->err = err ? -err : ETIMEDOUT;
			if (!err)
				sh->stage = FS_UNMOUNT;
			return 0;
		}
	}
	if (se) {
		if (mounted)
			fuse_session_unmount(se);
		fuse_session_destroy(se);
	}
	fuse_opt_free_args(&args);
	rmdir(sh->dir);
	sh->lookups = fs.lookups;
	sh->reads = fs.reads;
	sh->err = -err;
	return 0;
}

/* Is dir still a mount point in our namespace? */
static bool is_mounted(const char *dir)
{
	char line[4096], mnt[PATH_MAX];
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, dir) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

int fl_probe_fuse(struct fl_probe_result *r)
{
	struct fuse_probe_shared sh = { 0 };
	pid_t self = getpid();
	int fd, err, status = 0;

	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			fl_probe_set(r, FL_PROBE_MISSING, err,
				     "open /dev/fuse: %s (load the fuse module: modprobe fuse)",
				     strerror(err));
		else
			fl_probe_set_failure(r, err, "open /dev/fuse");
		return 0;
	}
	close(fd);

	err = fl_child_run(fuse_child, &self, 0, PROBE_TIMEOUT_MS, &sh, sizeof(sh), &status);

	/* Last resort for a child that was killed without a private namespace. */
	if (sh.dir[0]) {
		if (!sh.private_ns && is_mounted(sh.dir))
			umount2(sh.dir, MNT_DETACH);
		rmdir(sh.dir);
	}
	if (err < 0) {
		if (err != -ETIMEDOUT)
			return err;
		fl_probe_set(r, FL_PROBE_REFUSED, ETIMEDOUT,
			     "%s: no answer within %d ms",
			     fuse_stage_names[sh.stage], PROBE_TIMEOUT_MS);
		return 0;
	}
	if (status < 0 && !sh.err)
		sh.err = -status;
	if (sh.err) {
		char what[160];

		if (sh.detail[0] && sh.err == EPROTO) {
			fl_probe_set(r, FL_PROBE_REFUSED, EPROTO, "%s: %s",
				     fuse_stage_names[sh.stage], sh.detail);
			return 0;
		}
		snprintf(what, sizeof(what), "%s", fuse_stage_names[sh.stage]);
		if (sh.stage == FS_MOUNT && (sh.err == ENODEV || sh.err == ENOENT))
			fl_probe_set(r, FL_PROBE_MISSING, sh.err,
				     "mount -t fuse: %s (load the fuse module: modprobe fuse)",
				     strerror(sh.err));
		else
			fl_probe_set_failure(r, sh.err, what);
		return 0;
	}
	if (sh.lookups < 1 || sh.reads < 1) {
		fl_probe_set(r, FL_PROBE_REFUSED, EPROTO,
			     "mount worked but the server saw %d lookups and %d reads",
			     sh.lookups, sh.reads);
		return 0;
	}
	fl_probe_set(r, FL_PROBE_WORKS, 0,
		     "mounted a libfuse %s filesystem, served lookup and read (%zu bytes), unmounted",
		     fuse_pkgversion(), sh.len);
	return 0;
}

/* ---------------------------------------------------------------------------
 * cgroup2: make a cgroup, move a process in, see it there, remove it.
 */

static int proc_cgroup_has(pid_t pid, const char *name, bool *ret)
{
	char file[64], line[4096];
	size_t nlen = strlen(name);
	bool found = false;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	/* The v2 line is "0::/path"; the path is relative to our cgroup namespace. */
	while (!found && fgets(line, sizeof(line), f)) {
		size_t len;

		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		len = strlen(line);
		if (len > nlen && line[len - nlen - 1] == '/' &&
		    strcmp(line + len - nlen, name) == 0)
			found = true;
	}
	fclose(f);
	*ret = found;
	return 0;
}

static int cgroup_remove_retry(const char *path)
{
	int err;

	/* A just-killed member can keep the cgroup busy for a moment. */
	for (int i = 0; i < 100; i++) {
		err = fl_cgroup_remove(path);
		if (err != -EBUSY)
			return err;
		sleep_ms(2);
	}
	return err;
}

int fl_probe_cgroup2(struct fl_probe_result *r)
{
	char root[PATH_MAX], name[64], path[PATH_MAX];
	bool created = false, inside = false;
	pid_t pid = -1;
	int err;

	err = fl_cgroup2_root(root, sizeof(root));
	if (err == -ENOENT) {
		fl_probe_set(r, FL_PROBE_MISSING, ENOENT,
			     "no cgroup2 mount: mount -t cgroup2 none /sys/fs/cgroup");
		return 0;
	}
	if (err < 0)
		return err;

	snprintf(name, sizeof(name), "faultline-probe-%d-sys", (int)getpid());
	err = fl_cgroup_create(name, path, sizeof(path));
	if (err == -EEXIST) {
		/* Left by an earlier run with our pid that was killed. */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, name) >= sizeof(path))
			return -ENAMETOOLONG;
		cgroup_remove_retry(path);
		err = fl_cgroup_create(name, path, sizeof(path));
	}
	if (err == -EROFS) {
		fl_probe_set(r, FL_PROBE_REFUSED, EROFS,
			     "create a cgroup under %s: the cgroup2 mount is read-only", root);
		return 0;
	}
	if (err < 0) {
		fl_probe_set_failure(r, err, "create a cgroup");
		return 0;
	}
	created = true;

	pid = spawn_sleeper();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	err = fl_cgroup_add_pid(path, pid);
	if (err < 0) {
		fl_probe_set_failure(r, err, "move a process into a cgroup");
		err = 0;
		goto out;
	}
	err = proc_cgroup_has(pid, name, &inside);
	if (err < 0)
		goto out;
	if (!inside) {
		fl_probe_set(r, FL_PROBE_REFUSED, EPROTO,
			     "wrote the pid to %s/cgroup.procs but /proc/%d/cgroup does not show it",
			     path, (int)pid);
		goto out;
	}
	reap(pid);
	pid = -1;
	err = cgroup_remove_retry(path);
	created = false;
	if (err < 0) {
		fl_probe_set_failure(r, err, "remove the probe cgroup");
		err = 0;
		goto out;
	}
	fl_probe_set(r, FL_PROBE_WORKS, 0,
		     "created a cgroup under %s, moved a process in, removed it", root);
out:
	reap(pid);
	if (created)
		cgroup_remove_retry(path);
	return err;
}

/* ---------------------------------------------------------------------------
 * SIGSTOP / SIGCONT, observed in /proc/PID/stat.
 */

static int proc_state(pid_t pid, char *ret)
{
	char file[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may contain anything, so look after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EPROTO;
	*ret = p[2];
	return 0;
}

/* Poll the state until stopped (or not stopped) or the deadline passes. */
static int wait_state(pid_t pid, bool stopped, long long deadline, char *ret)
{
	char st = '?';
	int err;

	for (;;) {
		err = proc_state(pid, &st);
		if (err < 0)
			return err;
		if ((st == 'T') == stopped)
			break;
		if (now_ns() >= deadline)
			break;
		sleep_ms(1);
	}
	*ret = st;
	return 0;
}

int fl_probe_sigstop(struct fl_probe_result *r)
{
	long long deadline = now_ns() + PROBE_TIMEOUT_MS * 1000000LL;
	char stopped = '?', resumed = '?';
	pid_t pid;
	int err = 0;

	pid = spawn_sleeper();
	if (pid < 0)
		return -errno;
	if (kill(pid, SIGSTOP) < 0) {
		fl_probe_set_failure(r, errno, "kill(SIGSTOP)");
		goto out;
	}
	err = wait_state(pid, true, deadline, &stopped);
	if (err < 0)
		goto out;
	if (kill(pid, SIGCONT) < 0) {
		fl_probe_set_failure(r, errno, "kill(SIGCONT)");
		goto out;
	}
	err = wait_state(pid, false, deadline, &resumed);
	if (err < 0)
		goto out;
	if (stopped != 'T' || resumed == 'T')
		fl_probe_set(r, FL_PROBE_REFUSED, EPROTO,
			     "state after SIGSTOP '%c', after SIGCONT '%c' (want 'T', then not 'T')",
			     stopped, resumed);
	else
		fl_probe_set(r, FL_PROBE_WORKS, 0,
			     "a forked process went to state 'T' on SIGSTOP and '%c' on SIGCONT",
			     resumed);
out:
	reap(pid);
	return err;
}
