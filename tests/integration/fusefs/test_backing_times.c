// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultfs's bookkeeping around a write must not make the backing file's
 * fsync write its inode (root). Under multigrain timestamps (Linux 6.13+)
 * a stat that reads ctime marks it queried, so the next write stamps a
 * fine-grained time and dirties the inode: an fsync then writes the inode
 * as well as the data. faultfs stats the backing file around every write
 * (fusefs/fstat_lite.h): it must ask for no time.
 *
 * The count is of write requests to a loop device holding the backing
 * filesystem (ext4 without a journal: an inode write is one request), so
 * nothing else on the machine adds to it. Calibrated on the same
 * filesystem natively first: 4 KiB write + fsync, with and without an
 * fstat between them; a kernel where both cost the same skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"

#define ROUNDS 100
#define FILE_PAGES 256

struct fixture {
	struct fl_faultfs_mount m;
	char loop[64];          /* /dev/loopN, "" if none */
	bool mounted;
};

static int run(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;

	if (!p)
		return -errno;
	if (out) {
		n = fread(out, 1, len - 1, p);
		out[n] = '\0';
		out[strcspn(out, "\n")] = '\0';
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	return pclose(p);
}

/* A journal-less ext4 on a loop device, mounted as the backing directory. */
static bool backing_on_loop(struct fixture *f)
{
	char cmd[PATH_MAX * 2 + 128];

	snprintf(cmd, sizeof(cmd), "truncate -s 64M %s/img && mkfs.ext4 -q -F -O ^has_journal "
		 "%s/img 2>&1", f->m.dir, f->m.dir);
	if (run(cmd, NULL, 0)) {
		print_message("skipped: mkfs.ext4 of a 64 MiB image failed\n");
		return false;
	}
	snprintf(cmd, sizeof(cmd), "losetup --find --show %s/img 2>/dev/null", f->m.dir);
	if (run(cmd, f->loop, sizeof(f->loop)) || strncmp(f->loop, "/dev/loop", 9)) {
		f->loop[0] = '\0';
		print_message("skipped: no loop device (losetup --find)\n");
		return false;
	}
	if (mount(f->loop, f->m.backing, "ext4", 0, NULL)) {
		print_message("skipped: cannot mount %s: %s\n", f->loop, strerror(errno));
		return false;
	}
	f->mounted = true;
	return true;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || fl_faultfs_prepare(&f->m)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	fl_faultfs_stop(&f->m);
	if (f->mounted)
		umount2(f->m.backing, MNT_DETACH);
	if (f->loop[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", f->loop);
		run(cmd, NULL, 0);
	}
	fl_faultfs_unmount(&f->m);
	free(f);
	return 0;
}

/* Write requests completed by the loop device so far. */
static unsigned long long device_writes(const struct fixture *f)
{
	char path[128], buf[512];
	unsigned long long v[5] = { 0 };
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/block/%s/stat", f->loop + 5);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_int_equal(sscanf(buf, "%llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4]), 5);
	return v[4];
}

/* ROUNDS of 4 KiB write (+ fstat) + fsync over a synced file: the device's write requests. */
static unsigned long long count_writes(const struct fixture *f, const char *path, bool stat_between)
{
	char page[4096];
	unsigned long long before, after;
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	memset(page, 'x', sizeof(page));
	for (int i = 0; i < FILE_PAGES; i++)
		assert_int_equal(pwrite(fd, page, sizeof(page), (off_t)i * 4096), 4096);
	assert_int_equal(fsync(fd), 0);
	sync();
	before = device_writes(f);
	for (int i = 0; i < ROUNDS; i++) {
		page[0] = (char)i;
		assert_int_equal(pwrite(fd, page, sizeof(page), (off_t)((i * 37) % FILE_PAGES) * 4096),
				 4096);
		if (stat_between)
			assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(fsync(fd), 0);
	}
	after = device_writes(f);
	assert_int_equal(close(fd), 0);
	return after - before;
}

static void test_faultfs_write_fsync_does_not_write_the_backing_inode(void **state)
{
	struct fixture *f = *state;
	unsigned long long plain, stat_between, through;
	char log_opt[PATH_MAX + 8];

	if (!fl_faultfs_require())
		skip();
	if (!backing_on_loop(f))
		skip();
	plain = count_writes(f, fl_test_path(f->m.backing, "native"), false);
	stat_between = count_writes(f, fl_test_path(f->m.backing, "native-stat"), true);
	print_message("native, %d x 4 KiB write+fsync: %llu device writes; with an fstat "
		      "between: %llu\n", ROUNDS, plain, stat_between);
	if (stat_between < plain + ROUNDS / 2) {
		print_message("skipped: this kernel does not dirty the inode after a stat "
			      "(no multigrain timestamps on ext4)\n");
		skip();
	}
	/* The write log elsewhere: its appends would be counted too. */
	snprintf(log_opt, sizeof(log_opt), "log=%s/wlog.jsonl", f->m.dir);
	assert_int_equal(fl_faultfs_start(&f->m, log_opt), 0);
	through = count_writes(f, fl_test_path(f->m.mnt, "through"), false);
	print_message("through faultfs: %llu device writes\n", through);
	assert_true(through < (plain + stat_between) / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_faultfs_write_fsync_does_not_write_the_backing_inode,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
