/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test fixtures that are always removed: a temporary directory, a tmpfs
 * mount, a cgroup v2 group and a named netns. Each has create/destroy
 * functions and a cmocka setup/teardown pair (teardown runs when the test
 * fails too); every fixture not yet destroyed is also removed by an atexit
 * handler, as a safety net for tests that abort between the two.
 *
 *   cmocka_unit_test_setup_teardown(test_x, fl_setup_tmpfs, fl_teardown_tmpfs)
 *   static void test_x(void **state) {
 *           struct fl_fixture *fx = *state;
 *           if (!fl_test_require_root())
 *                   skip();
 *           ... fx->path ...
 *   }
 *
 * The root-only setups create nothing (fx->created == false) when not
 * root, so that the test can skip() with the reason.
 */
#ifndef FL_TEST_FIXTURES_H
#define FL_TEST_FIXTURES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Prints "skip: needs root" and returns false when not root. As root, it
 * mounts tracefs, bpffs, cgroup2 and securityfs when they are missing
 * (fl_kernfs_ensure), as the CLI does.
 */
bool fl_test_require_root(void);

/* Run argv (PATH searched), output discarded; returns the exit status or -errno. */
int fl_fixture_cmd(char *const argv[]);
/* The same inside netns name (setns in the child). */
int fl_fixture_netns_cmd(const char *name, char *const argv[]);

/* The cgroup2 mount point (fl_cgroup2_root: mounted when missing). */
int fl_fixture_cgroup2_root(char *buf, size_t len);

int fl_fixture_tmpdir_create(char *ret_path, size_t len);
int fl_fixture_tmpdir_destroy(const char *path);      /* rm -r */
int fl_fixture_tmpfs_create(char *ret_path, size_t len); /* root */
int fl_fixture_tmpfs_destroy(const char *path);
/* ROOT/faultline-test-<pid>-<n>; root. */
int fl_fixture_cgroup_create(char *ret_path, size_t len);
int fl_fixture_cgroup_destroy(const char *path);
/* `ip netns add name`; root. */
int fl_fixture_netns_create(const char *name);
int fl_fixture_netns_delete(const char *name);
/* A fresh name "fl-test-<pid>-<n>". */
void fl_fixture_netns_name(char *buf, size_t len);

struct fl_fixture {
	bool created;
	char path[PATH_MAX];   /* tmpdir, tmpfs, cgroup */
	char name[64];         /* netns */
};

int fl_setup_tmpdir(void **state);
int fl_teardown_tmpdir(void **state);
int fl_setup_tmpfs(void **state);
int fl_teardown_tmpfs(void **state);
int fl_setup_cgroup(void **state);
int fl_teardown_cgroup(void **state);
int fl_setup_netns(void **state);
int fl_teardown_netns(void **state);

#endif /* FL_TEST_FIXTURES_H */
