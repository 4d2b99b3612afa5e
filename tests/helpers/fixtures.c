// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include <faultline/kernfs.h>

#include "fixtures.h"

enum fx_kind { FX_TMPDIR = 1, FX_TMPFS, FX_CGROUP, FX_NETNS };

#define MAX_FX 64

static struct {
	enum fx_kind kind;
	char id[PATH_MAX];
} registry[MAX_FX];
static pid_t owner;
static unsigned counter;

static void destroy(enum fx_kind kind, const char *id);

static void destroy_all(void)
{
	if (getpid() != owner)
		return;
	for (int i = MAX_FX - 1; i >= 0; i--) {
		if (registry[i].kind)
			destroy(registry[i].kind, registry[i].id);
	}
}

static void reg(enum fx_kind kind, const char *id)
{
	if (!owner) {
		owner = getpid();
		atexit(destroy_all);
	}
	for (int i = 0; i < MAX_FX; i++) {
		if (!registry[i].kind) {
			registry[i].kind = kind;
			snprintf(registry[i].id, sizeof(registry[i].id), "%s", id);
			return;
		}
	}
}

static void unreg(enum fx_kind kind, const char *id)
{
	for (int i = 0; i < MAX_FX; i++) {
		if (registry[i].kind == kind && strcmp(registry[i].id, id) == 0) {
			registry[i].kind = 0;
			return;
		}
	}
}

bool fl_test_require_root(void)
{
	/*
	 * Root tests run on a fresh machine too: tracefs, bpffs and cgroup2
	 * come from the same core function the CLI uses, not from CI.
	 */
	if (geteuid() == 0) {
		fl_kernfs_ensure(FL_KERNFS_ALL, NULL);
		return true;
	}
	printf("skip: needs root\n");
	fflush(stdout);
	return false;
}

