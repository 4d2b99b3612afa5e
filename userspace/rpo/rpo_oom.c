// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The oom fault of `faultline rpo`: the service runs in a memory cgroup of
 * its own, whose limit is then lowered until the kernel's OOM killer
 * strikes in it.
 *
 * cgroup v2 (memory.max) kills inside the limit write itself when what is
 * charged cannot be reclaimed below the new limit. cgroup v1
 * (memory.limit_in_bytes) refuses such a limit with EBUSY instead, so on
 * v1 the limit is held at what is charged and the kill comes when the
 * service next needs a page. Swap is shut off for the group (memory.swap.max,
 * memory.memsw.limit_in_bytes) so that squeezing cannot just push it to swap.
 *
 * The victim is named by the kernel's "oom-kill:...,oom_memcg=...,pid=N"
 * line in /dev/kmsg when it can be read, else by which member vanished.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include <faultline/state.h>
#include "rpo_faults.h"
#include "rpo_priv.h"

#define PAGE            4096ull
#define MIN_STEP        (256ull << 10)
#define STEP_MS         10
#define VICTIM_WAIT_MS  1000
#define MAX_PIDS        4096

struct fl_rpo_oom {
	bool v2;
	char path[PATH_MAX];
	char procs[PATH_MAX + 16];
	char name[64];
	struct fl_state *st;
	uint64_t rec_id;
};


static int read_u64(const char *dir, const char *file, uint64_t *ret)
{
	char buf[64];
	int err = fl_cgroup_read(dir, file, buf, sizeof(buf));

	if (err)
		return err;
	*ret = strtoull(buf, NULL, 10);
	return 0;
}

/* "KEY N" in a flat keyed file (memory.events, memory.oom_control). */
static int read_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
	char buf[1024], *p;
	size_t kl = strlen(key);
	int err = fl_cgroup_read(dir, file, buf, sizeof(buf));

	if (err)
		return err;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			*ret = strtoull(p + kl + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += wl)
		if ((p == list || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\n' || !p[wl]))
			return true;
	return false;
}

/* The unified hierarchy, if it has the memory controller. */
static bool v2_root(char *root, size_t len)
{
	char ctl[512];

	return fl_cgroup2_root(root, len) == 0 &&
	       fl_cgroup_read(root, "cgroup.controllers", ctl, sizeof(ctl)) == 0 &&
	       has_word(ctl, "memory");
}

/* Mount point of the v1 hierarchy that carries the memory controller. */
static int v1_mount(char *buf, size_t len)
{
	char line[4096];
	int err = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], *sep = strstr(line, " - ");

		if (!sep || strncmp(sep + 3, "cgroup ", 7) || !strstr(sep, "memory"))
			continue;
		/* super options: "rw,memory" (not "name=memoryfoo" by luck) */
		if (!strstr(sep, ",memory") && !strstr(sep, " memory"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		err = (size_t)snprintf(buf, len, "%s", mnt) < len ? 0 : -ENAMETOOLONG;
		break;
	}
	fclose(f);
	return err;
}

/* Our own memory cgroup on v1, as a directory: the new group goes below it. */
static int v1_parent(char *buf, size_t len)
{
	char mnt[PATH_MAX], line[PATH_MAX + 64], *p;
	struct stat sb;
	FILE *f;
	int err = v1_mount(mnt, sizeof(mnt));

	if (err)
		return err;
	snprintf(buf, len, "%s", mnt);
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* "4:memory:/some/path" */
		p = strchr(line, ':');
		if (!p || strncmp(p + 1, "memory:", 7))
			continue;
		p += 8;
		p[strcspn(p, "\n")] = '\0';
		if (strcmp(p, "/") &&
		    (size_t)snprintf(buf, len, "%s%s", mnt, p) < len &&
		    stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode))
			break;
		/* In a cgroup namespace the path may not be below this mount: use its root. */
		snprintf(buf, len, "%s", mnt);
		break;
	}
	fclose(f);
	return 0;
}

