// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline report` on real results, made here in a few seconds: a short
 * `faultline rpo` (file: writer on faultfs, a power cut, two trials) and
 * a short `faultline backup run --strategy tar`. From them: the HTML page
 * (self-contained: SVG plots inlined, no script, nothing fetched), JUnit
 * that a strict parser accepts with the fields CI reads, Markdown, and
 * --compare's exit codes (0 same, 1 a regression, 3 not the same
 * experiment or a broken file). Then headless Chromium renders the page
 * offline to a PNG that must hold the plots (skipped without Chromium;
 * FL_REPORT_SCREENSHOT=PATH keeps the picture).
 */
#include <errno.h>
#include <limits.h>
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

#include "core/child.h"
#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

#define JUNIT_CHECK "tests/helpers/junit_check.py"
#define PNG_CHECK "tests/helpers/png_check.py"

static char bin_fl[PATH_MAX], src_dir[PATH_MAX];

/* Results made once, for every test of the file. */
static struct fl_fixture scratch;
static bool made;

static char *in_dir(const char *name)
{
	static char buf[4][PATH_MAX + 64];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", scratch.path, name);
	return buf[i];
}

static char *helper(const char *name)
{
	static char buf[PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s/%s", src_dir, name);
	return buf;
}

static int run(struct fl_cli_result *r, int timeout_ms, char *const argv[])
{
	int err = fl_cli_run(argv, timeout_ms, r);

	/* What a command said, when it did not succeed (Chromium is chatty when it does). */
	if ((err || r->code) && r->err && r->err[0])
		print_message("  %s: %s", argv[0], r->err);
	return err;
}

static int setup_group(void **state)
{
	struct fl_cli_result r;
	char spec[PATH_MAX + 64], bspec[PATH_MAX + 64];

	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	if (!getcwd(src_dir, sizeof(src_dir)) ||
	    fl_fixture_tmpdir_create(scratch.path, sizeof(scratch.path)))
		return -1;
	scratch.created = true;
	if (getuid() != 0 || access(bin_fl, X_OK) || access("/dev/fuse", R_OK))
		return 0; /* each test says why it skips */
	snprintf(spec, sizeof(spec), "file:%s?fsync=interval=200ms", in_dir("data/log"));
	snprintf(bspec, sizeof(bspec), "file:%s", in_dir("bdata/log"));
	mkdir(in_dir("data"), 0755);
	mkdir(in_dir("bdata"), 0755);
	if (run(&r, 60000, (char *[]){ bin_fl, "rpo", "-w", spec, "--fault", "powercut",
				       "--fault-at", "1s", "--after", "500ms", "--trials", "2",
				       "-o", in_dir("rpo.json"), NULL }) || r.code) {
		print_message("faultline rpo failed (%d)\n", r.code);
		fl_cli_result_free(&r);
		return 0;
	}
	fl_cli_result_free(&r);
	if (run(&r, 60000, (char *[]){ bin_fl, "backup", "run", "--strategy", "tar",
				       "--workload", bspec, "--schedule", "full@0s,incr@every:1s",
				       "--fault-at", "2s", "-o", in_dir("backup.json"), NULL }) ||
	    r.code) {
		print_message("faultline backup run failed (%d)\n", r.code);
		fl_cli_result_free(&r);
		return 0;
	}
	fl_cli_result_free(&r);
	made = true;
	return 0;
}

static int teardown_group(void **state)
{
	if (scratch.created)
		fl_fixture_tmpdir_destroy(scratch.path);
	return 0;
}

static bool require_results(void)
{
	if (!made)
		print_message("skip: needs root, FUSE and a working `faultline rpo` and `backup run` "
			      "to make the results\n");
	else if (access(helper(JUNIT_CHECK), R_OK) || access(helper(PNG_CHECK), R_OK))
		print_message("skip: run from the source tree (the checks are in tests/helpers)\n");
	else
		return true;
	return false;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_html_junit_and_markdown_from_real_results(void **state)
{
	struct fl_cli_result r;
	char *html;

	if (!require_results())
		skip();
	assert_int_equal(run(&r, 60000, (char *[]){ bin_fl, "report", in_dir("rpo.json"),
		in_dir("backup.json"), "-o", in_dir("report.html"), "--junit", in_dir("junit.xml"),
		"--markdown", NULL }), 0);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.err, "");  /* every plot drawn */
	assert_non_null(strstr(r.out, "| rpo | ≤ 60.00 s |"));
	/* The runners' own five objectives (their "objectives" array), as they judged them. */
	assert_non_null(strstr(r.out, "| mttr | ≤ 3.0 min |"));
	assert_non_null(strstr(r.out, "| mtbf | ≤ 720.0 h | needed "));
	assert_non_null(strstr(r.out, "### backup tar of file:"));
	fl_cli_result_free(&r);

	html = slurp(in_dir("report.html"));
	/* rpo: 2 trials x (time series + acked/lost), phases, distribution; backup: timeline, phases, distribution */
	assert_int_equal(count(html, "<svg"), 2 * 2 + 2 + 3);
	assert_int_equal(count(html, "Plot not drawn"), 0);
	assert_int_equal(count(html, "<script"), 0);
	assert_int_equal(count(html, "src=\""), 0);
	assert_int_equal(count(html, "<link"), 0);
	assert_int_equal(count(html, "http"), count(html, "http://www.w3.org/"));
	assert_non_null(strstr(html, "not in this result (it carries no write history)"));
	assert_non_null(strstr(html, "powercut"));
	assert_non_null(strstr(html, "95 % CI"));  /* MTTR over two trials */
	/* How each fault was made, as the runners recorded it. */
	assert_non_null(strstr(html, "fault powercut: kill(2) SIGKILL, then faultfs power cut (FUSE)"));
	assert_non_null(strstr(html, "storage: faultfs overlay (FUSE)"));
	assert_non_null(strstr(html, "fault disk-loss: kill(2) SIGKILL, then the data directory "
				     "removed; backup and restore: GNU tar"));
	free(html);

	assert_int_equal(run(&r, 20000, (char *[]){ "python3", helper(JUNIT_CHECK),
						    in_dir("junit.xml"), NULL }), 0);
	print_message("  %s", r.out);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
}

/* A copy of rpo.json with every trial's RTO times factor. */
static void slower_copy(const char *from, const char *to, double factor)
{
	json_t *doc = json_load_file(from, 0, NULL), *t;
	size_t i;

	assert_non_null(doc);
	json_array_foreach(json_object_get(doc, "trials"), i, t) {
		json_t *rto = json_object_get(t, "rto");
		json_t *ns = json_object_get(rto, "ns");

		if (json_is_integer(ns))
			json_object_set_new(rto, "ns", json_integer((json_int_t)
				((double)json_integer_value(ns) * factor)));
	}
	assert_int_equal(json_dump_file(doc, to, JSON_COMPACT), 0);
	json_decref(doc);
}

static void test_compare_exit_codes(void **state)
{
	struct fl_cli_result r;
	FILE *f;

	if (!require_results())
		skip();
	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", in_dir("rpo.json"),
		"--compare", in_dir("rpo.json"), NULL }), 0);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "No regression"));
	fl_cli_result_free(&r);

	slower_copy(in_dir("rpo.json"), in_dir("slower.json"), 1.5);
	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", in_dir("slower.json"),
		"--compare", in_dir("rpo.json"), NULL }), 0);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.out, "| RTO (worst trial) |"));
	assert_non_null(strstr(r.out, "+50.0 % | ❌ worse"));
	fl_cli_result_free(&r);
	/* The same, for machines: one JSON object on stdout. */
	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", in_dir("slower.json"),
		"--compare", in_dir("rpo.json"), "--json", NULL }), 0);
	assert_int_equal(r.code, 1);
	{
		json_t *doc = json_loads(r.out, 0, NULL), *c0;

		assert_non_null(doc);
		c0 = json_array_get(json_object_get(doc, "compare"), 0);
		assert_true(json_is_true(json_object_get(c0, "regression")));
		assert_true(json_is_true(json_object_get(json_object_get(c0, "rto"), "worse")));
		assert_true(json_is_false(json_object_get(json_object_get(c0, "rpo"), "worse")));
		assert_int_equal(json_array_size(json_object_get(doc, "results")), 1);
		json_decref(doc);
	}
	fl_cli_result_free(&r);
	/* 50 % worse is within a 60 % threshold. */
	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", in_dir("slower.json"),
		"--compare", in_dir("rpo.json"), "--threshold", "60", NULL }), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);

	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", in_dir("backup.json"),
		"--compare", in_dir("rpo.json"), NULL }), 0);
	assert_int_equal(r.code, 3);
	assert_non_null(strstr(r.err, "not the same experiment"));
	fl_cli_result_free(&r);

	f = fopen(in_dir("broken.json"), "we");
	assert_non_null(f);
	fputs("{\"schema\":\"faultline-rpo/1\",\"config\":{\"workload\":\"w\",\"fault\":\"kill\"},"
	      "\"trials\":[{\"measured\":\"yes\"}]}", f);
	fclose(f);
	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", in_dir("broken.json"), NULL }), 0);
	assert_int_equal(r.code, 3);
	assert_non_null(strstr(r.err, "broken.json: field trials[0].measured: expected true or false"));
	fl_cli_result_free(&r);

	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", NULL }), 0);
	assert_int_equal(r.code, 2);
	fl_cli_result_free(&r);
}

