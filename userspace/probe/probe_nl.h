/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Netlink requests for the qdisc and NFQUEUE probes. libnl folds the
 * kernel's errno into its own NLE_* codes and drops the extended ack text;
 * a probe needs both to say why the kernel refused.
 */
#ifndef FAULTLINE_PROBE_NL_H
#define FAULTLINE_PROBE_NL_H

#include <stddef.h>
#include <netlink/netlink.h>

/*
 * Send msg on sk (it is freed) and wait up to timeout_ms for the kernel's
 * answer. Returns 0 on ack, the kernel's own -errno on refusal, or
 * -ETIMEDOUT; kmsg (may be NULL) gets the extended ack message or "".
 */
int fl_nl_request(struct nl_sock *sk, struct nl_msg *msg, int timeout_ms,
		  char *kmsg, size_t kmsg_len);

/* A netlink socket connected to protocol (NETLINK_ROUTE, ...) into ret. 0 or -errno. */
int fl_nl_open(int protocol, struct nl_sock **ret);

/* Nearest -errno for a libnl -NLE_* code. */
int fl_nl_errno(int nle_err);

#endif
