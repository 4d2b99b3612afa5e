// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultfs as the user wants it under `faultline rpo`: --faultfs-opt reaches
 * faultfs's -o (the mount runs in the mode asked for, the write log goes
 * where asked), faultfs's own refusal of an option reaches the user with
 * its words, obvious mistakes are refused before anything starts; and a
 * data directory the user mounted faultfs on already is used as it is
 * (its power cut, its write log) and left mounted, with the user's own
 * fault rules in place.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"

static void test_faultfs_options_reach_faultfs(void **state)
{
	struct fl_fixture *fx = *state;
	char data[PATH_MAX + 16], w[PATH_MAX + 64], opts[PATH_MAX + 64], status[4096] = "";
	char wlog[PATH_MAX + 16], *argv[40], *line = NULL;
	struct fl_cli_result r;
	struct fl_cli *c;
	size_t cap = 0;
	bool cut = false;
	FILE *f;

	if (!fl_faultfs_require() || !fl_rpo_cli_require())
		skip();
	snprintf(data, sizeof(data), "%s/data", fx->path);
	snprintf(wlog, sizeof(wlog), "%s/wlog.jsonl", fx->path);
	assert_int_equal(mkdir(data, 0755), 0);
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", data);
	snprintf(opts, sizeof(opts), "durability=data,log=%s", wlog);
	{
		char *a[] = { fl_rpo_cli_bin(), "rpo", "--quiet", "-o",
			      (char *)fl_test_path(fx->path, "result.json"), "-w", w, "-d", data,
			      "--faultfs-opt", opts, "--fault", "powercut", "--fault-at", "1500ms",
			      "--after", "300ms", NULL };

		memcpy(argv, a, sizeof(a));
	}
	assert_int_equal(fl_cli_start(argv, &c), 0);
	/* While it runs: faultfs over the data dir, in the mode asked for. */
	assert_true(fl_faultfs_wait_mounted(data, true, 10000));
	assert_int_equal(fl_faultline_fs(status, sizeof(status), "status", data, NULL), 0);
	print_message("  faultline fs status: %.*s\n", (int)strcspn(status, "\n"), status);
	assert_non_null(strstr(status, "mode: data"));
	assert_int_equal(fl_cli_wait(c, 60000, &r), 0);
	print_message("  exit %d: %s", r.code, r.err);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	fl_cli_free(c);
	/* The write log went where log= said, and stays: it is the user's file. */
	f = fopen(wlog, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0)
		cut |= strstr(line, "\"powercut\"") != NULL;
	free(line);
	fclose(f);
	assert_true(cut);
	assert_false(fl_faultfs_is_mounted(data));
}

static void test_faultfs_refusing_an_option_says_so_in_its_words(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], *err = NULL;
	json_t *res = NULL;

	if (!fl_faultfs_require() || !fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--faultfs-opt",
			     "no_such_option_fl12=1", "--fault", "kill", NULL), 3);
	assert_non_null(strstr(err, "unknown option"));
	assert_non_null(strstr(err, "no_such_option_fl12"));
	assert_non_null(res);
	assert_string_equal(fl_json_str(fl_rpo_trial(res, 0), "error.phase"), "setup");
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "config"),
							      "faultfs_opts")), "no_such_option_fl12=1");
	assert_false(fl_faultfs_is_mounted(fx->path));
	json_decref(res);
	free(err);
}

static void test_obvious_mistakes_in_faultfs_options_are_refused_before_anything_starts(void **state)
{
	static const struct {
		const char *opts, *says;
	} cases[] = {
		{ "-o durability=data", "without -o" },
		{ "durability=fast", "durability is strict or data, not 'fast'" },
		{ "size=1G,durability=str", "durability is strict or data, not 'str'" },
		{ "size=", "size needs a value" },
		{ "durability=data,,size=1G", "an empty option" },
		{ "durability=data size=1G", "without spaces" },
		{ "debug", "foreground" },
	};
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64], *err = NULL;

	if (!fl_faultfs_require() || !fl_rpo_cli_require())
		skip();
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(fl_rpo_cli(fx->path, NULL, &err, "-w", w, "--faultfs-opt",
				     cases[i].opts, "--fault", "kill", NULL), 2);
		if (!strstr(err, cases[i].says))
			fail_msg("--faultfs-opt '%s': expected '%s' in: %s", cases[i].opts,
				 cases[i].says, err);
		free(err);
		assert_int_not_equal(access(fl_test_path(fx->path, "result.json"), F_OK), 0);
	}
}

/* Lines of `faultline fs status MNT` (its rules among them) that hold text. */
static size_t status_lines(const char *mnt, const char *text)
{
	char out[8192] = "";

	assert_int_equal(fl_faultline_fs(out, sizeof(out), "status", mnt, NULL), 0);
	return fl_count_lines(out, text);
}

