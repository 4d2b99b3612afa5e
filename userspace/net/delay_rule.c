// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The delay line's queue rules where the kernel lacks nft's native
 * `queue` (CONFIG_NFT_QUEUE; delay_nft.c where it has it): the xtables
 * NFQUEUE target through iptables-nft (nft_compat). iptables owns the rule syntax, so it runs as
 * a child inside the netns. Each rule is recorded in the core state
 * before it is installed: a SIGKILL between the two leaves a record whose
 * undo finds nothing, never a rule without a record.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <faultline/state.h>

#include "core/errbuf.h"
#include "core/netns.h"
#include "net/delay_priv.h"

#define DELAY_TABLE   "mangle"
#define DELAY_COMMENT "faultline-delay"


/* ---- building -------------------------------------------------------- */

struct argbuf {
	struct delay_rule *r;
	size_t n, used;
	bool full;
};

static void arg(struct argbuf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg(struct argbuf *a, const char *fmt, ...)
{
	size_t room = sizeof(a->r->buf) - a->used;
	va_list ap;
	int k;

	if (a->full || a->n + 1 >= DELAY_MAX_ARGS) {
		a->full = true;
		return;
	}
	va_start(ap, fmt);
	k = vsnprintf(a->r->buf + a->used, room, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= room) {
		a->full = true;
		return;
	}
	a->r->argv[a->n++] = a->r->buf + a->used;
	a->r->argv[a->n] = NULL;
	a->used += (size_t)k + 1;
}

static void cidr(struct argbuf *a, const char *opt, const struct fl_net_prefix *p)
{
	char s[INET6_ADDRSTRLEN];

	if (!p->family)
		return;
	if (!inet_ntop(p->family == FL_NET_IPV4 ? AF_INET : AF_INET6, p->addr, s, sizeof(s))) {
		a->full = true;
		return;
	}
	arg(a, "%s", opt);
	arg(a, "%s/%u", s, p->prefix_len);
}

static void ports(struct argbuf *a, const char *opt, const struct fl_port_range *p)
{
	if (!p->first && !p->last)
		return;
	arg(a, "%s", opt);
	if (p->first == p->last)
		arg(a, "%u", p->first);
	else
		arg(a, "%u:%u", p->first, p->last);
}

static int build_one(const struct fl_net_match *m, int family, const char *chain,
		     const char *proto, uint16_t num, const char *dev, const char *cgroup,
		     struct delay_rule *r)
{
	struct argbuf a = { .r = r };

	memset(r, 0, sizeof(*r));
	r->binary = family == FL_NET_IPV4 ? "iptables-nft" : "ip6tables-nft";
	arg(&a, "%s", chain);
	if (dev && *dev) {
		arg(&a, "%s", strcmp(chain, "OUTPUT") ? "-i" : "-o");
		arg(&a, "%s", dev);
	}
	if (proto) {
		arg(&a, "-p");
		arg(&a, "%s", proto);
	}
	if (cgroup && *cgroup) {
		/* The sending socket's cgroup (set when the socket was made). */
		arg(&a, "-m");
		arg(&a, "cgroup");
		arg(&a, "--path");
		arg(&a, "%s", cgroup);
	}
	cidr(&a, "-s", &m->src);
	cidr(&a, "-d", &m->dst);
	ports(&a, "--sport", &m->sport);
	ports(&a, "--dport", &m->dport);
	arg(&a, "-m");
	arg(&a, "comment");
	arg(&a, "--comment");
	arg(&a, DELAY_COMMENT);
	arg(&a, "-j");
	arg(&a, "NFQUEUE");
	arg(&a, "--queue-num");
	arg(&a, "%u", num);
	/* With no reader bound, the kernel accepts instead of dropping. */
	arg(&a, "--queue-bypass");
	return a.full ? -E2BIG : 0;
}

bool fl_delay_queues(const struct fl_net_match *m, char *errbuf, size_t errlen)
{
	if (m->protos & ~FL_NET_PROTO_PACKET || !(m->protos & FL_NET_PROTO_PACKET)) {
		fl_errf(errbuf, errlen, "the delay line queues packets: tcp, udp, icmp, ip, ip6 or any");
		return false;
	}
	return true;
}

int fl_delay_family_protos(const struct fl_net_match *m, int family, const char **protos,
			   size_t *ret_n, char *errbuf, size_t errlen)
{
	static const unsigned l4_bit[] = { FL_NET_PROTO_TCP, FL_NET_PROTO_UDP, FL_NET_PROTO_ICMP };
	unsigned all = FL_NET_PROTO_ANY | (family == FL_NET_IPV4 ? FL_NET_PROTO_IP : FL_NET_PROTO_IP6);
	bool has_ports = m->sport.first || m->sport.last || m->dport.first || m->dport.last;
	size_t n = 0;

	if (m->family && m->family != family) {
		*ret_n = 0;
		return 0;
	}
	if (m->protos & all) {
		if (has_ports) {
			fl_errf(errbuf, errlen, "sport=/dport= need tcp or udp");
			return -EINVAL;
		}
		protos[n++] = NULL;
	} else {
		for (size_t i = 0; i < 3; i++) {
			if (!(m->protos & l4_bit[i]))
				continue;
			if (i == 2 && has_ports) {
				fl_errf(errbuf, errlen, "sport=/dport= need tcp or udp, not icmp");
				return -EINVAL;
			}
			protos[n++] = i == 0 ? "tcp" : i == 1 ? "udp"
				: family == FL_NET_IPV4 ? "icmp" : "ipv6-icmp";
		}
	}
	*ret_n = n;
	return 0;
}

int fl_delay_rules_build(const struct fl_net_match *m, uint16_t num, const char *dev,
			 const char *cgroup, struct delay_rule *r,
		      size_t *ret_n, char *errbuf, size_t errlen)
{
	const char *chains[2];
	size_t n = 0, n_chains = 0;
	int err;

	if (!fl_delay_queues(m, errbuf, errlen))
		return -EINVAL;
	if (cgroup && *cgroup && m->dir != FL_NET_DIR_EGRESS) {
		/* INPUT sees a socket only after early demux: no honest cgroup match there. */
		fl_errf(errbuf, errlen, "a cgroup's packets are matched on egress only (OUTPUT -m cgroup): give dir=egress");
		return -EINVAL;
	}
	if (m->dir != FL_NET_DIR_INGRESS)
		chains[n_chains++] = "OUTPUT";
	if (m->dir != FL_NET_DIR_EGRESS)
		chains[n_chains++] = "INPUT";

	for (int f = 0; f < 2; f++) {
		int family = f == 0 ? FL_NET_IPV4 : FL_NET_IPV6;
		const char *protos[FL_DELAY_MAX_PROTOS];
		size_t n_protos;

		err = fl_delay_family_protos(m, family, protos, &n_protos, errbuf, errlen);
		if (err)
			return err;
		for (size_t c = 0; c < n_chains; c++) {
			for (size_t p = 0; p < n_protos; p++) {
				if (n >= DELAY_MAX_RULES)
					return -E2BIG;
				err = build_one(m, family, chains[c], protos[p], num, dev, cgroup, &r[n]);
				if (err) {
					fl_errf(errbuf, errlen, "the queue rule is too long");
					return err;
				}
				n++;
			}
		}
	}
	if (!n) {
		fl_errf(errbuf, errlen, "the match selects no IPv4 or IPv6 packet");
		return -EINVAL;
	}
	*ret_n = n;
	return 0;
}

/* ---- running iptables ------------------------------------------------ */

/*
 * BINARY -w 5 -t mangle OP RULE... inside netns; its first stderr line
 * goes into msg. The exit status, or -errno.
 */
static int run_iptables(const struct delay_rule *r, const char *op, const char *netns,
			char *msg, size_t msg_len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	char *argv[DELAY_MAX_ARGS + 8];
	size_t n = 0, used = 0;
	int pfd[2], status;
	pid_t pid;

	argv[n++] = (char *)r->binary;
	argv[n++] = "-w";
	argv[n++] = "5";
	argv[n++] = "-t";
	argv[n++] = DELAY_TABLE;
	argv[n++] = (char *)op;
	for (size_t i = 0; r->argv[i]; i++)
		argv[n++] = r->argv[i];
	argv[n] = NULL;

	msg[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		int saved, nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		char path[PATH_MAX];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (nul >= 0) {
			dup2(nul, STDIN_FILENO);
			dup2(nul, STDOUT_FILENO);
		}
		dup2(pfd[1], STDERR_FILENO);
		if (fl_netns_enter(netns, &saved))
			_exit(126);
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], r->binary);
			execv(path, argv);
		}
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char buf[256];
		ssize_t k = read(pfd[0], buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (used + 1 < msg_len) {
			size_t take = (size_t)k < msg_len - 1 - used ? (size_t)k : msg_len - 1 - used;

			memcpy(msg + used, buf, take);
			used += take;
			msg[used] = '\0';
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	msg[strcspn(msg, "\n")] = '\0';
	if (!WIFEXITED(status))
		return -EINTR;
	return WEXITSTATUS(status);
}

static void describe(const struct delay_rule *r, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s -t %s -A", r->binary, DELAY_TABLE);

	for (size_t i = 0; r->argv[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " %s", r->argv[i]);
}

int fl_delay_rules_install(struct delay_rule *r, size_t n, const char *netns,
			struct fl_state *st, char *errbuf, size_t errlen)
{
	char msg[256], what[512];
	int err = 0, rc;

	for (size_t i = 0; i < n; i++) {
		err = fl_state_record_iptables(st, netns, r[i].binary, DELAY_TABLE,
					       (const char *const *)r[i].argv, &r[i].rec);
		if (err) {
			fl_errf(errbuf, errlen, "record the queue rule: %s", strerror(-err));
			goto fail;
		}
		rc = run_iptables(&r[i], "-A", netns, msg, sizeof(msg));
		if (rc != 0) {
			describe(&r[i], what, sizeof(what));
			if (rc < 0)
				fl_errf(errbuf, errlen, "%s: %s", what, strerror(-rc));
			else if (rc == 127)
				fl_errf(errbuf, errlen, "%s not found in /usr/sbin, /sbin, /usr/bin or /bin "
				    "(it comes with iptables 1.8+)", r[i].binary);
			else if (rc == 126)
				fl_errf(errbuf, errlen, "%s: cannot enter netns %s", what, netns);
			else
				fl_errf(errbuf, errlen, "%s: exit %d: %s", what, rc, msg);
			err = rc < 0 ? rc : -EPROTO;
			goto fail;
		}
		r[i].installed = true;
	}
	return 0;
fail:
	fl_delay_rules_remove(r, n, netns, st, NULL, 0);
	return err;
}

int fl_delay_rules_remove(struct delay_rule *r, size_t n, const char *netns,
		       struct fl_state *st, char *errbuf, size_t errlen)
{
	char msg[256], what[512];
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		int rc = 0;

		if (r[i].installed) {
			/* 1: no such rule any more (someone removed it): gone is fine. */
			rc = run_iptables(&r[i], "-D", netns, msg, sizeof(msg));
			if (rc != 0 && rc != 1) {
				describe(&r[i], what, sizeof(what));
				if (!first) {
					fl_errf(errbuf, errlen, "remove %s: %s", what,
					    rc < 0 ? strerror(-rc) : msg);
					first = rc < 0 ? rc : -EIO;
				}
				continue; /* keep its record for `faultline cleanup` */
			}
			r[i].installed = false;
		}
		if (r[i].rec) {
			fl_state_forget(st, r[i].rec);
			r[i].rec = 0;
		}
	}
	return first;
}