static void test_a_missing_gnuplot_leaves_a_note_not_a_broken_page(void **state)
{
	struct fl_cli_result r;
	char *html;
	FILE *f;

	if (!require_results())
		skip();
	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", in_dir("backup.json"),
		"-o", in_dir("nognuplot.html"), "--gnuplot", "/nonexistent/gnuplot", NULL }), 0);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.err, "plots not drawn"));
	fl_cli_result_free(&r);
	html = slurp(in_dir("nognuplot.html"));
	assert_non_null(strstr(html, "Plot not drawn: /nonexistent/gnuplot not found"));
	assert_non_null(strstr(html, "</html>"));
	free(html);

	/* A gnuplot that hangs is killed at --plot-timeout. */
	f = fopen(in_dir("hang.sh"), "we");
	assert_non_null(f);
	fputs("#!/bin/sh\nexec sleep 30\n", f);
	fclose(f);
	assert_int_equal(chmod(in_dir("hang.sh"), 0755), 0);
	assert_int_equal(run(&r, 30000, (char *[]){ bin_fl, "report", in_dir("backup.json"),
		"-o", in_dir("hang.html"), "--gnuplot", in_dir("hang.sh"), "--plot-timeout", "0.2",
		NULL }), 0);
	assert_int_equal(r.code, 0);
	assert_true(r.ms < 5000);
	fl_cli_result_free(&r);
	html = slurp(in_dir("hang.html"));
	assert_int_equal(count(html, "gnuplot took longer than 200 ms: killed"), 3);
	free(html);
}

