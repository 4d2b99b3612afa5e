// SPDX-License-Identifier: GPL-2.0-only
/*
 * The health check of an exec: client: each ping starts a client and
 * gives it --ping-timeout (500 ms by default) to answer PING. A client
 * that needs a second to start never becomes healthy with the default,
 * and the failure says so, naming the client and the budget; with a
 * longer --ping-timeout the same client runs a whole trial.
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
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include <faultline/workload.h>
#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"

#define EXEC_CLIENT "tests/targets/rpo_exec_client.py"

/* The example client, behind a second of start-up: a slow interpreter. */
static bool slow_client(const struct fl_fixture *fx, char *buf, size_t len)
{
	char client[PATH_MAX];

	if (!fl_rpo_cli_require())
		return false;
	if (!realpath(EXEC_CLIENT, client) || system("python3 -c pass") != 0) {
		print_message("skip: needs python3 and %s (run from the source tree)\n", EXEC_CLIENT);
		return false;
	}
	snprintf(buf, len, "exec:sleep 1; exec python3 %s %s/store", client, fx->path);
	return true;
}

/* A trial of the client w, --ping-timeout ping when not NULL; the result is NULL when refused. */
static int rpo(const struct fl_fixture *fx, const char *w, const char *ping, char **ret_err,
	       json_t **ret_res)
{
	struct fl_rpo_cli_result r;

	fl_rpo_cli_run(fx->path, FL_RPO_CLI_TIMEOUT_MS, &r, "-w", w, "--start", "exec sleep 30",
		       "--health-timeout", "3s", "--fault", "kill", "--fault-at", "500ms",
		       "--after", "300ms", "-c", "2", ping ? "--ping-timeout" : NULL, ping, NULL);
	*ret_err = r.err;
	*ret_res = r.result;
	return r.code;
}

static void test_a_slow_client_fails_the_default_ping_timeout_and_says_so(void **state)
{
	struct fl_fixture *fx = *state;
	char w[2 * PATH_MAX + 64], *err = NULL;
	const char *msg;
	json_t *res = NULL, *e;

	if (!slow_client(fx, w, sizeof(w)))
		skip();
	assert_int_equal(rpo(fx, w, NULL, &err, &res), 3);
	assert_non_null(res);
	e = json_object_get(json_array_get(json_object_get(res, "trials"), 0), "error");
	assert_string_equal(json_string_value(json_object_get(e, "phase")), "start");
	msg = json_string_value(json_object_get(e, "message"));
	assert_non_null(strstr(msg, "not healthy within 3.0 s"));
	assert_non_null(strstr(msg, "did not answer PING within 500 ms"));
	assert_non_null(strstr(msg, "sh -c 'sleep 1; exec python3 "));
	assert_non_null(strstr(err, "did not answer PING within 500 ms"));
	json_decref(res);
	free(err);
}

static void test_a_longer_ping_timeout_lets_the_slow_client_run_a_trial(void **state)
{
	struct fl_fixture *fx = *state;
	char w[2 * PATH_MAX + 64], *err = NULL;
	json_t *res = NULL, *t;

	if (!slow_client(fx, w, sizeof(w)))
		skip();
	assert_int_equal(rpo(fx, w, "3s", &err, &res), 0);
	t = json_array_get(json_object_get(res, "trials"), 0);
	assert_true(json_is_null(json_object_get(t, "error")));
	assert_true(json_integer_value(json_object_get(json_object_get(t, "counts"),
						       "acknowledged")) > 0);
	json_decref(res);
	free(err);
	/* Nonsense is refused before anything starts. */
	assert_int_equal(rpo(fx, w, "0ms", &err, &res), 2);
	assert_non_null(strstr(err, "ping timeout must be from 1 ms"));
	assert_null(res);
	free(err);
}

/* The library's word for it, without the CLI: fl_workload_ping_why. */
static void test_ping_why_names_the_client_and_the_budget(void **state)
{
	struct fl_fixture *fx = *state;
	char w[2 * PATH_MAX + 64], why[512] = "";
	struct fl_workload *wl;

	if (!slow_client(fx, w, sizeof(w)))
		skip();
	assert_int_equal(fl_workload_open(w, &wl, why, sizeof(why)), 0);
	assert_int_equal(fl_workload_ping_why(wl, 300, why, sizeof(why)), -ETIMEDOUT);
	print_message("  %s\n", why);
	assert_non_null(strstr(why, "exec: the client did not answer PING within 300 ms: "
				    "sh -c 'sleep 1; exec python3 "));
	assert_int_equal(fl_workload_ping_why(wl, 3000, why, sizeof(why)), 0);
	fl_workload_close(wl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_slow_client_fails_the_default_ping_timeout_and_says_so,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_a_longer_ping_timeout_lets_the_slow_client_run_a_trial,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test_setup_teardown(test_ping_why_names_the_client_and_the_budget,
						fl_cli_setup_session, fl_cli_teardown_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
