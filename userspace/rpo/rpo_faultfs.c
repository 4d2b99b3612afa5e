// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * faultfs in place over a service's data directory, for `faultline rpo`:
 * mount, power cut, disk failure, the write log, unmount.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultline/fs.h>
#include <faultline/fs_daemon.h>
#include <faultline/state.h>
#include "core/child.h"
#include "rpo_faults.h"
#include "rpo_priv.h"

#define PING_TOTAL_MS   10000
#define REQUEST_MS      5000
#define POWERCUT_MS     120000
#define UNMOUNT_BUSY_MS 2000

struct fl_rpo_faultfs {
	char dir[PATH_MAX];
	char log[PATH_MAX];
	bool own_log;            /* a temporary file we remove */
	bool own_state_dir;      /* DIR/.faultfs was not there before */
	pid_t pid;               /* the daemon */
	struct fl_state *st;
	uint64_t rec_id;
	uint64_t log_rec_id;     /* the temporary log's record, or 0 */
	bool adopted;            /* the user's own mount: used, never unmounted */
	int disk_rule;           /* the disk-fail rule's id + 1, or 0 */
};


/* Does the comma-separated -o list opts set key= ? */
static bool has_opt(const char *opts, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = opts; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* Start faultfs; it daemonizes, so its first process exits once the mount is up. */
static int run_faultfs(struct fl_rpo_faultfs *ff, const char *bin, const char *opts,
		       char *errbuf, size_t errlen)
{
	char *full = NULL;
	int err;

	if (asprintf(&full, "%s%s%s%s", opts && *opts ? opts : "",
		     opts && *opts ? "," : "", ff->own_log ? "log=" : "",
		     ff->own_log ? ff->log : "") < 0)
		return -ENOMEM;
	if (full[0] && full[strlen(full) - 1] == ',')
		full[strlen(full) - 1] = '\0';
	err = fl_fs_daemon_run(bin, ff->dir, full, ff->st, PING_TOTAL_MS, errbuf, errlen);
	free(full);
	return err;
}

static int request(struct fl_rpo_faultfs *ff, json_t *req, int timeout_ms, json_t **ret)
{
	int fd, err;

	err = fl_fs_connect(ff->dir, &fd);
	if (err)
		return err;
	err = fl_fs_request(fd, req, ret, timeout_ms);
	close(fd);
	return err;
}

int fl_rpo_faultfs_request(struct fl_rpo_faultfs *ff, json_t *req, int timeout_ms,
			   json_t **ret_reply, char *errbuf, size_t errlen)
{
	json_t *reply = NULL;
	int err;

	if (!ff || !req)
		return -EINVAL;
	err = request(ff, req, timeout_ms, &reply);
	if (err) {
		fl_errf(errbuf, errlen, "faultfs on %s: %s", ff->dir, fl_fs_strerror(err));
		return err;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *msg = json_string_value(json_object_get(reply, "error"));

		fl_errf(errbuf, errlen, "faultfs on %s: %s", ff->dir, msg ? msg : "request refused");
		json_decref(reply);
		return -EIO;
	}
	if (ret_reply)
		*ret_reply = reply;
	else
		json_decref(reply);
	return 0;
}

/* A request built from a json_pack format; the reply when ret is given. */
static int simple(struct fl_rpo_faultfs *ff, json_t *req, int timeout_ms, json_t **ret,
		  char *errbuf, size_t errlen)
{
	int err;

	if (!req)
		return -ENOMEM;
	err = fl_rpo_faultfs_request(ff, req, timeout_ms, ret, errbuf, errlen);
	json_decref(req);
	return err;
}

static int wait_ping(struct fl_rpo_faultfs *ff, char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_now_ns() + PING_TOTAL_MS * 1000000ull;
	json_t *reply = NULL;
	int err;

	for (;;) {
		err = simple(ff, json_pack("{s:s}", "cmd", "ping"), 1000, &reply, NULL, 0);
		if (!err)
			break;
		if (fl_now_ns() > deadline) {
			fl_errf(errbuf, errlen, "faultfs on %s does not answer on its control "
				"socket: %s", ff->dir, fl_fs_strerror(err));
			return err;
		}
		fl_sleep_ms(10);
	}
	ff->pid = (pid_t)json_integer_value(json_object_get(reply, "pid"));
	json_decref(reply);
	return 0;
}

/* A temporary write log, recorded in the state so a killed run's undo removes it. */
static int make_temp_log(struct fl_rpo_faultfs *ff)
{
	const char *tmp = getenv("TMPDIR");
	char real[PATH_MAX];
	int fd, err;

	if (!tmp || tmp[0] != '/' || !realpath(tmp, real))
		snprintf(real, sizeof(real), "/tmp");
	if ((size_t)snprintf(ff->log, sizeof(ff->log), "%s/faultline-wlog-XXXXXX", real) >=
	    sizeof(ff->log))
		return -ENAMETOOLONG;
	fd = mkostemp(ff->log, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	if (ff->st) {
		err = fl_state_record_file(ff->st, ff->log, &ff->log_rec_id);
		if (err) {
			unlink(ff->log);
			return err;
		}
	}
	ff->own_log = true;
	return 0;
}

/* The log=FILE given in opts, as an absolute path if it can be made one. */
static void given_log(struct fl_rpo_faultfs *ff, const char *opts)
{
	const char *p = opts;
	char rel[PATH_MAX], cwd[PATH_MAX];

	while (p && strncmp(p, "log=", 4)) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	if (!p)
		return;
	snprintf(rel, sizeof(rel), "%.*s", (int)strcspn(p + 4, ","), p + 4);
	if (rel[0] != '/' && getcwd(cwd, sizeof(cwd))) {
		if ((size_t)snprintf(ff->log, sizeof(ff->log), "%s/%s", cwd, rel) >=
		    sizeof(ff->log))
			ff->log[0] = '\0';
	} else {
		snprintf(ff->log, sizeof(ff->log), "%s", rel);
	}
}

static void remove_state_dir(const char *dir)
{
	char p[PATH_MAX + 32];

	/* faultfs empties undo/ and trash/ at a clean stop; only empty ones go. */
	snprintf(p, sizeof(p), "%s/.faultfs/undo", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/.faultfs/trash", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/.faultfs", dir);
	rmdir(p);
}

static void free_ff(struct fl_rpo_faultfs *ff)
{
	/* The record goes only with the file. */
	if (ff->own_log && ff->log[0] && (unlink(ff->log) == 0 || errno == ENOENT) &&
	    ff->st && ff->log_rec_id)
		fl_state_forget(ff->st, ff->log_rec_id);
	free(ff);
}

int fl_rpo_faultfs_mount(const char *dir, const char *opts, struct fl_state *st,
			 struct fl_rpo_faultfs **ret, char *errbuf, size_t errlen)
{
	struct fl_rpo_faultfs *ff;
	char bin[PATH_MAX], sdir[PATH_MAX + 16];
	struct stat sb;
	int err = 0;

	if (!dir || !ret)
		return -EINVAL;
	ff = calloc(1, sizeof(*ff));
	if (!ff)
		return -ENOMEM;
	ff->st = st;
	if (!realpath(dir, ff->dir) || stat(ff->dir, &sb))
		err = -errno;
	else if (!S_ISDIR(sb.st_mode))
		err = -ENOTDIR;
	if (err) {
		fl_errf(errbuf, errlen, "data directory %s: %s", dir, strerror(-err));
		goto fail;
	}
	if (fl_fs_check_mount(ff->dir) == 0) {
		/* The user's own faultfs, with the user's options: driven, left mounted. */
		ff->adopted = true;
		err = wait_ping(ff, errbuf, errlen);
		if (err)
			goto fail;
		*ret = ff;
		return 0;
	}
	err = fl_fs_daemon_find(bin, sizeof(bin));
	if (err) {
		fl_errf(errbuf, errlen, "faultfs not found next to this program nor on $PATH");
		goto fail;
	}
	snprintf(sdir, sizeof(sdir), "%s/.faultfs", ff->dir);
	ff->own_state_dir = lstat(sdir, &sb) != 0;
	if (has_opt(opts, "log"))
		given_log(ff, opts);
	else if ((err = make_temp_log(ff))) {
		fl_errf(errbuf, errlen, "cannot create a temporary write log: %s", strerror(-err));
		goto fail;
	}
	err = run_faultfs(ff, bin, opts, errbuf, errlen);
	if (err) {
		if (ff->own_state_dir)
			remove_state_dir(ff->dir);
		goto fail;
	}
	/* Recorded before anything else can fail, so nothing outlives us mounted. */
	if (st) {
		err = fl_state_record_mount(st, ff->dir, &ff->rec_id);
		if (err) {
			fl_errf(errbuf, errlen, "cannot record the mount of %s: %s", ff->dir,
				strerror(-err));
			umount2(ff->dir, MNT_DETACH);
			goto fail;
		}
	}
	err = wait_ping(ff, errbuf, errlen);
	if (err) {
		fl_rpo_faultfs_unmount(ff);
		return err;
	}
	*ret = ff;
	return 0;
fail:
	free_ff(ff);
	return err;
}

const char *fl_rpo_faultfs_dir(const struct fl_rpo_faultfs *ff)
{
	return ff->dir;
}

const char *fl_rpo_faultfs_log_path(const struct fl_rpo_faultfs *ff)
{
	return ff->log;
}

pid_t fl_rpo_faultfs_pid(const struct fl_rpo_faultfs *ff)
{
	return ff->pid;
}

int fl_rpo_faultfs_log_seq(struct fl_rpo_faultfs *ff, uint64_t *ret)
{
	json_t *reply = NULL;
	int err;

	err = simple(ff, json_pack("{s:s}", "cmd", "status"), REQUEST_MS, &reply, NULL, 0);
	if (err)
		return err;
	*ret = (uint64_t)json_integer_value(json_object_get(reply, "log_seq"));
	json_decref(reply);
	return 0;
}

static uint64_t get_u64(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

void fl_rpo_powercut_from_json(json_t *rep, struct fl_rpo_powercut *pc)
{
	pc->writes_undone = get_u64(rep, "writes_undone");
	pc->writes_kept = get_u64(rep, "writes_kept");
	pc->bytes_undone = get_u64(rep, "bytes_undone");
	pc->names_undone = get_u64(rep, "names_undone");
	pc->files_touched = get_u64(rep, "files_touched");
	pc->duration_ns = get_u64(rep, "duration_ns");
}

int fl_rpo_faultfs_powercut(struct fl_rpo_faultfs *ff, uint32_t keep_ppm, uint64_t seed,
			    struct fl_rpo_powercut *ret, json_t **ret_report,
			    char *errbuf, size_t errlen)
{
	struct fl_rpo_powercut pc = { 0 };
	json_t *reply = NULL, *rep;
	int err;

	if (keep_ppm > 1000000 || seed > INT64_MAX)
		return -EINVAL;
	pc.cut_ns = fl_now_ns();
	err = simple(ff, json_pack("{s:s,s:I,s:I}", "cmd", "powercut", "keep_ppm",
				   (json_int_t)keep_ppm, "seed", (json_int_t)seed),
		     POWERCUT_MS, &reply, errbuf, errlen);
	if (err)
		return err;
	rep = json_object_get(reply, "report");
	fl_rpo_powercut_from_json(rep, &pc);
	if (ret)
		*ret = pc;
	if (ret_report)
		*ret_report = json_incref(rep);
	json_decref(reply);
	return 0;
}

int fl_rpo_faultfs_resume(struct fl_rpo_faultfs *ff)
{
	return simple(ff, json_pack("{s:s}", "cmd", "resume"), REQUEST_MS, NULL, NULL, 0);
}

int fl_rpo_faultfs_disk_fail(struct fl_rpo_faultfs *ff, int *ret_id)
{
	json_t *reply = NULL, *id;
	int err;

	err = simple(ff, json_pack("{s:s,s:[s]}", "cmd", "fault", "rules", "*:error=EIO"),
		     REQUEST_MS, &reply, NULL, 0);
	if (err)
		return err;
	id = json_array_get(json_object_get(reply, "ids"), 0);
	if (json_is_integer(id) && json_integer_value(id) >= 0 && json_integer_value(id) < INT_MAX)
		ff->disk_rule = (int)json_integer_value(id) + 1;
	if (ret_id)
		*ret_id = (int)json_integer_value(id);
	json_decref(reply);
	return 0;
}

int fl_rpo_faultfs_clear(struct fl_rpo_faultfs *ff, unsigned *ret_cleared)
{
	json_t *reply = NULL;
	int err;

	/* Only our rule when we know it: a mount of the user's may hold rules of theirs. */
	if (ff->disk_rule)
		err = simple(ff, json_pack("{s:s,s:i}", "cmd", "clear", "id", ff->disk_rule - 1),
			     REQUEST_MS, &reply, NULL, 0);
	else
		err = simple(ff, json_pack("{s:s}", "cmd", "clear"), REQUEST_MS, &reply, NULL, 0);
	if (!err)
		ff->disk_rule = 0;
	if (err)
		return err;
	if (ret_cleared)
		*ret_cleared = (unsigned)get_u64(reply, "cleared");
	json_decref(reply);
	return 0;
}

int fl_rpo_faultfs_log(struct fl_rpo_faultfs *ff, uint64_t since, json_t **ret)
{
	json_t *req, *reply = NULL, *lines = json_array();
	int fd = -1, err;

	req = json_pack("{s:s,s:I,s:b}", "cmd", "log", "since", (json_int_t)since, "follow", 0);
	if (!req || !lines) {
		err = -ENOMEM;
		goto out;
	}
	err = fl_fs_connect(ff->dir, &fd);
	if (err)
		goto out;
	err = fl_fs_request(fd, req, &reply, REQUEST_MS);
	if (!err && !json_is_true(json_object_get(reply, "ok")))
		err = -EIO;
	while (!err) {
		json_t *line = NULL;

		err = fl_fs_read_json(fd, REQUEST_MS, &line);
		if (err)
			break;
		if (json_is_true(json_object_get(line, "end"))) {
			json_decref(line);
			break;
		}
		if (json_object_get(line, "error")) {
			json_decref(line);
			err = -EIO;
			break;
		}
		if (json_array_append_new(lines, line))
			err = -ENOMEM;
	}
out:
	if (fd >= 0)
		close(fd);
	json_decref(req);
	json_decref(reply);
	if (err) {
		json_decref(lines);
		return err;
	}
	*ret = lines;
	return 0;
}

/* --- unmount ---------------------------------------------------------------- */

int fl_rpo_faultfs_unmount(struct fl_rpo_faultfs *ff)
{
	int err = 0;

	if (!ff)
		return 0;
	if (ff->adopted) {
		/* Not ours to unmount; a disk-fail rule of ours must not stay behind. */
		if (ff->disk_rule)
			fl_rpo_faultfs_clear(ff, NULL);
		free_ff(ff);
		return 0;
	}
	err = fl_fs_daemon_unmount(ff->dir, ff->pid, UNMOUNT_BUSY_MS);
	if (err == -EBUSY)
		err = 0;  /* said below, by the mount still standing */
	if (fl_fs_check_mount(ff->dir) == 0) {
		free(ff);
		return err ? err : -EBUSY;
	}
	if (ff->st && ff->rec_id)
		fl_state_forget(ff->st, ff->rec_id);
	if (ff->own_state_dir)
		remove_state_dir(ff->dir);
	free_ff(ff);
	return err;
}
