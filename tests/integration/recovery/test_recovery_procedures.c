// SPDX-License-Identifier: GPL-2.0-only
/*
 * fl_test_recovery for real: a short rpo run and a short tar backup run
 * through the library API, each validated (with the run's own targets the
 * verdict is the run's own; with the caller's, it follows them) and both
 * written into one report.
 */
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

#include <faultline/recovery.h>

#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

#define S 1000000000ull

static void same_verdict(const struct fl_verdict *a, const struct fl_verdict *b)
{
	assert_int_equal(a->pass, b->pass);
	for (int k = 0; k < FL_OBJ_COUNT; k++) {
		assert_int_equal(a->o[k].status, b->o[k].status);
		assert_int_equal(a->o[k].judged, b->o[k].judged);
		assert_int_equal(a->o[k].pass, b->o[k].pass);
		assert_true(a->o[k].value == b->o[k].value ||
			    (a->o[k].value != a->o[k].value && b->o[k].value != b->o[k].value));
	}
}

static size_t file_size(const char *path)
{
	FILE *f = fopen(path, "re");
	long n;

	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return n > 0 ? (size_t)n : 0;
}

static void rpo_and_backup_through_the_api(void **state)
{
	char dir[PATH_MAX], spec[PATH_MAX + 64], bspec[PATH_MAX + 64], why[512] = "";
	char md[PATH_MAX + 16], junit[PATH_MAX + 16], html[PATH_MAX + 16], buf[16384];
	struct fl_rpo_config rc;
	struct fl_backup_config bc;
	struct fl_recovery_test t = { .errbuf = why, .errlen = sizeof(why) };
	struct fl_recovery_result *rpo = NULL, *bk = NULL;
	struct fl_objectives o;
	struct fl_verdict v;
	FILE *f;
	size_t n;
	int err;

	(void)state;
	if (!fl_test_require_root() || !fl_faultfs_require())
		skip();
	assert_int_equal(fl_fixture_tmpdir_create(dir, sizeof(dir)), 0);
	snprintf(spec, sizeof(spec), "file:%s/rlog?fsync=interval=100ms", dir);
	snprintf(bspec, sizeof(bspec), "file:%s/bdata/log", dir);

	fl_rpo_config_defaults(&rc);
	rc.workload = spec;
	rc.fault_at_ns = S;
	rc.after_ns = S;
	rc.load.rate = 1000;
	rc.trials = 1;
	t.kind = FL_RECOVERY_RPO;
	t.rpo = &rc;
	err = fl_test_recovery(&t, &rpo);
	if (err)
		print_message("rpo: %s\n", why);
	assert_int_equal(err, 0);
	assert_int_equal(rpo->kind, FL_RECOVERY_RPO);
	assert_non_null(rpo->json);
	assert_int_equal(rpo->rpo->trials[0].err, 0);

	fl_backup_config_defaults(&bc);
	bc.strategy = "tar";
	bc.workload = bspec;
	bc.schedule = "full@0s,incr@every:1s";
	bc.fault_at_ns = 2 * S;
	t.kind = FL_RECOVERY_BACKUP;
	t.rpo = NULL;
	t.backup = &bc;
	err = fl_test_recovery(&t, &bk);
	if (err)
		print_message("backup: %s\n", why);
	assert_int_equal(err, 0);
	assert_non_null(bk->backup);
	assert_true(bk->backup->trials[0].restored);

	/* The run's own targets: the run's own verdict. */
	o = rc.objectives;
	o.rpo_max_ns = rc.rpo_max_ns;
	o.rto_max_ns = rc.rto_max_ns;
	assert_int_equal(fl_validate_objectives(rpo, &o, &v), 0);
	same_verdict(&v, rpo->verdict);
	o = bc.objectives;
	o.rpo_max_ns = bc.rpo_max_ns;
	o.rto_max_ns = bc.rto_max_ns;
	assert_int_equal(fl_validate_objectives(bk, &o, &v), 0);
	same_verdict(&v, bk->verdict);
	/* The caller's: an RTO no restore can meet. */
	o.rto_max_ns = 1;
	assert_int_equal(fl_validate_objectives(bk, &o, &v), 0);
	assert_true(v.o[FL_OBJ_RTO].judged);
	assert_false(v.o[FL_OBJ_RTO].pass);
	assert_false(v.pass);

	snprintf(md, sizeof(md), "%s/report.md", dir);
	snprintf(junit, sizeof(junit), "%s/junit.xml", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	const struct fl_recovery_result *list[] = { rpo, bk };
	struct fl_report_opts ro = { .markdown = md, .junit = junit, .html = html,
				     .errbuf = why, .errlen = sizeof(why) };
	err = fl_generate_report(list, 2, &ro);
	if (err)
		print_message("report: %s\n", why);
	assert_int_equal(err, 0);
	f = fopen(md, "re");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "### rpo: "));
	assert_non_null(strstr(buf, "### backup tar of file:"));
	assert_true(file_size(junit) > 0);
	assert_true(file_size(html) > 1000);
	print_message("report: %zu bytes of HTML, %zu of JUnit, %zu of Markdown\n",
		      file_size(html), file_size(junit), n);

	fl_recovery_result_free(rpo);
	fl_recovery_result_free(bk);
	fl_fixture_tmpdir_destroy(dir);
}

static void a_run_that_cannot_start_says_why(void **state)
{
	char why[512] = "";
	struct fl_backup_config bc;
	struct fl_recovery_test t = { .kind = FL_RECOVERY_BACKUP, .backup = &bc,
				      .errbuf = why, .errlen = sizeof(why) };
	struct fl_recovery_result *res = (struct fl_recovery_result *)&t;

	(void)state;
	fl_backup_config_defaults(&bc);
	bc.strategy = "no-such-strategy";
	assert_true(fl_test_recovery(&t, &res) < 0);
	assert_true(why[0] != '\0');
	assert_ptr_equal(res, (struct fl_recovery_result *)&t);
	print_message("refused: %s\n", why);
	/* A test without its kind's settings. */
	t.backup = NULL;
	assert_int_equal(fl_test_recovery(&t, &res), -EINVAL);
	t.kind = FL_RECOVERY_SCENARIO;
	assert_int_equal(fl_test_recovery(&t, &res), -EINVAL);
	assert_int_equal(fl_test_recovery(NULL, &res), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_run_that_cannot_start_says_why),
		cmocka_unit_test(rpo_and_backup_through_the_api),
	};

	return cmocka_run_group_tests_name("recovery api procedures", tests, NULL, NULL);
}
