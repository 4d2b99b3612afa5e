// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultfs BACKING MOUNTPOINT: mount BACKING at MOUNTPOINT through FUSE,
 * with the durability model, fault rules, the write log and the control
 * socket. BACKING is opened before the mount, so MOUNTPOINT may be BACKING
 * itself (an overlay over a data directory in place).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "durability.h"
#include "faultfs.h"
#include "faults.h"
#include "killpriv.h"
#include "wlog.h"

#ifndef FL_VERSION
#define FL_VERSION "0.0.0"
#endif

struct config {
	char *backing;
	int no_auto_unmount;
	int no_killpriv_v2;
	double timeout;
	int timeout_set;
	char *size;
	char *durability;
	char *log;
	char *log_max;
	char *names_max;
	char *trash_max;
	unsigned int log_keep;
	int log_keep_set;
	int max_threads_set;
	int allow_other;
};

enum { KEY_HELP, KEY_VERSION, KEY_MAX_THREADS, KEY_ALLOW_OTHER };

static const struct fuse_opt config_opts[] = {
	{ "no_auto_unmount", offsetof(struct config, no_auto_unmount), 1 },
	{ "no_killpriv_v2", offsetof(struct config, no_killpriv_v2), 1 },
	{ "timeout=%lf", offsetof(struct config, timeout), 0 },
	{ "timeout=", offsetof(struct config, timeout_set), 1 },
	{ "size=%s", offsetof(struct config, size), 0 },
	{ "durability=%s", offsetof(struct config, durability), 0 },
	{ "log=%s", offsetof(struct config, log), 0 },
	{ "log_max=%s", offsetof(struct config, log_max), 0 },
	{ "log_keep=%u", offsetof(struct config, log_keep), 0 },
	{ "log_keep=", offsetof(struct config, log_keep_set), 1 },
	{ "names_max=%s", offsetof(struct config, names_max), 0 },
	{ "trash_max=%s", offsetof(struct config, trash_max), 0 },
	FUSE_OPT_KEY("max_threads=", KEY_MAX_THREADS),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END,
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultfs BACKING MOUNTPOINT [-f] [-d] [-s] [-o OPT[,OPT...]]\n"
		"\n"
		"Mount the directory BACKING at MOUNTPOINT through FUSE, with a durability\n"
		"model (a power cut loses what was not fsynced), fault rules and a write log.\n"
		"MOUNTPOINT may be BACKING itself (an overlay in place). Rules, power cuts,\n"
		"status and the log are driven by 'faultline fs fault|clear|powercut|status|\n"
		"log MOUNTPOINT' over a root-only control socket.\n"
		"\n"
		"Options:\n"
		"  -f                     stay in the foreground\n"
		"  -d, -o debug           foreground, print every FUSE request\n"
		"  -s                     single-threaded (default: multithreaded)\n"
		"  -o durability=MODE     strict (default): data is volatile until fsync or\n"
		"                         fdatasync of the file, names (create, mkdir, link,\n"
		"                         unlink, rmdir, rename, symlink, mknod) until their\n"
		"                         directory is fsynced; data: names and metadata are\n"
		"                         durable at once, only file data is volatile (LazyFS)\n"
		"  -o size=BYTES          model a disk of that size (suffix K, M, G, T):\n"
		"                         writes, fallocate beyond it fail with ENOSPC and\n"
		"                         statfs reports it\n"
		"  -o log=FILE            the write log (default BACKING/.faultfs/wlog.jsonl)\n"
		"  -o log_max=BYTES       rotate the log at this size (default 64M; 0: never)\n"
		"  -o log_keep=N          rotated logs kept, FILE.1 .. FILE.N (default 3)\n"
		"  -o names_max=N         at most N name operations volatile (default 8192;\n"
		"                         0: no bound); beyond, the oldest become durable\n"
		"  -o trash_max=BYTES     at most this much unlinked or replaced data kept\n"
		"                         for a power cut to bring back (default 1G; 0: no\n"
		"                         bound); beyond, the oldest removals become durable\n"
		"  -o no_auto_unmount     keep the mount if faultfs dies (default: it is\n"
		"                         unmounted when faultfs exits or is killed)\n"
		"  -o no_killpriv_v2      do not negotiate FUSE_HANDLE_KILLPRIV_V2: the kernel\n"
		"                         then asks for security.capability before every\n"
		"                         write (a round trip) and clears set-ID bits itself\n"
		"                         (default: negotiated when the kernel offers it, and\n"
		"                         faultfs clears them when the kernel says so)\n"
		"  -o timeout=SECONDS     kernel cache of names and attributes, and faultfs's\n"
		"                         of 'no security.capability' answers (default 1)\n"
		"  -o allow_other         let users other than the mounter in (checked with\n"
		"                         default_permissions, which faultfs then sets; without\n"
		"                         it only the mounter's user can enter, and the kernel's\n"
		"                         checks of each directory would cost two getattr round\n"
		"                         trips per create+unlink, so they are left out)\n"
		"  -o max_threads=N       worker threads (default 64; a delayed request\n"
		"                         holds one)\n"
		"  -o OPT                 any other FUSE mount option, see mount.fuse3(8)\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version\n"
		"\n"
		"Semantics worth knowing:\n"
		"  syncfs(2) and sync(2) on the mount make nothing durable: the kernel sends\n"
		"  no syncfs request to a FUSE server; 'faultline fs sync MOUNTPOINT' does.\n"
		"  sync_file_range(2) is not a FUSE request: the data already reached faultfs\n"
		"  at write(2); it stays volatile until fsync/fdatasync.\n"
		"  msync(MS_SYNC) of a shared mapping is an fsync of the file.\n"
		"  O_DIRECT bypasses the kernel's page cache; it makes nothing durable.\n"
		"  POSIX, OFD and flock locks are kept by the kernel on the mount, exactly\n"
		"  as local locks: faultfs does not see them.\n"
		"  BACKING/.faultfs holds faultfs's state (undo data, the log); the mount\n"
		"  never shows it.\n"
		"\n"
		"Unmount with 'fusermount3 -u MOUNTPOINT' or by stopping faultfs (SIGTERM):\n"
		"a clean stop makes everything durable. See faultfs(8).\n");
}