int fl_rpo_oom_create(struct fl_state *st, struct fl_rpo_oom **ret, char *errbuf,
		      size_t errlen)
{
	static unsigned counter;
	struct fl_rpo_oom *o = calloc(1, sizeof(*o));
	char parent[PATH_MAX], sub[512];
	int err;

	if (!o)
		return -ENOMEM;
	o->st = st;
	snprintf(o->name, sizeof(o->name), "faultline-rpo-%d-%u", (int)getpid(),
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	o->v2 = v2_root(parent, sizeof(parent));
	if (o->v2) {
		/* The root is exempt from "no internal processes": enabling is always allowed. */
		if (fl_cgroup_read(parent, "cgroup.subtree_control", sub, sizeof(sub)) == 0 &&
		    !has_word(sub, "memory") &&
		    (err = fl_cgroup_write(parent, "cgroup.subtree_control", "+memory"))) {
			fl_errf(errbuf, errlen, "cannot enable the memory controller in %s: %s",
				parent, strerror(-err));
			goto fail;
		}
	} else if ((err = v1_parent(parent, sizeof(parent)))) {
		fl_errf(errbuf, errlen, "no memory cgroup controller: neither cgroup v2 with "
			"memory nor a v1 memory hierarchy is mounted");
		goto fail;
	}
	if ((size_t)snprintf(o->path, sizeof(o->path), "%s/%s", parent, o->name) >=
	    sizeof(o->path)) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	snprintf(o->procs, sizeof(o->procs), "%s/cgroup.procs", o->path);
	if (st) {
		/* The service runs in it: a killed controller's undo kills it too. */
		err = fl_state_record_service_cgroup(st, o->path, &o->rec_id);
		/*
		 * The state code knows cgroup2 only (for now): a v1 group is made
		 * unrecorded; it is empty and harmless once the service is dead.
		 */
		if (err && !(err == -EINVAL && !o->v2)) {
			fl_errf(errbuf, errlen, "cannot record cgroup %s: %s", o->path,
				strerror(-err));
			goto fail;
		}
		err = 0;
	}
	if (mkdir(o->path, 0755)) {
		err = -errno;
		fl_errf(errbuf, errlen, "cannot create cgroup %s: %s", o->path, strerror(-err));
		goto fail_forget;
	}
	/* No swap to escape to; the v1 default of killing stays on. */
	if (o->v2)
		fl_cgroup_write(o->path, "memory.swap.max", "0");
	else
		fl_cgroup_write(o->path, "memory.oom_control", "0");
	*ret = o;
	return 0;
fail_forget:
	if (st && o->rec_id)
		fl_state_forget(st, o->rec_id);
fail:
	free(o);
	return err;
}

const char *fl_rpo_oom_procs(const struct fl_rpo_oom *o)
{
	return o->procs;
}

const char *fl_rpo_oom_path(const struct fl_rpo_oom *o)
{
	return o->path;
}

bool fl_rpo_oom_is_v2(const struct fl_rpo_oom *o)
{
	return o->v2;
}

int fl_rpo_oom_usage(const struct fl_rpo_oom *o, uint64_t *ret)
{
	return read_u64(o->path, o->v2 ? "memory.current" : "memory.usage_in_bytes", ret);
}

static int oom_kills(const struct fl_rpo_oom *o, uint64_t *ret)
{
	return read_key(o->path, o->v2 ? "memory.events" : "memory.oom_control", "oom_kill", ret);
}

static int set_limit(struct fl_rpo_oom *o, uint64_t bytes)
{
	char num[32];
	int err;

	snprintf(num, sizeof(num), "%llu", (unsigned long long)bytes);
	if (o->v2)
		return fl_cgroup_write(o->path, "memory.max", num);
	err = fl_cgroup_write(o->path, "memory.limit_in_bytes", num);
	/* memsw >= limit always; only where swap accounting exists. */
	if (!err)
		fl_cgroup_write(o->path, "memory.memsw.limit_in_bytes", num);
	return err;
}

int fl_rpo_oom_release(struct fl_rpo_oom *o)
{
	if (o->v2)
		return fl_cgroup_write(o->path, "memory.max", "max");
	/* Raise memsw first: it may never be below the limit. */
	fl_cgroup_write(o->path, "memory.memsw.limit_in_bytes", "-1");
	return fl_cgroup_write(o->path, "memory.limit_in_bytes", "-1");
}

/* --- who was killed ----------------------------------------------------------- */

struct members {
	pid_t pid[MAX_PIDS];
	size_t n;
};

static void snapshot(const struct fl_rpo_oom *o, struct members *m)
{
	FILE *f = fopen(o->procs, "re");
	int pid;

	if (!f)
		return;
	m->n = 0;
	while (m->n < MAX_PIDS && fscanf(f, "%d", &pid) == 1)
		m->pid[m->n++] = pid;
	fclose(f);
}

/* Gone, a zombie, or dying: what an OOM kill leaves. */
static bool dead(pid_t pid)
{
	char p[64], buf[512], *rp;
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return !rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X' || rp[2] == 'x';
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char p[64];
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	f = fopen(p, "re");
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* The value of ",key=" (or "key=" at the start) in an oom-kill line, into buf. */
static bool field(const char *line, const char *key, char *buf, size_t len)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), ",%s=", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	snprintf(buf, len, "%.*s", (int)strcspn(p, ",\n"), p);
	return true;
}

