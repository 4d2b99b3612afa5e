// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench's bookkeeping, run as make runs it: figures recorded by
 * tools/bench-lib.sh's bench_figure, collected into one results file by
 * tools/bench-results.py, compared with an older one (exit 1 on a
 * regression), refused when malformed (exit 2). No timing is asserted:
 * the figures here are made up, only the bookkeeping is under test.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "helpers/cli_run.h"
#include "helpers/fixtures.h"

static char dir[PATH_MAX], src[PATH_MAX];

static const char *in_dir(const char *name)
{
	static char buf[4][PATH_MAX + 64];
	static unsigned k;

	snprintf(buf[k % 4], sizeof(buf[0]), "%s/%s", dir, name);
	return buf[k++ % 4];
}

static int run(struct fl_cli_result *r, char *const argv[])
{
	return fl_cli_run(argv, 30000, r);
}

static bool have_tools(void)
{
	char lib[PATH_MAX + 32];

	snprintf(lib, sizeof(lib), "%s/tools/bench-lib.sh", src);
	if (access(lib, R_OK)) {
		print_message("skip: run from the source tree (tools/ holds the bench scripts)\n");
		return false;
	}
	if (access("/usr/bin/python3", X_OK)) {
		print_message("skip: python3 is missing (tools/install-deps.sh installs it)\n");
		return false;
	}
	return true;
}

/* Record figures through bench_figure with FL_BENCH_FIGURES set, as make bench does. */
static void record(const char *file, const char *calls)
{
	struct fl_cli_result r;
	char script[PATH_MAX + 1024], env[PATH_MAX + 32];

	snprintf(env, sizeof(env), "FL_BENCH_FIGURES=%s", file);
	snprintf(script, sizeof(script), "source '%s/tools/bench-lib.sh' && %s", src, calls);
	assert_int_equal(run(&r, (char *[]){ "env", env, "bash", "-c", script, NULL }), 0);
	if (r.code)
		print_message("%s", r.err);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
}

static int results(struct fl_cli_result *r, const char *cmd, const char *a, const char *b,
		   const char *c, const char *d)
{
	char tool[PATH_MAX + 32];

	snprintf(tool, sizeof(tool), "%s/tools/bench-results.py", src);
	return run(r, (char *[]){ "python3", tool, (char *)cmd, (char *)a, (char *)b, (char *)c,
				  (char *)d, NULL });
}

static const char figures[] =
	"bench_figure syscall 'bystander open+close' 105 ns/iter native 100 1.05 lower 1.02 "
	"1.01 1.08 'x native' && "
	"bench_figure faultfs '4k write+fsync' 2100 IOPS passthrough_ll 3000 0.70 higher 1.0 && "
	"bench_figure syscall 'probe wall' 0.4 s '' '' '' lower";

static void test_figures_are_collected_with_the_machine_and_the_load(void **state)
{
	struct fl_cli_result r;
	json_t *doc, *f;

	(void)state;
	if (!have_tools())
		skip();
	record(in_dir("a.jsonl"), figures);
	assert_int_equal(results(&r, "collect", in_dir("a.jsonl"), in_dir("a.json"),
				 "--load-start", "1.5"), 0);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "| syscall | bystander open+close | 105 ns/iter | native 100 "
				      "| 1.05 (1.01-1.08) | <= 1.02 | NOT met |"));
	assert_non_null(strstr(r.out, "3 figures in"));
	fl_cli_result_free(&r);

	doc = json_load_file(in_dir("a.json"), 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")), "faultline-bench/1");
	assert_non_null(json_object_get(json_object_get(doc, "machine"), "kernel"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "loadavg"),
							       "start")), "1.5");
	assert_int_equal(json_array_size(json_object_get(doc, "figures")), 3);
	f = json_array_get(json_object_get(doc, "figures"), 1);
	/* Every figure carries its baseline, its ratio, its goal and the load it ran under. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "baseline"), "name")),
			    "passthrough_ll");
	assert_true(json_real_value(json_object_get(f, "ratio")) == 0.70);
	assert_true(json_is_false(json_object_get(f, "met")));
	assert_true(json_is_number(json_object_get(f, "loadavg")));
	/* No baseline, no goal: nulls, never a made-up verdict. */
	f = json_array_get(json_object_get(doc, "figures"), 2);
	assert_true(json_is_null(json_object_get(f, "ratio")));
	assert_true(json_is_null(json_object_get(f, "met")));
	json_decref(doc);
}

