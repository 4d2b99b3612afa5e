/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The NFQUEUE delay line's insides: its heap, its iptables rules, its nft table. */
#ifndef FL_NET_DELAY_PRIV_H
#define FL_NET_DELAY_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/net_delay.h>

/* ---- delay_heap.c: held packets, earliest release first ---------------- */

struct delay_pkt {
	uint64_t at_ns;     /* CLOCK_MONOTONIC release time */
	uint64_t seq;       /* arrival order: equal times leave in order */
	uint32_t id;        /* the kernel's packet id */
	uint8_t family;     /* the queue message's family (NFPROTO_*) */
};

struct delay_heap {
	struct delay_pkt *v;
	size_t n, cap;
};

int fl_delay_heap_init(struct delay_heap *h, size_t cap);
void fl_delay_heap_free(struct delay_heap *h);
/* -ENOSPC when full. */
int fl_delay_heap_push(struct delay_heap *h, const struct delay_pkt *p);
/* The earliest, or NULL when empty. */
const struct delay_pkt *fl_delay_heap_top(const struct delay_heap *h);
void fl_delay_heap_pop(struct delay_heap *h);

/* ---- delay_rule.c: the iptables-nft NFQUEUE rules ----------------------- */

#define DELAY_MAX_RULES 24
#define DELAY_MAX_ARGS  32

struct delay_rule {
	const char *binary;            /* "iptables-nft" or "ip6tables-nft" */
	char *argv[DELAY_MAX_ARGS];    /* after -A: chain first, NULL-terminated */
	char buf[512];                 /* the strings argv points into */
	uint64_t rec;                  /* its state record, 0 = none */
	bool installed;
};

/* Does the delay line queue what m matches (packets, not socket calls)? errbuf says why not. */
bool fl_delay_queues(const struct fl_net_match *m, char *errbuf, size_t errlen);
/*
 * The L4 protocols m takes in family (FL_NET_IPV4/6), for the queue rules
 * of both kinds: "tcp", "udp", "icmp" or "ipv6-icmp", or one NULL for any;
 * *ret_n = 0 when m is of the other family. -EINVAL (errbuf) for ports
 * on a protocol that has none.
 */
#define FL_DELAY_MAX_PROTOS 3
int fl_delay_family_protos(const struct fl_net_match *m, int family, const char **protos,
			   size_t *ret_n, char *errbuf, size_t errlen);

/* The rules for m, queue num (dev, cgroup: "" = any), into r[0..*ret_n). -EINVAL (with a reason) for a match they cannot say. */
int fl_delay_rules_build(const struct fl_net_match *m, uint16_t num, const char *dev,
			 const char *cgroup, struct delay_rule *r,
		      size_t *ret_n, char *errbuf, size_t errlen);
/* Record, then install, each rule; on failure remove the ones installed. */
int fl_delay_rules_install(struct delay_rule *r, size_t n, const char *netns,
			struct fl_state *st, char *errbuf, size_t errlen);
/* Remove the installed ones and forget their records; the first error. */
int fl_delay_rules_remove(struct delay_rule *r, size_t n, const char *netns,
		       struct fl_state *st, char *errbuf, size_t errlen);

/* ---- delay_nft.c: the native nft queue rules, in a table of the line's own ---- */

struct delay_nft {
	char table[64];                /* faultline_delay_<pid>_<queue>, family inet */
	char script[8192];             /* add table, chains and rules: one transaction */
	size_t n_rules;
	uint64_t rec;                  /* its state record, 0 = none */
	bool installed;
};

/*
 * The table for m, queue num (dev, cgroup: "" = any; cg_root: the cgroup2
 * mount, which nft must reach below /sys/fs/cgroup, else -EOPNOTSUPP).
 * The same refusals as fl_delay_rules_build, with a reason.
 */
int fl_delay_nft_build(const struct fl_net_match *m, uint16_t num, const char *dev,
		       const char *cgroup, const char *cg_root, struct delay_nft *t,
		       char *errbuf, size_t errlen);
/* Record, then add the table in one transaction (all of it, or nothing). */
int fl_delay_nft_install(struct delay_nft *t, const char *netns, struct fl_state *st,
			 char *errbuf, size_t errlen);
/* Delete the table and forget its record (kept if the delete failed). */
int fl_delay_nft_remove(struct delay_nft *t, const char *netns, struct fl_state *st,
			char *errbuf, size_t errlen);

/* ---- delay_events.c: the producer's side of the event ring -------------- */

struct nlattr;

/* Make r this line's (one producer per ring): -EBUSY if another line has it. */
int fl_delay_ring_take(struct fl_net_delay_ring *r);
void fl_delay_ring_release(struct fl_net_delay_ring *r);
/*
 * One event from a queue message's attributes (tb: NFQA_*; hook: the
 * NF_INET_* hook it was queued at); a full ring counts it lost.
 */
void fl_delay_ring_push(struct fl_net_delay_ring *r, struct nlattr *const *tb, uint8_t hook,
			bool nft, uint16_t rule, uint64_t now_ns, uint64_t delay_ns,
			bool reordered);
/* Wake the reader if events came since the last kick: once per batch. */
void fl_delay_ring_kick(struct fl_net_delay_ring *r);

#endif /* FL_NET_DELAY_PRIV_H */
