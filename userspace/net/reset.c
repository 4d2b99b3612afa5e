// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * reset: tear down the established TCP connections a rule names, from
 * userspace. No packet is needed: a sweep lists the target's established
 * TCP sockets through sock_diag (NETLINK_SOCK_DIAG, both families), keeps
 * those a reset rule fits, and aborts them. The aborted socket's owner
 * gets ECONNABORTED, its peer a RST (ECONNRESET), as with `ss -K`.
 *
 * Two ways to abort, tried in this order when the session opens:
 * - bpf_sock_destroy from a TCP socket iterator (bpf/net_reset.bpf.c,
 *   kernel 6.5+): the chosen cookies go into a map, and the iterator, made
 *   inside the netns, aborts those sockets;
 * - sock_diag SOCK_DESTROY per socket (CONFIG_INET_DIAG_DESTROY), where
 *   the iterator does not load (6.1, or tracing programs refused).
 *
 * The first sweep runs when the session is armed (attach returns once it
 * is done); then one every FL_NET_RESET_SWEEP_MS while armed, so that a
 * connection made while armed is torn down too (for a one-off reset,
 * arm briefly or give count=). Each connection is decided once, by the
 * first reset rule that fits it, in the order the sweeps find them: its
 * number for when=, a draw for prob=, and count= caps the aborts.
 *
 * Which sockets: --netns, the sockets of that netns (over lo too: a
 * client of a server on localhost is one); --dev, those of the
 * device's netns whose local address is one of the device's; a cgroup,
 * the sockets whose cgroup (sock_diag's INET_DIAG_CGROUP_ID: the cgroup of
 * the process that created them) is the directory or one below it, in the
 * netns of each of those cgroups' processes; a pid (target .pid), the
 * sockets in that process's file table at each sweep (their inodes, from
 * /proc/PID/fd, against sock_diag's idiag_inode), accepted ones included.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <ifaddrs.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <faultline/mechanism.h>

#include "core/netns.h"
#include "net/net_priv.h"
#include "net_reset.skel.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open   434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd  438
#endif

#define TCP_ESTABLISHED  1
#define MAX_CONNS        1024   /* per sweep and netns (the iterator map's size too) */
#define SEEN_SLOTS       8192   /* connections already decided (open addressing) */
#define MAX_CGROUPS      4096   /* the directory and those below it */
#define MAX_NETNS        16
#define MAX_ADDRS        64

struct conn {
	uint8_t family;             /* AF_INET or AF_INET6 (of the socket) */
	struct inet_diag_sockid id;
	uint64_t cookie;
	uint64_t cgroup;            /* 0 = not reported */
	uint32_t inode;
};

struct addr {
	uint8_t family;             /* FL_NET_ABI_FAMILY_* */
	uint8_t a[16];
};

