// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline scenario check FILE [--json]` as a user runs it: the summary
 * of a valid file on stdout and exit 0; every error as FILE:LINE:COL on
 * stderr (or in the JSON on stdout) and exit 2; `scenario run` refuses
 * bad usage before anything runs. No privileges (the runs themselves are
 * in tests/integration/scenario).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"

static char faultline[PATH_MAX];
static char bad_file[PATH_MAX + 16];

static const char bad_yaml[] =
	"name: bad\n"
	"cluster: etcd\n"
	"steps:\n"
	"  - {at: 5 seconds, fault: crash, node: n1}\n"
	"  - {at: 6s, fault: \"disk=write:error=EIOX\", node: n9}\n";

static int setup(void **state)
{
	FILE *f;

	if (fl_setup_tmpdir(state))
		return -1;
	if (!fl_test_binary("faultline", faultline, sizeof(faultline)))
		return 0;
	snprintf(bad_file, sizeof(bad_file), "%s/bad.yaml", ((struct fl_fixture *)*state)->path);
	f = fopen(bad_file, "w");
	if (!f || fputs(bad_yaml, f) < 0 || fclose(f))
		return -1;
	return 0;
}

static void run(char *const argv[], struct fl_cli_result *r)
{
	assert_int_equal(fl_cli_run(argv, 10000, r), 0);
}

static bool ready(void)
{
	if (!faultline[0]) {
		print_message("skip: build/faultline is not built\n");
		return false;
	}
	if (access("examples/scenarios/cascade.yaml", R_OK)) {
		print_message("skip: run from the source tree (examples/scenarios/)\n");
		return false;
	}
	return true;
}

static void test_check_text(void **state)
{
	char *argv[] = { faultline, "scenario", "check", "examples/scenarios/cascade.yaml", NULL };
	struct fl_cli_result r;

	if (!ready())
		skip();
	run(argv, &r);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "examples/scenarios/cascade.yaml: scenario cascade is valid\n"));
	assert_non_null(strstr(r.out, "cluster:    etcd, 3 nodes: n1, n2, n3 (roles leader, "
				      "follower, old-leader are resolved at run time)\n"));
	assert_non_null(strstr(r.out, "   1. at 3s                              fault  partition "
				      "between [n1] | [n2, n3]\n"));
	assert_non_null(strstr(r.out, "   3. after the previous step's effect   fault  "
				      "disk=write:error=ENOSPC on n3 for 5s\n"));
	assert_non_null(strstr(r.out, "objectives: rpo <= 0s\n"));
	assert_non_null(strstr(r.out, "trials:     5, seed 7, 25s each\n"));
	assert_non_null(strstr(r.out, "run it:     sudo faultline scenario run "
				      "examples/scenarios/cascade.yaml\n"));
	fl_cli_result_free(&r);
}

