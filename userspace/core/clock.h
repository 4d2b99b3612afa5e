/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The clock, naps and deadlines that every domain's loops use: one
 * monotonic clock (CLOCK_MONOTONIC, as bpf_ktime_get_ns()), so times taken
 * by different rooms can be compared.
 */
#ifndef FL_CORE_CLOCK_H
#define FL_CORE_CLOCK_H

#include <stdint.h>

uint64_t fl_now_ns(void);
/* Sleep ms milliseconds, through signals. */
void fl_sleep_ms(long ms);
/* now + timeout_ms (at least 1 ms): a deadline for fl_wait_fd(). */
uint64_t fl_deadline(int timeout_ms);
/* poll fd for events until deadline_ns (0 = forever): 0, -ETIMEDOUT or -errno. */
int fl_wait_fd(int fd, short events, uint64_t deadline_ns);

#endif /* FL_CORE_CLOCK_H */
