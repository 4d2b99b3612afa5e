// SPDX-License-Identifier: GPL-2.0-only
/*
 * The programs in examples/ use libfaultline through its public headers
 * only, without the CLI: each is built against the library (make) and run
 * here with a scratch directory as its one argument. Each checks what it
 * did and exits 0 only when the fault it armed was seen, so a library that
 * stopped standing on its own fails here.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

#define MAX_EXAMPLES 16
#define RUN_MS 120000

static char names[MAX_EXAMPLES][NAME_MAX + 1];
static size_t n_names;

static void run_example(void **state)
{
	const char *name = *state;
	char bin[PATH_MAX + NAME_MAX + 16], dir[PATH_MAX];
	struct fl_cli_result r;

	if (!fl_test_require_root())
		skip();
	snprintf(bin, sizeof(bin), "%s/examples/%s", fl_test_build_dir(), name);
	assert_int_equal(fl_fixture_tmpdir_create(dir, sizeof(dir)), 0);
	char *argv[] = { bin, dir, NULL };

	fl_cli_run(argv, RUN_MS, &r);
	print_message("%s %s: exit %d\n%s%s", name, dir, r.code, r.out, r.err);
	assert_false(r.timed_out);
	assert_int_equal(r.code, 0);
	assert_true(r.out[0] != '\0');
	fl_cli_result_free(&r);
	fl_fixture_tmpdir_destroy(dir);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int main(void)
{
	static struct CMUnitTest tests[MAX_EXAMPLES];
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/examples", fl_test_build_dir());
	d = opendir(dir);
	while (d && (e = readdir(d)) && n_names < MAX_EXAMPLES)
		if (e->d_name[0] != '.' && e->d_type == DT_REG)
			snprintf(names[n_names++], sizeof(names[0]), "%s", e->d_name);
	if (d)
		closedir(d);
	qsort(names, n_names, sizeof(names[0]), cmp_name);
	if (!n_names) {
		/* A build without examples is a broken build, not a skip. */
		printf("no example programs in %s (run make)\n", dir);
		return 1;
	}
	for (size_t i = 0; i < n_names; i++)
		tests[i] = (struct CMUnitTest){ .name = names[i], .test_func = run_example,
						 .initial_state = names[i] };
	return _cmocka_run_group_tests("library examples", tests, n_names, NULL, NULL);
}
