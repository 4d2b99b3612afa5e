// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline report's reader, from hand-made results of each runner: the
 * figures, the lost writes marked from the readback, the fault windows
 * and phases; objectives judged from the trials when the result has no
 * "objectives" array, and never a pass for one not measured; malformed
 * and unknown files refused with the file and the field named, and a
 * result cut at any byte refused without a crash.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <faultline/report.h>

#include "report_docs.h"

static struct fl_report_result *parse_ok(const char *text)
{
	struct fl_report_result *r = NULL;
	char err[512] = "";
	int rc = fl_report_parse("good.json", text, strlen(text), &r, err, sizeof(err));

	if (rc)
		print_message("unexpected: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(r);
	return r;
}

/* Parsing fails with -EINVAL, and the message holds each of the words. */
static void parse_bad(const char *text, ...)
{
	struct fl_report_result *r = NULL;
	char err[512] = "";
	const char *want;
	va_list ap;

	assert_int_equal(fl_report_parse("bad.json", text, strlen(text), &r, err, sizeof(err)),
			 -EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "bad.json"));
	va_start(ap, text);
	while ((want = va_arg(ap, const char *)))
		if (!strstr(err, want)) {
			print_message("'%s' not in: %s\n", want, err);
			fail();
		}
	va_end(ap);
}

/* rpo_doc with the first occurrence of from replaced by to. */
static char *patched(const char *doc, const char *from, const char *to)
{
	const char *at = strstr(doc, from);
	char *out;

	assert_non_null(at);
	out = malloc(strlen(doc) + strlen(to) + 1);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(at - doc), doc, to, at + strlen(from));
	return out;
}

static void test_an_rpo_result_reads_figures_lost_writes_and_windows(void **state)
{
	struct fl_report_result *r = parse_ok(rpo_doc);
	const struct fl_rep_trial *t = &r->trials[0];

	assert_int_equal(r->kind, FL_REP_RPO);
	assert_int_equal(r->n_trials, 2);
	assert_true(t->measured);
	assert_true(fabs(t->rpo_s - 0.05) < 1e-9);
	assert_true(fabs(t->rto_s - 0.4) < 1e-9);
	assert_int_equal(t->lost, 1);
	assert_true(t->has_ops && t->has_lost);
	assert_int_equal(t->n_ops, 4);
	assert_false(t->ops[0].lost);
	assert_true(t->ops[2].lost);            /* acked, not read back */
	assert_false(t->ops[3].lost);           /* unknown: never counted lost */
	assert_int_equal(t->n_windows, 1);
	assert_true(fabs(t->windows[0].from_s - 1.0) < 1e-9);
	assert_true(fabs(t->windows[0].to_s - 1.4) < 1e-9);
	assert_int_equal(t->n_phases, 4);
	assert_string_equal(t->phases[1].name, "restart");
	assert_false(r->trials[1].measured);
	assert_true(isnan(r->trials[1].rpo_s));
	assert_non_null(strstr(r->trials[1].error, "no start"));
	fl_report_free(r);
}

static void test_objectives_are_judged_from_the_trials_without_an_objectives_array(void **state)
{
	struct fl_report_result *r = parse_ok(rpo_doc);

	/* RPO 50 ms against 40 ms: measured, failed by 10 ms. */
	assert_int_equal(r->obj[FL_REP_OBJ_RPO].status, FL_REP_MEASURED);
	assert_false(r->obj[FL_REP_OBJ_RPO].pass);
	assert_true(fabs(r->obj[FL_REP_OBJ_RPO].margin + 0.01) < 1e-9);
	assert_true(r->obj[FL_REP_OBJ_RTO].pass);
	for (int k = FL_REP_OBJ_MTTR; k < FL_REP_OBJ_COUNT; k++) {
		assert_int_equal(r->obj[k].status, FL_REP_NOT_MEASURED);
		assert_false(r->obj[k].pass);
	}
	fl_report_free(r);
}

