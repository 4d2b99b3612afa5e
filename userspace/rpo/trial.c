// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One trial in progress, as every step of it reports: the first failure
 * (where and why), progress for the TTY line, waiting with progress, and
 * the interrupt flag. session.c runs the steps; fault.c, fault_storage.c
 * and timeline_glue.c do some of them; all of them report here, so no
 * step calls back into the runner that called it.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "trial.h"

static volatile sig_atomic_t interrupted;

void fl_rpo_interrupt(void)
{
	interrupted = 1;
}

void fl_rpo_trial_fail(struct rpo_trial *t, const char *phase, int err, const char *fmt, ...)
{
	va_list ap;

	if (t->out->err)
		return; /* the first failure is the one that explains */
	t->out->err = err ? err : -EIO;
	snprintf(t->out->phase, sizeof(t->out->phase), "%s", phase);
	va_start(ap, fmt);
	vsnprintf(t->out->error, sizeof(t->out->error), fmt, ap);
	va_end(ap);
}

void fl_rpo_trial_progress(struct rpo_trial *t, const char *phase)
{
	uint64_t now = fl_now_ns(), acked;
	double rate = 0;

	if (!t->progress)
		return;
	acked = t->driver ? fl_rpo_driver_acked(t->driver) : t->last_acked;
	if (now > t->last_progress_ns && t->last_progress_ns)
		rate = (double)(acked - t->last_acked) * 1e9 / (double)(now - t->last_progress_ns);
	t->progress(t->ctx, t->index, phase, acked, rate,
		    t->out->start_ns ? now - t->out->start_ns : 0);
	t->last_acked = acked;
	t->last_progress_ns = now;
}

/* Wait until ns, reporting progress every 250 ms. false when interrupted. */
bool fl_rpo_trial_wait(struct rpo_trial *t, uint64_t until, const char *phase)
{
	while (!interrupted) {
		uint64_t now = fl_now_ns(), step = 250000000ull;
		struct timespec ts;

		if (now >= until)
			return true;
		if (until - now < step)
			step = until - now;
		ts.tv_sec = (time_t)(step / 1000000000ull);
		ts.tv_nsec = (long)(step % 1000000000ull);
		nanosleep(&ts, NULL);
		fl_rpo_trial_progress(t, phase);
	}
	return false;
}

volatile int *fl_rpo_interrupted(void)
{
	return (volatile int *)&interrupted;
}