struct net_reset {
	struct fl_net_session *s;
	struct net_reset_bpf *skel;     /* NULL: sock_diag */
	struct bpf_link *iter;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;           /* rules, counters, stop */
	pthread_cond_t cond;
	bool stop, first_done;
	int first_err;
	char first_why[256];
	struct fl_net_rule rules[FL_NET_MAX_RULES];
	struct fl_net_counters counters[FL_NET_MAX_RULES];
	size_t n;
	uint64_t seen[SEEN_SLOTS];
	size_t n_seen;
	/* cgroup target */
	uint64_t cgroups[MAX_CGROUPS];
	size_t n_cgroups;
	/* pid target: the socket inodes in its file table, this sweep */
	uint32_t *pid_inodes;
	size_t n_pid_inodes, cap_pid_inodes;
	/*
	 * and the netns its sockets are in (a socket may live in another
	 * netns than its process): found once per socket inode (examined),
	 * each kept open until close
	 */
	int pid_ns_fd[MAX_NETNS];
	ino_t pid_ns_ino[MAX_NETNS];
	size_t n_pid_ns;
	uint32_t examined[SEEN_SLOTS];
	size_t n_examined;
	int ns_fd[MAX_NETNS];
	ino_t ns_ino[MAX_NETNS];
	size_t n_ns;
	/* dev target: the device's addresses, this sweep */
	struct addr addrs[MAX_ADDRS];
	size_t n_addrs;
	struct conn conns[MAX_CONNS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* As the BPF programs draw: splitmix64(seed + n * golden). */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Was this cookie decided already? Marks it decided. A full table starts over. */
static bool seen_before(struct net_reset *rs, uint64_t cookie)
{
	size_t i = (size_t)(splitmix64(cookie) % SEEN_SLOTS);

	if (!cookie)
		return false;
	for (size_t k = 0; k < SEEN_SLOTS; k++, i = (i + 1) % SEEN_SLOTS) {
		if (rs->seen[i] == cookie)
			return true;
		if (!rs->seen[i])
			break;
	}
	if (rs->n_seen >= SEEN_SLOTS / 2) {
		memset(rs->seen, 0, sizeof(rs->seen));
		rs->n_seen = 0;
		i = (size_t)(splitmix64(cookie) % SEEN_SLOTS);
	}
	while (rs->seen[i])
		i = (i + 1) % SEEN_SLOTS;
	rs->seen[i] = cookie;
	rs->n_seen++;
	return false;
}

/* ---- matching, as bpf/net.bpf.c's ends_ok ------------------------------- */

static bool in_prefix(const uint8_t *a, const uint8_t *prefix, unsigned plen)
{
	for (unsigned i = 0; i < 16 && plen; i++) {
		unsigned bits = plen >= 8 ? 8 : plen;
		uint8_t mask = (uint8_t)(0xff << (8 - bits));

		if ((a[i] ^ prefix[i]) & mask)
			return false;
		plen -= bits;
	}
	return true;
}

static bool port_ok(uint16_t port, uint16_t lo, uint16_t hi)
{
	return (!lo && !hi) || (port >= lo && port <= hi);
}

static bool ends_ok(const struct fl_net_rule *r, uint8_t family, const uint8_t *src,
		    uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	if (r->family && r->family != family)
		return false;
	if (r->src_plen && !in_prefix(src, r->src, r->src_plen))
		return false;
	if (r->dst_plen && !in_prefix(dst, r->dst, r->dst_plen))
		return false;
	return port_ok(sport, r->sport_lo, r->sport_hi) && port_ok(dport, r->dport_lo, r->dport_hi);
}

/* The socket's addresses as the rules see them: an IPv4-mapped IPv6 one is IPv4. */
static uint8_t conn_family(const struct conn *c, uint8_t *local, uint8_t *remote)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(local, 0, 16);
	memset(remote, 0, 16);
	if (c->family == AF_INET) {
		memcpy(local, c->id.idiag_src, 4);
		memcpy(remote, c->id.idiag_dst, 4);
		return FL_NET_ABI_FAMILY_IP4;
	}
	if (!memcmp(c->id.idiag_src, mapped, 12) && !memcmp(c->id.idiag_dst, mapped, 12)) {
		memcpy(local, (const uint8_t *)c->id.idiag_src + 12, 4);
		memcpy(remote, (const uint8_t *)c->id.idiag_dst + 12, 4);
		return FL_NET_ABI_FAMILY_IP4;
	}
	memcpy(local, c->id.idiag_src, 16);
	memcpy(remote, c->id.idiag_dst, 16);
	return FL_NET_ABI_FAMILY_IP6;
}

/*
 * Does rule r fit connection c? egress: the rule's src/sport are the
 * local end (a packet the socket sends); ingress: the remote end.
 */
static bool rule_fits(const struct fl_net_rule *r, const struct conn *c)
{
	uint8_t local[16], remote[16], family = conn_family(c, local, remote);
	uint16_t lport = ntohs(c->id.idiag_sport), rport = ntohs(c->id.idiag_dport);

	if ((r->dir & FL_NET_ABI_EGRESS) && ends_ok(r, family, local, lport, remote, rport))
		return true;
	return (r->dir & FL_NET_ABI_INGRESS) && ends_ok(r, family, remote, rport, local, lport);
}

static bool target_has(const struct net_reset *rs, const struct conn *c)
{
	uint8_t local[16], remote[16], family;

	if (rs->s->kind == FL_NET_TARGET_CGROUP && rs->s->pid) {
		for (size_t i = 0; i < rs->n_pid_inodes; i++)
			if (c->inode && c->inode == rs->pid_inodes[i])
				return true;
		return false;
	}
	if (rs->s->kind == FL_NET_TARGET_CGROUP) {
		for (size_t i = 0; i < rs->n_cgroups; i++)
			if (c->cgroup && c->cgroup == rs->cgroups[i])
				return true;
		return false;
	}
	if (rs->s->kind != FL_NET_TARGET_DEV)
		return true;
	family = conn_family(c, local, remote);
	for (size_t i = 0; i < rs->n_addrs; i++)
		if (rs->addrs[i].family == family &&
		    !memcmp(rs->addrs[i].a, local, family == FL_NET_ABI_FAMILY_IP4 ? 4 : 16))
			return true;
	return false;
}

/* The selectors, as bpf/net.bpf.c's fires(): true = abort this one. Under lock. */
static bool fires(const struct fl_net_rule *r, struct fl_net_counters *k)
{
	uint64_t n = ++k->matched, step = r->when_step ? r->when_step : 1;
	uint64_t draw = splitmix64(r->seed + n * 0x9e3779b97f4a7c15ull);

	if (r->when_first || r->when_last || step > 1) {
		uint64_t first = r->when_first ? r->when_first : 1;

		if (n < first || (r->when_last && n > r->when_last) || (n - first) % step)
			return false;
	}
	if (r->prob_ppm && r->prob_ppm < FL_NET_PPM && draw % FL_NET_PPM >= r->prob_ppm)
		return false;
	if (r->count && k->claimed >= r->count)
		return false;
	k->claimed++;
	return true;
}

/* ---- sock_diag ------------------------------------------------------------ */

static int diag_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

static bool target_has(const struct net_reset *rs, const struct conn *c);
static bool rule_fits(const struct fl_net_rule *r, const struct conn *c);

/* Would an active reset rule (of rules, a copy) consider c? */
static bool worth_keeping(const struct net_reset *rs, const struct fl_net_rule *rules,
			  const struct conn *c, uint64_t now)
{
	if (!target_has(rs, c))
		return false;
	for (size_t r = 0; r < rs->n; r++)
		if (rules[r].action == FL_NET_ACT_RESET &&
		    !(rules[r].until_ns && now >= rules[r].until_ns) && rule_fits(&rules[r], c))
			return true;
	return false;
}

/*
 * Append the established TCP sockets of one family that a rule may want to
 * rs->conns (at most MAX_CONNS a sweep: the rest wait for the next one).
 */
static int dump_family(struct net_reset *rs, int fd, uint8_t family,
		       const struct fl_net_rule *rules, uint64_t now, size_t *n)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.r = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = 1u << TCP_ESTABLISHED },
	};
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0)
			return errno == EINTR ? 0 : -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int alen;
			struct conn *c;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -EIO;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || *n >= MAX_CONNS)
				continue;
			c = &rs->conns[*n];
			memset(c, 0, sizeof(*c));
			c->family = m->idiag_family;
			c->id = m->id;
			c->cookie = (uint64_t)m->id.idiag_cookie[0] |
				    ((uint64_t)m->id.idiag_cookie[1] << 32);
			c->inode = m->idiag_inode;
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == INET_DIAG_CGROUP_ID &&
				    RTA_PAYLOAD(a) >= (int)sizeof(uint64_t))
					memcpy(&c->cgroup, RTA_DATA(a), sizeof(uint64_t));
			if (worth_keeping(rs, rules, c, now))
				(*n)++;
		}
	}
}

