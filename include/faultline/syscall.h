/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syscall fault domain, first slice: crash points. A session loads
 * bpf/syscall.bpf.c with up to FL_SC_MAX_RULES rules, attaches it, and
 * injects into the processes added as targets and into every process they
 * fork afterwards. Only signal= (bpf_send_signal at syscall entry) is
 * implemented; error=, retval=, delay= and the pid/cgroup/comm selectors
 * arrive with the seccomp and LSM mechanisms.
 *
 * Everything the session installed is owned by its file descriptors: closing
 * the session, or the death of the process that opened it, detaches it.
 */
#ifndef FAULTLINE_SYSCALL_H
#define FAULTLINE_SYSCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <faultline/event.h>
#include <faultline/probe.h>
#include <faultline/rule.h>
#include <faultline/syscall_abi.h>

struct fl_syscall_session;

struct fl_syscall_stats {
	uint64_t matched;  /* calls of targets that matched the rule's syscalls */
	uint64_t injected; /* signals sent */
	uint64_t failed;   /* bpf_send_signal refused */
	uint64_t dropped;  /* events lost: ring buffer full */
};

/*
 * Is rule valid for the syscall domain and implemented by this slice?
 * Same error reporting as fl_rule_parse(): -EINVAL for a bad rule,
 * -EOPNOTSUPP for a valid rule this version cannot inject yet.
 */
int fl_syscall_rule_check(const struct fl_rule *rule, struct fl_rule_error *err);

/*
 * Can this kernel run crash points? Probes bpf_send_signal. Returns 0, or
 * -EOPNOTSUPP with ret saying why; ret is filled in both cases.
 */
int fl_syscall_probe(struct fl_probe_result *ret);

/*
 * Check the rules, probe the kernel, load and attach. cb gets every event
 * during fl_syscall_session_poll(). Returns 0, -EINVAL (a rule failed
 * fl_syscall_rule_check), -EOPNOTSUPP (kernel cannot, see
 * fl_syscall_probe), -E2BIG (too many rules), or a load/attach -errno.
 */
int fl_syscall_session_open(const struct fl_rule *rules, size_t n_rules,
			    fl_event_cb cb, void *ctx,
			    struct fl_syscall_session **ret);

/* Make pid's process (its tgid) and its future children targets. */
int fl_syscall_session_add_target(struct fl_syscall_session *s, pid_t pid);

/*
 * The same for a process that is about to execve(2) (a launched command):
 * its calls count only from the exec on, so what the launcher's child does
 * before it (waiting for the go-ahead, closing fds) is not faulted.
 */
int fl_syscall_session_add_target_at_exec(struct fl_syscall_session *s, pid_t pid);

/* Deliver pending events to cb; waits up to timeout_ms (-1 = forever). */
int fl_syscall_session_poll(struct fl_syscall_session *s, int timeout_ms);

/* An fd that becomes readable when events are pending (for poll/epoll). */
int fl_syscall_session_fd(const struct fl_syscall_session *s);

/* Counters of rule (index into the rules given to open). */
int fl_syscall_session_stats(const struct fl_syscall_session *s, size_t rule,
			     struct fl_syscall_stats *ret);

/* Detach, unload and free. Pending events are delivered first. */
void fl_syscall_session_close(struct fl_syscall_session *s);

#endif /* FAULTLINE_SYSCALL_H */
