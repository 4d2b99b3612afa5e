// SPDX-License-Identifier: GPL-2.0-only
#include "netns_pair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"

static unsigned pair_counter;

/* Move this thread into netns name; *saved restores it. */
static int enter(const char *name, int *saved)
{
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		err = -errno;
	else if (setns(fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(*saved);
	}
	close(fd);
	return err;
}

static void leave(int saved)
{
	if (setns(saved, CLONE_NEWNET) < 0)
		abort(); /* a test stranded in another netns would lie */
	close(saved);
}

int fl_netns_pair_capture(const struct fl_netns_pair *p, int side, const char *script,
			  char *buf, size_t len)
{
	int fds[2], status;
	size_t off = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int saved;

		dup2(fds[1], STDOUT_FILENO);
		if (enter(p->ns[side], &saved))
			_exit(126);
		execlp("sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], buf ? buf + off : (char[64]){ 0 },
				 buf ? len - 1 - off : 64);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf)
			off += (size_t)r;
		if (buf && off + 1 >= len)
			break;
	}
	if (buf && len)
		buf[off] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int fl_netns_pair_sh(const struct fl_netns_pair *p, int side, const char *script)
{
	return fl_netns_pair_capture(p, side, script, NULL, 0);
}

int fl_netns_pair_create(struct fl_netns_pair *p)
{
	char cmd[512];
	int err;

	memset(p, 0, sizeof(*p));
	p->n = (unsigned)(getpid() + pair_counter++) % 250 + 1;
	for (int i = 0; i < 2; i++) {
		fl_fixture_netns_name(p->ns[i], sizeof(p->ns[i]));
		snprintf(p->dev[i], sizeof(p->dev[i]), "flv%d", i);
		snprintf(cmd, sizeof(cmd), "10.251.%u.%d", p->n, i + 1);
		inet_pton(AF_INET, cmd, &p->ip4[i]);
		snprintf(cmd, sizeof(cmd), "fd00:fa17:%x::%d", p->n, i + 1);
		inet_pton(AF_INET6, cmd, &p->ip6[i]);
	}
	err = fl_fixture_netns_create(p->ns[0]);
	if (!err)
		err = fl_fixture_netns_create(p->ns[1]);
	if (err)
		goto fail;
	/* Fixed MACs, so that each side can know the other's without asking. */
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s address 02:fa:17:00:%02x:01 type veth "
		 "peer name %s address 02:fa:17:00:%02x:02 netns %s",
		 p->dev[0], p->n, p->dev[1], p->n, p->ns[1]);
	if (fl_netns_pair_sh(p, 0, cmd)) {
		err = -EIO;
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		int peer = 2 - i;

		/*
		 * Permanent neighbours: no ARP or neighbour discovery whose
		 * 1 s retry could hold the first datagrams past a test's
		 * quiet window, and none for a rule to drop.
		 */
		snprintf(cmd, sizeof(cmd),
			 "ip link set lo up && ip addr add 10.251.%u.%d/24 dev %s && "
			 "ip -6 addr add fd00:fa17:%x::%d/64 dev %s nodad && ip link set %s up && "
			 "ip neigh replace 10.251.%u.%d lladdr 02:fa:17:00:%02x:%02x dev %s nud permanent && "
			 "ip -6 neigh replace fd00:fa17:%x::%d lladdr 02:fa:17:00:%02x:%02x dev %s nud permanent",
			 p->n, i + 1, p->dev[i], p->n, i + 1, p->dev[i], p->dev[i],
			 p->n, peer, p->n, peer, p->dev[i],
			 p->n, peer, p->n, peer, p->dev[i]);
		if (fl_netns_pair_sh(p, i, cmd)) {
			err = -EIO;
			goto fail;
		}
	}
	return 0;
fail:
	fl_netns_pair_destroy(p);
	return err;
}

void fl_netns_pair_destroy(struct fl_netns_pair *p)
{
	for (int i = 0; i < 2; i++) {
		if (p->ns[i][0])
			fl_fixture_netns_delete(p->ns[i]);
		p->ns[i][0] = '\0';
	}
}

int fl_netns_pair_socket(const struct fl_netns_pair *p, int side, int domain, int type)
{
	int saved, fd, err;

	err = enter(p->ns[side], &saved);
	if (err)
		return err;
	fd = socket(domain, type | SOCK_CLOEXEC, 0);
	err = fd < 0 ? -errno : fd;
	leave(saved);
	return err;
}

