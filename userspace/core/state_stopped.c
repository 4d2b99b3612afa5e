// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Undo of the "stopped-map" record (state_record.c writes it): a BPF hash
 * map, pinned in bpffs, of the processes a BPF program may have stopped
 * with SIGSTOP. The program writes an entry before it sends the signal,
 * so the map knows about a stop before anything in userspace could; the
 * record of the map itself is written before the program is attached.
 * Together they let the watchdog and `faultline cleanup` continue every
 * process that may still be stopped, even when the controller was killed
 * the moment after the stop.
 *
 * Only processes in the map are continued, and only if their start time
 * still matches: a process stopped by someone else, or a recycled pid,
 * is left alone.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/magic.h>

#include <bpf/bpf.h>

#include "state_priv.h"

/* Room for any key the syscall domain uses; the tgid comes first. */
#define KEY_MAX 64
/* A program that was mid-stop when its controller died ends within this. */
#define SECOND_PASS_MS 20

/* Continue tgid if it is still the process that started at start_ns. */
static int continue_same(uint32_t tgid, uint64_t start_ns, long tick_ns)
{
	uint64_t now;

	if (tgid == 0 || fl_proc_starttime((pid_t)tgid, &now))
		return 0; /* gone */
	/* /proc/PID/stat shows start_boottime in clock ticks, truncated. */
	if (now != start_ns / (uint64_t)tick_ns)
		return 0; /* the pid belongs to another process now */
	if (kill((pid_t)tgid, SIGCONT) < 0 && errno != ESRCH)
		return -errno;
	return 0;
}

/* One walk over the map; *ret_n gets how many entries it had. */
static int continue_all(int fd, uint32_t key_size, long tick_ns, size_t *ret_n)
{
	unsigned char key[KEY_MAX], next[KEY_MAX];
	void *prev = NULL;
	size_t n = 0;
	int first = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		uint64_t start;
		uint32_t tgid;
		int err;

		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &start))
			continue; /* deleted meanwhile: continued by its controller */
		memcpy(&tgid, key, sizeof(tgid));
		n++;
		err = continue_same(tgid, start, tick_ns);
		if (err && !first)
			first = err;
	}
	*ret_n = n;
	return first;
}

static bool on_bpffs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;
}

int fl_undo_stopped_map(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	json_t *jpin = json_object_get(rec, "pin");
	struct bpf_map_info info;
	__u32 info_len = sizeof(info);
	const char *pin;
	char dir[PATH_MAX], *slash;
	long tick_ns = 1000000000L / sysconf(_SC_CLK_TCK);
	size_t n = 0;
	int fd, err;

	if (!json_is_string(jpin) || json_string_value(jpin)[0] != '/') {
		snprintf(msg, msg_len, "record has no pin path");
		return -EBADMSG;
	}
	pin = json_string_value(jpin);
	snprintf(what, what_len, "SIGCONT to the processes in %s", pin);
	fd = bpf_obj_get(pin);
	if (fd < 0) {
		err = -errno;
		/* Never pinned (the controller died first) or already undone. */
		if (err == -ENOENT)
			goto rm_dir;
		snprintf(msg, msg_len, "open pinned map: %s", strerror(-err));
		return err;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) ||
	    info.type != BPF_MAP_TYPE_HASH || info.key_size < sizeof(uint32_t) ||
	    info.key_size > KEY_MAX || info.value_size != sizeof(uint64_t)) {
		close(fd);
		snprintf(msg, msg_len, "%s is not a map of stopped processes", pin);
		return -EBADMSG;
	}
	err = continue_all(fd, info.key_size, tick_ns, &n);
	if (n) {
		int again;

		/* Its program may have been between the entry and the signal. */
		nanosleep(&(struct timespec){ .tv_nsec = SECOND_PASS_MS * 1000000L }, NULL);
		again = continue_all(fd, info.key_size, tick_ns, &n);
		err = err ? err : again;
	}
	close(fd);
	if (err) {
		snprintf(msg, msg_len, "SIGCONT: %s", strerror(-err));
		return err;
	}
	/* Only ever unlink inside bpffs. */
	if (on_bpffs(pin) && unlink(pin) < 0 && errno != ENOENT) {
		err = -errno;
		snprintf(msg, msg_len, "unlink %s: %s", pin, strerror(-err));
		return err;
	}
rm_dir:
	/* The per-session directory the pin lived in; others' are not empty. */
	snprintf(dir, sizeof(dir), "%s", pin);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (on_bpffs(dir))
			rmdir(dir);
	}
	return 0;
}
