// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A rule back to text: ops, action, then selectors in a fixed order, each
 * value in the form fl_rule_parse() reads back into the same struct.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <faultline/rule.h>
#include "parse_values.h"
#include "rule_internal.h"

struct out {
	char *buf;
	size_t len;
	size_t pos; /* what the whole text needs, even past len */
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (o->pos < o->len)
		n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

static void put_char(struct out *o, char c)
{
	if (o->pos + 1 < o->len) {
		o->buf[o->pos] = c;
		o->buf[o->pos + 1] = '\0';
	}
	o->pos++;
}

static void put_duration(struct out *o, uint64_t ns)
{
	char tmp[32];

	fl_format_duration(ns, tmp, sizeof(tmp));
	put(o, "%s", tmp);
}

/*
 * The parser keeps "\X" pairs and turns "\:" into ':', so write ':' back
 * as "\:" and copy everything else, pair by pair.
 */
static void put_escaped(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' && s[1] && s[1] != ':') {
			put_char(o, *s++);
			put_char(o, *s);
		} else if (*s == ':') {
			put(o, "\\:");
		} else {
			put_char(o, *s);
		}
	}
}

/* "=zero"; "" for the bare form, which the net domain reads as wire. */
static const char *corrupt_suffix(enum fl_corrupt_mode mode)
{
	switch (mode) {
	case FL_CORRUPT_DEFAULT:
		return "";
	case FL_CORRUPT_ZERO:
		return "=zero";
	case FL_CORRUPT_RANDOM:
		return "=random";
	case FL_CORRUPT_WIRE:
		return "=wire";
	case FL_CORRUPT_PAYLOAD:
		return "=payload";
	default:
		return "=bitflip";
	}
}

static void put_ports(struct out *o, const char *key,
		      const struct fl_port_range *range, uint16_t first)
{
	/* a hand-built rule may only have set the old single port */
	if (!range->first)
		put(o, ":%s=%u", key, first);
	else if (range->last > range->first)
		put(o, ":%s=%u-%u", key, range->first, range->last);
	else
		put(o, ":%s=%u", key, range->first);
}

static void put_prefix(struct out *o, const char *key,
		       const struct fl_net_prefix *p)
{
	char tmp[64];

	fl_net_format_prefix(p, tmp, sizeof(tmp));
	put(o, ":%s=%s", key, tmp);
}

static void put_action(struct out *o, const struct fl_rule *r)
{
	const char *name;
	char tmp[32];

	switch (r->action) {
	case FL_ACTION_ERROR:
		name = fl_errno_name(r->arg.error);
		if (name)
			put(o, ":error=%s", name);
		else
			put(o, ":error=%d", r->arg.error);
		break;
	case FL_ACTION_RETVAL:
		put(o, ":retval=%" PRId64, r->arg.retval);
		break;
	case FL_ACTION_DELAY:
		put(o, ":delay=");
		put_duration(o, r->arg.delay.ns);
		if (r->arg.delay.jitter_ns) {
			put(o, "~");
			put_duration(o, r->arg.delay.jitter_ns);
		}
		break;
	case FL_ACTION_SIGNAL:
		name = fl_signal_name(r->arg.signal);
		if (name)
			put(o, ":signal=%s", name);
		else
			put(o, ":signal=%d", r->arg.signal);
		break;
	case FL_ACTION_PAUSE:
		put(o, ":pause=");
		put_duration(o, r->arg.pause_ns);
		break;
	case FL_ACTION_CORRUPT:
		put(o, ":corrupt%s", corrupt_suffix(r->arg.corrupt));
		break;
	case FL_ACTION_TORN:
		put(o, ":torn=%" PRIu32, r->arg.torn_sector);
		break;
	case FL_ACTION_POWERCUT:
		put(o, ":powercut=%s",
		    r->arg.powercut == FL_POWERCUT_AFTER ? "after" : "before");
		break;
	case FL_ACTION_RATE:
		fl_format_rate(r->arg.rate_bps, tmp, sizeof(tmp));
		put(o, ":rate=%s", tmp);
		break;
	case FL_ACTION_DROP:
	case FL_ACTION_FSYNCGATE:
	case FL_ACTION_DUPLICATE:
	case FL_ACTION_REORDER:
	case FL_ACTION_REJECT:
	case FL_ACTION_PARTITION:
	case FL_ACTION_RESET:
		put(o, ":%s", fl_action_name(r->action));
		break;
	default:
		break;
	}
}