static void test_a_not_measured_objective_never_passes_even_if_the_file_says_so(void **state)
{
	char *doc = patched(rpo_doc, "\"objectives\":{\"rpo_max_ns\":40000000,\"rto_max_ns\":1000000000}",
		"\"objectives\":[{\"name\":\"mtbf\",\"status\":\"not applicable\",\"set\":true,"
		"\"pass\":true,\"value\":null,\"target\":2592000000000000},"
		"{\"name\":\"mttr\",\"status\":\"measured\",\"set\":true,\"pass\":true,"
		"\"value\":400000000,\"target\":180000000000,\"how\":\"mean of 1\"}]");
	struct fl_report_result *r = parse_ok(doc);

	assert_false(r->obj[FL_REP_OBJ_MTBF].pass);
	assert_int_equal(r->obj[FL_REP_OBJ_MTBF].status, FL_REP_NOT_MEASURED);
	assert_true(r->obj[FL_REP_OBJ_MTTR].pass);
	assert_true(fabs(r->obj[FL_REP_OBJ_MTTR].value - 0.4) < 1e-9);
	assert_false(r->obj[FL_REP_OBJ_RPO].pass); /* absent from the array: not measured */
	fl_report_free(r);
	free(doc);
}

static void test_a_scenario_result_reads_windows_lost_ids_and_availability(void **state)
{
	struct fl_report_result *r = parse_ok(scenario_doc);
	const struct fl_rep_trial *t = &r->trials[0];

	assert_int_equal(r->kind, FL_REP_SCENARIO);
	assert_int_equal(t->n_windows, 1);
	assert_true(fabs(t->windows[0].to_s - 2.0) < 1e-9);
	assert_non_null(strstr(t->windows[0].label, "partition"));
	assert_true(t->ops[1].lost);
	assert_false(t->ops[0].lost);
	assert_true(fabs(t->availability - 0.995) < 1e-9);
	assert_false(r->obj[FL_REP_OBJ_RTO].pass);        /* 800 ms > 500 ms */
	assert_int_equal(r->obj[FL_REP_OBJ_AVAILABILITY].status, FL_REP_MEASURED);
	assert_false(r->obj[FL_REP_OBJ_AVAILABILITY].pass);
	assert_false(r->obj[FL_REP_OBJ_RPO].set);         /* null: no objective */
	assert_false(r->obj[FL_REP_OBJ_RPO].pass);
	fl_report_free(r);
}

static void test_a_backup_result_has_phases_and_no_write_history(void **state)
{
	struct fl_report_result *r = parse_ok(backup_doc);
	const struct fl_rep_trial *t = &r->trials[0];

	assert_int_equal(r->kind, FL_REP_BACKUP);
	assert_false(t->has_ops);
	assert_int_equal(t->lost, 99);
	assert_true(fabs(t->rpo_s - 0.9917) < 1e-9);
	assert_int_equal(t->n_phases, 4);
	assert_string_equal(t->phases[1].name, "restore");
	assert_int_equal(t->n_windows, 2);                /* the backup and the fault */
	assert_true(r->obj[FL_REP_OBJ_RPO].pass);
	fl_report_free(r);
}

static void test_the_environment_is_read_when_the_result_has_it(void **state)
{
	char *doc = patched(backup_doc, "\"trials\":[", "\"environment\":{\"kernel\":\"6.1.0-9\","
			    "\"kernel_version\":\"#1 SMP\",\"machine\":\"x86_64\",\"faultline\":\"0.1.0\"},"
			    "\"trials\":[");
	struct fl_report_result *r = parse_ok(doc);
	bool kernel = false, version = false;

	for (size_t i = 0; i < r->n_env; i++) {
		kernel |= !strcmp(r->env[i].key, "kernel") &&
			  !strcmp(r->env[i].value, "Linux 6.1.0-9 x86_64, #1 SMP");
		version |= !strcmp(r->env[i].key, "faultline") && !strcmp(r->env[i].value, "0.1.0");
	}
	assert_true(kernel && version);
	fl_report_free(r);
	free(doc);
	doc = patched(backup_doc, "\"trials\":[", "\"environment\":{\"kernel\":6},\"trials\":[");
	parse_bad(doc, "environment.kernel", "string", NULL);
	free(doc);
}

