// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A node's disk and cgroup: RUN/NAME/<node>/data with faultfs mounted
 * over it, and the cgroup its service runs in. The node's cgroup is
 * recorded after its mount, so every undo kills the service before it
 * unmounts the data dir the service holds open.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include <faultline/fs.h>
#include <faultline/fs_daemon.h>
#include <faultline/state.h>
#include "cluster_priv.h"
#include "core/clock.h"
#include "core/errbuf.h"

#define FAULTFS_START_MS 10000
#define UNMOUNT_BUSY_MS  2000

int fl_cluster_node_faultfs_pid(const struct fl_cluster_node *n, pid_t *ret)
{
	json_t *req = json_pack("{s:s}", "cmd", "ping"), *reply = NULL;
	int fd, err;

	if (!req)
		return -ENOMEM;
	err = fl_fs_connect(n->data, &fd);
	if (!err) {
		err = fl_fs_request(fd, req, &reply, 1000);
		close(fd);
	}
	json_decref(req);
	if (err)
		return err;
	if (!json_is_true(json_object_get(reply, "ok")))
		err = -EIO;
	else
		*ret = (pid_t)json_integer_value(json_object_get(reply, "pid"));
	json_decref(reply);
	return err;
}

static int mount_faultfs(struct fl_cluster *c, unsigned i, const char *opts,
			 char *errbuf, size_t errlen)
{
	struct fl_cluster_node *n = &c->nodes[i];
	uint64_t deadline;
	char bin[PATH_MAX];
	int err;

	err = fl_fs_daemon_find(bin, sizeof(bin));
	if (err) {
		fl_errf(errbuf, errlen, "faultfs not found next to this program nor on $PATH");
		return err;
	}
	err = fl_fs_daemon_run(bin, n->data, opts, c->st, FAULTFS_START_MS, errbuf, errlen);
	if (err)
		return err;
	/* Recorded right after: the record keeps the mount's id. */
	err = fl_state_record_mount(c->st, n->data, NULL);
	if (err) {
		umount2(n->data, MNT_DETACH);
		fl_errf(errbuf, errlen, "cannot record the mount of %s: %s", n->data,
			strerror(-err));
		return err;
	}
	deadline = fl_now_ns() + FAULTFS_START_MS * 1000000ull;
	while ((err = fl_cluster_node_faultfs_pid(n, &c->faultfs_pid[i]))) {
		if (fl_now_ns() > deadline) {
			fl_errf(errbuf, errlen, "faultfs on %s does not answer: %s", n->data,
				fl_fs_strerror(err));
			return err;
		}
		fl_sleep_ms(10);
	}
	return 0;
}

int fl_cluster_node_prepare(struct fl_cluster *c, unsigned i, const char *faultfs_opts,
			    char *errbuf, size_t errlen)
{
	struct fl_cluster_node *n = &c->nodes[i];
	int err;

	if ((mkdir(n->dir, 0755) && errno != EEXIST) || (mkdir(n->data, 0700) && errno != EEXIST)) {
		err = -errno;
		fl_errf(errbuf, errlen, "cannot make %s: %s", n->data, strerror(-err));
		return err;
	}
	err = mount_faultfs(c, i, faultfs_opts, errbuf, errlen);
	if (err)
		return err;
	err = fl_state_record_service_cgroup(c->st, n->cgroup, NULL);
	if (err) {
		fl_errf(errbuf, errlen, "cannot record cgroup %s: %s", n->cgroup, strerror(-err));
		return err;
	}
	if (mkdir(n->cgroup, 0755) && errno != EEXIST) {
		err = -errno;
		fl_errf(errbuf, errlen, "cannot make cgroup %s: %s", n->cgroup, strerror(-err));
		return err;
	}
	return 0;
}

int fl_cluster_node_unmount(struct fl_cluster *c, unsigned i)
{
	struct fl_cluster_node *n = &c->nodes[i];
	pid_t pid = c->faultfs_pid[i];

	if (fl_fs_check_mount(n->data))
		return 0;
	if (pid <= 0)
		fl_cluster_node_faultfs_pid(n, &pid);
	return fl_fs_daemon_unmount(n->data, pid, UNMOUNT_BUSY_MS);
}