int fl_netns_pair_sw_csum(const struct fl_netns_pair *p)
{
	for (int i = 0; i < 2; i++) {
		struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
		struct ifreq ifr = { 0 };
		int fd = fl_netns_pair_socket(p, i, AF_INET, SOCK_DGRAM), err = 0;

		if (fd < 0)
			return fd;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->dev[i]);
		ifr.ifr_data = (void *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
			err = -errno;
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

/* ---- UDP traffic ---------------------------------------------------------- */

static uint8_t fill_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static void build(uint8_t *buf, size_t size, uint32_t seq)
{
	uint32_t inv = ~seq;

	memcpy(buf, &seq, 4);
	memcpy(buf + 4, &inv, 4);
	for (size_t i = 8; i < size; i++)
		buf[i] = fill_byte(i);
}

static void judge(const uint8_t *buf, size_t len, size_t size, uint8_t *seen, unsigned n,
		  struct fl_udp_result *r)
{
	uint32_t seq, inv;
	unsigned bits;

	r->received++;
	if (len != size)
		return;
	memcpy(&seq, buf, 4);
	memcpy(&inv, buf + 4, 4);
	bits = (unsigned)__builtin_popcount(seq ^ ~inv);
	for (size_t i = 8; i < size && bits < 2; i++)
		bits += (unsigned)__builtin_popcount(buf[i] ^ fill_byte(i));
	if (bits == 1)
		r->one_bit++;
	if (bits)
		return;
	r->intact++;
	if (seq < n && !seen[seq]) {
		seen[seq] = 1;
		r->distinct++;
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void drain(int fd, uint8_t *buf, size_t size, uint8_t *seen, unsigned n,
		  struct fl_udp_result *r, unsigned quiet_ms)
{
	uint64_t last = now_ms();

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t got = recv(fd, buf, size + 1, MSG_DONTWAIT);

		if (got >= 0) {
			judge(buf, (size_t)got, size, seen, n, r);
			last = now_ms();
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return;
		if (!quiet_ms || now_ms() - last >= quiet_ms)
			return;
		poll(&pfd, 1, 10);
	}
}

static socklen_t make_addr(const struct fl_netns_pair *p, int side, int family,
			   uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr = p->ip4[side];
		return sizeof(*a);
	}
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	a6->sin6_addr = p->ip6[side];
	return sizeof(*a6);
}

int fl_netns_pair_udp(const struct fl_netns_pair *p, int from, int family, uint16_t sport,
		      uint16_t dport, unsigned n, size_t size, unsigned quiet_ms,
		      struct fl_udp_result *ret)
{
	struct fl_udp_result r = { 0 };
	struct sockaddr_storage src, dst;
	socklen_t srclen, dstlen;
	int tx = -1, rx = -1, err = 0, one = 1, rcvbuf = 8 << 20;
	uint8_t *buf = NULL, *seen = NULL;

	if (size < 16 || size > 60000)
		return -EINVAL;
	buf = malloc(size + 1);
	seen = calloc(n ? n : 1, 1);
	if (!buf || !seen) {
		err = -ENOMEM;
		goto out;
	}
	tx = fl_netns_pair_socket(p, from, family, SOCK_DGRAM);
	rx = fl_netns_pair_socket(p, 1 - from, family, SOCK_DGRAM);
	if (tx < 0 || rx < 0) {
		err = tx < 0 ? tx : rx;
		goto out;
	}
	setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(tx, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(rx, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	dstlen = make_addr(p, 1 - from, family, dport, &dst);
	srclen = make_addr(p, from, family, sport, &src);
	if (bind(rx, (struct sockaddr *)&dst, dstlen) < 0 ||
	    bind(tx, (struct sockaddr *)&src, srclen) < 0) {
		err = -errno;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		build(buf, size, i);
		if (sendto(tx, buf, size, 0, (struct sockaddr *)&dst, dstlen) == (ssize_t)size)
			r.sent++;
		if (i % 64 == 63)
			drain(rx, buf, size, seen, n, &r, 0);
	}
	drain(rx, buf, size, seen, n, &r, quiet_ms ? quiet_ms : 100);
	*ret = r;
out:
	if (tx >= 0)
		close(tx);
	if (rx >= 0)
		close(rx);
	free(buf);
	free(seen);
	return err;
}
