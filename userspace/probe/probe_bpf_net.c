// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probes for the cgroup and packet BPF mechanisms (bpf/probe_net.bpf.c).
 * Every probe runs in a forked child inside a fresh network namespace, so
 * its traffic to 127.0.0.1 reaches nothing real and its tc/XDP attachments
 * vanish with the namespace. The cgroup probes move that child into a
 * temporary cgroup, faultline-probe-<pid>, removed afterwards.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <faultline/cgroup.h>

#include "core/child.h"
#include "probe/probe_bpf_priv.h"
#include "probe_net.skel.h"

/* An experimental protocol number (RFC 3692): no real raw socket uses it. */
#define PROBE_RAW_PROTO 253
/* In the probe's own netns, so any port is free; the next one is the control. */
#define PROBE_PORT 9

enum net_kind { NET_CGROUP_SOCK, NET_CGROUP_SKB, NET_TC, NET_XDP };

struct net_arg {
	enum net_kind kind;
	const char *cgroup; /* cgroup probes: the temporary cgroup's path */
};

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return a;
}

/* Returns 0 or the errno the call failed with. */
static int try_connect(unsigned short port)
{
	struct sockaddr_in a = loopback(port);
	int fd, e = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		e = errno;
	close(fd);
	return e;
}

static int try_sendto(int fd, unsigned short port)
{
	struct sockaddr_in a = loopback(port);

	if (sendto(fd, "p", 1, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
		return errno;
	return 0;
}

static int try_udp_send(unsigned short port)
{
	int fd, e;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	e = try_sendto(fd, port);
	close(fd);
	return e;
}

static int try_raw_socket(void)
{
	int fd;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, PROBE_RAW_PROTO);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static const char *err_name(int e)
{
	return e ? strerror(e) : "success";
}

/* ---- cgroup sock_create / connect4 / sendmsg4 ---------------------------- */

static void set_cgroup_load_failure(struct fl_probe_result *r, int err, const char *what)
{
	if (fl_probe_bpf_helper_missing(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
					BPF_CGROUP_INET4_CONNECT, BPF_FUNC_set_retval))
		fl_probe_set(r, FL_PROBE_MISSING, EINVAL,
			     "%s: bpf_set_retval not available (kernel < 5.18): cgroup hooks can only fail calls with EPERM",
			     what);
	else
		fl_probe_bpf_load_failure(r, err, what);
}

static int attach_cgroup(struct fl_probe_result *r, struct bpf_program *prog, int cg_fd,
			 const char *what, struct bpf_link **ret)
{
	struct bpf_link *link;
	char step[96];

	link = bpf_program__attach_cgroup(prog, cg_fd);
	if (!link) {
		snprintf(step, sizeof(step), "attach %s", what);
		fl_probe_set_failure(r, -errno, step);
		return -1;
	}
	*ret = link;
	return 0;
}

static void judge_sock(struct fl_probe_result *r, int sock_e, int conn_e, int send_e,
		       int ctl_e)
{
	if (sock_e == EPFNOSUPPORT && conn_e == ENETUNREACH && send_e == EHOSTUNREACH &&
	    ctl_e == ECONNREFUSED)
		fl_probe_set(r, FL_PROBE_WORKS, 0,
			     "bpf_set_retval made socket() fail with EPFNOSUPPORT, connect() ENETUNREACH, sendto() EHOSTUNREACH");
	else
		fl_probe_set(r, FL_PROBE_REFUSED, ENODATA,
			     "hooks attached, but socket() gave %s, connect() %s, sendto() %s, control connect() %s",
			     err_name(sock_e), err_name(conn_e), err_name(send_e), err_name(ctl_e));
}

static int sock_probe(struct fl_probe_result *r, struct probe_net_bpf *skel, int cg_fd)
{
	struct bpf_link *links[3] = { NULL, NULL, NULL };
	int udp, send_e, err;

	fl_probe_bpf_autoload_none(skel->obj);
	bpf_program__set_autoload(skel->progs.fl_probe_sock, true);
	bpf_program__set_autoload(skel->progs.fl_probe_conn4, true);
	bpf_program__set_autoload(skel->progs.fl_probe_send4, true);
	err = probe_net_bpf__load(skel);
	if (err) {
		set_cgroup_load_failure(r, err, "load cgroup sock programs");
		return 0;
	}
	if (attach_cgroup(r, skel->progs.fl_probe_sock, cg_fd, "cgroup/sock_create", &links[0]) ||
	    attach_cgroup(r, skel->progs.fl_probe_conn4, cg_fd, "cgroup/connect4", &links[1]) ||
	    attach_cgroup(r, skel->progs.fl_probe_send4, cg_fd, "cgroup/sendmsg4", &links[2]))
		goto out;

	/* The UDP socket is made inside the cgroup, after the hooks. */
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (udp < 0) {
		fl_probe_set(r, FL_PROBE_REFUSED, errno, "socket(AF_INET, SOCK_DGRAM): %s",
			     strerror(errno));
		goto out;
	}
	send_e = try_sendto(udp, PROBE_PORT);
	close(udp);
	judge_sock(r, try_raw_socket(), try_connect(PROBE_PORT), send_e,
		   try_connect(PROBE_PORT + 1));
out:
	for (unsigned i = 0; i < 3; i++)
		bpf_link__destroy(links[i]);
	return 0;
}

/* ---- cgroup_skb egress --------------------------------------------------- */

static int skb_probe(struct fl_probe_result *r, struct probe_net_bpf *skel, int cg_fd)
{
	struct bpf_link *link = NULL;
	int drop_e, pass_e, err;

	fl_probe_bpf_autoload_none(skel->obj);
	bpf_program__set_autoload(skel->progs.fl_probe_skb, true);
	err = probe_net_bpf__load(skel);
	if (err) {
		fl_probe_bpf_load_failure(r, err, "load cgroup_skb/egress program");
		return 0;
	}
	if (attach_cgroup(r, skel->progs.fl_probe_skb, cg_fd, "cgroup_skb/egress", &link))
		return 0;

	drop_e = try_udp_send(PROBE_PORT);
	pass_e = try_udp_send(PROBE_PORT + 1);
	if (drop_e == EPERM && pass_e == 0 && skel->bss->hits == 1)
		fl_probe_set(r, FL_PROBE_WORKS, 0,
			     "egress drop: sendto(127.0.0.1:%d) failed with EPERM, 1 packet counted; port %d passed",
			     PROBE_PORT, PROBE_PORT + 1);
	else
		fl_probe_set(r, FL_PROBE_REFUSED, ENODATA,
			     "cgroup_skb/egress attached, but sendto() gave %s (control %s), %llu packets counted",
			     err_name(drop_e), err_name(pass_e),
			     (unsigned long long)skel->bss->hits);
	bpf_link__destroy(link);
	return 0;
}

static int cgroup_child(struct fl_probe_result *r, void *arg)
{
	const struct net_arg *a = arg;
	struct probe_net_bpf *skel = NULL;
	int cg_fd = -1, err;

	/* Sockets remember the cgroup they were made in: join first. */
	err = fl_cgroup_add_pid(a->cgroup, getpid());
	if (err < 0) {
		fl_probe_set(r, FL_PROBE_REFUSED, -err, "join cgroup %s: %s", a->cgroup,
			     strerror(-err));
		return 0;
	}
	cg_fd = open(a->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return -errno;
	skel = probe_net_bpf__open();
	if (!skel) {
		err = -errno;
		goto out;
	}
	skel->rodata->raw_proto = PROBE_RAW_PROTO;
	skel->rodata->deny_port = PROBE_PORT;
	if (a->kind == NET_CGROUP_SOCK)
		err = sock_probe(r, skel, cg_fd);
	else
		err = skb_probe(r, skel, cg_fd);
out:
	probe_net_bpf__destroy(skel);
	close(cg_fd);
	return err;
}

/* A cgroup can stay busy for a moment after its last task was reaped. */
static void remove_cgroup(const char *path)
{
	for (int i = 0; i < 100; i++) {
		if (fl_cgroup_remove(path) != -EBUSY)
			return;
		usleep(1000);
	}
}

static int probe_cgroup(enum net_kind kind, struct fl_probe_result *r)
{
	char name[64], path[PATH_MAX];
	struct net_arg a = { .kind = kind, .cgroup = path };
	int err;

	snprintf(name, sizeof(name), "faultline-probe-%d", (int)getpid());
	err = fl_cgroup_create(name, path, sizeof(path));
	if (err == -EEXIST) {
		/* Left by an earlier probe of ours that was killed: reuse is unsafe. */
		char root[PATH_MAX - 80];

		if (fl_cgroup2_root(root, sizeof(root)) == 0) {
			snprintf(path, sizeof(path), "%s/%s", root, name);
			remove_cgroup(path);
		}
		err = fl_cgroup_create(name, path, sizeof(path));
	}
	if (err == -ENOENT) {
		fl_probe_set(r, FL_PROBE_MISSING, ENOENT, "no cgroup2 hierarchy mounted");
		return 0;
	}
	if (err < 0) {
		char what[96];

		snprintf(what, sizeof(what), "create cgroup %s", name);
		fl_probe_set_failure(r, err, what);
		return 0;
	}
	err = fl_probe_bpf_in_child(cgroup_child, &a, FL_CHILD_NEWNET, r);
	remove_cgroup(path);
	return err;
}

int fl_probe_cgroup_sock(struct fl_probe_result *r)
{
	return probe_cgroup(NET_CGROUP_SOCK, r);
}

int fl_probe_cgroup_skb(struct fl_probe_result *r)
{
	return probe_cgroup(NET_CGROUP_SKB, r);
}

/* ---- tc clsact and XDP on lo ----------------------------------------------- */

static int bind_udp(unsigned short port)
{
	struct sockaddr_in a = loopback(port);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Did a datagram arrive within timeout_ms? */
static bool received(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT) >= 0;
}

/*
 * Send one datagram to the filtered port, then one to the control port.
 * Loopback delivers in order, so once the control datagram is in, the
 * filtered one was either dropped or is waiting too.
 */
static int filter_traffic(struct fl_probe_result *r, struct probe_net_bpf *skel,
			  const char *what)
{
	int rx_drop = -1, rx_pass = -1, err = 0;
	bool got_drop, got_pass;
	int send_e, ctl_e;

	rx_drop = bind_udp(PROBE_PORT);
	rx_pass = bind_udp(PROBE_PORT + 1);
	if (rx_drop < 0 || rx_pass < 0) {
		err = rx_drop < 0 ? rx_drop : rx_pass;
		goto out;
	}
	send_e = try_udp_send(PROBE_PORT);
	ctl_e = try_udp_send(PROBE_PORT + 1);
	got_pass = received(rx_pass, 500);
	got_drop = received(rx_drop, 0);
	if (!send_e && !ctl_e && got_pass && !got_drop && skel->bss->hits == 1)
		fl_probe_set(r, FL_PROBE_WORKS, 0,
			     "%s on lo dropped the UDP packet to 127.0.0.1:%d (1 counted); port %d passed",
			     what, PROBE_PORT, PROBE_PORT + 1);
	else
		fl_probe_set(r, FL_PROBE_REFUSED, ENODATA,
			     "%s attached, but %llu packets counted, filtered port %s, control port %s (send %s/%s)",
			     what, (unsigned long long)skel->bss->hits,
			     got_drop ? "received" : "silent", got_pass ? "received" : "silent",
			     err_name(send_e), err_name(ctl_e));
out:
	if (rx_drop >= 0)
		close(rx_drop);
	if (rx_pass >= 0)
		close(rx_pass);
	return err;
}

static int tc_probe(struct fl_probe_result *r, struct probe_net_bpf *skel, int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts);
	int err;

	bpf_program__set_autoload(skel->progs.fl_probe_tc, true);
	err = probe_net_bpf__load(skel);
	if (err) {
		fl_probe_bpf_load_failure(r, err, "load tc program");
		return 0;
	}
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		fl_probe_set_failure(r, err, "create clsact qdisc on lo");
		return 0;
	}
	opts.prog_fd = bpf_program__fd(skel->progs.fl_probe_tc);
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		fl_probe_set_failure(r, err, "attach tc ingress program on lo");
	else
		err = filter_traffic(r, skel, "tc clsact ingress");
	/* The netns dies with this child anyway; leave it tidy regardless. */
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
	return err < 0 && r->status == FL_PROBE_UNKNOWN ? err : 0;
}

static int xdp_probe(struct fl_probe_result *r, struct probe_net_bpf *skel, int ifindex)
{
	int err;

	bpf_program__set_autoload(skel->progs.fl_probe_xdp, true);
	err = probe_net_bpf__load(skel);
	if (err) {
		fl_probe_bpf_load_failure(r, err, "load XDP program");
		return 0;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.fl_probe_xdp),
			     XDP_FLAGS_SKB_MODE, NULL);
	if (err) {
		fl_probe_set_failure(r, err, "attach XDP (generic mode) on lo");
		return 0;
	}
	err = filter_traffic(r, skel, "XDP (generic mode)");
	bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	return err;
}

static int packet_child(struct fl_probe_result *r, void *arg)
{
	const struct net_arg *a = arg;
	struct probe_net_bpf *skel;
	int ifindex, err;

	ifindex = if_nametoindex("lo");
	if (!ifindex)
		return -errno;
	skel = probe_net_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->deny_port = PROBE_PORT;
	fl_probe_bpf_autoload_none(skel->obj);
	if (a->kind == NET_TC)
		err = tc_probe(r, skel, ifindex);
	else
		err = xdp_probe(r, skel, ifindex);
	probe_net_bpf__destroy(skel);
	return err;
}

int fl_probe_tc(struct fl_probe_result *r)
{
	struct net_arg a = { .kind = NET_TC };

	return fl_probe_bpf_in_child(packet_child, &a, FL_CHILD_NEWNET, r);
}

int fl_probe_xdp(struct fl_probe_result *r)
{
	struct net_arg a = { .kind = NET_XDP };

	return fl_probe_bpf_in_child(packet_child, &a, FL_CHILD_NEWNET, r);
}
