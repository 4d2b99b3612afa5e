/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: the small things a test that drives real programs keeps
 * doing: a formatted shell command, a formatted file, a monotonic clock
 * in milliseconds.
 */
#ifndef FL_TEST_SHELL_H
#define FL_TEST_SHELL_H

/* sh -c of the formatted command (at most 4 KiB); its exit status, -1 if it did not exit. */
int fl_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* path written (created or truncated) with the formatted text: 0 or -1. */
int fl_test_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* CLOCK_MONOTONIC in milliseconds. */
long long fl_test_now_ms(void);

#endif /* FL_TEST_SHELL_H */