static void put_when(struct out *o, const struct fl_when *w)
{
	put(o, ":when=%" PRIu64, w->first);
	if (w->last == FL_WHEN_INF) {
		put(o, "+");
		if (w->step != 1)
			put(o, "%" PRIu64, w->step);
		return;
	}
	if (w->last == w->first && w->step == 1)
		return;
	put(o, "..%" PRIu64, w->last);
	if (w->step != 1)
		put(o, "+%" PRIu64, w->step);
}

int fl_rule_format(const struct fl_rule *r, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = buf ? len : 0 };
	char tmp[32];
	unsigned i;

	if (o.len)
		buf[0] = '\0';
	for (i = 0; i < r->n_ops && i < FL_RULE_MAX_OPS; i++)
		put(&o, "%s%.*s", i ? "," : "", FL_RULE_OP_LEN, r->ops[i]);
	put_action(&o, r);
	/* reorder= reads as part of delay=, so it follows it */
	if (r->keys & FL_KEY_REORDER) {
		fl_format_percent(r->net.reorder_ppm, tmp, sizeof(tmp));
		put(&o, ":reorder=%s", tmp);
	}
	if (r->keys & FL_KEY_WHEN)
		put_when(&o, &r->when);
	if (r->keys & FL_KEY_PROB) {
		fl_format_percent(r->prob_ppm, tmp, sizeof(tmp));
		put(&o, ":prob=%s", tmp);
	}
	if (r->keys & FL_KEY_COUNT)
		put(&o, ":count=%" PRIu64, r->count);
	if (r->keys & FL_KEY_FOR) {
		put(&o, ":for=");
		put_duration(&o, r->for_ns);
	}
	if (r->keys & FL_KEY_PATH) {
		put(&o, ":path=");
		put_escaped(&o, r->path);
	}
	if (r->keys & FL_KEY_SEED)
		put(&o, ":seed=%" PRIu64, r->seed);
	if (r->keys & FL_KEY_BYTES)
		put(&o, ":bytes=%" PRIu32, r->bytes);
	if (r->keys & FL_KEY_READ)
		put(&o, ":read");
	if (r->keys & FL_KEY_PERSIST)
		put(&o, ":persist");
	if (r->keys & FL_KEY_DPORT)
		put_ports(&o, "dport", &r->net.dport, r->dport);
	if (r->keys & FL_KEY_SPORT)
		put_ports(&o, "sport", &r->net.sport, r->sport);
	if (r->keys & FL_KEY_HOST) {
		/* brackets keep an IPv6 address's colons inside the value */
		if (strchr(r->host, ':'))
			put(&o, ":host=[%.*s]", (int)sizeof(r->host), r->host);
		else
			put(&o, ":host=%.*s", (int)sizeof(r->host), r->host);
	}
	if (r->keys & FL_KEY_SRC)
		put_prefix(&o, "src", &r->net.src);
	if (r->keys & FL_KEY_DST)
		put_prefix(&o, "dst", &r->net.dst);
	if (r->keys & FL_KEY_DIR)
		put(&o, ":dir=%s", r->net.dir == FL_NET_DIR_EGRESS ? "egress" :
		    r->net.dir == FL_NET_DIR_INGRESS ? "ingress" : "both");
	return o.pos > INT_MAX ? INT_MAX : (int)o.pos;
}
