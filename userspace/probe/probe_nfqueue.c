// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NFQUEUE probe: inside a scratch network namespace, an iptables rule
 * queues one UDP packet to userspace; we hold it, accept it and see it
 * arrive. That is exactly the delay line used where netem is missing.
 * The rule and the queue die with the namespace.
 *
 * nft-queue is the same proof with nftables' native `queue` statement
 * (CONFIG_NFT_QUEUE) in a table of its own, added through libnftables:
 * the delay line's rules where the kernel has it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/queue.h>
#include <netlink/netfilter/queue_msg.h>

#include "core/child.h"
#include "core/nft.h"
#include "probe/probe_internal.h"
#include "probe/probe_nl.h"

#define NFQ_TIMEOUT_MS   4000 /* whole child, iptables included */
#define NFQ_STEP_MS      1000
#define NFQ_TOOL_MS      1500 /* iptables waits up to 1 s for the xtables lock */
#define NFQ_HOLD_MS      10
#define NFQ_QUEUE_NUM    4242
#define NFQ_MARKER       "faultline-nfqueue-probe"
#define NFQ_NFT_TABLE    "faultline_probe"

enum nfq_stage {
	NQ_OK = 0,
	NQ_IPTABLES_MISSING,
	NQ_RULE,
	NQ_NFT_RULE,
	NQ_SOCKET,
	NQ_NFNL,
	NQ_QUEUE,
	NQ_SEND,
	NQ_RECV_QUEUE,
	NQ_HELD,
	NQ_VERDICT,
	NQ_DELIVER,
};

static const char *const stage_names[] = {
	[NQ_OK]               = "ok",
	[NQ_IPTABLES_MISSING] = "find iptables",
	[NQ_RULE]             = "install an NFQUEUE rule",
	[NQ_NFT_RULE]         = "add an nft queue rule",
	[NQ_SOCKET]           = "open a UDP socket",
	[NQ_NFNL]             = "open a netfilter netlink socket",
	[NQ_QUEUE]            = "bind an nfnetlink queue",
	[NQ_SEND]             = "send a UDP packet",
	[NQ_RECV_QUEUE]       = "receive the packet from the queue",
	[NQ_HELD]             = "hold the packet",
	[NQ_VERDICT]          = "issue an NF_ACCEPT verdict",
	[NQ_DELIVER]          = "receive the accepted packet",
};

