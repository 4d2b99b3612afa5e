/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the remote room's files only.
 */
#ifndef FL_REMOTE_PRIV_H
#define FL_REMOTE_PRIV_H

/*
 * The remote shell says its pid first, then execs faultline in its place:
 * the pid a heal sends SIGTERM to (faultline stops, disarms and prints its
 * summary). Without a pty nothing else would stop it before its --for.
 */
#define PID_MARK "faultline-remote-pid "

#endif
