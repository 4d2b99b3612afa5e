// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The line protocol (docs/rpo-exec-protocol.md), controller side, shared by
 * exec: clients and the built-in writer: one request line, one answer
 * line, each bounded by a deadline. A connection that missed a deadline is
 * out of step and must be closed (the driver does after any non-OK).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapter.h"
#include "core/errno_names.h"

#define READ_CHUNK 65536

int fl_wl_send_all(int fd, const void *buf, size_t len, uint64_t deadline_ns, size_t *ret_sent)
{
	const char *p = buf;
	size_t sent = 0;
	int err = 0;

	while (sent < len) {
		ssize_t n = send(fd, p + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			sent += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/* The same for a caller, whichever the peer's exit raced with. */
			err = errno == EPIPE ? -ECONNRESET : -errno;
			break;
		}
		err = fl_wait_fd(fd, POLLOUT, deadline_ns);
		if (err)
			break;
	}
	if (ret_sent)
		*ret_sent = sent;
	return err;
}

int fl_wl_readline(int fd, char **rbuf, size_t *rlen, size_t *roff, size_t *rcap,
		   uint64_t deadline_ns, char **ret_line, size_t *ret_len)
{
	size_t scan = *roff;

	for (;;) {
		char *nl = *rlen > scan ? memchr(*rbuf + scan, '\n', *rlen - scan) : NULL;

		if (nl) {
			*nl = '\0';
			*ret_line = *rbuf + *roff;
			*ret_len = nl - (*rbuf + *roff);
			*roff = nl + 1 - *rbuf;
			return 0;
		}
		scan = *rlen;
		/* Keep the partial line at the start, and room for a chunk. */
		if (*roff) {
			memmove(*rbuf, *rbuf + *roff, *rlen - *roff);
			*rlen -= *roff;
			scan -= *roff;
			*roff = 0;
		}
		if (*rcap - *rlen < READ_CHUNK + 1) {
			size_t cap = *rcap ? *rcap * 2 : 2 * READ_CHUNK;
			char *b;

			while (cap - *rlen < READ_CHUNK + 1)
				cap *= 2;
			b = realloc(*rbuf, cap);
			if (!b)
				return -ENOMEM;
			*rbuf = b;
			*rcap = cap;
		}
		ssize_t n = recv(fd, *rbuf + *rlen, *rcap - *rlen - 1, MSG_DONTWAIT);

		if (n > 0) {
			*rlen += n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno == ENOTSOCK) {
			n = read(fd, *rbuf + *rlen, *rcap - *rlen - 1);
			if (n > 0) {
				*rlen += n;
				continue;
			}
			return n == 0 ? -ECONNRESET : -errno;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int err = fl_wait_fd(fd, POLLIN, deadline_ns);

		if (err)
			return err;
	}
}

void fl_wl_hex_encode(char *out, const void *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int fl_wl_hex_decode(void *out, const char *hex, size_t n)
{
	unsigned char *p = out;

	if (n % 2)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		*p++ = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Strict decimal u64 of s[0..n): no sign, no blanks, no overflow, not 0. */
static int parse_id(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (!n || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (!v)
		return -EINVAL;
	*ret = v;
	return 0;
}

int fl_wl_parse_record(const char *s, size_t n, uint64_t *ret_id, void **ret, size_t *ret_len)
{
	const char *sp = memchr(s, ' ', n);
	size_t hexlen;
	uint64_t id;
	void *buf;

	if (!sp || parse_id(s, sp - s, &id))
		return -EINVAL;
	hexlen = n - (sp + 1 - s);
	if (hexlen % 2)
		return -EINVAL;
	buf = malloc(hexlen / 2 + 1);
	if (!buf)
		return -ENOMEM;
	if (fl_wl_hex_decode(buf, sp + 1, hexlen)) {
		free(buf);
		return -EINVAL;
	}
	*ret_id = id;
	*ret = buf;
	*ret_len = hexlen / 2;
	return 0;
}

struct fl_wl_pconn *fl_wl_pconn_new(struct fl_workload *w, int fd, pid_t child)
{
	struct fl_wl_pconn *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	pc->base.w = w;
	pc->fd = fd;
	pc->child = child;
	return pc;
}

void fl_wl_pconn_close(struct fl_wl_pconn *pc)
{
	if (!pc)
		return;
	if (pc->fd >= 0)
		close(pc->fd);
	if (pc->child > 0) {
		kill(-pc->child, SIGKILL);
		while (waitpid(pc->child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(pc->rbuf);
	free(pc->wbuf);
	free(pc);
}

static int pc_readline(struct fl_wl_pconn *pc, uint64_t deadline, char **line, size_t *len)
{
	return fl_wl_readline(pc->fd, &pc->rbuf, &pc->rlen, &pc->roff, &pc->rcap, deadline,
			      line, len);
}

int fl_wl_pconn_simple(struct fl_wl_pconn *pc, const char *req, const char *want,
		       int timeout_ms, char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_deadline(timeout_ms);
	char msg[64], *line;
	size_t len;
	int err;

	snprintf(msg, sizeof(msg), "%s\n", req);
	err = fl_wl_send_all(pc->fd, msg, strlen(msg), deadline, NULL);
	if (!err)
		err = pc_readline(pc, deadline, &line, &len);
	if (err)
		return fl_wl_err(pc->base.w, err, errbuf, errlen, "%s: %s", req, strerror(-err));
	if (strcmp(line, want))
		return fl_wl_err(pc->base.w, -EPROTO, errbuf, errlen, "%s: answered '%.100s'",
				 req, line);
	return 0;
}

/* "OK <id>", "FAIL <id> why", "UNKNOWN <id> why": the id must be ours. */
static int answer_for(const char *line, const char *word, uint64_t id)
{
	size_t n = strlen(word);
	char num[24];
	int k;

	if (strncmp(line, word, n) || line[n] != ' ')
		return 0;
	k = snprintf(num, sizeof(num), "%" PRIu64, id);
	line += n + 1;
	return !strncmp(line, num, k) && (line[k] == '\0' || line[k] == ' ');
}

/*
 * "FAIL <id> EEXIST: ...": a reason that begins with an errno name and a
 * colon names the errno recorded; any other reason is EIO.
 */
static int reason_errno(const char *line)
{
	const char *r = strchr(line, ' '), *colon;
	char name[24];
	int e;

	r = r ? strchr(r + 1, ' ') : NULL;
	if (!r || r[1] != 'E' || !(colon = strchr(r + 1, ':')) ||
	    (size_t)(colon - r - 1) >= sizeof(name))
		return -EIO;
	memcpy(name, r + 1, colon - r - 1);
	name[colon - r - 1] = '\0';
	e = fl_errno_lookup(name);
	return e > 0 ? -e : -EIO;
}

enum fl_op_outcome fl_wl_pconn_write(struct fl_wl_pconn *pc, uint64_t id, const void *payload,
				     size_t len, int timeout_ms, int *ret_err)
{
	uint64_t deadline = fl_deadline(timeout_ms);
	size_t need = 2 + 21 + 2 * len + 1, n, sent = 0, llen;
	char *line;
	int err;

	if (pc->wcap < need) {
		char *b = realloc(pc->wbuf, need);

		if (!b) {
			*ret_err = -ENOMEM;
			return FL_OP_FAIL;
		}
		pc->wbuf = b;
		pc->wcap = need;
	}
	n = snprintf(pc->wbuf, pc->wcap, "W %" PRIu64 " ", id);
	fl_wl_hex_encode(pc->wbuf + n, payload, len);
	n += 2 * len;
	pc->wbuf[n++] = '\n';
	err = fl_wl_send_all(pc->fd, pc->wbuf, n, deadline, &sent);
	if (err) {
		*ret_err = err;
		/* Nothing left us: the store cannot have it. */
		return sent ? FL_OP_UNKNOWN : FL_OP_FAIL;
	}
	err = pc_readline(pc, deadline, &line, &llen);
	if (err) {
		*ret_err = err;
		return FL_OP_UNKNOWN;
	}
	if (answer_for(line, "OK", id))
		return FL_OP_OK;
	if (answer_for(line, "FAIL", id)) {
		*ret_err = reason_errno(line);
		return FL_OP_FAIL;
	}
	*ret_err = answer_for(line, "UNKNOWN", id) ? reason_errno(line) : -EPROTO;
	return FL_OP_UNKNOWN;
}

int fl_wl_pconn_read_all(struct fl_wl_pconn *pc, int idle_ms, fl_wl_record_cb cb, void *ctx,
			 char *errbuf, size_t errlen)
{
	uint64_t records = 0;
	char *line;
	size_t len;
	int err;

	err = fl_wl_send_all(pc->fd, "READ\n", 5, fl_deadline(idle_ms), NULL);
	while (!err) {
		uint64_t id = 0;
		void *buf = NULL;
		size_t blen = 0;

		/* Each line gets its own deadline: a big answer is slow, a stuck one silent. */
		err = pc_readline(pc, fl_deadline(idle_ms), &line, &len);
		if (err)
			break;
		if (!strcmp(line, "END"))
			return 0;
		if (strncmp(line, "R ", 2))
			return fl_wl_err(pc->base.w, -EPROTO, errbuf, errlen,
					 "READ: expected 'R <id> <hex>' or END, got '%.100s'",
					 line);
		err = fl_wl_parse_record(line + 2, len - 2, &id, &buf, &blen);
		if (err == -EINVAL)
			err = cb(ctx, 0, line + 2, len - 2);
		else if (!err)
			err = cb(ctx, id, buf, blen);
		free(buf);
		records++;
	}
	if (err == -ETIMEDOUT)
		return fl_wl_err(pc->base.w, err, errbuf, errlen,
				 "READ: no END after %llu record(s): nothing more for %.1f s "
				 "(the read-back timeout)", (unsigned long long)records,
				 idle_ms / 1000.0);
	if (err == -ECONNRESET)
		return fl_wl_err(pc->base.w, err, errbuf, errlen,
				 "READ: the answer ended without END after %llu record(s) "
				 "(the client closed its output or exited)",
				 (unsigned long long)records);
	return fl_wl_err(pc->base.w, err, errbuf, errlen, "READ: %s", strerror(-err));
}
