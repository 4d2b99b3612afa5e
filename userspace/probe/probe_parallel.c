// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe many mechanisms at once: each in a forked worker of its own, its
 * verdict written to a shared page. Most of a probe's time is spent
 * waiting (a child's exit, a 20 ms spin or delay, a packet held in
 * userspace, a netlink answer) or in the verifier, so running them side by
 * side takes about as long as the slowest one. Nothing is cached: each
 * call proves every mechanism again.
 *
 * Why processes and not threads: a probe sets libbpf's print function,
 * mounts, unshares and forks; all of that is per process, and a worker
 * that crashes takes only its own verdict with it. The probes do not share
 * names: each makes its own netns, and the cgroups and mount points they
 * create carry the pid of the process that made them.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultline/kernfs.h>

#include "core/child.h"
#include "probe/probe_internal.h"

/* Far above the slowest probe (a few hundred ms when the machine is busy). */
#define WORKER_TIMEOUT_MS 30000

struct slot {
	int done;   /* the worker got as far as writing err and res */
	int err;    /* fl_probe_mechanism's return */
	struct fl_probe_result res;
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

static __attribute__((noreturn)) void worker(enum fl_mechanism m, struct slot *s, pid_t parent)
{
	/* A worker must not outlive an interrupted probe. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	s->err = fl_probe_mechanism(m, &s->res);
	s->done = 1;
	/* _exit: the caller's stdio buffers are not ours to flush. */
	_exit(0);
}

static void verdict(enum fl_mechanism m, const struct slot *s, int wait_err, int wstatus,
		    struct fl_probe_result *ret)
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
	(void)m;
}

int fl_probe_parallel(const bool selected[FL_MECH__COUNT], struct fl_probe_result *ret)
{
	size_t len = FL_MECH__COUNT * sizeof(struct slot);
	pid_t pids[FL_MECH__COUNT] = { 0 }, parent = getpid();
	struct timespec t0;
	struct slot *sh;

	/* Once, here: workers then find tracefs, bpffs and cgroup2 in place. */
	fl_kernfs_ensure(FL_KERNFS_ALL, NULL);
	sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	for (unsigned m = 0; m < FL_MECH__COUNT; m++) {
		if (!selected[m])
			continue;
		pids[m] = fork();
		if (pids[m] == 0)
			worker((enum fl_mechanism)m, &sh[m], parent);
		if (pids[m] < 0) {
			/* No process to spare: probe this one here, in turn. */
			pids[m] = 0;
			sh[m].err = fl_probe_mechanism((enum fl_mechanism)m, &sh[m].res);
			sh[m].done = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned m = 0; m < FL_MECH__COUNT; m++) {
		int wait_err = 0, wstatus = 0;
		long left;

		if (!selected[m])
			continue;
		if (pids[m] > 0) {
			left = WORKER_TIMEOUT_MS - ms_since(&t0);
			wait_err = fl_child_wait(pids[m], left > 0 ? (int)left : 1, &wstatus);
		}
		verdict((enum fl_mechanism)m, &sh[m], wait_err, wstatus, &ret[m]);
	}
	munmap(sh, len);
	return 0;
}
