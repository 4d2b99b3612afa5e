// SPDX-License-Identifier: GPL-2.0-only
/*
 * A fresh machine has no tracefs, bpffs or securityfs mounted, and some
 * have no cgroup2: faultline mounts them itself (fl_kernfs_ensure), and the
 * CLI says so once. Each case runs in a forked child inside a private mount
 * namespace, where the filesystems are unmounted first: the host keeps its
 * mounts, and the child starts with fl_kernfs_ensure's once-per-process
 * memory empty.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>
#include <cmocka.h>

#include <jansson.h>
#include <faultline/cgroup.h>
#include <faultline/kernfs.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static char bin_fl[PATH_MAX], cli_dir[PATH_MAX];

/* In the child: print why and fail. */
static int child_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

/* Detach every mount of type fstype (children first: mountinfo is in mount order). */
static void unmount_type(const char *fstype)
{
	char line[4096], mnts[64][PATH_MAX], want[64];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	snprintf(want, sizeof(want), " - %s ", fstype);
	while (f && fgets(line, sizeof(line), f) && n < 64)
		if (strstr(line, want) && sscanf(line, "%*s %*s %*s %*s %4095s", mnts[n]) == 1)
			n++;
	if (f)
		fclose(f);
	while (n-- > 0)
		umount2(mnts[n], MNT_DETACH);
}

static void unmount_all_cgroups(void)
{
	for (int i = 0; i < 8 && !is_fs("/sys/fs/cgroup", SYSFS_MAGIC); i++)
		umount2("/sys/fs/cgroup", MNT_DETACH);
}

/*
 * Run a case in a fresh process (this binary again, with "--child NAME"):
 * a fork would inherit fl_kernfs_ensure's memory of what the parent found.
 */
static void in_private_ns(const char *name)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test_kernfs", "--child", name, cli_dir, (char *)NULL);
		_exit(child_fail("exec /proc/self/exe: %s", strerror(errno)));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int ensure_mounts_tracefs_bpffs_securityfs(void)
{
	bool has_security = access("/sys/kernel/security", F_OK) == 0;
	unsigned mounted = 0, want = FL_KERNFS_TRACEFS | FL_KERNFS_BPFFS;
	int err;

	unmount_type("tracefs");
	unmount_type("bpf");
	unmount_type("securityfs");
	if (is_fs("/sys/kernel/tracing", TRACEFS_MAGIC) || is_fs("/sys/fs/bpf", BPF_FS_MAGIC))
		return child_fail("could not unmount tracefs/bpffs in the private namespace");
	if (has_security)
		want |= FL_KERNFS_SECURITYFS;

	err = fl_kernfs_ensure(FL_KERNFS_ALL, &mounted);
	if (err < 0)
		return child_fail("fl_kernfs_ensure: %s", strerror(-err));
	if ((mounted & want) != want)
		return child_fail("mounted 0x%x, want 0x%x", mounted, want);
	if (!is_fs("/sys/kernel/tracing", TRACEFS_MAGIC))
		return child_fail("no tracefs at /sys/kernel/tracing");
	if (access("/sys/kernel/tracing/events/syscalls/sys_enter_getppid/id", R_OK) < 0)
		return child_fail("tracefs mounted, but no syscall tracepoint ids");
	if (!is_fs("/sys/fs/bpf", BPF_FS_MAGIC))
		return child_fail("no bpffs at /sys/fs/bpf");
	if (has_security && !is_fs("/sys/kernel/security", SECURITYFS_MAGIC))
		return child_fail("no securityfs at /sys/kernel/security");
	if (strcmp(fl_kernfs_path(FL_KERNFS_TRACEFS) ?: "", "/sys/kernel/tracing") != 0)
		return child_fail("tracefs path %s", fl_kernfs_path(FL_KERNFS_TRACEFS) ?: "(null)");

	/* Once: a second call mounts nothing, and the process remembers what it did. */
	err = fl_kernfs_ensure(FL_KERNFS_ALL, &mounted);
	if (err < 0 || mounted != 0)
		return child_fail("second call: err %d, mounted 0x%x", err, mounted);
	if ((fl_kernfs_mounted() & want) != want)
		return child_fail("fl_kernfs_mounted() 0x%x", fl_kernfs_mounted());
	return 0;
}

