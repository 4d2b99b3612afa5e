// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The net domain's values: protocol names, CIDR prefixes and port ranges,
 * in and out of text. The checks that combine them live in
 * rule_net_check.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <faultline/rule.h>
#include "parse_values.h"
#include "rule_internal.h"

static const struct {
	const char *name;
	unsigned bit;
} protos[] = {
	{ "ip", FL_NET_PROTO_IP }, { "ip6", FL_NET_PROTO_IP6 },
	{ "tcp", FL_NET_PROTO_TCP }, { "udp", FL_NET_PROTO_UDP },
	{ "icmp", FL_NET_PROTO_ICMP }, { "any", FL_NET_PROTO_ANY },
	{ "*", FL_NET_PROTO_ANY }, { "connect", FL_NET_PROTO_CONNECT },
	{ "sendmsg", FL_NET_PROTO_SENDMSG }, { "bind", FL_NET_PROTO_BIND },
};

unsigned fl_net_proto_bit(const char *op)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(op, protos[i].name))
			return protos[i].bit;
	return 0;
}

/* Zero the bits past len; true if any was set. */
static bool clear_host_bits(uint8_t *addr, unsigned len, unsigned max)
{
	bool had = false;
	unsigned b;

	for (b = len; b < max; b++) {
		uint8_t mask = (uint8_t)(0x80u >> (b % 8));

		if (addr[b / 8] & mask) {
			had = true;
			addr[b / 8] &= (uint8_t)~mask;
		}
	}
	return had;
}

int fl_net_parse_prefix(const char *s, struct fl_net_prefix *ret,
			const char **why, char *fix, size_t fix_len)
{
	char addr[64], len_text[8];
	struct fl_net_prefix p = { 0 };
	const char *slash, *end = s + strlen(s);
	size_t n;
	uint64_t len;
	unsigned max;
	int af;

	*why = NULL;
	if (fix_len)
		fix[0] = '\0';
	/* "[fd00::/64]" and "[fd00::]/64": brackets only shield the colons */
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close) {
			*why = "unclosed '['";
			return -EINVAL;
		}
		if (close[1] && close[1] != '/') {
			*why = "text after ']'";
			return -EINVAL;
		}
		slash = memchr(s, '/', (size_t)(close - s));
		if (!slash && close[1] == '/')
			slash = close + 1;
		n = (size_t)((slash && slash < close ? slash : close) - (s + 1));
		if (n >= sizeof(addr))
			goto bad_addr;
		memcpy(addr, s + 1, n);
		addr[n] = '\0';
		if (slash && slash < close)
			end = close;
	} else {
		slash = strchr(s, '/');
		n = (size_t)((slash ? slash : end) - s);
		if (n >= sizeof(addr))
			goto bad_addr;
		memcpy(addr, s, n);
		addr[n] = '\0';
	}

	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, addr, p.addr) != 1)
		goto bad_addr;
	p.family = af == AF_INET6 ? FL_NET_IPV6 : FL_NET_IPV4;
	max = af == AF_INET6 ? 128 : 32;
	len = max;
	if (slash) {
		n = (size_t)(end - (slash + 1));
		if (n == 0 || n >= sizeof(len_text) ||
		    strspn(slash + 1, "0123456789") < n) {
			*why = "the prefix length after '/' is not a number";
			return -EINVAL;
		}
		memcpy(len_text, slash + 1, n);
		len_text[n] = '\0';
		if (fl_parse_u64_why(len_text, &len, why) || len > max) {
			*why = af == AF_INET6 ? "an IPv6 prefix length is 0 to 128"
					      : "an IPv4 prefix length is 0 to 32";
			return -EINVAL;
		}
	}
	p.prefix_len = (uint8_t)len;
	if (clear_host_bits(p.addr, (unsigned)len, max)) {
		*why = "bits set past the prefix length";
		if (fix_len)
			fl_net_format_prefix(&p, fix, fix_len);
		return -EINVAL;
	}
	*ret = p;
	return 0;

bad_addr:
	*why = "not an IPv4 or IPv6 address or CIDR prefix";
	return -EINVAL;
}

int fl_net_format_prefix(const struct fl_net_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	bool v6 = p->family == FL_NET_IPV6;
	unsigned max = v6 ? 128 : 32;

	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, p->addr, addr, sizeof(addr)))
		return snprintf(buf, len, "?");
	/* brackets keep an IPv6 address's colons inside the value */
	if (p->prefix_len == max)
		return snprintf(buf, len, v6 ? "[%s]" : "%s", addr);
	return snprintf(buf, len, v6 ? "[%s/%u]" : "%s/%u", addr,
			p->prefix_len);
}

int fl_parse_port_range_why(const char *s, struct fl_port_range *ret,
			    const char **why)
{
	const char *dash = strchr(s, '-');
	char first[8];
	uint64_t a, b;
	size_t n = dash ? (size_t)(dash - s) : strlen(s);

	if (n >= sizeof(first)) {
		*why = "from 1 to 65535";
		return -EINVAL;
	}
	memcpy(first, s, n);
	first[n] = '\0';
	if (fl_parse_u64_why(first, &a, why))
		return -EINVAL;
	b = a;
	if (dash && fl_parse_u64_why(dash + 1, &b, why))
		return -EINVAL;
	if (a == 0 || a > 65535 || b == 0 || b > 65535) {
		*why = "from 1 to 65535";
		return -EINVAL;
	}
	if (a > b) {
		*why = "the first port is larger than the last";
		return -ERANGE;
	}
	ret->first = (uint16_t)a;
	ret->last = (uint16_t)b;
	return 0;
}
