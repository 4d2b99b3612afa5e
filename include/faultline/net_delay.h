/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The NFQUEUE delay line: packet delay, jitter and reorder where netem is
 * missing. Queue rules inside a named netns send the matching packets to
 * userspace: nftables' native `queue` statement in a table of the line's
 * own where the kernel has it (CONFIG_NFT_QUEUE, probe "nft-queue"), else
 * iptables-nft rules (the xtables NFQUEUE target through nft_compat,
 * probe "nfqueue"). One thread holds each packet in a min-heap keyed by
 * its release time and gives it an NF_ACCEPT verdict at that time.
 *
 * - delay: each packet waits delay + a uniform draw in [-jitter, +jitter]
 *   (clamped at 0) from a PRNG seeded with seed: the same seed gives the
 *   same sequence of waits.
 * - reorder: that share of packets (ppm) is accepted at once and so
 *   overtakes the packets held before it.
 * - bounded: at most max_held packets are held; past that a packet is
 *   accepted at once and counted as overflowed (fail open). The kernel's
 *   own queue fails open too (NFQA_CFG_F_FAIL_OPEN), and the rule carries
 *   bypass (--queue-bypass), so a dead reader never blackholes the traffic.
 * - the rules (the nft table) are recorded in the core state before they
 *   are installed, so the watchdog or `faultline cleanup` removes them
 *   after a SIGKILL.
 */
#ifndef FAULTLINE_NET_DELAY_H
#define FAULTLINE_NET_DELAY_H

#include <stddef.h>
#include <stdint.h>

#include <faultline/abi.h>
#include <faultline/net_abi.h>
#include <faultline/rule.h>

struct fl_state;
struct fl_net_delay;
struct fl_net_delay_ring;

/* How the queue rules are installed. */
enum fl_net_delay_rules {
	/*
	 * nft's native queue if the probe says it works (nft-queue), else
	 * iptables-nft. FAULTLINE_NET_DELAY=xtables or =nft in the environment
	 * forces one (the tests prove both paths on one kernel).
	 */
	FL_NET_DELAY_RULES_AUTO = 0,
	FL_NET_DELAY_RULES_NFT,       /* native only: an error where it is missing */
	FL_NET_DELAY_RULES_XTABLES,   /* iptables-nft only */
};

struct fl_net_delay_params {
	uint64_t delay_ns;
	uint64_t jitter_ns;       /* uniform in [-jitter, +jitter], clamped at 0 */
	uint32_t reorder_ppm;     /* share accepted at once, 0..1000000 */
	uint64_t seed;
	uint16_t queue_num;       /* the NFQUEUE number; 0 = pick one from the pid */
	uint32_t max_held;        /* 0 = FL_NET_DELAY_MAX_HELD */
	/* "" = every device of the netns; else only DEV's packets (-o DEV, -i DEV) */
	char dev[16];
	/*
	 * "" = any socket; else only the packets the sockets of this cgroup v2
	 * directory send (path relative to the cgroup2 root, "/db"; -m cgroup
	 * --path, OUTPUT only: egress rules alone, an ingress dir is refused).
	 */
	char cgroup[512];
	/*
	 * enum fl_net_delay_rules. On AUTO, a cgroup match that nft cannot say
	 * here (socket cgroupv2 refused, or the cgroup2 hierarchy not below
	 * /sys/fs/cgroup) takes the iptables rules: fl_net_delay_mechanism()
	 * says which the line got.
	 */
	uint8_t rules;
	/*
	 * NULL = no per-packet events. Else one event per packet the line
	 * holds (and per packet reorder= sends at once) goes into this ring
	 * (fl_net_delay_ring_new), one line per ring; the ring must outlive
	 * the line. rule: what the events carry as their rule.
	 */
	struct fl_net_delay_ring *events;
	uint16_t rule;
};

#define FL_NET_DELAY_MAX_HELD 8192

/*
 * A delay line's per-packet event: the packet's headers as the queue
 * handed them up (the line then asks for the first 80 bytes of each
 * packet instead of its id alone), in the datapath's event layout:
 * action FL_NET_ACT_DELAY, hook FL_NET_HOOK_NFT_QUEUE or _NFQUEUE, dir
 * from the netfilter hook (output = egress, input = ingress), len the IP
 * packet's length (no link header: netfilter sees none), ifindex the
 * packet's device, seq the nth event of the line from 1, ts_ns the
 * arrival (CLOCK_MONOTONIC).
 */
