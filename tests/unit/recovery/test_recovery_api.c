// SPDX-License-Identifier: GPL-2.0-only
/*
 * The library API's pure half: fl_validate_objectives over hand-made
 * results of each runner (and malformed ones: -EINVAL, never a crash, the
 * verdict untouched), and fl_generate_report's checks of its options.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/recovery.h>

#include "../report/report_docs.h"

#define S 1000000000ull

static struct fl_verdict untouched(void)
{
	struct fl_verdict v;

	memset(&v, 0xa5, sizeof(v));
	return v;
}

static void assert_untouched(const struct fl_verdict *v)
{
	struct fl_verdict u = untouched();

	assert_memory_equal(v, &u, sizeof(u));
}

/* Two rpo trials: recovered in 2 s and 4 s, nothing lost. */
static void rpo_two_trials(struct fl_rpo_result *r, struct fl_rpo_trial *t)
{
	memset(r, 0, sizeof(*r));
	memset(t, 0, 2 * sizeof(*t));
	for (int i = 0; i < 2; i++) {
		t[i].start_ns = 1 * S;
		t[i].rto.fault_ns = 10 * S;
		t[i].rto.first_ok_ns = (12 + 2 * i) * S;
		t[i].check.rpo_ns = 0;
	}
	r->trials = t;
	r->n_trials = 2;
}

static void rpo_judged_with_callers_targets(void **state)
{
	struct fl_rpo_result r;
	struct fl_rpo_trial t[2];
	struct fl_recovery_result res = { .kind = FL_RECOVERY_RPO, .rpo = &r };
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	rpo_two_trials(&r, t);
	fl_objectives_defaults(&o);
	assert_int_equal(fl_validate_objectives(&res, &o, &v), 0);
	assert_true(v.pass);
	assert_true(v.o[FL_OBJ_RTO].judged && v.o[FL_OBJ_RTO].pass);
	assert_int_equal(v.o[FL_OBJ_RTO].status, FL_OBJ_MEASURED);
	assert_true(fabs(v.o[FL_OBJ_RTO].value - 4e9) < 1);
	assert_true(fabs(v.o[FL_OBJ_MTTR].value - 3e9) < 1);
	assert_int_equal(v.o[FL_OBJ_MTTR].n, 2);
	/* The caller's RTO, not the run's: 3 s is missed by the 4 s trial. */
	o.rto_max_ns = 3 * S;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), 0);
	assert_false(v.pass);
	assert_false(v.o[FL_OBJ_RTO].pass);
	assert_true(v.o[FL_OBJ_RTO].margin < 0);
	assert_true(v.o[FL_OBJ_MTTR].pass);
}

static void rpo_unmeasured_never_passes(void **state)
{
	struct fl_rpo_result r;
	struct fl_rpo_trial t[2];
	struct fl_recovery_result res = { .kind = FL_RECOVERY_RPO, .rpo = &r };
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	rpo_two_trials(&r, t);
	t[0].err = t[1].err = -EIO;
	fl_objectives_defaults(&o);
	assert_int_equal(fl_validate_objectives(&res, &o, &v), 0);
	for (int k = 0; k < FL_OBJ_COUNT; k++)
		assert_false(v.o[k].pass);
	assert_int_equal(v.o[FL_OBJ_RTO].status, FL_OBJ_NOT_APPLICABLE);
	assert_int_equal(v.o[FL_OBJ_MTTR].status, FL_OBJ_NOT_APPLICABLE);
}

/* MTBF with the user's assumption: derived, judged against the objective. */
static void rpo_mtbf_assumed(void **state)
{
	struct fl_rpo_result r;
	struct fl_rpo_trial t[2];
	struct fl_recovery_result res = { .kind = FL_RECOVERY_RPO, .rpo = &r };
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	rpo_two_trials(&r, t);
	fl_objectives_defaults(&o);
	o.assumed_mtbf_ns = 100ull * 3600 * S;  /* 100 h < the brief's 720 h */
	assert_int_equal(fl_validate_objectives(&res, &o, &v), 0);
	assert_int_equal(v.o[FL_OBJ_MTBF].status, FL_OBJ_DERIVED);
	assert_true(v.o[FL_OBJ_MTBF].judged);
	assert_false(v.o[FL_OBJ_MTBF].pass);
	assert_false(v.pass);
	/* Availability from it: 100 h / (100 h + 3 s) is above 99.9 %. */
	assert_int_equal(v.o[FL_OBJ_AVAILABILITY].status, FL_OBJ_DERIVED);
	assert_true(v.o[FL_OBJ_AVAILABILITY].pass);
}

