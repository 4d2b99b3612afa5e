// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Before a run starts: settings that cannot work are refused with a
 * reason; a caller without root learns which step needs it and why,
 * before anything was started; and a service that runs as its own user
 * (--user) gets a data directory it can use.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include <faultline/fs.h>
#include <faultline/state.h>
#include "rpo_priv.h"
#include "workload/run_as.h"

bool fl_rpo_wants_faultfs(const struct fl_rpo_config *cfg)
{
	return cfg->faultfs || cfg->fault == FL_RPO_FAULT_POWERCUT ||
	       cfg->fault == FL_RPO_FAULT_DISK_FAIL;
}

static const char *run_dir(void)
{
	const char *env = getenv(FL_STATE_RUN_DIR_ENV);

	return env && *env ? env : FL_STATE_RUN_DIR;
}

static bool is_refusal(int err)
{
	return err == -EACCES || err == -EPERM || err == -EROFS;
}

/* tried: the step was taken and refused; else it is one that only root may take. */
static void explain(const struct fl_rpo_config *cfg, const char *step, int err, bool tried,
		    char *errbuf, size_t errlen)
{
	char how[96];

	if (!errbuf || !errlen)
		return;
	if (!is_refusal(err)) {
		snprintf(errbuf, errlen, "%s: %s", step, strerror(-err));
		return;
	}
	if (!tried)
		snprintf(how, sizeof(how), "needs it");
	else
		snprintf(how, sizeof(how), "was refused (%s)", strerror(-err));
	snprintf(errbuf, errlen,
		 "needs root: %s %s. faultline rpo records what it must undo in %s, runs "
		 "the service in a cgroup of its own%s%s, watches its writes and barriers with "
		 "BPF%s%s%s; run it as root (sudo)",
		 step, how, run_dir(), cfg->user ? " as user " : "", cfg->user ? cfg->user : "",
		 fl_rpo_wants_faultfs(cfg) ? " and mounts faultfs over " : "",
		 fl_rpo_wants_faultfs(cfg) && cfg->data_dir ? cfg->data_dir : "",
		 fl_rpo_wants_faultfs(cfg) ? " (its control socket is root-only)" : "");
}

void fl_rpo_explain_refusal(const struct fl_rpo_config *cfg, const char *step, int err,
			    char *errbuf, size_t errlen)
{
	explain(cfg, step, err, true, errbuf, errlen);
}

/* Options faultfs takes a value for: one without it is a typo. */
static const char *const valued[] = {
	"durability", "size", "log", "log_max", "log_keep", "names_max", "trash_max",
	"timeout", "max_threads", NULL,
};

/* Obvious mistakes only: whatever else faultfs refuses, it says so itself at the mount. */
static int check_faultfs_opts(const char *opts, char *errbuf, size_t errlen)
{
	const char *p = opts;

	if (!*opts || opts[strspn(opts, ",")] == '\0')
		return snprintf(errbuf, errlen, "--faultfs-opt: no option given (e.g. durability=data,size=1G)"), -EINVAL;
	if (opts[0] == '-')
		return snprintf(errbuf, errlen, "--faultfs-opt '%s': give the options without -o "
				"(e.g. --faultfs-opt durability=data)", opts), -EINVAL;
	if (strpbrk(opts, " \t\n"))
		return snprintf(errbuf, errlen, "--faultfs-opt '%s': options are separated by "
				"commas, without spaces", opts), -EINVAL;
	for (;;) {
		size_t n = strcspn(p, ","), k = strcspn(p, "=,");
		char key[64];

		if (n == 0 || k == 0)
			return snprintf(errbuf, errlen, "--faultfs-opt '%s': an empty option%s", opts,
					k == 0 && n ? " name" : " (two commas, or one at an end)"), -EINVAL;
		snprintf(key, sizeof(key), "%.*s", (int)(k < sizeof(key) ? k : sizeof(key) - 1), p);
		if (!strcmp(key, "debug") || !strcmp(key, "foreground"))
			return snprintf(errbuf, errlen, "--faultfs-opt %s: faultfs would stay in the "
					"foreground; faultline rpo needs it to run as a daemon", key), -EINVAL;
		for (size_t i = 0; valued[i]; i++)
			if (!strcmp(key, valued[i]) && (k == n || k + 1 == n))
				return snprintf(errbuf, errlen, "--faultfs-opt: %s needs a value "
						"(%s=...)", key, key), -EINVAL;
		if (!strcmp(key, "durability") && !(n - k == 7 && !strncmp(p + k, "=strict", 7)) &&
		    !(n - k == 5 && !strncmp(p + k, "=data", 5)))
			return snprintf(errbuf, errlen, "--faultfs-opt: durability is strict or data, "
					"not '%.*s'", (int)(n - k - 1), p + k + 1), -EINVAL;
		if (!p[n])
			break;
		p += n + 1;
	}
	return 0;
}

