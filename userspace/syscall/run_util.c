// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pieces both run loops share: the clock, the stop signals, reaping the
 * launched command, progress. The command is watched through a pidfd, not
 * SIGCHLD: a library must not take a process-wide signal from its caller
 * (whose other children would lose theirs).
 */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run_util.h"

uint64_t fl_sc_run_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int fl_sc_run_timeout(uint64_t deadline, int cap)
{
	uint64_t now = fl_sc_run_now_ns();
	uint64_t left = deadline > now ? (deadline - now + 999999) / 1000000 : 0;

	if (cap >= 0 && left > (uint64_t)cap)
		return cap;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

void fl_sc_run_watch(struct fl_sc_run *r, pid_t pid)
{
	r->res.pid = pid;
	/* Without one (ENOSYS before 5.3) the loops poll every FL_SC_RUN_REAP_MS. */
	r->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
}

bool fl_sc_run_reap(struct fl_sc_run *r, bool wait)
{
	pid_t got;

	if (!r->res.pid || r->res.exited)
		return r->res.exited;
	do
		got = waitpid(r->res.pid, &r->res.wstatus, wait ? 0 : WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == r->res.pid)
		r->res.exited = true;
	return r->res.exited;
}

enum fl_sc_stop fl_sc_run_signal(struct fl_sc_run *r, bool *ret_from_tty)
{
	struct signalfd_siginfo si;

	if (r->sfd < 0 || read(r->sfd, &si, sizeof(si)) != sizeof(si))
		return FL_SC_STOP_NONE;
	if (r->res.stop_signal) {
		r->res.gave_up = true;
		fl_sc_run_phase(r, FL_SC_RUN_GAVE_UP);
		return FL_SC_STOP_GIVE_UP;
	}
	r->res.stop_signal = (int)si.ssi_signo;
	*ret_from_tty = si.ssi_code == SI_KERNEL;
	return FL_SC_STOP_FIRST;
}

void fl_sc_run_phase(struct fl_sc_run *r, enum fl_syscall_run_phase phase)
{
	if (r->on_phase)
		r->on_phase(r->ctx, phase, &r->res);
}
