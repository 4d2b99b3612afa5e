/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: a target process driven step by step. The child runs fn;
 * it blocks in fl_target_child_wait_step() until the parent calls
 * fl_target_step(), and sends results (a syscall's return, -errno, ...)
 * with fl_target_child_report(), which the parent reads with
 * fl_target_read(). The child dies with the test (PR_SET_PDEATHSIG) and
 * any target still running at exit is killed and reaped.
 */
#ifndef FL_TEST_TARGET_H
#define FL_TEST_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct fl_target_child {
	int step_fd;    /* read end: one byte per step */
	int report_fd;  /* write end: int64_t values */
	void *arg;
};

/* Runs in the child; its return value is the exit status. */
typedef int (*fl_target_fn)(struct fl_target_child *c);

struct fl_target {
	pid_t pid;
	int step_fd;    /* write end */
	int report_fd;  /* read end */
	int pidfd;      /* -1 if pidfd_open is unavailable */
	bool reaped;
	int status;     /* wait status once reaped */
};

/* Child side. 0, or -EPIPE when the parent went away. */
int fl_target_child_wait_step(struct fl_target_child *c);
int fl_target_child_report(struct fl_target_child *c, int64_t value);

/* Fork a child that runs fn(c) with c->arg = arg, then _exit()s. */
int fl_target_spawn(fl_target_fn fn, void *arg, struct fl_target **ret);
/*
 * Fork a child that execs argv (PATH searched). With hold, the child waits
 * for one fl_target_step() before exec, so the test can aim at its pid
 * before the command runs. stdout/stderr go to /dev/null unless verbose.
 */
int fl_target_spawn_exec(char *const argv[], bool hold, struct fl_target **ret);

int fl_target_step(struct fl_target *t);
/* -ETIMEDOUT, or -EPIPE when the child closed its end (exited). */
int fl_target_read(struct fl_target *t, int64_t *value, int timeout_ms);
/* Reap the child; -ETIMEDOUT if it is still running after timeout_ms. */
int fl_target_wait(struct fl_target *t, int *status, int timeout_ms);
/* SIGKILL our own child (by pid, only while not reaped). */
int fl_target_kill(struct fl_target *t);
int fl_target_signal(struct fl_target *t, int sig);
/* Kill if needed, reap, close, free. NULL is fine. */
void fl_target_free(struct fl_target *t);

/*
 * A bare child that pauses forever, stopped with SIGSTOP and seen stopped
 * through waitpid(WUNTRACED), for tests that reap it with waitpid themselves.
 * It dies with the test process. Returns its pid, or -errno.
 */
pid_t fl_target_spawn_stopped(void);

#endif /* FL_TEST_TARGET_H */
