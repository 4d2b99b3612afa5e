// SPDX-License-Identifier: GPL-2.0-only
/*
 * The frame around every request: fault decision, delay, the operations
 * lock, the offline state after a rule's power cut, paths and logging.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dur_hint.h"
#include "durability.h"
#include "ops.h"
#include "pathcache.h"

static struct ffs_inode *inode_of(struct ffs *fs, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &fs->root : (struct ffs_inode *)(uintptr_t)ino;
}

/* The backing path of fd, made relative to the backing root. */
static void fd_path(struct ffs *fs, int fd, char *buf, size_t len)
{
	static const char deleted[] = " (deleted)";
	char proc[64], tmp[PATH_MAX];
	const char *rel;
	ssize_t n;
	size_t dl = sizeof(deleted) - 1;

	buf[0] = '\0';
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, tmp, sizeof(tmp) - 1);
	if (n <= 0)
		return;
	tmp[n] = '\0';
	if ((size_t)n > dl && !strcmp(tmp + n - dl, deleted))
		tmp[n - dl] = '\0';
	if (strncmp(tmp, fs->backing, fs->backing_len) ||
	    (tmp[fs->backing_len] != '/' && tmp[fs->backing_len] != '\0'))
		return; /* outside the backing tree: not ours to name */
	rel = tmp + fs->backing_len;
	snprintf(buf, len, "%s", *rel ? rel : "/");
}

void ffs_path_of(struct ffs *fs, fuse_ino_t dir, const char *name, char *buf, size_t len)
{
	struct ffs_inode *in = inode_of(fs, dir);
	uint64_t gen = fs->dur ? ffs_dur_names_gen(fs->dur) : 0;
	size_t n, k;

	if (!fs->dur || !ffs_pathcache_get(fs->paths, in, gen, buf, len)) {
		fd_path(fs, in->fd, buf, len);
		if (fs->dur)
			ffs_pathcache_put(fs->paths, in, gen, buf);
	}
	if (!name || !buf[0])
		return;
	n = strlen(buf);
	/* As snprintf "%s%s" would, truncated; by hand, once per name operation. */
	if (n > 1 && n + 1 < len)
		buf[n++] = '/';
	k = strlen(name);
	if (k > len - n - 1)
		k = len - n - 1;
	memcpy(buf + n, name, k);
	buf[n + k] = '\0';
}

const char *ffs_op_path(struct ffs_opctx *o)
{
	if (!o->have_path) {
		ffs_path_of(o->fs, o->ino, o->name, o->path, sizeof(o->path));
		o->have_path = true;
	}
	return o->path;
}

bool ffs_hidden(fuse_ino_t parent, const char *name)
{
	return parent == FUSE_ROOT_ID && !strcmp(name, FFS_STATE_DIR);
}

void ffs_op_log_fault(struct ffs_opctx *o, const char *fmt, ...)
{
	char what[256], detail[PATH_MAX + 512];
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_FAULT };
	va_list ap;

	if (!o->fs->wlog)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(detail, sizeof(detail), "rule %u %s: %s %s: %s", o->fault.rule_id,
		 o->fault.rule_text, ffs_op_name((enum ffs_op)o->op), ffs_op_path(o), what);
	e.path = ffs_op_path(o);
	e.ino = inode_of(o->fs, o->ino)->ino;
	e.detail = detail;
	ffs_wlog_append(o->fs->wlog, &e);
}

void ffs_op_log(struct ffs_opctx *o, enum ffs_wlog_kind kind, const char *path2,
		uint64_t ino, int64_t off, uint64_t len, uint32_t crc, int result)
{
	struct ffs_wlog_entry e = {
		.kind = kind, .path2 = path2, .ino = ino, .off = off, .len = len,
		.crc32 = crc, .result = result,
	};

	if (!o->fs->wlog)
		return;
	e.path = ffs_op_path(o);
	ffs_wlog_append(o->fs->wlog, &e);
}

