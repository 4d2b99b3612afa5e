/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket of a faultfs mount: root-only (mode 0600, SO_PEERCRED),
 * one JSON object per line each way, every command answered once it has
 * taken effect. The path is derived from the mount point, so a client that
 * knows only MOUNTPOINT finds it:
 *   /run/faultline/faultfs/<16 hex digits of FNV-1a-64(realpath(MOUNTPOINT))>.sock
 */
#ifndef FAULTFS_CONTROL_H
#define FAULTFS_CONTROL_H

struct ffs;
struct ffs_control;

/* Start the listener thread for fs mounted at mountpoint. */
int ffs_control_start(struct ffs *fs, const char *mountpoint, struct ffs_control **ret);
/* Stop it, close every client, remove the socket file. */
void ffs_control_stop(struct ffs_control *c);

#endif /* FAULTFS_CONTROL_H */
