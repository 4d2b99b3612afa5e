/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's pseudo-filesystems that faultline relies on: tracefs
 * (tracepoint ids), bpffs (pinned maps), cgroup2 (targets, services,
 * socket hooks) and securityfs (lockdown mode, active LSMs).
 *
 * A fresh machine, a container or a minimal init may have none of them
 * mounted. fl_kernfs_ensure() mounts the missing ones at their standard
 * places, once per process, and leaves them mounted afterwards, as systemd
 * would have: other tools (and other faultline sessions) expect them there,
 * so unmounting them on exit would break what was working. Library code
 * does not print; callers ask fl_kernfs_mounted() what was mounted and say
 * so once.
 */
#ifndef FAULTLINE_KERNFS_H
#define FAULTLINE_KERNFS_H

enum fl_kernfs {
	FL_KERNFS_TRACEFS    = 1u << 0,
	FL_KERNFS_BPFFS      = 1u << 1,
	FL_KERNFS_CGROUP2    = 1u << 2,
	FL_KERNFS_SECURITYFS = 1u << 3,
	FL_KERNFS_ALL        = (1u << 4) - 1,
};

/*
 * Make sure every filesystem in the mask `which` is mounted, mounting the
 * missing ones. Each is looked at once per process; later calls cost a
 * mutex. ret_mounted (may be NULL) gets the ones this call mounted.
 * Returns 0 when all are there, else the first error (-EPERM when not
 * root, -ENODEV when the kernel lacks one); the others are still tried.
 */
int fl_kernfs_ensure(unsigned which, unsigned *ret_mounted);

/* Every filesystem this process has mounted so far (a mask). */
unsigned fl_kernfs_mounted(void);

/* "tracefs", "bpffs", "cgroup2", "securityfs"; NULL for anything else. */
const char *fl_kernfs_name(enum fl_kernfs fs);

/*
 * Where fs is mounted now (the standard place, or for cgroup2 wherever
 * the hierarchy is), as fl_kernfs_ensure() found or mounted it; NULL when
 * it is not known to be mounted.
 */
const char *fl_kernfs_path(enum fl_kernfs fs);

#endif /* FAULTLINE_KERNFS_H */
