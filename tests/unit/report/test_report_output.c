// SPDX-License-Identifier: GPL-2.0-only
/*
 * What faultline report writes, from hand-made results: JUnit XML that a
 * strict parser accepts with the fields GitLab and Jenkins read (checked
 * by tests/helpers/junit_check.py through python3's expat), failures that
 * name the objective and by how much, not-measured objectives skipped and
 * never passed; the Markdown tables; and --compare's regression logic.
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
#include <unistd.h>
#include <cmocka.h>

#include <faultline/report.h>

#include "helpers/cli_run.h"
#include "report_docs.h"

#define JUNIT_CHECK "tests/helpers/junit_check.py"

static struct fl_report_result *parse(const char *name, const char *text)
{
	struct fl_report_result *r = NULL;
	char err[512] = "";

	if (fl_report_parse(name, text, strlen(text), &r, err, sizeof(err)))
		print_message("unexpected: %s\n", err);
	assert_non_null(r);
	return r;
}

/* doc with from replaced by to (first occurrence). */
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

typedef int (*writer)(FILE *, const struct fl_report_result *const *, size_t);

static char *render(writer fn, struct fl_report_result **r, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, (const struct fl_report_result *const *)r, n), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_junit_has_a_suite_per_result_and_a_case_per_trial_and_objective(void **state)
{
	struct fl_report_result *r[3] = { parse("rpo.json", rpo_doc),
					   parse("sc.json", scenario_doc),
					   parse("bk.json", backup_doc) };
	char *xml = render(fl_report_junit, r, 3), path[] = "/tmp/fl-junit-XXXXXX";
	char *argv[] = { "python3", JUNIT_CHECK, path, NULL };
	struct fl_cli_result res;
	FILE *f;
	int fd;

	/* rpo: trial 1 breaks RPO (50 ms > 40 ms), trial 2 never measured. */
	assert_non_null(strstr(xml, "<testsuites name=\"faultline report\" tests=\"19\""));
	assert_non_null(strstr(xml, "<testsuite name=\"rpo.json\" tests=\"7\" failures=\"2\" "
				    "errors=\"1\" skipped=\"3\""));
	assert_non_null(strstr(xml, "trial 1: RPO 50.0 ms exceeds the objective 40.0 ms by 10.0 ms"));
	assert_non_null(strstr(xml, "rpo 50.0 ms exceeds the objective &lt;= 40.0 ms by 10.0 ms"));
	assert_non_null(strstr(xml, "<error type=\"not measured\" message=\"restart: no start\""));
	assert_non_null(strstr(xml, "<testcase name=\"objective mtbf\" classname=\"faultline.rpo."
				    "objectives\" time=\"0\">\n      <skipped message=\"not measured"));
	/* scenario: availability 99.5 % under 99.9 %, by 0.4 points. */
	assert_non_null(strstr(xml, "availability 99.500 % is below the objective &gt;= 99.900 % "
				    "by 0.400 percentage points"));
	if (access(JUNIT_CHECK, R_OK) || fl_cli_run((char *[]){ "python3", "-c", "", NULL }, 10000,
						    &res)) {
		print_message("skip: the strict XML check needs python3 and " JUNIT_CHECK
			      " (run from the source tree)\n");
		goto out;
	}
	fl_cli_result_free(&res);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(xml, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(fl_cli_run(argv, 20000, &res), 0);
	print_message("%s", res.out);
	assert_int_equal(res.code, 0);
	fl_cli_result_free(&res);
	unlink(path);
out:
	free(xml);
	for (int i = 0; i < 3; i++)
		fl_report_free(r[i]);
}

static void test_junit_escapes_what_a_result_says(void **state)
{
	char *doc = patched(rpo_doc, "\"message\":\"no start\"",
			    "\"message\":\"<oops> & \\\"quoted\\\" \\u0001\"");
	struct fl_report_result *r = parse("a&b<c>.json", doc);
	char *xml = render(fl_report_junit, &r, 1);

	assert_non_null(strstr(xml, "name=\"a&amp;b&lt;c&gt;.json\""));
	assert_non_null(strstr(xml, "&lt;oops&gt; &amp; &quot;quoted&quot;  \""));
	assert_null(strstr(xml, "\x01"));
	free(xml);
	free(doc);
	fl_report_free(r);
}

static void test_markdown_has_the_objectives_and_trials_tables(void **state)
{
	struct fl_report_result *r = parse("rpo.json", rpo_doc);
	char *md = render(fl_report_markdown, &r, 1);

	assert_non_null(strstr(md, "| objective | target | value | margin | status | verdict |"));
	assert_non_null(strstr(md, "| rpo | ≤ 40.0 ms | 50.0 ms | -10.0 ms | measured | ❌ FAIL |"));
	assert_non_null(strstr(md, "| rto | ≤ 1.00 s | 400.0 ms | +600.0 ms | measured | ✅ pass |"));
	assert_non_null(strstr(md, "| mttr |  — | — | — | not measured | not measured |"));
	assert_non_null(strstr(md, "| 1 | 50.0 ms | 400.0 ms | 3 | 1 |  |"));
	assert_non_null(strstr(md, "| 2 | — | — | 0 | 0 | not measured: restart: no start |"));
	assert_null(strstr(md, "mtbf | ≥ — | — | — | not measured | ✅"));
	free(md);
	fl_report_free(r);
}

/* The five as userspace/objectives writes them (fl_verdict_json). */
static void test_a_results_own_objectives_are_shown_as_judged_there(void **state)
{
	char *doc = patched(rpo_doc, "\"objectives\":{\"rpo_max_ns\":40000000,\"rto_max_ns\":1000000000}",
		"\"objectives\":["
		"{\"name\":\"rto\",\"status\":\"measured\",\"set\":true,\"judged\":true,\"pass\":true,"
		"\"unit\":\"ns\",\"value\":400000000,\"target\":300000000000,\"margin\":299600000000,"
		"\"ci_low\":null,\"ci_high\":null,\"n\":1,\"how\":\"measured: the worst of 1\"},"
		"{\"name\":\"mttr\",\"status\":\"measured\",\"set\":true,\"judged\":true,\"pass\":false,"
		"\"unit\":\"ns\",\"value\":200000000000,\"target\":180000000000,\"margin\":-20000000000,"
		"\"ci_low\":150000000000,\"ci_high\":250000000000,\"n\":3,\"how\":\"measured: mean of 3\"},"
		"{\"name\":\"availability\",\"status\":\"derived\",\"set\":true,\"judged\":false,"
		"\"pass\":true,\"unit\":\"ppm\",\"value\":999999.8,\"target\":999000,\"margin\":999.8,"
		"\"ci_low\":null,\"ci_high\":null,\"n\":3,\"how\":\"derived: long run\"},"
		"{\"name\":\"mtbf\",\"status\":\"derived\",\"set\":true,\"judged\":true,\"pass\":true,"
		"\"unit\":\"ns\",\"value\":10000000000000,\"target\":2592000000000000,"
		"\"margin\":2582000000000000,\"ci_low\":null,\"ci_high\":null,\"n\":3,"
		"\"how\":\"derived: the MTBF needed for 99.9 %\"}]");
	struct fl_report_result *r = parse("own.json", doc);
	char *md = render(fl_report_markdown, &r, 1), *xml = render(fl_report_junit, &r, 1);

	assert_false(r->obj[FL_REP_OBJ_AVAILABILITY].pass);   /* not judged: never a pass */
	assert_false(r->obj[FL_REP_OBJ_RPO].pass);            /* absent */
	assert_true(r->obj[FL_REP_OBJ_MTBF].at_most);
	assert_non_null(strstr(md, "| mttr | ≤ 3.0 min | 3.3 min (95 % CI 2.5 min – 4.2 min) | "
				   "-20.00 s | measured | ❌ FAIL |"));
	/* 99.99998 % is not rounded up to a perfect 100.000 %. */
	assert_non_null(strstr(md, "| availability | ≥ 99.900 % | 99.99998 % | +0.100 pp | derived | "
				   "not judged |"));
	assert_non_null(strstr(md, "| mtbf | ≤ 720.0 h | needed 2.8 h | +717.2 h | derived | ✅ pass |"));
	assert_non_null(strstr(xml, "mttr 3.3 min (95 % CI 2.5 min – 4.2 min) exceeds the objective "
				    "&lt;= 3.0 min by 20.00 s"));
	assert_non_null(strstr(xml, "<skipped message=\"not judged: derived: long run\""));
	free(md);
	free(xml);
	free(doc);
	fl_report_free(r);
}

/* rpo_doc with trial 1's RPO and RTO set (ns). */
static struct fl_report_result *with(const char *name, const char *rpo_ns, const char *rto_ns)
{
	char from_rpo[] = "\"rpo\":{\"ns\":50000000}", from_rto[] = "\"rto\":{\"ns\":400000000,";
	char to_rpo[64], to_rto[64], *a, *b;
	struct fl_report_result *r;

	snprintf(to_rpo, sizeof(to_rpo), "\"rpo\":{\"ns\":%s}", rpo_ns);
	snprintf(to_rto, sizeof(to_rto), "\"rto\":{\"ns\":%s,", rto_ns);
	a = patched(rpo_doc, from_rpo, to_rpo);
	b = patched(a, from_rto, to_rto);
	r = parse(name, b);
	free(a);
	free(b);
	return r;
}

static bool compare(const char *old_rpo, const char *old_rto, const char *new_rpo,
		    const char *new_rto, double pct)
{
	struct fl_report_result *o = with("old.json", old_rpo, old_rto),
				*n = with("new.json", new_rpo, new_rto);
	struct fl_rep_compare c;
	char err[256];

	assert_int_equal(fl_report_compare(o, n, pct, &c, err, sizeof(err)), 0);
	fl_report_free(o);
	fl_report_free(n);
	return c.regression;
}

static void test_compare_flags_rpo_or_rto_worse_than_the_threshold(void **state)
{
	assert_false(compare("50000000", "400000000", "50000000", "400000000", 10));
	assert_true(compare("50000000", "400000000", "56000000", "400000000", 10));  /* +12 % */
	assert_false(compare("50000000", "400000000", "56000000", "400000000", 15));
	assert_true(compare("50000000", "400000000", "50000000", "480000000", 10));  /* +20 % */
	assert_false(compare("50000000", "400000000", "10000000", "100000000", 10)); /* better */
	assert_true(compare("0", "400000000", "1000", "400000000", 10));   /* nothing lost -> loss */
	assert_true(compare("50000000", "400000000", "50000000", "null", 10)); /* never recovered */
}

static void test_compare_refuses_two_different_experiments(void **state)
{
	char *doc = patched(rpo_doc, "\"fault\":\"kill\"", "\"fault\":\"powercut\"");
	struct fl_report_result *a = parse("a.json", rpo_doc), *b = parse("b.json", doc),
				*c = parse("c.json", backup_doc);
	struct fl_rep_compare cmp;
	char err[512] = "", *md = NULL;
	size_t len;
	FILE *f;

	assert_int_equal(fl_report_compare(a, b, 10, &cmp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not the same experiment"));
	assert_int_equal(fl_report_compare(a, c, 10, &cmp, err, sizeof(err)), -EINVAL);
	assert_int_equal(fl_report_compare(a, a, 10, &cmp, err, sizeof(err)), 0);
	{
		/* The same experiment in another scratch directory. */
		char *moved = patched(rpo_doc, "file:/d/log", "file:/elsewhere/log");
		struct fl_report_result *m = parse("m.json", moved);

		assert_int_equal(fl_report_compare(a, m, 10, &cmp, err, sizeof(err)), 0);
		fl_report_free(m);
		free(moved);
	}
	f = open_memstream(&md, &len);
	assert_int_equal(fl_report_compare_markdown(f, a, a, &cmp), 0);
	fclose(f);
	assert_non_null(strstr(md, "| RPO (worst trial) | 50.0 ms | 50.0 ms | +0.0 % | ✅ ok |"));
	assert_non_null(strstr(md, "No regression"));
	free(md);
	free(doc);
	fl_report_free(a);
	fl_report_free(b);
	fl_report_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_junit_has_a_suite_per_result_and_a_case_per_trial_and_objective),
		cmocka_unit_test(test_junit_escapes_what_a_result_says),
		cmocka_unit_test(test_markdown_has_the_objectives_and_trials_tables),
		cmocka_unit_test(test_a_results_own_objectives_are_shown_as_judged_there),
		cmocka_unit_test(test_compare_flags_rpo_or_rto_worse_than_the_threshold),
		cmocka_unit_test(test_compare_refuses_two_different_experiments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
