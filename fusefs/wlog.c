// SPDX-License-Identifier: GPL-2.0-only
/*
 * The write log: appended under one mutex (seq order == file order), one
 * write(2) per line on an O_APPEND file, so a reader never sees half a line
 * from us and a crash of faultfs loses at most the line being written.
 *
 * Followers each have a thread, an eventfd and a bounded queue. Appenders
 * only copy the line into the queues (never block on a follower's socket);
 * the thread sends the backlog read back from the file first, then drains
 * its queue. The backlog ends exactly where the queue starts: both are
 * decided under the append mutex.
 *
 * Durability of the log itself: a flusher thread fdatasyncs it once a
 * second when lines were appended (and the log is synced at a power cut and
 * at close). See wlog.h for why it is not synced at each application fsync.
 *
 * Rotation by size (wlog_rotate.c): the append that fills the log renames
 * it to LOG.1 and starts a new one, under the append mutex.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wlog_priv.h"

#define FOLLOW_LIMIT_DEFAULT 65536
#define FLUSH_INTERVAL_NS 1000000000ull
#define READ_CHUNK 65536

struct line {
	char *s;
	size_t len;
};

struct follower {
	struct follower *next;
	struct ffs_wlog *w;
	int fd, efd;
	pthread_t thread;
	uint64_t since, backlog_last;  /* backlog: seq in [since, backlog_last] */

	/* under lock */
	pthread_mutex_t lock;
	struct line *q;                /* ring of cap lines */
	size_t head, n, cap;
	uint64_t dropped;
	bool overflow, stop;
	_Atomic bool done;
};

struct ffs_wlog {
	pthread_mutex_t lock;
	int fd, rfd;              /* a rotation swaps the files behind these numbers (dup3) */
	uint64_t seq;
	int dirfd;                /* the log's directory, for rotation */
	char *path;               /* relative to dirfd */
	uint64_t size, max_size;  /* rotate when size reaches max_size (0: never) */
	unsigned int keep;        /* rotated files kept */
	struct follower *followers;
	size_t follow_limit;

	/* the flusher */
	pthread_t flusher;
	bool flusher_running;
	pthread_mutex_t flush_lock;
	pthread_cond_t flush_cond;   /* CLOCK_MONOTONIC */
	bool flush_stop;             /* under flush_lock */
	_Atomic bool dirty;          /* appended since the last sync */

	struct ffs_wlog_clock clock; /* under lock */
};

static void *flusher_thread(void *arg)
{
	struct ffs_wlog *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->flush_lock);
	while (!w->flush_stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)(FLUSH_INTERVAL_NS / 1000000000ull);
		while (!w->flush_stop &&
		       pthread_cond_timedwait(&w->flush_cond, &w->flush_lock, &until) != ETIMEDOUT)
			;
		if (w->flush_stop)
			break;
		pthread_mutex_unlock(&w->flush_lock);
		if (atomic_exchange(&w->dirty, false))
			(void)!fdatasync(w->fd);
		pthread_mutex_lock(&w->flush_lock);
	}
	pthread_mutex_unlock(&w->flush_lock);
	return NULL;
}

static void flusher_init(struct ffs_wlog *w)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->flush_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&w->flush_lock, NULL);
}

int ffs_wlog_start_flusher(struct ffs_wlog *w)
{
	int err;

	if (w->flusher_running)
		return 0;
	err = pthread_create(&w->flusher, NULL, flusher_thread, w);
	if (err)
		return -err;
	w->flusher_running = true;
	return 0;
}

