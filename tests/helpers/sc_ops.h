/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: launch tests/targets/fl-sc-ops under seccomp rules
 * (fl_seccomp_sup) and collect what happened: the events, each rule's
 * counters, the exit status and what the target wrote. Every step is
 * asserted (cmocka), so a test reads as its rules, its ops and its checks.
 */
#ifndef FL_TEST_SC_OPS_H
#define FL_TEST_SC_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <faultline/event.h>
#include <faultline/rule.h>
#include <faultline/seccomp.h>

#define FL_SC_OPS_MAX_RULES 4
#define FL_SC_OPS_MAX_EVENTS 256

struct fl_sc_ops_run {
	/* how (set before the run) */
	bool timed;         /* fl-sc-ops -t: each op prints how long it took */
	bool in_kernel;     /* the filter answers the rules that need no decision */
	bool unsupervised;  /* nobody answers notifications: the target must
			     * end on the filter alone (within 10 s) */
	void (*during)(struct fl_sc_ops_run *r, pid_t pid); /* while it runs */
	void *arg;
	/* what happened */
	struct fl_event ev[FL_SC_OPS_MAX_EVENTS];
	size_t n_ev;        /* every event, even those ev[] had no room for */
	struct fl_seccomp_stats st[FL_SC_OPS_MAX_RULES];
	int status;         /* waitpid's */
	char out[16384];    /* what the target wrote (fl-sc-ops -f) */
};

/* Parse one rule or fail the test with the parser's message. */
void fl_sc_ops_parse(const char *text, struct fl_rule *rule);

/* Run bin_ops (fl-sc-ops) with the NULL-terminated ops under the rules. */
void fl_sc_ops_run(const char *bin_ops, const char *const *rules_text, size_t n_rules,
		   const char *const *ops, struct fl_sc_ops_run *r);

/* True when seccomp notification works here and bin_ops is built; else a skip message. */
bool fl_sc_ops_can_run(const char *bin_ops);

#endif
