/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The watchdog: a forked child that runs one function when the process
 * that forked it dies, even by SIGKILL (state_watchdog.c). It knows
 * nothing of sessions: state.c hands it the undo as a callback.
 */
#ifndef FAULTLINE_STATE_WATCHDOG_H
#define FAULTLINE_STATE_WATCHDOG_H

#include <sys/types.h>

struct fl_watchdog {
	pid_t pid;  /* the watchdog, or 0 */
	int fd;     /* write end of its pipe, or -1 */
};

/*
 * Runs in the watchdog, in a fresh session with stdio on /dev/null, once
 * the controller died; its return value (0 or a negative errno) becomes
 * the watchdog's exit status (0 or 1). arg is the caller's memory as it
 * was at fork time.
 */
typedef int (*fl_watchdog_fn)(void *arg);

/* Fork the watchdog. -EALREADY when wd already has one. */
int fl_watchdog_start(struct fl_watchdog *wd, fl_watchdog_fn on_death, void *arg);
/* Tell it to exit without running on_death, and reap it. */
void fl_watchdog_stop(struct fl_watchdog *wd);
/* In a forked child: drop the inherited pipe. */
void fl_watchdog_detach_child(struct fl_watchdog *wd);

#endif /* FAULTLINE_STATE_WATCHDOG_H */
