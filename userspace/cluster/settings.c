// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A kind's settings as a file in a node's data dir, which its start
 * command reads (postgresql.conf lines, a redis config file). Values are
 * quoted by the format and checked here, so no setting can add a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cluster_priv.h"
#include "core/errbuf.h"

static bool key_ok(const char *k, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || strchr("_.-", k[i])))
			return false;
	return true;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

int fl_cluster_settings_write(const struct fl_cluster *c, unsigned i, const char *name,
			      const char *fmt, const char *const *settings, char *errbuf,
			      size_t errlen)
{
	char path[PATH_MAX + 64], key[128];
	FILE *f;
	int err = 0;

	for (size_t k = 0; settings && settings[k]; k++) {
		const char *eq = strchr(settings[k], '=');

		if (!eq || !key_ok(settings[k], (size_t)(eq - settings[k])) ||
		    (size_t)(eq - settings[k]) >= sizeof(key) || strpbrk(eq + 1, "'\"\\\n\r")) {
			fl_errf(errbuf, errlen, "setting '%s': give KEY=VALUE, the key of "
				"A-Z a-z 0-9 _ . -, the value without quotes, backslashes or "
				"newlines", settings[k]);
			return -EINVAL;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", c->nodes[i].data, name);
	f = fopen(path, "we");
	if (!f) {
		err = -errno;
		fl_errf(errbuf, errlen, "cannot write %s: %s", path, strerror(-err));
		return err;
	}
	fprintf(f, "# faultline cluster %s: the kind's settings\n", c->name);
	for (size_t k = 0; settings && settings[k]; k++) {
		const char *eq = strchr(settings[k], '=');

		snprintf(key, sizeof(key), "%.*s", (int)(eq - settings[k]), settings[k]);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		fprintf(f, fmt, key, eq + 1);
#pragma GCC diagnostic pop
		fputc('\n', f);
	}
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	/*
	 * The file lives on the node's faultfs: without an fsync of its
	 * directory a power cut takes its name back (durability=strict), and
	 * the node would not start again. The harness's own files must
	 * survive the cut the service is tested for.
	 */
	if (!err)
		err = fsync_dir(c->nodes[i].data);
	if (err)
		fl_errf(errbuf, errlen, "cannot write %s: %s", path, strerror(-err));
	return err;
}
