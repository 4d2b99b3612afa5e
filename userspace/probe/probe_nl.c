// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "probe/probe_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct ack_ctx {
	unsigned seq;
	bool done;
	int err;
	char *kmsg;
	size_t kmsg_len;
};

/* The extended ack TLVs follow the echoed request (or its header if capped). */
static void copy_ext_ack(const struct nlmsgerr *e, struct ack_ctx *ctx)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off, total;

	if (!ctx->kmsg || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	total = h->nlmsg_len - NLMSG_HDRLEN;
	if (off >= total)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      total - off, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(ctx->kmsg, ctx->kmsg_len, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	/* The attribute includes the terminating NUL: trim it and a trailing newline. */
	ctx->kmsg[strcspn(ctx->kmsg, "\n")] = '\0';
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct ack_ctx *ctx = arg;

	if (e->msg.nlmsg_seq != ctx->seq)
		return NL_SKIP;
	ctx->done = true;
	ctx->err = e->error;
	copy_ext_ack(e, ctx);
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct ack_ctx *ctx = arg;

	if (nlmsg_hdr(msg)->nlmsg_seq != ctx->seq)
		return NL_OK;
	ctx->done = true;
	ctx->err = 0;
	return NL_STOP;
}

/* Notifications (queued packets) carry sequence 0: we match sequences ourselves. */
static int any_seq(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fl_nl_request(struct nl_sock *sk, struct nl_msg *msg, int timeout_ms,
		  char *kmsg, size_t kmsg_len)
{
	struct ack_ctx ctx = { .kmsg = kmsg, .kmsg_len = kmsg_len };
	long long deadline = now_ms() + timeout_ms;
	struct nl_cb *cb = NULL;
	int one = 1, fd, err;

	if (kmsg && kmsg_len)
		kmsg[0] = '\0';
	fd = nl_socket_get_fd(sk);
	if (fd < 0) {
		err = -EBADF;
		goto out;
	}
	/* Older kernels lack extended acks: then there is just no text. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		err = -ENOMEM;
		goto out;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &ctx);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, any_seq, NULL);

	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	err = nl_send_auto(sk, msg);
	if (err < 0) {
		err = fl_nl_errno(err);
		goto out;
	}
	ctx.seq = nlmsg_hdr(msg)->nlmsg_seq;

	while (!ctx.done) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		int n;

		if (left <= 0) {
			err = -ETIMEDOUT;
			goto out;
		}
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			continue;
		err = nl_recvmsgs(sk, cb);
		if (err < 0 && !ctx.done) {
			err = fl_nl_errno(err);
			goto out;
		}
	}
	err = ctx.err;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return err;
}

int fl_nl_errno(int nle_err)
{
	switch (nle_err < 0 ? -nle_err : nle_err) {
	case 0:                     return 0;
	case NLE_INTR:              return -EINTR;
	case NLE_BAD_SOCK:          return -EBADF;
	case NLE_AGAIN:             return -EAGAIN;
	case NLE_NOMEM:             return -ENOMEM;
	case NLE_EXIST:             return -EEXIST;
	case NLE_INVAL:             return -EINVAL;
	case NLE_RANGE:             return -ERANGE;
	case NLE_MSGSIZE:           return -EMSGSIZE;
	case NLE_OPNOTSUPP:         return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:      return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:      return -ENOENT;
	case NLE_NOATTR:            return -ENOENT;
	case NLE_MISSING_ATTR:      return -EINVAL;
	case NLE_BUSY:              return -EBUSY;
	case NLE_PROTO_MISMATCH:    return -EPROTONOSUPPORT;
	case NLE_NOACCESS:          return -EACCES;
	case NLE_PERM:              return -EPERM;
	case NLE_NODEV:             return -ENODEV;
	case NLE_IMMUTABLE:         return -EROFS;
	case NLE_DUMP_INTR:         return -EINTR;
	default:                    return -EPROTO;
	}
}

int fl_nl_open(int protocol, struct nl_sock **ret)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, protocol);
	if (err < 0) {
		nl_socket_free(sk);
		return fl_nl_errno(err);
	}
	*ret = sk;
	return 0;
}
