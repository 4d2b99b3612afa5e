/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The network session's insides, shared by its attach files. */
#ifndef FL_NET_PRIV_H
#define FL_NET_PRIV_H

#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <faultline/net.h>

#include "core/errbuf.h"
#include "net/devices.h"

/* A socket-call protocol (FL_NET_ABI_CONNECT, _SENDMSG, _BIND) as a bit. */
#define FL_NET_SOCK_BIT(proto) (1u << ((proto) - FL_NET_ABI_CONNECT))

struct net_bpf;
struct bpf_link;
struct bpf_program;
struct net_reset;

/* --pid: the sockets looked at when armed, and the other cgroups taken for them. */
#define FL_NET_PID_MAX_SOCKS   65536
#define FL_NET_PID_MAX_CGROUPS 8

/* reset= rules: how often connections are looked for again while armed. */
#define FL_NET_RESET_SWEEP_MS 100

/* One device with our filters on it. */
struct net_dev {
	char name[IF_NAMESIZE];
	int ifindex;
	bool qdisc_created;     /* we made its clsact qdisc, so we remove it */
	uint64_t qdisc_rec;     /* its state record, 0 = none */
	uint64_t filter_rec[2]; /* [0] ingress, [1] egress; 0 = not attached */
	int tcx_fd[2];          /* tcx links (attach_tcx.c), valid when tcx_on */
	bool tcx_on[2];
};

struct fl_net_session {
	struct net_bpf *skel;
	enum fl_net_target_kind kind;
	char netns[NAME_MAX + 1];   /* "" = the caller's netns */
	char dev[IF_NAMESIZE];
	char cgroup[PATH_MAX];
	uint8_t dirs;               /* FL_NET_DIR_* the packet rules need */
	uint8_t sock_calls;         /* FL_NET_SOCK_BIT of the calls the socket rules need */
	size_t n_rules;
	struct fl_state *st;
	bool own_state;
	bool attached;
	struct net_dev *devs;
	size_t n_devs;
	struct bpf_link *links[2];  /* cgroup: [0] ingress, [1] egress */
	/* cgroup sock_addr: connect4/6, sendmsg4/6, bind4/6 (fl_net_sock_progs order) */
	struct bpf_link *sock_links[6];
	struct net_reset *reset;    /* the reset rules' sweeper (reset.c), NULL = none */
	/* --pid (attach_pid.c): the process, its sock_create link, sockets marked at arm */
	pid_t pid;
	struct bpf_link *pid_link;
	uint64_t pid_marked;
	/*
	 * Cgroups where some of its sockets were made, with the skb programs
	 * on them too ([last] may be the ancestor that replaces the pid's
	 * cgroup, attached through links[]); sockets there, sockets not seen.
	 */
	char pid_cgroups[FL_NET_PID_MAX_CGROUPS][PATH_MAX];
	struct bpf_link *pid_links[FL_NET_PID_MAX_CGROUPS][2];
	size_t pid_n_cgroups, pid_moved, pid_unseen;
	uint8_t kind_of_rule[FL_NET_MAX_RULES];  /* each rule's action */
};

int fl_net_tc_attach(struct fl_net_session *s, char *errbuf, size_t len);
int fl_net_tc_detach(struct fl_net_session *s, char *errbuf, size_t len);
/*
 * tcx links on d for the directions s needs: 0, -EOPNOTSUPP when the
 * kernel has no tcx (nothing attached: use clsact), -EEXIST when another
 * session's program is there, or another -errno (errbuf says).
 */
int fl_net_tcx_attach(struct fl_net_session *s, struct net_dev *d, char *errbuf, size_t len);
void fl_net_tcx_detach(struct net_dev *d);
/* Every rule inert now (saved, ok[i]: rule i was), and back as they were (rules_update.c). */
void fl_net_rules_off(struct fl_net_session *s, struct fl_net_rule *saved, bool *ok);
void fl_net_rules_restore(struct fl_net_session *s, const struct fl_net_rule *saved,
			  const bool *ok);
int fl_net_cgroup_attach(struct fl_net_session *s, char *errbuf, size_t len);
void fl_net_cgroup_detach(struct fl_net_session *s);
/*
 * --pid (attach_pid.c): prepare sets the target tgid and the autoload of
 * its programs before the load; attach (on the cgroup's fd, before the
 * cgroup_skb programs) marks the process's sockets, puts the skb programs
 * on the other cgroups its sockets were made in, and gives the fd the
 * skb programs go to (cgroup_fd, or an ancestor's fd the caller closes);
 * detach unhooks.
 */
void fl_net_pid_prepare(struct fl_net_session *s);
int fl_net_pid_attach(struct fl_net_session *s, int cgroup_fd, int *skb_fd, char *errbuf,
		      size_t len);
void fl_net_pid_detach(struct fl_net_session *s);
/* The six sock_addr programs, and the FL_NET_SOCK_BIT of the call each serves. */
size_t fl_net_sock_progs(struct fl_net_session *s, struct bpf_program **progs,
			 uint8_t *calls);
/* What the rules need: FL_NET_ABI_* direction bits, FL_NET_SOCK_BIT bits. */
void fl_net_rules_needs(const struct fl_net_rule *rules, size_t n, uint8_t *dirs,
			uint8_t *sock_calls);

/*
 * reset.c: the established TCP connections that reset rules fit are
 * aborted at start and by a sweep every FL_NET_RESET_SWEEP_MS until stop.
 * Counters per rule index, as the BPF map's.
 */
bool fl_net_rules_reset(const struct fl_net_rule *rules, size_t n);
int fl_net_reset_open(struct fl_net_session *s, const struct fl_net_rule *rules, size_t n,
		      struct net_reset **ret, char *errbuf, size_t len);
int fl_net_reset_start(struct net_reset *rs, char *errbuf, size_t len);
void fl_net_reset_stop(struct net_reset *rs);
void fl_net_reset_set_rules(struct net_reset *rs, const struct fl_net_rule *rules, size_t n);
void fl_net_reset_counters(struct net_reset *rs, size_t i, struct fl_net_counters *ret);
const char *fl_net_reset_mechanism(const struct net_reset *rs);
void fl_net_reset_close(struct net_reset *rs);

/*
 * events.c: fl_net_event_to_json with the common "value" given, and extra
 * (",\"key\":value..." or NULL) appended after the packet's fields.
 */
int fl_net_event_to_json_ext(const struct fl_net_event *ev, unsigned rule,
			     int64_t clock_offset_ns, int64_t value, const char *extra,
			     char *buf, size_t len);

#endif /* FL_NET_PRIV_H */
