// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How strategies run their tools: a bounded child as the store's user,
 * its output kept for the reason, and the few file chores every
 * file-level strategy needs (sizes, copies, ownership).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"
#include "core/clock.h"
#include "core/errbuf.h"
#include "workload/run_as.h"
#include "strategy.h"

extern char **environ;

#define ENV_MAX 64

/* Keep the last len - 1 bytes seen in buf (a sliding tail). */
static void tail_append(char *buf, size_t len, size_t *used, const char *data, size_t n)
{
	if (!buf || len < 2)
		return;
	if (n >= len - 1) {
		memcpy(buf, data + n - (len - 1), len - 1);
		*used = len - 1;
	} else {
		if (*used + n > len - 1) {
			size_t drop = *used + n - (len - 1);

			memmove(buf, buf + drop, *used - drop);
			*used -= drop;
		}
		memcpy(buf + *used, data, n);
		*used += n;
	}
	buf[*used] = '\0';
}

/* The last non-empty line of text, for a one-line reason. */
static const char *last_line(const char *text, char *buf, size_t len)
{
	const char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return buf;
}

/* The child's environment: the user's (or ours) with env laid over it. */
static char **child_env(char **base, const char *const *env, char **buf, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; base && base[i] && k < n - 1; i++) {
		bool over = false;

		for (size_t j = 0; env && env[j]; j++) {
			const char *eq = strchr(env[j], '=');

			if (eq && !strncmp(base[i], env[j], (size_t)(eq - env[j]) + 1))
				over = true;
		}
		if (!over)
			buf[k++] = base[i];
	}
	for (size_t j = 0; env && env[j] && k < n - 1; j++)
		buf[k++] = (char *)env[j];
	buf[k] = NULL;
	return buf;
}

int fl_bk_cmd(struct fl_bk_ctx *c, const char *user, const char *dir, const char *const *env,
	      int timeout_ms, char *out, size_t outlen, const char *const *argv)
{
	struct fl_wl_user u = { 0 };
	char path[4096], local[4096], line[512];
	char *outbuf = out ? out : local;
	size_t outsz = out ? outlen : sizeof(local), used = 0;
	char **envp, **big = NULL;
	int pfd[2] = { -1, -1 }, status = 0, err;
	uint64_t deadline;
	pid_t pid;

	if (outbuf && outsz)
		outbuf[0] = '\0';
	if (argv[0][0] == '/')
		snprintf(path, sizeof(path), "%s", argv[0]);
	else if (fl_child_which(argv[0], path, sizeof(path))) {
		fl_errf(c->errbuf, c->errlen, "%s: not installed", argv[0]);
		return -ENOENT;
	}
	if (user) {
		err = fl_wl_user_lookup(user, &u, c->errbuf, c->errlen);
		if (err)
			return err;
	}
	big = calloc(ENV_MAX + 512, sizeof(*big));
	if (!big) {
		err = -ENOMEM;
		goto out;
	}
	envp = child_env(user ? u.envp : environ, env, big, ENV_MAX + 512);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		err = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0) {
		const char *step;
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		if (dir && chdir(dir) < 0)
			_exit(126);
		if (user && fl_wl_user_become(&u, &step))
			_exit(126);
		if (!dir && !user && chdir("/") < 0)
			_exit(126);
		execve(path, (char *const *)argv, envp);
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);
	pfd[1] = -1;
	deadline = (fl_now_ns() / 1000000) + (uint64_t)timeout_ms;
	err = 0;
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		uint64_t now = (fl_now_ns() / 1000000);
		char chunk[4096];
		ssize_t n;

		if (now >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		if (poll(&p, 1, (int)(deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (!p.revents)
			continue;
		n = read(pfd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		tail_append(outbuf, outsz, &used, chunk, (size_t)n);
	}
	if (err == -ETIMEDOUT)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* A tool's helpers (pgBackRest's local processes) must not outlive it. */
	kill(-pid, SIGKILL);
	if (err == -ETIMEDOUT)
		fl_errf(c->errbuf, c->errlen, "%s did not finish within %d s: %s", argv[0],
			timeout_ms / 1000, last_line(outbuf, line, sizeof(line)));
	else if (!err && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		err = -ENOENT, fl_errf(c->errbuf, c->errlen, "%s: could not be run", argv[0]);
	else if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		err = -EIO;
		if (WIFEXITED(status))
			fl_errf(c->errbuf, c->errlen, "%s exited %d: %s", argv[0],
				WEXITSTATUS(status), last_line(outbuf, line, sizeof(line)));
		else
			fl_errf(c->errbuf, c->errlen, "%s was killed by signal %d: %s", argv[0],
				WTERMSIG(status), last_line(outbuf, line, sizeof(line)));
	}
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(big);
	if (user)
		fl_wl_user_free(&u);
	return err;
}

int fl_bk_cmd_as_store(struct fl_bk_ctx *c, int timeout_ms, char *out, size_t outlen,
		       const char *const *argv)
{
	return fl_bk_cmd(c, c->store->user, NULL, NULL, timeout_ms, out, outlen, argv);
}

static uint64_t du_at(int dirfd, const char *name)
{
	struct stat st;
	uint64_t sum;
	DIR *d;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	sum = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			sum += du_at(fd, e->d_name);
	closedir(d);
	return sum;
}

uint64_t fl_bk_du(const char *path)
{
	return du_at(AT_FDCWD, path);
}

int fl_bk_copy_file(const char *from, const char *to)
{
	struct stat st;
	char buf[65536];
	int in, out, err = 0;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0) {
		err = -errno;
		close(in);
		return err;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf)), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		while (w < n) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				err = -errno;
				break;
			}
			w += k;
		}
		if (err)
			break;
	}
	if (!err && fchown(out, st.st_uid, st.st_gid) < 0)
		err = -errno;
	if (!err && fsync(out) < 0)
		err = -errno;
	if (close(out) < 0 && !err)
		err = -errno;
	close(in);
	return err;
}

int fl_bk_chown_store(struct fl_bk_ctx *c, const char *path)
{
	char owner[160];

	if (!c->store->user)
		return 0;
	snprintf(owner, sizeof(owner), "%s:", c->store->user);
	return fl_bk_cmd(c, NULL, NULL, NULL, 60000, NULL, 0,
			 (const char *const[]){ "chown", "-R", owner, path, NULL });
}

static int remove_below(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level == 0)
		return 0;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fl_bk_remove_tree(const char *path, bool keep_top)
{
	/* FTW_MOUNT: a mount left inside (a faultfs not yet gone) is not walked into. */
	if (nftw(path, remove_below, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!keep_top && rmdir(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
