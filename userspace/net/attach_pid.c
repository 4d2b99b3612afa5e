// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --pid: the sockets of one process inside its cgroup (bpf/net_pid.bpf.h).
 * The process is not moved: the cgroup_skb programs stay on its cgroup and
 * act only on the sockets marked as the process's. Marking, in this order
 * so that no socket falls between the two:
 * 1. cgroup/sock_create on the cgroup marks each IPv4/IPv6 socket the
 *    process creates from now on (its link dies with its fd);
 * 2. the sockets it holds now: each "socket:[...]" of /proc/PID/fd is
 *    copied here with pidfd_getfd (5.6+, ptrace access: root) and marked
 *    through the socket-storage map, keyed by that copy; the copy is
 *    closed at once.
 * The socket calls (sock_addr, error=) compare the caller's tgid instead,
 * which needs nothing at attach.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "net/net_priv.h"
#include "net.skel.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

void fl_net_pid_prepare(struct fl_net_session *s)
{
	bool on = s->pid > 0 && s->dirs;

	s->skel->rodata->pid_tgid = (__u32)(s->pid > 0 ? s->pid : 0);
	bpf_program__set_autoload(s->skel->progs.fl_net_pid_sock_create, on);
}

/* Mark the process's socket behind its fd tfd, if it is an IPv4/IPv6 one. */
static int mark_one(int pidfd, int tfd, int map, uint64_t *marked)
{
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, tfd, 0), dom = 0, err = 0;
	socklen_t len = sizeof(dom);
	__u8 one = 1;

	if (fd < 0)
		return errno == EBADF ? 0 : -errno;     /* closed meanwhile: not its any more */
	if (!getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) &&
	    (dom == AF_INET || dom == AF_INET6)) {
		if (bpf_map_update_elem(map, &fd, &one, BPF_ANY))
			err = -errno;
		else
			(*marked)++;
	}
	close(fd);
	return err;
}

/* The sockets in the process's file table now. */
static int mark_held(struct fl_net_session *s, char *errbuf, size_t len)
{
	int map = bpf_map__fd(s->skel->maps.pid_socks), pidfd, err = 0;
	char dir[64], path[320], link[64];
	uint64_t marked = 0;
	struct dirent *de;
	DIR *d;

	pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (pidfd < 0) {
		err = -errno;
		fl_errf(errbuf, len, "pidfd_open(%d): %s", (int)s->pid, strerror(-err));
		return err;
	}
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)s->pid);
	d = opendir(dir);
	if (!d) {
		err = -errno;
		fl_errf(errbuf, len, "%s: %s", dir, strerror(-err));
		close(pidfd);
		return err;
	}
	while (!err && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "socket:[", 8))
			continue;
		err = mark_one(pidfd, atoi(de->d_name), map, &marked);
		if (err)
			fl_errf(errbuf, len, "mark pid %d's socket (fd %s): %s%s", (int)s->pid,
				de->d_name, strerror(-err),
				err == -EPERM ? " (pidfd_getfd needs ptrace access to it)" : "");
	}
	closedir(d);
	close(pidfd);
	if (!err)
		s->pid_marked = marked;
	return err;
}

int fl_net_pid_attach(struct fl_net_session *s, int cgroup_fd, char *errbuf, size_t len)
{
	int err;

	if (s->pid <= 0 || !s->dirs)
		return 0;
	s->pid_link = bpf_program__attach_cgroup(s->skel->progs.fl_net_pid_sock_create, cgroup_fd);
	if (!s->pid_link) {
		err = -errno;
		fl_errf(errbuf, len, "attach cgroup/sock_create to %s: %s", s->cgroup,
			strerror(-err));
		return err;
	}
	err = mark_held(s, errbuf, len);
	if (err)
		fl_net_pid_detach(s);
	return err;
}

void fl_net_pid_detach(struct fl_net_session *s)
{
	bpf_link__destroy(s->pid_link);
	s->pid_link = NULL;
}

size_t fl_net_session_pid_sockets(const struct fl_net_session *s)
{
	return s ? (size_t)s->pid_marked : 0;
}
