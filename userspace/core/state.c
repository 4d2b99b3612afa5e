// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * State directory: what faultline installed and must remove.
 *
 * Layout
 *   ROOT/                     /run/faultline, $FAULTLINE_RUN_DIR, or the API argument
 *     <pid>-<starttime>[-N]/  one per fl_state_open() (N when a process opens several)
 *       000001-mount.json     one JSON object per installed object
 *       000002-qdisc.json
 *
 * The session name carries the controller's pid and its starttime (field
 * 22 of /proc/PID/stat), so a reused pid never makes a dead controller
 * look alive. A record is written to a dot-file and renamed into place,
 * so a reader never sees half a record. Records are undone newest first
 * (the sequence number in the name), which undoes nested objects (a qdisc
 * inside a netns, a mount inside a cgroup's workload) before their
 * containers.
 *
 * Undoers: fl_state_close() (the controller), the watchdog (the controller
 * died: state_watchdog.c runs undo_on_death() below) and fl_state_cleanup_all() (`faultline cleanup`).
 * They serialise on flock(2) of the session directory; every undo treats
 * "already gone" as success, so running them twice is harmless. A record
 * whose undo failed stays on disk, and so does its directory, so that the
 * next cleanup retries it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "state_priv.h"

#define LOCK_TIMEOUT_MS 10000

static const char *resolve_root(const char *root)
{
	const char *env;

	if (root && *root)
		return root;
	env = getenv(FL_STATE_RUN_DIR_ENV);
	if (env && *env)
		return env;
	return FL_STATE_RUN_DIR;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int fl_state_open(const char *root, struct fl_state **ret)
{
	const char *r = resolve_root(root);
	struct fl_state *st;
	uint64_t start;
	int err;

	err = fl_proc_starttime(getpid(), &start);
	if (err)
		return err;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->wd.fd = -1;
	st->next_id = 1;
	err = mkdir_p(r, 0700);
	if (err)
		goto fail;
	for (unsigned n = 0;; n++) {
		int len;

		if (n == 0)
			len = snprintf(st->name, sizeof(st->name), "%d-%" PRIu64,
				       (int)getpid(), start);
		else
			len = snprintf(st->name, sizeof(st->name), "%d-%" PRIu64 "-%u",
				       (int)getpid(), start, n);
		if (len < 0 || (size_t)len >= sizeof(st->name) ||
		    snprintf(st->dir, sizeof(st->dir), "%s/%s", r, st->name) >=
		    (int)sizeof(st->dir)) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		if (mkdir(st->dir, 0700) == 0)
			break;
		if (errno != EEXIST || n > 1000) {
			err = -errno;
			goto fail;
		}
	}
	*ret = st;
	return 0;
fail:
	free(st);
	return err;
}

const char *fl_state_dir(const struct fl_state *st)
{
	return st->dir;
}

/* Write rec as ID-KIND.json, atomically. Takes a reference to rec. */
int fl_state_write_record(struct fl_state *st, const char *kind, json_t *rec,
			  uint64_t *ret_id)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	uint64_t id;
	char *text = NULL;
	size_t len, off = 0;
	int fd = -1, err = 0;

	if (!rec)
		return -ENOMEM;
	if (json_object_set_new(rec, "kind", json_string(kind)) < 0) {
		err = -ENOMEM;
		goto out;
	}
	id = __atomic_fetch_add(&st->next_id, 1, __ATOMIC_RELAXED);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%06" PRIu64, st->dir, id);
	snprintf(final, sizeof(final), "%s/%06" PRIu64 "-%s.json", st->dir, id, kind);
	text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	len = strlen(text);
	text[len++] = '\n'; /* json_dumps's NUL becomes the newline */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		err = -errno;
		goto out;
	}
	fd = -1;
	if (rename(tmp, final) < 0) {
		err = -errno;
		goto out;
	}
	if (ret_id)
		*ret_id = id;
out:
	if (fd >= 0)
		close(fd);
	if (err)
		unlink(tmp);
	free(text);
	json_decref(rec);
	return err;
}

struct record_name {
	uint64_t id;
	char name[NAME_MAX + 1];
};

