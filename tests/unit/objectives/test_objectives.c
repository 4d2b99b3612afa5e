// SPDX-License-Identifier: GPL-2.0-only
/*
 * The five objectives on hand-made observations: each status (measured,
 * derived, not applicable), the MTBF derivation both ways, MTTR's 95 %
 * interval, the gating rule for availability, the edge cases (one trial,
 * no recovery, never recovered, 100 % and 0 %, objectives off) and
 * malformed input, which is -EINVAL and leaves the verdict untouched.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/objectives.h>

#include "objectives/objectives_priv.h"

#define S(x)   ((uint64_t)((x) * 1e9))
#define HOUR   (3600ull * 1000000000ull)
#define NEVER  UINT64_MAX
/* cmocka's float comparison is in float: too coarse for nanoseconds. */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (double)(eps))

static struct fl_verdict judge(const struct fl_observed *obs, const struct fl_objectives *o)
{
	struct fl_verdict v;

	assert_int_equal(fl_objectives_validate(obs, o, &v), 0);
	return v;
}

static struct fl_observed trials(const uint64_t *rec, const uint64_t *rpo, const uint64_t *lost,
				 size_t n)
{
	return (struct fl_observed){ .trials = n, .recovery_ns = rec, .n_recovery = n,
				     .rpo_ns = rpo, .n_rpo = n, .lost = lost };
}

static void test_names_and_defaults(void **state)
{
	struct fl_objectives o;

	(void)state;
	assert_string_equal(fl_objective_name(FL_OBJ_RTO), "rto");
	assert_string_equal(fl_objective_name(FL_OBJ_MTBF), "mtbf");
	assert_null(fl_objective_name(FL_OBJ_COUNT));
	assert_null(fl_objective_name((enum fl_objective_kind)-1));
	assert_string_equal(fl_objective_status_name(FL_OBJ_DERIVED), "derived");
	fl_objectives_defaults(&o);
	assert_int_equal(o.rto_max_ns, S(300));
	assert_int_equal(o.rpo_max_ns, S(60));
	assert_int_equal(o.mttr_max_ns, S(180));
	assert_int_equal(o.availability_min_ppm, 999000);
	assert_int_equal(o.mtbf_min_ns, 720 * HOUR);
	assert_int_equal(o.assumed_mtbf_ns, 0);
	assert_false(o.availability_of_run);
}

/* Three trials: RTO the worst, MTTR the mean with its t interval. */
static void test_measured_rto_rpo_mttr(void **state)
{
	uint64_t rec[] = { S(2), S(3), S(4) }, rpo[] = { S(1), 0, S(0.5) }, lost[] = { 3, 0, 1 };
	struct fl_observed obs = trials(rec, rpo, lost, 3);
	struct fl_objectives o;
	struct fl_verdict v;
	double half;

	(void)state;
	fl_objectives_defaults(&o);
	v = judge(&obs, &o);
	assert_true(v.pass);
	assert_int_equal(v.o[FL_OBJ_RTO].status, FL_OBJ_MEASURED);
	assert_true(v.o[FL_OBJ_RTO].pass);
	assert_near(v.o[FL_OBJ_RTO].value, 4e9, 1);
	assert_near(v.o[FL_OBJ_RTO].margin, 296e9, 1);
	assert_near(v.o[FL_OBJ_RPO].value, 1e9, 1);
	assert_true(v.o[FL_OBJ_RPO].pass);
	/* mean 3 s, s = 1 s, t(2) = 4.303: 3 +- 4.303 / sqrt(3) s */
	half = 4.303 / sqrt(3) * 1e9;
	assert_near(v.o[FL_OBJ_MTTR].value, 3e9, 1);
	assert_near(v.o[FL_OBJ_MTTR].ci_low, 3e9 - half, 1e3);
	assert_near(v.o[FL_OBJ_MTTR].ci_high, 3e9 + half, 1e3);
	assert_int_equal(v.o[FL_OBJ_MTTR].n, 3);
	assert_true(v.o[FL_OBJ_MTTR].pass);
	assert_non_null(strstr(v.o[FL_OBJ_MTTR].how, "Student's t"));
	/* No clients' view sampled: availability derived over the long run. */
	assert_int_equal(v.o[FL_OBJ_AVAILABILITY].status, FL_OBJ_DERIVED);
	assert_false(v.run_availability_seen);
}

