/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* util.c: the clock, naps, deadlines and error lines every part of rpo uses. */
#ifndef FL_RPO_UTIL_H
#define FL_RPO_UTIL_H

#include <stddef.h>
#include <stdint.h>

uint64_t fl_rpo_now_ns(void);      /* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
void fl_rpo_sleep_ms(long ms);
/* now + timeout_ms (at least 1 ms): a deadline for fl_rpo_wait_fd(). */
uint64_t fl_rpo_deadline(int timeout_ms);
/* poll fd for events until deadline_ns (0 = forever): 0, -ETIMEDOUT or -errno. */
int fl_rpo_wait_fd(int fd, short events, uint64_t deadline_ns);
/* Format one line into errbuf (NULL is fine): the sentence the CLI shows. */
void fl_rpo_errf(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* FL_RPO_UTIL_H */
