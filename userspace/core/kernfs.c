// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Mount tracefs, bpffs, cgroup2 and securityfs when they are missing.
 *
 * Each is recognised by its superblock magic (statfs) at its standard
 * place, never by a path merely existing: an unmounted /sys/fs/bpf is an
 * empty sysfs directory, and a pin there would fail with EPERM far from
 * the cause. cgroup2 is the exception: on a hybrid host it sits under the
 * v1 tmpfs (/sys/fs/cgroup/unified), so mountinfo is searched for it
 * wherever it is.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include <faultline/kernfs.h>

#define KERNFS_COUNT 4
#define CGROUP_TMPFS "/sys/fs/cgroup"

struct kernfs {
	enum fl_kernfs fs;
	const char *name;
	const char *type;       /* for mount(2) */
	long magic;
	const char *place;      /* the standard mount point */
	const char *alt;        /* another place it is often found, or NULL */
	const char *data;       /* mount options */
};

static const struct kernfs table[KERNFS_COUNT] = {
	{ FL_KERNFS_TRACEFS, "tracefs", "tracefs", TRACEFS_MAGIC,
	  "/sys/kernel/tracing", "/sys/kernel/debug/tracing", NULL },
	/* mode=0700: pins hold fault state; only root may look at them. */
	{ FL_KERNFS_BPFFS, "bpffs", "bpf", BPF_FS_MAGIC, "/sys/fs/bpf", NULL, "mode=0700" },
	{ FL_KERNFS_CGROUP2, "cgroup2", "cgroup2", CGROUP2_SUPER_MAGIC,
	  CGROUP_TMPFS, NULL, NULL },
	{ FL_KERNFS_SECURITYFS, "securityfs", "securityfs", SECURITYFS_MAGIC,
	  "/sys/kernel/security", NULL, NULL },
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned checked;         /* looked at once already */
static unsigned present;         /* found or mounted */
static unsigned mounted_here;    /* mounted by this process */
static char where[KERNFS_COUNT][PATH_MAX];

static int index_of(enum fl_kernfs fs)
{
	for (int i = 0; i < KERNFS_COUNT; i++)
		if (table[i].fs == fs)
			return i;
	return -1;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

/* The first cgroup2 mount in mountinfo, wherever it is. */
static int find_cgroup2(char *buf, size_t len)
{
	char line[4096];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], *sep = strstr(line, " - ");

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		err = (size_t)snprintf(buf, len, "%s", mnt) >= len ? -ENAMETOOLONG : 0;
		break;
	}
	fclose(f);
	return err;
}

static int find(const struct kernfs *k, char *buf, size_t len)
{
	if (k->fs == FL_KERNFS_CGROUP2)
		return find_cgroup2(buf, len);
	if (is_fs(k->place, k->magic)) {
		snprintf(buf, len, "%s", k->place);
		return 0;
	}
	if (k->alt && is_fs(k->alt, k->magic)) {
		snprintf(buf, len, "%s", k->alt);
		return 0;
	}
	return -ENOENT;
}

/*
 * cgroup2 goes to /sys/fs/cgroup when nothing is mounted there. When a v1
 * tmpfs is (a legacy or hybrid host without the unified hierarchy), it goes
 * where systemd's hybrid mode puts it, /sys/fs/cgroup/unified, or to
 * /run/faultline/cgroup2 when that tmpfs is read-only.
 */
static int cgroup2_place(char *buf, size_t len)
{
	static const char *const fallback = "/run/faultline/cgroup2";

	if (!is_fs(CGROUP_TMPFS, TMPFS_MAGIC)) {
		snprintf(buf, len, "%s", CGROUP_TMPFS);
		return 0;
	}
	snprintf(buf, len, "%s/unified", CGROUP_TMPFS);
	if (mkdir(buf, 0755) == 0 || errno == EEXIST)
		return 0;
	if (mkdir("/run/faultline", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(fallback, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(buf, len, "%s", fallback);
	return 0;
}

static int mount_one(const struct kernfs *k, char *buf, size_t len)
{
	struct stat st;
	int err;

	if (k->fs == FL_KERNFS_CGROUP2) {
		err = cgroup2_place(buf, len);
		if (err < 0)
			return err;
	} else {
		/* sysfs makes these directories only when the kernel has the feature. */
		if (stat(k->place, &st) < 0)
			return errno == ENOENT ? -ENODEV : -errno;
		snprintf(buf, len, "%s", k->place);
	}
	if (mount(k->type, buf, k->type, MS_NOSUID | MS_NODEV | MS_NOEXEC, k->data) < 0)
		return -errno;
	return 0;
}

int fl_kernfs_ensure(unsigned which, unsigned *ret_mounted)
{
	unsigned now = 0;
	int first_err = 0;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < KERNFS_COUNT; i++) {
		const struct kernfs *k = &table[i];
		int err;

		if (!(which & k->fs))
			continue;
		if (checked & k->fs) {
			if (!(present & k->fs) && !first_err)
				first_err = -ENOENT;
			continue;
		}
		checked |= k->fs;
		err = find(k, where[i], sizeof(where[i]));
		if (err == -ENOENT) {
			err = mount_one(k, where[i], sizeof(where[i]));
			if (err == 0)
				now |= k->fs;
		}
		if (err == 0)
			present |= k->fs;
		else if (!first_err)
			first_err = err;
	}
	mounted_here |= now;
	pthread_mutex_unlock(&lock);

	if (ret_mounted)
		*ret_mounted = now;
	return first_err;
}

unsigned fl_kernfs_mounted(void)
{
	unsigned m;

	pthread_mutex_lock(&lock);
	m = mounted_here;
	pthread_mutex_unlock(&lock);
	return m;
}

const char *fl_kernfs_name(enum fl_kernfs fs)
{
	int i = index_of(fs);

	return i < 0 ? NULL : table[i].name;
}

const char *fl_kernfs_path(enum fl_kernfs fs)
{
	const char *p = NULL;
	int i = index_of(fs);

	if (i < 0)
		return NULL;
	pthread_mutex_lock(&lock);
	if (present & fs)
		p = where[i];
	pthread_mutex_unlock(&lock);
	return p;
}
