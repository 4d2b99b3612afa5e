// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What makes a net rule (or an fs/net corrupt= mode) contradict itself,
 * decided here once so the datapath never has to guess: each refusal
 * points at the token to change. The choices are listed in the README's
 * net grammar table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <faultline/rule.h>
#include "rule_internal.h"

#define QUOTE_LEN 48

static unsigned col_or_1(unsigned col)
{
	return col ? col : 1;
}

/* Index of the first op whose proto bit is in mask, or -1. */
static int first_op(const struct fl_rule *r, unsigned mask)
{
	unsigned i;

	for (i = 0; i < r->n_ops && i < FL_RULE_MAX_OPS; i++)
		if (fl_net_proto_bit(r->ops[i]) & mask)
			return (int)i;
	return -1;
}

static const char *op_quote(const struct fl_rule *r, int i, char *q)
{
	return fl_rule_quote(r->ops[i], strnlen(r->ops[i], FL_RULE_OP_LEN), q,
			     QUOTE_LEN);
}

static unsigned protos_of(const struct fl_rule *r)
{
	unsigned i, m = 0;

	for (i = 0; i < r->n_ops && i < FL_RULE_MAX_OPS; i++)
		m |= fl_net_proto_bit(r->ops[i]);
	return m;
}

/* connect/sendmsg/bind take error= and addresses; no packet actions. */
static int check_socket_calls(const struct fl_rule *r, unsigned protos,
			      struct fl_rule_error *err)
{
	char q[QUOTE_LEN];
	unsigned col = col_or_1(r->col.action);
	int i = first_op(r, FL_NET_PROTO_SOCKET);

	if (r->action != FL_ACTION_ERROR)
		return fl_rule_fail(err, col,
				    "'%s' is a packet action; the socket call '%s' only takes error=, at column %u",
				    fl_action_name(r->action), op_quote(r, i, q),
				    col);
	if (r->keys & FL_KEY_DIR)
		return fl_rule_fail(err, fl_rule_key_col(r, FL_KEY_DIR),
				    "dir= applies to packets, not to the socket call '%s', at column %u",
				    op_quote(r, i, q), fl_rule_key_col(r, FL_KEY_DIR));
	/* bind names the local end; connect and sendmsg the remote one */
	if (protos & FL_NET_PROTO_BIND) {
		unsigned bit = (r->keys & FL_KEY_DST) ? FL_KEY_DST :
			       (r->keys & FL_KEY_DPORT) ? FL_KEY_DPORT : 0;

		if (bit)
			return fl_rule_fail(err, fl_rule_key_col(r, bit),
					    "bind has no destination: its address and port are src= and sport=, '%s' at column %u",
					    fl_rule_key_name(bit), fl_rule_key_col(r, bit));
	}
	if (protos & (FL_NET_PROTO_CONNECT | FL_NET_PROTO_SENDMSG)) {
		unsigned bit = (r->keys & FL_KEY_SRC) ? FL_KEY_SRC :
			       (r->keys & FL_KEY_SPORT) ? FL_KEY_SPORT : 0;

		i = first_op(r, FL_NET_PROTO_CONNECT | FL_NET_PROTO_SENDMSG);
		if (bit)
			return fl_rule_fail(err, fl_rule_key_col(r, bit),
					    "'%s' is matched by where it goes: use dst= and dport=, not '%s' at column %u",
					    op_quote(r, i, q), fl_rule_key_name(bit),
					    fl_rule_key_col(r, bit));
	}
	return 0;
}

/* A family given by an address must not contradict ip or ip6. */
static int check_family(const struct fl_rule *r, unsigned bit,
			const struct fl_net_prefix *p, struct fl_rule_error *err)
{
	char q[QUOTE_LEN];
	unsigned col = fl_rule_key_col(r, bit);
	int i;

	if (!(r->keys & bit))
		return 0;
	i = first_op(r, p->family == FL_NET_IPV6 ? FL_NET_PROTO_IP :
			FL_NET_PROTO_IP6);
	if (i < 0)
		return 0;
	return fl_rule_fail(err, col,
			    "an IPv%u %s= contradicts '%s' at column %u (use %s), at column %u",
			    p->family, fl_rule_key_name(bit), op_quote(r, i, q),
			    col_or_1(r->col.ops[i]),
			    p->family == FL_NET_IPV6 ? "ip6" : "ip", col);
}

