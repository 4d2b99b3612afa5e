// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The delay line's queue rules with nftables' native `queue` statement
 * (CONFIG_NFT_QUEUE), where the probe found it: one table of the line's
 * own (inet, so both families), with an output and an input base chain at
 * mangle's priority, installed in one transaction through libnftables and
 * removed with one `delete table`. The table is recorded in the core
 * state before it is added, so the watchdog or `faultline cleanup`
 * deletes it after a SIGKILL. Each rule says `bypass`: with no reader
 * bound, the kernel accepts instead of dropping.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <faultline/state.h>

#include "core/errbuf.h"
#include "core/strbuf.h"
#include "core/nft.h"
#include "net/delay_priv.h"

#define NFT_CGROUP_MOUNT "/sys/fs/cgroup" /* where nft resolves `socket cgroupv2` paths */

static void cidr(struct fl_strbuf *s, int family, const char *dir, const struct fl_net_prefix *p)
{
	char a[INET6_ADDRSTRLEN];

	if (!p->family)
		return;
	if (!inet_ntop(p->family == FL_NET_IPV4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a))) {
		s->overflow = true;
		return;
	}
	fl_strbuf_put(s, " %s %s %s/%u", family == FL_NET_IPV4 ? "ip" : "ip6", dir, a, p->prefix_len);
}

static void ports(struct fl_strbuf *s, const char *l4, const char *dir, const struct fl_port_range *p)
{
	if (!p->first && !p->last)
		return;
	if (p->first == p->last)
		fl_strbuf_put(s, " %s %s %u", l4, dir, p->first);
	else
		fl_strbuf_put(s, " %s %s %u-%u", l4, dir, p->first, p->last);
}

/*
 * cgroup ("/db", relative to the cgroup2 root) as `socket cgroupv2` takes
 * it: nft resolves the string below /sys/fs/cgroup, and the kernel
 * compares the socket's ancestor at level (the path's depth).
 */
static int cgroup_arg(const char *cgroup, const char *cg_root, char *buf, size_t len,
		      unsigned *level)
{
	size_t mount = strlen(NFT_CGROUP_MOUNT);
	const char *below;
	unsigned n = 0;

	if (strncmp(cg_root, NFT_CGROUP_MOUNT, mount) ||
	    (cg_root[mount] && cg_root[mount] != '/'))
		return -EOPNOTSUPP;
	below = cg_root + mount;
	for (const char *p = cgroup; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			n++;
	if (!n || strchr(cgroup, '"') || strchr(cgroup, '\\'))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s%s", *below ? below + 1 : "",
			     *below ? cgroup : cgroup + 1) >= len)
		return -E2BIG;
	*level = n;
	return 0;
}

