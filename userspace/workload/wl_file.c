// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * file:PATH?fsync=always|interval=DUR|never — an append-only log, one
 * record a line "<id> <hex payload>\n". Lines are appended whole under a
 * lock (a short write cannot interleave with another client's). When the
 * acknowledgement goes out decides the loss window:
 *   always      write(2), fsync(2), then OK (the default)
 *   interval=D  write(2), OK; a thread fsyncs every D
 *   never       write(2), OK; durability is the filesystem's business
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/parse_values.h"
#include "adapter.h"

enum fsync_mode { FSYNC_ALWAYS, FSYNC_INTERVAL, FSYNC_NEVER };

struct file_cfg {
	char *path;
	enum fsync_mode mode;
	uint64_t interval_ns;
};

struct file_store {
	const struct file_cfg *cfg;
	int fd;
	pthread_mutex_t lock;        /* one appender at a time; reset */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cond;
	pthread_t syncer;
	bool syncer_on, stop;
};

struct file_thread {
	struct file_store *st;
	char *buf;
	size_t cap;
};

static int file_parse(struct fl_workload *w, const char *rest, char *errbuf, size_t errlen)
{
	struct file_cfg *cfg = calloc(1, sizeof(*cfg));
	char *copy = strdup(rest), *q, *key, *val, dur[32] = "";
	int err = 0;

	if (!cfg || !copy) {
		err = -ENOMEM;
		goto out;
	}
	w->cfg = cfg;
	q = strchr(copy, '?');
	if (q)
		*q++ = '\0';
	if (!*copy) {
		err = fl_wl_err(w, -EINVAL, errbuf, errlen, "missing path (file:PATH?fsync=...)");
		goto out;
	}
	cfg->path = strdup(copy);
	if (!cfg->path) {
		err = -ENOMEM;
		goto out;
	}
	cfg->mode = FSYNC_ALWAYS;
	while (fl_wl_query_next(&q, &key, &val)) {
		const char *why = NULL;

		if (strcmp(key, "fsync")) {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen,
					"unknown option '%s' (expected fsync=)", key);
			goto out;
		}
		if (!strcmp(val, "always")) {
			cfg->mode = FSYNC_ALWAYS;
		} else if (!strcmp(val, "never")) {
			cfg->mode = FSYNC_NEVER;
		} else if (!strncmp(val, "interval=", 9)) {
			cfg->mode = FSYNC_INTERVAL;
			if (fl_parse_duration_why(val + 9, &cfg->interval_ns, &why) ||
			    !cfg->interval_ns) {
				err = fl_wl_err(w, -EINVAL, errbuf, errlen, "fsync=%s: %s", val,
						why ? why : "the interval must be above zero");
				goto out;
			}
		} else {
			err = fl_wl_err(w, -EINVAL, errbuf, errlen,
					"fsync=%s: expected always, interval=DUR or never", val);
			goto out;
		}
	}
	if (cfg->mode == FSYNC_INTERVAL)
		fl_format_duration(cfg->interval_ns, dur, sizeof(dur));
	err = fl_wl_set_desc(w, "file:%s?fsync=%s%s", cfg->path,
			     cfg->mode == FSYNC_ALWAYS ? "always" :
			     cfg->mode == FSYNC_NEVER ? "never" : "interval=", dur);
out:
	free(copy);
	return err;
}

static void file_free(struct fl_workload *w)
{
	struct file_cfg *cfg = w->cfg;

	if (cfg)
		free(cfg->path);
	free(cfg);
}