static int check_packets(const struct fl_rule *r, struct fl_rule_error *err)
{
	static const unsigned port_keys[] = { FL_KEY_SPORT, FL_KEY_DPORT };
	char q[QUOTE_LEN];
	unsigned col = col_or_1(r->col.action), k;
	int i, e;

	if (r->action == FL_ACTION_ERROR) {
		i = first_op(r, FL_NET_PROTO_PACKET);
		return fl_rule_fail(err, col,
				    "error= only applies to the socket calls connect, sendmsg and bind, not to the packet protocol '%s', at column %u",
				    op_quote(r, i, q), col);
	}
	for (k = 0; k < 2; k++) {
		unsigned bit = port_keys[k];

		i = first_op(r, FL_NET_PROTO_PACKET &
			     ~(FL_NET_PROTO_TCP | FL_NET_PROTO_UDP));
		if (!(r->keys & bit) || i < 0)
			continue;
		return fl_rule_fail(err, fl_rule_key_col(r, bit),
				    "'%s' needs tcp or udp, and '%s' at column %u has no ports, at column %u",
				    fl_rule_key_name(bit), op_quote(r, i, q),
				    col_or_1(r->col.ops[i]), fl_rule_key_col(r, bit));
	}
	if (r->action == FL_ACTION_RESET) {
		i = first_op(r, FL_NET_PROTO_PACKET & ~FL_NET_PROTO_TCP);
		if (i >= 0)
			return fl_rule_fail(err, col,
					    "reset tears down TCP connections, and '%s' at column %u is not tcp, at column %u",
					    op_quote(r, i, q),
					    col_or_1(r->col.ops[i]), col);
	}
	/* a cut or a torn-down connection has no direction to choose */
	if ((r->keys & FL_KEY_DIR) && (r->action == FL_ACTION_PARTITION ||
				       r->action == FL_ACTION_RESET))
		return fl_rule_fail(err, fl_rule_key_col(r, FL_KEY_DIR),
				    "%s works both ways, so dir= does not apply, at column %u",
				    fl_action_name(r->action),
				    fl_rule_key_col(r, FL_KEY_DIR));
	e = check_family(r, FL_KEY_SRC, &r->net.src, err);
	if (!e)
		e = check_family(r, FL_KEY_DST, &r->net.dst, err);
	if (e)
		return e;
	if ((r->keys & FL_KEY_SRC) && (r->keys & FL_KEY_DST) &&
	    r->net.src.family != r->net.dst.family) {
		unsigned a = fl_rule_key_col(r, FL_KEY_SRC), b = fl_rule_key_col(r, FL_KEY_DST);

		return fl_rule_fail(err, a > b ? a : b,
				    "src= is IPv%u and dst= IPv%u, but a packet has one family, at column %u",
				    r->net.src.family, r->net.dst.family,
				    a > b ? a : b);
	}
	return 0;
}

int fl_rule_check_net(const struct fl_rule *r, struct fl_rule_error *err)
{
	unsigned protos = protos_of(r);
	char q[QUOTE_LEN], q2[QUOTE_LEN];

	if ((protos & FL_NET_PROTO_PACKET) && (protos & FL_NET_PROTO_SOCKET)) {
		int s = first_op(r, FL_NET_PROTO_SOCKET);
		int p = first_op(r, FL_NET_PROTO_PACKET);
		int later = s > p ? s : p;

		return fl_rule_fail(err, col_or_1(r->col.ops[later]),
				    "'%s' is a socket call and '%s' a packet protocol: one rule takes one kind, at column %u",
				    op_quote(r, s, q), op_quote(r, p, q2),
				    col_or_1(r->col.ops[later]));
	}
	if (protos & FL_NET_PROTO_SOCKET)
		return check_socket_calls(r, protos, err);
	return check_packets(r, err);
}

int fl_rule_check_corrupt(const struct fl_rule *r, enum fl_domain domain,
			  struct fl_rule_error *err)
{
	enum fl_corrupt_mode m = r->arg.corrupt;
	bool net_mode = m == FL_CORRUPT_WIRE || m == FL_CORRUPT_PAYLOAD;
	/* the mode's column: just past "corrupt=" */
	unsigned col = r->col.action ? r->col.action + 8 : 1;
	static const char *const names[] = {
		[FL_CORRUPT_BITFLIP] = "bitflip", [FL_CORRUPT_ZERO] = "zero",
		[FL_CORRUPT_RANDOM] = "random", [FL_CORRUPT_WIRE] = "wire",
		[FL_CORRUPT_PAYLOAD] = "payload",
	};

	if ((unsigned)m >= sizeof(names) / sizeof(names[0]))
		return fl_rule_fail(err, col, "unknown corrupt mode at column %u",
				    col);
	if (domain == FL_DOMAIN_FS && m == FL_CORRUPT_DEFAULT) {
		col = col_or_1(r->col.action);
		return fl_rule_fail(err, col,
				    "'corrupt' needs a mode in the fs domain, at column %u (use corrupt=bitflip, zero or random)",
				    col);
	}
	if (domain == FL_DOMAIN_FS && net_mode)
		return fl_rule_fail(err, col,
				    "corrupt=%s is a net mode, at column %u (the fs domain takes bitflip, zero or random)",
				    names[m], col);
	if (domain == FL_DOMAIN_NET && m != FL_CORRUPT_DEFAULT && !net_mode)
		return fl_rule_fail(err, col,
				    "corrupt=%s is a fs mode, at column %u (the net domain takes wire or payload)",
				    names[m], col);
	return 0;
}