/* SOCK_DESTROY of one socket: 0, or -ENOENT when it went meanwhile. */
static int diag_destroy(int fd, const struct conn *c)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DESTROY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 2 },
		.r = { .sdiag_family = c->family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = ~0u, .id = c->id },
	};
	char buf[512] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t len;

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	do
		len = recv(fd, buf, sizeof(buf), 0);
	while (len < 0 && errno == EINTR);
	if (len < 0)
		return -errno;
	if (!NLMSG_OK(h, (size_t)len) || h->nlmsg_type != NLMSG_ERROR)
		return -EIO;
	return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
}

/* ---- the iterator ------------------------------------------------------- */

/* Abort the chosen sockets (cookies in the map) with one walk of the netns. */
static int iter_destroy(struct net_reset *rs, const struct conn **doomed, size_t n,
			bool *ret_done)
{
	int map = bpf_map__fd(rs->skel->maps.doomed), fd, err = 0;
	uint8_t zero = 0, v;
	char buf[64];
	ssize_t got;

	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(map, &doomed[i]->cookie, &zero, BPF_ANY))
			return -errno;
	/* The iterator walks the netns this thread is in now. */
	fd = bpf_iter_create(bpf_link__fd(rs->iter));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	do
		got = read(fd, buf, sizeof(buf));
	while (got > 0 || (got < 0 && errno == EINTR));
	if (got < 0)
		err = -errno;
	close(fd);