/* Read the kernel log for our group's oom-kill line; the victim's pid, or 0. */
static pid_t kmsg_victim(int kfd, const struct fl_rpo_oom *o, char *comm, size_t comm_len)
{
	char rec[8192], memcg[PATH_MAX], pid[32];
	size_t nl = strlen(o->name);

	for (;;) {
		ssize_t n = read(kfd, rec, sizeof(rec) - 1);
		const char *msg, *base;

		if (n < 0 && errno == EPIPE)
			continue; /* overwritten records: go on with the next */
		if (n <= 0)
			return 0;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg || strncmp(msg + 1, "oom-kill:", 9))
			continue;
		/* oom_memcg is the path in its hierarchy: match our group's own name. */
		if (!field(msg, "oom_memcg", memcg, sizeof(memcg)))
			continue;
		base = strrchr(memcg, '/');
		if (!base || strlen(base + 1) != nl || strcmp(base + 1, o->name))
			continue;
		if (!field(msg, "pid", pid, sizeof(pid)))
			continue;
		if (comm && !field(msg, "task", comm, comm_len))
			comm[0] = '\0';
		return (pid_t)strtol(pid, NULL, 10);
	}
}

static pid_t vanished(const struct members *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (dead(m->pid[i]))
			return m->pid[i];
	return 0;
}

/* --- the squeeze ---------------------------------------------------------------- */

int fl_rpo_oom_squeeze(struct fl_rpo_oom *o, uint64_t timeout_ns, pid_t *ret_victim,
		       struct fl_rpo_oom_result *ret)
{
	struct fl_rpo_oom_result r = { 0 };
	struct members *m = calloc(1, sizeof(*m));
	uint64_t base, kills, usage, lim, next, step, deadline;
	int kfd, err;