struct fl_net_delay_event {
	struct fl_net_event pkt;
	uint64_t delay_ns;        /* the hold drawn on arrival (a stop releases held packets early) */
	uint8_t reordered;        /* 1: reorder= sent it at once (delay_ns 0), ahead of the held ones */
};

/*
 * A lock-free single-producer, single-consumer ring of those events: the
 * line's thread writes, one other thread reads. A full ring never holds a
 * packet up: the event is given up and counted (lost). capacity: rounded
 * up to a power of two; 0 = FL_NET_DELAY_RING_DEFAULT.
 */
#define FL_NET_DELAY_RING_DEFAULT 16384
int fl_net_delay_ring_new(uint32_t capacity, struct fl_net_delay_ring **ret);
/* An eventfd, readable once events wait (written at most once per batch of packets). */
int fl_net_delay_ring_fd(const struct fl_net_delay_ring *r);
typedef int (*fl_net_delay_event_fn)(void *ctx, const struct fl_net_delay_event *ev);
/* Hand every waiting event to fn, without waiting: how many, or fn's -errno. */
int fl_net_delay_ring_consume(struct fl_net_delay_ring *r, fl_net_delay_event_fn fn, void *ctx);
/* Events given up because the ring was full. */
uint64_t fl_net_delay_ring_lost(const struct fl_net_delay_ring *r);
void fl_net_delay_ring_free(struct fl_net_delay_ring *r);
/*
 * ev as the JSON line of <faultline/net_events.h> (rule: the command-line
 * rule), "value" and "delay_ns" the hold in ns, and "reordered":true for a
 * packet sent at once. The length, or -ENOBUFS.
 */
int fl_net_delay_event_to_json(const struct fl_net_delay_event *ev, unsigned rule,
			       int64_t clock_offset_ns, char *buf, size_t len);

struct fl_net_delay_counters {
	uint64_t queued;          /* packets read from the queue */
	uint64_t delayed;         /* held, then accepted at their time (or at stop) */
	uint64_t reordered;       /* accepted at once by reorder= */
	uint64_t overflowed;      /* accepted at once because max_held were held */
	uint64_t held;            /* held right now */
	uint64_t verdict_errors;  /* verdicts the kernel refused or we could not send */
	uint64_t cpu_ns;          /* CPU time of the delay thread so far */
};

/*
 * Start a delay line for the packets that match m (protos among ip, ip6,
 * tcp, udp, icmp, any; src, dst, sport, dport, dir; m->reorder_ppm is
 * ignored: params has its own) inside the named netns (NULL or "" = the
 * caller's). dir: egress = OUTPUT, ingress = INPUT, both = both chains;
 * params->dev keeps them to one device.
 * st: the core state to record the rules in; NULL opens one with its own
 * watchdog and closes it at stop. On failure nothing is left installed and
 * errbuf says why.
 */
int fl_net_delay_start(const struct fl_net_match *m, const char *netns,
		       const struct fl_net_delay_params *params, struct fl_state *st,
		       struct fl_net_delay **ret, char *errbuf, size_t errlen);

/*
 * Stop: accept every held packet at once (and every packet that still
 * arrives), remove the rules, drain the queue, free d. Returns 0 or the
 * first error of the rule removal (d is freed either way); NULL is a no-op.
 * ret (may be NULL) gets the final counters.
 */
int fl_net_delay_stop(struct fl_net_delay *d, struct fl_net_delay_counters *ret,
		      char *errbuf, size_t errlen);

/* The counters so far (safe while the line runs). */
void fl_net_delay_read(const struct fl_net_delay *d, struct fl_net_delay_counters *ret);

/* FL_MECH_NFT_QUEUE or FL_MECH_NFQUEUE (iptables-nft): what installed its rules. */
enum fl_mechanism fl_net_delay_mechanism(const struct fl_net_delay *d);

/* The queue number in use, and how many rules (nft or iptables) carry it. */
uint16_t fl_net_delay_queue_num(const struct fl_net_delay *d);
size_t fl_net_delay_n_rules(const struct fl_net_delay *d);

#endif /* FAULTLINE_NET_DELAY_H */
