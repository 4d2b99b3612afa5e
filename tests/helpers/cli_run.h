/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: run a command (faultline, strace, a test target) as a user
 * would, with stdout and stderr captured in unlinked temporary files that
 * can be read while it still runs, a deadline after which it is SIGKILLed,
 * and small /proc readers for the processes it starts.
 *
 *   struct fl_cli_result r;
 *   char *argv[] = { faultline, "syscall", "fsync:error=EIO", "--", ..., NULL };
 *   fl_cli_run(argv, 5000, &r);      // r.code: 0..255, 128+N if killed by N
 *   ... r.out, r.err ...
 *   fl_cli_result_free(&r);
 */
#ifndef FL_TEST_CLI_RUN_H
#define FL_TEST_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fl_cli {
	pid_t pid;
	int out_fd;      /* read side of the captured stdout */
	int err_fd;
	bool reaped;
	int status;      /* wait status once reaped */
	uint64_t start_ms;
};

struct fl_cli_result {
	int status;      /* wait status, -1 if it could not be reaped */
	int code;        /* exit code as a shell reports it: 128+N if killed by signal N */
	bool timed_out;  /* it was SIGKILLed at the deadline */
	char *out;       /* NUL-terminated, never NULL after fl_cli_wait */
	char *err;
	uint64_t ms;     /* wall time from start to reaping */
};

/* Start argv (PATH searched), stdout/stderr captured, stdin /dev/null. 0 or -errno. */
int fl_cli_start(char *const argv[], struct fl_cli **ret);
/*
 * Wait at most timeout_ms, SIGKILL at the deadline, reap and fill ret (out,
 * err, status, code). 0, or -ETIMEDOUT (ret still filled).
 */
int fl_cli_wait(struct fl_cli *c, int timeout_ms, struct fl_cli_result *ret);
/* What it printed so far (malloc'ed, NUL-terminated). */
char *fl_cli_stdout(const struct fl_cli *c);
char *fl_cli_stderr(const struct fl_cli *c);
/*
 * Poll its stderr until it holds needle (" armed on "): 0; -ECHILD when it
 * ended first (what it said is printed), -ETIMEDOUT after timeout_ms.
 * Every timeout_ms here is a hang guard: ten times longer under qemu TCG
 * (FL_VMTEST).
 */
int fl_cli_wait_stderr(struct fl_cli *c, const char *needle, int timeout_ms);
/*
 * ms, or ten times ms under qemu TCG (FL_VMTEST): for hang guards, and for
 * the slack a bound allows for what the host's scheduling adds (never for
 * the part of a bound that checks the feature itself).
 */
uint64_t fl_cli_scaled_ms(uint64_t ms);
/* Send sig while it runs (not after it was reaped). */
int fl_cli_signal(struct fl_cli *c, int sig);
/* SIGKILL if still running, reap, close, free. NULL is fine. */
void fl_cli_free(struct fl_cli *c);

/* start + wait + free. */
int fl_cli_run(char *const argv[], int timeout_ms, struct fl_cli_result *ret);
void fl_cli_result_free(struct fl_cli_result *r);
/* A wait status as a shell reports it; -1 for an invalid status. */
int fl_cli_exit_code(int status);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t fl_cli_now_ms(void);

/* /proc: the state letter (R, S, T, Z...) of pid, or 0 if it does not exist. */
char fl_proc_state(pid_t pid);
/* A child of parent whose executable's file name is exe, within timeout_ms; 0 if none. */
pid_t fl_proc_find_child(pid_t parent, const char *exe, int timeout_ms);
/* Wait until fl_proc_state(pid) is one of states ("T", "tT", "" = gone); false after timeout. */
bool fl_proc_wait_state(pid_t pid, const char *states, int timeout_ms);
/*
 * The last line of out that starts with '{' and parses as a JSON object
 * (faultline's --json summary); NULL if none. json_decref it.
 */
struct json_t *fl_cli_json_summary(const char *out);
/* out without the lines that start with '{' (malloc'ed): what the target printed. */
char *fl_cli_strip_json(const char *out);
/*
 * cmocka setup/teardown: fl_setup_tmpdir, plus its subdirectory "run" as
 * $FAULTLINE_RUN_DIR, so that the state records of the faultline sessions
 * a test starts stay in the test. The teardown first runs `faultline
 * cleanup --run-dir` there, which continues a process a failed test left
 * stopped, then removes everything.
 */
int fl_cli_setup_session(void **state);
/*
 * Root (with tracefs, bpffs and cgroup2 mounted: fl_test_require_root) and
 * both binaries built; else prints why and returns false, for skip().
 */
bool fl_cli_require(const char *faultline, const char *target);
int fl_cli_teardown_session(void **state);
/* $FAULTLINE_RUN_DIR, or /run/faultline. */
const char *fl_cli_run_dir(void);
/* Is there a session directory of the controller pid in fl_cli_run_dir()? */
bool fl_cli_session_left(pid_t controller);

/* Count the lines of text that contain needle ("" counts every line). */
size_t fl_count_lines(const char *text, const char *needle);

#endif /* FL_TEST_CLI_RUN_H */
