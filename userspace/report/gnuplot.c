// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gnuplot, run the safe way: our script file as its only argument (no
 * shell, nothing from a result is ever executed), HOME in our private
 * directory (no ~/.gnuplot of the user's), stdin from /dev/null,
 * its complaints into a file we read back, and a deadline after which it
 * is killed. The SVG it wrote is returned from its "<svg" on, ready to be
 * inlined into a page.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/child.h"
#include "core/errbuf.h"
#include "report_gnuplot.h"

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

int rp_gnuplot_run(const char *gnuplot, const char *dir, const char *script, const char *svg,
		   int timeout_ms, char **ret_svg, char *errbuf, size_t errlen)
{
	char errpath[4096], *out, *start, *text;
	int ws = 0, err, fd_null, fd_err;
	pid_t pid;

	snprintf(errpath, sizeof(errpath), "%s/gnuplot.err", dir);
	fd_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fd_err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd_null < 0 || fd_err < 0) {
		err = -errno;
		fl_errf(errbuf, errlen, "gnuplot: %s: %s", errpath, strerror(errno));
		goto out_fds;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		fl_errf(errbuf, errlen, "gnuplot: fork: %s", strerror(errno));
		goto out_fds;
	}
	if (pid == 0) {
		if (dup2(fd_null, 0) < 0 || dup2(fd_null, 1) < 0 || dup2(fd_err, 2) < 0)
			_exit(126);
		/* Our script alone decides the plot: no ~/.gnuplot, no GNUTERM of the caller. */
		setenv("HOME", dir, 1);
		unsetenv("GNUTERM");
		execlp(gnuplot, gnuplot, script, (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	err = fl_child_wait(pid, timeout_ms, &ws);
	if (err == -ETIMEDOUT) {
		fl_errf(errbuf, errlen, "gnuplot took longer than %d ms: killed", timeout_ms);
		goto out_fds;
	}
	if (err) {
		fl_errf(errbuf, errlen, "gnuplot: waiting: %s", strerror(-err));
		goto out_fds;
	}
	if (!WIFEXITED(ws) || WEXITSTATUS(ws)) {
		text = slurp(errpath, 300);
		if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127)
			fl_errf(errbuf, errlen, "%s not found (install gnuplot-nox)", gnuplot);
		else
			fl_errf(errbuf, errlen, "gnuplot failed (status %d): %s",
				WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws),
				text ? text : "");
		free(text);
		err = -EIO;
		goto out_fds;
	}
	out = slurp(svg, 16u << 20);
	start = out ? strstr(out, "<svg") : NULL;
	if (!start) {
		free(out);
		fl_errf(errbuf, errlen, "gnuplot wrote no SVG");
		err = -EIO;
		goto out_fds;
	}
	memmove(out, start, strlen(start) + 1);
	*ret_svg = out;
	err = 0;
out_fds:
	if (fd_null >= 0)
		close(fd_null);
	if (fd_err >= 0)
		close(fd_err);
	return err;
}
