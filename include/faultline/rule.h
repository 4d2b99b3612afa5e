/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one rule grammar every domain uses: a superset of strace --inject.
 *
 *   OPS[:KEY[=VALUE]]...
 *
 *   fsync:error=EIO:when=3+2
 *   openat:error=ENOSPC:path=*.wal:prob=10%
 *   write:delay=20ms~5ms
 *   fsync:signal=SIGKILL:when=100
 *   tcp:dport=5432:drop:prob=30%
 *   write:path=*.sst:corrupt=bitflip:bytes=4
 *   udp:dst=[fd00::/64]:dport=5000-5100:delay=50ms~10ms:reorder=25%
 *   connect:dport=5432:error=ECONNREFUSED
 *
 * OPS is one name or a comma-separated set ("open,openat", "*"); '*' stands
 * alone. The parser checks syntax and value types for every key; which ops,
 * actions and keys a domain accepts is checked by fl_rule_check_domain().
 *
 * A ':' inside a value is written "\:" or sits inside [...] (fnmatch
 * classes such as "[[:digit:]]", IPv6 hosts such as "host=[::1]").
 * when= follows strace, but its numbers are not capped at 65535.
 * Durations need a unit (ns, us, ms, s, m, h), except strace's
 * delay_enter=N which, like strace, means microseconds.
 */
#ifndef FAULTLINE_RULE_H
#define FAULTLINE_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <faultline/abi.h>

#define FL_RULE_MAX_OPS   16
#define FL_RULE_OP_LEN    32
#define FL_RULE_GLOB_LEN  256
#define FL_RULE_MAX_LEN   4096 /* longer rule text is refused */
#define FL_WHEN_INF       UINT64_MAX

/* strace's when=FIRST[..LAST][+STEP]; calls are counted from 1. */
struct fl_when {
	uint64_t first; /* default 1 */
	uint64_t last;  /* default FL_WHEN_INF; FIRST alone means FIRST..FIRST */
	uint64_t step;  /* default 1 */
};

/*
 * corrupt=MODE. bitflip, zero and random are the fs domain's modes (the
 * bytes of a read or a write); wire and payload are the net domain's (a
 * flipped bit in a packet: wire leaves the checksum to catch it, payload
 * fixes the checksums so only the application can). A bare 'corrupt' is
 * FL_CORRUPT_DEFAULT, which the net domain reads as wire and the fs domain
 * refuses. fl_rule_check_domain() keeps each domain to its own modes.
 */
enum fl_corrupt_mode {
	FL_CORRUPT_DEFAULT = 0, FL_CORRUPT_BITFLIP = 1, FL_CORRUPT_ZERO,
	FL_CORRUPT_RANDOM, FL_CORRUPT_WIRE, FL_CORRUPT_PAYLOAD,
};
enum fl_powercut_at  { FL_POWERCUT_BEFORE = 1, FL_POWERCUT_AFTER };

/* Which keys were given, so defaults are distinguishable from values. */
enum fl_rule_key {
	FL_KEY_WHEN = 1u << 0, FL_KEY_PROB = 1u << 1, FL_KEY_COUNT = 1u << 2,
	FL_KEY_FOR = 1u << 3, FL_KEY_PATH = 1u << 4, FL_KEY_SEED = 1u << 5,
	FL_KEY_BYTES = 1u << 6, FL_KEY_DPORT = 1u << 7, FL_KEY_SPORT = 1u << 8,
	FL_KEY_HOST = 1u << 9, FL_KEY_READ = 1u << 10, FL_KEY_PERSIST = 1u << 11,
	FL_KEY_SRC = 1u << 12, FL_KEY_DST = 1u << 13, FL_KEY_DIR = 1u << 14,
	FL_KEY_REORDER = 1u << 15,
};
#define FL_RULE_N_KEYS 16

/* --- the net domain's parsed match ------------------------------------ */

/*
 * The net domain's ops, as bits of struct fl_net_match.protos. The first
 * five (and any) are packet protocols, matched by tc/cgroup skb programs;
 * connect, sendmsg and bind are socket calls, matched by cgroup sock_addr
 * hooks, and only take error=.
 */
