// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The NFQUEUE delay line (see <faultline/net_delay.h>). One thread reads
 * the queue through libnl-nf (copy mode META: only the packet id comes up,
 * the payload stays in the kernel; with an event ring, the first bytes of
 * each packet too, for the headers of its event), holds each packet in a min-heap keyed
 * by its release time, and sleeps in poll() until the queue has more or
 * one timerfd says the earliest is due: one wake-up per batch, never a
 * sleep per packet.
 * Verdicts go without an ack request, so a verdict costs one send.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/queue.h>
#include <netlink/netfilter/queue_msg.h>

#include <faultline/cgroup.h>
#include <faultline/net_delay.h>
#include <faultline/probe.h>
#include <faultline/state.h>

#include "core/errbuf.h"
#include "core/netns.h"
#include "net/delay_priv.h"
#include "probe/probe_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NL_STEP_MS     2000
#define RECV_BATCH     64          /* queue messages read per wake-up before releasing */
#define SOCK_RCVBUF    (4 << 20)
#define EVENT_COPY     80          /* an IPv4 (up to 60) or IPv6 (40) header and the ports */

struct fl_net_delay {
	char netns[256];
	struct fl_net_delay_params p;
	struct fl_state *st;
	bool own_state;
	struct delay_rule rules[DELAY_MAX_RULES];
	size_t n_rules;
	enum fl_mechanism mech;          /* FL_MECH_NFT_QUEUE: nft below; else the rules above */
	struct delay_nft nft;

	struct nl_sock *sk;
	struct nfnl_queue *queue;
	struct nfnl_queue_msg *verdict;  /* reused: id and family set per packet */
	int wake_fd;                     /* eventfd: stop steps */
	int timer_fd;                    /* timerfd: the earliest release */
	uint64_t armed_ns;               /* what timer_fd is set to, 0 = disarmed */
	pthread_t thread;
	bool thread_started;
	clockid_t cpu_clock;
	atomic_bool passthrough;         /* accept at once, held ones included */
	atomic_bool quit;

	/* The thread's own. */
	struct delay_heap heap;
	uint64_t rng, seq;

	atomic_uint_fast64_t queued, delayed, reordered, overflowed, held, verdict_errors;
	atomic_uint_fast64_t cpu_ns;
};

static atomic_uint next_num;

/* 32768..65535, from the pid and a per-process count: distinct lines, distinct queues. */
static uint16_t pick_num(void)
{
	return (uint16_t)(0x8000 | (((unsigned)getpid() * 16 + atomic_fetch_add(&next_num, 1)) & 0x7fff));
}


static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* splitmix64: tiny, seedable, and good enough for uniform draws. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t hold_for(struct fl_net_delay *d)
{
	uint64_t j = d->p.jitter_ns, r;
	int64_t off;

	if (!j)
		return d->p.delay_ns;
	r = rng_next(&d->rng) % (2 * j + 1);
	off = (int64_t)r - (int64_t)j;
	if (off < 0 && (uint64_t)-off >= d->p.delay_ns)
		return 0;
	return (uint64_t)((int64_t)d->p.delay_ns + off);
}

static void verdict(struct fl_net_delay *d, uint32_t id, uint8_t family)
{
	int err;

	nfnl_queue_msg_set_packetid(d->verdict, id);
	nfnl_queue_msg_set_family(d->verdict, family);
	err = nfnl_queue_msg_send_verdict(d->sk, d->verdict);
	if (err < 0)
		atomic_fetch_add(&d->verdict_errors, 1);
}

static void release_due(struct fl_net_delay *d, uint64_t now, bool all)
{
	const struct delay_pkt *top;

	while ((top = fl_delay_heap_top(&d->heap)) && (all || top->at_ns <= now)) {
		verdict(d, top->id, top->family);
		fl_delay_heap_pop(&d->heap);
		atomic_fetch_add(&d->delayed, 1);
		atomic_fetch_sub(&d->held, 1);
	}
}

/*
 * The packet id and family, read in place: no object allocated per packet.
 * tb keeps the attributes (the payload's headers, the devices) for an event.
 */
