/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Network faults in the kernel (bpf/net.bpf.c): drop, partition, corrupt
 * (wire or payload), duplicate and reject (the packet rewritten into a TCP
 * RST or ICMP unreachable and redirected back), on the packets of one
 * device, of every device of a named netns, or of the sockets of a cgroup
 * v2 directory; and reset, which aborts established TCP connections
 * (userspace/net/reset.c: bpf_sock_destroy from a TCP iterator, or
 * sock_diag SOCK_DESTROY), on any of these targets.
 * Rules come compiled (struct fl_net_rule, <faultline/net_abi.h>).
 *
 * Mechanisms: tc clsact BPF on devices, with the clsact qdisc created
 * when missing (and only then removed); cgroup_skb on a cgroup, whose
 * links die with their fds. cgroup_skb cannot rewrite, clone or send
 * packets, so corrupt, duplicate and reject are refused on a cgroup
 * target. On a cgroup,
 * the socket-call rules (FL_NET_ABI_CONNECT/SENDMSG/BIND, action
 * FL_NET_ACT_ERROR) go to cgroup sock_addr programs (connect4/6,
 * sendmsg4/6, bind4/6; bpf_set_retval), attached only for the calls the
 * rules name, whose links die with their fds too; a device or netns
 * target refuses them (the hooks are per cgroup).
 *
 * Every qdisc and tc filter is recorded in core state (<faultline/state.h>)
 * before it is created, and forgotten once removed, so a SIGKILLed
 * controller leaves nothing once its watchdog or `faultline cleanup` ran.
 * Nothing but the named device, netns or cgroup is touched.
 */
#ifndef FAULTLINE_NET_H
#define FAULTLINE_NET_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <faultline/net_abi.h>

struct fl_state;
struct fl_net_session;

enum fl_net_target_kind {
	FL_NET_TARGET_DEV = 1,  /* dev, in netns (NULL = the caller's netns) */
	FL_NET_TARGET_NETNS,    /* every device of netns except lo, at attach time */
	FL_NET_TARGET_CGROUP,   /* the sockets of processes in cgroup (v2 directory) */
};

struct fl_net_target {
	enum fl_net_target_kind kind;
	const char *netns;      /* a name in /run/netns (ip netns add); required for NETNS */
	const char *dev;        /* DEV: interface name */
	const char *cgroup;     /* CGROUP: cgroup v2 directory (fl_cgroup2_resolve forms) */
	/*
	 * CGROUP: > 0 = only this process's sockets and calls (it must be in
	 * cgroup; it is not moved): the packets of the IPv4/IPv6 sockets it
	 * holds at attach or creates while attached, and of connections
	 * accepted on those; the socket calls of its threads. 0 = every
	 * process of the cgroup. Refused with reset rules.
	 */
	pid_t pid;
};

/*
 * Is each rule well formed and doable on this kind of target? -EINVAL for a
 * malformed rule (reset on anything but tcp too), -EOPNOTSUPP for an action
 * this path cannot do (corrupt, duplicate or reject on a cgroup, error on a
 * device or netns; delay and rate, which other mechanisms serve); errbuf
 * says which rule and why.
 */
int fl_net_rules_check(const struct fl_net_rule *rules, size_t n,
		       enum fl_net_target_kind kind, char *errbuf, size_t errlen);

/*
 * Check the rules and the target, load the programs and fill the rules
 * in; nothing is attached yet. st: the controller's state, where qdiscs
 * and filters are recorded (the caller runs its watchdog); NULL opens one
 * for this session (with its watchdog) and closes it with the session.
 */
int fl_net_session_open(const struct fl_net_rule *rules, size_t n,
			const struct fl_net_target *target, struct fl_state *st,
			struct fl_net_session **ret, char *errbuf, size_t errlen);
/*
 * Arm: attach to the target, ingress and/or egress as the rules' dir
 * bits ask (partition and reject: both), and on a cgroup the sock_addr
 * programs of the socket calls the rules name. With reset rules, returns
 * once the connections they fit are aborted, and keeps aborting new ones
 * (a sweep every 100 ms, in a thread) until detach. On failure whatever
 * was attached is removed again.
 */
