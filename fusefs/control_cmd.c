// SPDX-License-Identifier: GPL-2.0-only
/*
 * Commands of the control socket. Each answers once it has taken effect;
 * bad input of any shape gets {"ok":false,"error":...} and changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <faultline/rule.h>

#include "control_priv.h"
#include "durability.h"
#include "faultfs.h"
#include "faults.h"
#include "wlog.h"

#ifndef FL_VERSION
#define FL_VERSION "0.0.0"
#endif

#define MAX_RULES_PER_REQUEST 256

int ffs_control_write(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Send obj as one line; takes the reference. */
static int reply(int fd, json_t *obj)
{
	char *s;
	size_t n;
	int err;

	if (!obj)
		return ffs_control_write(fd, "{\"ok\":false,\"error\":\"out of memory\"}\n", 36);
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (!s)
		return ffs_control_write(fd, "{\"ok\":false,\"error\":\"out of memory\"}\n", 36);
	n = strlen(s);
	s[n] = '\n';
	err = ffs_control_write(fd, s, n + 1);
	free(s);
	return err;
}

/* A JSON string of s; bytes that are not UTF-8 (client input, odd paths) become '?'. */
static json_t *safe_string(const char *s)
{
	json_t *v = json_string(s);
	char *copy;

	if (v)
		return v;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (unsigned char *p = (unsigned char *)copy; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

int ffs_control_reply_error(int fd, const char *msg)
{
	json_t *o = json_object();

	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", safe_string(msg));
	return reply(fd, o);
}

static int errorf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int errorf(int fd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ffs_control_reply_error(fd, msg);
}

static json_t *ok_obj(void)
{
	json_t *o = json_object();

	json_object_set_new(o, "ok", json_true());
	return o;
}

/* A non-negative integer field, or absent (dflt). */
static int get_u64(json_t *req, const char *key, uint64_t max, uint64_t dflt, uint64_t *ret)
{
	json_t *v = json_object_get(req, key);

	if (!v) {
		*ret = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return -EINVAL;
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int cmd_fault(struct ffs *fs, int fd, json_t *req)
{
	json_t *rules = json_object_get(req, "rules"), *ids, *o;
	struct fl_rule *parsed;
	size_t i, n;
	int err = 0;

	if (!json_is_array(rules) || !json_array_size(rules))
		return errorf(fd, "fault: \"rules\" must be a non-empty array of rule strings");
	n = json_array_size(rules);
	if (n > MAX_RULES_PER_REQUEST)
		return errorf(fd, "fault: at most %d rules per request", MAX_RULES_PER_REQUEST);
	parsed = calloc(n, sizeof(*parsed));
	if (!parsed)
		return errorf(fd, "fault: out of memory");
	/* All or nothing: every rule is checked before the first is added. */
	for (i = 0; i < n; i++) {
		json_t *t = json_array_get(rules, i);
		struct fl_rule_error rerr = { 0 };
		const char *text = json_string_value(t);

		if (!text) {
			err = errorf(fd, "fault: rule %zu is not a string", i);
			goto out;
		}
		if (fl_rule_parse(text, &parsed[i], &rerr) ||
		    fl_rule_check_domain(&parsed[i], FL_DOMAIN_FS, &rerr)) {
			o = json_object();
			json_object_set_new(o, "ok", json_false());
			json_object_set_new(o, "error", safe_string(rerr.message));
			json_object_set_new(o, "rule", safe_string(text));
			json_object_set_new(o, "index", json_integer((json_int_t)i));
			json_object_set_new(o, "column", json_integer(rerr.column));
			err = reply(fd, o);
			goto out;
		}
	}
	ids = json_array();
	for (i = 0; i < n; i++) {
		int id = ffs_faults_add(fs->faults, &parsed[i],
					json_string_value(json_array_get(rules, i)));

		if (id < 0) {
			for (size_t j = 0; j < json_array_size(ids); j++)
				ffs_faults_clear(fs->faults,
						 (int)json_integer_value(json_array_get(ids, j)));
			json_decref(ids);
			err = errorf(fd, "fault: cannot add rule: %s", strerror(-id));
			goto out;
		}
		json_array_append_new(ids, json_integer(id));
	}
	o = ok_obj();
	json_object_set_new(o, "ids", ids);
	err = reply(fd, o);
out:
	free(parsed);
	return err;
}

static int cmd_clear(struct ffs *fs, int fd, json_t *req)
{
	json_t *o;
	uint64_t id;
	int n;

	if (get_u64(req, "id", INT32_MAX, UINT64_MAX, &id))
		return errorf(fd, "clear: \"id\" must be a rule id (a non-negative integer)");
	n = ffs_faults_clear(fs->faults, id == UINT64_MAX ? -1 : (int)id);
	if (n == -ENOENT)
		return errorf(fd, "clear: no rule with id %llu", (unsigned long long)id);
	if (n < 0)
		return errorf(fd, "clear: %s", strerror(-n));
	o = ok_obj();
	json_object_set_new(o, "cleared", json_integer(n));
	return reply(fd, o);
}

static json_t *report_json(const struct ffs_powercut_report *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "writes_undone", json_integer((json_int_t)r->writes_undone));
	json_object_set_new(o, "writes_kept", json_integer((json_int_t)r->writes_kept));
	json_object_set_new(o, "bytes_undone", json_integer((json_int_t)r->bytes_undone));
	json_object_set_new(o, "names_undone", json_integer((json_int_t)r->names_undone));
	json_object_set_new(o, "files_touched", json_integer((json_int_t)r->files_touched));
	json_object_set_new(o, "duration_ns", json_integer((json_int_t)r->duration_ns));
	json_object_set_new(o, "wait_ns", json_integer((json_int_t)r->wait_ns));
	json_object_set_new(o, "inval_ns", json_integer((json_int_t)r->inval_ns));
	return o;
}

static int cmd_powercut(struct ffs *fs, int fd, json_t *req)
{
	struct ffs_powercut_opts opts = { 0 };
	struct ffs_powercut_report rep = { 0 };
	uint64_t keep, torn, seed;
	json_t *o;
	int err;

	if (get_u64(req, "keep_ppm", 1000000, 0, &keep))
		return errorf(fd, "powercut: \"keep_ppm\" must be an integer in 0..1000000");
	if (get_u64(req, "seed", INT64_MAX, 0, &seed))
		return errorf(fd, "powercut: \"seed\" must be a non-negative integer");
	if (get_u64(req, "torn", 1u << 30, 0, &torn) || (torn & (torn - 1)))
		return errorf(fd, "powercut: \"torn\" must be 0 or a power of two (sector bytes)");
	opts.keep_ppm = (uint32_t)keep;
	opts.seed = seed;
	opts.torn_sector = (uint32_t)torn;
	if (!fs->dur)
		return errorf(fd, "powercut: this mount has no durability model");
	err = ffs_powercut(fs, &opts, false, &rep);
	if (err)
		return errorf(fd, "powercut failed: %s", strerror(-err));
	o = ok_obj();
	json_object_set_new(o, "report", report_json(&rep));
	err = reply(fd, o);
	/*
	 * The log's powercut line reaches the disk after the answer (powercut.c,
	 * log_cut), and the blocks of the files the cut left nameless are freed.
	 */
	ffs_powercut_finish(fs);
	if (fs->wlog)
		ffs_wlog_sync(fs->wlog);
	return err;
}

/*
 * A crash-consistent image of the durable state, as a cloud volume
 * snapshot: answered once the copy is in dest and on its disk.
 */
static int cmd_snapshot(struct ffs *fs, int fd, json_t *req)
{
	struct ffs_snapshot_report rep = { 0 };
	const char *dest = json_string_value(json_object_get(req, "dest"));
	uint64_t held = 0, took;
	char why[512] = "";
	json_t *o;
	int err;

	if (!dest || dest[0] != '/')
		return errorf(fd, "snapshot: \"dest\" must be an absolute path (a new or empty directory)");
	err = ffs_snapshot(fs, dest, &rep, &held, why, sizeof(why));
	if (err)
		return errorf(fd, "snapshot: %s", why[0] ? why : strerror(-err));
	took = rep.precopy_ns + rep.copy_ns + rep.replay_ns;
	o = ok_obj();
	json_object_set_new(o, "dest", safe_string(dest));
	json_object_set_new(o, "files", json_integer((json_int_t)rep.files));
	json_object_set_new(o, "dirs", json_integer((json_int_t)rep.dirs));
	json_object_set_new(o, "bytes", json_integer((json_int_t)rep.bytes_copied));
	json_object_set_new(o, "writes_undone", json_integer((json_int_t)rep.cut.writes_undone));
	json_object_set_new(o, "bytes_undone", json_integer((json_int_t)rep.cut.bytes_undone));
	json_object_set_new(o, "names_undone", json_integer((json_int_t)rep.cut.names_undone));
	json_object_set_new(o, "precopy_ns", json_integer((json_int_t)rep.precopy_ns));
	json_object_set_new(o, "full", json_boolean(rep.full));
	json_object_set_new(o, "relinked", json_boolean(rep.relinked));
	json_object_set_new(o, "relinked_files", json_integer((json_int_t)rep.relinked_files));
	json_object_set_new(o, "catchup_files", json_integer((json_int_t)rep.catchup_files));
	json_object_set_new(o, "catchup_bytes", json_integer((json_int_t)rep.catchup_bytes));
	json_object_set_new(o, "copy_ns", json_integer((json_int_t)rep.copy_ns));
	json_object_set_new(o, "replay_ns", json_integer((json_int_t)rep.replay_ns));
	json_object_set_new(o, "duration_ns", json_integer((json_int_t)took));
	json_object_set_new(o, "held_ns", json_integer((json_int_t)held));
	return reply(fd, o);
}

static int cmd_resume(struct ffs *fs, int fd)
{
	int err = ffs_resume(fs);

	if (err)
		return errorf(fd, "resume failed: %s", strerror(-err));
	return reply(fd, ok_obj());
}

/*
 * sync(2) on a real disk: everything volatile becomes durable. The kernel
 * sends no syncfs request to a FUSE server, so this is the way to it. It
 * takes the operations lock exclusively: what was answered before is
 * durable after, and nothing half-done is caught in between.
 */
static int cmd_sync(struct ffs *fs, int fd)
{
	struct ffs_dur_totals t = { 0 };
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_SYNCFS, .path = "/",
				    .detail = "faultline fs sync" };
	json_t *o;
	int err;

	if (!fs->dur)
		return errorf(fd, "sync: this mount has no durability model");
	pthread_rwlock_wrlock(&fs->op_lock);
	err = ffs_dur_status(fs->dur, NULL, NULL, &t);
	if (!err)
		err = ffs_dur_syncfs(fs->dur);
	e.result = err;
	if (fs->wlog)
		ffs_wlog_append(fs->wlog, &e);
	pthread_rwlock_unlock(&fs->op_lock);
	if (err)
		return errorf(fd, "sync failed: %s", strerror(-err));
	o = ok_obj();
	json_object_set_new(o, "volatile_bytes", json_integer((json_int_t)t.volatile_bytes));
	json_object_set_new(o, "volatile_writes", json_integer((json_int_t)t.volatile_writes));
	json_object_set_new(o, "volatile_names", json_integer((json_int_t)t.volatile_names));
	return reply(fd, o);
}

static int file_cb(void *ctx, const struct ffs_dur_file_status *st)
{
	json_t *f = json_object();

	json_object_set_new(f, "path", st->path ? safe_string(st->path) : json_null());
	json_object_set_new(f, "ino", json_integer((json_int_t)st->ino));
	json_object_set_new(f, "volatile_bytes", json_integer((json_int_t)st->volatile_bytes));
	json_object_set_new(f, "volatile_writes", json_integer((json_int_t)st->volatile_writes));
	json_object_set_new(f, "lost_bytes", json_integer((json_int_t)st->lost_bytes));
	json_object_set_new(f, "durable_size", json_integer(st->durable_size));
	json_object_set_new(f, "size", json_integer(st->size));
	return json_array_append_new(ctx, f) ? -ENOMEM : 0;
}

static int rule_cb(void *ctx, const struct ffs_rule_status *st)
{
	json_t *r = json_object();

	json_object_set_new(r, "id", json_integer(st->id));
	json_object_set_new(r, "text", safe_string(st->text));
	json_object_set_new(r, "matched", json_integer((json_int_t)st->matched));
	json_object_set_new(r, "injected", json_integer((json_int_t)st->injected));
	/* JSON integers are signed 64-bit here: a larger given seed= stays exact as a string. */
	if (st->seed <= INT64_MAX) {
		json_object_set_new(r, "seed", json_integer((json_int_t)st->seed));
	} else {
		char buf[24];

		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)st->seed);
		json_object_set_new(r, "seed", json_string(buf));
	}
	json_object_set_new(r, "seed_given", json_boolean(st->seed_given));
	json_object_set_new(r, "expired", json_boolean(st->expired));
	return json_array_append_new(ctx, r) ? -ENOMEM : 0;
}