/* The interval never goes below 0 and narrows with more trials. */
static void test_ci_shape(void **state)
{
	uint64_t wide[] = { S(0.1), S(10) }, many[40];
	struct fl_observed obs = trials(wide, wide, NULL, 2);
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	fl_objectives_defaults(&o);
	v = judge(&obs, &o);
	assert_near(v.o[FL_OBJ_MTTR].ci_low, 0, 0);
	assert_true(v.o[FL_OBJ_MTTR].ci_high > 10e9);
	for (size_t i = 0; i < 40; i++)
		many[i] = i % 2 ? S(2) : S(4);
	obs = trials(many, many, NULL, 40);
	v = judge(&obs, &o);
	assert_near(v.o[FL_OBJ_MTTR].value, 3e9, 1);
	assert_true(v.o[FL_OBJ_MTTR].ci_high - v.o[FL_OBJ_MTTR].ci_low < 0.7e9);
	/* The table and its tail. */
	assert_true(isnan(fl_obj_t95(0)));
	assert_near(fl_obj_t95(1), 12.706, 1e-9);
	assert_near(fl_obj_t95(30), 2.042, 1e-9);
	assert_near(fl_obj_t95(60), 2.000, 1e-9);
	assert_true(fl_obj_t95(45) < 2.021 && fl_obj_t95(45) > 2.000);
	assert_near(fl_obj_t95(1000000), 1.96, 1e-3);
}

static void test_one_trial_no_interval(void **state)
{
	uint64_t rec[] = { S(5) }, rpo[] = { 0 };
	struct fl_observed obs = trials(rec, rpo, NULL, 1);
	struct fl_objectives o;
	struct fl_verdict v;
	char line[512];

	(void)state;
	fl_objectives_defaults(&o);
	v = judge(&obs, &o);
	assert_int_equal(v.o[FL_OBJ_MTTR].status, FL_OBJ_MEASURED);
	assert_true(v.o[FL_OBJ_MTTR].pass);
	assert_true(isnan(v.o[FL_OBJ_MTTR].ci_low) && isnan(v.o[FL_OBJ_MTTR].ci_high));
	assert_non_null(strstr(v.o[FL_OBJ_MTTR].how, "no interval"));
	fl_objective_text(&v.o[FL_OBJ_MTTR], line, sizeof(line));
	assert_non_null(strstr(line, "MTTR 5.00 s <= 3.0 min: met (measured: one trial"));
	assert_null(strstr(line, "CI"));
}

/* MTBF needed = MTTR * A / (1 - A); the long-run availability with the objective's MTBF. */
static void test_mtbf_derived_from_mttr(void **state)
{
	uint64_t rec[] = { S(36) }, rpo[] = { 0 };
	struct fl_observed obs = trials(rec, rpo, NULL, 1);
	struct fl_objectives o;
	struct fl_verdict v;
	const struct fl_objective_verdict *m, *a;

	(void)state;
	fl_objectives_defaults(&o);
	v = judge(&obs, &o);
	m = &v.o[FL_OBJ_MTBF];
	a = &v.o[FL_OBJ_AVAILABILITY];
	assert_int_equal(m->status, FL_OBJ_DERIVED);
	/* 36 s * 0.999 / 0.001 = 35964 s = 9.99 h, well under 720 h */
	assert_near(m->value, 36e9 * 999, 1e3);
	assert_true(m->pass && m->judged);
	assert_near(m->margin, 720.0 * HOUR - 36e9 * 999, 1e3);
	assert_non_null(strstr(m->how, "MTTR * A / (1 - A)"));
	{
		char line[512];

		fl_objective_text(m, line, sizeof(line));
		assert_non_null(strstr(line, "MTBF needed 10.0 h <= 720.0 h: met (derived"));
	}
	assert_int_equal(a->status, FL_OBJ_DERIVED);
	assert_near(a->value, 720.0 * 3600 / (720.0 * 3600 + 36) * 1e6, 1e-6);
	assert_true(a->pass);
	assert_non_null(strstr(a->how, "MTBF objective"));

	/* MTTR 43.3 min needs more than 720 h: both derived objectives fail, and agree. */
	rec[0] = S(43.3 * 60);
	o.mttr_max_ns = UINT64_MAX;
	o.rto_max_ns = UINT64_MAX;
	v = judge(&obs, &o);
	assert_false(v.o[FL_OBJ_MTBF].pass);
	assert_false(v.o[FL_OBJ_AVAILABILITY].pass);
	assert_false(v.pass);
	/* 43.1 min: both pass. */
	rec[0] = S(43.1 * 60);
	v = judge(&obs, &o);
	assert_true(v.o[FL_OBJ_MTBF].pass && v.o[FL_OBJ_AVAILABILITY].pass && v.pass);
}

