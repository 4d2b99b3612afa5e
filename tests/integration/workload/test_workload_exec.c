// SPDX-License-Identifier: GPL-2.0-only
/*
 * exec:CMD workloads: the example client of docs/rpo-exec-protocol.md
 * (tests/targets/rpo_exec_client.py) stores 400 records from 4 threads and
 * reads them back intact; and shell clients that hang, refuse, answer
 * FAIL or die show how each becomes an outcome or an error.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/workload.h>
#include "helpers/fixtures.h"

#define CLIENT      "tests/targets/rpo_exec_client.py"
#define CLIENTS     4
#define PER_CLIENT  100
#define PAYLOAD_LEN 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool have_python(void)
{
	char *argv[] = { "python3", "-c", "pass", NULL };

	if (access(CLIENT, R_OK) || fl_fixture_cmd(argv) != 0) {
		print_message("skip: needs python3 and %s (run from the source tree)\n", CLIENT);
		return false;
	}
	return true;
}

static struct fl_workload *open_exec(const char *cmd)
{
	struct fl_workload *w;
	char spec[PATH_MAX + 128], why[256] = "";

	snprintf(spec, sizeof(spec), "exec:%s", cmd);
	if (fl_workload_open(spec, &w, why, sizeof(why)))
		fail_msg("%s: %s", spec, why);
	return w;
}

struct writer {
	struct fl_workload *w;
	_Atomic uint64_t *next;
	size_t ok;
};

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c;
	char why[256] = "";

	if (fl_workload_connect(wr->w, &c, why, sizeof(why))) {
		print_message("connect: %s\n", why);
		return NULL;
	}
	for (int i = 0; i < PER_CLIENT; i++) {
		uint64_t id = atomic_fetch_add(wr->next, 1);

		fl_payload_make(id, 3, p, sizeof(p));
		if (fl_workload_write(c, id, p, sizeof(p), 5000, NULL) == FL_OP_OK)
			wr->ok++;
	}
	fl_workload_disconnect(c);
	return NULL;
}

struct back {
	uint8_t seen[CLIENTS * PER_CLIENT + 1];
	size_t records, intact;
};

static int on_record(void *ctx, uint64_t id, const void *payload, size_t len)
{
	struct back *b = ctx;
	uint64_t got;

	b->records++;
	if (id && id < sizeof(b->seen) && !fl_payload_check(payload, len, &got) && got == id) {
		b->intact++;
		b->seen[id]++;
	}
	return 0;
}

static void test_example_client_round_trip(void **state)
{
	struct fl_fixture *fx = *state;
	struct writer wr[CLIENTS];
	pthread_t t[CLIENTS];
	_Atomic uint64_t next = 1;
	struct back b = { 0 };
	char cmd[PATH_MAX + 64], why[256] = "";
	struct fl_workload *w;
	size_t ok = 0;

	if (!have_python())
		skip();
	snprintf(cmd, sizeof(cmd), "python3 %s %s/records.log", CLIENT, fx->path);
	w = open_exec(cmd);
	assert_false(fl_workload_builtin(w));
	assert_int_equal(fl_workload_ping(w, 5000), 0);
	assert_int_equal(fl_workload_ping(w, 5000), 0); /* the same client again */
	if (fl_workload_reset(w, why, sizeof(why)))
		fail_msg("reset: %s", why);

	for (int i = 0; i < CLIENTS; i++) {
		wr[i] = (struct writer){ .w = w, .next = &next };
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &wr[i]), 0);
	}
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		ok += wr[i].ok;
	}
	assert_int_equal(ok, CLIENTS * PER_CLIENT);

	if (fl_workload_read_all(w, on_record, &b, why, sizeof(why)))
		fail_msg("read_all: %s", why);
	assert_int_equal(b.records, CLIENTS * PER_CLIENT);
	assert_int_equal(b.intact, CLIENTS * PER_CLIENT);
	for (size_t id = 1; id <= CLIENTS * PER_CLIENT; id++)
		assert_int_equal(b.seen[id], 1);

	assert_int_equal(fl_workload_reset(w, NULL, 0), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(fl_workload_read_all(w, on_record, &b, NULL, 0), 0);
	assert_int_equal(b.records, 0);
	fl_workload_close(w);
}

/* Connect, then one write of id 9 with a short timeout. */
static enum fl_op_outcome one_write(const char *cmd, int timeout_ms, int *ret_err,
				    double *ret_disconnect_s)
{
	struct fl_workload *w = open_exec(cmd);
	unsigned char p[PAYLOAD_LEN];
	struct fl_wl_conn *c;
	enum fl_op_outcome o;
	char why[256] = "";
	double t0;

	if (fl_workload_connect(w, &c, why, sizeof(why)))
		fail_msg("connect: %s", why);
	fl_payload_make(9, 1, p, sizeof(p));
	o = fl_workload_write(c, 9, p, sizeof(p), timeout_ms, ret_err);
	t0 = now_s();
	fl_workload_disconnect(c);
	if (ret_disconnect_s)
		*ret_disconnect_s = now_s() - t0;
	fl_workload_close(w);
	return o;
}

static void test_outcomes(void **state)
{
	double t0, dt;
	int err = 0;

	(void)state;
	/* No answer in time: UNKNOWN; the hung client is killed with its children. */
	t0 = now_s();
	assert_int_equal(one_write("read l; echo PONG; sleep 30", 200, &err, &dt), FL_OP_UNKNOWN);
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(now_s() - t0 < 2.0);
	assert_true(dt < 1.0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* reaped */

	assert_int_equal(one_write("read l; echo PONG; read l; set -- $l; echo FAIL $2 disk full",
				   2000, &err, NULL), FL_OP_FAIL);
	assert_int_equal(one_write("read l; echo PONG; read l; set -- $l; echo UNKNOWN $2 lost",
				   2000, &err, NULL), FL_OP_UNKNOWN);
	assert_int_equal(one_write("read l; echo PONG; read l; set -- $l; echo OK $2", 2000, &err,
				   NULL), FL_OP_OK);
	/* An answer for another id, or the client dying, is not an acknowledgement. */
	assert_int_equal(one_write("read l; echo PONG; read l; echo OK 90", 2000, &err, NULL),
			 FL_OP_UNKNOWN);
	assert_int_equal(err, -EPROTO);
	assert_int_equal(one_write("read l; echo PONG; read l; exit 1", 2000, &err, NULL),
			 FL_OP_UNKNOWN);
	assert_int_equal(err, -ECONNRESET);
}

static void test_refused_connections(void **state)
{
	struct fl_workload *w;
	struct fl_wl_conn *c = NULL;
	char why[256] = "";

	(void)state;
	/* A client that cannot reach its service says so instead of PONG. */
	w = open_exec("read l; echo ERR service down");
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "exec: PING: answered 'ERR service down'");
	assert_null(c);
	assert_int_equal(fl_workload_ping(w, 1000), -EPROTO);
	fl_workload_close(w);

	w = open_exec("exit 3");
	assert_int_equal(fl_workload_connect(w, &c, why, sizeof(why)), -ECONNRESET);
	assert_int_equal(fl_workload_ping(w, 1000), -ECONNRESET);
	fl_workload_close(w);

	w = open_exec("sleep 30");
	assert_int_equal(fl_workload_ping(w, 200), -ETIMEDOUT);
	fl_workload_close(w);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_example_client_round_trip, fl_setup_tmpdir,
						fl_teardown_tmpdir),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_refused_connections),
	};

	/* SIGPIPE stays at its default: a dead client must not kill the controller. */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