static void test_missing_tracefs_bpffs_securityfs_are_mounted(void **state)
{
	if (!fl_test_require_root())
		skip();
	in_private_ns("ensure_mounts_tracefs_bpffs_securityfs");
}

/* A hybrid host without its unified hierarchy: cgroup2 goes beside the v1 ones. */
static int ensure_mounts_cgroup2_beside_v1(void)
{
	char root[PATH_MAX];
	bool v1_tmpfs = is_fs("/sys/fs/cgroup", TMPFS_MAGIC);
	const char *want = v1_tmpfs ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
	int err;

	unmount_type("cgroup2");
	err = fl_kernfs_ensure(FL_KERNFS_CGROUP2, NULL);
	if (err < 0)
		return child_fail("fl_kernfs_ensure(cgroup2): %s", strerror(-err));
	if (!is_fs(want, CGROUP2_SUPER_MAGIC))
		return child_fail("no cgroup2 at %s", want);
	err = fl_cgroup2_root(root, sizeof(root));
	if (err < 0 || strcmp(root, want) != 0)
		return child_fail("fl_cgroup2_root: %d %s, want %s", err, err ? "" : root, want);
	return 0;
}

static void test_missing_cgroup2_is_mounted_beside_v1_hierarchies(void **state)
{
	if (!fl_test_require_root())
		skip();
	in_private_ns("ensure_mounts_cgroup2_beside_v1");
}

/* Nothing at /sys/fs/cgroup at all: cgroup2 is mounted there. */
static int ensure_mounts_cgroup2_at_the_standard_place(void)
{
	char root[PATH_MAX];
	int err;

	unmount_all_cgroups();
	if (!is_fs("/sys/fs/cgroup", SYSFS_MAGIC))
		return child_fail("could not empty /sys/fs/cgroup in the private namespace");
	/* fl_cgroup2_root is how every domain finds it: it mounts on demand. */
	err = fl_cgroup2_root(root, sizeof(root));
	if (err < 0)
		return child_fail("fl_cgroup2_root: %s", strerror(-err));
	if (strcmp(root, "/sys/fs/cgroup") != 0 || !is_fs(root, CGROUP2_SUPER_MAGIC))
		return child_fail("cgroup2 at %s, want /sys/fs/cgroup", root);
	if (!(fl_kernfs_mounted() & FL_KERNFS_CGROUP2))
		return child_fail("fl_kernfs_mounted() does not say cgroup2");
	return 0;
}

static void test_missing_cgroup_tree_gets_cgroup2_at_sys_fs_cgroup(void **state)
{
	if (!fl_test_require_root())
		skip();
	in_private_ns("ensure_mounts_cgroup2_at_the_standard_place");
}

/*
 * The CLI: `faultline probe` on a machine with nothing mounted says once on
 * stderr what it mounted, reports it, and proves tracepoints work; a second
 * run mounts nothing and says nothing.
 */
static int cli_run_and_save(const char *dir, const char *name)
{
	char *argv[] = { bin_fl, "probe", "--json", NULL }, path[PATH_MAX + 16];
	struct fl_cli_result r;
	FILE *f;

	fl_cli_run(argv, 60000, &r);
	snprintf(path, sizeof(path), "%s/%s.out", dir, name);
	f = fopen(path, "we");
	if (f) {
		fputs(r.out, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%s.err", dir, name);
	f = fopen(path, "we");
	if (f) {
		fputs(r.err, f);
		fclose(f);
	}
	fl_cli_result_free(&r);
	return r.code;
}

static int cli_probe_twice_on_a_bare_machine(void)
{
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	unmount_type("tracefs");
	unmount_type("bpf");
	unmount_type("securityfs");
	unmount_type("cgroup2");
	if (cli_run_and_save(cli_dir, "first") != 0)
		return child_fail("first probe failed");
	if (cli_run_and_save(cli_dir, "second") != 0)
		return child_fail("second probe failed");
	return 0;
}

static char *slurp(const char *name)
{
	char path[PATH_MAX + 16], *buf = NULL;
	size_t len = 0;
	FILE *f, *m;

	snprintf(path, sizeof(path), "%s/%s", cli_dir, name);
	f = fopen(path, "re");
	m = open_memstream(&buf, &len);
	for (int c; f && (c = fgetc(f)) != EOF;)
		fputc(c, m);
	fclose(m);
	if (f)
		fclose(f);
	return buf;
}

static const char *mech_status(json_t *root, const char *name)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(root, "mechanisms"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "mechanism")), name) == 0)
			return json_string_value(json_object_get(m, "status"));
	return "";
}

