/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Running a service's commands as another user (`faultline rpo --user`):
 * who the user is, looked up once before a fork (the child of a threaded
 * controller must not allocate or call NSS), and becoming that user in
 * the child, async-signal-safely.
 */
#ifndef FL_WORKLOAD_RUN_AS_H
#define FL_WORKLOAD_RUN_AS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define FL_WL_USER_GROUPS 64

struct fl_wl_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[FL_WL_USER_GROUPS]; /* supplementary groups, the primary one too */
	int n_groups;
	char home[PATH_MAX];
	char **envp;             /* environ with HOME, USER, LOGNAME of the user */
};

/*
 * Look up name (or a numeric uid) in the user database: -ENOENT with
 * "no such user" in errbuf. The result holds an allocated environment:
 * fl_wl_user_free it.
 */
int fl_wl_user_lookup(const char *name, struct fl_wl_user *ret, char *errbuf, size_t errlen);
void fl_wl_user_free(struct fl_wl_user *u);
/*
 * In a forked child: drop to the user (groups, gid, uid, in that order)
 * and, when the user may not enter the current directory, go to its home
 * (or /). Async-signal-safe. 0, or -errno of the step that failed, whose
 * name goes to *ret_step.
 */
int fl_wl_user_become(const struct fl_wl_user *u, const char **ret_step);
/*
 * Can the user read, write and enter dir? Asked of the kernel by a child
 * that became the user: 0, -EACCES (or the errno access(2) gave).
 */
int fl_wl_user_can_use_dir(const struct fl_wl_user *u, const char *dir);

#endif /* FL_WORKLOAD_RUN_AS_H */
