/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the cluster tests: nothing of a cluster is left after down, and a
 * few shared steps.
 */
#ifndef FL_TEST_CLUSTER_RESIDUE_H
#define FL_TEST_CLUSTER_RESIDUE_H

#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include "helpers/faultfs_mount.h"
#include "core/clock.h"

static inline uint64_t ms_since(uint64_t t0)
{
	return (fl_now_ns() - t0) / 1000000ull;
}

/* No netns, veth, bridge, cgroup, mount or process of cluster name is left. */
static void assert_no_residue(const char *name, const char *dir)
{
	char path[PATH_MAX + 64], cg[PATH_MAX], line[4096], prefix[64];
	uint64_t t0 = fl_now_ns();
	bool procs;
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(prefix, sizeof(prefix), "fl-%s-", name);
	d = opendir("/run/netns");
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			fail_msg("netns %s is left", de->d_name);
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "flc-%s", name);
	assert_int_equal(if_nametoindex(path), 0);
	assert_int_equal(fl_cgroup2_root(cg, sizeof(cg)), 0);
	snprintf(path, sizeof(path), "%s/faultline-cluster-%s", cg, name);
	if (access(path, F_OK) == 0)
		fail_msg("cgroup %s is left", path);
	f = fopen("/proc/self/mountinfo", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, dir))
			fail_msg("a mount is left: %s", line);
	fclose(f);
	/* faultfs exits as its lazily detached mount loses its last user. */
	do {
		procs = false;
		d = opendir("/proc");
		while (d && (de = readdir(d))) {
			char cmd[4096] = "", st[512] = "";
			size_t n;

			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			n = fread(cmd, 1, sizeof(cmd) - 1, f);
			fclose(f);
			for (size_t i = 0; i + 1 < n; i++)
				if (!cmd[i])
					cmd[i] = ' ';
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			f = fopen(path, "r");
			if (f) {
				if (!fgets(st, sizeof(st), f))
					st[0] = '\0';
				fclose(f);
			}
			/* A zombie waits for init to reap it: it holds nothing. */
			if (strstr(st, ") Z "))
				continue;
			if (strstr(cmd, dir)) {
				procs = true;
				if (ms_since(t0) > 5000)
					fail_msg("process %s is left: %s", de->d_name, cmd);
			}
		}
		if (d)
			closedir(d);
		if (procs)
			fl_sleep_ms(50);
	} while (procs);
}

#endif /* FL_TEST_CLUSTER_RESIDUE_H */
