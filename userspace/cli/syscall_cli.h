/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `faultline syscall`, split by mechanism family: cmd_syscall.c parses,
 * plans and reports; syscall_bpf.c runs the BPF mechanisms (launched or
 * running targets); syscall_seccomp.c runs the seccomp supervisor
 * (launched targets).
 */
#ifndef FAULTLINE_CLI_SYSCALL_H
#define FAULTLINE_CLI_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include <faultline/event.h>
#include <faultline/syscall.h>

#define SC_EXIT_USAGE    2
#define SC_EXIT_INTERNAL 125 /* faultline itself failed, like timeout(1) */
#define SC_EXIT_NOEXEC   126
#define SC_EXIT_NOTFOUND 127
#define SC_MAX_PIDS      64

struct sc_opts {
	bool json;
	int verbose;
	const char *log_path;
	uint64_t for_ns;          /* 0 = until stopped */
	char **rule_text;         /* points into argv */
	size_t n_rules;
	char **cmd;               /* argv after "--", NULL for running targets */
	pid_t pids[SC_MAX_PIDS];
	size_t n_pids;
	bool follow;
	const char *cgroups[FL_SC_MAX_CGROUPS];
	size_t n_cgroups;
	const char *comm;
	int mechanism;            /* forced, or -1 */
	bool have_seed;
	uint64_t seed;
	sigset_t orig_mask;       /* the mask faultline started with, for CMD */
};

/* What one run produced, for the summary. */
struct sc_result {
	struct fl_syscall_stats stats[FL_SC_MAX_RULES];
	pid_t pid;                /* the launched command, or 0 */
	bool exited;              /* the command was reaped */
	int wstatus;
	int interrupted;          /* the first SIGINT/SIGTERM/SIGHUP, or 0 */
};

/* The event sink shared by both runners. */
struct sc_events {
	const struct sc_opts *o;
	struct fl_event_log *log;
	int log_err;              /* first write error, reported once */
};

int sc_on_event(void *ctx, const struct fl_event *ev);

/* Each returns 0, or the exit status to use when faultline failed. */
int sc_run_bpf(const struct sc_opts *o, const struct fl_rule *rules,
	       const struct fl_syscall_plan *plan, struct sc_events *ev,
	       struct sc_result *res);
int sc_run_seccomp(const struct sc_opts *o, const struct fl_rule *rules,
		   struct sc_events *ev, struct sc_result *res);

/* What sc_signal_read() took from the signalfd. */
enum sc_signal {
	SC_SIG_NONE,   /* nothing, or SIGCHLD (the command is reaped if it exited) */
	SC_SIG_STOP,   /* the first SIGINT/SIGTERM/SIGHUP: stop injecting, pass it on */
	SC_SIG_GIVE_UP,/* a second one: stop waiting for the command */
};

/* Read one signal; *ret_from_tty: sent by the kernel (a terminal's ^C). */
enum sc_signal sc_signal_read(int sfd, struct sc_result *res, bool *ret_from_tty);

/*
 * Block SIGCHLD, SIGINT, SIGTERM and SIGHUP (oldmask: the mask before).
 * cmd_syscall does it first thing, so that a signal during the slow
 * start (probing, loading) waits for the runner instead of killing
 * faultline with its default action, and never unblocks them: a second
 * signal pending at the end must not cost the summary.
 */
int sc_signals_block(sigset_t *oldmask);
/* Blocks them (if not yet) and returns a signalfd for them, or -errno. */
int sc_signals_open(sigset_t *oldmask);
uint64_t sc_now_ns(void);

#endif /* FAULTLINE_CLI_SYSCALL_H */