static void backup_failed_restore_is_unbounded(void **state)
{
	struct fl_backup_trial t[2];
	struct fl_backup_result b = { .trials = t, .n_trials = 2 };
	struct fl_recovery_result res = { .kind = FL_RECOVERY_BACKUP, .backup = &b };
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	memset(t, 0, sizeof(t));
	t[0].attempted = t[1].attempted = 10;
	t[0].restored = true;
	t[0].rto_ns = 5 * S;
	t[0].verdict.rpo_ns = 1 * S;
	t[1].restored = false;   /* never recovered */
	fl_objectives_defaults(&o);
	assert_int_equal(fl_validate_objectives(&res, &o, &v), 0);
	assert_true(isinf(v.o[FL_OBJ_RTO].value));
	assert_false(v.o[FL_OBJ_RTO].pass);
	assert_true(v.o[FL_OBJ_RPO].pass);
	assert_false(v.pass);
}

static void scenario_availability_of_run(void **state)
{
	struct fl_scenario_trial t[1];
	struct fl_scenario_result s = { .trials = t, .n_trials = 1 };
	struct fl_recovery_result res = { .kind = FL_RECOVERY_SCENARIO, .scenario = &s };
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	memset(t, 0, sizeof(t));
	t[0].rto_ns = 1 * S;
	t[0].load_ns = 10 * S;
	t[0].availability_ppm = 900000;   /* 90 % */
	fl_objectives_defaults(&o);
	o.availability_of_run = true;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), 0);
	assert_int_equal(v.o[FL_OBJ_AVAILABILITY].status, FL_OBJ_MEASURED);
	assert_false(v.o[FL_OBJ_AVAILABILITY].pass);
	assert_true(v.run_availability_seen);
	/* Judged on the long run instead: MTBF 720 h over MTTR 1 s. */
	o.availability_of_run = false;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), 0);
	assert_true(v.o[FL_OBJ_AVAILABILITY].pass);
}

static void malformed_results_are_einval(void **state)
{
	struct fl_rpo_result r;
	struct fl_rpo_trial t[2];
	struct fl_backup_result b = { 0 };
	struct fl_recovery_result res = { .kind = FL_RECOVERY_RPO, .rpo = &r };
	struct fl_objectives o;
	struct fl_verdict v = untouched();

	(void)state;
	rpo_two_trials(&r, t);
	fl_objectives_defaults(&o);
	assert_int_equal(fl_validate_objectives(NULL, &o, &v), -EINVAL);
	assert_int_equal(fl_validate_objectives(&res, NULL, &v), -EINVAL);
	assert_int_equal(fl_validate_objectives(&res, &o, NULL), -EINVAL);
	/* The kind and the runner result disagree. */
	res.kind = FL_RECOVERY_BACKUP;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), -EINVAL);
	res.kind = (enum fl_recovery_kind)42;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), -EINVAL);
	/* Two runner results at once. */
	res.kind = FL_RECOVERY_RPO;
	res.backup = &b;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), -EINVAL);
	res.backup = NULL;
	/* None at all. */
	res.rpo = NULL;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), -EINVAL);
	res.rpo = &r;
	/* Trials counted, none there. */
	r.trials = NULL;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), -EINVAL);
	r.trials = t;
	/* A history counted, not there. */
	t[1].n_ops = 5;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), -EINVAL);
	t[1].n_ops = 0;
	/* Objectives that cannot be: availability above 100 %. */
	o.availability_min_ppm = 1000001;
	assert_int_equal(fl_validate_objectives(&res, &o, &v), -EINVAL);
	assert_untouched(&v);
}