struct nfq_shared {
	int stage;
	int err;
	char tool[32];       /* the iptables flavour that installed the rule */
	char msg[160];       /* iptables' or the kernel's own words */
	long long held_ns;   /* from send to delivery */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/* ---- iptables --------------------------------------------------------- */

static bool find_tool(const char *name, char *path, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Run argv, keep the first line of its stderr in out. Returns its exit code,
 * or -errno. It runs in our netns, so its rules land there too.
 */
static int run_tool(char *const argv[], char *out, size_t out_len)
{
	long long deadline = now_ns() + NFQ_TOOL_MS * 1000000LL;
	size_t used = 0;
	int pfd[2], status = 0, err = 0;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		dup2(pfd[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		long long left = (deadline - now_ns()) / 1000000;
		char buf[256];
		ssize_t n;

		if (left <= 0 || wait_readable(pfd[0], (int)left) < 0) {
			err = -ETIMEDOUT;
			kill(pid, SIGKILL);
			break;
		}
		n = read(pfd[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		if (used + 1 < out_len) {
			size_t take = (size_t)n < out_len - 1 - used ? (size_t)n : out_len - 1 - used;

			memcpy(out + used, buf, take);
			used += take;
			out[used] = '\0';
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out[strcspn(out, "\n")] = '\0';
	if (err < 0)
		return err;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int nfq_rule(const char *tool, const char *op, int port, char *out, size_t out_len)
{
	char portstr[16], queuestr[16];
	char *const argv[] = {
		(char *)tool, "-w", "1", "-t", "mangle", (char *)op, "OUTPUT",
		"-p", "udp", "-d", "127.0.0.1", "--dport", portstr,
		"-j", "NFQUEUE", "--queue-num", queuestr, NULL,
	};

	snprintf(portstr, sizeof(portstr), "%d", port);
	snprintf(queuestr, sizeof(queuestr), "%d", NFQ_QUEUE_NUM);
	return run_tool(argv, out, out_len);
}

/* Prefer the nft backend (what current distributions default to), then legacy. */
static int install_rule(int port, struct nfq_shared *sh, char *tool, size_t tool_len)
{
	static const char *const names[] = { "iptables-nft", "iptables-legacy", "iptables" };
	char first_msg[sizeof(sh->msg)] = "";
	bool any = false;
	int rc = -ENOENT;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!find_tool(names[i], tool, tool_len))
			continue;
		any = true;
		rc = nfq_rule(tool, "-A", port, sh->msg, sizeof(sh->msg));
		if (rc == 0) {
			snprintf(sh->tool, sizeof(sh->tool), "%s", names[i]);
			return 0;
		}
		/* A message cut short still names the cause. */
		if (!first_msg[0] &&
		    snprintf(first_msg, sizeof(first_msg), "%s: %s", names[i], sh->msg) < 0)
			first_msg[0] = '\0';
	}
	if (!any) {
		sh->stage = NQ_IPTABLES_MISSING;
		return -ENOENT;
	}
	/* Report the preferred backend's words; the others failed too. */
	snprintf(sh->msg, sizeof(sh->msg), "%s", first_msg);
	return rc < 0 ? rc : -EPROTO;
}

/* The native statement, in a table of our own: one transaction, all or nothing. */
static int nft_queue_rule(int port, struct nfq_shared *sh)
{
	char cmd[512];
	int err;

	snprintf(cmd, sizeof(cmd),
		 "add table inet " NFQ_NFT_TABLE "\n"
		 "add chain inet " NFQ_NFT_TABLE " output { type filter hook output priority -150; }\n"
		 "add rule inet " NFQ_NFT_TABLE " output ip daddr 127.0.0.1 udp dport %d queue num %d\n",
		 port, NFQ_QUEUE_NUM);
	err = fl_nft_run(NULL, cmd, NULL, 0, sh->msg, sizeof(sh->msg));
	if (err)
		return err;
	snprintf(sh->tool, sizeof(sh->tool), "nft (libnftables)");
	return 0;
}

/* ---- the queue -------------------------------------------------------- */

static int queue_bind(struct nl_sock *sk, struct nfnl_queue **ret, struct nfq_shared *sh)
{
	struct nfnl_queue *q;
	struct nl_msg *msg;
	int err;

	/* Kernels before 3.8 need the family bound; later ones ignore it. */
	if (nfnl_queue_build_pf_unbind(AF_INET, &msg) == 0)
		fl_nl_request(sk, msg, NFQ_STEP_MS, NULL, 0);
	if (nfnl_queue_build_pf_bind(AF_INET, &msg) == 0)
		fl_nl_request(sk, msg, NFQ_STEP_MS, NULL, 0);

	q = nfnl_queue_alloc();
	if (!q)
		return -ENOMEM;
	nfnl_queue_set_group(q, NFQ_QUEUE_NUM);
	nfnl_queue_set_copy_mode(q, NFNL_QUEUE_COPY_PACKET);
	nfnl_queue_set_copy_range(q, 0xffff);
	err = nfnl_queue_build_create_request(q, &msg);
	if (err < 0) {
		err = fl_nl_errno(err);
		goto fail;
	}
	err = fl_nl_request(sk, msg, NFQ_STEP_MS, sh->msg, sizeof(sh->msg));
	if (err < 0)
		goto fail;
	*ret = q;
	return 0;
fail:
	nfnl_queue_put(q);
	return err;
}

/* Wait for our packet on the queue; ret gets its parsed message. */
static int queue_receive(struct nl_sock *sk, struct nfnl_queue_msg **ret)
{
	long long deadline = now_ns() + NFQ_STEP_MS * 1000000LL;
	int fd = nl_socket_get_fd(sk);

	for (;;) {
		long long left = (deadline - now_ns()) / 1000000;
		unsigned char *buf = NULL;
		struct sockaddr_nl who;
		struct nlmsghdr *h;
		int n, err;

		if (left <= 0)
			return -ETIMEDOUT;
		err = wait_readable(fd, (int)left);
		if (err < 0)
			return err;
		n = nl_recv(sk, &who, &buf, NULL);
		if (n < 0)
			return fl_nl_errno(n);
		for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, n); h = nlmsg_next(h, &n)) {
			struct nfnl_queue_msg *m = NULL;
			const void *payload;
			int len = 0;

			if (h->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
				continue;
			if (nfnlmsg_queue_msg_parse(h, &m) < 0)
				continue;
			payload = nfnl_queue_msg_get_payload(m, &len);
			if (nfnl_queue_msg_get_group(m) == NFQ_QUEUE_NUM && payload &&
			    memmem(payload, len, NFQ_MARKER, strlen(NFQ_MARKER))) {
				free(buf);
				*ret = m;
				return 0;
			}
			nfnl_queue_msg_put(m);
		}
		free(buf);
	}
}

static int nfq_child(void *shared, void *arg)
{
	bool native = *(const bool *)arg;
	struct nfq_shared *sh = shared;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	struct nfnl_queue_msg *qmsg = NULL;
	struct nfnl_queue *queue = NULL;
	struct nl_sock *sk = NULL;
	struct nl_msg *msg;
	char tool[256], payload[64], got[64];
	int rx = -1, tx = -1, port, len, err;
	long long sent;
	ssize_t n;

	sh->stage = NQ_SOCKET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(rx, (struct sockaddr *)&addr, &alen) < 0) {
		err = -errno;
		goto out;
	}
	port = ntohs(addr.sin_port);

	/* Bind the queue first: a queued packet with no listener is dropped. */
	sh->stage = NQ_NFNL;
	err = fl_nl_open(NETLINK_NETFILTER, &sk);
	if (err < 0)
		goto out;
	sh->stage = NQ_QUEUE;
	err = queue_bind(sk, &queue, sh);
	if (err < 0)
		goto out;

	sh->stage = native ? NQ_NFT_RULE : NQ_RULE;
	err = native ? nft_queue_rule(port, sh) : install_rule(port, sh, tool, sizeof(tool));
	if (err < 0)
		goto out;
	sh->msg[0] = '\0';

	sh->stage = NQ_SEND;
	len = snprintf(payload, sizeof(payload), "%s %d", NFQ_MARKER, (int)getpid());
	sent = now_ns();
	if (sendto(tx, payload, len, 0, (struct sockaddr *)&addr, sizeof(addr)) != len) {
		err = -errno;
		goto out;
	}

	sh->stage = NQ_RECV_QUEUE;
	err = queue_receive(sk, &qmsg);
	if (err < 0)
		goto out;

	/* While we hold it, the receiver must see nothing. */
	sh->stage = NQ_HELD;
	err = wait_readable(rx, NFQ_HOLD_MS);
	if (err == 0) {
		err = -EPROTO;
		goto out;
	}
	if (err != -ETIMEDOUT)
		goto out;

	sh->stage = NQ_VERDICT;
	nfnl_queue_msg_set_verdict(qmsg, NF_ACCEPT);
	msg = nfnl_queue_msg_build_verdict(qmsg);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = fl_nl_request(sk, msg, NFQ_STEP_MS, sh->msg, sizeof(sh->msg));
	if (err < 0)
		goto out;

	sh->stage = NQ_DELIVER;
	err = wait_readable(rx, NFQ_STEP_MS);
	if (err < 0)
		goto out;
	n = recv(rx, got, sizeof(got), 0);
	if (n != len || memcmp(got, payload, len) != 0) {
		err = n < 0 ? -errno : -EPROTO;
		goto out;
	}
	sh->held_ns = now_ns() - sent;
	sh->stage = NQ_OK;

	/* The netns takes all of this with it; undo it anyway, quietly. */
	if (native)
		fl_nft_run(NULL, "delete table inet " NFQ_NFT_TABLE, NULL, 0, NULL, 0);
	else
		nfq_rule(tool, "-D", port, got, sizeof(got));
	if (nfnl_queue_build_delete_request(queue, &msg) == 0)
		fl_nl_request(sk, msg, NFQ_STEP_MS, NULL, 0);
	err = 0;
out:
	sh->err = -err;
	if (qmsg)
		nfnl_queue_msg_put(qmsg);
	if (queue)
		nfnl_queue_put(queue);
	nl_socket_free(sk);
	if (rx >= 0)
		close(rx);
	if (tx >= 0)
		close(tx);
	return 0;
}

/* iptables' words for "this kernel lacks the table, target or module". */
static bool says_missing(const char *msg)
{
	static const char *const hints[] = {
		"No chain/target/match", "Couldn't load", "not supported", "does not exist",
		"can't initialize", "missing kernel module", "Protocol not supported",
		"No such file or directory",
	};

	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		if (strstr(msg, hints[i]))
			return true;
	}
	return false;
}

static int probe_queue(struct fl_probe_result *r, bool native)
{
	struct nfq_shared sh = { 0 };
	char what[256];
	int err, status = 0;

	err = fl_child_run(nfq_child, &native, FL_CHILD_NEWNET, NFQ_TIMEOUT_MS, &sh, sizeof(sh),
			   &status);
	if (err == -ETIMEDOUT) {
		fl_probe_set(r, FL_PROBE_REFUSED, ETIMEDOUT, "%s: no answer within %d ms",
			     stage_names[sh.stage], NFQ_TIMEOUT_MS);
		return 0;
	}
	if (err < 0)
		return err;
	if (status < 0) {
		fl_probe_set_failure(r, status, "create a scratch network namespace");
		return 0;
	}

	switch (sh.stage) {
	case NQ_OK:
		fl_probe_set(r, FL_PROBE_WORKS, 0,
			     "%s %s rule queued a UDP packet; held %d ms in userspace, accepted, delivered after %.1f ms",
			     sh.tool, native ? "queue" : "NFQUEUE", NFQ_HOLD_MS, sh.held_ns / 1e6);
		return 0;
	case NQ_NFT_RULE:
		/* ENOENT: the kernel has no "queue" expression (nft_queue not built or loadable). */
		if (sh.err == EPROTO)
			fl_probe_set(r, says_missing(sh.msg) ? FL_PROBE_MISSING : FL_PROBE_REFUSED,
				     EPROTO, "nft queue statement refused (CONFIG_NFT_QUEUE, module nft_queue): %s",
				     sh.msg);
		else
			fl_probe_set_failure(r, sh.err, "run libnftables");
		return 0;
	case NQ_IPTABLES_MISSING:
		fl_probe_set(r, FL_PROBE_MISSING, ENOENT,
			     "iptables not installed (iptables-nft or iptables-legacy)");
		return 0;
	case NQ_RULE:
		if (sh.err == EPROTO)
			fl_probe_set(r, says_missing(sh.msg) ? FL_PROBE_MISSING : FL_PROBE_REFUSED,
				     EPROTO, "NFQUEUE rule refused: %s", sh.msg);
		else
			fl_probe_set_failure(r, sh.err, "run iptables");
		return 0;
	case NQ_NFNL:
		if (sh.err == EPROTONOSUPPORT) {
			fl_probe_set(r, FL_PROBE_MISSING, sh.err,
				     "no netfilter netlink (CONFIG_NETFILTER_NETLINK)");
			return 0;
		}
		break;
	case NQ_QUEUE:
		if (sh.err == EOPNOTSUPP || sh.err == ENOENT) {
			fl_probe_set(r, FL_PROBE_MISSING, sh.err,
				     "nfnetlink_queue not available (CONFIG_NETFILTER_NETLINK_QUEUE)%s%s",
				     sh.msg[0] ? ": kernel says: " : "", sh.msg);
			return 0;
		}
		break;
	case NQ_RECV_QUEUE:
		if (sh.err == ETIMEDOUT) {
			fl_probe_set(r, FL_PROBE_REFUSED, ETIMEDOUT,
				     "%s rule installed but no packet reached queue %d",
				     sh.tool, NFQ_QUEUE_NUM);
			return 0;
		}
		break;
	case NQ_HELD:
		if (sh.err == EPROTO) {
			fl_probe_set(r, FL_PROBE_REFUSED, EPROTO,
				     "the packet arrived while it was held in the queue");
			return 0;
		}
		break;
	case NQ_DELIVER:
		fl_probe_set(r, FL_PROBE_REFUSED, sh.err,
			     "packet accepted from the queue but not delivered: %s",
			     strerror(sh.err));
		return 0;
	default:
		break;
	}
	snprintf(what, sizeof(what), "%s%s%s", stage_names[sh.stage],
		 sh.msg[0] ? ", kernel says: " : "", sh.msg);
	fl_probe_set_failure(r, sh.err, what);
	return 0;
}

int fl_probe_nfqueue(struct fl_probe_result *r)
{
	return probe_queue(r, false);
}

int fl_probe_nft_queue(struct fl_probe_result *r)
{
	return probe_queue(r, true);
}
