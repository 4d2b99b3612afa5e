// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The seccomp user-notification supervisor: receives every call the filter
 * (seccomp_filter.c) notifies, decides in rule order, answers.
 *
 * Guarantee: a launched target never outlives its supervisor with the
 * filter still installed (the kernel would answer ENOSYS to every notified
 * call). Three layers make that so:
 *  1. fl_seccomp_sup_close() SIGKILLs the launched process group if any of
 *     it still runs; launched children are ours.
 *  2. A watchdog process (seccomp_launch.c), outside the group, SIGKILLs
 *     the group as soon as the supervisor process dies for any reason,
 *     SIGKILL included: it waits on a pidfd of the supervisor and on a pipe
 *     whose only writer is the supervisor.
 *  3. The launched child has PR_SET_PDEATHSIG(SIGKILL), which covers the
 *     window before the watchdog exists. pdeathsig fires when the *thread*
 *     that forked exits: call fl_seccomp_sup_launch from a thread that
 *     lives as long as the supervisor (the main thread).
 * Limit: a descendant that leaves the process group (setsid, setpgid) is
 * out of reach of 1 and 2; it is then killed by nothing. The --cgroup
 * target kind is the answer for daemons that do that.
 *
 * Counting: each rule counts the calls that match its syscalls, for= and
 * path= (matched); when=, prob= and count= then decide whether it fires.
 * Rules are tried in order and the first that fires answers the call; the
 * rules after it do not see that call. Counts are per rule over all the
 * target's threads and processes (strace counts per thread).
 *
 * Delays and pauses are answered by a thread per call, so one stalled call
 * does not hold up the others.
 *
 * pause= stops the whole process with SIGSTOP while its call waits for our
 * answer. The stop interrupts that wait: the kernel drops the notification
 * and restarts the call after SIGCONT, which notifies it again. The worker
 * records the thread and syscall before it sends SIGCONT, and the restarted
 * call is let through once without being counted. Any other signal that
 * interrupts a notified call (a handler with SA_RESTART) makes the call
 * notified, and counted, again, as strace sees it twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "seccomp_priv.h"

struct sc_rule {
	struct fl_rule rule;
	int nrs[FL_RULE_MAX_OPS];
	unsigned n_nrs;
	uint64_t prng;
	struct fl_seccomp_stats st;
	uint64_t nth;
	bool in_kernel;            /* the filter answers its calls: never notified */
};

#define SC_MAX_PASS 64

/* A call restarted after our own SIGSTOP, to let through once. */
struct sc_pass {
	pid_t tid;
	int nr;
};

struct fl_seccomp_sup {
	struct sc_pass pass[SC_MAX_PASS];
	size_t n_pass;
	struct sc_rule *rules;
	size_t n_rules;
	fl_event_cb cb;
	void *ctx;
	pthread_mutex_t lock;      /* stats, workers, pass list */
	pthread_mutex_t cb_lock;   /* one cb at a time; cb may read stats */
	pthread_cond_t idle;       /* workers dropped to 0 */
	unsigned workers;
	int stop_fd;               /* eventfd: fl_seccomp_sup_stop */
	int quit_fd;               /* eventfd: close cuts delays short */
	bool launched;
	bool in_kernel;            /* fl_seccomp_sup_set_in_kernel */
	_Atomic bool disarmed;     /* fl_seccomp_sup_disarm: let every call through */
	struct fl_sc_launch launch;
	uint64_t t0_ns;
	size_t req_len, resp_len;
};

/* Linux 6.6+; Debian 12's headers predate them. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

struct sc_work {
	struct fl_seccomp_sup *s;
	uint64_t id;
	pid_t tgid, tid;
	int nr;
	uint64_t ns;
	bool pause;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* splitmix64: tiny, seedable, good enough to draw prob= */