static int packet_of(struct nlmsghdr *h, struct delay_pkt *pkt, struct nlattr **tb,
		     uint8_t *hook)
{
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nfgenmsg *g;

	if (nlmsg_parse(h, sizeof(*g), tb, NFQA_MAX, NULL) < 0 || !tb[NFQA_PACKET_HDR] ||
	    nla_len(tb[NFQA_PACKET_HDR]) < (int)sizeof(*ph))
		return -EBADMSG;
	g = nlmsg_data(h);
	ph = nla_data(tb[NFQA_PACKET_HDR]);
	pkt->id = ntohl(ph->packet_id);
	pkt->family = g->nfgen_family;
	*hook = ph->hook;
	return 0;
}

static void event(struct fl_net_delay *d, struct nlattr **tb, uint8_t hook, uint64_t now,
		  uint64_t wait, bool reordered)
{
	if (d->p.events)
		fl_delay_ring_push(d->p.events, tb, hook, d->mech == FL_MECH_NFT_QUEUE, d->p.rule,
				   now, wait, reordered);
}

static void on_packet(struct fl_net_delay *d, struct nlmsghdr *h, uint64_t now)
{
	struct nlattr *tb[NFQA_MAX + 1];
	struct delay_pkt pkt;
	uint8_t hook = 0;
	bool reorder;
	uint64_t wait;

	if (packet_of(h, &pkt, tb, &hook) < 0)
		return;
	atomic_fetch_add(&d->queued, 1);

	if (atomic_load(&d->passthrough)) {
		verdict(d, pkt.id, pkt.family);
		return;
	}
	/* Both draws for every packet: the sequence of waits depends on the seed only. */
	reorder = rng_next(&d->rng) % 1000000 < d->p.reorder_ppm;
	wait = hold_for(d);
	if (reorder) {
		verdict(d, pkt.id, pkt.family);
		atomic_fetch_add(&d->reordered, 1);
		event(d, tb, hook, now, 0, true);
		return;
	}
	pkt.at_ns = now + wait;
	pkt.seq = d->seq++;
	if (fl_delay_heap_push(&d->heap, &pkt) < 0) {
		verdict(d, pkt.id, pkt.family); /* fail open */
		atomic_fetch_add(&d->overflowed, 1);
		return;
	}
	atomic_fetch_add(&d->held, 1);
	event(d, tb, hook, now, wait, false);
}

/*
 * Read up to max queue messages: 0 when there may be more, -EAGAIN when
 * the socket is empty, another -errno on a read error.
 */
static int receive(struct fl_net_delay *d, int max)
{
	for (int round = 0; round < max; round++) {
		unsigned char *buf = NULL;
		struct sockaddr_nl who;
		struct nlmsghdr *h;
		uint64_t now;
		int n;

		n = nl_recv(d->sk, &who, &buf, NULL);
		if (n == -NLE_AGAIN || n == 0)
			return -EAGAIN;
		if (n < 0)
			return fl_nl_errno(n);
		now = now_ns();
		for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, n); h = nlmsg_next(h, &n)) {
			if (h->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
				on_packet(d, h, now);
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(h);

				if (e->error)
					atomic_fetch_add(&d->verdict_errors, 1);
			}
		}
		free(buf);
	}
	return 0;
}

/*
 * Arm the timerfd for the earliest release (0 = disarm), if it changed.
 * A timerfd, not a poll timeout: poll pads its timeouts by 0.1 % (0.5 %
 * for a niced thread), which is 250 us on a 50 ms delay.
 */