static void test_cli_mounts_what_is_missing_and_says_so_once(void **state)
{
	char *err1, *err2, *out1, *out2;
	json_t *j1, *j2, *e;
	bool tracefs_listed = false;
	size_t i;

	if (!fl_test_require_root())
		skip();
	if (!fl_test_binary("faultline", bin_fl, sizeof(bin_fl)))
		skip();
	assert_int_equal(fl_fixture_tmpdir_create(cli_dir, sizeof(cli_dir)), 0);
	in_private_ns("cli_probe_twice_on_a_bare_machine");

	err1 = slurp("first.err");
	err2 = slurp("second.err");
	out1 = slurp("first.out");
	out2 = slurp("second.out");
	assert_int_equal(fl_count_lines(err1, "faultline: mounted tracefs at /sys/kernel/tracing"), 1);
	assert_int_equal(fl_count_lines(err1, "faultline: mounted bpffs at /sys/fs/bpf"), 1);
	assert_int_equal(fl_count_lines(err1, "faultline: mounted cgroup2 at "), 1);
	assert_int_equal(fl_count_lines(err2, "mounted"), 0);

	j1 = json_loads(out1, 0, NULL);
	j2 = json_loads(out2, 0, NULL);
	assert_non_null(j1);
	assert_non_null(j2);
	json_array_foreach(json_object_get(j1, "mounted"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "fs")), "tracefs") == 0)
			tracefs_listed = true;
	assert_true(tracefs_listed);
	assert_int_equal(json_array_size(json_object_get(j2, "mounted")), 0);
	/* The point: tracepoints are not called missing on a fresh machine. */
	assert_string_equal(mech_status(j1, "tracepoint"), "works");
	assert_string_equal(mech_status(j2, "tracepoint"), "works");
	assert_string_equal(mech_status(j1, "cgroup2"), "works");

	json_decref(j1);
	json_decref(j2);
	free(err1);
	free(err2);
	free(out1);
	free(out2);
	fl_fixture_tmpdir_destroy(cli_dir);
}

static const struct {
	const char *name;
	int (*fn)(void);
} children[] = {
	{ "ensure_mounts_tracefs_bpffs_securityfs", ensure_mounts_tracefs_bpffs_securityfs },
	{ "ensure_mounts_cgroup2_beside_v1", ensure_mounts_cgroup2_beside_v1 },
	{ "ensure_mounts_cgroup2_at_the_standard_place", ensure_mounts_cgroup2_at_the_standard_place },
	{ "cli_probe_twice_on_a_bare_machine", cli_probe_twice_on_a_bare_machine },
};

/* The child side of in_private_ns(): a private mount namespace, then the case. */
static int run_child(const char *name, const char *dir)
{
	snprintf(cli_dir, sizeof(cli_dir), "%s", dir);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return child_fail("private mount namespace: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++)
		if (strcmp(children[i].name, name) == 0)
			return children[i].fn();
	return child_fail("no child case %s", name);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--child") == 0)
		return run_child(argv[2], argv[3]);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_tracefs_bpffs_securityfs_are_mounted),
		cmocka_unit_test(test_missing_cgroup2_is_mounted_beside_v1_hierarchies),
		cmocka_unit_test(test_missing_cgroup_tree_gets_cgroup2_at_sys_fs_cgroup),
		cmocka_unit_test(test_cli_mounts_what_is_missing_and_says_so_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