static int parse_record_name(const char *name, uint64_t *ret_id)
{
	unsigned long long id;
	int end = 0;
	size_t len = strlen(name);

	if (name[0] == '.' || len < 6 || strcmp(name + len - 5, ".json") != 0)
		return -EINVAL;
	if (sscanf(name, "%llu-%n", &id, &end) != 1 || end == 0)
		return -EINVAL;
	*ret_id = id;
	return 0;
}

static int cmp_newest_first(const void *a, const void *b)
{
	const struct record_name *x = a, *y = b;

	return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/* The records of a session, newest first; stale temporary files are removed. */
static int list_records(int dfd, struct record_name **ret, size_t *ret_n)
{
	struct record_name *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = dup(dfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		uint64_t id;

		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (parse_record_name(de->d_name, &id))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n].id = id;
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_newest_first);
	*ret = v;
	*ret_n = n;
	return 0;
}

int fl_state_forget(struct fl_state *st, uint64_t id)
{
	struct record_name *v = NULL;
	size_t n = 0;
	int dfd, err = -ENOENT;

	dfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (list_records(dfd, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (v[i].id != id)
				continue;
			err = unlinkat(dfd, v[i].name, 0) < 0 ? -errno : 0;
			break;
		}
	}
	free(v);
	close(dfd);
	return err;
}