static void arm(struct fl_net_delay *d, uint64_t at_ns)
{
	struct itimerspec its = { 0 };

	if (at_ns == d->armed_ns)
		return;
	its.it_value.tv_sec = (time_t)(at_ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(at_ns % 1000000000ull);
	if (timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		d->armed_ns = at_ns;
}

static void *line_thread(void *arg)
{
	struct fl_net_delay *d = arg;
	struct pollfd pfd[3] = {
		{ .fd = nl_socket_get_fd(d->sk), .events = POLLIN },
		{ .fd = d->wake_fd, .events = POLLIN },
		{ .fd = d->timer_fd, .events = POLLIN },
	};

	for (;;) {
		const struct delay_pkt *top;
		uint64_t now = now_ns(), v;
		bool pass = atomic_load(&d->passthrough);
		ssize_t k;

		release_due(d, now, pass);
		if (atomic_load(&d->quit)) {
			/* The rules are gone: accept whatever is still in the socket. */
			while (receive(d, RECV_BATCH) == 0)
				;
			release_due(d, now, true);
			break;
		}
		top = fl_delay_heap_top(&d->heap);
		/* at_ns is never 0 (it is monotonic time plus a wait): 0 means none. */
		arm(d, top ? (top->at_ns ? top->at_ns : 1) : 0);
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, -1) < 0 && errno != EINTR) {
			release_due(d, now, true); /* we cannot wait: never strand a packet */
			break;
		}
		if (pfd[1].revents & POLLIN)
			k = read(d->wake_fd, &v, sizeof(v));
		if (pfd[2].revents & POLLIN) {
			k = read(d->timer_fd, &v, sizeof(v));
			d->armed_ns = 0; /* fired: a one-shot timer is disarmed */
		}
		(void)k;
		if (pfd[0].revents & POLLIN)
			receive(d, RECV_BATCH);
		if (d->p.events)
			fl_delay_ring_kick(d->p.events); /* once per batch, never per packet */
	}
	{
		struct timespec cpu;

		if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
			atomic_store(&d->cpu_ns, (uint64_t)cpu.tv_sec * 1000000000ull +
						 (uint64_t)cpu.tv_nsec);
	}
	return NULL;
}

static void wake(struct fl_net_delay *d)
{
	uint64_t one = 1;
	ssize_t k = write(d->wake_fd, &one, sizeof(one));

	(void)k;
}

/* ---- the queue ------------------------------------------------------- */

/* The socket lives in the netns it was created in, wherever the thread goes next. */
static int queue_open(struct fl_net_delay *d, char *errbuf, size_t errlen)
{
	uint32_t flags = htonl(NFQA_CFG_F_FAIL_OPEN);
	int saved, err, fd, one = 1, bufsz = SOCK_RCVBUF;
	char kmsg[160];
	struct nl_msg *msg;

	err = fl_netns_enter(d->netns, &saved);
	if (err) {
		fl_errf(errbuf, errlen, "enter netns %s: %s", d->netns, strerror(-err));
		return err;
	}
	err = fl_nl_open(NETLINK_NETFILTER, &d->sk);
	if (fl_netns_leave(saved) < 0)
		abort(); /* this thread is stranded in the target netns: nothing is safe */
	if (err) {
		fl_errf(errbuf, errlen, "open a netfilter netlink socket: %s", strerror(-err));
		return err;
	}
	fd = nl_socket_get_fd(d->sk);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));

	d->queue = nfnl_queue_alloc();
	d->verdict = nfnl_queue_msg_alloc();
	if (!d->queue || !d->verdict)
		return -ENOMEM;
	nfnl_queue_set_group(d->queue, d->p.queue_num);
	/* Events need the headers: the first EVENT_COPY bytes, else the id alone. */
	nfnl_queue_set_copy_mode(d->queue, d->p.events ? NFNL_QUEUE_COPY_PACKET : NFNL_QUEUE_COPY_META);
	nfnl_queue_set_copy_range(d->queue, d->p.events ? EVENT_COPY : 0);
	/* The kernel holds them while we do: room for ours and a burst. */
	nfnl_queue_set_maxlen(d->queue, d->p.max_held + 1024);
	err = nfnl_queue_build_create_request(d->queue, &msg);
	if (err < 0)
		return fl_nl_errno(err);
	/* libnl has no setter for the queue flags: a full kernel queue accepts. */
	if (nla_put(msg, NFQA_CFG_FLAGS, sizeof(flags), &flags) < 0 ||
	    nla_put(msg, NFQA_CFG_MASK, sizeof(flags), &flags) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = fl_nl_request(d->sk, msg, NL_STEP_MS, kmsg, sizeof(kmsg));
	if (err) {
		fl_errf(errbuf, errlen, "bind NFQUEUE %u: %s%s%s", d->p.queue_num, strerror(-err),
		    kmsg[0] ? ": " : "", kmsg);
		if (err == -EBUSY)
			fl_errf(errbuf, errlen, "NFQUEUE %u is taken by another reader in this netns",
			    d->p.queue_num);
		nfnl_queue_put(d->queue);
		d->queue = NULL;
		return err;
	}
	nfnl_queue_msg_set_group(d->verdict, d->p.queue_num);
	nfnl_queue_msg_set_verdict(d->verdict, NF_ACCEPT);
	nl_socket_disable_auto_ack(d->sk);
	/* One read takes a whole batch, without a peek first. */
	nl_socket_disable_msg_peek(d->sk);
	nl_socket_set_msg_buf_size(d->sk, 64 * 1024);
	nl_socket_set_nonblocking(d->sk);
	return 0;
}

