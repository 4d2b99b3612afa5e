/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syscall faults for LAUNCHED targets through seccomp user notification
 * (FL_MECH_SECCOMP_NOTIFY). The launched command runs under a classic BPF
 * filter that sends only the syscalls named in the rules to a supervisor
 * (SECCOMP_RET_USER_NOTIF); every other call stays in the kernel
 * (SECCOMP_RET_ALLOW). The supervisor decides per call, in rule order
 * (first rule that fires wins), and answers: an errno, a fake return
 * value, a delay or a pause followed by the real call, or a signal sent
 * before the call runs. Children of the command inherit the filter.
 *
 * No privileges are needed: the filter is installed after
 * PR_SET_NO_NEW_PRIVS in the launched child.
 *
 * Typical use (what `faultline syscall RULE... -- CMD` does):
 *
 *   fl_seccomp_sup_open(rules, n, on_event, ctx, &sup);
 *   fl_seccomp_sup_launch(sup, argv, &pid);
 *   fl_seccomp_sup_run(sup, -1);          // until every target is gone, while
 *   waitpid(pid, &status, 0);             // another thread reaps the command
 *   fl_seccomp_sup_stats(sup, i, &st);    // per-rule matched/injected
 *   fl_seccomp_sup_close(sup);            // kills what is left of the group
 */
#ifndef FAULTLINE_SECCOMP_H
#define FAULTLINE_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>

#include <faultline/event.h>
#include <faultline/rule.h>

/* Syscall numbers one supervisor can notify (distinct, over all rules). */
#define FL_SECCOMP_MAX_NRS 200 /* 8-bit jump offsets in the filter */
#define FL_SECCOMP_MAX_RULES 64

/*
 * Can the seccomp mechanism honour rule? Checks the syscall domain, refuses
 * "*" (only named syscalls are ever notified), and path= on a syscall that
 * takes neither a path nor an fd. -EINVAL or -EOPNOTSUPP with err filled.
 */
int fl_seccomp_rule_check(const struct fl_rule *rule, struct fl_rule_error *err);

/*
 * Build the filter for rules: arch check (a foreign-arch call is allowed,
 * never notified), RET_USER_NOTIF for the named syscall numbers, RET_ALLOW
 * otherwise. ret->filter is malloc'ed; free it with fl_seccomp_filter_free.
 */
int fl_seccomp_filter_build(const struct fl_rule *rules, size_t n_rules,
			    struct sock_fprog *ret);
void fl_seccomp_filter_free(struct sock_fprog *prog);

/*
 * Run prog on a synthetic call (arch, nr) with classic BPF semantics, for
 * tests and for `faultline probe`-style self checks. Returns the filter's
 * SECCOMP_RET_* value, or -EINVAL for a malformed program.
 */
int64_t fl_seccomp_filter_eval(const struct sock_fprog *prog, uint32_t arch, int nr);

/* Which argument of syscall nr is a path (0..5), or -1. */
int fl_seccomp_path_arg(int nr);
/* Which argument of syscall nr is an fd whose path a path= glob matches, or -1. */
int fl_seccomp_fd_arg(int nr);

struct fl_seccomp_sup;

struct fl_seccomp_stats {
	uint64_t matched;  /* calls that matched the rule's syscalls, path and for= */
	uint64_t injected; /* faults applied */
	uint64_t failed;   /* the answer could not be given (target gone, ...) */
	/*
	 * The filter answers this rule's calls itself (fl_seccomp_sup_set_in_kernel):
	 * matched and injected stay 0, they are not counted.
	 */
	bool in_kernel;
};

/*
 * A supervisor for rules (checked with fl_seccomp_rule_check; -EINVAL or
 * -EOPNOTSUPP otherwise, -E2BIG past the limits). cb, if not NULL, gets one
 * struct fl_event per injection (or failed injection), with rule_id = the
 * rule's index; it runs on the supervisor's threads, one call at a time.
 */
int fl_seccomp_sup_open(const struct fl_rule *rules, size_t n_rules,
			fl_event_cb cb, void *ctx, struct fl_seccomp_sup **ret);

/*
 * Before fl_seccomp_sup_launch: let the filter itself fail the calls of
 * each rule that needs no decision (error= without when=, prob=, count=,
 * path= or for=, and first among the rules on each syscall it names) with
 * SECCOMP_RET_ERRNO, instead of a round trip to the supervisor per call.
 * Such a rule sends no events, its calls are not counted (its stats say
 * in_kernel), and fl_seccomp_sup_disarm cannot stop it: the filter of a
 * running process cannot be changed. Off by default. -EBUSY after launch.
 */
int fl_seccomp_sup_set_in_kernel(struct fl_seccomp_sup *s, bool on);

/*
 * Fork and exec argv (PATH searched in the parent, like strace) under the
 * supervisor's filter. The child gets its own process group,
 * PR_SET_PDEATHSIG(SIGKILL), PR_SET_NO_NEW_PRIVS and the filter, hands the
 * listener to us over a socketpair (SCM_RIGHTS), and execs only after we
 * hold it. Calls count from the exec on. A watchdog process kills the
 * target's process group if the calling process dies without
 * fl_seccomp_sup_close (SIGKILL included). One launch per supervisor.
 * ret_pid is the command's pid; the caller reaps it.
 */
int fl_seccomp_sup_launch(struct fl_seccomp_sup *s, char *const argv[], pid_t *ret_pid);

/*
 * Answer notifications until every filtered task has exited (returns 0),
 * timeout_ms passed (-ETIMEDOUT; -1 = no timeout), or fl_seccomp_sup_stop
 * was called (-EINTR). Older kernels (Debian's 6.1) hang the listener up
 * only once the exited tasks are reaped: reap the launched pid from
 * another thread while this runs (the CLI does, on SIGCHLD).
 */
int fl_seccomp_sup_run(struct fl_seccomp_sup *s, int timeout_ms);

/* Make a running fl_seccomp_sup_run return; async-signal-safe. */
void fl_seccomp_sup_stop(struct fl_seccomp_sup *s);

/*
 * Stop injecting: from now on every notified call is let through
 * uncounted (the filter stays: it cannot be removed from a running
 * process), except those of rules answered in the kernel. For a time
 * limit such as `faultline syscall --for`.
 */
void fl_seccomp_sup_disarm(struct fl_seccomp_sup *s);

int fl_seccomp_sup_stats(const struct fl_seccomp_sup *s, size_t rule,
			 struct fl_seccomp_stats *ret);

/*
 * Wait for delayed/paused calls to be answered (cut short), SIGKILL the
 * launched process group if any of it still runs, stop the watchdog, free.
 * The launched pid is not reaped. NULL is fine.
 */
void fl_seccomp_sup_close(struct fl_seccomp_sup *s);

#endif /* FAULTLINE_SECCOMP_H */
