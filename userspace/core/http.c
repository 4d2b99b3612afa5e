// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTP/1.0 POST and GET with a deadline over the whole exchange (core/http.h).
 * Non-blocking socket, every wait a poll() up to the one deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/http.h"

static int fill_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *ret_len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (port < 1 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, "localhost"))
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*ret_len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*ret_len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

/* A connected non-blocking socket, or -errno by the deadline. */
static int open_conn(const char *host, int port, uint64_t deadline, int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t sl, el = sizeof(int);
	int fd, err, soerr = 0;

	err = fill_addr(host, port, &ss, &sl);
	if (err)
		return err;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		err = -errno;
		goto fail;
	}
	err = fl_wait_fd(fd, POLLOUT, deadline);
	if (err)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) || soerr) {
		err = soerr ? -soerr : -errno;
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return err;
}

int fl_http_check_host(const char *host)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	return fill_addr(host, 1, &ss, &sl);
}

int fl_http_reachable(const char *host, int port, int timeout_ms)
{
	int fd, err;

	err = open_conn(host, port, fl_deadline(timeout_ms), &fd);
	if (!err)
		close(fd);
	return err;
}

static int send_all(int fd, const char *buf, size_t len, uint64_t deadline, bool *sent)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		int err;

		if (n > 0) {
			off += (size_t)n;
			*sent = true;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			err = fl_wait_fd(fd, POLLOUT, deadline);
			if (err)
				return err;
		} else {
			return n < 0 ? -errno : -EIO;
		}
	}
	return 0;
}

/* Status and where the body starts, once the header is whole; -EAGAIN before. */
static int parse_head(const char *buf, size_t got, int *status, size_t *body_off,
		      long long *content_len)
{
	const char *end = memmem(buf, got, "\r\n\r\n", 4), *p;

	if (!end)
		return got > 65536 ? -EPROTO : -EAGAIN;
	if (got < 12 || strncmp(buf, "HTTP/1.", 7) || buf[8] != ' ')
		return -EPROTO;
	*status = atoi(buf + 9);
	if (*status < 100 || *status > 599)
		return -EPROTO;
	*content_len = -1;
	for (p = strstr(buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, "Content-Length:", 15))
			*content_len = atoll(p + 17);
	}
	*body_off = (size_t)(end + 4 - buf);
	return 0;
}

/*
 * Read a reply to its end (Content-Length, or the peer's close), bounded
 * by deadline as a whole: ret gets the status and the body alone.
 */
static int read_reply(int fd, uint64_t deadline, struct fl_http_reply *ret)
{
	size_t got = 0, cap = 4096, body_off = 0;
	long long content_len = -1;
	char *buf = malloc(cap);
	bool head = false;
	int err = buf ? 0 : -ENOMEM, status = 0;

	while (!err) {
		ssize_t n;

		if (head && content_len >= 0 && got - body_off >= (unsigned long long)content_len)
			break;
		if (got + 1 >= cap) {
			char *nb;

			if (cap >= FL_HTTP_MAX_REPLY) {
				err = -EFBIG;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (!head) {
				err = parse_head(buf, got, &status, &body_off, &content_len);
				head = !err;
				if (err == -EAGAIN)
					err = 0;
			}
		} else if (n == 0) {
			break;
		} else if (errno == EAGAIN || errno == EINTR) {
			err = fl_wait_fd(fd, POLLIN, deadline);
		} else {
			err = -errno;
		}
	}
	if (!err && (!head || (content_len >= 0 &&
			       got - body_off < (unsigned long long)content_len)))
		err = got ? -EPROTO : -ECONNRESET;
	if (err) {
		free(buf);
		return err;
	}
	ret->status = status;
	ret->len = got - body_off;
	memmove(buf, buf + body_off, ret->len);
	buf[ret->len] = '\0';
	ret->body = buf;
	return 0;
}

int fl_http_post(const char *host, int port, const char *path, const char *body, size_t len,
		 int timeout_ms, struct fl_http_reply *ret, bool *ret_sent)
{
	uint64_t deadline = fl_deadline(timeout_ms);
	char *req = NULL;
	bool sent = false, v6 = strchr(host, ':') != NULL;
	int fd = -1, hlen, err;

	hlen = asprintf(&req, "POST %s HTTP/1.0\r\nHost: %s%s%s:%d\r\n"
			"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			path, v6 ? "[" : "", host, v6 ? "]" : "", port, len);
	if (hlen < 0) {
		req = NULL;
		err = -ENOMEM;
		goto out;
	}
	err = open_conn(host, port, deadline, &fd);
	if (err)
		goto out;
	err = send_all(fd, req, (size_t)hlen, deadline, &sent);
	if (!err)
		err = send_all(fd, body, len, deadline, &sent);
	if (!err)
		err = read_reply(fd, deadline, ret);
out:
	if (fd >= 0)
		close(fd);
	if (ret_sent)
		*ret_sent = sent;
	free(req);
	return err;
}

int fl_http_post_json(const char *host, int port, const char *path, const char *body,
		      int timeout_ms, json_t **ret)
{
	struct fl_http_reply r;
	json_t *j;
	int err;

	err = fl_http_post(host, port, path, body, strlen(body), timeout_ms, &r, NULL);
	if (err)
		return err;
	j = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
	free(r.body);
	if (!j)
		return -EPROTO;
	*ret = j;
	return 0;
}


int fl_http_get(const char *host, int port, const char *path, int timeout_ms,
		struct fl_http_reply *ret)
{
	uint64_t deadline = fl_deadline(timeout_ms);
	bool v6 = strchr(host, ':') != NULL, sent = false;
	char *req = NULL;
	int fd = -1, hlen, err;

	hlen = asprintf(&req, "GET %s HTTP/1.0\r\nHost: %s%s%s:%d\r\n\r\n", path,
			v6 ? "[" : "", host, v6 ? "]" : "", port);
	if (hlen < 0)
		return -ENOMEM;
	err = open_conn(host, port, deadline, &fd);
	if (!err)
		err = send_all(fd, req, (size_t)hlen, deadline, &sent);
	if (!err)
		err = read_reply(fd, deadline, ret);
	if (fd >= 0)
		close(fd);
	free(req);
	return err;
}