out:
	for (size_t i = 0; i < n; i++) {
		ret_done[i] = !bpf_map_lookup_elem(map, &doomed[i]->cookie, &v) && v == 1;
		bpf_map_delete_elem(map, &doomed[i]->cookie);
	}
	return err;
}

/* ---- one sweep ------------------------------------------------------------ */

static void dev_addresses(struct net_reset *rs)
{
	struct ifaddrs *all, *it;

	rs->n_addrs = 0;
	if (getifaddrs(&all))
		return;
	for (it = all; it; it = it->ifa_next) {
		struct addr *a = &rs->addrs[rs->n_addrs];

		if (!it->ifa_addr || strcmp(it->ifa_name, rs->s->dev) || rs->n_addrs >= MAX_ADDRS)
			continue;
		if (it->ifa_addr->sa_family == AF_INET) {
			a->family = FL_NET_ABI_FAMILY_IP4;
			memcpy(a->a, &((struct sockaddr_in *)it->ifa_addr)->sin_addr, 4);
		} else if (it->ifa_addr->sa_family == AF_INET6) {
			a->family = FL_NET_ABI_FAMILY_IP6;
			memcpy(a->a, &((struct sockaddr_in6 *)it->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		rs->n_addrs++;
	}
	freeifaddrs(all);
}

/* Sweep the netns this thread is in: list, decide, abort. */
static int sweep_here(struct net_reset *rs, char *why, size_t len)
{
	const struct conn *doomed[MAX_CONNS];
	size_t rule_of[MAX_CONNS], n = 0, nd = 0;
	bool done[MAX_CONNS];
	uint64_t now = mono_ns();
	struct fl_net_rule rules[FL_NET_MAX_RULES];
	int fd, err;

	pthread_mutex_lock(&rs->lock);
	memcpy(rules, rs->rules, sizeof(rules));
	pthread_mutex_unlock(&rs->lock);
	if (rs->s->kind == FL_NET_TARGET_DEV)
		dev_addresses(rs);

	fd = diag_socket();
	if (fd < 0) {
		fl_errf(why, len, "sock_diag socket: %s", strerror(-fd));
		return fd;
	}
	err = dump_family(rs, fd, AF_INET, rules, now, &n);
	if (!err)
		err = dump_family(rs, fd, AF_INET6, rules, now, &n);
	if (err) {
		fl_errf(why, len, "list the TCP sockets (sock_diag): %s", strerror(-err));
		close(fd);
		return err;
	}
	pthread_mutex_lock(&rs->lock);
	for (size_t i = 0; i < n; i++) {
		const struct conn *c = &rs->conns[i];

		/* Only connections some rule fits are remembered, decided once. */
		if (seen_before(rs, c->cookie))
			continue;
		for (size_t r = 0; r < rs->n; r++) {
			const struct fl_net_rule *rule = &rs->rules[r];

			if (rule->action != FL_NET_ACT_RESET ||
			    (rule->until_ns && now >= rule->until_ns) || !rule_fits(rule, c))
				continue;
			if (fires(rule, &rs->counters[r])) {
				rule_of[nd] = r;
				doomed[nd++] = c;
			}
			break;
		}
	}
	pthread_mutex_unlock(&rs->lock);
	memset(done, 0, sizeof(done));
	if (rs->skel) {
		err = nd ? iter_destroy(rs, doomed, nd, done) : 0;
		if (err)
			fl_errf(why, len, "bpf_sock_destroy iterator: %s", strerror(-err));
	} else {
		for (size_t i = 0; i < nd; i++) {
			int e = diag_destroy(fd, doomed[i]);

			done[i] = e == 0;
			if (e && e != -ENOENT && !err) {
				err = e;
				fl_errf(why, len, "sock_diag SOCK_DESTROY: %s%s", strerror(-e),
					e == -EOPNOTSUPP ? " (the kernel lacks CONFIG_INET_DIAG_DESTROY)" : "");
			}
		}
	}
	close(fd);
	pthread_mutex_lock(&rs->lock);
	for (size_t i = 0; i < nd; i++)
		if (done[i])
			rs->counters[rule_of[i]].injected++;
	pthread_mutex_unlock(&rs->lock);
	return err;
}

/* nftw has no closure: one walk at a time, over this. */
static struct net_reset *walking;
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;

/* The netns of each process of one cgroup directory, once each (fd kept). */
static void add_procs_netns(struct net_reset *rs, const char *dir)
{
	char procs[PATH_MAX + 32], line[32];
	FILE *f;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	f = fopen(procs, "re");
	while (f && fgets(line, sizeof(line), f) && rs->n_ns < MAX_NETNS) {
		char nspath[64];
		struct stat st;
		bool dup = false;
		int fd;

		snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", atoi(line));
		if (stat(nspath, &st))
			continue;
		for (size_t i = 0; i < rs->n_ns; i++)
			dup |= rs->ns_ino[i] == st.st_ino;
		if (dup)
			continue;
		fd = open(nspath, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		rs->ns_ino[rs->n_ns] = st.st_ino;
		rs->ns_fd[rs->n_ns++] = fd;
	}
	if (f)
		fclose(f);
}

/* A cgroup v2 directory's id is its inode number. */
static int add_cgroup(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type != FTW_D)
		return 0;
	if (walking->n_cgroups < MAX_CGROUPS)
		walking->cgroups[walking->n_cgroups++] = (uint64_t)st->st_ino;
	add_procs_netns(walking, path);
	return 0;
}

/* Was this socket inode's netns looked up already? Marks it. A full table starts over. */
static bool examined_before(struct net_reset *rs, uint32_t ino)
{
	size_t i = (size_t)(splitmix64(ino) % SEEN_SLOTS);

	for (size_t k = 0; k < SEEN_SLOTS; k++, i = (i + 1) % SEEN_SLOTS) {
		if (rs->examined[i] == ino)
			return true;
		if (!rs->examined[i])
			break;
	}
	if (rs->n_examined >= SEEN_SLOTS / 2) {
		memset(rs->examined, 0, sizeof(rs->examined));
		rs->n_examined = 0;
		i = (size_t)(splitmix64(ino) % SEEN_SLOTS);
	}
	while (rs->examined[i])
		i = (i + 1) % SEEN_SLOTS;
	rs->examined[i] = ino;
	rs->n_examined++;
	return false;
}

/*
 * The netns of the process's socket at fd tfd (a copy through pidfd_getfd,
 * then SIOCGSKNS), kept in pid_ns_fd if new.
 */
static void pid_socket_netns(struct net_reset *rs, int pidfd, int tfd)
{
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, tfd, 0), ns;
	struct stat st;
	bool dup = false;

	if (fd < 0)
		return;
	ns = ioctl(fd, SIOCGSKNS);
	close(fd);
	if (ns < 0)
		return;
	if (fstat(ns, &st) == 0)
		for (size_t i = 0; i < rs->n_pid_ns; i++)
			dup |= rs->pid_ns_ino[i] == st.st_ino;
	if (dup || rs->n_pid_ns >= MAX_NETNS) {
		close(ns);
		return;
	}
	rs->pid_ns_ino[rs->n_pid_ns] = st.st_ino;
	rs->pid_ns_fd[rs->n_pid_ns++] = ns;
}

/* Add the pid's sockets' netns to this sweep's (copies: the sweep closes its fds). */
static void pid_netns_to_sweep(struct net_reset *rs)
{
	for (size_t k = 0; k < rs->n_pid_ns && rs->n_ns < MAX_NETNS; k++) {
		bool dup = false;
		int fd;

		for (size_t i = 0; i < rs->n_ns; i++)
			dup |= rs->ns_ino[i] == rs->pid_ns_ino[k];
		if (dup || (fd = fcntl(rs->pid_ns_fd[k], F_DUPFD_CLOEXEC, 0)) < 0)
			continue;
		rs->ns_ino[rs->n_ns] = rs->pid_ns_ino[k];
		rs->ns_fd[rs->n_ns++] = fd;
	}
}

/*
 * A pid target: the inodes of the sockets in its file table, now, and the
 * netns of each socket not seen before.
 */
static void pid_walk(struct net_reset *rs)
{
	int pidfd = (int)syscall(SYS_pidfd_open, rs->s->pid, 0);
	char dir[64], path[320], link[64];
	struct dirent *de;
	DIR *d;

	rs->n_pid_inodes = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)rs->s->pid);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 8)
			continue;
		link[n] = '\0';
		if (strncmp(link, "socket:[", 8))
			continue;
		if (rs->n_pid_inodes == rs->cap_pid_inodes) {
			size_t cap = rs->cap_pid_inodes ? 2 * rs->cap_pid_inodes : 64;
			uint32_t *p = realloc(rs->pid_inodes, cap * sizeof(*p));

			if (!p)
				break;  /* the rest wait for the next sweep */
			rs->pid_inodes = p;
			rs->cap_pid_inodes = cap;
		}
		rs->pid_inodes[rs->n_pid_inodes] = (uint32_t)strtoul(link + 8, NULL, 10);
		if (pidfd >= 0 && !examined_before(rs, rs->pid_inodes[rs->n_pid_inodes]))
			pid_socket_netns(rs, pidfd, atoi(de->d_name));
		rs->n_pid_inodes++;
	}
	if (d)
		closedir(d);
	if (pidfd >= 0)
		close(pidfd);
	pid_netns_to_sweep(rs);
}

