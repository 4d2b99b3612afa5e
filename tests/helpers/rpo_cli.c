// SPDX-License-Identifier: GPL-2.0-only
/* `faultline rpo` through the CLI, and its result's readers: see rpo_cli.h. */
#include <errno.h>
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

#include "cli_run.h"
#include "faultfs_mount.h"
#include "fixtures.h"
#include "rpo_cli.h"

/* Room for every option a test passes, after the fixed "faultline rpo --quiet -o FILE". */
#define MAX_ARGS 64

static char faultline[PATH_MAX];

bool fl_rpo_cli_require(void)
{
	if (!fl_test_require_root())
		return false;
	if (!fl_test_binary("faultline", faultline, sizeof(faultline)) ||
	    access(faultline, X_OK)) {
		print_message("skip: build/faultline is not built (run make)\n");
		return false;
	}
	return true;
}

bool fl_rpo_cli_require_service(enum fl_svc_kind kind)
{
	char why[1024];

	if (!fl_rpo_cli_require())
		return false;
	if (!fl_service_available(kind, why, sizeof(why))) {
		print_message("skip: %s\n", why);
		return false;
	}
	return true;
}

char *fl_rpo_cli_bin(void)
{
	return faultline;
}

static void vrun(const char *const *head, const char *dir, int timeout_ms, va_list args,
		 struct fl_rpo_cli_result *ret)
{
	char *argv[MAX_ARGS + 1], out[PATH_MAX];
	struct fl_cli_result r;
	const char *a;
	int n = 0;

	/* Found already when the test checked it may run; this finds it when it did not. */
	if (!faultline[0] && !fl_test_binary("faultline", faultline, sizeof(faultline)))
		fail_msg("build/faultline is not built (run make)");
	snprintf(out, sizeof(out), "%s/result.json", dir);
	unlink(out);
	argv[n++] = faultline;
	while (*head)
		argv[n++] = (char *)*head++;
	argv[n++] = "--quiet";
	argv[n++] = "-o";
	argv[n++] = out;
	while ((a = va_arg(args, const char *))) {
		/* Dropping an option silently would run another test than the one written. */
		if (n == MAX_ARGS)
			fail_msg("more than %d arguments for faultline", MAX_ARGS);
		argv[n++] = (char *)a;
	}
	argv[n] = NULL;
	assert_int_equal(fl_cli_run(argv, timeout_ms, &r), 0);
	print_message("  exit %d: %s", r.code, r.err);
	ret->code = r.code;
	ret->ms = r.ms;
	ret->err = strdup(r.err ? r.err : "");
	assert_non_null(ret->err);
	fl_cli_result_free(&r);
	ret->result = json_load_file(out, 0, NULL);
}

void fl_rpo_cli_run(const char *dir, int timeout_ms, struct fl_rpo_cli_result *ret, ...)
{
	va_list ap;

	va_start(ap, ret);
	vrun((const char *const[]){ "rpo", NULL }, dir, timeout_ms, ap, ret);
	va_end(ap);
}

void fl_cli_json_run(const char *const *cmd, const char *dir, int timeout_ms,
		     struct fl_rpo_cli_result *ret, ...)
{
	va_list ap;

	va_start(ap, ret);
	vrun(cmd, dir, timeout_ms, ap, ret);
	va_end(ap);
}

void fl_rpo_cli_result_free(struct fl_rpo_cli_result *r)
{
	free(r->err);
	json_decref(r->result);
	r->err = NULL;
	r->result = NULL;
}

int fl_rpo_cli(const char *dir, json_t **ret_result, char **ret_err, ...)
{
	struct fl_rpo_cli_result r;
	va_list ap;

	va_start(ap, ret_err);
	vrun((const char *const[]){ "rpo", NULL }, dir, FL_RPO_CLI_TIMEOUT_MS, ap, &r);
	va_end(ap);
	if (ret_result) {
		if (!r.result)
			fail_msg("no result file %s/result.json", dir);
		*ret_result = r.result;
		r.result = NULL;
	}
	if (ret_err) {
		*ret_err = r.err;
		r.err = NULL;
	}
	fl_rpo_cli_result_free(&r);
	return r.code;
}

json_t *fl_rpo_load_result(const char *path, const char *label)
{
	json_error_t jerr;
	json_t *res = json_load_file(path, 0, &jerr);

	if (!res)
		fail_msg("%s: no result file %s: %s", label, path, jerr.text);
	return res;
}

json_t *fl_rpo_trial(json_t *result, size_t i)
{
	json_t *t = json_array_get(json_object_get(result, "trials"), i);

	if (!t)
		fail_msg("the result has no trial %zu", i);
	return t;
}

void fl_rpo_assert_no_error(json_t *trial, const char *label)
{
	json_t *err = json_object_get(trial, "error");

	if (json_is_null(err))
		return;
	fail_msg("%s%s%s: %s", label ? label : "", label ? ": " : "",
		 json_string_value(json_object_get(err, "phase")),
		 json_string_value(json_object_get(err, "message")));
}

/* The value at a dotted path of objects, NULL when a step is missing. */
static json_t *at(json_t *o, const char *path)
{
	char buf[256], *key, *save = NULL;

	if (strlen(path) >= sizeof(buf))
		fail_msg("JSON path too long: %s", path);
	strcpy(buf, path);
	for (key = strtok_r(buf, ".", &save); key && o; key = strtok_r(NULL, ".", &save))
		o = json_object_get(o, key);
	return o;
}

json_int_t fl_json_int(json_t *o, const char *path)
{
	json_t *v = at(o, path);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

const char *fl_json_str(json_t *o, const char *path)
{
	const char *s = json_string_value(at(o, path));

	if (!s)
		fail_msg("%s is not a string", path);
	return s;
}

json_int_t fl_rpo_count(json_t *trial, const char *key)
{
	json_t *v = json_object_get(json_object_get(trial, "counts"), key);

	if (!json_is_integer(v))
		fail_msg("counts.%s is not an integer", key);
	return json_integer_value(v);
}
