// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/probe.h>

#include "sc_ops.h"

#define MAX_ARGS 64

static int on_event(void *ctx, const struct fl_event *ev)
{
	struct fl_sc_ops_run *r = ctx;

	if (r->n_ev < FL_SC_OPS_MAX_EVENTS)
		r->ev[r->n_ev] = *ev;
	r->n_ev++;
	return 0;
}

struct sup_thread {
	struct fl_seccomp_sup *sup;
	int err;
};

static void *sup_main(void *arg)
{
	struct sup_thread *t = arg;

	t->err = fl_seccomp_sup_run(t->sup, 20000);
	return NULL;
}

void fl_sc_ops_parse(const char *text, struct fl_rule *rule)
{
	struct fl_rule_error e = { 0 };

	if (fl_rule_parse(text, rule, &e))
		fail_msg("parse '%s': %s", text, e.message);
}

/* Reap pid within timeout_ms; false (and pid SIGKILLed, reaped) if it is still running. */
static bool reap_within(pid_t pid, int timeout_ms, int *status)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	bool exited;

	assert_true(pfd >= 0);
	exited = poll(&p, 1, timeout_ms) == 1;
	close(pfd);
	if (!exited)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return exited;
}

void fl_sc_ops_run(const char *bin_ops, const char *const *rules_text, size_t n_rules,
		   const char *const *ops, struct fl_sc_ops_run *r)
{
	struct fl_rule rules[FL_SC_OPS_MAX_RULES];
	struct fl_seccomp_sup *sup = NULL;
	struct sup_thread t = { 0 };
	char *argv[MAX_ARGS], fdbuf[16];
	char tmpl[] = "/tmp/fl-sc-out-XXXXXX";
	size_t n = 0;
	pthread_t th;
	pid_t pid;
	ssize_t got;
	int fd;

	assert_true(n_rules <= FL_SC_OPS_MAX_RULES);
	for (size_t i = 0; i < n_rules; i++)
		fl_sc_ops_parse(rules_text[i], &rules[i]);
	fd = mkstemp(tmpl); /* no O_CLOEXEC: the target writes here */
	assert_true(fd >= 0);
	unlink(tmpl);
	snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
	argv[n++] = (char *)bin_ops;
	argv[n++] = "-f";
	argv[n++] = fdbuf;
	if (r->timed)
		argv[n++] = "-t";
	for (; *ops && n < MAX_ARGS - 1; ops++)
		argv[n++] = (char *)*ops;
	argv[n] = NULL;

	assert_int_equal(fl_seccomp_sup_open(rules, n_rules, on_event, r, &sup), 0);
	if (r->in_kernel)
		assert_int_equal(fl_seccomp_sup_set_in_kernel(sup, true), 0);
	assert_int_equal(fl_seccomp_sup_launch(sup, argv, &pid), 0);
	/* The filter is fixed once the command runs. */
	if (r->in_kernel)
		assert_int_equal(fl_seccomp_sup_set_in_kernel(sup, false), -EBUSY);
	if (r->unsupervised) {
		if (!reap_within(pid, 10000, &r->status)) {
			fl_seccomp_sup_close(sup);
			close(fd);
			fail_msg("the target waited for a supervisor: its calls were notified");
		}
	} else {
		t.sup = sup;
		assert_int_equal(pthread_create(&th, NULL, sup_main, &t), 0);
		if (r->during)
			r->during(r, pid);
		/* Reap while the supervisor runs: before 6.x the listener hangs up only then. */
		assert_int_equal(waitpid(pid, &r->status, 0), pid);
		pthread_join(th, NULL);
		assert_int_equal(t.err, 0);
	}
	for (size_t i = 0; i < n_rules; i++)
		assert_int_equal(fl_seccomp_sup_stats(sup, i, &r->st[i]), 0);
	fl_seccomp_sup_close(sup);
	got = pread(fd, r->out, sizeof(r->out) - 1, 0);
	assert_true(got >= 0);
	r->out[got] = '\0';
	close(fd);
}

bool fl_sc_ops_can_run(const char *bin_ops)
{
	struct fl_probe_result why;

	if (fl_probe_mechanism(FL_MECH_SECCOMP_NOTIFY, &why) || why.status != FL_PROBE_WORKS) {
		print_message("skip: seccomp user notification unavailable: %s\n", why.detail);
		return false;
	}
	if (access(bin_ops, X_OK)) {
		print_message("skip: %s not built (run make)\n", bin_ops);
		return false;
	}
	return true;
}