static bool chromium(char *buf, size_t len)
{
	return !fl_child_which("chromium", buf, len) ||
	       !fl_child_which("chromium-browser", buf, len);
}

static void test_the_page_renders_offline_in_headless_chromium(void **state)
{
	char browser[PATH_MAX], shot[PATH_MAX + 64], url[PATH_MAX + 64], profile[PATH_MAX + 64];
	const char *keep = getenv("FL_REPORT_SCREENSHOT");
	struct fl_cli_result r;
	FILE *f;

	if (!require_results())
		skip();
	if (!chromium(browser, sizeof(browser))) {
		print_message("skip: no chromium on PATH (Debian package chromium)\n");
		skip();
	}
	assert_int_equal(run(&r, 60000, (char *[]){ bin_fl, "report", in_dir("rpo.json"),
		in_dir("backup.json"), "-o", in_dir("shot.html"), NULL }), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	snprintf(shot, sizeof(shot), "--screenshot=%s", keep ? keep : in_dir("shot.png"));
	snprintf(url, sizeof(url), "file://%s", in_dir("shot.html"));
	snprintf(profile, sizeof(profile), "--user-data-dir=%s", in_dir("chromium"));
	/* Every host name resolves to nothing: the page must not need the network. */
	assert_int_equal(run(&r, 90000, (char *[]){ browser, "--headless", "--no-sandbox",
		"--disable-gpu", "--hide-scrollbars", "--window-size=1100,2200",
		"--host-resolver-rules=MAP * ~NOTFOUND", profile, shot, url, NULL }), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	assert_int_equal(run(&r, 60000, (char *[]){ "python3", helper(PNG_CHECK),
		(char *)(keep ? keep : in_dir("shot.png")), NULL }), 0);
	print_message("  %s", r.out);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);

	/* The check itself: a blank page fails it. */
	f = fopen(in_dir("blank.html"), "we");
	assert_non_null(f);
	fputs("<!DOCTYPE html><html><body></body></html>\n", f);
	fclose(f);
	snprintf(shot, sizeof(shot), "--screenshot=%s", in_dir("blank.png"));
	snprintf(url, sizeof(url), "file://%s", in_dir("blank.html"));
	assert_int_equal(run(&r, 90000, (char *[]){ browser, "--headless", "--no-sandbox",
		"--disable-gpu", "--hide-scrollbars", "--window-size=400,300",
		"--host-resolver-rules=MAP * ~NOTFOUND", profile, shot, url, NULL }), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	assert_int_equal(run(&r, 60000, (char *[]){ "python3", helper(PNG_CHECK), in_dir("blank.png"),
						    NULL }), 0);
	assert_int_equal(r.code, 1);
	fl_cli_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_junit_and_markdown_from_real_results),
		cmocka_unit_test(test_compare_exit_codes),
		cmocka_unit_test(test_a_missing_gnuplot_leaves_a_note_not_a_broken_page),
		cmocka_unit_test(test_the_page_renders_offline_in_headless_chromium),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
