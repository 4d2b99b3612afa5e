// SPDX-License-Identifier: GPL-2.0-only
/*
 * --cgroup takes a cgroup as users write it. On a hybrid host (cgroup2 at
 * /sys/fs/cgroup/unified) /sys/fs/cgroup/db names nothing, yet it is what
 * every guide writes: it is read below the cgroup2 root. So is /db, as
 * /proc/PID/cgroup prints it. A v1 directory is refused, not mistaken.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/cgroup.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

struct cg {
	char root[PATH_MAX];
	char path[PATH_MAX];    /* ROOT/faultline-test-... */
	const char *name;       /* its last component */
};

static int setup(void **state)
{
	static struct cg cg;

	if (!fl_test_require_root())
		return 0;
	if (fl_cgroup2_root(cg.root, sizeof(cg.root)) < 0 ||
	    fl_fixture_cgroup_create(cg.path, sizeof(cg.path)) < 0)
		return -1;
	cg.name = strrchr(cg.path, '/') + 1;
	*state = &cg;
	return 0;
}

static int teardown(void **state)
{
	struct cg *cg = *state;

	if (cg)
		fl_fixture_cgroup_destroy(cg->path);
	return 0;
}

static void assert_resolves(const char *given, const char *want)
{
	char got[PATH_MAX];

	assert_int_equal(fl_cgroup2_resolve(given, got, sizeof(got)), 0);
	assert_string_equal(got, want);
}

static void test_every_way_users_write_a_cgroup_resolves_to_it(void **state)
{
	struct cg *cg = *state;
	char given[PATH_MAX + 64];
	uint64_t id, want_id;
	unsigned level;
	struct stat st;

	if (!cg)
		skip();
	assert_resolves(cg->path, cg->path);
	snprintf(given, sizeof(given), "/sys/fs/cgroup/%s", cg->name);
	assert_resolves(given, cg->path);
	snprintf(given, sizeof(given), "/%s", cg->name);
	assert_resolves(given, cg->path);

	/* And the id the BPF side compares is that directory's. */
	assert_int_equal(stat(cg->path, &st), 0);
	want_id = st.st_ino;
	snprintf(given, sizeof(given), "/sys/fs/cgroup/%s", cg->name);
	assert_int_equal(fl_cgroup_id(given, &id, &level), 0);
	assert_int_equal(id, want_id);
	assert_int_equal(level, 1);
}

static void test_missing_and_v1_cgroups_are_refused(void **state)
{
	struct cg *cg = *state;
	char got[PATH_MAX];
	uint64_t id;
	unsigned level;

	if (!cg)
		skip();
	assert_int_equal(fl_cgroup2_resolve("/sys/fs/cgroup/faultline-no-such-group", got,
					    sizeof(got)), -ENOENT);
	assert_int_equal(fl_cgroup_id("/faultline-no-such-group", &id, &level), -ENOENT);
	if (strcmp(cg->root, "/sys/fs/cgroup") == 0 || access("/sys/fs/cgroup/memory", F_OK) < 0) {
		print_message("skip: no v1 memory hierarchy on this host\n");
		skip();
	}
	assert_int_equal(fl_cgroup_id("/sys/fs/cgroup/memory", &id, &level), -ENOTDIR);
}

/* The CLI accepts the hybrid host's /sys/fs/cgroup/NAME and arms the rule. */
static void test_cli_arms_a_rule_on_sys_fs_cgroup_name(void **state)
{
	struct cg *cg = *state;
	char bin[PATH_MAX], given[PATH_MAX + 64];
	struct fl_cli_result r;

	if (!cg || !fl_test_binary("faultline", bin, sizeof(bin)))
		skip();
	snprintf(given, sizeof(given), "/sys/fs/cgroup/%s", cg->name);
	char *argv[] = { bin, "syscall", "fsync:signal=SIGKILL:when=1000000", "--cgroup", given,
			 "--for", "200ms", NULL };
	fl_cli_run(argv, 20000, &r);
	if (r.code != 0)
		print_message("stderr: %s\n", r.err);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_way_users_write_a_cgroup_resolves_to_it),
		cmocka_unit_test(test_missing_and_v1_cgroups_are_refused),
		cmocka_unit_test(test_cli_arms_a_rule_on_sys_fs_cgroup_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