static void queue_close(struct fl_net_delay *d)
{
	struct nl_msg *msg;

	if (d->queue && nfnl_queue_build_delete_request(d->queue, &msg) == 0)
		fl_nl_request(d->sk, msg, NL_STEP_MS, NULL, 0);
	if (d->queue)
		nfnl_queue_put(d->queue);
	if (d->verdict)
		nfnl_queue_msg_put(d->verdict);
	nl_socket_free(d->sk);
	d->queue = NULL;
	d->verdict = NULL;
	d->sk = NULL;
}

/* ---- the rules: nft's native queue, or iptables-nft ------------------ */

/* The probe's answer, once a process: 1 works, 0 not, -1 not asked yet. */
static atomic_int nft_queue_works = -1;

static bool nft_queue_usable(void)
{
	int v = atomic_load(&nft_queue_works);

	if (v < 0) {
		struct fl_probe_result r = { 0 };

		v = fl_probe_mechanism(FL_MECH_NFT_QUEUE, &r) == 0 && r.status == FL_PROBE_WORKS;
		atomic_store(&nft_queue_works, v);
	}
	return v == 1;
}

static enum fl_net_delay_rules rules_wanted(const struct fl_net_delay_params *p)
{
	const char *env = getenv("FAULTLINE_NET_DELAY");

	if (p->rules != FL_NET_DELAY_RULES_AUTO)
		return p->rules;
	if (env && !strcmp(env, "xtables"))
		return FL_NET_DELAY_RULES_XTABLES;
	if (env && !strcmp(env, "nft"))
		return FL_NET_DELAY_RULES_NFT;
	return FL_NET_DELAY_RULES_AUTO;
}

/* Build the rules for the queue number in d->p: nft's table or iptables' rules. */
static int rules_build(struct fl_net_delay *d, const struct fl_net_match *m, bool native,
		       char *errbuf, size_t errlen)
{
	char root[512] = "";

	if (!native) {
		d->mech = FL_MECH_NFQUEUE;
		return fl_delay_rules_build(m, d->p.queue_num, d->p.dev, d->p.cgroup, d->rules,
					    &d->n_rules, errbuf, errlen);
	}
	d->mech = FL_MECH_NFT_QUEUE;
	if (d->p.cgroup[0])
		fl_cgroup2_root(root, sizeof(root));
	return fl_delay_nft_build(m, d->p.queue_num, d->p.dev, d->p.cgroup, root, &d->nft,
				  errbuf, errlen);
}

/*
 * Install what rules_build made. On AUTO, a cgroup match nft cannot say
 * here takes iptables' -m cgroup instead (the rest is the same match).
 */
static int rules_install(struct fl_net_delay *d, const struct fl_net_match *m, bool forced,
			 char *errbuf, size_t errlen)
{
	int err;

	if (d->mech != FL_MECH_NFT_QUEUE)
		return fl_delay_rules_install(d->rules, d->n_rules, d->netns, d->st, errbuf, errlen);
	err = fl_delay_nft_install(&d->nft, d->netns, d->st, errbuf, errlen);
	if (!err || forced || !d->p.cgroup[0])
		return err;
	err = rules_build(d, m, false, errbuf, errlen);
	if (err)
		return err;
	return fl_delay_rules_install(d->rules, d->n_rules, d->netns, d->st, errbuf, errlen);
}