/* Own nodes (one over SSH), a repeating step and a nemesis: the whole summary. */
static void test_check_own_nodes(void **state)
{
	static const char yaml[] =
		"name: own-redis\n"
		"nodes:\n"
		"  - {name: a, start: \"redis-server --port 7000\", data_dir: /var/tmp/a}\n"
		"  - {name: b, start: \"redis-server --port 7001\", data_dir: /var/tmp/b,\n"
		"     host: \"ssh://root@10.1.2.3:2222\"}\n"
		"workload: {kind: redis, target: a, rate: 100}\n"
		"nemesis: {faults: [partition, \"net=tcp:drop:prob=30%\"], interval: 5s, seed: 7}\n"
		"steps:\n"
		"  - {every: 2s, for: 10s, fault: pause, node: b, duration: 500ms}\n"
		"objectives: {availability: 99.5%}\n";
	char path[PATH_MAX + 16], want[3 * PATH_MAX + 4096];
	char *argv[] = { faultline, "scenario", "check", path, NULL };
	struct fl_cli_result r;
	FILE *f;

	if (!ready())
		skip();
	snprintf(path, sizeof(path), "%s/own.yaml", ((struct fl_fixture *)*state)->path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(yaml, f);
	assert_int_equal(fclose(f), 0);
	run(argv, &r);
	assert_int_equal(r.code, 0);
	snprintf(want, sizeof(want),
		 "%s: scenario own-redis is valid\n"
		 "nodes:      2\n"
		 "  a          data /var/tmp/a, start: redis-server --port 7000\n"
		 "  b          data /var/tmp/b, start: redis-server --port 7001, over ssh to "
		 "root@10.1.2.3 port 2222\n"
		 "workload:   redis, 4 clients to a, 100 writes/s, 128-byte payload\n"
		 "reads:      register (2 clients, 100 ops/s, 8 keys), bank (2 clients, 50 ops/s, "
		 "5 accounts)\n"
		 "steps:\n"
		 "   1. every 2s for 10s                   fault  pause on b for 500ms\n"
		 "nemesis:    partition, net=tcp:drop:prob=30%% on random nodes every 5s, seed 7\n"
		 "objectives: availability >= 99.5%%\n"
		 "trials:     1, 20s each (the last timed step + 10s)\n"
		 "run it:     sudo faultline scenario run %s\n", path, path);
	assert_string_equal(r.out, want);
	fl_cli_result_free(&r);
}

/* Every shipped example passes 'scenario check', through the CLI. */
static void test_examples_check(void **state)
{
	char *argv[] = { faultline, "scenario", "check", NULL, NULL };
	struct fl_cli_result r;
	glob_t g;

	if (!ready())
		skip();
	assert_int_equal(glob("examples/scenarios/*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 6);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		argv[3] = g.gl_pathv[i];
		run(argv, &r);
		if (r.code != 0)
			fail_msg("%s: exit %d: %s", g.gl_pathv[i], r.code, r.err);
		assert_non_null(strstr(r.out, " is valid\n"));
		fl_cli_result_free(&r);
	}
	globfree(&g);
}

static void test_check_json(void **state)
{
	char *argv[] = { faultline, "scenario", "check", "--json",
			 "examples/scenarios/pg-async-failover.yaml", NULL };
	char *global[] = { faultline, "--json", "scenario", "check",
			   "examples/scenarios/pg-async-failover.yaml", NULL };
	struct fl_cli_result r;
	json_t *o, *steps;

	if (!ready())
		skip();
	for (int k = 0; k < 2; k++) {
		run(k ? global : argv, &r);
		assert_int_equal(r.code, 0);
		o = json_loads(r.out, 0, NULL);
		assert_non_null(o);
		assert_true(json_is_true(json_object_get(o, "valid")));
		assert_string_equal(json_string_value(json_object_get(o, "cluster")),
				    "postgres-replica");
		assert_int_equal(json_array_size(json_object_get(o, "nodes")), 2);
		steps = json_object_get(o, "steps");
		assert_int_equal(json_array_size(steps), 3);
		assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 0), "op")),
				    "powercut");
		assert_true(json_is_true(json_object_get(json_object_get(json_array_get(steps, 1),
							   "schedule"), "after_previous")));
		assert_true(json_is_null(json_object_get(json_object_get(o, "objectives"), "rpo_ms")));
		assert_true(json_real_value(json_object_get(json_object_get(o, "objectives"),
							    "rto_ms")) == 30000.0);
		assert_int_equal(json_integer_value(json_object_get(o, "trials")), 5);
		json_decref(o);
		fl_cli_result_free(&r);
	}
}

static void test_errors_text(void **state)
{
	char *argv[] = { faultline, "scenario", "check", bad_file, NULL };
	struct fl_cli_result r;
	char want[4 * PATH_MAX];

	if (!ready())
		skip();
	run(argv, &r);
	assert_int_equal(r.code, 2);
	assert_string_equal(r.out, "");
	snprintf(want, sizeof(want),
		 "%s:4:10: steps[1].at: expected a duration like 5s or 250ms, got \"5 seconds\"\n"
		 "%s:5:39: steps[2].fault: disk rule \"write:error=EIOX\": unknown errno 'EIOX' at column 13\n"
		 "%s:5:52: steps[2].node: unknown node \"n9\"; this etcd cluster has n1 to n3\n",
		 bad_file, bad_file, bad_file);
	assert_string_equal(r.err, want);
	fl_cli_result_free(&r);
}

static void test_errors_json(void **state)
{
	char *argv[] = { faultline, "scenario", "check", "--json", bad_file, NULL };
	struct fl_cli_result r;
	json_t *o, *e;

	if (!ready())
		skip();
	run(argv, &r);
	assert_int_equal(r.code, 2);
	assert_string_equal(r.err, "");
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	assert_true(json_is_false(json_object_get(o, "valid")));
	assert_int_equal(json_integer_value(json_object_get(o, "errors_total")), 3);
	e = json_array_get(json_object_get(o, "errors"), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 5);
	assert_int_equal(json_integer_value(json_object_get(e, "column")), 39);
	assert_string_equal(json_string_value(json_object_get(e, "message")),
			    "steps[2].fault: disk rule \"write:error=EIOX\": unknown errno 'EIOX' "
			    "at column 13");
	json_decref(o);
	fl_cli_result_free(&r);
}