static const char *env_value(const struct fl_report_result *r, const char *key)
{
	for (size_t i = 0; i < r->n_env; i++)
		if (!strcmp(r->env[i].key, key))
			return r->env[i].value;
	return NULL;
}

/* Which mechanism carried each part of the run: one row, in the runner's order. */
static void test_the_mechanisms_used_are_one_row(void **state)
{
	char *doc = patched(backup_doc, "\"trials\":[", "\"environment\":{\"kernel\":\"6.18\","
			    "\"mechanisms\":[{\"for\":\"fault powercut\",\"mechanism\":"
			    "\"kill(2) SIGKILL, then faultfs power cut (FUSE)\"},{\"for\":\"storage\","
			    "\"mechanism\":\"faultfs overlay (FUSE)\"}]},\"trials\":[");
	struct fl_report_result *r = parse_ok(doc);

	assert_string_equal(env_value(r, "mechanisms used"),
			    "fault powercut: kill(2) SIGKILL, then faultfs power cut (FUSE); "
			    "storage: faultfs overlay (FUSE)");
	fl_report_free(r);
	free(doc);

	/* A result from before faultline recorded them says so: the row is never silently gone. */
	doc = patched(backup_doc, "\"trials\":[", "\"environment\":{\"kernel\":\"6.18\"},\"trials\":[");
	r = parse_ok(doc);
	assert_string_equal(env_value(r, "mechanisms used"), "not recorded in this result");
	fl_report_free(r);
	free(doc);

	doc = patched(backup_doc, "\"trials\":[", "\"environment\":{\"mechanisms\":{}},\"trials\":[");
	parse_bad(doc, "environment.mechanisms", "array", NULL);
	free(doc);
	doc = patched(backup_doc, "\"trials\":[",
		      "\"environment\":{\"mechanisms\":[{\"for\":\"fault kill\"}]},\"trials\":[");
	parse_bad(doc, "mechanism", "missing", NULL);
	free(doc);
	doc = patched(backup_doc, "\"trials\":[", "\"environment\":{\"mechanisms\":[7]},\"trials\":[");
	parse_bad(doc, "environment.mechanisms[]", "not an object", NULL);
	free(doc);
}

static void test_an_event_log_is_read_line_by_line(void **state)
{
	const char *log =
		"{\"ts_ns\":1000000000,\"domain\":\"syscall\",\"action\":\"error\",\"mechanism\":\"seccomp\",\"op\":\"fsync\"}\n"
		"{\"ts_ns\":1500000000,\"domain\":\"syscall\",\"action\":\"error\",\"mechanism\":\"seccomp\",\"op\":\"fsync\"}\n"
		"\n{\"ts_ns\":3000000000,\"domain\":\"net\",\"action\":\"drop\",\"mechanism\":\"tc\",\"op\":null}\n";
	struct fl_report_result *r = parse_ok(log);

	assert_int_equal(r->kind, FL_REP_EVENTS);
	assert_int_equal(r->n_events, 3);
	assert_true(fabs(r->events[2].s - 2.0) < 1e-9);
	assert_non_null(strstr(r->env[1].value, "seccomp, tc"));
	fl_report_free(r);
	/* One injection: one line, which is a JSON document too. */
	r = parse_ok("{\"ts_ns\":5,\"domain\":\"syscall\",\"action\":\"error\",\"op\":\"fsync\"}\n");
	assert_int_equal(r->kind, FL_REP_EVENTS);
	assert_int_equal(r->n_events, 1);
	assert_false(r->obj[FL_REP_OBJ_RPO].pass);
	fl_report_free(r);
	parse_bad("{\"ts_ns\":1,\"domain\":\"net\",\"action\":\"drop\"}\n{\"ts_ns\":\"x\",\"domain\":"
		  "\"net\",\"action\":\"drop\"}\n", "line 2", "ts_ns", NULL);
	parse_bad("{\"ts_ns\":1,\"domain\":\"net\",\"action\":\"drop\"}\nnot json\n", "line 2", NULL);
}