static int report_add(struct fl_cleanup_report *r, const char *session,
		      const char *kind, const char *what, int err, const char *msg)
{
	struct fl_cleanup_item *items, *it;

	if (err)
		r->failed++;
	else
		r->removed++;
	items = realloc(r->items, (r->n_items + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	r->items = items;
	it = &items[r->n_items++];
	memset(it, 0, sizeof(*it));
	snprintf(it->session, sizeof(it->session), "%s", session);
	snprintf(it->kind, sizeof(it->kind), "%s", kind);
	snprintf(it->what, sizeof(it->what), "%s", what);
	it->err = err;
	snprintf(it->message, sizeof(it->message), "%s", msg ? msg : "");
	return 0;
}

void fl_cleanup_report_free(struct fl_cleanup_report *report)
{
	if (!report)
		return;
	free(report->items);
	memset(report, 0, sizeof(*report));
}

static const struct {
	const char *kind;
	fl_undo_fn undo;
} undoers[] = {
	{ "mount", fl_undo_mount },
	{ "cgroup", fl_undo_cgroup },
	{ "file", fl_undo_file },
	{ "netns", fl_undo_netns },
	{ "qdisc", fl_undo_qdisc },
	{ "tc-filter", fl_undo_tc_filter },
	{ "link", fl_undo_link },
	{ "iptables", fl_undo_iptables },
	{ "nft-table", fl_undo_nft_table },
	{ "faultfs-rule", fl_undo_faultfs_rule },
	{ "sigcont", fl_undo_sigcont },
	{ "stopped-map", fl_undo_stopped_map },
};

static int undo_record(int dfd, const char *name, const char *session,
		       struct fl_cleanup_report *report)
{
	char what[320] = "", msg[160] = "";
	const char *kind = "?";
	json_error_t jerr;
	json_t *rec = NULL;
	int fd, err = -EBADMSG;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* Another undoer got there first. */
		return errno == ENOENT ? 0 : -errno;
	}
	rec = json_loadfd(fd, 0, &jerr);
	close(fd);
	snprintf(what, sizeof(what), "record %s", name);
	if (!rec) {
		snprintf(msg, sizeof(msg), "unreadable record: %.120s", jerr.text);
		goto out;
	}
	if (json_is_string(json_object_get(rec, "kind")))
		kind = json_string_value(json_object_get(rec, "kind"));
	snprintf(msg, sizeof(msg), "unknown kind '%s'", kind);
	for (size_t i = 0; i < sizeof(undoers) / sizeof(undoers[0]); i++) {
		if (strcmp(undoers[i].kind, kind) != 0)
			continue;
		msg[0] = '\0';
		err = undoers[i].undo(rec, what, sizeof(what), msg, sizeof(msg));
		break;
	}
	if (!err && unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
		err = -errno;
		snprintf(msg, sizeof(msg), "removed, but the record stayed: %s",
			 strerror(errno));
	}
out:
	if (report)
		report_add(report, session, kind, what, err, msg);
	json_decref(rec);
	return err;
}

static int lock_dir(int dfd)
{
	for (int waited = 0;; waited += 10) {
		if (flock(dfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (waited >= LOCK_TIMEOUT_MS)
			return -EBUSY;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
	}
}

int fl_state_undo_session(const char *dir, const char *session,
			  struct fl_cleanup_report *report)
{
	struct record_name *v = NULL;
	size_t n = 0;
	int dfd, err, first = 0;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = lock_dir(dfd);
	if (err) {
		if (report)
			report_add(report, session, "session", dir, err,
				   "another faultline is still cleaning it up");
		goto out;
	}
	err = list_records(dfd, &v, &n);
	if (err)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int e = undo_record(dfd, v[i].name, session, report);

		if (e && !first)
			first = e;
	}
	err = first;
	/* Fails with ENOTEMPTY while failed records remain: keep them. */
	if (!err && rmdir(dir) < 0 && errno != ENOENT)
		err = -errno;
out:
	free(v);
	close(dfd);
	return err;
}

int fl_state_close_report(struct fl_state *st, struct fl_cleanup_report *ret)
{
	struct fl_cleanup_report rep = { .sessions = 1 };
	int err;

	if (!st)
		return 0;
	err = fl_state_undo_session(st->dir, st->name, &rep);
	fl_watchdog_stop(&st->wd);
	free(st);
	if (ret)
		*ret = rep;
	else
		fl_cleanup_report_free(&rep);
	return err;
}

int fl_state_close(struct fl_state *st)
{
	return fl_state_close_report(st, NULL);
}

static bool session_owner_alive(const char *name)
{
	unsigned long long start;
	uint64_t now;
	int pid, end = 0;

	if (sscanf(name, "%d-%llu%n", &pid, &start, &end) != 2 || pid <= 0)
		return false;
	if (fl_proc_starttime(pid, &now))
		return false;
	return now == start;
}

static bool is_session_name(const char *name)
{
	unsigned long long start;
	int pid, end = 0;

	if (sscanf(name, "%d-%llu%n", &pid, &start, &end) != 2 || pid <= 0)
		return false;
	return name[end] == '\0' || name[end] == '-';
}

int fl_state_cleanup_all(const char *root, bool include_live,
			 struct fl_cleanup_report *ret)
{
	struct fl_cleanup_report rep = { 0 };
	const char *r = resolve_root(root);
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(r);
	if (!d) {
		if (errno != ENOENT)
			return -errno;
		goto done;
	}
	while ((de = readdir(d))) {
		char dir[PATH_MAX];

		if (!is_session_name(de->d_name))
			continue;
		if (!include_live && session_owner_alive(de->d_name))
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s", r, de->d_name) >=
		    (int)sizeof(dir))
			continue;
		rep.sessions++;
		fl_state_undo_session(dir, de->d_name, &rep);
	}
	closedir(d);
done:
	if (rep.failed)
		err = -EIO;
	if (ret)
		*ret = rep;
	else
		fl_cleanup_report_free(&rep);
	return err;
}

/* Runs in the watchdog once the controller died: undo its session. */
static int undo_on_death(void *arg)
{
	const struct fl_state *st = arg;
	struct fl_cleanup_report rep = { 0 };
	int err;

	err = fl_state_undo_session(st->dir, st->name, &rep);
	/*
	 * Nobody reads the watchdog's output: what was killed (a service
	 * faultline started) or could not be removed goes to the system log.
	 */
	if (rep.n_items)
		openlog("faultline-watchdog", LOG_PID, LOG_DAEMON);
	for (size_t i = 0; i < rep.n_items; i++) {
		const struct fl_cleanup_item *it = &rep.items[i];

		if (it->err)
			syslog(LOG_WARNING, "session %s: cannot remove %s: %s", st->name, it->what,
			       it->message[0] ? it->message : strerror(-it->err));
		else if (it->message[0])
			syslog(LOG_NOTICE, "session %s: %s", st->name, it->message);
	}
	return err;
}

int fl_state_watchdog_start(struct fl_state *st)
{
	return fl_watchdog_start(&st->wd, undo_on_death, st);
}

pid_t fl_state_watchdog_pid(const struct fl_state *st)
{
	return st->wd.pid;
}

void fl_state_watchdog_detach_child(struct fl_state *st)
{
	fl_watchdog_detach_child(&st->wd);
}