/* The cgroup's ids (it and below) and the netns its processes are in, now. */
static void cgroup_walk(struct net_reset *rs)
{
	pthread_mutex_lock(&walk_lock);
	walking = rs;
	rs->n_cgroups = 0;
	rs->n_ns = 0;
	nftw(rs->s->cgroup, add_cgroup, 16, FTW_PHYS);
	walking = NULL;
	pthread_mutex_unlock(&walk_lock);
	if (rs->s->pid)
		pid_walk(rs);
}

static int sweep(struct net_reset *rs, int home, char *why, size_t len)
{
	int err = 0;

	if (rs->s->kind != FL_NET_TARGET_CGROUP)
		return sweep_here(rs, why, len);
	cgroup_walk(rs);
	for (size_t i = 0; i < rs->n_ns; i++) {
		int e = setns(rs->ns_fd[i], CLONE_NEWNET) ? -errno : sweep_here(rs, why, len);

		if (e && !err)
			err = e;
		close(rs->ns_fd[i]);
	}
	if (rs->n_ns && setns(home, CLONE_NEWNET) && !err)
		err = -errno;
	return err;
}

static void *sweeper(void *arg)
{
	struct net_reset *rs = arg;
	char why[256] = "";
	int saved = -1, home = -1, err;

	/* This thread lives in the target's netns (setns is per thread). */
	err = rs->s->kind == FL_NET_TARGET_CGROUP ? 0 : fl_netns_enter(rs->s->netns, &saved);
	if (err)
		fl_errf(why, sizeof(why), "enter netns %s: %s", rs->s->netns, strerror(-err));
	if (!err && rs->s->kind == FL_NET_TARGET_CGROUP) {
		home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home < 0) {
			err = -errno;
			fl_errf(why, sizeof(why), "open this thread's netns: %s", strerror(-err));
		}
	}
	if (!err)
		err = sweep(rs, home, why, sizeof(why));
	pthread_mutex_lock(&rs->lock);
	rs->first_err = err;
	snprintf(rs->first_why, sizeof(rs->first_why), "%s", why);
	rs->first_done = true;
	pthread_cond_broadcast(&rs->cond);
	while (!err && !rs->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += FL_NET_RESET_SWEEP_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&rs->cond, &rs->lock, &ts);
		if (rs->stop)
			break;
		pthread_mutex_unlock(&rs->lock);
		/* A later sweep's failure (a netns gone) ends nothing: the next one retries. */
		sweep(rs, home, why, sizeof(why));
		pthread_mutex_lock(&rs->lock);
	}
	pthread_mutex_unlock(&rs->lock);
	if (home >= 0)
		close(home);
	if (saved >= 0)
		fl_netns_leave(saved);
	return NULL;
}