static uint64_t prng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int fl_seccomp_sup_open(const struct fl_rule *rules, size_t n_rules,
			fl_event_cb cb, void *ctx, struct fl_seccomp_sup **ret)
{
	struct seccomp_notif_sizes sizes = { 0 };
	struct fl_seccomp_sup *s;
	int nrs[FL_SECCOMP_MAX_NRS];
	size_t n_nrs;
	int err;

	if (!rules || n_rules == 0)
		return -EINVAL;
	if (n_rules > FL_SECCOMP_MAX_RULES)
		return -E2BIG;
	for (size_t i = 0; i < n_rules; i++) {
		err = fl_seccomp_rule_check(&rules[i], NULL);
		if (err)
			return err;
	}
	err = fl_sc_rule_nrs(rules, n_rules, nrs, FL_SECCOMP_MAX_NRS, &n_nrs);
	if (err)
		return err;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rules = calloc(n_rules, sizeof(*s->rules));
	if (!s->rules) {
		err = -ENOMEM;
		goto fail;
	}
	s->n_rules = n_rules;
	for (size_t i = 0; i < n_rules; i++) {
		struct sc_rule *r = &s->rules[i];

		r->rule = rules[i];
		for (unsigned k = 0; k < rules[i].n_ops; k++)
			r->nrs[r->n_nrs++] = fl_syscall_nr(rules[i].ops[k]);
		r->prng = (rules[i].keys & FL_KEY_SEED) ? rules[i].seed
				: now_ns() ^ ((uint64_t)getpid() << 32) ^ (i * 0x9e37ull);
	}
	s->cb = cb;
	s->ctx = ctx;
	/* The kernel's structs may be larger than the ones we were built with. */
	s->req_len = sizes.seccomp_notif > sizeof(struct seccomp_notif)
			     ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
	s->resp_len = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
			      ? sizes.seccomp_notif_resp : sizeof(struct seccomp_notif_resp);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0 || s->quit_fd < 0) {
		err = -errno;
		goto fail;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->cb_lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	s->launch.listener = -1;
	s->launch.watchdog_fd = -1;
	s->t0_ns = now_ns();
	*ret = s;
	return 0;
fail:
	if (s->stop_fd > 0)
		close(s->stop_fd);
	if (s->quit_fd > 0)
		close(s->quit_fd);
	free(s->rules);
	free(s);
	return err;
}

int fl_seccomp_sup_set_in_kernel(struct fl_seccomp_sup *s, bool on)
{
	if (s->launched)
		return -EBUSY;
	s->in_kernel = on;
	return 0;
}

int fl_seccomp_sup_launch(struct fl_seccomp_sup *s, char *const argv[], pid_t *ret_pid)
{
	bool in_kernel[FL_SECCOMP_MAX_RULES] = { false };
	struct fl_sc_filter_spec *spec = NULL;
	struct fl_rule *rules;
	int err;

	if (s->launched)
		return -EBUSY;
	rules = calloc(s->n_rules, sizeof(*rules));
	spec = calloc(1, sizeof(*spec));
	if (!rules || !spec) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->n_rules; i++)
		rules[i] = s->rules[i].rule;
	err = fl_sc_filter_spec(rules, s->n_rules, s->in_kernel, spec, in_kernel);
	if (!err)
		err = fl_sc_launch(rules, s->n_rules, spec, argv, &s->launch);
out:
	free(rules);
	free(spec);
	if (err)
		return err;
	for (size_t i = 0; i < s->n_rules; i++) {
		s->rules[i].in_kernel = in_kernel[i];
		s->rules[i].st.in_kernel = in_kernel[i];
	}
	s->launched = true;
	/*
	 * Target and supervisor hand the CPU to each other on every call:
	 * with synchronous wake-ups the scheduler keeps them on one CPU,
	 * which makes a notified call several times cheaper. Older kernels
	 * refuse the flag; the answers are the same without it.
	 */
	ioctl(s->launch.listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
	      SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	s->t0_ns = now_ns();
	*ret_pid = s->launch.pid;
	return 0;
}

static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = tid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return tid;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	}
	fclose(f);
	return tgid;
}

