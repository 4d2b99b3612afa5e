// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event log. Lines are written with one write(2) each on an O_APPEND
 * fd: the kernel then appends each line atomically with respect to other
 * appenders of the same file (injectors in other processes included), and
 * nothing sits in a stdio buffer when the controller is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <faultline/event.h>

struct fl_event_log {
	int fd;
	bool owns_fd;
};

int fl_event_log_open(const char *path, struct fl_event_log **ret)
{
	struct fl_event_log *log;
	int fd;

	if (!path || !*path)
		return -EINVAL;
	log = calloc(1, sizeof(*log));
	if (!log)
		return -ENOMEM;
	if (strcmp(path, "-") == 0) {
		log->fd = STDOUT_FILENO;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			int err = -errno;

			free(log);
			return err;
		}
		log->fd = fd;
		log->owns_fd = true;
	}
	*ret = log;
	return 0;
}

int fl_event_log_write(struct fl_event_log *log, const struct fl_event *ev)
{
	char line[FL_EVENT_JSON_MAX + 2];
	size_t off = 0, len;
	int n;

	n = fl_event_to_json(ev, line, sizeof(line) - 1);
	if (n < 0)
		return n;
	line[n] = '\n';
	len = (size_t)n + 1;
	/* A short write only happens on a full disk or a pipe; finish the line. */
	while (off < len) {
		ssize_t w = write(log->fd, line + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)w;
	}
	return 0;
}

void fl_event_log_close(struct fl_event_log *log)
{
	if (!log)
		return;
	if (log->owns_fd)
		close(log->fd);
	free(log);
}