static int cmd_status(struct ffs *fs, int fd)
{
	struct ffs_dur_totals t = { 0 };
	json_t *o = ok_obj(), *files = json_array(), *rules = json_array(), *tot;
	int err = 0;

	if (fs->dur) {
		json_object_set_new(o, "mode", json_string(ffs_dur_mode(fs->dur) == FFS_DUR_DATA ?
							   "data" : "strict"));
		err = ffs_dur_status(fs->dur, file_cb, files, &t);
	} else {
		json_object_set_new(o, "mode", json_string("none"));
	}
	json_object_set_new(o, "offline", json_boolean(__atomic_load_n(&fs->offline, __ATOMIC_ACQUIRE)));
	json_object_set_new(o, "killpriv_v2",
			    json_boolean(__atomic_load_n(&fs->killpriv_v2, __ATOMIC_ACQUIRE)));
	json_object_set_new(o, "getxattr_requests", json_integer((json_int_t)__atomic_load_n(
				    &fs->getxattr_requests, __ATOMIC_RELAXED)));
	tot = json_object();
	json_object_set_new(tot, "volatile_bytes", json_integer((json_int_t)t.volatile_bytes));
	json_object_set_new(tot, "volatile_writes", json_integer((json_int_t)t.volatile_writes));
	json_object_set_new(tot, "lost_bytes", json_integer((json_int_t)t.lost_bytes));
	json_object_set_new(tot, "volatile_names", json_integer((json_int_t)t.volatile_names));
	json_object_set_new(tot, "files", json_integer((json_int_t)t.files));
	json_object_set_new(tot, "undo_disk_bytes", json_integer((json_int_t)t.undo_disk_bytes));
	json_object_set_new(tot, "memory_bytes", json_integer((json_int_t)t.memory_bytes));
	json_object_set_new(tot, "trash_bytes", json_integer((json_int_t)t.trash_bytes));
	json_object_set_new(tot, "names_max", json_integer((json_int_t)t.names_max));
	json_object_set_new(tot, "trash_max", json_integer((json_int_t)t.trash_max));
	json_object_set_new(tot, "names_forced", json_integer((json_int_t)t.names_forced));
	json_object_set_new(o, "totals", tot);
	json_object_set_new(o, "files", files);
	if (!err && fs->faults)
		err = ffs_faults_status(fs->faults, rule_cb, rules);
	json_object_set_new(o, "rules", rules);
	if (fs->wlog)
		json_object_set_new(o, "log_seq", json_integer((json_int_t)ffs_wlog_last_seq(fs->wlog)));
	if (err) {
		json_decref(o);
		return errorf(fd, "status: %s", strerror(-err));
	}
	return reply(fd, o);
}

