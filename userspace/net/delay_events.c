// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The delay line's per-packet events (<faultline/net_delay.h>): a
 * single-producer, single-consumer ring with no lock. The line's thread
 * fills a slot from the headers the queue message carries and publishes
 * it with a release store of head; the reader takes slots up to an
 * acquire load of head and frees them with a release store of tail. The
 * producer never waits: a full ring counts the event as lost. The eventfd
 * is written once per batch of packets (fl_delay_ring_kick), so a busy
 * line pays one write per wake-up, not one per packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netinet/in.h>
#include <netlink/attr.h>

#include <bpf/libbpf.h>

#include <faultline/net_delay.h>

#include "net/delay_priv.h"
#include "net/net_priv.h"

struct fl_net_delay_ring {
	struct fl_net_delay_event *v;
	uint64_t mask;
	int efd;
	atomic_bool taken;                       /* one producer (line) at a time */
	/* Apart, so the two sides do not share a cache line. */
	_Alignas(64) atomic_uint_fast64_t head;  /* written by the producer */
	uint64_t kicked;                         /* producer: head at the last kick */
	uint64_t seq;                            /* producer: events made */
	_Alignas(64) atomic_uint_fast64_t tail;  /* written by the consumer */
	atomic_uint_fast64_t lost;
};

int fl_net_delay_ring_new(uint32_t capacity, struct fl_net_delay_ring **ret)
{
	struct fl_net_delay_ring *r;
	uint64_t cap = 1;

	if (!capacity)
		capacity = FL_NET_DELAY_RING_DEFAULT;
	if (capacity > (1u << 24))
		return -EINVAL;
	while (cap < capacity)
		cap <<= 1;
	r = aligned_alloc(64, (sizeof(*r) + 63) & ~(size_t)63);
	if (!r)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->mask = cap - 1;
	r->v = calloc(cap, sizeof(*r->v));
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!r->v || r->efd < 0) {
		int err = r->v ? -errno : -ENOMEM;

		if (r->efd >= 0)
			close(r->efd);
		free(r->v);
		free(r);
		return err;
	}
	*ret = r;
	return 0;
}

int fl_net_delay_ring_fd(const struct fl_net_delay_ring *r)
{
	return r->efd;
}

uint64_t fl_net_delay_ring_lost(const struct fl_net_delay_ring *r)
{
	return atomic_load_explicit(&((struct fl_net_delay_ring *)r)->lost, memory_order_relaxed);
}

void fl_net_delay_ring_free(struct fl_net_delay_ring *r)
{
	if (!r)
		return;
	close(r->efd);
	free(r->v);
	free(r);
}

int fl_net_delay_ring_consume(struct fl_net_delay_ring *r, fl_net_delay_event_fn fn, void *ctx)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed), h, v;
	ssize_t k;
	int n = 0, err = 0;

	/* Clear the wake-up first: events published after this read make a new one. */
	k = read(r->efd, &v, sizeof(v));
	(void)k;
	h = atomic_load_explicit(&r->head, memory_order_acquire);
	for (; t != h; t++) {
		struct fl_net_delay_event ev = r->v[t & r->mask];

		/* The slot is the producer's again once tail passes it. */
		atomic_store_explicit(&r->tail, t + 1, memory_order_release);
		n++;
		err = fn(ctx, &ev);
		if (err)
			break;
	}
	return err ? err : n;
}

/* ---- the producer's side (the line's thread) --------------------------- */

int fl_delay_ring_take(struct fl_net_delay_ring *r)
{
	bool no = false;

	return atomic_compare_exchange_strong(&r->taken, &no, true) ? 0 : -EBUSY;
}

void fl_delay_ring_release(struct fl_net_delay_ring *r)
{
	atomic_store(&r->taken, false);
}

