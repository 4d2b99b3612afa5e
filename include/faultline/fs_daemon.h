/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Running the faultfs daemon in place over a directory (DIR on DIR), for
 * every room that mounts one: rpo over a service's data dir, cluster over
 * each node's. The control socket (<faultline/fs.h>) drives it afterwards.
 */
#ifndef FAULTLINE_FS_DAEMON_H
#define FAULTLINE_FS_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

struct fl_state;

/* faultfs next to the running executable, else the first on $PATH. -ENOENT. */
int fl_fs_daemon_find(char *buf, size_t len);
/*
 * Run bin over dir (already canonical) with -o opts (NULL or "" = none)
 * and return once it is mounted (faultfs daemonizes: its first process
 * exits then). The daemon gets its own session, /dev/null for stdio, no
 * descriptor of ours and no blocked signal; st (may be NULL) is the
 * caller's state, whose watchdog pipe the child drops. -EIO with the
 * daemon's first line of error in errbuf, -ETIMEDOUT after timeout_ms.
 * The caller records the mount (fl_state_record_mount) right after.
 */
int fl_fs_daemon_run(const char *bin, const char *dir, const char *opts,
		     struct fl_state *st, int timeout_ms, char *errbuf, size_t errlen);
/*
 * Unmount the faultfs on dir and wait for its daemon pid (0 = unknown) to
 * exit: EBUSY is retried for busy_ms, then the mount is detached lazily;
 * a daemon still alive after that (a mount namespace made meanwhile holds
 * a copy of the mount) gets SIGTERM through a pidfd. 0, -EBUSY (still
 * mounted) or -ETIMEDOUT (unmounted, but the daemon lives on).
 */
int fl_fs_daemon_unmount(const char *dir, pid_t pid, int busy_ms);

#endif /* FAULTLINE_FS_DAEMON_H */