static int run(const char *netns, char *const argv[])
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (!getenv("FL_TEST_VERBOSE")) {
			int nul = open("/dev/null", O_RDWR);

			if (nul >= 0) {
				dup2(nul, STDOUT_FILENO);
				dup2(nul, STDERR_FILENO);
			}
		}
		if (netns) {
			char path[PATH_MAX];
			int fd;

			snprintf(path, sizeof(path), "/run/netns/%s", netns);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
				_exit(126);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int fl_fixture_cmd(char *const argv[])
{
	return run(NULL, argv);
}

int fl_fixture_netns_cmd(const char *name, char *const argv[])
{
	return run(name, argv);
}

int fl_fixture_cgroup2_root(char *buf, size_t len)
{
	return fl_cgroup2_root(buf, len);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void destroy(enum fx_kind kind, const char *id)
{
	switch (kind) {
	case FX_TMPDIR:
		nftw(id, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		break;
	case FX_TMPFS:
		umount2(id, MNT_DETACH);
		rmdir(id);
		break;
	case FX_CGROUP:
		/* Move stragglers out so that rmdir can succeed. */
		for (int i = 0; i < 100; i++) {
			char procs[PATH_MAX + 16], root[PATH_MAX], pid[32];
			FILE *f;

			if (rmdir(id) == 0 || errno == ENOENT)
				break;
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", id);
			f = fopen(procs, "re");
			if (f && fl_fixture_cgroup2_root(root, sizeof(root)) == 0) {
				char dest[PATH_MAX + 16];

				snprintf(dest, sizeof(dest), "%s/cgroup.procs", root);
				while (fgets(pid, sizeof(pid), f)) {
					FILE *d = fopen(dest, "we");

					if (d) {
						fputs(pid, d);
						fclose(d);
					}
				}
			}
			if (f)
				fclose(f);
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
		}
		break;
	case FX_NETNS: {
		char *argv[] = { "ip", "netns", "delete", (char *)id, NULL };

		run(NULL, argv);
		break;
	}
	}
	unreg(kind, id);
}

int fl_fixture_tmpdir_create(char *ret_path, size_t len)
{
	char tmpl[] = "/tmp/faultline-test-XXXXXX";

	if (!mkdtemp(tmpl))
		return -errno;
	if ((size_t)snprintf(ret_path, len, "%s", tmpl) >= len) {
		rmdir(tmpl);
		return -ENAMETOOLONG;
	}
	reg(FX_TMPDIR, tmpl);
	return 0;
}

int fl_fixture_tmpdir_destroy(const char *path)
{
	destroy(FX_TMPDIR, path);
	return access(path, F_OK) == 0 ? -EBUSY : 0;
}

int fl_fixture_tmpfs_create(char *ret_path, size_t len)
{
	char tmpl[] = "/tmp/faultline-tmpfs-XXXXXX";

	if (!mkdtemp(tmpl))
		return -errno;
	if (mount("faultline-test", tmpl, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=16m,mode=0755") < 0) {
		int err = -errno;

		rmdir(tmpl);
		return err;
	}
	if ((size_t)snprintf(ret_path, len, "%s", tmpl) >= len) {
		umount2(tmpl, MNT_DETACH);
		rmdir(tmpl);
		return -ENAMETOOLONG;
	}
	reg(FX_TMPFS, tmpl);
	return 0;
}

int fl_fixture_tmpfs_destroy(const char *path)
{
	destroy(FX_TMPFS, path);
	return 0;
}

int fl_fixture_cgroup_create(char *ret_path, size_t len)
{
	char root[PATH_MAX], path[PATH_MAX + 64];
	int err;

	err = fl_fixture_cgroup2_root(root, sizeof(root));
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/faultline-test-%d-%u", root, (int)getpid(),
		 counter++);
	if (mkdir(path, 0755) < 0)
		return -errno;
	if ((size_t)snprintf(ret_path, len, "%s", path) >= len) {
		rmdir(path);
		return -ENAMETOOLONG;
	}
	reg(FX_CGROUP, path);
	return 0;
}

int fl_fixture_cgroup_destroy(const char *path)
{
	destroy(FX_CGROUP, path);
	return access(path, F_OK) == 0 ? -EBUSY : 0;
}

void fl_fixture_netns_name(char *buf, size_t len)
{
	snprintf(buf, len, "fl-test-%d-%u", (int)getpid(), counter++);
}

int fl_fixture_netns_create(const char *name)
{
	char *argv[] = { "ip", "netns", "add", (char *)name, NULL };
	int r;

	reg(FX_NETNS, name); /* before: ip may fail half-way */
	r = run(NULL, argv);
	if (r != 0) {
		unreg(FX_NETNS, name);
		return r < 0 ? r : -EIO;
	}
	return 0;
}

int fl_fixture_netns_delete(const char *name)
{
	char path[PATH_MAX];

	destroy(FX_NETNS, name);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return access(path, F_OK) == 0 ? -EBUSY : 0;
}

/* --- cmocka setup/teardown pairs ---------------------------------------- */

static struct fl_fixture *fx_new(void **state)
{
	struct fl_fixture *fx = calloc(1, sizeof(*fx));

	*state = fx;
	return fx;
}

static int fx_done(void **state, enum fx_kind kind)
{
	struct fl_fixture *fx = *state;

	if (fx && fx->created)
		destroy(kind, kind == FX_NETNS ? fx->name : fx->path);
	free(fx);
	*state = NULL;
	return 0;
}

int fl_setup_tmpdir(void **state)
{
	struct fl_fixture *fx = fx_new(state);

	if (!fx)
		return -1;
	fx->created = fl_fixture_tmpdir_create(fx->path, sizeof(fx->path)) == 0;
	return fx->created ? 0 : -1;
}

int fl_teardown_tmpdir(void **state)
{
	return fx_done(state, FX_TMPDIR);
}

int fl_setup_tmpfs(void **state)
{
	struct fl_fixture *fx = fx_new(state);

	if (!fx)
		return -1;
	if (geteuid() != 0)
		return 0;
	fx->created = fl_fixture_tmpfs_create(fx->path, sizeof(fx->path)) == 0;
	return fx->created ? 0 : -1;
}

int fl_teardown_tmpfs(void **state)
{
	return fx_done(state, FX_TMPFS);
}

int fl_setup_cgroup(void **state)
{
	struct fl_fixture *fx = fx_new(state);

	if (!fx)
		return -1;
	if (geteuid() != 0)
		return 0;
	fx->created = fl_fixture_cgroup_create(fx->path, sizeof(fx->path)) == 0;
	return fx->created ? 0 : -1;
}

int fl_teardown_cgroup(void **state)
{
	return fx_done(state, FX_CGROUP);
}

int fl_setup_netns(void **state)
{
	struct fl_fixture *fx = fx_new(state);

	if (!fx)
		return -1;
	if (geteuid() != 0)
		return 0;
	fl_fixture_netns_name(fx->name, sizeof(fx->name));
	fx->created = fl_fixture_netns_create(fx->name) == 0;
	return fx->created ? 0 : -1;
}

int fl_teardown_netns(void **state)
{
	return fx_done(state, FX_NETNS);
}