bool ffs_op_take(struct ffs_opctx *o, enum fl_action action)
{
	if (!o->hit || o->fault.action != action)
		return false;
	o->hit = false;
	return true;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(ns / 1000000000ull);
	until.tv_nsec += (long)(ns % 1000000000ull);
	if (until.tv_nsec >= 1000000000l) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000l;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

static bool is_offline(struct ffs *fs)
{
	return __atomic_load_n(&fs->offline, __ATOMIC_ACQUIRE);
}

int ffs_op_begin(struct ffs_opctx *o, fuse_req_t req, int op, fuse_ino_t ino, const char *name)
{
	struct ffs *fs = ffs_of(req);

	o->fs = fs;
	o->req = req;
	o->op = op;
	o->ino = ino;
	o->name = name;
	o->locked = false;
	o->hit = false;
	o->have_path = false;
	o->path[0] = '\0';
	{
		const struct ffs_inode *in = inode_of(fs, ino);

		/* The kernel holds ino for the request: its fd names it until ffs_op_end(). */
		ffs_dur_hint_dir(in->fd, in->dev, in->ino);
	}

	if (op != FFS_NO_OP && fs->faults && !is_offline(fs) && ffs_faults_armed(fs->faults) &&
	    ffs_faults_match(fs->faults, (enum ffs_op)op, ffs_op_path(o), &o->fault))
		o->hit = true;

	/* A delay holds this request only: it sleeps before taking any lock. */
	if (ffs_op_take(o, FL_ACTION_DELAY)) {
		ffs_op_log_fault(o, "delay %llu ns", (unsigned long long)o->fault.delay_ns);
		sleep_ns(o->fault.delay_ns);
	}
	if (o->hit && o->fault.action == FL_ACTION_POWERCUT &&
	    o->fault.powercut == FL_POWERCUT_BEFORE) {
		ffs_op_log_fault(o, "power cut before the operation");
		__atomic_store_n(&fs->offline, true, __ATOMIC_RELEASE);
		ffs_dur_hint_end();
		fuse_reply_err(req, EIO);
		ffs_powercut(fs, NULL, true, NULL);
		return 1;
	}

	pthread_rwlock_rdlock(&fs->op_lock);
	o->locked = true;
	if (is_offline(fs)) {
		pthread_rwlock_unlock(&fs->op_lock);
		o->locked = false;
		fuse_reply_err(req, EIO);
		ffs_dur_hint_end();
		return 1;
	}
	/* A file a power cut left nameless, its data not yet freed: it is gone. */
	if (ino != FUSE_ROOT_ID &&
	    ffs_powercut_hidden(fs, inode_of(fs, ino)->dev, inode_of(fs, ino)->ino)) {
		pthread_rwlock_unlock(&fs->op_lock);
		o->locked = false;
		fuse_reply_err(req, ENOENT);
		return 1;
	}
	if (ffs_op_take(o, FL_ACTION_ERROR)) {
		pthread_rwlock_unlock(&fs->op_lock);
		o->locked = false;
		ffs_op_log_fault(o, "error %s, operation not done", strerrorname_np(o->fault.error) ?
				 strerrorname_np(o->fault.error) : "?");
		fuse_reply_err(req, o->fault.error);
		ffs_dur_hint_end();
		return 1;
	}
	return 0;
}

bool ffs_op_end(struct ffs_opctx *o)
{
	ffs_dur_hint_end();
	if (o->locked) {
		pthread_rwlock_unlock(&o->fs->op_lock);
		o->locked = false;
	}
	if (o->hit && o->fault.action == FL_ACTION_POWERCUT &&
	    o->fault.powercut == FL_POWERCUT_AFTER) {
		ffs_op_log_fault(o, "power cut after the operation");
		__atomic_store_n(&o->fs->offline, true, __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

void ffs_op_finish_cut(struct ffs_opctx *o)
{
	if (!o->hit || o->fault.action != FL_ACTION_POWERCUT)
		return;
	o->hit = false;
	ffs_powercut(o->fs, NULL, true, NULL);
}

void ffs_reply_err_or_cut(struct ffs_opctx *o, int err)
{
	if (ffs_op_end(o)) {
		fuse_reply_err(o->req, EIO);
		ffs_op_finish_cut(o);
		return;
	}
	fuse_reply_err(o->req, err);
}
