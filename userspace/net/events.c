// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The network session's injection events: a reader of the programs'
 * `events` ring (bpf/net_events.bpf.h) and their JSON line, which is the
 * line of every domain (core's fl_event_to_json) with the packet's own
 * fields appended, so one reader reads syscall and net logs alike.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <faultline/event.h>
#include <faultline/net_events.h>

#include "core/strbuf.h"
#include "net/net_priv.h"
#include "net.skel.h"

struct fl_net_events {
	struct ring_buffer *rb;
	fl_net_event_fn fn;
	void *ctx;
	uint64_t malformed;
};

/* Records are only 8-byte aligned and live during the callback: copy out. */
static int on_sample(void *ctx, void *data, size_t size)
{
	struct fl_net_events *e = ctx;
	struct fl_net_event ev;

	if (size < sizeof(ev)) {
		e->malformed++;
		return 0;
	}
	memcpy(&ev, data, sizeof(ev));
	return e->fn(e->ctx, &ev);
}

int fl_net_events_open(struct fl_net_session *s, fl_net_event_fn fn, void *ctx,
		       struct fl_net_events **ret)
{
	struct fl_net_events *e;
	int err;

	if (!s || !s->skel || !fn)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->fn = fn;
	e->ctx = ctx;
	e->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_sample, e, NULL);
	if (!e->rb) {
		err = errno ? -errno : -EINVAL;
		free(e);
		return err;
	}
	*ret = e;
	return 0;
}

int fl_net_events_fd(const struct fl_net_events *e)
{
	return ring_buffer__epoll_fd(e->rb);
}

int fl_net_events_consume(struct fl_net_events *e)
{
	int n = ring_buffer__consume(e->rb);

	return n < 0 ? (n == -EINTR ? 0 : n) : n;
}

uint64_t fl_net_events_malformed(const struct fl_net_events *e)
{
	return e->malformed;
}

void fl_net_events_free(struct fl_net_events *e)
{
	if (!e)
		return;
	ring_buffer__free(e->rb);
	free(e);
}

/* ---- JSON -------------------------------------------------------------- */

static enum fl_action action_of(unsigned a)
{
	switch (a) {
	case FL_NET_ACT_DROP: return FL_ACTION_DROP;
	case FL_NET_ACT_PARTITION: return FL_ACTION_PARTITION;
	case FL_NET_ACT_CORRUPT_WIRE:
	case FL_NET_ACT_CORRUPT_PAYLOAD: return FL_ACTION_CORRUPT;
	case FL_NET_ACT_DUPLICATE: return FL_ACTION_DUPLICATE;
	case FL_NET_ACT_ERROR: return FL_ACTION_ERROR;
	case FL_NET_ACT_REJECT: return FL_ACTION_REJECT;
	case FL_NET_ACT_DELAY: return FL_ACTION_DELAY;
	case FL_NET_ACT_RATE: return FL_ACTION_RATE;
	}
	return FL_ACTION_NONE;
}

static enum fl_mechanism mechanism_of(unsigned hook)
{
	switch (hook) {
	case FL_NET_HOOK_CGROUP_SKB: return FL_MECH_CGROUP_SKB;
	case FL_NET_HOOK_CGROUP_SOCK: return FL_MECH_CGROUP_SOCK;
	case FL_NET_HOOK_NFQUEUE: return FL_MECH_NFQUEUE;
	case FL_NET_HOOK_NFT_QUEUE: return FL_MECH_NFT_QUEUE;
	}
	return FL_MECH_TC;
}

/* The rule grammar's protocol name of what was hit. */
static const char *proto_of(const struct fl_net_event *ev)
{
	switch (ev->call) {
	case FL_NET_ABI_CONNECT: return "connect";
	case FL_NET_ABI_SENDMSG: return "sendmsg";
	case FL_NET_ABI_BIND: return "bind";
	}
	switch (ev->l4) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1:
	case 58: return "icmp";
	}
	return ev->family == FL_NET_ABI_FAMILY_IP6 ? "ip6" : "ip";
}

static void put_addr(struct fl_strbuf *o, const char *key, const struct fl_net_event *ev,
		     const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];
	static const uint8_t zero[16];
	bool v6 = ev->family == FL_NET_ABI_FAMILY_IP6;

	/* A socket call's other end is not known (bind: remote; connect: local). */
	if (ev->call && !memcmp(a, zero, v6 ? 16 : 4)) {
		fl_strbuf_put(o, ",\"%s\":null", key);
		return;
	}
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, a, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	fl_strbuf_put(o, ",\"%s\":\"%s\"", key, s);
}

int fl_net_event_to_json(const struct fl_net_event *ev, unsigned rule, int64_t clock_offset_ns,
			 char *buf, size_t len)
{
	return fl_net_event_to_json_ext(ev, rule, clock_offset_ns, ev->error, NULL, buf, len);
}

int fl_net_event_to_json_ext(const struct fl_net_event *ev, unsigned rule,
			     int64_t clock_offset_ns, int64_t value, const char *extra,
			     char *buf, size_t len)
{
	char line[FL_NET_EVENT_JSON_MAX + 1];
	struct fl_strbuf o = { .buf = line, .len = sizeof(line) };
	struct fl_event head = {
		.ts_ns = ev->ts_ns,
		.pid = ev->pid,
		.tid = ev->pid,
		.domain = FL_DOMAIN_NET,
		.rule_id = (uint16_t)rule,
		.action = (uint16_t)action_of(ev->action),
		.mechanism = (uint16_t)mechanism_of(ev->hook),
		.result = FL_RESULT_INJECTED,
		.op = -1,
		.value = value,
		.seq = ev->seq,
	};
	int n;

	memcpy(head.comm, ev->comm, sizeof(head.comm) < sizeof(ev->comm) ?
	       sizeof(head.comm) : sizeof(ev->comm));
	n = fl_event_to_json_offset(&head, clock_offset_ns, line, sizeof(line));
	if (n < 1)
		return n < 0 ? n : -ENOBUFS;
	/* Reopen the object: the packet's fields go after the common ones. */
	o.pos = (size_t)n - 1;
	fl_strbuf_put(&o, ",\"kernel_rule\":%" PRIu32, ev->rule);
	if (ev->action == FL_NET_ACT_CORRUPT_WIRE || ev->action == FL_NET_ACT_CORRUPT_PAYLOAD)
		fl_strbuf_put(&o, ",\"corrupt\":\"%s\"",
		    ev->action == FL_NET_ACT_CORRUPT_WIRE ? "wire" : "payload");
	if (ev->call)
		fl_strbuf_put(&o, ",\"dir\":null");
	else
		fl_strbuf_put(&o, ",\"dir\":\"%s\"", ev->dir == FL_NET_ABI_INGRESS ? "ingress" : "egress");
	fl_strbuf_put(&o, ",\"proto\":\"%s\"", proto_of(ev));
	put_addr(&o, "src", ev, ev->src);
	put_addr(&o, "dst", ev, ev->dst);
	fl_strbuf_put(&o, ",\"sport\":%u,\"dport\":%u,\"ifindex\":%" PRIu32 ",\"len\":%" PRIu32 "%s}",
	    (unsigned)ev->sport, (unsigned)ev->dport, ev->ifindex, ev->len, extra ? extra : "");
	if (o.overflow || o.pos + 1 > len)
		return -ENOBUFS;
	memcpy(buf, line, o.pos + 1);
	return (int)o.pos;
}
