// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include <faultline/fs.h>

#include "faultfs_mount.h"
#include "fixtures.h"

const char *fl_test_build_dir(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

bool fl_test_binary(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", fl_test_build_dir(), name);
	if (access(buf, X_OK) == 0)
		return true;
	printf("skip: %s is not built\n", buf);
	return false;
}

bool fl_faultfs_is_mounted(const char *path)
{
	char line[8192], want[PATH_MAX + 2];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	/* Field 5 is the mount point; test paths contain no characters to escape. */
	snprintf(want, sizeof(want), " %s ", path);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) && strstr(line, " - fuse.faultfs ");
	fclose(f);
	return found;
}

bool fl_faultfs_wait_mounted(const char *path, bool want, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (fl_faultfs_is_mounted(path) == want)
			return true;
		usleep(10000);
	}
	return false;
}

bool fl_faultfs_require(void)
{
	char bin[PATH_MAX];

	if (!fl_test_require_root())
		return false;
	if (access("/dev/fuse", R_OK | W_OK)) {
		printf("skip: /dev/fuse is unavailable (modprobe fuse)\n");
		return false;
	}
	return fl_test_binary("faultfs", bin, sizeof(bin));
}

bool fl_faultfs_require_client(void)
{
	char bin[PATH_MAX];

	if (!fl_faultfs_require() || !fl_test_binary("faultline", bin, sizeof(bin)))
		return false;
	if (fl_faultline_fs(NULL, 0, "--help", NULL) != 0) {
		printf("skip: '%s fs' (the control client) is missing\n", bin);
		return false;
	}
	return true;
}

int fl_faultfs_prepare(struct fl_faultfs_mount *ret)
{
	struct fl_faultfs_mount m = { .pid = -1 };

	snprintf(m.dir, sizeof(m.dir), "/var/tmp/fl-test-fs.XXXXXX");
	if (!mkdtemp(m.dir))
		return -errno;
	snprintf(m.backing, sizeof(m.backing), "%s/backing", m.dir);
	snprintf(m.mnt, sizeof(m.mnt), "%s/mnt", m.dir);
	/* mkdtemp makes it 0700: let other users reach the mount (allow_other). */
	if (chmod(m.dir, 0755) || mkdir(m.backing, 0755) || mkdir(m.mnt, 0755)) {
		int err = -errno;

		fl_faultfs_unmount(&m);
		return err;
	}
	*ret = m;
	return 0;
}

int fl_faultfs_start(struct fl_faultfs_mount *m, const char *opts)
{
	char bin[PATH_MAX];

	if (!fl_test_binary("faultfs", bin, sizeof(bin)))
		return -ENOENT;
	m->pid = fork();
	if (m->pid < 0)
		return -errno;
	if (m->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		if (opts)
			execl(bin, bin, m->backing, m->mnt, "-f", "-o", opts, (char *)NULL);
		else
			execl(bin, bin, m->backing, m->mnt, "-f", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		int st, fd;

		/*
		 * Up means serving: the control socket answers, which faultfs
		 * opens after its unmount guardian is forked. The mount alone
		 * shows earlier, and a SIGKILL in between (a test killing right
		 * away, slow under qemu TCG) leaves a stale mount no guardian
		 * watches.
		 */
		if (fl_faultfs_is_mounted(m->mnt) && fl_fs_connect(m->mnt, &fd) == 0) {
			close(fd);
			return 0;
		}
		if (waitpid(m->pid, &st, WNOHANG) == m->pid) {
			m->pid = -1;
			return -ECHILD;
		}
		usleep(10000);
	}
	fl_faultfs_stop(m);
	return -ETIMEDOUT;
}

int fl_faultfs_mount(const char *opts, struct fl_faultfs_mount *ret)
{
	struct fl_faultfs_mount m;
	int err = fl_faultfs_prepare(&m);

	if (err)
		return err;
	err = fl_faultfs_start(&m, opts);
	if (err) {
		fl_faultfs_unmount(&m);
		return err;
	}
	*ret = m;
	return 0;
}

int fl_faultfs_setup(void **state)
{
	struct fl_faultfs_mount *m = calloc(1, sizeof(*m));

	if (!m || fl_faultfs_prepare(m)) {
		free(m);
		return -1;
	}
	*state = m;
	return 0;
}

int fl_faultfs_teardown(void **state)
{
	/* Whatever the test did, leave no mount and no process behind. */
	fl_faultfs_unmount(*state);
	free(*state);
	return 0;
}

int fl_faultfs_stop(struct fl_faultfs_mount *m)
{
	int st = 0;

	if (m->mnt[0] && fl_faultfs_is_mounted(m->mnt) && umount2(m->mnt, 0) < 0)
		umount2(m->mnt, MNT_DETACH);
	if (m->pid <= 0)
		return -ECHILD;
	/* faultfs exits once unmounted; give it a moment, then insist. */
	for (int i = 0; i < 300; i++) {
		pid_t r = waitpid(m->pid, &st, WNOHANG);

		if (r == m->pid)
			goto reaped;
		if (r < 0) {
			m->pid = -1;
			return -ECHILD;
		}
		usleep(10000);
	}
	kill(m->pid, SIGKILL);
	waitpid(m->pid, &st, 0);
reaped:
	m->pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * A faultfs that a test SIGKILLed could not remove its control socket;
 * remove it when nobody answers on it any more.
 */
static void remove_stale_socket(const char *mnt)
{
	char path[PATH_MAX];

	if (fl_fs_socket_path(mnt, path, sizeof(path)) == 0 && fl_fs_socket_abandoned(path))
		unlink(path);
}

void fl_faultfs_unmount(struct fl_faultfs_mount *m)
{
	char cmd[PATH_MAX + 32];

	fl_faultfs_stop(m);
	if (m->mnt[0])
		remove_stale_socket(m->mnt);
	if (m->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "warning: could not remove %s\n", m->dir);
		m->dir[0] = '\0';
	}
	m->mnt[0] = '\0';
}

const char *fl_test_path(const char *dir, const char *fmt, ...)
{
	static char ring[8][PATH_MAX];
	static unsigned int next;
	char *buf = ring[next++ % 8];
	char name[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		buf[0] = '\0';
	return buf;
}

int fl_faultline_fs(char *out, size_t out_len, const char *arg, ...)
{
	char bin[PATH_MAX], *argv[32];
	int pipefd[2], st, argc = 0;
	size_t used = 0;
	va_list ap;
	pid_t pid;

	if (!fl_test_binary("faultline", bin, sizeof(bin)))
		return -ENOENT;
	argv[argc++] = bin;
	argv[argc++] = "fs";
	va_start(ap, arg);
	for (const char *a = arg; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execv(bin, argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		char buf[4096];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		if (out && used + 1 < out_len) {
			size_t take = (size_t)n < out_len - 1 - used ? (size_t)n : out_len - 1 - used;

			memcpy(out + used, buf, take);
			used += take;
		}
	}
	if (out && out_len)
		out[used] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void fl_faultfs_last_log_path(const struct fl_faultfs_mount *m, const char *op, char *buf,
			      size_t len)
{
	char line[8192];
	FILE *f = fopen(fl_test_path(m->backing, ".faultfs/wlog.jsonl"), "r");

	assert_non_null(f);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *kind, *path;

		if (!o)
			continue;
		kind = json_string_value(json_object_get(o, "op"));
		path = json_string_value(json_object_get(o, "path"));
		if (kind && path && !strcmp(kind, op))
			snprintf(buf, len, "%s", path);
		json_decref(o);
	}
	fclose(f);
}