int fl_rpo_config_check(const struct fl_rpo_config *cfg, char *errbuf, size_t errlen)
{
	char tmp[256];
	int err;

	if (!errbuf) {
		errbuf = tmp;
		errlen = sizeof(tmp);
	}
	if (cfg->user) {
		struct fl_wl_user u;

		if (!cfg->start_cmd)
			return snprintf(errbuf, errlen, "--user runs the --start and --restart "
					"commands as that user: it needs --start"), -EINVAL;
		err = fl_wl_user_lookup(cfg->user, &u, errbuf, errlen);
		if (err)
			return err;
		fl_wl_user_free(&u);
	}
	if (cfg->faultfs_opts) {
		if (!fl_rpo_wants_faultfs(cfg))
			return snprintf(errbuf, errlen, "faultfs options given, but the run does not "
					"use faultfs (--faultfs, --fault powercut or disk-fail)"), -EINVAL;
		err = check_faultfs_opts(cfg->faultfs_opts, errbuf, errlen);
		if (err)
			return err;
		if (cfg->data_dir && fl_fs_check_mount(cfg->data_dir) == 0)
			return snprintf(errbuf, errlen, "%s is a faultfs mount already, which faultline "
					"rpo uses as it is: --faultfs-opt cannot change its options "
					"(mount it with them instead)", cfg->data_dir), -EINVAL;
	}
	err = fl_rpo_net_config_check(cfg, errbuf, errlen);
	if (err)
		return err;
	if (!cfg->ping_timeout_ns || cfg->ping_timeout_ns / 1000000 > INT_MAX ||
	    cfg->ping_timeout_ns < 1000000)
		return snprintf(errbuf, errlen, "the ping timeout must be from 1 ms to %d s",
				INT_MAX / 1000), -EINVAL;
	return 0;
}

/* Could this caller make the service's cgroup? Tried, and removed at once. */
static int try_cgroup(char *where, size_t len)
{
	char probe[PATH_MAX + 64];
	int err;

	err = fl_cgroup2_root(where, len);
	if (err)
		return 0; /* no cgroup v2: the service runs in its process group only */
	snprintf(probe, sizeof(probe), "%s/faultline-rpo-probe-%d", where, (int)getpid());
	if (mkdir(probe, 0755))
		return -errno;
	rmdir(probe);
	return 0;
}

/* The service's user gets the data directory: made for it when missing, else checked. */
static int prepare_data_dir(const struct fl_rpo_config *cfg, char *errbuf, size_t errlen)
{
	struct fl_wl_user u;
	struct stat sb;
	int err;

	err = fl_wl_user_lookup(cfg->user, &u, errbuf, errlen);
	if (err)
		return err;
	if (stat(cfg->data_dir, &sb) && errno == ENOENT) {
		if (mkdir(cfg->data_dir, 0700) || chown(cfg->data_dir, u.uid, u.gid)) {
			err = -errno;
			snprintf(errbuf, errlen, "cannot create the data directory %s for user %s: %s",
				 cfg->data_dir, u.name, strerror(errno));
		}
	} else {
		err = fl_wl_user_can_use_dir(&u, cfg->data_dir);
		if (err)
			snprintf(errbuf, errlen, "user %s cannot read, write and enter the data "
				 "directory %s (%s): chown it to %s%s", u.name, cfg->data_dir,
				 strerror(-err), u.name,
				 fl_fs_check_mount(cfg->data_dir) == 0 ?
				 ", and mount faultfs there with -o allow_other" : "");
	}
	fl_wl_user_free(&u);
	return err;
}

int fl_rpo_preflight(const struct fl_rpo_config *cfg, char *errbuf, size_t errlen)
{
	char where[PATH_MAX], step[PATH_MAX + 64], tmp[256];
	int err;

	if (!errbuf) {
		errbuf = tmp;
		errlen = sizeof(tmp);
	}
	if (geteuid() != 0) {
		if (cfg->start_cmd || cfg->fault == FL_RPO_FAULT_OOM) {
			err = try_cgroup(where, sizeof(where));
			if (err) {
				snprintf(step, sizeof(step), "creating the service's cgroup in %s", where);
				explain(cfg, step, err, true, errbuf, errlen);
				return err;
			}
		}
		if (cfg->user) {
			snprintf(step, sizeof(step), "running the service as user %s (setuid)",
				 cfg->user);
			explain(cfg, step, -EPERM, false, errbuf, errlen);
			return -EPERM;
		}
		if (fl_rpo_wants_faultfs(cfg)) {
			snprintf(step, sizeof(step), "mounting faultfs over %s",
				 cfg->data_dir ? cfg->data_dir : "the data directory");
			explain(cfg, step, -EPERM, false, errbuf, errlen);
			return -EPERM;
		}
		if (cfg->fault == FL_RPO_FAULT_CRASHPOINT) {
			explain(cfg, "loading the crash point's BPF program", -EPERM, false,
				errbuf, errlen);
			return -EPERM;
		}
		if (fl_rpo_fault_is_network(cfg->fault)) {
			explain(cfg, "attaching the network fault's BPF programs to the service's "
				"cgroup", -EPERM, false, errbuf, errlen);
			return -EPERM;
		}
	}
	/* A network fault cuts the service's own cgroup off: without cgroup v2 there is none. */
	if (fl_rpo_fault_is_network(cfg->fault) && fl_cgroup2_root(where, sizeof(where))) {
		snprintf(errbuf, errlen, "--fault %s cuts off the sockets of the service's own "
			 "cgroup (cgroup_skb programs), and this host has no cgroup v2 hierarchy "
			 "to run the service in one", fl_rpo_fault_name(cfg->fault));
		return -EOPNOTSUPP;
	}
	if (cfg->user && cfg->data_dir)
		return prepare_data_dir(cfg, errbuf, errlen);
	return 0;
}