static void report_options_checked(void **state)
{
	char why[512] = "";
	struct fl_report_opts o = { .markdown = "/dev/null", .errbuf = why, .errlen = sizeof(why) };
	struct fl_recovery_result res = { .kind = FL_RECOVERY_RPO };
	const struct fl_recovery_result *list[] = { &res };
	const struct fl_recovery_result *nulls[] = { NULL };

	(void)state;
	assert_int_equal(fl_generate_report(list, 1, NULL), -EINVAL);
	assert_int_equal(fl_generate_report(NULL, 1, &o), -EINVAL);
	assert_non_null(strstr(why, "no results"));
	assert_int_equal(fl_generate_report(list, 0, &o), -EINVAL);
	assert_int_equal(fl_generate_report(nulls, 1, &o), -EINVAL);
	/* A result without its document. */
	why[0] = '\0';
	assert_int_equal(fl_generate_report(list, 1, &o), -EINVAL);
	assert_non_null(strstr(why, "no document"));
	/* No output named. */
	res.json = json_loads(rpo_doc, 0, NULL);
	assert_non_null(res.json);
	o.markdown = NULL;
	assert_int_equal(fl_generate_report(list, 1, &o), -EINVAL);
	assert_non_null(strstr(why, "no output"));
	/* An output that cannot be opened: its errno, and the file named. */
	o.junit = "/nonexistent-dir/junit.xml";
	assert_int_equal(fl_generate_report(list, 1, &o), -ENOENT);
	assert_non_null(strstr(why, "/nonexistent-dir/junit.xml"));
	json_decref(res.json);
}

static void report_malformed_document(void **state)
{
	char why[512] = "";
	struct fl_report_opts o = { .markdown = "/dev/null", .errbuf = why, .errlen = sizeof(why) };
	struct fl_recovery_result res = { .kind = FL_RECOVERY_RPO };
	const struct fl_recovery_result *list[] = { &res };

	(void)state;
	res.json = json_pack("{s:s, s:[]}", "schema", "faultline-nope/9", "trials");
	assert_int_equal(fl_generate_report(list, 1, &o), -EINVAL);
	assert_true(why[0] != '\0');
	json_decref(res.json);
	res.json = json_pack("{s:s, s:i}", "schema", FL_RPO_SCHEMA, "trials", 3);
	assert_int_equal(fl_generate_report(list, 1, &o), -EINVAL);
	json_decref(res.json);
}

static void report_written(void **state)
{
	char path[] = "/tmp/recovery-report-XXXXXX", why[512] = "", buf[8192];
	struct fl_report_opts o = { .errbuf = why, .errlen = sizeof(why) };
	struct fl_recovery_result res = { .kind = FL_RECOVERY_RPO };
	const struct fl_recovery_result *list[] = { &res, &res };
	int fd = mkstemp(path);
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	o.markdown = path;
	res.json = json_loads(rpo_doc, 0, NULL);
	assert_int_equal(fl_generate_report(list, 2, &o), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "rpo result 1"));
	assert_non_null(strstr(buf, "rpo result 2"));
	json_decref(res.json);
	close(fd);
	unlink(path);
}

static void failure_checked(void **state)
{
	char why[256] = "";
	struct fl_failure f = { 0 };
	struct fl_failure_handle *h = (struct fl_failure_handle *)&f;

	(void)state;
	assert_int_equal(fl_simulate_failure(NULL, why, sizeof(why), &h), -EINVAL);
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), -EINVAL);
	assert_non_null(strstr(why, "domain"));
	f.domain = FL_FAILURE_SYSCALL;
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), -EINVAL);
	assert_non_null(strstr(why, "rule"));
	f.rule = "write:error=EIO";
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), -EINVAL);
	assert_non_null(strstr(why, "target"));
	f.domain = FL_FAILURE_PROCESS;
	f.process = getpid();
	f.signal = SIGSTOP;
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), -EINVAL);
	f.domain = FL_FAILURE_NODE;
	f.rule = "bogus=x";
	assert_int_equal(fl_simulate_failure(&f, why, sizeof(why), &h), -EINVAL);
	assert_ptr_equal(h, (struct fl_failure_handle *)&f);
	assert_int_equal(fl_failure_clear(NULL, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rpo_judged_with_callers_targets),
		cmocka_unit_test(rpo_unmeasured_never_passes),
		cmocka_unit_test(rpo_mtbf_assumed),
		cmocka_unit_test(backup_failed_restore_is_unbounded),
		cmocka_unit_test(scenario_availability_of_run),
		cmocka_unit_test(malformed_results_are_einval),
		cmocka_unit_test(report_options_checked),
		cmocka_unit_test(report_malformed_document),
		cmocka_unit_test(report_written),
		cmocka_unit_test(failure_checked),
	};

	return cmocka_run_group_tests_name("recovery api", tests, NULL, NULL);
}