int fl_delay_nft_build(const struct fl_net_match *m, uint16_t num, const char *dev,
		       const char *cgroup, const char *cg_root, struct delay_nft *t,
		       char *errbuf, size_t errlen)
{
	struct fl_strbuf s = { .buf = t->script, .len = sizeof(t->script) };
	const char *chains[2];
	char cg[512] = "";
	unsigned level = 0;
	size_t n = 0, n_chains = 0;
	int err;

	memset(t, 0, sizeof(*t));
	if (!fl_delay_queues(m, errbuf, errlen))
		return -EINVAL;
	if (cgroup && *cgroup) {
		if (m->dir != FL_NET_DIR_EGRESS) {
			fl_errf(errbuf, errlen, "a cgroup's packets are matched on egress only (socket cgroupv2 on output): give dir=egress");
			return -EINVAL;
		}
		err = cgroup_arg(cgroup, cg_root ? cg_root : "", cg, sizeof(cg), &level);
		if (err) {
			fl_errf(errbuf, errlen, err == -EOPNOTSUPP ?
				"nft resolves socket cgroupv2 paths below " NFT_CGROUP_MOUNT ", and the cgroup2 hierarchy is at %s" :
				"cgroup path %s cannot go into an nft rule", err == -EOPNOTSUPP ? cg_root : cgroup);
			return err;
		}
	}
	snprintf(t->table, sizeof(t->table), "faultline_delay_%d_%u", (int)getpid(), num);
	if (m->dir != FL_NET_DIR_INGRESS)
		chains[n_chains++] = "output";
	if (m->dir != FL_NET_DIR_EGRESS)
		chains[n_chains++] = "input";
	fl_strbuf_put(&s, "add table inet %s\n", t->table);
	/* mangle's priority, as the iptables rules: before filter sees the packet */
	for (size_t c = 0; c < n_chains; c++)
		fl_strbuf_put(&s, "add chain inet %s %s { type filter hook %s priority -150; policy accept; }\n",
		    t->table, chains[c], chains[c]);

	for (int f = 0; f < 2; f++) {
		int family = f == 0 ? FL_NET_IPV4 : FL_NET_IPV6;
		const char *protos[FL_DELAY_MAX_PROTOS];
		size_t n_protos;

		err = fl_delay_family_protos(m, family, protos, &n_protos, errbuf, errlen);
		if (err)
			return err;
		for (size_t c = 0; c < n_chains; c++) {
			for (size_t p = 0; p < n_protos; p++) {
				const char *l4 = protos[p];

				fl_strbuf_put(&s, "add rule inet %s %s", t->table, chains[c]);
				if (dev && *dev)
					fl_strbuf_put(&s, " %s \"%s\"",
					    strcmp(chains[c], "output") ? "iifname" : "oifname", dev);
				fl_strbuf_put(&s, " meta nfproto %s", family == FL_NET_IPV4 ? "ipv4" : "ipv6");
				if (l4)
					fl_strbuf_put(&s, " meta l4proto %s", l4);
				if (*cg)
					fl_strbuf_put(&s, " socket cgroupv2 level %u \"%s\"", level, cg);
				cidr(&s, family, "saddr", &m->src);
				cidr(&s, family, "daddr", &m->dst);
				if (l4 && (!strcmp(l4, "tcp") || !strcmp(l4, "udp"))) {
					ports(&s, l4, "sport", &m->sport);
					ports(&s, l4, "dport", &m->dport);
				}
				fl_strbuf_put(&s, " queue num %u bypass\n", num);
				n++;
			}
		}
	}
	if (!n) {
		fl_errf(errbuf, errlen, "the match selects no IPv4 or IPv6 packet");
		return -EINVAL;
	}
	if (s.overflow) {
		fl_errf(errbuf, errlen, "the queue rules are too long");
		return -E2BIG;
	}
	t->n_rules = n;
	return 0;
}

int fl_delay_nft_install(struct delay_nft *t, const char *netns, struct fl_state *st,
			 char *errbuf, size_t errlen)
{
	char msg[256];
	int err;

	err = fl_state_record_nft_table(st, netns, "inet", t->table, &t->rec);
	if (err) {
		fl_errf(errbuf, errlen, "record the nft table %s: %s", t->table, strerror(-err));
		return err;
	}
	err = fl_nft_run(netns, t->script, NULL, 0, msg, sizeof(msg));
	if (err) {
		fl_errf(errbuf, errlen, "nft table inet %s%s%s: %s", t->table,
			netns && *netns ? " in netns " : "", netns ? netns : "",
			err == -EPROTO ? msg : strerror(-err));
		/* One transaction: nothing of it was added. */
		fl_delay_nft_remove(t, netns, st, NULL, 0);
		return err;
	}
	t->installed = true;
	return 0;
}

int fl_delay_nft_remove(struct delay_nft *t, const char *netns, struct fl_state *st,
			char *errbuf, size_t errlen)
{
	char cmd[192], msg[256];
	int err;

	if (t->installed) {
		/* add first, in the same transaction: a table someone deleted is gone, not an error */
		snprintf(cmd, sizeof(cmd), "add table inet %s\ndelete table inet %s\n", t->table,
			 t->table);
		err = fl_nft_run(netns, cmd, NULL, 0, msg, sizeof(msg));
		if (err) {
			fl_errf(errbuf, errlen, "delete nft table inet %s: %s", t->table,
				err == -EPROTO ? msg : strerror(-err));
			return err; /* its record stays for `faultline cleanup` */
		}
		t->installed = false;
	}
	if (t->rec) {
		fl_state_forget(st, t->rec);
		t->rec = 0;
	}
	return 0;
}