static void test_malformed_results_name_the_file_and_the_field(void **state)
{
	char *d;

	parse_bad("", "empty", NULL);
	parse_bad("   \n", "empty", NULL);
	parse_bad("{\"schema\":", "not valid JSON", NULL);
	parse_bad("[1,2]", "expected a JSON object", NULL);
	parse_bad("{\"a\":1}", "schema", "missing", NULL);
	parse_bad("{\"schema\":\"faultline-rpo/9\"}", "unknown schema", "faultline-rpo/9", NULL);
	parse_bad("{\"format\":\"faultline-backup/1\"}", "strategy", "missing", NULL);
	parse_bad("{\"schema\":\"faultline-rpo/1\",\"config\":{\"workload\":\"w\",\"fault\":\"kill\"}}",
		  "trials", "missing", NULL);
	d = patched(rpo_doc, "\"lost\":1}", "\"lost\":\"one\"}");
	parse_bad(d, "trials[0].counts.lost", "integer", NULL);
	free(d);
	d = patched(rpo_doc, "[3,1,900000000,950000000,\"ok\",null]", "[3,1,\"x\"]");
	parse_bad(d, "trials[0].history.ops", NULL);
	free(d);
	d = patched(rpo_doc, "\"rpo\":{\"ns\":50000000}", "\"rpo\":null");
	parse_bad(d, "trials[0].rpo", "measured", NULL);
	free(d);
	d = patched(rpo_doc, "\"trials\":[{", "\"trials\":[7,{");
	parse_bad(d, "trials", NULL);
	free(d);
	d = patched(scenario_doc, "\"availability\":99.5", "\"availability\":true");
	parse_bad(d, "trials[0].availability", "number", NULL);
	free(d);
	d = patched(backup_doc, "\"restored\":true", "\"restored\":1");
	parse_bad(d, "trials[0].restored", NULL);
	free(d);
}

/* Every prefix of each document is refused (or read), never a crash. */
static void test_a_result_cut_anywhere_is_refused_without_a_crash(void **state)
{
	const char *docs[] = { rpo_doc, scenario_doc, backup_doc };

	for (size_t d = 0; d < 3; d++)
		for (size_t n = 0; n < strlen(docs[d]); n += 3) {
			struct fl_report_result *r = NULL;
			char err[512];
			int rc = fl_report_parse("cut.json", docs[d], n, &r, err, sizeof(err));

			assert_true(rc == 0 || rc == -EINVAL);
			if (rc)
				assert_non_null(strstr(err, "cut.json"));
			fl_report_free(r);
		}
}

static void test_a_missing_file_names_itself(void **state)
{
	struct fl_report_result *r = NULL;
	char err[512] = "";

	assert_int_equal(fl_report_load("/nonexistent/result.json", &r, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/result.json"));
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_rpo_result_reads_figures_lost_writes_and_windows),
		cmocka_unit_test(test_objectives_are_judged_from_the_trials_without_an_objectives_array),
		cmocka_unit_test(test_a_not_measured_objective_never_passes_even_if_the_file_says_so),
		cmocka_unit_test(test_a_scenario_result_reads_windows_lost_ids_and_availability),
		cmocka_unit_test(test_a_backup_result_has_phases_and_no_write_history),
		cmocka_unit_test(test_the_environment_is_read_when_the_result_has_it),
		cmocka_unit_test(test_the_mechanisms_used_are_one_row),
		cmocka_unit_test(test_an_event_log_is_read_line_by_line),
		cmocka_unit_test(test_malformed_results_name_the_file_and_the_field),
		cmocka_unit_test(test_a_result_cut_anywhere_is_refused_without_a_crash),
		cmocka_unit_test(test_a_missing_file_names_itself),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
