// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Just enough HTTP/1.0 to ask a node a JSON question (etcd's v3 gateway),
 * bounded in time as a whole: a node that is paused or cut off must make
 * the caller wait timeout_ms at most, never a TCP retransmission series.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster_priv.h"
#include "core/clock.h"

static int wait_fd(int fd, short ev, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	uint64_t now = fl_now_ns();
	int r;

	if (now >= deadline)
		return -ETIMEDOUT;
	r = poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int fl_cluster_http_post(const char *addr, int port, const char *path, const char *body,
			 int timeout_ms, json_t **ret)
{
	uint64_t deadline = fl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char *req = NULL, buf[65536];
	size_t got = 0, off = 0;
	int fd, len, err = 0, soerr = 0;
	socklen_t sl = sizeof(soerr);
	json_t *j;
	char *hdr_end;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	len = asprintf(&req, "POST %s HTTP/1.0\r\nHost: %s:%d\r\nContent-Type: application/json"
		       "\r\nContent-Length: %zu\r\n\r\n%s", path, addr, port, strlen(body), body);
	if (len < 0)
		return -ENOMEM;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		free(req);
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		err = -errno;
		goto out;
	}
	err = wait_fd(fd, POLLOUT, deadline);
	if (!err && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr))
		err = soerr ? -soerr : -errno;
	while (!err && off < (size_t)len) {
		ssize_t n = send(fd, req + off, (size_t)len - off, MSG_NOSIGNAL);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno == EAGAIN)
			err = wait_fd(fd, POLLOUT, deadline);
		else
			err = n < 0 ? -errno : -EIO;
	}
	while (!err && got < sizeof(buf) - 1) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		else if (errno == EAGAIN)
			err = wait_fd(fd, POLLIN, deadline);
		else
			err = -errno;
	}
	if (err)
		goto out;
	buf[got] = '\0';
	hdr_end = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) || !hdr_end || atoi(buf + 9) != 200) {
		err = -EPROTO;
		goto out;
	}
	j = json_loads(hdr_end + 4, 0, NULL);
	if (!j) {
		err = -EPROTO;
		goto out;
	}
	*ret = j;
out:
	close(fd);
	free(req);
	return err;
}
