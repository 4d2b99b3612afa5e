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
 * filesystem (ext4 without a journal, its image in memory: an inode write
 * is one request), so nothing else on the machine adds to it, taken per
 * pair of write+fsync inside one tick of the coarse clock (see
 * second_pair_dirty_share). Calibrated on the same filesystem natively
 * first, with and without an fstat between; a kernel where both behave
 * the same skips.
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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/faultfs_mount.h"

#define SAMPLES 40
#define FILE_PAGES 256

struct fixture {
	struct fl_faultfs_mount m;
	char loop[64];          /* /dev/loopN, "" if none */
	char img_dir[PATH_MAX]; /* the tmpfs holding the loop device's image */
	bool img_mounted;
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

	/*
	 * The image in memory (a tmpfs of its own): a write+fsync then takes
	 * microseconds, far below the coarse clock's tick, so without a stat
	 * few of them change the inode's times however loaded the machine is.
	 */
	snprintf(f->img_dir, sizeof(f->img_dir), "%s/img.d", f->m.dir);
	if (mkdir(f->img_dir, 0700) || mount("tmpfs", f->img_dir, "tmpfs", 0, "size=80m")) {
		print_message("skipped: cannot mount a tmpfs for the image: %s\n", strerror(errno));
		f->img_dir[0] = '\0';
		return false;
	}
	f->img_mounted = true;
	snprintf(cmd, sizeof(cmd), "truncate -s 64M %s/img && mkfs.ext4 -q -F -O ^has_journal "
		 "%s/img 2>&1", f->img_dir, f->img_dir);
	if (run(cmd, NULL, 0)) {
		print_message("skipped: mkfs.ext4 of a 64 MiB image failed\n");
		return false;
	}
	snprintf(cmd, sizeof(cmd), "losetup --find --show %s/img 2>/dev/null", f->img_dir);
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
	if (f->img_mounted)
		umount2(f->img_dir, MNT_DETACH);
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

/* CLOCK_REALTIME_COARSE: the clock files are stamped with unless a stat asked for finer. */
static uint64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One 4 KiB write (+ fstat) + fsync. */
static void write_pair(int fd, int i, bool stat_between)
{
	char page[4096];
	struct stat st;

	memset(page, 'x', sizeof(page));
	page[0] = (char)i;
	assert_int_equal(pwrite(fd, page, sizeof(page), (off_t)((i * 37) % FILE_PAGES) * 4096), 4096);
	if (stat_between)
		assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(fsync(fd), 0);
}

/*
 * Two write+fsync pairs inside one tick of the coarse clock, SAMPLES
 * times: the first gives the file this tick's times, so its fsync writes
 * the inode; the second changes them only if something asked for the
 * times in between (multigrain: the next stamp is then a fine-grained
 * one), and only then does its fsync write as much as the first's. The
 * share of second pairs that did, over the samples that stayed within
 * their tick (those that did not say nothing: a new tick changes the
 * times anyway); -1 when too few stayed. Ticks, not a count over a fixed
 * number of writes, so the verdict does not depend on how busy the
 * machine is.
 */
static double second_pair_dirty_share(const struct fixture *f, const char *path, bool stat_between)
{
	char page[4096];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), valid = 0, dirty = 0;

	assert_true(fd >= 0);
	memset(page, 'x', sizeof(page));
	for (int i = 0; i < FILE_PAGES; i++)
		assert_int_equal(pwrite(fd, page, sizeof(page), (off_t)i * 4096), 4096);
	assert_int_equal(fsync(fd), 0);
	sync();
	for (int i = 0; i < SAMPLES * 5 && valid < SAMPLES; i++) {
		unsigned long long d0, d1, d2;
		uint64_t t0 = coarse_ns(), tick;

		while ((tick = coarse_ns()) == t0)
			;
		d0 = device_writes(f);
		write_pair(fd, 2 * i, stat_between);
		d1 = device_writes(f);
		write_pair(fd, 2 * i + 1, stat_between);
		d2 = device_writes(f);
		if (coarse_ns() != tick)
			continue;
		valid++;
		dirty += d2 - d1 >= d1 - d0;
	}
	assert_int_equal(close(fd), 0);
	return valid < SAMPLES / 4 ? -1 : (double)dirty / valid;
}

static void test_faultfs_write_fsync_does_not_write_the_backing_inode(void **state)
{
	struct fixture *f = *state;
	double plain, stat_between, through;
	char log_opt[PATH_MAX + 8];

	if (!fl_faultfs_require())
		skip();
	if (!backing_on_loop(f))
		skip();
	plain = second_pair_dirty_share(f, fl_test_path(f->m.backing, "native"), false);
	stat_between = second_pair_dirty_share(f, fl_test_path(f->m.backing, "native-stat"), true);
	print_message("native, a second write+fsync in the same clock tick wrote the inode: "
		      "%.2f of the time; with an fstat between: %.2f\n", plain, stat_between);
	if (plain < 0 || stat_between < 0) {
		print_message("skipped: too few write pairs fit in one tick of the coarse clock here\n");
		skip();
	}
	if (stat_between < 0.8 || plain > 0.2) {
		print_message("skipped: this kernel does not dirty the inode after a stat "
			      "(no multigrain timestamps on ext4)\n");
		skip();
	}
	/* The write log elsewhere: its appends would be counted too. */
	snprintf(log_opt, sizeof(log_opt), "log=%s/wlog.jsonl", f->m.dir);
	assert_int_equal(fl_faultfs_start(&f->m, log_opt), 0);
	through = second_pair_dirty_share(f, fl_test_path(f->m.mnt, "through"), false);
	print_message("through faultfs: %.2f\n", through);
	if (through < 0) {
		print_message("skipped: too few write pairs through faultfs fit in one clock tick\n");
		skip();
	}
	assert_true(through < 0.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_faultfs_write_fsync_does_not_write_the_backing_inode,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