/* BYTES[K|M|G|T][i][B], binary units. */
static int parse_size(const char *s, uint64_t *ret)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	}
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || !v || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*ret = (uint64_t)v << shift;
	return 0;
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct config *cfg = data;

	switch (key) {
	case KEY_HELP:
		usage(stdout);
		exit(0);
	case KEY_VERSION:
		printf("faultfs %s (FUSE library %s)\n", FL_VERSION, fuse_pkgversion());
		exit(0);
	case KEY_MAX_THREADS:
		cfg->max_threads_set = 1;
		return 1; /* libfuse's fuse_parse_cmdline reads it */
	case KEY_ALLOW_OTHER:
		cfg->allow_other = 1;
		return 1;
	case FUSE_OPT_KEY_NONOPT:
		/* The first plain argument is BACKING; the next, MOUNTPOINT, stays. */
		if (!cfg->backing) {
			cfg->backing = strdup(arg);
			return cfg->backing ? 0 : -1;
		}
		return 1;
	default:
		return 1;
	}
}

/* BYTES or 0 (no bound) for a bound option. */
static int parse_bound(const char *name, const char *s, uint64_t *ret)
{
	if (!strcmp(s, "0")) {
		*ret = 0;
		return 0;
	}
	if (parse_size(s, ret)) {
		fprintf(stderr, "faultfs: %s must be a number of bytes (suffix K, M, G, T) "
			"or 0, not '%s'\n", name, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_count(const char *name, const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno) {
		fprintf(stderr, "faultfs: %s must be a count (0: no bound), not '%s'\n", name, s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/*
 * The name journal reached a bound: say so in the write log and on stderr,
 * once when it starts and then every FFS_DUR_NOTICE_SEC while it goes on.
 */
static void bound_notice(void *ctx, uint64_t forced, uint64_t names, uint64_t trash_bytes)
{
	struct ffs *fs = ctx;
	char detail[256];
	struct ffs_wlog_entry e = { .kind = FFS_WLOG_LIMIT, .detail = detail };

	snprintf(detail, sizeof(detail),
		 "name journal bound reached: %llu oldest name operations made durable so far "
		 "(%llu volatile, %llu bytes parked); fsync directories, run 'faultline fs sync', "
		 "or raise -o names_max/trash_max",
		 (unsigned long long)forced, (unsigned long long)names,
		 (unsigned long long)trash_bytes);
	if (fs->wlog)
		ffs_wlog_append(fs->wlog, &e);
	fprintf(stderr, "faultfs: %s\n", detail);
}

/* Everything of the mount but the FUSE session: model, rules, log, size. */
static int open_state(struct ffs *fs, const struct config *cfg)
{
	enum ffs_dur_mode mode = FFS_DUR_STRICT;
	uint64_t names_max = FFS_DUR_NAMES_MAX_DEFAULT, trash_max = FFS_DUR_TRASH_MAX_DEFAULT;
	uint64_t log_max = FFS_WLOG_MAX_SIZE_DEFAULT;
	int err;

	if ((cfg->names_max && parse_count("names_max", cfg->names_max, &names_max)) ||
	    (cfg->trash_max && parse_bound("trash_max", cfg->trash_max, &trash_max)) ||
	    (cfg->log_max && parse_bound("log_max", cfg->log_max, &log_max)))
		return -EINVAL;
	if (cfg->log_keep_set && cfg->log_keep > 16) {
		fprintf(stderr, "faultfs: log_keep must be 0..16\n");
		return -EINVAL;
	}

	if (cfg->durability && !strcmp(cfg->durability, "data")) {
		mode = FFS_DUR_DATA;
	} else if (cfg->durability && strcmp(cfg->durability, "strict")) {
		fprintf(stderr, "faultfs: durability must be strict or data, not '%s'\n",
			cfg->durability);
		return -EINVAL;
	}
	err = ffs_dur_open(fs->root.fd, mode, &fs->dur);
	if (err) {
		fprintf(stderr, "faultfs: cannot set up the durability model in '%s/%s': %s\n",
			fs->backing, FFS_STATE_DIR, strerror(-err));
		return err;
	}
	err = ffs_faults_new(&fs->faults);
	if (err) {
		fprintf(stderr, "faultfs: cannot set up fault rules: %s\n", strerror(-err));
		return err;
	}
	if (cfg->log)
		err = ffs_wlog_open(AT_FDCWD, cfg->log, &fs->wlog);
	else
		err = ffs_wlog_open(fs->root.fd, FFS_STATE_DIR "/wlog.jsonl", &fs->wlog);
	if (err) {
		fprintf(stderr, "faultfs: cannot open the write log '%s': %s\n",
			cfg->log ? cfg->log : FFS_STATE_DIR "/wlog.jsonl", strerror(-err));
		return err;
	}
	ffs_wlog_set_rotation(fs->wlog, log_max,
			      cfg->log_keep_set ? cfg->log_keep : FFS_WLOG_KEEP_DEFAULT);
	ffs_dur_set_bounds(fs->dur, names_max, trash_max, bound_notice, fs);
	err = ffs_space_scan(fs);
	if (err) {
		fprintf(stderr, "faultfs: cannot sum the space used in '%s': %s\n",
			fs->backing, strerror(-err));
		return err;
	}
	return 0;
}

/*
 * Every inode the kernel knows holds an O_PATH fd, every open file one more,
 * and the durability model its own fd per tracked file: the soft limit of
 * 1024 would be reached by a database long before the hard one.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		fprintf(stderr, "faultfs: cannot raise the open-file limit to %llu: %s\n",
			(unsigned long long)rl.rlim_max, strerror(errno));
}

static void close_state(struct ffs *fs)
{
	/* A clean stop is a clean shutdown: everything volatile becomes durable. */
	if (fs->dur)
		ffs_dur_close(fs->dur);
	if (fs->wlog)
		ffs_wlog_close(fs->wlog);
	if (fs->faults)
		ffs_faults_free(fs->faults);
	fs->dur = NULL;
	fs->wlog = NULL;
	fs->faults = NULL;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_loop_config *loop = NULL;
	struct fuse_session *se = NULL;
	struct fuse_cmdline_opts opts = { 0 };
	struct config cfg = { 0 };
	char mnt_real[PATH_MAX];
	struct ffs fs;
	bool fs_ready = false, mounted = false, handlers = false;
	int ret = 1, err, guardian_fd = -1;

	if (fuse_opt_parse(&args, &cfg, config_opts, opt_proc))
		goto out;
	if (fuse_parse_cmdline(&args, &opts))
		goto out;
	if (!cfg.backing || !opts.mountpoint) {
		fprintf(stderr, "faultfs: need BACKING and MOUNTPOINT (see faultfs --help)\n");
		goto out;
	}
	if (cfg.timeout_set && cfg.timeout < 0) {
		fprintf(stderr, "faultfs: timeout must be >= 0\n");
		goto out;
	}
	if (!realpath(opts.mountpoint, mnt_real)) {
		fprintf(stderr, "faultfs: mount point '%s': %s\n", opts.mountpoint,
			strerror(errno));
		goto out;
	}
	if (!cfg.no_auto_unmount && fuse_opt_add_arg(&args, "-oauto_unmount"))
		goto out;
	/* See allow_other in usage(): the checks matter only when others get in. */
	if ((cfg.allow_other && fuse_opt_add_arg(&args, "-odefault_permissions")) ||
	    fuse_opt_add_arg(&args, "-ofsname=faultfs") ||
	    fuse_opt_add_arg(&args, "-osubtype=faultfs"))
		goto out;

	raise_nofile();
	err = ffs_init(&fs, cfg.backing);
	if (err) {
		fprintf(stderr, "faultfs: cannot open backing directory '%s': %s\n",
			cfg.backing, strerror(-err));
		goto out;
	}
	fs_ready = true;
	snprintf(fs.mountpoint, sizeof(fs.mountpoint), "%s", mnt_real);
	if (cfg.timeout_set)
		fs.timeout = cfg.timeout;
	if (cfg.size && parse_size(cfg.size, &fs.size_limit)) {
		fprintf(stderr, "faultfs: size must be a number of bytes (suffix K, M, G, T), "
			"not '%s'\n", cfg.size);
		goto out;
	}
	/* The kernel has applied the caller's umask already. */
	umask(0);
	if (open_state(&fs, &cfg))
		goto out;

	se = fuse_session_new(&args, &ffs_ops, sizeof(ffs_ops), &fs);
	if (!se)
		goto out;
	fs.se = se;
	if (fuse_set_signal_handlers(se))
		goto out;
	handlers = true;
	/* Before the mount and any thread: a killed faultfs must not leave its mount (guardian.c). */
	if (!cfg.no_auto_unmount) {
		err = ffs_guardian_start(mnt_real, &guardian_fd);
		if (err) {
			fprintf(stderr, "faultfs: cannot start the unmount guardian for '%s': %s\n",
				mnt_real, strerror(-err));
			goto out;
		}
	}
	if (fuse_session_mount(se, opts.mountpoint)) {
		fprintf(stderr, "faultfs: cannot mount at '%s'\n", opts.mountpoint);
		goto out;
	}
	mounted = true;
	if (!cfg.no_killpriv_v2) {
		err = ffs_killpriv_start(&fs, se);
		if (err) {
			fprintf(stderr, "faultfs: cannot set up FUSE_HANDLE_KILLPRIV_V2: %s\n",
				strerror(-err));
			goto out;
		}
	}
	if (guardian_fd >= 0) {
		err = ffs_guardian_mounted(guardian_fd, mnt_real);
		if (err) {
			fprintf(stderr, "faultfs: cannot tell the unmount guardian about '%s': %s\n",
				mnt_real, strerror(-err));
			goto out;
		}
	}
	if (fuse_daemonize(opts.foreground))
		goto out;
	/*
	 * Threads start after daemonizing: they would not survive the fork. It gets
	 * the canonical path computed before the mount: until the loop runs,
	 * the mount answers nothing, so it must not be looked at now.
	 */
	err = ffs_wlog_start_flusher(fs.wlog);
	if (err) {
		fprintf(stderr, "faultfs: cannot start the write-log flusher: %s\n", strerror(-err));
		goto out;
	}
	err = ffs_control_start(&fs, mnt_real, &fs.ctl);
	if (err) {
		fprintf(stderr, "faultfs: cannot start the control socket for '%s': %s\n",
			mnt_real, strerror(-err));
		goto out;
	}

	if (opts.singlethread) {
		ret = fuse_session_loop(se) ? 1 : 0;
	} else {
		loop = fuse_loop_cfg_create();
		if (!loop)
			goto out;
		fuse_loop_cfg_set_clone_fd(loop, opts.clone_fd);
		/* A delayed request holds a worker: have enough for the others. */
		fuse_loop_cfg_set_max_threads(loop, cfg.max_threads_set && (int)opts.max_threads > 0 ?
					      opts.max_threads : 64);
		/* Unset is UINT_MAX, which libfuse 3.14 would log as invalid. */
		if (opts.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(loop, opts.max_idle_threads);
		ret = fuse_session_loop_mt(se, loop) ? 1 : 0;
	}
out:
	if (fs_ready && fs.ctl)
		ffs_control_stop(fs.ctl);
	if (fs_ready)
		ffs_powercut_finish(&fs);   /* a last cut's nameless inodes, while se lives */
	if (loop)
		fuse_loop_cfg_destroy(loop);
	if (mounted)
		fuse_session_unmount(se);
	if (handlers)
		fuse_remove_signal_handlers(se);
	if (se)
		fuse_session_destroy(se);
	if (fs_ready) {
		close_state(&fs);
		ffs_destroy(&fs);
	}
	free(opts.mountpoint);
	free(cfg.backing);
	free(cfg.size);
	free(cfg.durability);
	free(cfg.log);
	free(cfg.log_max);
	free(cfg.names_max);
	free(cfg.trash_max);
	fuse_opt_free_args(&args);
	return ret;
}