static void comm_of(pid_t tid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	memset(buf, 0, len);
	snprintf(path, sizeof(path), "/proc/%d/comm", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* A NUL-terminated string at addr in tid's memory, at most len - 1 bytes. */
static int read_string(pid_t tid, uint64_t addr, char *buf, size_t len)
{
	char path[64];
	size_t got = 0;
	int fd, err = -ENAMETOOLONG;

	if (!addr)
		return -EFAULT;
	snprintf(path, sizeof(path), "/proc/%d/mem", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		/* Stop at page ends: the next page may be unmapped. */
		size_t chunk = 4096 - ((addr + got) & 4095);
		ssize_t n;

		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		n = pread(fd, buf + got, chunk, (off_t)(addr + got));
		if (n <= 0) {
			err = n < 0 ? -errno : -EFAULT;
			break;
		}
		if (memchr(buf + got, '\0', (size_t)n)) {
			err = 0;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[len - 1] = '\0';
	return err;
}

static int readlink_proc(pid_t tid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", tid, what);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/*
 * The path a call works on: its path argument (made absolute against its
 * dirfd or cwd) or what its fd argument points to. 0, -ENOENT (no path
 * here) or -ESRCH (the notification died while we read: do not answer).
 */
static int call_path(int lfd, const struct seccomp_notif *req, char *buf, size_t len)
{
	int nr = req->data.nr, parg = fl_seccomp_path_arg(nr), farg = fl_seccomp_fd_arg(nr);
	char raw[PATH_MAX], dir[PATH_MAX], what[32];
	int err = -ENOENT;

	if (parg >= 0) {
		int darg = (parg >= 1 && nr != fl_syscall_nr("symlink")) ? parg - 1 : -1;

		err = read_string(req->pid, req->data.args[parg], raw, sizeof(raw));
		if (!err && raw[0] != '/') {
			if (darg < 0 || (int)req->data.args[darg] == AT_FDCWD)
				snprintf(what, sizeof(what), "cwd");
			else
				snprintf(what, sizeof(what), "fd/%d", (int)req->data.args[darg]);
			err = readlink_proc(req->pid, what, dir, sizeof(dir));
			if (!err && snprintf(buf, len, "%s/%s", dir, raw) >= (int)len)
				err = -ENAMETOOLONG;
		} else if (!err) {
			snprintf(buf, len, "%s", raw);
		}
	} else if (farg >= 0) {
		snprintf(what, sizeof(what), "fd/%d", (int)req->data.args[farg]);
		err = readlink_proc(req->pid, what, buf, len);
	}
	/* The pid may have died and been reused while we read its memory. */
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
		return -ESRCH;
	return err;
}

static void emit(struct fl_seccomp_sup *s, size_t rule, const struct seccomp_notif *req,
		 pid_t tgid, enum fl_result result, int64_t value, uint64_t seq)
{
	struct fl_event ev = {
		.ts_ns = now_ns(), .pid = (__u32)tgid, .tid = req->pid,
		.domain = FL_DOMAIN_SYSCALL, .rule_id = (__u16)rule,
		.action = (__u16)s->rules[rule].rule.action,
		.mechanism = FL_MECH_SECCOMP_NOTIFY, .result = result,
		.op = req->data.nr, .value = value, .seq = seq,
	};

	comm_of(req->pid, ev.comm, sizeof(ev.comm));
	if (result == FL_RESULT_FAILED) {
		pthread_mutex_lock(&s->lock);
		s->rules[rule].st.failed++;
		s->rules[rule].st.injected--;
		pthread_mutex_unlock(&s->lock);
	}
	if (s->cb) {
		pthread_mutex_lock(&s->cb_lock);
		s->cb(s->ctx, &ev);
		pthread_mutex_unlock(&s->cb_lock);
	}
}

static int reply(int lfd, struct seccomp_notif_resp *resp)
{
	return ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 ? -errno : 0;
}

static int reply_continue(int lfd, uint64_t id)
{
	struct seccomp_notif_resp resp = { .id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };

	return reply(lfd, &resp);
}

static void *worker(void *arg)
{
	struct sc_work *w = arg;
	struct fl_seccomp_sup *s = w->s;
	struct pollfd p = { .fd = s->quit_fd, .events = POLLIN };
	uint64_t end = now_ns() + w->ns, t;

	if (w->pause)
		kill(w->tgid, SIGSTOP);
	while ((t = now_ns()) < end) {
		uint64_t ms = (end - t + 999999) / 1000000;

		if (poll(&p, 1, ms > INT_MAX ? INT_MAX : (int)ms) > 0)
			break; /* closing: cut short */
	}
	if (w->pause) {
		if (ioctl(s->launch.listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &w->id) < 0) {
			pthread_mutex_lock(&s->lock);
			if (s->n_pass < SC_MAX_PASS)
				s->pass[s->n_pass++] = (struct sc_pass){ w->tid, w->nr };
			pthread_mutex_unlock(&s->lock);
		}
		kill(w->tgid, SIGCONT);
	}
	reply_continue(s->launch.listener, w->id);
	pthread_mutex_lock(&s->lock);
	if (--s->workers == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	free(w);
	return NULL;
}

static int start_worker(struct fl_seccomp_sup *s, const struct seccomp_notif *req, pid_t tgid,
			uint64_t ns, bool pause)
{
	struct sc_work *w = malloc(sizeof(*w));
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (!w)
		return -ENOMEM;
	*w = (struct sc_work){ .s = s, .id = req->id, .tgid = tgid, .tid = req->pid,
			       .nr = req->data.nr, .ns = ns, .pause = pause };
	pthread_mutex_lock(&s->lock);
	s->workers++;
	pthread_mutex_unlock(&s->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	err = pthread_create(&t, &attr, worker, w);
	pthread_attr_destroy(&attr);
	if (err) {
		pthread_mutex_lock(&s->lock);
		s->workers--;
		pthread_mutex_unlock(&s->lock);
		free(w);
		return -err;
	}
	return 0;
}

static bool names(const struct sc_rule *r, int nr)
{
	for (unsigned i = 0; i < r->n_nrs; i++)
		if (r->nrs[i] == nr)
			return true;
	return false;
}

/* Which rule fires for req, or -1; -ESRCH when the call is gone. */
static long decide(struct fl_seccomp_sup *s, int lfd, const struct seccomp_notif *req,
		   uint64_t *ret_seq)
{
	char path[PATH_MAX];
	int path_err = 1; /* 1: not resolved yet */
	uint64_t now = now_ns();

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_pass; i++) {
		if (s->pass[i].tid == (pid_t)req->pid && s->pass[i].nr == req->data.nr) {
			s->pass[i] = s->pass[--s->n_pass];
			pthread_mutex_unlock(&s->lock);
			return -1;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (s->disarmed)
		return -1;

	for (size_t i = 0; i < s->n_rules; i++) {
		struct sc_rule *r = &s->rules[i];
		bool fires;

		if (!names(r, req->data.nr))
			continue;
		if (r->rule.for_ns && now - s->t0_ns >= r->rule.for_ns)
			continue;
		if (r->rule.keys & FL_KEY_PATH) {
			if (path_err == 1)
				path_err = call_path(lfd, req, path, sizeof(path));
			if (path_err == -ESRCH)
				return -ESRCH;
			if (path_err || fnmatch(r->rule.path, path, 0))
				continue;
		}
		pthread_mutex_lock(&s->lock);
		r->st.matched++;
		r->nth++;
		fires = fl_when_matches(&r->rule.when, r->nth);
		if (fires && r->rule.prob_ppm < 1000000)
			fires = prng_next(&r->prng) % 1000000 < r->rule.prob_ppm;
		if (fires && r->rule.count && r->st.injected >= r->rule.count)
			fires = false;
		if (fires)
			r->st.injected++;
		*ret_seq = r->nth;
		pthread_mutex_unlock(&s->lock);
		if (fires)
			return (long)i;
	}
	return -1;
}

static uint64_t delay_ns(struct fl_seccomp_sup *s, struct sc_rule *r)
{
	uint64_t ns = r->rule.arg.delay.ns, j = r->rule.arg.delay.jitter_ns, x;

	if (!j)
		return ns;
	pthread_mutex_lock(&s->lock);
	x = prng_next(&r->prng) % (2 * j + 1);
	pthread_mutex_unlock(&s->lock);
	/* uniform in [ns - j, ns + j], never below 0 */
	return ns + x < j ? 0 : ns + x - j;
}

static int handle(struct fl_seccomp_sup *s, struct seccomp_notif *req,
		  struct seccomp_notif_resp *resp)
{
	int lfd = s->launch.listener, err;
	uint64_t seq = 0, ns;
	long rule;
	pid_t tgid;
	struct sc_rule *r;

	memset(req, 0, s->req_len);
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		return errno == ENOENT || errno == EINTR ? 0 : -errno;

	rule = decide(s, lfd, req, &seq);
	if (rule == -ESRCH)
		return 0;
	if (rule < 0) {
		reply_continue(lfd, req->id);
		return 0;
	}
	r = &s->rules[rule];
	tgid = tgid_of(req->pid);
	memset(resp, 0, s->resp_len);
	resp->id = req->id;
	switch (r->rule.action) {
	case FL_ACTION_ERROR:
		resp->error = -r->rule.arg.error;
		err = reply(lfd, resp);
		emit(s, rule, req, tgid, err ? FL_RESULT_FAILED : FL_RESULT_INJECTED,
		     err ? err : r->rule.arg.error, seq);
		break;
	case FL_ACTION_RETVAL:
		resp->val = r->rule.arg.retval;
		err = reply(lfd, resp);
		emit(s, rule, req, tgid, err ? FL_RESULT_FAILED : FL_RESULT_INJECTED,
		     err ? err : r->rule.arg.retval, seq);
		break;
	case FL_ACTION_SIGNAL:
		/* Before the answer: the call never runs. */
		err = kill(tgid, r->rule.arg.signal) < 0 ? -errno : 0;
		emit(s, rule, req, tgid, err ? FL_RESULT_FAILED : FL_RESULT_INJECTED,
		     err ? err : r->rule.arg.signal, seq);
		/* A caught or ignored signal: the call fails, it still does not run. */
		resp->error = -EINTR;
		reply(lfd, resp);
		break;
	case FL_ACTION_DELAY:
	case FL_ACTION_PAUSE:
		ns = r->rule.action == FL_ACTION_DELAY ? delay_ns(s, r) : r->rule.arg.pause_ns;
		err = start_worker(s, req, tgid, ns, r->rule.action == FL_ACTION_PAUSE);
		emit(s, rule, req, tgid, err ? FL_RESULT_FAILED : FL_RESULT_INJECTED,
		     err ? err : (int64_t)ns, seq);
		if (err)
			reply_continue(lfd, req->id);
		break;
	default:
		reply_continue(lfd, req->id);
		break;
	}
	return 0;
}

int fl_seccomp_sup_run(struct fl_seccomp_sup *s, int timeout_ms)
{
	struct seccomp_notif *req = calloc(1, s->req_len);
	struct seccomp_notif_resp *resp = calloc(1, s->resp_len);
	uint64_t deadline = timeout_ms < 0 ? 0 : now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int err = 0;

	if (!req || !resp) {
		err = -ENOMEM;
		goto out;
	}
	if (!s->launched) {
		err = -ENOTCONN;
		goto out;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = s->launch.listener, .events = POLLIN },
				       { .fd = s->stop_fd, .events = POLLIN } };
		int wait = -1, n;

		if (deadline) {
			uint64_t t = now_ns();

			if (t >= deadline) {
				err = -ETIMEDOUT;
				break;
			}
			wait = (int)((deadline - t + 999999) / 1000000);
		}
		n = poll(p, 2, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (p[1].revents) {
			uint64_t v;

			if (read(s->stop_fd, &v, sizeof(v)) < 0) {
				/* nothing: the eventfd is reset either way */
			}
			err = -EINTR;
			break;
		}
		if (p[0].revents & POLLIN) {
			err = handle(s, req, resp);
			if (err)
				break;
			continue;
		}
		if (p[0].revents & (POLLHUP | POLLERR)) {
			err = 0; /* every filtered task is gone */
			break;
		}
	}
out:
	free(req);
	free(resp);
	return err;
}

void fl_seccomp_sup_stop(struct fl_seccomp_sup *s)
{
	uint64_t one = 1;

	if (write(s->stop_fd, &one, sizeof(one)) < 0) {
		/* counter full: a stop is pending already */
	}
}

void fl_seccomp_sup_disarm(struct fl_seccomp_sup *s)
{
	s->disarmed = true;
}

int fl_seccomp_sup_stats(const struct fl_seccomp_sup *s, size_t rule,
			 struct fl_seccomp_stats *ret)
{
	struct fl_seccomp_sup *m = (struct fl_seccomp_sup *)s;

	if (rule >= s->n_rules)
		return -ERANGE;
	pthread_mutex_lock(&m->lock);
	*ret = s->rules[rule].st;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void fl_seccomp_sup_close(struct fl_seccomp_sup *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (s->launched && kill(-s->launch.pid, 0) == 0)
		kill(-s->launch.pid, SIGKILL);
	if (write(s->quit_fd, &one, sizeof(one)) < 0) {
		/* cannot fail on a fresh eventfd */
	}
	pthread_mutex_lock(&s->lock);
	while (s->workers)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	if (s->launched) {
		fl_sc_watchdog_release(&s->launch);
		close(s->launch.listener);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->cb_lock);
	pthread_cond_destroy(&s->idle);
	close(s->stop_fd);
	close(s->quit_fd);
	free(s->rules);
	free(s);
}
