// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Undo of the objects that live in file systems or the process table:
 * mounts, cgroups, named netns, files and stopped processes. "Already gone" is
 * success; "something else is there now" (another mount on the path, a
 * reused pid) is also treated as gone, because touching it would break
 * the rule that faultline only touches what it created.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include <faultline/cgroup.h>

#include "state_priv.h"

static const char *get_str(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_nsec = ms * 1000000L }, NULL);
}

int fl_undo_mount(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *path = get_str(rec, "path");
	json_t *uid = json_object_get(rec, "mnt_id_unique");
	json_t *id = json_is_integer(uid) ? uid : json_object_get(rec, "mnt_id");
	unsigned int mask = json_is_integer(uid) ? STATX_MNT_ID_UNIQUE : STATX_MNT_ID;
	struct statx stx;

	if (!path || path[0] != '/') {
		snprintf(msg, msg_len, "record has no absolute path");
		return -EBADMSG;
	}
	snprintf(what, what_len, "mount %s", path);
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
		  mask, &stx) < 0) {
		if (errno == ENOENT)
			return 0;
		/* e.g. ENOTCONN from a dead FUSE daemon: unmount unverified. */
	} else if (json_is_integer(id) && (stx.stx_mask & mask) &&
		   stx.stx_mnt_id != (uint64_t)json_integer_value(id)) {
		return 0; /* ours is gone; this is someone else's mount */
	}
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 &&
	    errno != EINVAL && errno != ENOENT) {
		int err = -errno;

		snprintf(msg, msg_len, "umount: %s", strerror(-err));
		return err;
	}
	return 0;
}

static int join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_str(const char *path, const char *s)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Move every process of cg to the nearest ancestor that accepts it (a
 * non-root ancestor with controllers enabled refuses with EBUSY: the "no
 * internal processes" rule). Returns how many pids were still listed.
 */
static int evacuate(const char *cg, const char *top_parent)
{
	char procs[PATH_MAX], dest[PATH_MAX], line[32];
	int left = 0;
	FILE *f;

	if (join(procs, sizeof(procs), cg, "cgroup.procs"))
		return 0;
	f = fopen(procs, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char anc[PATH_MAX], *slash;

		left++;
		snprintf(anc, sizeof(anc), "%s", top_parent);
		for (;;) {
			struct statfs sfs;
			int err;

			if (statfs(anc, &sfs) < 0 || (sfs.f_type != CGROUP2_SUPER_MAGIC &&
							   sfs.f_type != CGROUP_SUPER_MAGIC))
				break;
			err = join(dest, sizeof(dest), anc, "cgroup.procs");
			if (!err)
				err = write_str(dest, line);
			if (err != -EBUSY && err != -EOPNOTSUPP)
				break; /* moved, or gone (ESRCH) */
			slash = strrchr(anc, '/');
			if (!slash || slash == anc)
				break;
			*slash = '\0';
		}
	}
	fclose(f);
	return left;
}

static int remove_cgroup(const char *cg, const char *top_parent)
{
	char freeze[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(cg);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* Thaw first: a frozen task cannot exit or be killed cleanly. */
	if (!join(freeze, sizeof(freeze), cg, "cgroup.freeze"))
		write_str(freeze, "0");
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (join(sub, sizeof(sub), cg, de->d_name))
			continue;
		err = remove_cgroup(sub, top_parent);
		if (err)
			break;
	}
	closedir(d);
	if (err)
		return err;
	/* Exiting tasks leave the group asynchronously: retry for up to 1 s. */
	for (int i = 0; i < 100; i++) {
		evacuate(cg, top_parent);
		if (rmdir(cg) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		sleep_ms(10);
	}
	return -EBUSY;
}

int fl_undo_cgroup(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *path = get_str(rec, "path");
	char parent[PATH_MAX], *slash;
	struct statfs sfs;
	int err;

	if (!path || path[0] != '/') {
		snprintf(msg, msg_len, "record has no absolute path");
		return -EBADMSG;
	}
	snprintf(what, what_len, "cgroup %s", path);
	if (statfs(path, &sfs) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC && sfs.f_type != CGROUP_SUPER_MAGIC) {
		snprintf(msg, msg_len, "not a cgroup directory; left alone");
		return -EINVAL;
	}
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	/* A service faultline started in it is faultline's: killed, not moved. */
	if (json_is_true(json_object_get(rec, "kill"))) {
		unsigned killed = 0;

		snprintf(what, what_len, "service cgroup %s", path);
		err = fl_cgroup_kill(path, 5000000000ull, &killed);
		if (err) {
			snprintf(msg, msg_len, "killing its processes: %s", strerror(-err));
			return err;
		}
		if (killed) {
			snprintf(what, what_len, "service cgroup %s (killed %u process%s)", path,
				 killed, killed == 1 ? "" : "es");
			snprintf(msg, msg_len, "killed %u process%s of service cgroup %s", killed,
				 killed == 1 ? "" : "es", path);
		}
	}
	err = remove_cgroup(path, parent);
	if (err) {
		size_t n = strlen(msg);

		snprintf(msg + n, msg_len - n, "%srmdir: %s", n ? "; " : "", strerror(-err));
	}
	return err;
}

int fl_undo_file(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *path = get_str(rec, "path");
	json_t *ino = json_object_get(rec, "ino"), *dev = json_object_get(rec, "dev");
	struct stat sb;

	if (!path || path[0] != '/') {
		snprintf(msg, msg_len, "record has no absolute path");
		return -EBADMSG;
	}
	snprintf(what, what_len, "file %s", path);
	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Another file on the path now: not ours. */
	if (!S_ISREG(sb.st_mode) ||
	    (json_is_integer(ino) && (json_int_t)sb.st_ino != json_integer_value(ino)) ||
	    (json_is_integer(dev) && (json_int_t)sb.st_dev != json_integer_value(dev)))
		return 0;
	if (unlink(path) < 0 && errno != ENOENT) {
		int err = -errno;

		snprintf(msg, msg_len, "unlink: %s", strerror(-err));
		return err;
	}
	return 0;
}

int fl_undo_netns(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *name = get_str(rec, "name");
	char path[PATH_MAX];

	if (fl_netns_name_valid(name)) {
		snprintf(msg, msg_len, "record has no valid netns name");
		return -EBADMSG;
	}
	snprintf(what, what_len, "netns %s", name);
	if (join(path, sizeof(path), FL_NETNS_RUN_DIR, name))
		return -ENAMETOOLONG;
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 &&
	    errno != EINVAL && errno != ENOENT) {
		int err = -errno;

		snprintf(msg, msg_len, "umount %s: %s", path, strerror(-err));
		return err;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		int err = -errno;

		snprintf(msg, msg_len, "unlink %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int fl_undo_sigcont(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	json_t *jpid = json_object_get(rec, "pid");
	json_t *jstart = json_object_get(rec, "starttime");
	uint64_t now;
	pid_t pid;

	if (!json_is_integer(jpid) || !json_is_integer(jstart) ||
	    json_integer_value(jpid) <= 0) {
		snprintf(msg, msg_len, "record has no pid/starttime");
		return -EBADMSG;
	}
	pid = (pid_t)json_integer_value(jpid);
	snprintf(what, what_len, "SIGCONT to pid %d", (int)pid);
	if (fl_proc_starttime(pid, &now) ||
	    now != (uint64_t)json_integer_value(jstart))
		return 0; /* exited, or the pid now belongs to someone else */
	if (kill(pid, SIGCONT) < 0 && errno != ESRCH) {
		int err = -errno;

		snprintf(msg, msg_len, "kill: %s", strerror(-err));
		return err;
	}
	return 0;
}
