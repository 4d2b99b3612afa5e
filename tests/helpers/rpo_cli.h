/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: `faultline rpo` through the CLI as a user runs it, and the
 * few readers of its JSON result that every rpo test needs. One copy, so
 * that a change of the result's layout or of how faultline is found is
 * made once for all the tests.
 *
 *   if (!fl_rpo_cli_require())
 *           skip();
 *   assert_int_equal(fl_rpo_cli(fx->path, &res, &err, "-w", w, "--fault", "kill", NULL), 0);
 *   assert_int_equal(fl_rpo_count(fl_rpo_trial(res, 0), "lost"), 0);
 *   json_decref(res);
 *   free(err);
 *
 * The failing readers end the test with a message naming what was
 * missing (cmocka's fail_msg), so a test reads as its assertions only.
 */
#ifndef FL_TEST_RPO_CLI_H
#define FL_TEST_RPO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "services.h"

/* How long one `faultline rpo` may run before the test gives up on it. */
#define FL_RPO_CLI_TIMEOUT_MS 120000

/*
 * Root (fl_test_require_root) and build/faultline built; else prints why
 * and returns false, for skip().
 */
bool fl_rpo_cli_require(void);
/*
 * fl_rpo_cli_require, and this host has the server kind runs (its Debian
 * package: fl_service_available); else prints why and returns false.
 */
bool fl_rpo_cli_require_service(enum fl_svc_kind kind);
/* build/faultline, found by fl_rpo_cli_require(); char * to sit in argv arrays. */
char *fl_rpo_cli_bin(void);

struct fl_rpo_cli_result {
	int code;        /* exit code as a shell reports it */
	char *err;       /* stderr: the summary and any error; never NULL */
	json_t *result;  /* DIR/result.json; NULL if faultline wrote none */
	uint64_t ms;     /* wall time */
};

/*
 * faultline rpo --quiet -o DIR/result.json ARGS... (const char *, NULL
 * ends them, so a NULL in the middle drops an optional tail), SIGKILLed
 * after timeout_ms. Its stderr is printed, so that a failing test shows
 * what faultline said. A stale DIR/result.json is removed first: a result
 * read back is always this run's. For the tests that want the wall time,
 * another timeout, or no result file at all.
 */
void fl_rpo_cli_run(const char *dir, int timeout_ms, struct fl_rpo_cli_result *ret, ...);
/*
 * The same for another command that takes --quiet and -o FILE: cmd is its
 * words ({ "backup", "run", NULL }).
 */
void fl_cli_json_run(const char *const *cmd, const char *dir, int timeout_ms,
		     struct fl_rpo_cli_result *ret, ...);
/* Frees err and drops result. */
void fl_rpo_cli_result_free(struct fl_rpo_cli_result *r);

/*
 * The usual call (FL_RPO_CLI_TIMEOUT_MS): the exit code. ret_result: the
 * result, and the test fails when faultline wrote none; ret_err: stderr
 * (free it). Either may be NULL. ARGS end with NULL.
 */
int fl_rpo_cli(const char *dir, json_t **ret_result, char **ret_err, ...);

/* A result file written by a run the test started itself; the test fails without one. */
json_t *fl_rpo_load_result(const char *path, const char *label);

/* Trial i of a result; the test fails when there is none. */
json_t *fl_rpo_trial(json_t *result, size_t i);
/*
 * The test fails with the trial's error ("LABEL: PHASE: MESSAGE", no
 * "LABEL: " when label is NULL) if it has one: a trial that could not
 * measure makes every later number meaningless.
 */
void fl_rpo_assert_no_error(json_t *trial, const char *label);

/*
 * The integer at a dotted path of objects ("times_ns.fault"); the test
 * fails, naming the path, when there is none.
 */
json_int_t fl_json_int(json_t *o, const char *path);
/* The same for a string. */
const char *fl_json_str(json_t *o, const char *path);
/* counts.KEY of a trial: acknowledged, lost, unknown... */
json_int_t fl_rpo_count(json_t *trial, const char *key);

#endif /* FL_TEST_RPO_CLI_H */