static void test_usage(void **state)
{
	char *missing[] = { faultline, "scenario", "check", "/nonexistent/s.yaml", NULL };
	char *none[] = { faultline, "scenario", "check", NULL };
	char *verb[] = { faultline, "scenario", "chek", "x.yaml", NULL };
	char *bare[] = { faultline, "scenario", NULL };
	/* Refused before anything runs, root or not. */
	char *runv[] = { faultline, "scenario", "run", "examples/scenarios/pg-sync.yaml", "--trials",
			 "0", NULL };
	char *help[] = { faultline, "scenario", "run", "--help", NULL };
	struct fl_cli_result r;

	if (!ready())
		skip();
	run(missing, &r);
	assert_int_equal(r.code, 2);
	assert_string_equal(r.err, "faultline: cannot read scenario /nonexistent/s.yaml: "
			    "No such file or directory\n");
	fl_cli_result_free(&r);
	run(none, &r);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "expected one FILE"));
	fl_cli_result_free(&r);
	run(verb, &r);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "unknown verb 'chek'"));
	fl_cli_result_free(&r);
	run(bare, &r);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "Usage: faultline scenario check FILE"));
	fl_cli_result_free(&r);
	run(runv, &r);
	assert_int_equal(r.code, 2);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "faultline: scenario run: --trials: expected 1 to 1000, "
				      "got '0'"));
	fl_cli_result_free(&r);
	run(help, &r);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "Usage: faultline scenario run FILE [OPTIONS]"));
	fl_cli_result_free(&r);
}

/*
 * The first max fenced blocks of README's scenario section, in order
 * (malloc'ed texts); the section's later subsections have blocks of their own.
 */
static size_t readme_blocks(char **blocks, size_t max)
{
	FILE *f = fopen("README.md", "re");
	char line[1024];
	bool in_section = false, in_block = false;
	size_t n = 0, len = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "## ", 3)) {
			in_section = strstr(line, "`faultline scenario`") != NULL;
			continue;
		}
		if (!in_section)
			continue;
		if (!strncmp(line, "```", 3)) {
			in_block = !in_block;
			if (in_block && n == max)
				break;
			if (in_block) {
				blocks[n++] = calloc(1, 16384);
				len = 0;
			}
			continue;
		}
		if (in_block) {
			assert_true(len + strlen(line) < 16384);
			memcpy(blocks[n - 1] + len, line, strlen(line) + 1);
			len += strlen(line);
		}
	}
	fclose(f);
	return n;
}

static char *write_file(void **state, const char *name, const char *text)
{
	static char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", ((struct fl_fixture *)*state)->path, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* What README's scenario section shows is what faultline does. */
static void test_readme_examples(void **state)
{
	char *blocks[8] = { 0 }, *argv[] = { faultline, "scenario", "check", NULL, NULL };
	char *path, prefix[PATH_MAX + 8], *err, *p;
	struct fl_cli_result r;
	size_t n;

	if (!ready())
		skip();
	n = readme_blocks(blocks, 4);
	assert_int_equal(n, 4);
	/* 0: a valid file */
	argv[3] = write_file(state, "first.yaml", blocks[0]);
	run(argv, &r);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	/* 1: the summary of examples/scenarios/cascade.yaml, exactly */
	argv[3] = "examples/scenarios/cascade.yaml";
	run(argv, &r);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, blocks[1]);
	fl_cli_result_free(&r);
	/* 2, 3: pg.yaml and its errors, exactly (the path shown as pg.yaml) */
	path = write_file(state, "pg.yaml", blocks[2]);
	argv[3] = path;
	run(argv, &r);
	assert_int_equal(r.code, 2);
	snprintf(prefix, sizeof(prefix), "%s/", ((struct fl_fixture *)*state)->path);
	err = calloc(1, strlen(r.err) + 1);
	assert_non_null(err);
	for (p = r.err; *p; ) {
		if (!strncmp(p, prefix, strlen(prefix)))
			p += strlen(prefix);
		else
			strncat(err, p++, 1);
	}
	assert_string_equal(err, blocks[3]);
	free(err);
	fl_cli_result_free(&r);
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_text),
		cmocka_unit_test(test_examples_check),
		cmocka_unit_test(test_check_own_nodes),
		cmocka_unit_test(test_check_json),
		cmocka_unit_test(test_errors_text),
		cmocka_unit_test(test_errors_json),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_readme_examples),
	};

	return cmocka_run_group_tests(tests, setup, fl_teardown_tmpdir);
}
