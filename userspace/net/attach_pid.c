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
 * 3. a task_file iterator reads the cgroup each of those sockets was
 *    created in: cgroup_skb sees a socket through that cgroup, so where it
 *    is not the process's (made before a move, inherited from elsewhere)
 *    the skb programs go there too, filtered the same. The set is kept
 *    without nesting (a cgroup below another of the set is left out, and an
 *    ancestor of the process's cgroup takes its place), so no packet runs
 *    the programs twice. The root cgroup is not taken (every packet of the
 *    host would run them): its sockets are counted as not seen.
 * The socket calls (sock_addr, error=) compare the caller's tgid instead,
 * which needs nothing at attach.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <faultline/cgroup.h>

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
	bpf_program__set_autoload(s->skel->progs.fl_net_pid_cgroups, on);
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

/* The process's sockets' cgroup ids, one per socket (the iterator's output). */
static int socket_cgroups(struct fl_net_session *s, uint64_t *ids, size_t max, size_t *ret_n,
			  char *errbuf, size_t len)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct bpf_link *link;
	size_t n = 0, have = 0;
	uint64_t id;
	ssize_t got;
	int fd, err = 0;

	/* Only this process's tasks (6.1+); the program checks the tgid anyway. */
	memset(&linfo, 0, sizeof(linfo));
	linfo.task.pid = (__u32)s->pid;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(s->skel->progs.fl_net_pid_cgroups, &opts);
	if (!link)
		link = bpf_program__attach_iter(s->skel->progs.fl_net_pid_cgroups, NULL);
	if (!link) {
		err = -errno;
		fl_errf(errbuf, len, "task_file iterator over pid %d's sockets: %s", (int)s->pid,
			strerror(-err));
		return err;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		err = -errno;
	while (fd >= 0) {
		got = read(fd, (char *)&id + have, sizeof(id) - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got < 0)
				err = -errno;
			break;
		}
		have += (size_t)got;
		if (have < sizeof(id))
			continue;
		have = 0;
		if (n < max)
			ids[n++] = id;
	}
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	if (err) {
		fl_errf(errbuf, len, "read pid %d's sockets' cgroups: %s", (int)s->pid, strerror(-err));
		return err;
	}
	*ret_n = n;
	return 0;
}

/* nftw has no closure: one walk at a time, over this. */
static struct {
	const uint64_t *ids;
	size_t n;
	char (*paths)[PATH_MAX];
} walk;
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;

static int find_ids(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D)
		return 0;
	for (size_t i = 0; i < walk.n; i++)
		if (walk.ids[i] == (uint64_t)st->st_ino && !walk.paths[i][0])
			snprintf(walk.paths[i], PATH_MAX, "%s", path);
	return 0;
}

