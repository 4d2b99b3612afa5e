// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultfs BACKING MOUNTPOINT: mount BACKING at MOUNTPOINT through FUSE.
 *
 * For now a plain passthrough: the fault rules, the durability model, the
 * write log and the control socket come later. BACKING is opened before
 * the mount, so MOUNTPOINT may be BACKING itself (an overlay over a data
 * directory in place).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultfs.h"

#ifndef FL_VERSION
#define FL_VERSION "0.0.0"
#endif

struct config {
	char *backing;
	int no_auto_unmount;
	double timeout;
	int timeout_set;
};

enum { KEY_HELP, KEY_VERSION };

static const struct fuse_opt config_opts[] = {
	{ "no_auto_unmount", offsetof(struct config, no_auto_unmount), 1 },
	{ "timeout=%lf", offsetof(struct config, timeout), 0 },
	{ "timeout=", offsetof(struct config, timeout_set), 1 },
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
		"Mount the directory BACKING at MOUNTPOINT through FUSE. MOUNTPOINT may be\n"
		"BACKING itself (an overlay in place).\n"
		"\n"
		"This version is a plain passthrough: every operation goes to BACKING\n"
		"unchanged. No faults are injected yet; fault rules, the durability model\n"
		"(power cut, unsynced data loss), the write log and the control socket come\n"
		"later. Not passed through yet: hard links, mknod, xattrs, locks, fallocate.\n"
		"\n"
		"Options:\n"
		"  -f                     stay in the foreground\n"
		"  -d, -o debug           foreground, print every FUSE request\n"
		"  -s                     single-threaded (default: multithreaded)\n"
		"  -o no_auto_unmount     keep the mount if faultfs dies (default: it is\n"
		"                         unmounted when faultfs exits or is killed)\n"
		"  -o timeout=SECONDS     kernel cache of names and attributes (default 1)\n"
		"  -o allow_other         let users other than the mounter in (checked with\n"
		"                         default_permissions, which faultfs always sets)\n"
		"  -o OPT                 any other FUSE mount option, see mount.fuse3(8)\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version\n"
		"\n"
		"Unmount with 'fusermount3 -u MOUNTPOINT' or by stopping faultfs.\n"
		"See faultfs(8).\n");
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

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_loop_config *loop = NULL;
	struct fuse_session *se = NULL;
	struct fuse_cmdline_opts opts = { 0 };
	struct config cfg = { 0 };
	struct ffs fs;
	bool fs_ready = false, mounted = false, handlers = false;
	int ret = 1, err;

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
	if (!cfg.no_auto_unmount && fuse_opt_add_arg(&args, "-oauto_unmount"))
		goto out;
	if (fuse_opt_add_arg(&args, "-odefault_permissions") ||
	    fuse_opt_add_arg(&args, "-ofsname=faultfs") ||
	    fuse_opt_add_arg(&args, "-osubtype=faultfs"))
		goto out;

	err = ffs_init(&fs, cfg.backing);
	if (err) {
		fprintf(stderr, "faultfs: cannot open backing directory '%s': %s\n",
			cfg.backing, strerror(-err));
		goto out;
	}
	fs_ready = true;
	if (cfg.timeout_set)
		fs.timeout = cfg.timeout;
	/* The kernel has applied the caller's umask already. */
	umask(0);

	se = fuse_session_new(&args, &ffs_ops, sizeof(ffs_ops), &fs);
	if (!se)
		goto out;
	if (fuse_set_signal_handlers(se))
		goto out;
	handlers = true;
	if (fuse_session_mount(se, opts.mountpoint)) {
		fprintf(stderr, "faultfs: cannot mount at '%s'\n", opts.mountpoint);
		goto out;
	}
	mounted = true;
	if (fuse_daemonize(opts.foreground))
		goto out;

	if (opts.singlethread) {
		ret = fuse_session_loop(se) ? 1 : 0;
	} else {
		loop = fuse_loop_cfg_create();
		if (!loop)
			goto out;
		fuse_loop_cfg_set_clone_fd(loop, opts.clone_fd);
		/* libfuse leaves it at -1 when -o max_threads was not given. */
		if ((int)opts.max_threads > 0)
			fuse_loop_cfg_set_max_threads(loop, opts.max_threads);
		/* Unset is UINT_MAX, which libfuse 3.14 would log as invalid. */
		if (opts.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(loop, opts.max_idle_threads);
		ret = fuse_session_loop_mt(se, loop) ? 1 : 0;
	}
out:
	if (loop)
		fuse_loop_cfg_destroy(loop);
	if (mounted)
		fuse_session_unmount(se);
	if (handlers)
		fuse_remove_signal_handlers(se);
	if (se)
		fuse_session_destroy(se);
	if (fs_ready)
		ffs_destroy(&fs);
	free(opts.mountpoint);
	free(cfg.backing);
	fuse_opt_free_args(&args);
	return ret;
}
