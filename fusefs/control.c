// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket's plumbing: a root-only Unix stream socket, an accept
 * thread and one thread per client (clients are few: a CLI call, a test
 * harness, a log follower). Commands are in control_cmd.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <faultline/fs.h>

#include "control.h"
#include "control_priv.h"
#include "faultfs.h"

struct client {
	struct client *next;
	struct ffs_control *c;
	int fd;
	pthread_t thread;
	_Atomic bool done;
};

struct ffs_control {
	struct ffs *fs;
	int lfd, efd;               /* listening socket; eventfd: stop */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_t thread;
	pthread_mutex_t lock;
	struct client *clients;
	bool stopping;
};

/* mkdir -p with mode 0700 for the parts we create. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

/* Remove a socket file left by a dead faultfs; never one that answers. */
static int remove_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		err = -EADDRINUSE;           /* a live faultfs serves this mount point */
	else if (errno != ECONNREFUSED)
		err = -errno;
	close(fd);
	if (!err && unlink(path) && errno != ENOENT)
		err = -errno;
	return err;
}

/*
 * The canonical mount point without stat'ing it: the mount is ours and the
 * session loop may not run yet, so a lookup of the mount root could hang.
 */
static int canonical_mountpoint(const char *mnt, char *buf, size_t len)
{
	char dir[PATH_MAX], base[PATH_MAX], real[PATH_MAX];
	int n;

	if (strlen(mnt) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, mnt);
	strcpy(base, mnt);
	if (!realpath(dirname(dir), real))
		return -errno;
	const char *b = basename(base);

	if (!strcmp(b, "/"))
		n = snprintf(buf, len, "/");
	else
		n = snprintf(buf, len, "%s/%s", strcmp(real, "/") ? real : "", b);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool peer_is_root(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == 0;
}

static void *client_thread(void *arg)
{
	struct client *cl = arg;
	struct ffs_control *c = cl->c;
	char *buf = malloc(FL_FS_MAX_REQUEST + 1);
	size_t have = 0;
	bool handed_over = false;

	if (!buf)
		goto out;
	if (!peer_is_root(cl->fd)) {
		ffs_control_reply_error(cl->fd, "permission denied: root only");
		goto out;
	}
	while (!handed_over) {
		struct pollfd p[2] = { { .fd = cl->fd, .events = POLLIN },
				       { .fd = c->efd, .events = POLLIN } };
		char *nl;
		ssize_t k;

		/* Every complete line in the buffer first. */
		while (!handed_over && (nl = memchr(buf, '\n', have))) {
			size_t n = (size_t)(nl - buf);

			if (ffs_control_handle(c->fs, cl->fd, buf, n, &handed_over))
				goto out;
			have -= n + 1;
			memmove(buf, nl + 1, have);
		}
		if (handed_over)
			break;
		if (have == FL_FS_MAX_REQUEST) {
			ffs_control_reply_error(cl->fd, "request longer than 65536 bytes");
			goto out;
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (p[1].revents)
			goto out;
		k = recv(cl->fd, buf + have, FL_FS_MAX_REQUEST - have, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto out;
		have += (size_t)k;
	}
out:
	free(buf);
	/*
	 * The peer sees the end now, not when the fd is reaped at the next
	 * accept. A handed-over connection stays up: the log streams on it.
	 */
	if (!handed_over)
		shutdown(cl->fd, SHUT_RDWR);
	atomic_store(&cl->done, true);
	return NULL;
}

/* Join and free finished clients; c->lock held. */
static void reap(struct ffs_control *c, bool all)
{
	struct client **pp = &c->clients;

	while (*pp) {
		struct client *cl = *pp;

		if (!all && !atomic_load(&cl->done)) {
			pp = &cl->next;
			continue;
		}
		*pp = cl->next;
		pthread_join(cl->thread, NULL);
		if (cl->fd >= 0)
			close(cl->fd);
		free(cl);
	}
}

static void *accept_thread(void *arg)
{
	struct ffs_control *c = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = c->lfd, .events = POLLIN },
				       { .fd = c->efd, .events = POLLIN } };
		struct client *cl;
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		cl = calloc(1, sizeof(*cl));
		if (!cl) {
			close(fd);
			continue;
		}
		cl->c = c;
		cl->fd = fd;
		pthread_mutex_lock(&c->lock);
		reap(c, false);
		if (pthread_create(&cl->thread, NULL, client_thread, cl)) {
			pthread_mutex_unlock(&c->lock);
			close(fd);
			free(cl);
			continue;
		}
		cl->next = c->clients;
		c->clients = cl;
		pthread_mutex_unlock(&c->lock);
	}
	return NULL;
}

int ffs_control_start(struct ffs *fs, const char *mountpoint, struct ffs_control **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ffs_control *c;
	char canon[PATH_MAX];
	int err;

	if (!fs || !mountpoint)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fs = fs;
	c->lfd = c->efd = -1;
	pthread_mutex_init(&c->lock, NULL);
	err = canonical_mountpoint(mountpoint, canon, sizeof(canon));
	if (!err)
		err = fl_fs_socket_path_canonical(canon, c->path, sizeof(c->path));
	if (!err)
		err = mkdir_p(FL_FS_SOCKET_DIR);
	if (!err)
		err = remove_stale(c->path);
	if (err)
		goto fail;
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->efd < 0 || c->lfd < 0)
		goto fail_errno;
	memcpy(sa.sun_path, c->path, sizeof(sa.sun_path));
	/*
	 * Bind under a umask of 0177, so the socket is never reachable with
	 * looser permissions, not even between bind and chmod. umask is
	 * process-wide, but this runs before the session serves requests.
	 */
	mode_t old = umask(0177);

	err = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (err)
		goto fail;
	if (chmod(c->path, 0600) || listen(c->lfd, 64))
		goto fail_unlink;
	err = -pthread_create(&c->thread, NULL, accept_thread, c);
	if (err)
		goto fail_unlink_err;
	*ret = c;
	return 0;
fail_unlink:
	err = -errno;
fail_unlink_err:
	unlink(c->path);
	goto fail;
fail_errno:
	err = -errno;
fail:
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->efd >= 0)
		close(c->efd);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return err;
}

void ffs_control_stop(struct ffs_control *c)
{
	if (!c)
		return;
	eventfd_write(c->efd, 1);
	pthread_join(c->thread, NULL);
	pthread_mutex_lock(&c->lock);
	/* Wake clients blocked in a send to a peer that does not read. */
	for (struct client *cl = c->clients; cl; cl = cl->next)
		if (!atomic_load(&cl->done) && cl->fd >= 0)
			shutdown(cl->fd, SHUT_RDWR);
	reap(c, true);
	pthread_mutex_unlock(&c->lock);
	unlink(c->path);
	close(c->lfd);
	close(c->efd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