/* An assumed failure rate: availability from it, MTBF judged on it. */
static void test_assumed_mtbf(void **state)
{
	uint64_t rec[] = { S(120), S(60) }, rpo[] = { 0, 0 };
	struct fl_observed obs = trials(rec, rpo, NULL, 2);
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	fl_objectives_defaults(&o);
	obs.availability_seen = true;
	obs.up_ns = S(5);
	obs.span_ns = S(10);
	o.assumed_mtbf_ns = 24 * HOUR;   /* a failure a day, 90 s to recover: 99.896 % */
	o.availability_of_run = true;     /* the assumption wins over the run's own */
	v = judge(&obs, &o);
	assert_int_equal(v.o[FL_OBJ_AVAILABILITY].status, FL_OBJ_DERIVED);
	assert_near(v.o[FL_OBJ_AVAILABILITY].value, 86400.0 / (86400 + 90) * 1e6, 1e-6);
	assert_false(v.o[FL_OBJ_AVAILABILITY].pass);
	assert_non_null(strstr(v.o[FL_OBJ_AVAILABILITY].how, "assumed"));
	assert_int_equal(v.o[FL_OBJ_MTBF].status, FL_OBJ_DERIVED);
	assert_near(v.o[FL_OBJ_MTBF].value, 24.0 * HOUR, 1);
	assert_false(v.o[FL_OBJ_MTBF].pass);
	assert_near(v.o[FL_OBJ_MTBF].margin, -696.0 * HOUR, 1e3);
	assert_non_null(strstr(v.o[FL_OBJ_MTBF].how, "assumed (given as input)"));
	/* The run's own availability is beside it. */
	assert_true(v.run_availability_seen);
	assert_near(v.run_availability_ppm, 500000, 1e-6);
	assert_false(v.pass);

	o.assumed_mtbf_ns = 1000 * HOUR;
	v = judge(&obs, &o);
	assert_true(v.o[FL_OBJ_AVAILABILITY].pass && v.o[FL_OBJ_MTBF].pass && v.pass);
}

/* The gating rule: by default a short run's own availability is reported, not judged. */
static void test_run_availability_gating(void **state)
{
	uint64_t rec[] = { S(3) }, rpo[] = { 0 };
	struct fl_observed obs = trials(rec, rpo, NULL, 1);
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	fl_objectives_defaults(&o);
	obs.availability_seen = true;
	obs.up_ns = S(6);
	obs.span_ns = S(10);   /* 60 %: the run is mostly its fault */
	v = judge(&obs, &o);
	assert_int_equal(v.o[FL_OBJ_AVAILABILITY].status, FL_OBJ_DERIVED);
	assert_true(v.o[FL_OBJ_AVAILABILITY].pass);
	assert_true(v.pass);
	assert_near(v.run_availability_ppm, 600000, 1e-6);

	/* Asked: the run's own is judged. */
	o.availability_of_run = true;
	v = judge(&obs, &o);
	assert_int_equal(v.o[FL_OBJ_AVAILABILITY].status, FL_OBJ_MEASURED);
	assert_near(v.o[FL_OBJ_AVAILABILITY].value, 600000, 1e-6);
	assert_false(v.o[FL_OBJ_AVAILABILITY].pass);
	assert_false(v.pass);
	o.availability_min_ppm = 500000;
	v = judge(&obs, &o);
	assert_true(v.o[FL_OBJ_AVAILABILITY].pass && v.pass);
	assert_near(v.o[FL_OBJ_AVAILABILITY].margin, 100000, 1e-6);

	/* No MTBF objective, no assumption, not asked: measured, shown, not judged. */
	o.availability_of_run = false;
	o.availability_min_ppm = 999000;
	o.mtbf_min_ns = UINT64_MAX;
	v = judge(&obs, &o);
	assert_int_equal(v.o[FL_OBJ_AVAILABILITY].status, FL_OBJ_MEASURED);
	assert_false(v.o[FL_OBJ_AVAILABILITY].judged);
	assert_false(v.o[FL_OBJ_AVAILABILITY].pass);
	assert_true(v.pass);
}