static void *syncer_main(void *arg)
{
	struct file_store *st = arg;
	struct timespec at;

	clock_gettime(CLOCK_MONOTONIC, &at);
	pthread_mutex_lock(&st->sync_lock);
	while (!st->stop) {
		uint64_t ns = (uint64_t)at.tv_nsec + st->cfg->interval_ns;

		at.tv_sec += ns / 1000000000ull;
		at.tv_nsec = ns % 1000000000ull;
		if (pthread_cond_timedwait(&st->sync_cond, &st->sync_lock, &at) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&st->sync_lock);
		fsync(st->fd);
		pthread_mutex_lock(&st->sync_lock);
		/* Behind (a slow fsync): the next one starts now, not in a burst. */
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > at.tv_sec || (now.tv_sec == at.tv_sec && now.tv_nsec > at.tv_nsec))
			at = now;
	}
	pthread_mutex_unlock(&st->sync_lock);
	return NULL;
}

/* The directory entry must survive a power cut too. */
static void fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void file_close(void *store);

static int file_open(struct fl_workload *w, void **ret_store, char *errbuf, size_t errlen)
{
	const struct file_cfg *cfg = w->cfg;
	struct file_store *st = calloc(1, sizeof(*st));
	char last;
	off_t end;
	int err;

	if (!st)
		return -ENOMEM;
	st->cfg = cfg;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->sync_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&st->sync_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	st->fd = open(cfg->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (st->fd < 0) {
		err = fl_wl_err(w, -errno, errbuf, errlen, "%s: %s", cfg->path, strerror(errno));
		goto fail;
	}
	/*
	 * A torn last line (killed mid-write, power cut) gets its newline, so
	 * the next record starts a line of its own; the torn bytes stay, and
	 * read back as a record with id 0.
	 */
	end = lseek(st->fd, 0, SEEK_END);
	if (end > 0 && pread(st->fd, &last, 1, end - 1) == 1 && last != '\n') {
		if (write(st->fd, "\n", 1) != 1) {
			err = fl_wl_err(w, -errno, errbuf, errlen, "%s: %s", cfg->path,
					strerror(errno));
			goto fail;
		}
	}
	fsync(st->fd);
	fsync_dir(cfg->path);
	if (cfg->mode == FSYNC_INTERVAL) {
		err = -pthread_create(&st->syncer, NULL, syncer_main, st);
		if (err) {
			fl_wl_err(w, err, errbuf, errlen, "fsync thread: %s", strerror(-err));
			goto fail;
		}
		st->syncer_on = true;
	}
	*ret_store = st;
	return 0;
fail:
	file_close(st);
	return err;
}

static void file_close(void *store)
{
	struct file_store *st = store;

	if (st->syncer_on) {
		pthread_mutex_lock(&st->sync_lock);
		st->stop = true;
		pthread_cond_signal(&st->sync_cond);
		pthread_mutex_unlock(&st->sync_lock);
		pthread_join(st->syncer, NULL);
	}
	if (st->fd >= 0)
		close(st->fd);
	pthread_cond_destroy(&st->sync_cond);
	pthread_mutex_destroy(&st->sync_lock);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static int file_thread_open(void *store, void **ret_th, char *errbuf, size_t errlen)
{
	struct file_thread *th = calloc(1, sizeof(*th));

	if (!th)
		return -ENOMEM;
	th->st = store;
	*ret_th = th;
	return 0;
}

static void file_thread_close(void *th_)
{
	struct file_thread *th = th_;

	free(th->buf);
	free(th);
}

static enum fl_op_outcome file_append(void *store, void *th_, uint64_t id, const void *payload,
				      size_t len, char *why, size_t whylen)
{
	struct file_store *st = store;
	struct file_thread *th = th_;
	size_t need = 21 + 2 * len + 2, n, done = 0;
	int err = 0;

	if (th->cap < need) {
		char *b = realloc(th->buf, need);

		if (!b) {
			snprintf(why, whylen, "out of memory");
			return FL_OP_FAIL;
		}
		th->buf = b;
		th->cap = need;
	}
	n = snprintf(th->buf, th->cap, "%" PRIu64 " ", id);
	fl_wl_hex_encode(th->buf + n, payload, len);
	n += 2 * len;
	th->buf[n++] = '\n';

	pthread_mutex_lock(&st->lock);
	while (done < n) {
		ssize_t k = write(st->fd, th->buf + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			err = k < 0 ? errno : EIO;
			break;
		}
		done += k;
	}
	pthread_mutex_unlock(&st->lock);
	if (err) {
		snprintf(why, whylen, "write: %s", strerror(err));
		/* Part of the line may be in the file: a torn record, not a record. */
		return done ? FL_OP_UNKNOWN : FL_OP_FAIL;
	}
	if (st->cfg->mode == FSYNC_ALWAYS && fsync(st->fd)) {
		/* In the page cache, maybe on disk: nobody can say. */
		snprintf(why, whylen, "fsync: %s", strerror(errno));
		return FL_OP_UNKNOWN;
	}
	return FL_OP_OK;
}

static int file_reset(void *store, void *th, char *errbuf, size_t errlen)
{
	struct file_store *st = store;
	int err = 0;

	pthread_mutex_lock(&st->lock);
	if (ftruncate(st->fd, 0) || fsync(st->fd))
		err = -errno;
	pthread_mutex_unlock(&st->lock);
	if (err)
		return fl_wl_err(NULL, err, errbuf, errlen, "file: %s: %s", st->cfg->path,
				 strerror(-err));
	return 0;
}

static int file_read_all(struct fl_workload *w, fl_wl_record_cb cb, void *ctx,
			 char *errbuf, size_t errlen)
{
	const struct file_cfg *cfg = w->cfg;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int err = 0;

	f = fopen(cfg->path, "re");
	if (!f) {
		/* No log at all: nothing survived. */
		if (errno == ENOENT)
			return 0;
		return fl_wl_err(w, -errno, errbuf, errlen, "%s: %s", cfg->path, strerror(errno));
	}
	while (!err && (n = getline(&line, &cap, f)) > 0) {
		bool whole = line[n - 1] == '\n';
		void *payload = NULL;
		size_t plen;
		uint64_t id;

		if (whole)
			line[--n] = '\0';
		if (!n)
			continue;
		if (whole && !fl_wl_parse_record(line, n, &id, &payload, &plen))
			err = cb(ctx, id, payload, plen);
		else
			err = cb(ctx, 0, line, n);
		free(payload);
	}
	if (!err && ferror(f))
		err = fl_wl_err(w, -EIO, errbuf, errlen, "%s: read error", cfg->path);
	free(line);
	fclose(f);
	return err;
}

/*
 * fl_workload_drop, from outside the writer: its descriptor is O_APPEND,
 * so its next record starts at the new end, offset 0.
 */
static int file_drop(struct fl_workload *w, char *errbuf, size_t errlen)
{
	const struct file_cfg *cfg = w->cfg;
	int fd, err = 0;

	fd = open(cfg->path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fl_wl_err(w, -errno, errbuf, errlen, "%s: %s", cfg->path, strerror(errno));
	if (ftruncate(fd, 0) || fsync(fd))
		err = fl_wl_err(w, -errno, errbuf, errlen, "%s: truncating: %s", cfg->path,
				strerror(errno));
	close(fd);
	return err;
}

static const struct fl_wl_store_ops file_store_ops = {
	.open         = file_open,
	.thread_open  = file_thread_open,
	.thread_close = file_thread_close,
	.append       = file_append,
	.reset        = file_reset,
	.close        = file_close,
};

static const char *file_store_path(const struct fl_workload *w)
{
	return ((const struct file_cfg *)w->cfg)->path;
}

const struct fl_wl_adapter fl_wl_file_adapter = {
	.scheme     = "file",
	.prefixes   = { "file:", NULL },
	.store      = &file_store_ops,
	.parse      = file_parse,
	.free       = file_free,
	.ping       = fl_wl_serve_ping,
	.reset      = fl_wl_serve_reset,
	.connect    = fl_wl_serve_connect,
	.write      = fl_wl_serve_write,
	.disconnect = fl_wl_serve_disconnect,
	.read_all   = file_read_all,
	.store_path = file_store_path,
	.drop       = file_drop,
};
