// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fl_fs_snapshot: the "snapshot" request of the faultfs control socket. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <faultline/fs.h>
#include <faultline/fs_snapshot.h>

#include "core/errbuf.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* dest made absolute and canonical; a new one through its parent. */
static int canonical_dest(const char *dest, char *buf, size_t len)
{
	char parent[PATH_MAX], base[PATH_MAX], real[PATH_MAX];

	if (realpath(dest, real)) {
		if (strlen(real) >= len)
			return -ENAMETOOLONG;
		strcpy(buf, real);
		return 0;
	}
	if (errno != ENOENT || strlen(dest) >= sizeof(parent))
		return -errno;
	strcpy(parent, dest);
	strcpy(base, dest);
	if (!realpath(dirname(parent), real))
		return -errno;
	if ((size_t)snprintf(buf, len, "%s/%s", strcmp(real, "/") ? real : "", basename(base)) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static uint64_t u64(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

int fl_fs_snapshot(const char *mnt, const char *dest, int timeout_ms, struct fl_fs_snapshot *ret,
		   char *errbuf, size_t errlen)
{
	char dreal[PATH_MAX], mreal[PATH_MAX];
	struct fl_fs_snapshot r = { 0 };
	uint64_t t0 = mono_ns();
	json_t *req = NULL, *rep = NULL;
	size_t n;
	int fd = -1, err;

	if (!mnt || !dest)
		return -EINVAL;
	err = fl_fs_check_mount(mnt);
	if (err) {
		fl_errf(errbuf, errlen, "%s: %s", mnt, fl_fs_strerror(err));
		return err;
	}
	if (!realpath(mnt, mreal) || (err = canonical_dest(dest, dreal, sizeof(dreal)))) {
		err = err ? err : -errno;
		fl_errf(errbuf, errlen, "%s: %s", realpath(mnt, mreal) ? dest : mnt, strerror(-err));
		return err;
	}
	n = strlen(mreal);
	if (!strncmp(dreal, mreal, n) && (dreal[n] == '/' || dreal[n] == '\0' || n == 1)) {
		fl_errf(errbuf, errlen, "%s is inside the mount %s: a snapshot goes elsewhere",
			dreal, mreal);
		return -EINVAL;
	}
	err = fl_fs_connect(mnt, &fd);
	if (err) {
		fl_errf(errbuf, errlen, "%s: %s", mnt, fl_fs_strerror(err));
		return err;
	}
	req = json_pack("{s:s, s:s}", "cmd", "snapshot", "dest", dreal);
	err = req ? fl_fs_request(fd, req, &rep, timeout_ms) : -ENOMEM;
	if (err) {
		fl_errf(errbuf, errlen, "%s: %s", mnt, fl_fs_strerror(err));
		goto out;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *msg = json_string_value(json_object_get(rep, "error"));

		fl_errf(errbuf, errlen, "%s: %s", mnt, msg ? msg : "snapshot refused");
		err = msg && strstr(msg, "not empty") ? -ENOTEMPTY :
		      msg && strstr(msg, "inside the") ? -EINVAL : -EIO;
		goto out;
	}
	r.files = u64(rep, "files");
	r.bytes = u64(rep, "bytes");
	r.writes_undone = u64(rep, "writes_undone");
	r.bytes_undone = u64(rep, "bytes_undone");
	r.names_undone = u64(rep, "names_undone");
	r.held_ns = u64(rep, "held_ns");
	r.precopy_ns = u64(rep, "precopy_ns");
	r.catchup_bytes = u64(rep, "catchup_bytes");
	r.full = json_is_true(json_object_get(rep, "full"));
	r.relinked = json_is_true(json_object_get(rep, "relinked"));
	r.duration_ns = u64(rep, "duration_ns");
	r.total_ns = mono_ns() - t0;
	*ret = r;
out:
	json_decref(req);
	json_decref(rep);
	close(fd);
	return err;
}
