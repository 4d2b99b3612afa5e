// SPDX-License-Identifier: GPL-2.0-only
/*
 * Soak (root): eight processes write a temporary file and rename it over a
 * shared target, as most applications save a file, and never fsync the
 * directory. For SOAK_TIME seconds (default 10; `make soak` runs longer)
 * the daemon's descriptors and the disk held in BACKING/.faultfs must stay
 * bounded, and no process may see an error: no rule is armed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

#define WORKERS 8
#define TRASH_MAX (32 << 20)
#define MAX_FILE (1 << 20)

static int count_fds(pid_t pid)
{
	char dir[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static long long du_bytes(const char *path)
{
	char cmd[PATH_MAX + 64];
	long long kb = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "du -sk '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%lld", &kb) != 1)
		kb = 0;
	pclose(p);
	return kb * 1024;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One worker: save "target" the safe way until the deadline; exit 0 or 1. */
static void worker(const char *mnt, int id, double deadline)
{
	char tmp[PATH_MAX], target[PATH_MAX];
	static char buf[MAX_FILE];
	unsigned int seed = (unsigned int)id * 7919u + 1;
	long rounds = 0;

	snprintf(tmp, sizeof(tmp), "%s/tmp.%d", mnt, id);
	snprintf(target, sizeof(target), "%s/target", mnt);
	memset(buf, 'a' + id, sizeof(buf));
	while (now_s() < deadline) {
		size_t len = 4096 + (size_t)(rand_r(&seed) % (MAX_FILE - 4096));
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || write(fd, buf, len) != (ssize_t)len ||
		    (rounds % 2 && fsync(fd)) || close(fd) || rename(tmp, target)) {
			fprintf(stderr, "worker %d round %ld: %s\n", id, rounds, strerror(errno));
			_exit(1);
		}
		rounds++;
	}
	printf("worker %d: %ld rounds\n", id, rounds);
	fflush(stdout);
	_exit(0);
}

static void test_rename_over_from_8_processes_stays_bounded(void **state)
{
	struct fl_faultfs_mount *c = *state;
	const char *env = getenv("SOAK_TIME");
	double secs = env && atof(env) > 0 ? atof(env) : 10, deadline;
	int base, max_fds = 0, samples = 0, status;
	long long max_state = 0, state_bytes;
	pid_t pids[WORKERS];
	char opts[64];

	if (!fl_faultfs_require())
		skip();
	snprintf(opts, sizeof(opts), "trash_max=%d", TRASH_MAX);
	assert_int_equal(fl_faultfs_start(c, opts), 0);
	base = count_fds(c->pid);
	deadline = now_s() + secs;
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			worker(c->mnt, i, deadline);
	}
	while (now_s() < deadline) {
		int fds = count_fds(c->pid);

		state_bytes = du_bytes(fl_test_path(c->backing, ".faultfs"));
		max_fds = fds > max_fds ? fds : max_fds;
		max_state = state_bytes > max_state ? state_bytes : max_state;
		samples++;
		usleep(250000);
	}
	for (int i = 0; i < WORKERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	print_message("soak %.0f s: daemon fds %d at start, at most %d; BACKING/.faultfs at most "
		      "%lld bytes (trash bound %d); %d samples\n", secs, base, max_fds,
		      max_state, TRASH_MAX, samples);
	/*
	 * Parked files are bounded by trash_max (each holds at most two
	 * descriptors while it has unsynced data), the writers' own files by
	 * their number. The undo data of a file is at most its size.
	 */
	assert_true(max_fds <= base + 2 * (TRASH_MAX / 4096 + 4 * WORKERS));
	assert_true(max_fds <= base + 400);
	assert_true(max_state <= TRASH_MAX + 2LL * WORKERS * MAX_FILE + (64LL << 20) + (8 << 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rename_over_from_8_processes_stays_bounded,
						fl_faultfs_setup, fl_faultfs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
