/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reverse lookups behind fl_parse_errno() and fl_parse_signal(). */
#ifndef FL_CORE_ERRNO_NAMES_H
#define FL_CORE_ERRNO_NAMES_H

/* errno value of "EIO" (any case, aliases such as EWOULDBLOCK), or -ENOENT. */
int fl_errno_lookup(const char *name);

/*
 * Signal number of "SIGKILL", "KILL", "SIGRTMIN+3", "RTMAX-1" (any case), or
 * -ENOENT if unknown, -ERANGE for a realtime offset outside the range.
 */
int fl_signal_lookup(const char *name);

/* Highest valid signal number (SIGRTMAX). */
int fl_signal_max(void);

#endif
