/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Working inside a named network namespace from a threaded program:
 * setns(2) on a netns is per thread, so only the calling thread moves,
 * and goes back afterwards. Core's undo and the net domain use it alike.
 */
#ifndef FL_CORE_NETNS_H
#define FL_CORE_NETNS_H

/* Where `ip netns add` binds named network namespaces. */
#define FL_NETNS_RUN_DIR "/run/netns"

/*
 * Move the calling thread into netns name ("" or NULL = stay). *ret_saved
 * gets an fd to restore with fl_netns_leave(), or -1 when nothing changed.
 */
int fl_netns_enter(const char *name, int *ret_saved);
int fl_netns_leave(int saved);

#endif /* FL_CORE_NETNS_H */