static void test_compare_exits_1_on_a_regression_either_way(void **state)
{
	struct fl_cli_result r;

	(void)state;
	if (!have_tools())
		skip();
	record(in_dir("old.jsonl"), figures);
	assert_int_equal(results(&r, "collect", in_dir("old.jsonl"), in_dir("old.json"), NULL, NULL), 0);
	fl_cli_result_free(&r);

	/* The same figures within 10 %: no regression. */
	record(in_dir("same.jsonl"),
	       "bench_figure syscall 'bystander open+close' 108 ns/iter native 100 1.08 lower 1.02 && "
	       "bench_figure faultfs '4k write+fsync' 2000 IOPS passthrough_ll 3000 0.67 higher 1.0");
	assert_int_equal(results(&r, "collect", in_dir("same.jsonl"), in_dir("same.json"), NULL, NULL), 0);
	fl_cli_result_free(&r);
	assert_int_equal(results(&r, "compare", in_dir("old.json"), in_dir("same.json"), NULL, NULL), 0);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "| syscall | probe wall | 0.4 | - | - | gone |"));
	fl_cli_result_free(&r);

	/* A cost ratio that rose, and a throughput ratio that fell: both regressions. */
	record(in_dir("worse.jsonl"),
	       "bench_figure syscall 'bystander open+close' 130 ns/iter native 100 1.30 lower 1.02 && "
	       "bench_figure faultfs '4k write+fsync' 1500 IOPS passthrough_ll 3000 0.50 higher 1.0");
	assert_int_equal(results(&r, "collect", in_dir("worse.jsonl"), in_dir("worse.json"), NULL, NULL), 0);
	fl_cli_result_free(&r);
	assert_int_equal(results(&r, "compare", in_dir("old.json"), in_dir("worse.json"), NULL, NULL), 0);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.out, "| syscall | bystander open+close | 1.05 | 1.3 | +23.8 % | REGRESSION |"));
	assert_non_null(strstr(r.out, "| faultfs | 4k write+fsync | 0.7 | 0.5 | -28.6 % | REGRESSION |"));
	assert_non_null(strstr(r.out, "2 regressions"));
	fl_cli_result_free(&r);
	/* A looser threshold lets them through. */
	assert_int_equal(results(&r, "compare", in_dir("old.json"), in_dir("worse.json"),
				 "--threshold", "30"), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
}

static void test_malformed_input_exits_2_with_the_file_named(void **state)
{
	struct fl_cli_result r;
	FILE *f;

	(void)state;
	if (!have_tools())
		skip();
	f = fopen(in_dir("bad.json"), "w");
	assert_non_null(f);
	fputs("{\"schema\": \"faultline-rpo/2\", \"figures\": []}\n", f);
	fclose(f);
	assert_int_equal(results(&r, "compare", in_dir("bad.json"), in_dir("bad.json"), NULL, NULL), 0);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "bad.json: not a faultline-bench/1 document"));
	fl_cli_result_free(&r);

	f = fopen(in_dir("bad.jsonl"), "w");
	assert_non_null(f);
	fputs("{\"bench\": \"x\"\n", f);
	fclose(f);
	assert_int_equal(results(&r, "collect", in_dir("bad.jsonl"), in_dir("x.json"), NULL, NULL), 0);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "bad.jsonl:1:"));
	fl_cli_result_free(&r);

	/* bench_figure refuses a direction it does not know. */
	assert_int_equal(run(&r, (char *[]){ "env", "FL_BENCH_FIGURES=/dev/null", "bash", "-c",
		"source tools/bench-lib.sh && bench_figure x y 1 s b 1 1 sideways", NULL }), 0);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.err, "BETTER is lower or higher"));
	fl_cli_result_free(&r);
}

static int setup(void **state)
{
	(void)state;
	if (!getcwd(src, sizeof(src)))
		return -1;
	return fl_fixture_tmpdir_create(dir, sizeof(dir));
}

static int teardown(void **state)
{
	(void)state;
	return fl_fixture_tmpdir_destroy(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures_are_collected_with_the_machine_and_the_load),
		cmocka_unit_test(test_compare_exits_1_on_a_regression_either_way),
		cmocka_unit_test(test_malformed_input_exits_2_with_the_file_named),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