enum fl_net_proto {
	FL_NET_PROTO_IP      = 1u << 0, /* IPv4, any L4 protocol */
	FL_NET_PROTO_IP6     = 1u << 1, /* IPv6, any L4 protocol */
	FL_NET_PROTO_TCP     = 1u << 2, /* TCP over IPv4 or IPv6 */
	FL_NET_PROTO_UDP     = 1u << 3, /* UDP over IPv4 or IPv6 */
	FL_NET_PROTO_ICMP    = 1u << 4, /* ICMP, and ICMPv6 over IPv6 */
	FL_NET_PROTO_ANY     = 1u << 5, /* 'any' or '*': every IP packet */
	FL_NET_PROTO_CONNECT = 1u << 6, /* connect(2) of a TCP or UDP socket */
	FL_NET_PROTO_SENDMSG = 1u << 7, /* sendmsg/sendto of a UDP socket */
	FL_NET_PROTO_BIND    = 1u << 8, /* bind(2) */
};
#define FL_NET_PROTO_PACKET (FL_NET_PROTO_IP | FL_NET_PROTO_IP6 | \
			     FL_NET_PROTO_TCP | FL_NET_PROTO_UDP | \
			     FL_NET_PROTO_ICMP | FL_NET_PROTO_ANY)
#define FL_NET_PROTO_SOCKET (FL_NET_PROTO_CONNECT | FL_NET_PROTO_SENDMSG | \
			     FL_NET_PROTO_BIND)

/* The enum fl_net_proto bit of an op name ("tcp", "*"), or 0. */
unsigned fl_net_proto_bit(const char *op);

/* Address family of a match: the numbers are the IP version. */
enum fl_net_family { FL_NET_FAMILY_ANY = 0, FL_NET_IPV4 = 4, FL_NET_IPV6 = 6 };

/* dir=: which way the packet travels, as seen from the target. */
enum fl_net_dir { FL_NET_DIR_BOTH = 0, FL_NET_DIR_EGRESS, FL_NET_DIR_INGRESS };

/*
 * src=CIDR / dst=CIDR. addr is in network byte order: an IPv4 address in
 * addr[0..3] (the rest zero), an IPv6 address in all 16 bytes. Bits past
 * prefix_len are always zero (the parser refuses host bits). A bare
 * address is /32 or /128. family 0: no such key was given, match any.
 */
struct fl_net_prefix {
	uint8_t family;             /* enum fl_net_family */
	uint8_t prefix_len;         /* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* sport=N[-M] / dport=N[-M], inclusive, host byte order; 0..0 = any. */
struct fl_port_range {
	uint16_t first, last;
};

/*
 * Everything a net rule matches on, typed, for the datapath to compile.
 * The parser fills it for any rule; only the net domain accepts the keys.
 */
struct fl_net_match {
	unsigned protos;            /* enum fl_net_proto bits of the ops (derived from ops) */
	uint8_t family;             /* enum fl_net_family the rule matches: from src=/dst=,
				       else 4 for ip alone, 6 for ip6 alone, else 0 (both) */
	enum fl_net_dir dir;        /* dir=; FL_NET_DIR_BOTH when absent */
	struct fl_net_prefix src, dst;
	struct fl_port_range sport, dport;
	uint32_t reorder_ppm;       /* reorder=P% (with delay=): share sent at once,
				       ahead of delayed packets; 0 when absent */
};

/* The selector's name in the grammar ("when" for FL_KEY_WHEN), or NULL. */
const char *fl_rule_key_name(unsigned bit);

struct fl_rule {
	char ops[FL_RULE_MAX_OPS][FL_RULE_OP_LEN];
	unsigned n_ops;

	enum fl_action action;      /* exactly one action per rule */
	union {
		int error;              /* FL_ACTION_ERROR: positive errno */
		int64_t retval;         /* FL_ACTION_RETVAL */
		struct { uint64_t ns, jitter_ns; } delay; /* FL_ACTION_DELAY (reorder: net.reorder_ppm) */
		int signal;             /* FL_ACTION_SIGNAL */
		uint64_t pause_ns;      /* FL_ACTION_PAUSE */
		enum fl_corrupt_mode corrupt; /* FL_ACTION_CORRUPT */
		uint32_t torn_sector;   /* FL_ACTION_TORN: bytes, power of two */
		enum fl_powercut_at powercut; /* FL_ACTION_POWERCUT */
		uint64_t rate_bps;      /* FL_ACTION_RATE: bits per second */
	} arg;                      /* drop, reject, partition, duplicate, reset: none */

	/* selectors */
	unsigned keys;              /* enum fl_rule_key bits that were given */
	struct fl_when when;
	uint32_t prob_ppm;          /* 0..1000000; 1000000 when absent */
	uint64_t count;             /* max injections; 0 = unlimited */
	uint64_t for_ns;            /* 0 = until stopped */
	char path[FL_RULE_GLOB_LEN];/* fnmatch(3) glob */
	uint64_t seed;
	uint32_t bytes;             /* corrupt=...:bytes=N */
	bool corrupt_on_read;       /* corrupt:read (default: on persist) */
	/*
	 * First port of dport=/sport=, the single-port view from before port
	 * ranges (the same as net.dport.first and net.sport.first).
	 */
	uint16_t dport, sport;
	/*
	 * host=NAME|ADDRESS|CIDR: the older, untyped key, kept as the text
	 * given (brackets of "[::1]" removed). Nothing resolves or compiles
	 * it yet; src=/dst= are the typed address matches.
	 */
	char host[64];
	struct fl_net_match net;    /* src=, dst=, sport=, dport=, dir=, reorder= */