int fl_net_session_attach(struct fl_net_session *s, char *errbuf, size_t errlen);
/*
 * Replace the rules of an open session (before or after attach), n equal
 * to the session's and in no direction its rules did not need. Each rule
 * is replaced whole, one after the other; counters are kept.
 */
int fl_net_session_set_rules(struct fl_net_session *s, const struct fl_net_rule *rules,
			     size_t n, char *errbuf, size_t errlen);
/* Rule i's counters so far. */
int fl_net_session_counters(const struct fl_net_session *s, size_t i,
			    struct fl_net_counters *ret);
/*
 * The mechanism of the session's reset rules: "bpf-sock-destroy" (a TCP
 * socket iterator calling bpf_sock_destroy, kernel 6.5+) or
 * "sock-diag-destroy" (sock_diag SOCK_DESTROY); NULL without reset rules.
 */
const char *fl_net_session_reset_mechanism(const struct fl_net_session *s);
/* A pid target: the sockets it held when attached (0 before, or without a pid). */
size_t fl_net_session_pid_sockets(const struct fl_net_session *s);
/*
 * A pid target: the cgroups besides its own where the packet programs went
 * because some of its sockets were made there (a socket is seen through
 * the cgroup it was created in); ret_moved the sockets made there,
 * ret_unseen those made in the root cgroup (not taken: every packet of the
 * host would run the programs) or in a cgroup gone since, whose packets
 * are not seen; ret_first the first such cgroup (NULL = none). Each may be NULL.
 */
size_t fl_net_session_pid_cgroups(const struct fl_net_session *s, size_t *ret_moved,
				  size_t *ret_unseen, const char **ret_first);
/* Disarm: remove filters, links and a clsact qdisc this session created. */
int fl_net_session_detach(struct fl_net_session *s, char *errbuf, size_t errlen);
/* Detach (if attached) and free. NULL is fine. */
void fl_net_session_close(struct fl_net_session *s);

/*
 * Compile parsed rules (fl_rule_parse, checked by fl_rule_check_domain for
 * FL_DOMAIN_NET) for a target kind. A rule with several disjoint
 * protocols ("tcp,udp") becomes one kernel rule per protocol, unless it
 * has when= or count= (each kernel rule counts its own matches: refused).
 * What the datapath cannot do is refused with -EOPNOTSUPP, *bad_rule (the
 * index in rules, or -1) and err (the column and why: delay, rate,
 * bytes= on corrupt, host=, corrupt/duplicate/reject on a cgroup, reset on
 * anything but tcp, error= on connect/sendmsg/bind anywhere but a cgroup). out gets at most
 * max (and at most FL_NET_MAX_RULES) kernel rules, origin[j] (may be NULL) the index of the
 * rule that kernel rule j came from; both untouched on failure.
 */
struct fl_rule;
struct fl_rule_error;
struct fl_net_compile_opts {
	enum fl_net_target_kind kind;
	/*
	 * The caller runs delay= rules through the NFQUEUE delay line
	 * (<faultline/net_delay.h>): they are checked for what the delay line
	 * honours and skipped (no kernel rule). false: delay= is refused.
	 */
	bool delay_line;
	/*
	 * The caller shapes delay= and rate= rules itself (<faultline/net_shape.h>:
	 * netem, HTB, or the delay line, as fl_net_shape_pick says): they are
	 * checked for what shaping honours and skipped (no kernel rule).
	 */
	bool shape;
	/*
	 * CLOCK_MONOTONIC ns from which for= runs (until_ns = start + for);
	 * 0 = now. The rules go into the kernel at fl_net_session_open, before
	 * the programs are attached: compile again right before
	 * fl_net_session_attach and fl_net_session_set_rules, so for= does
	 * not count the load time.
	 */
	uint64_t start_ns;
	uint64_t seed;          /* for the rules without seed= */
};
int fl_net_compile(const struct fl_rule *rules, size_t n, const struct fl_net_compile_opts *o,
		   struct fl_net_rule *out, size_t *origin, size_t max, size_t *ret_n,
		   int *bad_rule, struct fl_rule_error *err);

/* The tc filters' priority and handle, for a reader of `tc filter show`. */
#define FL_NET_TC_PRIO   1
#define FL_NET_TC_HANDLE 0xfa17

#endif /* FAULTLINE_NET_H */