static int rules_remove(struct fl_net_delay *d, char *errbuf, size_t errlen)
{
	if (d->mech == FL_MECH_NFT_QUEUE)
		return fl_delay_nft_remove(&d->nft, d->netns, d->st, errbuf, errlen);
	return fl_delay_rules_remove(d->rules, d->n_rules, d->netns, d->st, errbuf, errlen);
}

/* ---- the API --------------------------------------------------------- */

static void free_line(struct fl_net_delay *d)
{
	queue_close(d);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	fl_delay_heap_free(&d->heap);
	if (d->p.events) {
		fl_delay_ring_kick(d->p.events); /* what the last moments left */
		fl_delay_ring_release(d->p.events);
	}
	if (d->own_state)
		fl_state_close(d->st);
	free(d);
}

static void stop_thread(struct fl_net_delay *d)
{
	if (!d->thread_started)
		return;
	atomic_store(&d->passthrough, true);
	atomic_store(&d->quit, true);
	wake(d);
	pthread_join(d->thread, NULL);
	d->thread_started = false;
}

int fl_net_delay_start(const struct fl_net_match *m, const char *netns,
		       const struct fl_net_delay_params *params, struct fl_state *st,
		       struct fl_net_delay **ret, char *errbuf, size_t errlen)
{
	sigset_t all, old_mask;
	enum fl_net_delay_rules want;
	struct fl_net_delay *d;
	bool native;
	int err;

	if (!m || !params || !ret || params->rules > FL_NET_DELAY_RULES_XTABLES)
		return -EINVAL;
	if (params->reorder_ppm > 1000000 || params->jitter_ns > 3600ull * 1000000000ull ||
	    params->delay_ns > 3600ull * 1000000000ull) {
		fl_errf(errbuf, errlen, "delay and jitter must be under an hour, reorder at most 100%%");
		return -EINVAL;
	}
	if (strnlen(params->dev, sizeof(params->dev)) == sizeof(params->dev) ||
	    params->dev[0] == '-' || strchr(params->dev, '/')) {
		fl_errf(errbuf, errlen, "bad device name for the delay line");
		return -EINVAL;
	}
	if (strnlen(params->cgroup, sizeof(params->cgroup)) == sizeof(params->cgroup) ||
	    (params->cgroup[0] && params->cgroup[0] != '/')) {
		fl_errf(errbuf, errlen, "bad cgroup path for the delay line (relative to the cgroup2 root, starting with /)");
		return -EINVAL;
	}
	if (netns && strlen(netns) >= sizeof(d->netns)) {
		fl_errf(errbuf, errlen, "netns name too long");
		return -EINVAL;
	}
	if (params->events && fl_delay_ring_take(params->events)) {
		fl_errf(errbuf, errlen, "the event ring is another delay line's");
		return -EBUSY;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		if (params->events)
			fl_delay_ring_release(params->events);
		return -ENOMEM;
	}
	d->wake_fd = d->timer_fd = -1;
	d->p = *params;
	if (!d->p.max_held)
		d->p.max_held = FL_NET_DELAY_MAX_HELD;
	if (!d->p.queue_num)
		d->p.queue_num = pick_num();
	d->rng = params->seed;
	snprintf(d->netns, sizeof(d->netns), "%s", netns ? netns : "");