	/*
	 * 1-based columns in the parsed text of each op, of the action and of
	 * each selector (indexed by the bit number of its enum fl_rule_key),
	 * so fl_rule_check_domain() can point at the offending token. 0 when
	 * unknown (a rule built by hand). Not part of a rule's value:
	 * fl_rule_equal() ignores them.
	 */
	struct {
		uint16_t ops[FL_RULE_MAX_OPS];
		uint16_t action;
		uint16_t key[FL_RULE_N_KEYS];
	} col;
};

/* Where and why parsing failed. column is 1-based into the rule text. */
struct fl_rule_error {
	unsigned column;
	char message[384];          /* "unknown errno 'EIOX' at column 13" */
};

/*
 * Parse one rule. Returns 0 and fills ret, or -EINVAL and fills err (if
 * non-NULL); ret is untouched on failure.
 */
int fl_rule_parse(const char *text, struct fl_rule *ret, struct fl_rule_error *err);

/*
 * A rule text as an error message may echo it: cut to fit len (ending in
 * "..." when cut), with every byte outside printable ASCII and every
 * backslash escaped as \xNN, so a 100 KB argument or raw binary never
 * reaches the terminal. Returns buf (len must be at least 8).
 */
const char *fl_rule_excerpt(const char *text, char *buf, size_t len);

/*
 * Check that a parsed rule makes sense in a domain: known op names (syscall
 * names for FL_DOMAIN_SYSCALL), allowed actions and selectors, corrupt=
 * modes of that domain, and for FL_DOMAIN_NET the combinations: address
 * family against ip/ip6, ports only on tcp/udp, error= only (and only
 * error=) on connect/sendmsg/bind, no dir= on partition, reset or socket
 * calls, reset only on tcp (README, "The net grammar"). Same error
 * reporting as fl_rule_parse.
 */
int fl_rule_check_domain(const struct fl_rule *rule, enum fl_domain domain,
			 struct fl_rule_error *err);

/*
 * For checks past the parser (a domain's, a mechanism's), in the parser's
 * style: the column where key bit (FL_KEY_*) was written in r, 1 when it
 * was not; and err (may be NULL) filled with column col (1 if 0) and the
 * message, returning code, so a refusal is one statement.
 */
unsigned fl_rule_key_col(const struct fl_rule *r, unsigned bit);
__attribute__((format(printf, 4, 5)))
int fl_rule_refuse(struct fl_rule_error *err, unsigned col, int code, const char *fmt, ...);

/* Same ops, action, argument and selectors (columns are ignored)? */
bool fl_rule_equal(const struct fl_rule *a, const struct fl_rule *b);

/* Does the nth matching call (from 1) fall in when=? */
bool fl_when_matches(const struct fl_when *when, uint64_t nth);

/* Write a rule back in canonical text form; returns snprintf-style length. */
int fl_rule_format(const struct fl_rule *rule, char *buf, size_t len);

/* Value parsers shared by the CLI and the domains. 0 or -EINVAL. */
int fl_parse_errno(const char *s, int *ret);        /* "EIO", "5" */
int fl_parse_signal(const char *s, int *ret);       /* "SIGKILL", "KILL", "9" */
int fl_parse_duration(const char *s, uint64_t *ret_ns); /* "20ms", "1.5s", "2m" */
int fl_parse_percent(const char *s, uint32_t *ret_ppm); /* "10%", "0.1", "12.5%" */
int fl_parse_u64(const char *s, uint64_t *ret);
int fl_parse_size(const char *s, uint64_t *ret);    /* "4096", "4k", "1M", "2G" (binary) */

const char *fl_errno_name(int err);   /* "EIO", or NULL */
const char *fl_signal_name(int sig);  /* "SIGKILL", or NULL */
const char *fl_action_name(enum fl_action action);
const char *fl_domain_name(enum fl_domain domain);

/* x86_64 (build arch) syscall table, generated from kernel headers. */
int fl_syscall_nr(const char *name);   /* -ENOENT if unknown */
const char *fl_syscall_name(int nr);   /* NULL if unknown */

#endif /* FAULTLINE_RULE_H */