	if (!m)
		return -ENOMEM;
	r.start_ns = fl_now_ns();
	deadline = r.start_ns + timeout_ns;
	/* Only records from now on: an older kill in a same-named group is not ours. */
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	err = oom_kills(o, &base);
	if (!err)
		err = fl_rpo_oom_usage(o, &usage);
	if (err)
		goto out;
	snapshot(o, m);
	if (!m->n) {
		err = -ESRCH; /* nobody to kill */
		goto out;
	}
	r.usage_start = usage;
	lim = UINT64_MAX;                /* no limit written yet */
	next = usage / PAGE * PAGE;      /* start at what is charged */
	step = MIN_STEP;
	for (;;) {
		uint64_t hold;

		err = oom_kills(o, &kills);
		if (err)
			goto out;
		if (kills > base)
			break;
		if (fl_now_ns() > deadline) {
			r.limit_final = lim;
			if (ret)
				*ret = r; /* what was tried, for the report */
			err = -ETIMEDOUT;
			goto out;
		}
		if (set_limit(o, next) == 0) {
			lim = next;
			r.steps++;
			/* Down quickly: a quarter of the limit per step. */
			step = lim / 4 > MIN_STEP ? lim / 4 : MIN_STEP;
		} else if (fl_rpo_oom_usage(o, &usage) == 0) {
			/*
			 * v1 refused (EBUSY: what is charged cannot be reclaimed that
			 * low). Hold the limit at what is charged now, so the next
			 * allocation that reclaim cannot make room for is an OOM kill;
			 * a first limit gets some room, or a fast grower outruns it.
			 * Then close in on the floor with smaller steps.
			 */
			hold = lim == UINT64_MAX ? usage + (usage / 16 > MIN_STEP ? usage / 16 :
							    MIN_STEP) : usage;
			hold = (hold + PAGE - 1) / PAGE * PAGE;
			if (hold < lim && set_limit(o, hold) == 0) {
				lim = hold;
				r.steps++;
			}
			step = step / 2 > PAGE ? step / 2 : PAGE;
		}
		if (lim != UINT64_MAX)
			next = lim > step + PAGE ? lim - step : PAGE;
		snapshot(o, m);
		fl_sleep_ms(STEP_MS);
	}
	r.kill_ns = fl_now_ns();
	r.limit_final = lim;
	/* The kill is counted before the kernel prints it or the victim is reaped. */
	for (uint64_t until = fl_now_ns() + VICTIM_WAIT_MS * 1000000ull; fl_now_ns() < until;) {
		if (kfd >= 0 && (r.victim = kmsg_victim(kfd, o, r.victim_comm,
							sizeof(r.victim_comm)))) {
			r.from_kmsg = true;
			break;
		}
		if ((r.victim = vanished(m)))
			break;
		fl_sleep_ms(5);
	}
	if (r.victim && !r.from_kmsg)
		comm_of(r.victim, r.victim_comm, sizeof(r.victim_comm));
	if (ret_victim)
		*ret_victim = r.victim;
	if (ret)
		*ret = r;
out:
	if (kfd >= 0)
		close(kfd);
	free(m);
	return err;
}

/* --- removal -------------------------------------------------------------------- */

static void evacuate(const struct fl_rpo_oom *o)
{
	char parent[PATH_MAX], *slash;
	struct members *m = calloc(1, sizeof(*m));
	char num[24];

	if (!m)
		return;
	snprintf(parent, sizeof(parent), "%s", o->path);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	snapshot(o, m);
	for (size_t i = 0; i < m->n; i++) {
		snprintf(num, sizeof(num), "%d", (int)m->pid[i]);
		fl_cgroup_write(parent, "cgroup.procs", num); /* one that exits meanwhile is fine */
	}
	free(m);
}

int fl_rpo_oom_remove(struct fl_rpo_oom *o)
{
	int err = -EBUSY;

	if (!o)
		return 0;
	fl_rpo_oom_release(o);
	/* A killed task leaves its group asynchronously: retry for up to 2 s. */
	for (int i = 0; i < 200; i++) {
		evacuate(o);
		if (rmdir(o->path) == 0 || errno == ENOENT) {
			err = 0;
			break;
		}
		if (errno != EBUSY) {
			err = -errno;
			break;
		}
		fl_sleep_ms(10);
	}
	if (!err && o->st && o->rec_id)
		fl_state_forget(o->st, o->rec_id);
	free(o);
	return err;
}
