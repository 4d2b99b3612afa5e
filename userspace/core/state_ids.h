/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How a state record names the object it stands for (state_ids.c): the
 * record functions write these names, the undoers read them back.
 */
#ifndef FAULTLINE_STATE_IDS_H
#define FAULTLINE_STATE_IDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Field 22 of /proc/PID/stat (clock ticks since boot). -ENOENT if gone. */
int fl_proc_starttime(pid_t pid, uint64_t *ret);

/* A netns name usable as a file name under /run/netns. */
int fl_netns_name_valid(const char *name);
/* tc-style handles: "root", "clsact", "none", "1:", "1:10". */
void fl_tc_handle_format(uint32_t handle, char *buf, size_t len);
int fl_tc_handle_parse(const char *s, uint32_t *ret);

#endif /* FAULTLINE_STATE_IDS_H */