/* IPv4/IPv6 header (and TCP/UDP ports) of the copied payload into ev. */
static void headers(struct fl_net_event *ev, const uint8_t *p, size_t n)
{
	size_t l4_at = 0;

	if (n >= 20 && (p[0] >> 4) == 4) {
		size_t ihl = (size_t)(p[0] & 0xf) * 4;
		uint16_t frag = (uint16_t)((p[6] << 8) | p[7]);

		ev->family = FL_NET_ABI_FAMILY_IP4;
		ev->len = (uint32_t)((p[2] << 8) | p[3]);
		ev->l4 = p[9];
		memcpy(ev->src, p + 12, 4);
		memcpy(ev->dst, p + 16, 4);
		if (ihl >= 20 && !(frag & 0x1fff))
			l4_at = ihl;
	} else if (n >= 40 && (p[0] >> 4) == 6) {
		ev->family = FL_NET_ABI_FAMILY_IP6;
		ev->len = (uint32_t)((p[4] << 8) | p[5]) + 40;
		ev->l4 = p[6]; /* no extension headers walked: as the datapath's events */
		memcpy(ev->src, p + 8, 16);
		memcpy(ev->dst, p + 24, 16);
		l4_at = 40;
	}
	if (l4_at && (ev->l4 == IPPROTO_TCP || ev->l4 == IPPROTO_UDP) && n >= l4_at + 4) {
		ev->sport = (uint16_t)((p[l4_at] << 8) | p[l4_at + 1]);
		ev->dport = (uint16_t)((p[l4_at + 2] << 8) | p[l4_at + 3]);
	}
}

void fl_delay_ring_push(struct fl_net_delay_ring *r, struct nlattr *const *tb, uint8_t hook,
			bool nft, uint16_t rule, uint64_t now_ns, uint64_t delay_ns,
			bool reordered)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	struct fl_net_delay_event *ev;

	if (h - t > r->mask) {
		atomic_fetch_add_explicit(&r->lost, 1, memory_order_relaxed);
		return;
	}
	ev = &r->v[h & r->mask];
	memset(ev, 0, sizeof(*ev));
	ev->pkt.ts_ns = now_ns;
	ev->pkt.seq = ++r->seq;
	ev->pkt.rule = rule;
	ev->pkt.action = FL_NET_ACT_DELAY;
	ev->pkt.hook = nft ? FL_NET_HOOK_NFT_QUEUE : FL_NET_HOOK_NFQUEUE;
	ev->pkt.dir = hook == NF_INET_LOCAL_IN || hook == NF_INET_PRE_ROUTING ?
		      FL_NET_ABI_INGRESS : FL_NET_ABI_EGRESS;
	if (tb[NFQA_IFINDEX_OUTDEV] && ev->pkt.dir == FL_NET_ABI_EGRESS)
		ev->pkt.ifindex = ntohl(nla_get_u32(tb[NFQA_IFINDEX_OUTDEV]));
	else if (tb[NFQA_IFINDEX_INDEV])
		ev->pkt.ifindex = ntohl(nla_get_u32(tb[NFQA_IFINDEX_INDEV]));
	if (tb[NFQA_PAYLOAD])
		headers(&ev->pkt, nla_data(tb[NFQA_PAYLOAD]), (size_t)nla_len(tb[NFQA_PAYLOAD]));
	ev->delay_ns = delay_ns;
	ev->reordered = reordered;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

void fl_delay_ring_kick(struct fl_net_delay_ring *r)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed), one = 1;
	ssize_t k;

	if (h == r->kicked)
		return;
	r->kicked = h;
	k = write(r->efd, &one, sizeof(one));
	(void)k;
}

int fl_net_delay_event_to_json(const struct fl_net_delay_event *ev, unsigned rule,
			       int64_t clock_offset_ns, char *buf, size_t len)
{
	char extra[64];

	snprintf(extra, sizeof(extra), ",\"delay_ns\":%" PRIu64 "%s", ev->delay_ns,
		 ev->reordered ? ",\"reordered\":true" : "");
	return fl_net_event_to_json_ext(&ev->pkt, rule, clock_offset_ns, (int64_t)ev->delay_ns,
					extra, buf, len);
}