/* ---- the session's side ------------------------------------------------- */

bool fl_net_rules_reset(const struct fl_net_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].action == FL_NET_ACT_RESET)
			return true;
	return false;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int fl_net_reset_open(struct fl_net_session *s, const struct fl_net_rule *rules, size_t n,
		      struct net_reset **ret, char *errbuf, size_t len)
{
	struct net_reset *rs = calloc(1, sizeof(*rs));
	libbpf_print_fn_t old;

	if (!rs)
		return -ENOMEM;
	rs->s = s;
	rs->n = n;
	memcpy(rs->rules, rules, n * sizeof(*rules));
	pthread_mutex_init(&rs->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&rs->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	/*
	 * bpf_sock_destroy where the kernel has it and lets a tracing iterator
	 * load. FAULTLINE_NET_RESET=sock-diag takes the fallback anyway (the
	 * tests prove both paths on one kernel).
	 */
	old = libbpf_set_print(quiet_print);
	if (!getenv("FAULTLINE_NET_RESET") || strcmp(getenv("FAULTLINE_NET_RESET"), "sock-diag"))
		rs->skel = net_reset_bpf__open_and_load();
	if (rs->skel) {
		rs->iter = bpf_program__attach_iter(rs->skel->progs.fl_net_reset_iter, NULL);
		if (!rs->iter) {
			net_reset_bpf__destroy(rs->skel);
			rs->skel = NULL;
		}
	}
	libbpf_set_print(old);
	(void)errbuf;
	(void)len;
	*ret = rs;
	return 0;
}

const char *fl_net_reset_mechanism(const struct net_reset *rs)
{
	return fl_mechanism_name(rs->skel ? FL_MECH_BPF_SOCK_DESTROY : FL_MECH_SOCK_DIAG_DESTROY);
}

int fl_net_reset_start(struct net_reset *rs, char *errbuf, size_t len)
{
	int err;

	if (rs->running)
		return -EALREADY;
	rs->stop = rs->first_done = false;
	err = pthread_create(&rs->thread, NULL, sweeper, rs);
	if (err) {
		fl_errf(errbuf, len, "start the reset sweeper: %s", strerror(err));
		return -err;
	}
	rs->running = true;
	pthread_mutex_lock(&rs->lock);
	while (!rs->first_done)
		pthread_cond_wait(&rs->cond, &rs->lock);
	err = rs->first_err;
	if (err)
		fl_errf(errbuf, len, "reset: %s", rs->first_why);
	pthread_mutex_unlock(&rs->lock);
	if (err)
		fl_net_reset_stop(rs);
	return err;
}

void fl_net_reset_stop(struct net_reset *rs)
{
	if (!rs || !rs->running)
		return;
	pthread_mutex_lock(&rs->lock);
	rs->stop = true;
	pthread_cond_broadcast(&rs->cond);
	pthread_mutex_unlock(&rs->lock);
	pthread_join(rs->thread, NULL);
	rs->running = false;
}

void fl_net_reset_set_rules(struct net_reset *rs, const struct fl_net_rule *rules, size_t n)
{
	pthread_mutex_lock(&rs->lock);
	memcpy(rs->rules, rules, n * sizeof(*rules));
	pthread_mutex_unlock(&rs->lock);
}

void fl_net_reset_counters(struct net_reset *rs, size_t i, struct fl_net_counters *ret)
{
	pthread_mutex_lock(&rs->lock);
	*ret = rs->counters[i];
	pthread_mutex_unlock(&rs->lock);
}

void fl_net_reset_close(struct net_reset *rs)
{
	if (!rs)
		return;
	fl_net_reset_stop(rs);
	bpf_link__destroy(rs->iter);
	net_reset_bpf__destroy(rs->skel);
	pthread_cond_destroy(&rs->cond);
	pthread_mutex_destroy(&rs->lock);
	free(rs->pid_inodes);
	for (size_t i = 0; i < rs->n_pid_ns; i++)
		close(rs->pid_ns_fd[i]);
	free(rs);
}