static void test_an_existing_faultfs_mount_is_used_and_left_mounted(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char w[PATH_MAX + 64], out[1024], *err = NULL;
	json_t *res = NULL, *t, *ff;

	if (!fl_faultfs_require() || !fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_faultfs_start(m, "allow_other"), 0);
	/* A rule of the user's own, which faultline must leave alone. */
	assert_int_equal(fl_faultline_fs(out, sizeof(out), "fault", m->mnt, "rmdir:error=EIO", NULL),
			 0);
	snprintf(w, sizeof(w), "file:%s/log?fsync=never", m->mnt);
	assert_int_equal(fl_rpo_cli(m->dir, &res, &err, "-w", w, "-d", m->mnt, "--fault",
			     "powercut", "--fault-at", "1s", "--after", "300ms", NULL), 0);
	free(err);
	t = fl_rpo_trial(res, 0);
	assert_true(json_is_null(json_object_get(t, "error")));
	/* The cut was the user's mount's: its account is in the result. */
	ff = json_object_get(t, "faultfs");
	assert_true(json_is_object(ff));
	print_message("  lost %lld of %lld acknowledged on the user's mount\n",
		      (long long)json_integer_value(json_object_get(json_object_get(t, "counts"), "lost")),
		      (long long)json_integer_value(json_object_get(json_object_get(t, "counts"),
								    "acknowledged")));
	json_decref(res);
	/* Still mounted, by the same faultfs, with the user's rule. */
	assert_true(fl_faultfs_is_mounted(m->mnt));
	assert_int_equal(kill(m->pid, 0), 0);
	assert_int_equal(status_lines(m->mnt, "rmdir:error=EIO"), 1);

	/* A disk failure on it: the EIO rule goes afterwards, the user's stays. */
	assert_int_equal(fl_rpo_cli(m->dir, &res, &err, "-w", w, "-d", m->mnt, "--fault",
			     "disk-fail", "--fault-at", "500ms", "--after", "300ms", NULL), 0);
	free(err);
	json_decref(res);
	assert_true(fl_faultfs_is_mounted(m->mnt));
	/* The user's rmdir rule is the only rule left. */
	assert_int_equal(status_lines(m->mnt, "error=EIO"), 1);
	assert_int_equal(status_lines(m->mnt, "rmdir:error=EIO"), 1);

	/* Its options are the user's: --faultfs-opt cannot change them. */
	assert_int_equal(fl_rpo_cli(m->dir, NULL, &err, "-w", w, "-d", m->mnt, "--faultfs-opt",
			     "durability=data", "--fault", "powercut", NULL), 2);
	assert_non_null(strstr(err, "is a faultfs mount already"));
	free(err);
	assert_true(fl_faultfs_is_mounted(m->mnt));
}

/*
 * Killed inside fsync(2): every fsync is held 1 s by faultfs, so the kill
 * lands in one. faultfs completes it (the data is durable) while the
 * service never sees it return: the kernel timeline's last completed
 * barrier is the one before. Both are right, and the result says so
 * instead of calling them in disagreement.
 */
static void test_a_kill_inside_fsync_is_not_a_disagreement(void **state)
{
	struct fl_faultfs_mount *m = *state;
	char w[PATH_MAX + 64], out[1024], *err = NULL;
	json_t *res = NULL, *t, *ff;

	if (!fl_faultfs_require() || !fl_rpo_cli_require())
		skip();
	assert_int_equal(fl_faultfs_start(m, "allow_other"), 0);
	assert_int_equal(fl_faultline_fs(out, sizeof(out), "fault", m->mnt, "fsync:delay=1s", NULL), 0);
	snprintf(w, sizeof(w), "file:%s/log?fsync=interval=50ms", m->mnt);
	assert_int_equal(fl_rpo_cli(m->dir, &res, &err, "-w", w, "-d", m->mnt, "--fault",
			     "powercut", "--fault-at", "2300ms", "--after", "300ms", "-c", "1", NULL), 0);
	free(err);
	t = fl_rpo_trial(res, 0);
	assert_true(json_is_null(json_object_get(t, "error")));
	ff = json_object_get(t, "faultfs");
	print_message("  %s\n", json_string_value(json_object_get(ff, "note")));
	assert_true(json_is_true(json_object_get(ff, "timeline_agrees")));
	assert_non_null(strstr(json_string_value(json_object_get(ff, "note")),
			       "the last barrier was in flight at the kill"));
	json_decref(res);
}

/* A prepared faultfs mount, and FAULTLINE_RUN_DIR inside it, as fl_cli_setup_session does. */
static int setup_mount(void **state)
{
	struct fl_faultfs_mount *m;
	char run[PATH_MAX + 8];

	if (fl_faultfs_setup(state))
		return -1;
	m = *state;
	if (!m)
		return 0;
	snprintf(run, sizeof(run), "%s/run", m->dir);
	if (mkdir(run, 0700) || setenv("FAULTLINE_RUN_DIR", run, 1))
		return -1;
	return 0;
}

static int teardown_mount(void **state)
{
	unsetenv("FAULTLINE_RUN_DIR");
	return fl_faultfs_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_faultfs_options_reach_faultfs,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_faultfs_refusing_an_option_says_so_in_its_words,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_obvious_mistakes_in_faultfs_options_are_refused_before_anything_starts,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_an_existing_faultfs_mount_is_used_and_left_mounted,
						setup_mount, teardown_mount),
		cmocka_unit_test_setup_teardown(test_a_kill_inside_fsync_is_not_a_disagreement,
						setup_mount, teardown_mount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
