/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: two fresh named network namespaces joined by a veth pair,
 * with IPv4 10.251.N.1/.2 (/24) and IPv6 fd00:fa17:N::1/::2 (/64) from a
 * per-pair N, links up (lo too), and UDP traffic between them. All
 * traffic stays inside these namespaces; destroy deletes both (the veth
 * goes with them), and the fixtures registry deletes them at exit too.
 */
#ifndef FL_TEST_NETNS_PAIR_H
#define FL_TEST_NETNS_PAIR_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct fl_netns_pair {
	char ns[2][64];
	char dev[2][IF_NAMESIZE];      /* "flv0" in ns[0], "flv1" in ns[1] */
	struct in_addr ip4[2];
	struct in6_addr ip6[2];
	unsigned n;                    /* the per-pair address range */
};

/* 0 or -errno; on failure nothing is left. Root. */
int fl_netns_pair_create(struct fl_netns_pair *p);
void fl_netns_pair_destroy(struct fl_netns_pair *p);

/* sh -c script inside ns[side]; the exit status (0 = success). */
int fl_netns_pair_sh(const struct fl_netns_pair *p, int side, const char *script);
/* The output of sh -c script inside ns[side] into buf; the exit status. */
int fl_netns_pair_capture(const struct fl_netns_pair *p, int side, const char *script,
			  char *buf, size_t len);

/* A socket created inside ns[side] (it stays there): fd or -errno. */
int fl_netns_pair_socket(const struct fl_netns_pair *p, int side, int domain, int type);

/*
 * Checksums in software on both veth ends (no tx checksum offload), as a
 * real NIC's wire would carry them: needed for corrupt=wire to be caught.
 */
int fl_netns_pair_sw_csum(const struct fl_netns_pair *p);

struct fl_udp_result {
	unsigned sent;       /* sendto calls that succeeded */
	unsigned received;   /* datagrams read, duplicates included */
	unsigned intact;     /* read with the content sent */
	unsigned one_bit;    /* read with exactly one bit flipped */
	unsigned distinct;   /* distinct intact sequence numbers */
};

/*
 * Send n datagrams of size bytes (>= 16) from ns[from] (source port sport,
 * 0 = any) to ns[1 - from] port dport, over IPv4 (family AF_INET) or IPv6,
 * draining the receiver as it goes (a full socket buffer would lose
 * datagrams that no rule dropped). Returns after the receiver has been
 * quiet for quiet_ms (0 = 100) at the end.
 */
int fl_netns_pair_udp(const struct fl_netns_pair *p, int from, int family, uint16_t sport,
		      uint16_t dport, unsigned n, size_t size, unsigned quiet_ms,
		      struct fl_udp_result *ret);

#endif /* FL_TEST_NETNS_PAIR_H */