static void test_availability_100_and_0(void **state)
{
	uint64_t rec[] = { 0 }, rpo[] = { 0 };
	struct fl_observed obs = trials(rec, rpo, NULL, 1);
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	fl_objectives_defaults(&o);
	o.availability_of_run = true;
	obs.availability_seen = true;
	obs.up_ns = obs.span_ns = S(10);
	o.availability_min_ppm = 1000000;
	v = judge(&obs, &o);
	assert_near(v.o[FL_OBJ_AVAILABILITY].value, 1e6, 0);
	assert_true(v.o[FL_OBJ_AVAILABILITY].pass);
	/* MTTR 0 needs no MTBF at all, even for 100 %. */
	assert_near(v.o[FL_OBJ_MTBF].value, 0, 0);
	assert_true(v.o[FL_OBJ_MTBF].pass);

	/* 100 % with a recovery that took time: no MTBF is enough. */
	rec[0] = S(1);
	v = judge(&obs, &o);
	assert_true(isinf(v.o[FL_OBJ_MTBF].value));
	assert_false(v.o[FL_OBJ_MTBF].pass);

	obs.up_ns = 0;
	o.availability_min_ppm = 999000;
	v = judge(&obs, &o);
	assert_near(v.o[FL_OBJ_AVAILABILITY].value, 0, 0);
	assert_false(v.o[FL_OBJ_AVAILABILITY].pass);
	assert_false(v.pass);
}

/* Nothing recovered, nothing measured: not applicable, never a pass. */
static void test_no_recovery(void **state)
{
	struct fl_observed obs = { 0 };
	struct fl_objectives o;
	struct fl_verdict v;
	char line[512];

	(void)state;
	fl_objectives_defaults(&o);
	v = judge(&obs, &o);
	for (int k = 0; k < FL_OBJ_COUNT; k++) {
		assert_int_equal(v.o[k].status, FL_OBJ_NOT_APPLICABLE);
		assert_true(v.o[k].set);
		assert_false(v.o[k].judged);
		assert_false(v.o[k].pass);
		assert_true(v.o[k].how[0]);
		fl_objective_text(&v.o[k], line, sizeof(line));
		assert_non_null(strstr(line, "not applicable"));
	}
	/* Vacuous: nothing judged, nothing failed; the runners say "nothing measured". */
	assert_true(v.pass);
}

/* Never recovered: RTO unbounded and failed; MTTR over the others, named. */
static void test_never_recovered(void **state)
{
	uint64_t rec[] = { S(2), NEVER, S(4) }, rpo[] = { 0, 0, 0 }, one[] = { NEVER };
	struct fl_observed obs = trials(rec, rpo, NULL, 3);
	struct fl_objectives o;
	struct fl_verdict v;
	json_t *j;

	(void)state;
	fl_objectives_defaults(&o);
	v = judge(&obs, &o);
	assert_true(isinf(v.o[FL_OBJ_RTO].value));
	assert_false(v.o[FL_OBJ_RTO].pass);
	assert_non_null(strstr(v.o[FL_OBJ_RTO].how, "1 never recovered"));
	assert_near(v.o[FL_OBJ_MTTR].value, 3e9, 1);
	assert_int_equal(v.o[FL_OBJ_MTTR].n, 2);
	assert_non_null(strstr(v.o[FL_OBJ_MTTR].how, "never recovered"));
	assert_false(v.pass);
	/* JSON: unbounded is null, not a number. */
	j = fl_verdict_json(&v);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(json_array_get(j, 0), "value")));
	assert_true(json_is_false(json_object_get(json_array_get(j, 0), "pass")));
	json_decref(j);

	/* None recovered: MTTR, and what derives from it, not applicable. */
	obs = trials(one, rpo, NULL, 1);
	v = judge(&obs, &o);
	assert_int_equal(v.o[FL_OBJ_MTTR].status, FL_OBJ_NOT_APPLICABLE);
	assert_int_equal(v.o[FL_OBJ_AVAILABILITY].status, FL_OBJ_NOT_APPLICABLE);
	assert_int_equal(v.o[FL_OBJ_MTBF].status, FL_OBJ_NOT_APPLICABLE);
	assert_false(v.o[FL_OBJ_RTO].pass);
	assert_false(v.pass);
}

/* RPO 0: nothing lost, a window of 0 from losses after the fault included. */
static void test_rpo_zero(void **state)
{
	uint64_t rec[] = { S(1) }, rpo[] = { 0 }, lost[] = { 2 };
	struct fl_observed obs = trials(rec, rpo, lost, 1);
	struct fl_objectives o;
	struct fl_verdict v;

	(void)state;
	fl_objectives_defaults(&o);
	o.rpo_max_ns = 0;
	v = judge(&obs, &o);
	assert_false(v.o[FL_OBJ_RPO].pass);
	lost[0] = 0;
	v = judge(&obs, &o);
	assert_true(v.o[FL_OBJ_RPO].pass);
}