	/* A match the rules cannot say is refused before anything is probed. */
	err = fl_delay_rules_build(m, d->p.queue_num, d->p.dev, d->p.cgroup, d->rules, &d->n_rules, errbuf, errlen);
	if (err)
		goto fail;
	want = rules_wanted(params);
	native = want == FL_NET_DELAY_RULES_NFT ||
		 (want == FL_NET_DELAY_RULES_AUTO && nft_queue_usable());
	err = fl_delay_heap_init(&d->heap, d->p.max_held);
	if (err)
		goto fail;
	d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->wake_fd < 0) {
		err = -errno;
		goto fail;
	}
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->timer_fd < 0) {
		err = -errno;
		goto fail;
	}
	d->st = st;
	if (!st) {
		err = fl_state_open(NULL, &d->st);
		if (err) {
			fl_errf(errbuf, errlen, "open the state directory: %s", strerror(-err));
			goto fail;
		}
		d->own_state = true;
		err = fl_state_watchdog_start(d->st);
		if (err) {
			fl_errf(errbuf, errlen, "start the cleanup watchdog: %s", strerror(-err));
			goto fail;
		}
	}
	/*
	 * The reader first: a queued packet must find someone (--queue-bypass
	 * aside). A number we picked may be another reader's: try the next.
	 */
	for (int tries = 0;; tries++) {
		err = queue_open(d, errbuf, errlen);
		if (err != -EBUSY || params->queue_num || tries == 8)
			break;
		queue_close(d);
		d->p.queue_num = pick_num();
	}
	if (err)
		goto fail;
	/* The rules name the queue: build them for the number we got. */
	err = rules_build(d, m, native, errbuf, errlen);
	if (err && native && want == FL_NET_DELAY_RULES_AUTO && d->p.cgroup[0])
		err = rules_build(d, m, false, errbuf, errlen); /* no cgroup match for nft here */
	if (err)
		goto fail;
	/* The caller's signals go to the caller's threads, not to the line. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old_mask);
	err = -pthread_create(&d->thread, NULL, line_thread, d);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (err) {
		fl_errf(errbuf, errlen, "start the delay thread: %s", strerror(-err));
		goto fail;
	}
	d->thread_started = true;
	if (pthread_getcpuclockid(d->thread, &d->cpu_clock))
		d->cpu_clock = (clockid_t)-1;
	err = rules_install(d, m, want != FL_NET_DELAY_RULES_AUTO, errbuf, errlen);
	if (err)
		goto fail;
	*ret = d;
	return 0;
fail:
	stop_thread(d);
	free_line(d);
	return err;
}

void fl_net_delay_read(const struct fl_net_delay *d, struct fl_net_delay_counters *ret)
{
	struct fl_net_delay *w = (struct fl_net_delay *)d;
	struct fl_net_delay_counters c = {
		.queued = atomic_load(&w->queued),
		.delayed = atomic_load(&w->delayed),
		.reordered = atomic_load(&w->reordered),
		.overflowed = atomic_load(&w->overflowed),
		.held = atomic_load(&w->held),
		.verdict_errors = atomic_load(&w->verdict_errors),
		.cpu_ns = atomic_load(&w->cpu_ns),
	};
	struct timespec cpu;

	if (d->thread_started && d->cpu_clock != (clockid_t)-1 &&
	    clock_gettime(d->cpu_clock, &cpu) == 0)
		c.cpu_ns = (uint64_t)cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec;
	*ret = c;
}

int fl_net_delay_stop(struct fl_net_delay *d, struct fl_net_delay_counters *ret,
		      char *errbuf, size_t errlen)
{
	int err;

	if (!d)
		return 0;
	/*
	 * Release what is held now, then take the rules away, then drain. The
	 * wait keeps the fork of iptables from delaying the release.
	 */
	atomic_store(&d->passthrough, true);
	wake(d);
	for (int i = 0; i < 200 && d->thread_started && atomic_load(&d->held); i++) {
		struct timespec ms = { 0, 1000000 };

		nanosleep(&ms, NULL);
	}
	err = rules_remove(d, errbuf, errlen);
	stop_thread(d);
	if (ret)
		fl_net_delay_read(d, ret);
	free_line(d);
	return err;
}

uint16_t fl_net_delay_queue_num(const struct fl_net_delay *d)
{
	return d->p.queue_num;
}

size_t fl_net_delay_n_rules(const struct fl_net_delay *d)
{
	return d->mech == FL_MECH_NFT_QUEUE ? d->nft.n_rules : d->n_rules;
}

enum fl_mechanism fl_net_delay_mechanism(const struct fl_net_delay *d)
{
	return d->mech;
}
