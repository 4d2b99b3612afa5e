// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How a state record names the object it stands for: a process by its pid
 * and starttime, a named netns by its file under /run/netns, a qdisc or a
 * class by its tc handle. The record functions (state_record.c) write these
 * names and the undoers (cleanup_*.c, state_stopped.c) read them back; both
 * take them from here, so neither calls the other.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pkt_sched.h>

#include "state_ids.h"

#ifndef TC_H_CLSACT
#define TC_H_CLSACT TC_H_INGRESS
#endif

int fl_proc_starttime(pid_t pid, uint64_t *ret)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	buf[n] = '\0';
	/* comm may contain spaces and ')': fields restart after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	/* p + 1 is " S ppid ...": the state is field 3. */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return -EBADMSG;
	*ret = start;
	return 0;
}

int fl_netns_name_valid(const char *name)
{
	if (!name || !*name || strlen(name) >= NAME_MAX || strchr(name, '/') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	return 0;
}

void fl_tc_handle_format(uint32_t handle, char *buf, size_t len)
{
	if (handle == TC_H_ROOT)
		snprintf(buf, len, "root");
	else if (handle == TC_H_CLSACT)
		snprintf(buf, len, "clsact");
	else if (handle == TC_H_UNSPEC)
		snprintf(buf, len, "none");
	else if (TC_H_MIN(handle) == 0)
		snprintf(buf, len, "%x:", TC_H_MAJ(handle) >> 16);
	else
		snprintf(buf, len, "%x:%x", TC_H_MAJ(handle) >> 16, TC_H_MIN(handle));
}

int fl_tc_handle_parse(const char *s, uint32_t *ret)
{
	unsigned long maj, min = 0;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (strcmp(s, "root") == 0) {
		*ret = TC_H_ROOT;
		return 0;
	}
	if (strcmp(s, "clsact") == 0 || strcmp(s, "ingress") == 0) {
		*ret = TC_H_CLSACT;
		return 0;
	}
	if (strcmp(s, "none") == 0) {
		*ret = TC_H_UNSPEC;
		return 0;
	}
	if (strncmp(s, "0x", 2) == 0) {
		unsigned long v = strtoul(s + 2, &end, 16);

		if (*end || v > UINT32_MAX)
			return -EINVAL;
		*ret = (uint32_t)v;
		return 0;
	}
	maj = strtoul(s, &end, 16);
	if (*end != ':' || maj > 0xffff)
		return -EINVAL;
	if (end[1]) {
		min = strtoul(end + 1, &end, 16);
		if (*end || min > 0xffff)
			return -EINVAL;
	}
	*ret = TC_H_MAKE(maj << 16, min);
	return 0;
}