static int cmd_log(struct ffs *fs, int fd, json_t *req, bool *handed_over)
{
	json_t *follow = json_object_get(req, "follow");
	uint64_t since;
	int err;

	if (get_u64(req, "since", INT64_MAX, 1, &since))
		return errorf(fd, "log: \"since\" must be a non-negative integer (a seq)");
	if (follow && !json_is_boolean(follow))
		return errorf(fd, "log: \"follow\" must be true or false");
	if (!fs->wlog)
		return errorf(fd, "log: this mount has no write log");
	err = ffs_control_write(fd, "{\"ok\":true}\n", 12);
	if (err)
		return err;
	if (json_is_true(follow)) {
		/* The log gets its own fd: ours stays valid until our client thread ends. */
		int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		if (dfd < 0)
			return -errno;
		err = ffs_wlog_follow(fs->wlog, dfd, since);
		if (err) {
			close(dfd);
			return errorf(fd, "log: cannot follow: %s", strerror(-err));
		}
		*handed_over = true;
		return 0;
	}
	err = ffs_wlog_dump(fs->wlog, fd, since);
	if (err)
		return errorf(fd, "log: %s", strerror(-err));
	return ffs_control_write(fd, "{\"end\":true}\n", 13);
}

static int cmd_ping(int fd)
{
	json_t *o = ok_obj();

	json_object_set_new(o, "version", json_string(FL_VERSION));
	json_object_set_new(o, "pid", json_integer(getpid()));
	return reply(fd, o);
}

