/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cgroup v2 helpers: find the unified hierarchy, make and remove cgroups. */
#ifndef FAULTLINE_CGROUP_H
#define FAULTLINE_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Mount point of the cgroup2 hierarchy, from /proc/self/mountinfo. */
int fl_cgroup2_root(char *buf, size_t len);
/* mkdir ROOT/NAME; ret gets the full path. -EEXIST if it exists. */
int fl_cgroup_create(const char *name, char *ret, size_t len);
int fl_cgroup_add_pid(const char *path, pid_t pid);
/*
 * The real path of a cgroup v2 directory given as a user writes it: a path
 * in the hierarchy, /sys/fs/cgroup/X on a hybrid host whose cgroup2 is at
 * /sys/fs/cgroup/unified (read as .../unified/X), or /X as /proc/PID/cgroup
 * shows it. -ENOENT if none of these exists.
 */
int fl_cgroup2_resolve(const char *path, char *ret, size_t len);
/*
 * The id of the cgroup v2 directory path (what bpf_get_current_cgroup_id
 * returns for its members) and its depth below the hierarchy's root (the
 * level bpf_get_current_ancestor_cgroup_id takes). -ENOTDIR if path is not
 * a directory of the cgroup v2 hierarchy.
 */
int fl_cgroup_id(const char *path, uint64_t *ret_id, unsigned *ret_level);
/* Move every process back to the parent, then rmdir. Gone already = 0. */
int fl_cgroup_remove(const char *path);
/*
 * SIGKILL every process of the cgroup and of the groups below it
 * (cgroup.kill, 5.14+; else each pid of cgroup.procs, repeated until none
 * is listed) and wait until none is listed, for up to timeout_ns
 * (-ETIMEDOUT). ret_killed (may be NULL) gets how many processes were
 * listed at the start. A v1 hierarchy's group works too (pid by pid).
 * Gone already = 0 with none killed.
 */
int fl_cgroup_kill(const char *path, uint64_t timeout_ns, unsigned *ret_killed);
/*
 * rmdir an empty cgroup, retrying EBUSY for up to timeout_ms: a group
 * whose last task just exited is still being released for a moment.
 * Gone already = 0; still busy = -EBUSY (the group exists).
 */
int fl_cgroup_rmdir(const char *path, int timeout_ms);

/*
 * One control file of a cgroup (v1 or v2), dir/name: write val as is, or
 * read at most len - 1 bytes into buf, NUL-terminated.
 */
int fl_cgroup_write(const char *dir, const char *name, const char *val);
int fl_cgroup_read(const char *dir, const char *name, char *buf, size_t len);

#endif
