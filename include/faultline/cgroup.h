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
 * The id of the cgroup v2 directory path (what bpf_get_current_cgroup_id
 * returns for its members) and its depth below the hierarchy's root (the
 * level bpf_get_current_ancestor_cgroup_id takes). -ENOTDIR if path is not
 * a directory of the cgroup v2 hierarchy.
 */
int fl_cgroup_id(const char *path, uint64_t *ret_id, unsigned *ret_level);
/* Move every process back to the parent, then rmdir. Gone already = 0. */
int fl_cgroup_remove(const char *path);

#endif