int ffs_control_handle(struct ffs *fs, int fd, const char *line, size_t len,
		       bool *handed_over)
{
	json_error_t jerr;
	json_t *req;
	const char *cmd;
	int err;

	*handed_over = false;
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return errorf(fd, "malformed JSON at column %d: %s", jerr.column, jerr.text);
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!json_is_object(req))
		err = errorf(fd, "a request is a JSON object with a \"cmd\"");
	else if (!cmd)
		err = errorf(fd, "missing \"cmd\" (fault, clear, powercut, resume, snapshot, sync, status, log or ping)");
	else if (!strcmp(cmd, "fault"))
		err = cmd_fault(fs, fd, req);
	else if (!strcmp(cmd, "clear"))
		err = cmd_clear(fs, fd, req);
	else if (!strcmp(cmd, "powercut"))
		err = cmd_powercut(fs, fd, req);
	else if (!strcmp(cmd, "resume"))
		err = cmd_resume(fs, fd);
	else if (!strcmp(cmd, "snapshot"))
		err = cmd_snapshot(fs, fd, req);
	else if (!strcmp(cmd, "sync"))
		err = cmd_sync(fs, fd);
	else if (!strcmp(cmd, "status"))
		err = cmd_status(fs, fd);
	else if (!strcmp(cmd, "log"))
		err = cmd_log(fs, fd, req, handed_over);
	else if (!strcmp(cmd, "ping"))
		err = cmd_ping(fd);
	else
		err = errorf(fd, "unknown cmd '%.64s' (fault, clear, powercut, resume, snapshot, sync, status, log or ping)",
			     cmd);
	json_decref(req);
	return err;
}