/* Is a below b (or b itself) in the hierarchy? */
static bool under(const char *a, const char *b)
{
	size_t n = strlen(b);

	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

/*
 * Where the skb programs go besides (or instead of) the process's cgroup:
 * s->pid_cgroups gets the other cgroups, *ret_skb the one that replaces
 * the process's ("" = none). Sockets of the root cgroup or of a cgroup
 * gone since are counted in s->pid_unseen.
 */
static int plan_cgroups(struct fl_net_session *s, char *ret_skb, char *errbuf, size_t len)
{
	uint64_t *ids, uniq[FL_NET_PID_MAX_CGROUPS + 1], own, root_id;
	char root[PATH_MAX], (*paths)[PATH_MAX] = NULL;
	size_t n = 0, nu = 0, count[FL_NET_PID_MAX_CGROUPS + 1] = { 0 };
	unsigned level;
	int err;

	ret_skb[0] = '\0';
	ids = malloc(FL_NET_PID_MAX_SOCKS * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	err = socket_cgroups(s, ids, FL_NET_PID_MAX_SOCKS, &n, errbuf, len);
	if (err)
		goto out;
	err = fl_cgroup_id(s->cgroup, &own, &level);
	if (!err)
		err = fl_cgroup2_root(root, sizeof(root));
	if (!err)
		err = fl_cgroup_id(root, &root_id, &level);
	if (err) {
		fl_errf(errbuf, len, "cgroup ids of %s and the root: %s", s->cgroup, strerror(-err));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		if (ids[i] == own)
			continue;
		if (ids[i] == root_id) {
			s->pid_unseen++;
			continue;
		}
		while (k < nu && uniq[k] != ids[i])
			k++;
		if (k == nu && nu == FL_NET_PID_MAX_CGROUPS) {
			s->pid_unseen++;    /* more cgroups than we take */
			continue;
		}
		if (k == nu)
			uniq[nu++] = ids[i];
		count[k]++;
	}
	if (!nu)
		goto out;
	paths = calloc(nu, sizeof(*paths));
	if (!paths) {
		err = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&walk_lock);
	walk.ids = uniq;
	walk.n = nu;
	walk.paths = paths;
	nftw(root, find_ids, 16, FTW_PHYS);
	walk.ids = NULL;
	pthread_mutex_unlock(&walk_lock);
	for (size_t k = 0; k < nu; k++) {
		bool covered = false;

		if (!paths[k][0]) {
			s->pid_unseen += count[k];  /* gone: a dying cgroup takes no program */
			continue;
		}
		/* below the process's cgroup: seen there already */
		if (under(paths[k], s->cgroup))
			continue;
		s->pid_moved += count[k];
		/* below another of the set: seen there */
		for (size_t j = 0; !covered && j < nu; j++)
			covered = j != k && paths[j][0] && under(paths[k], paths[j]);
		if (covered)
			continue;
		if (under(s->cgroup, paths[k]) && (!ret_skb[0] || under(ret_skb, paths[k])))
			snprintf(ret_skb, PATH_MAX, "%s", paths[k]);   /* an ancestor: takes its place */
		else if (!under(s->cgroup, paths[k]))
			snprintf(s->pid_cgroups[s->pid_n_cgroups++], PATH_MAX, "%s", paths[k]);
	}
out:
	free(paths);
	free(ids);
	return err;
}

/* The skb programs on the other cgroups of the plan, for the directions s needs. */
static int attach_others(struct fl_net_session *s, char *errbuf, size_t len)
{
	struct bpf_program *progs[2] = { s->skel->progs.fl_net_skb_ingress,
					 s->skel->progs.fl_net_skb_egress };

	for (size_t k = 0; k < s->pid_n_cgroups; k++) {
		int fd = open(s->pid_cgroups[k], O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

		if (fd < 0) {
			err = -errno;
			fl_errf(errbuf, len, "open cgroup %s: %s", s->pid_cgroups[k], strerror(-err));
			return err;
		}
		for (int egress = 0; egress < 2; egress++) {
			if (!(s->dirs & (egress ? FL_NET_ABI_EGRESS : FL_NET_ABI_INGRESS)))
				continue;
			s->pid_links[k][egress] = bpf_program__attach_cgroup(progs[egress], fd);
			if (!s->pid_links[k][egress]) {
				err = -errno;
				fl_errf(errbuf, len, "attach cgroup_skb to %s (where pid %d's sockets were made): %s",
					s->pid_cgroups[k], (int)s->pid, strerror(-err));
				close(fd);
				return err;
			}
		}
		close(fd);
	}
	return 0;
}

int fl_net_pid_attach(struct fl_net_session *s, int cgroup_fd, int *skb_fd, char *errbuf,
		      size_t len)
{
	char instead[PATH_MAX];
	int err;

	*skb_fd = cgroup_fd;
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
	if (!err)
		err = plan_cgroups(s, instead, errbuf, len);
	if (!err)
		err = attach_others(s, errbuf, len);
	if (!err && instead[0]) {
		*skb_fd = open(instead, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*skb_fd < 0) {
			err = -errno;
			*skb_fd = cgroup_fd;
			fl_errf(errbuf, len, "open cgroup %s: %s", instead, strerror(-err));
		} else {
			snprintf(s->pid_cgroups[s->pid_n_cgroups++], PATH_MAX, "%s", instead);
		}
	}
	if (err)
		fl_net_pid_detach(s);
	return err;
}

void fl_net_pid_detach(struct fl_net_session *s)
{
	bpf_link__destroy(s->pid_link);
	s->pid_link = NULL;
	for (size_t k = 0; k < FL_NET_PID_MAX_CGROUPS; k++) {
		for (int i = 0; i < 2; i++) {
			bpf_link__destroy(s->pid_links[k][i]);
			s->pid_links[k][i] = NULL;
		}
	}
	s->pid_n_cgroups = 0;
	s->pid_moved = s->pid_unseen = 0;
}

size_t fl_net_session_pid_sockets(const struct fl_net_session *s)
{
	return s ? (size_t)s->pid_marked : 0;
}

size_t fl_net_session_pid_cgroups(const struct fl_net_session *s, size_t *ret_moved,
				  size_t *ret_unseen, const char **ret_first)
{
	if (ret_moved)
		*ret_moved = s ? s->pid_moved : 0;
	if (ret_unseen)
		*ret_unseen = s ? s->pid_unseen : 0;
	if (ret_first)
		*ret_first = s && s->pid_n_cgroups ? s->pid_cgroups[0] : NULL;
	return s ? s->pid_n_cgroups : 0;
}
