/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: a bystander process (comm "fl-bystander") that runs the
 * same kind of syscalls as a target, in a loop, and counts everything that
 * looks like an injected fault: failed calls, calls slower than
 * slow_ns, and death by a signal. The safety contract says a process no
 * rule targets sees no fault, so tests assert faults == 0.
 */
#ifndef FL_TEST_BYSTANDER_H
#define FL_TEST_BYSTANDER_H

#include <stdint.h>
#include <sys/types.h>

enum fl_bystander_op {
	FL_BYSTANDER_OPENAT_CLOSE = 0, /* openat(dir/file) + close */
	FL_BYSTANDER_FSYNC,            /* write 1 byte + fsync a file in dir */
	FL_BYSTANDER_WRITE,            /* pwrite 4 KiB to a file in dir */
	FL_BYSTANDER_GETPID,           /* cheap syscall, no fs */
	FL_BYSTANDER_CUSTOM,           /* fn below */
};

struct fl_bystander_opts {
	enum fl_bystander_op op;
	const char *dir;     /* for file ops; NULL = /tmp */
	int (*fn)(void *ctx);/* FL_BYSTANDER_CUSTOM: 0 or -errno */
	void *ctx;
	uint64_t slow_ns;    /* a call slower than this is a fault; 0 = 200 ms */
};

struct fl_bystander_stats {
	uint64_t calls;
	uint64_t faults;     /* failed + slow calls, +1 if killed by a signal */
	int first_errno;     /* positive errno of the first failure, or 0 */
	int signal;          /* signal that ended it, or 0 */
	uint64_t max_ns;     /* slowest call */
};

struct fl_bystander;

int fl_bystander_start(const struct fl_bystander_opts *opts, struct fl_bystander **ret);
pid_t fl_bystander_pid(const struct fl_bystander *b);
/* Stop (at most 2 s, then SIGKILL, counted as a fault), reap, free. */
int fl_bystander_stop(struct fl_bystander *b, struct fl_bystander_stats *ret);

#endif /* FL_TEST_BYSTANDER_H */
