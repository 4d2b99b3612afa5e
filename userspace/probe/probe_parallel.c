// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe many mechanisms at once: each in a forked worker of its own, its
 * verdict written to a shared page. Most of a probe's time is spent
 * waiting (a child's exit, a 20 ms spin or delay, a packet held in
 * userspace, a netlink answer) or in the verifier, so running them side by
 * side takes about as long as the slowest one. Nothing is cached: each
 * call proves every mechanism again.
 *
 * At most a few run at once (twice the CPUs, at least 4): the BPF probes'
 * own children give up after a few seconds, and a slow machine (qemu
 * without KVM) running all of them at once made them time out. A probe
 * that still times out side by side with others is probed again alone,
 * so its verdict is the one it gets on its own.
 *
 * Why processes and not threads: a probe sets libbpf's print function,
 * mounts, unshares and forks; all of that is per process, and a worker
 * that crashes takes only its own verdict with it. The probes do not share
 * names: each makes its own netns, and the cgroups and mount points they
 * create carry the pid of the process that made them.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultline/kernfs.h>

#include "core/child.h"
#include "probe/probe_internal.h"

/* Far above the slowest probe (a few hundred ms when the machine is busy). */
#define WORKER_TIMEOUT_MS 30000
#define MAX_AT_ONCE 16

struct slot {
	int done;   /* the worker got as far as writing err and res */
	int err;    /* the probe's return */
	struct fl_probe_result res;
};

struct worker {
	pid_t pid;
	int pidfd;          /* -1: wait for it blocking */
	unsigned m;
	struct timespec t0;
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

static __attribute__((noreturn)) void worker_main(fl_probe_fn probe, enum fl_mechanism m,
						  struct slot *s, pid_t parent)
{
	/* A worker must not outlive an interrupted probe. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	s->err = probe(m, &s->res);
	s->done = 1;
	/* _exit: the caller's stdio buffers are not ours to flush. */
	_exit(0);
}

static void verdict(const struct slot *s, int wait_err, int wstatus, struct fl_probe_result *ret)
{
	if (wait_err == -ETIMEDOUT)
		fl_probe_set(ret, FL_PROBE_UNKNOWN, ETIMEDOUT,
			     "probe failed: no verdict within %d s", WORKER_TIMEOUT_MS / 1000);
	else if (wait_err)
		fl_probe_set(ret, FL_PROBE_UNKNOWN, -wait_err, "probe failed: %s",
			     strerror(-wait_err));
	else if (!s->done && WIFSIGNALED(wstatus))
		fl_probe_set(ret, FL_PROBE_UNKNOWN, EINTR, "probe failed: killed by signal %d",
			     WTERMSIG(wstatus));
	else if (!s->done)
		fl_probe_set(ret, FL_PROBE_UNKNOWN, EIO, "probe failed: the probe's process exited with %d",
			     WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
	else if (s->err < 0)
		fl_probe_set(ret, FL_PROBE_UNKNOWN, -s->err, "probe failed: %s", strerror(-s->err));
	else
		*ret = s->res;
}

static bool start(fl_probe_fn probe, unsigned m, struct slot *sh, pid_t parent,
		  struct worker *w)
{
	pid_t pid = fork();

	if (pid == 0)
		worker_main(probe, (enum fl_mechanism)m, &sh[m], parent);
	if (pid < 0)
		return false;
	*w = (struct worker){ .pid = pid, .m = m,
			      .pidfd = (int)syscall(SYS_pidfd_open, pid, 0) };
	clock_gettime(CLOCK_MONOTONIC, &w->t0);
	return true;
}

/* Reap w (blocking, or killing it past its time); fill its verdict. */
static void finish(struct worker *w, struct slot *sh, struct fl_probe_result *ret)
{
	long left = WORKER_TIMEOUT_MS - ms_since(&w->t0);
	int wstatus = 0, err;

	err = fl_child_wait(w->pid, left > 0 ? (int)left : 1, &wstatus);
	if (w->pidfd >= 0)
		close(w->pidfd);
	verdict(&sh[w->m], err, wstatus, &ret[w->m]);
}

/* Wait until one of the n running workers ends (or is due); returns its index. */
static size_t wait_any(struct worker *run, size_t n)
{
	struct pollfd p[MAX_AT_ONCE];
	long soonest = WORKER_TIMEOUT_MS;

	for (size_t i = 0; i < n; i++) {
		long left = WORKER_TIMEOUT_MS - ms_since(&run[i].t0);

		if (run[i].pidfd < 0 || left <= 0)
			return i; /* no pidfd: wait for this one; due: kill it */
		if (left < soonest)
			soonest = left;
		p[i] = (struct pollfd){ .fd = run[i].pidfd, .events = POLLIN };
	}
	for (;;) {
		int k = poll(p, n, (int)soonest);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0; /* time is up for the oldest, or poll broke: reap in order */
		for (size_t i = 0; i < n; i++)
			if (p[i].revents)
				return i;
	}
}

static bool timed_out(const struct slot *s, const struct fl_probe_result *r)
{
	return s->err == -ETIMEDOUT || (r->status == FL_PROBE_UNKNOWN && r->err == ETIMEDOUT);
}

int fl_probe_parallel(const bool selected[FL_MECH__COUNT], fl_probe_fn probe,
		      struct fl_probe_result *ret)
{
	size_t len = FL_MECH__COUNT * sizeof(struct slot), n_run = 0, at_once;
	struct worker run[MAX_AT_ONCE];
	pid_t parent = getpid();
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned next = 0;
	struct slot *sh;

	at_once = cpus > 0 ? 2 * (size_t)cpus : 4;
	if (at_once < 4)
		at_once = 4;
	if (at_once > MAX_AT_ONCE)
		at_once = MAX_AT_ONCE;
	/* Once, here: workers then find tracefs, bpffs and cgroup2 in place. */
	fl_kernfs_ensure(FL_KERNFS_ALL, NULL);
	sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	while (next < FL_MECH__COUNT || n_run) {
		size_t i;

		while (n_run < at_once && next < FL_MECH__COUNT) {
			unsigned m = next++;

			if (!selected[m])
				continue;
			if (!start(probe, m, sh, parent, &run[n_run])) {
				/* No process to spare: probe this one here. */
				sh[m].err = probe((enum fl_mechanism)m, &sh[m].res);
				sh[m].done = 1;
				verdict(&sh[m], 0, 0, &ret[m]);
				continue;
			}
			n_run++;
		}
		if (!n_run)
			continue;
		i = wait_any(run, n_run);
		finish(&run[i], sh, ret);
		run[i] = run[--n_run];
	}
	/* Timed out beside the others: ask again, alone, as a probe of one would. */
	for (unsigned m = 0; m < FL_MECH__COUNT; m++) {
		if (!selected[m] || !timed_out(&sh[m], &ret[m]))
			continue;
		memset(&sh[m], 0, sizeof(sh[m]));
		sh[m].err = probe((enum fl_mechanism)m, &sh[m].res);
		sh[m].done = 1;
		verdict(&sh[m], 0, 0, &ret[m]);
	}
	munmap(sh, len);
	return 0;
}