static void flusher_stop(struct ffs_wlog *w)
{
	if (w->flusher_running) {
		pthread_mutex_lock(&w->flush_lock);
		w->flush_stop = true;
		pthread_cond_signal(&w->flush_cond);
		pthread_mutex_unlock(&w->flush_lock);
		pthread_join(w->flusher, NULL);
		w->flusher_running = false;
	}
	pthread_cond_destroy(&w->flush_cond);
	pthread_mutex_destroy(&w->flush_lock);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The seq of a line we wrote: it always starts with {"seq":N, */
static bool line_seq(const char *s, size_t n, uint64_t *ret)
{
	static const char pre[] = "{\"seq\":";
	uint64_t v = 0;
	size_t i = sizeof(pre) - 1;

	if (n <= i || memcmp(s, pre, i))
		return false;
	if (s[i] < '0' || s[i] > '9')
		return false;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	*ret = v;
	return true;
}

/*
 * Call cb for each complete line of the log file whose seq is in
 * [since, last]. Stops early when cb returns nonzero (returned).
 */
static int scan_file(int rfd, uint64_t since, uint64_t last,
		     int (*cb)(void *ctx, const char *s, size_t n), void *ctx)
{
	struct ffs_sbuf part = { 0 };
	char *buf = malloc(READ_CHUNK);
	off_t off = 0;
	ssize_t got;
	uint64_t seq;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (!err && (got = pread(rfd, buf, READ_CHUNK, off)) > 0) {
		char *p = buf, *end = buf + got, *nl;

		off += got;
		while (!err && (nl = memchr(p, '\n', (size_t)(end - p)))) {
			const char *s = p;
			size_t n = (size_t)(nl - p) + 1;

			if (part.len) {
				ffs_sbuf_add(&part, p, n);
				s = part.s;
				n = part.len;
			}
			if (part.oom) {
				err = -ENOMEM;
			} else if (line_seq(s, n, &seq)) {
				if (seq > last)
					err = 1;
				else if (seq >= since)
					err = cb(ctx, s, n);
			}
			part.len = 0;
			p = nl + 1;
		}
		if (p < end)
			ffs_sbuf_add(&part, p, (size_t)(end - p));
	}
	if (got < 0 && !err)
		err = -errno;
	ffs_sbuf_free(&part);
	free(buf);
	return err == 1 ? 0 : err;
}

static int last_seq_cb(void *ctx, const char *s, size_t n)
{
	line_seq(s, n, ctx);
	return 0;
}

/* scan_file over the rotated files and the log, oldest first. */
static int scan_chain(struct ffs_wlog *w, uint64_t since, uint64_t last,
		      int (*cb)(void *ctx, const char *s, size_t n), void *ctx)
{
	int fds[FFS_WLOG_KEEP_MAX + 1];
	size_t n = 0;
	int err;

	pthread_mutex_lock(&w->lock);
	err = ffs_wlog_open_chain(w->dirfd, w->path, w->keep, w->rfd, fds, &n);
	pthread_mutex_unlock(&w->lock);
	for (size_t i = 0; i < n; i++) {
		if (!err)
			err = scan_file(fds[i], since, last, cb, ctx);
		close(fds[i]);
	}
	return err;
}

/* The seq of the newest line: in LOG, or in LOG.1 if LOG was just rotated. */
static int find_last_seq(struct ffs_wlog *w)
{
	char name[4096];
	int fd, err;

	err = scan_file(w->rfd, 0, UINT64_MAX, last_seq_cb, &w->seq);
	if (err || w->seq)
		return err;
	snprintf(name, sizeof(name), "%s.1", w->path);
	fd = openat(w->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = scan_file(fd, 0, UINT64_MAX, last_seq_cb, &w->seq);
	close(fd);
	return err;
}

void ffs_wlog_set_rotation(struct ffs_wlog *w, uint64_t max_size, unsigned int keep)
{
	pthread_mutex_lock(&w->lock);
	w->max_size = max_size;
	w->keep = keep > FFS_WLOG_KEEP_MAX ? FFS_WLOG_KEEP_MAX : keep;
	pthread_mutex_unlock(&w->lock);
}

/*
 * LOG is full (w->lock held): it becomes LOG.1 and a new LOG starts. The
 * new files take over the old fd numbers, so the flusher, which syncs
 * w->fd without the lock, syncs one file or the other, never a stale fd.
 */
static void rotate_locked(struct ffs_wlog *w)
{
	int nfd = -1, nrfd = -1;

	w->size = 0;  /* on failure: go on in this file and retry after another max_size */
	(void)!fdatasync(w->fd);
	if (ffs_wlog_rotate_files(w->dirfd, w->path, w->keep))
		return;
	nfd = openat(w->dirfd, w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (nfd >= 0)
		nrfd = openat(w->dirfd, w->path, O_RDONLY | O_CLOEXEC);
	if (nfd >= 0 && nrfd >= 0) {
		dup3(nfd, w->fd, O_CLOEXEC);
		dup3(nrfd, w->rfd, O_CLOEXEC);
	}
	if (nfd >= 0)
		close(nfd);
	if (nrfd >= 0)
		close(nrfd);
}

int ffs_wlog_open(int dirfd, const char *path, struct ffs_wlog **ret)
{
	struct ffs_wlog *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	struct stat st;

	w->fd = w->rfd = w->dirfd = -1;
	w->follow_limit = FOLLOW_LIMIT_DEFAULT;
	pthread_mutex_init(&w->lock, NULL);
	/* A relative path stays relative to today's cwd: a daemon chdirs to /. */
	w->dirfd = dirfd == AT_FDCWD ? open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)
				     : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (w->dirfd < 0)
		goto fail_errno;
	w->path = strdup(path);
	if (!w->path) {
		err = -ENOMEM;
		goto fail;
	}
	w->fd = openat(w->dirfd, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (w->fd < 0)
		goto fail_errno;
	w->rfd = openat(w->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (w->rfd < 0)
		goto fail_errno;
	if (fstat(w->fd, &st))
		goto fail_errno;
	w->size = (uint64_t)st.st_size;
	/* An existing log goes on: seq keeps increasing across mounts. */
	err = find_last_seq(w);
	if (err)
		goto fail;
	flusher_init(w);
	*ret = w;
	return 0;
fail_errno:
	err = -errno;
fail:
	if (w->fd >= 0)
		close(w->fd);
	if (w->rfd >= 0)
		close(w->rfd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->path);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return err;
}

/* Hand a line to each follower; called with w->lock held, in seq order. */
static void feed_followers(struct ffs_wlog *w, const char *pre, size_t pre_len,
			   const char *body, size_t body_len)
{
	for (struct follower *f = w->followers; f; f = f->next) {
		char *copy;

		if (atomic_load(&f->done))
			continue;
		pthread_mutex_lock(&f->lock);
		if (f->overflow || f->n == f->cap) {
			f->overflow = true;
			f->dropped++;
		} else if ((copy = malloc(pre_len + body_len))) {
			memcpy(copy, pre, pre_len);
			memcpy(copy + pre_len, body, body_len);
			f->q[(f->head + f->n) % f->cap] = (struct line){ copy, pre_len + body_len };
			f->n++;
		} else {
			f->overflow = true;
			f->dropped++;
		}
		pthread_mutex_unlock(&f->lock);
		eventfd_write(f->efd, 1);
	}
}

int64_t ffs_wlog_append(struct ffs_wlog *w, const struct ffs_wlog_entry *e)
{
	char line[1024];
	struct ffs_sbuf body = FFS_SBUF_ON(line);
	char pre[FFS_WLOG_PREFIX_MAX];
	struct iovec iov[2];
	struct timespec rt;
	uint64_t seq, ts;
	size_t len;
	ssize_t n;
	int err;

	if (!w || !e)
		return -EINVAL;
	err = ffs_wlog_format_body(e, &body);
	if (err)
		goto out;

	pthread_mutex_lock(&w->lock);
	seq = w->seq + 1;
	ts = clock_ns(CLOCK_MONOTONIC);
	clock_gettime(CLOCK_REALTIME, &rt);
	len = ffs_wlog_format_prefix(pre, &w->clock, seq, ts, &rt);
	iov[0] = (struct iovec){ pre, len };
	iov[1] = (struct iovec){ body.s, body.len };
	n = writev(w->fd, iov, 2);
	if (n < 0) {
		err = -errno;
	} else if ((size_t)n != len + body.len) {
		/* A short append (disk full) leaves a torn line; never reuse its seq. */
		w->seq = seq;
		err = -EIO;
	} else {
		w->seq = seq;
		feed_followers(w, pre, len, body.s, body.len);
		w->size += (uint64_t)n;
		if (w->max_size && w->size >= w->max_size)
			rotate_locked(w);
	}
	atomic_store_explicit(&w->dirty, true, memory_order_relaxed);
	pthread_mutex_unlock(&w->lock);
out:
	ffs_sbuf_free(&body);
	return err ? err : (int64_t)seq;
}

int ffs_wlog_sync(struct ffs_wlog *w)
{
	if (!w)
		return -EINVAL;
	atomic_store(&w->dirty, false);
	return fdatasync(w->fd) ? -errno : 0;
}

uint64_t ffs_wlog_last_seq(struct ffs_wlog *w)
{
	uint64_t seq;

	pthread_mutex_lock(&w->lock);
	seq = w->seq;
	pthread_mutex_unlock(&w->lock);
	return seq;
}

void ffs_wlog_set_follow_limit(struct ffs_wlog *w, size_t lines)
{
	pthread_mutex_lock(&w->lock);
	w->follow_limit = lines ? lines : 1;
	pthread_mutex_unlock(&w->lock);
}

/*
 * Send all of s to fd. With stop_fd >= 0 the fd is non-blocking and we wait
 * for it to drain, or for stop_fd, so close never hangs on a stuck peer.
 */
static int send_all(int fd, const char *s, size_t n, struct follower *f)
{
	while (n) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0 && errno == ENOTSOCK)
			k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p[2] = { { .fd = fd, .events = POLLOUT },
					       { .fd = f ? f->efd : -1, .events = POLLIN } };
			bool stop;

			if (poll(p, 2, -1) < 0 && errno != EINTR)
				return -errno;
			if (p[1].revents & POLLIN) {
				eventfd_t v;

				/* The caller rechecks its queue; only stop matters here. */
				eventfd_read(f->efd, &v);
			}
			if (f) {
				pthread_mutex_lock(&f->lock);
				stop = f->stop;
				pthread_mutex_unlock(&f->lock);
				if (stop)
					return -ECANCELED;
			}
			continue;
		}
		if (k < 0)
			return -errno;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

struct dump_ctx {
	int fd;
	struct follower *f;
};

static int dump_cb(void *ctx, const char *s, size_t n)
{
	struct dump_ctx *d = ctx;

	return send_all(d->fd, s, n, d->f);
}

int ffs_wlog_dump(struct ffs_wlog *w, int fd, uint64_t since)
{
	struct dump_ctx d = { .fd = fd };

	if (!w || fd < 0)
		return -EINVAL;
	return scan_chain(w, since, ffs_wlog_last_seq(w), dump_cb, &d);
}

static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static void *follow_thread(void *arg)
{
	struct follower *f = arg;
	struct dump_ctx d = { .fd = f->fd, .f = f };
	char msg[96];
	int err;

	err = scan_chain(f->w, f->since, f->backlog_last, dump_cb, &d);
	while (!err) {
		struct pollfd p[2] = { { .fd = f->efd, .events = POLLIN },
				       { .fd = f->fd, .events = POLLRDHUP } };
		struct line l = { 0 };
		uint64_t dropped = 0;
		bool stop, overflow;

		pthread_mutex_lock(&f->lock);
		stop = f->stop;
		overflow = f->overflow;
		if (overflow) {
			/* What is still queued is dropped too: the peer gets nothing more. */
			while (f->n) {
				free(f->q[f->head].s);
				f->head = (f->head + 1) % f->cap;
				f->n--;
				f->dropped++;
			}
			dropped = f->dropped;
		} else if (f->n) {
			l = f->q[f->head];
			f->head = (f->head + 1) % f->cap;
			f->n--;
		}
		pthread_mutex_unlock(&f->lock);

		if (stop)
			break;
		if (overflow) {
			int n = snprintf(msg, sizeof(msg),
					 "{\"error\":\"follower too slow, %llu entries dropped\"}\n",
					 (unsigned long long)dropped);

			send_all(f->fd, msg, (size_t)n, f);
			break;
		}
		if (l.s) {
			err = send_all(f->fd, l.s, l.len, f);
			free(l.s);
			continue;
		}
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			eventfd_t v;

			eventfd_read(f->efd, &v);
		}
		if ((p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) || peer_gone(f->fd))
			break;
	}
	close(f->fd);
	f->fd = -1;
	atomic_store(&f->done, true);
	return NULL;
}

static void follower_free(struct follower *f)
{
	while (f->n) {
		free(f->q[f->head].s);
		f->head = (f->head + 1) % f->cap;
		f->n--;
	}
	if (f->fd >= 0)
		close(f->fd);
	if (f->efd >= 0)
		close(f->efd);
	pthread_mutex_destroy(&f->lock);
	free(f->q);
	free(f);
}

/* Join and free followers whose thread has ended; w->lock held. */
static void reap_followers(struct ffs_wlog *w)
{
	struct follower **pp = &w->followers;

	while (*pp) {
		struct follower *f = *pp;

		if (!atomic_load(&f->done)) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		pthread_join(f->thread, NULL);
		follower_free(f);
	}
}

int ffs_wlog_follow(struct ffs_wlog *w, int fd, uint64_t since)
{
	struct follower *f;
	int err;

	if (!w || fd < 0)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->w = w;
	f->fd = -1;
	f->since = since;
	pthread_mutex_init(&f->lock, NULL);
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0) {
		err = -errno;
		goto fail;
	}

	pthread_mutex_lock(&w->lock);
	reap_followers(w);
	f->cap = w->follow_limit;
	f->q = calloc(f->cap, sizeof(*f->q));
	if (!f->q) {
		pthread_mutex_unlock(&w->lock);
		err = -ENOMEM;
		goto fail;
	}
	f->backlog_last = w->seq;
	f->fd = fd;
	err = -pthread_create(&f->thread, NULL, follow_thread, f);
	if (err) {
		f->fd = -1;
		pthread_mutex_unlock(&w->lock);
		goto fail;
	}
	f->next = w->followers;
	w->followers = f;
	pthread_mutex_unlock(&w->lock);
	return 0;
fail:
	follower_free(f);
	return err;
}

void ffs_wlog_close(struct ffs_wlog *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (struct follower *f = w->followers; f; f = f->next) {
		pthread_mutex_lock(&f->lock);
		f->stop = true;
		pthread_mutex_unlock(&f->lock);
		eventfd_write(f->efd, 1);
	}
	pthread_mutex_unlock(&w->lock);
	while (w->followers) {
		struct follower *f = w->followers;

		w->followers = f->next;
		pthread_join(f->thread, NULL);
		follower_free(f);
	}
	flusher_stop(w);
	(void)!fdatasync(w->fd);
	close(w->fd);
	close(w->rfd);
	close(w->dirfd);
	free(w->path);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