/* Every objective off: values still reported, nothing judged, and the run passes. */
static void test_objectives_off(void **state)
{
	uint64_t rec[] = { S(600) }, rpo[] = { S(600) };
	struct fl_observed obs = trials(rec, rpo, NULL, 1);
	struct fl_objectives o = { .rto_max_ns = UINT64_MAX, .rpo_max_ns = UINT64_MAX,
				   .mttr_max_ns = UINT64_MAX, .mtbf_min_ns = UINT64_MAX };
	struct fl_verdict v;
	char line[512];
	json_t *j;

	(void)state;
	obs.availability_seen = true;
	obs.up_ns = 1;
	obs.span_ns = S(1);
	v = judge(&obs, &o);
	assert_true(v.pass);
	for (int k = 0; k < FL_OBJ_COUNT; k++) {
		assert_false(v.o[k].set);
		assert_false(v.o[k].pass);
	}
	assert_int_equal(v.o[FL_OBJ_MTTR].status, FL_OBJ_MEASURED);
	assert_near(v.o[FL_OBJ_MTTR].value, 600e9, 1);
	assert_int_equal(v.o[FL_OBJ_MTBF].status, FL_OBJ_NOT_APPLICABLE);
	fl_objective_text(&v.o[FL_OBJ_RTO], line, sizeof(line));
	assert_non_null(strstr(line, "no objective"));
	j = fl_verdict_json(&v);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), FL_OBJ_COUNT);
	assert_true(json_is_null(json_object_get(json_array_get(j, 0), "target")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 3), "unit")), "ppm");
	json_decref(j);
}

/* Malformed input: -EINVAL, the verdict untouched, never a crash. */
static void test_malformed(void **state)
{
	uint64_t rec[] = { S(1), S(2) };
	struct fl_observed ok = trials(rec, rec, NULL, 2), bad;
	struct fl_objectives o;
	struct fl_verdict v, before;

	(void)state;
	fl_objectives_defaults(&o);
	memset(&v, 0x5a, sizeof(v));
	before = v;
	assert_int_equal(fl_objectives_validate(NULL, &o, &v), -EINVAL);
	assert_int_equal(fl_objectives_validate(&ok, NULL, &v), -EINVAL);
	assert_int_equal(fl_objectives_validate(&ok, &o, NULL), -EINVAL);
	bad = ok;
	bad.trials = 1;                   /* more recoveries than trials */
	assert_int_equal(fl_objectives_validate(&bad, &o, &v), -EINVAL);
	bad = ok;
	bad.n_rpo = 3;
	assert_int_equal(fl_objectives_validate(&bad, &o, &v), -EINVAL);
	bad = ok;
	bad.recovery_ns = NULL;
	assert_int_equal(fl_objectives_validate(&bad, &o, &v), -EINVAL);
	bad = ok;
	bad.rpo_ns = NULL;
	assert_int_equal(fl_objectives_validate(&bad, &o, &v), -EINVAL);
	bad = ok;
	bad.availability_seen = true;     /* sampled, over no time */
	assert_int_equal(fl_objectives_validate(&bad, &o, &v), -EINVAL);
	bad.span_ns = 10;
	bad.up_ns = 11;
	assert_int_equal(fl_objectives_validate(&bad, &o, &v), -EINVAL);
	o.availability_min_ppm = 1000001;
	assert_int_equal(fl_objectives_validate(&ok, &o, &v), -EINVAL);
	assert_memory_equal(&v, &before, sizeof(v));
	/* The text of an out-of-range kind writes nothing. */
	v.o[0].kind = FL_OBJ_COUNT;
	char line[8] = "x";
	fl_objective_text(&v.o[0], line, sizeof(line));
	assert_string_equal(line, "x");
}

/* A line cut short is cut, never overrun. */
static void test_text_truncates(void **state)
{
	uint64_t rec[] = { S(1), S(2) };
	struct fl_observed obs = trials(rec, rec, NULL, 2);
	struct fl_objectives o;
	struct fl_verdict v;
	char line[24];

	(void)state;
	fl_objectives_defaults(&o);
	v = judge(&obs, &o);
	for (int k = 0; k < FL_OBJ_COUNT; k++) {
		memset(line, 0, sizeof(line));
		fl_objective_text(&v.o[k], line, sizeof(line));
		assert_int_equal(strlen(line), sizeof(line) - 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_defaults),
		cmocka_unit_test(test_measured_rto_rpo_mttr),
		cmocka_unit_test(test_ci_shape),
		cmocka_unit_test(test_one_trial_no_interval),
		cmocka_unit_test(test_mtbf_derived_from_mttr),
		cmocka_unit_test(test_assumed_mtbf),
		cmocka_unit_test(test_run_availability_gating),
		cmocka_unit_test(test_availability_100_and_0),
		cmocka_unit_test(test_no_recovery),
		cmocka_unit_test(test_never_recovered),
		cmocka_unit_test(test_rpo_zero),
		cmocka_unit_test(test_objectives_off),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_text_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
