/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The syscall fault domain through BPF, for running and launched
 * processes: crash points (signal=), process pauses (pause=), short
 * in-kernel stalls (delay=) at sys_enter, and errors (error=) through the
 * BPF LSM, fmod_ret on security_* hooks, or cgroup socket hooks. Launched
 * commands can also use the seccomp supervisor (<faultline/seccomp.h>);
 * fl_syscall_plan() picks, rule by rule, what the running kernel allows.
 *
 * Everything a session installs is owned by its file descriptors (BPF
 * links are never pinned): closing the session, or the death of the
 * process that opened it, detaches it. The one exception is the map of
 * processes a rule may have stopped (pause=, long delay=): its program
 * writes each stop there before the SIGSTOP, and the map is pinned under
 * FL_SC_PIN_ROOT/<session>/ and recorded under /run/faultline before any
 * rule is armed, so the watchdog (if the caller dies) or `faultline
 * cleanup` continues those processes and removes the pin.
 */
#ifndef FAULTLINE_SYSCALL_H
#define FAULTLINE_SYSCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include <faultline/event.h>
#include <faultline/probe.h>
#include <faultline/rule.h>
#include <faultline/syscall_abi.h>

/* Where sessions with stopping rules pin their `stopped` map (bpffs). */
#define FL_SC_BPFFS    "/sys/fs/bpf"
#define FL_SC_PIN_ROOT FL_SC_BPFFS "/faultline"

/* Who the rules apply to, besides the targets added one by one. */
struct fl_syscall_targets {
	const pid_t *pids;         /* processes (all their threads) */
	size_t n_pids;
	bool follow;               /* children the pids fork later are targets too */
	const char *const *cgroups; /* cgroup v2 directories, descendants included */
	size_t n_cgroups;           /* at most FL_SC_MAX_CGROUPS */
	const char *comm;           /* a thread name (/proc/PID/task/TID/comm) */
	bool launched;              /* a command started by the caller: the
				       seccomp mechanism is possible */
};

/*
 * The mechanism each rule will use: what fl_syscall_plan() picked or what
 * the caller forced. The BPF mechanisms are SEND_SIGNAL (signal=), SIGSTOP
 * (pause=), BPF_LOOP_DELAY (delay=), BPF_LSM, FMOD_RET_SECURITY and
 * CGROUP_SOCK (error=); SECCOMP_NOTIFY is served by <faultline/seccomp.h>.
 */
struct fl_syscall_plan {
	enum fl_mechanism mech[FL_SC_MAX_RULES];
	size_t n_rules;
	/*
	 * The caller forced the mechanism. A forced seccomp-notify sends every
	 * call to the supervisor; otherwise the rules that need no decision
	 * are answered by the filter itself (<faultline/seccomp.h>).
	 */
	bool forced;
	/*
	 * Hooks the sys_enter rules (signal=, delay=, pause=) leave out. They
	 * take the first that loads of fentry, the named syscalls' tracepoints
	 * and raw sys_enter: FL_SC_SKIP_FENTRY starts at the tracepoints,
	 * FL_SC_SKIP_TRACEPOINT at raw sys_enter (fentry goes with the
	 * tracepoints). For measuring one hook against another (faultline
	 * syscall --hook); fl_syscall_plan sets 0.
	 */
	unsigned skip_hooks;
};

#define FL_SC_SKIP_FENTRY     0x1u
#define FL_SC_SKIP_TRACEPOINT 0x2u

/*
 * Pick a mechanism per rule for targets, probing the kernel for the
 * candidates (results are cached for the process). force: a mechanism
 * every rule must use, or -1. A launched target uses seccomp unless every
 * rule is a crash point (signal=, served by bpf_send_signal as DESIGN.md's
 * ladder says) or a rule names "*". On failure err says which mechanism is
 * missing and what would work, and err->column is 0; err_rule gets the
 * index of the offending rule (or -1 for the whole set). Returns 0,
 * -EINVAL (rule or combination invalid), or -EOPNOTSUPP (no mechanism on
 * this kernel can honour it).
 */
int fl_syscall_plan(const struct fl_rule *rules, size_t n_rules,
		    const struct fl_syscall_targets *targets, int force,
		    struct fl_syscall_plan *ret, int *err_rule, struct fl_rule_error *err);

/* Which BPF hook serves mech (enum fl_sc_hook), or -1 if it is not a BPF one. */
int fl_syscall_mech_hook(enum fl_mechanism mech);

/* Can an LSM hook fail syscall nr (for BPF LSM and fmod_ret security_*)? */
bool fl_syscall_lsm_covers(int nr);
/* Can a cgroup socket hook fail syscall nr? */
bool fl_syscall_sock_covers(int nr);

struct fl_syscall_session;

struct fl_syscall_stats {
	uint64_t matched;  /* calls of targets that matched the rule's syscalls */
	uint64_t injected; /* faults applied */
	uint64_t failed;   /* the mechanism refused (e.g. bpf_send_signal) */
	uint64_t dropped;  /* events lost: ring buffer full */
	/* Answered by the seccomp filter itself: matched and injected are not counted. */
	bool in_kernel;
};

/*
 * Is rule valid for the syscall domain and possible through some BPF
 * mechanism? -EINVAL for a bad rule, -EOPNOTSUPP for a valid rule no BPF
 * mechanism injects (fl_syscall_plan says which would).
 */
int fl_syscall_rule_check(const struct fl_rule *rule, struct fl_rule_error *err);

/*
 * Can this kernel run crash points? Probes bpf_send_signal. Returns 0, or
 * -EOPNOTSUPP with ret saying why; ret is filled in both cases.
 */
int fl_syscall_probe(struct fl_probe_result *ret);

/*
 * Load and attach the programs plan needs for rules (plan from
 * fl_syscall_plan, or NULL to plan with no forced mechanism), with targets
 * (may be NULL: add them later). cb gets every event during
 * fl_syscall_session_poll(). Returns 0, -EINVAL, -EOPNOTSUPP, -E2BIG (too
 * many rules or cgroups), -ENOMEDIUM (a rule stops processes and bpffs is
 * not mounted at FL_SC_BPFFS), or a load/attach -errno.
 */
int fl_syscall_session_open(const struct fl_rule *rules, size_t n_rules,
			    const struct fl_syscall_plan *plan,
			    const struct fl_syscall_targets *targets,
			    fl_event_cb cb, void *ctx,
			    struct fl_syscall_session **ret);

/* Make pid's process (its tgid) a target; follow: its future children too. */
int fl_syscall_session_add_target(struct fl_syscall_session *s, pid_t pid, bool follow);

/*
 * The same for a process that is about to execve(2) (a launched command):
 * its calls count only from the exec on, so what the launcher's child does
 * before it (waiting for the go-ahead, closing fds) is not faulted. Its
 * children are followed.
 */
int fl_syscall_session_add_target_at_exec(struct fl_syscall_session *s, pid_t pid);

/* Targets still alive in the targets map (pid targets only). */
size_t fl_syscall_session_n_targets(const struct fl_syscall_session *s);

/*
 * Deliver pending events to cb and continue the processes whose pause=
 * ran out; waits up to timeout_ms (-1 = forever) for the first event or
 * due continue.
 */
int fl_syscall_session_poll(struct fl_syscall_session *s, int timeout_ms);

/* An fd that becomes readable when events are pending (for poll/epoll). */
int fl_syscall_session_fd(const struct fl_syscall_session *s);

/* Milliseconds until the next paused process must be continued, or -1. */
int fl_syscall_session_timeout(const struct fl_syscall_session *s);

/*
 * The hook that carries the session's sys_enter rules (signal=, delay=,
 * pause=): FL_MECH_FENTRY (fentry on each named syscall's function, where
 * the kernel allows it: bystanders pay nothing), FL_MECH_TRACEPOINT (each
 * named syscall's tracepoint) or FL_MECH_RAW_TP (raw sys_enter); -1 when
 * no rule is a sys_enter one.
 */
int fl_syscall_session_enter_hook(const struct fl_syscall_session *s);

/* Counters of rule (index into the rules given to open). */
int fl_syscall_session_stats(const struct fl_syscall_session *s, size_t rule,
			     struct fl_syscall_stats *ret);

/*
 * Detach, unload, continue every process still paused, and free. Pending
 * events are delivered first. NULL is fine.
 */
void fl_syscall_session_close(struct fl_syscall_session *s);

/*
 * A whole syscall fault run, what `faultline syscall` does: arm rules on a
 * command it launches or on running targets, deliver the events, stop
 * injecting at the end of for_ns or on a stop signal, and collect the
 * counters. The BPF mechanisms are driven through a session (above); a
 * plan whose first rule is SECCOMP_NOTIFY runs on the seccomp supervisor
 * (<faultline/seccomp.h>) instead.
 *
 * A launched command counts from its execve on. The run ends when it has
 * exited and been reaped (and, on seccomp, when every descendant still
 * under the filter is gone) or, for running targets, at the end of for_ns,
 * on a stop signal, or once every pid target has exited (when the targets
 * are pids only). Nothing the run installed survives it.
 */
struct fl_syscall_run_cfg {
	const struct fl_rule *rules;
	size_t n_rules;                     /* 1 .. FL_SC_MAX_RULES */
	/* From fl_syscall_plan(), or NULL: planned here, nothing forced. */
	const struct fl_syscall_plan *plan;
	/* The command to launch (PATH is searched), or NULL: targets. */
	char *const *argv;
	struct fl_syscall_targets targets;  /* running targets, when argv is NULL */
	/*
	 * The signal mask a command launched on a BPF mechanism execs with
	 * (NULL: none blocked); a seccomp-launched one always starts with none
	 * blocked. The caller's mask from before it blocked stop_signals.
	 */
	const sigset_t *child_mask;
	uint64_t for_ns;                    /* stop injecting after this; 0 = never */
	/*
	 * Signals that stop the run (NULL: none), read through a signalfd:
	 * block them in every thread of the process, from as early as
	 * possible (the run blocks them in its own thread and restores that
	 * thread's mask at the end). The first one stops injecting and is
	 * passed on to the command (not when a terminal sent it to the
	 * command's process group as well); a second one stops waiting for
	 * the command.
	 */
	const sigset_t *stop_signals;
};

/* Where a run stands, for ops->on_phase. */
enum fl_syscall_run_phase {
	FL_SC_RUN_ARMED,     /* the rules are armed; a command is started */
	FL_SC_RUN_DISARMED,  /* injecting stopped: for_ns ran out, a stop
				signal came or every pid target exited */
	FL_SC_RUN_GAVE_UP,   /* a second stop signal: the command is no
				longer waited for */
};

struct fl_syscall_run_result {
	struct fl_syscall_plan plan;       /* the mechanism of each rule */
	struct fl_syscall_stats stats[FL_SC_MAX_RULES]; /* filled at the end */
	pid_t pid;                         /* the launched command, or 0 */
	bool exited;                       /* it was reaped: wstatus is its status */
	int wstatus;
	int stop_signal;                   /* the first stop signal, or 0 */
	bool gave_up;                      /* a second one ended the wait */
	/*
	 * The first error after the start that did not end the run early
	 * (poll, the supervisor thread), or 0; the counters still stand.
	 */
	int err;
	/*
	 * The hook of the sys_enter rules (fl_syscall_session_enter_hook):
	 * FL_MECH_FENTRY, FL_MECH_TRACEPOINT or FL_MECH_RAW_TP; -1 if none
	 * (no such rule, or the seccomp supervisor ran the rules).
	 */
	int enter_hook;
};

struct fl_syscall_run_ops {
	/*
	 * Every injection event (or failed injection), rule_id = the rule's
	 * index. On seccomp it runs on the supervisor's thread, one event at
	 * a time. May be NULL.
	 */
	fl_event_cb on_event;
	/* Progress; now is the result so far (pid, stop_signal). May be NULL. */
	void (*on_phase)(void *ctx, enum fl_syscall_run_phase phase,
			 const struct fl_syscall_run_result *now);
};

/* What a failed fl_syscall_run was doing. */
enum fl_syscall_run_step {
	FL_SC_RUN_STEP_SETUP,   /* arguments, signals, descriptors, threads */
	FL_SC_RUN_STEP_PLAN,    /* cfg->plan was NULL and planning failed */
	FL_SC_RUN_STEP_ARM,     /* loading the programs / opening the supervisor */
	FL_SC_RUN_STEP_LAUNCH,  /* starting the command */
};

struct fl_syscall_run_error {
	enum fl_syscall_run_step step;
	int rule;                      /* PLAN: the rule at fault, or -1 */
	struct fl_rule_error plan;     /* PLAN: what is missing, what would work */
};

/*
 * Run rules until the end described above; ret gets the counters and the
 * command's status. ops and err may be NULL. Returns 0, or -errno with err
 * (if not NULL) saying at which step:
 *   SETUP   -EINVAL (no rules, no target, a pid target that is the caller
 *           itself), or what failed;
 *   PLAN    as fl_syscall_plan();
 *   ARM     as fl_syscall_session_open() or fl_seccomp_sup_open() (-ESRCH:
 *           a pid target is gone; -ENOENT, -ENOTDIR: a cgroup is not a
 *           cgroup v2 directory);
 *   LAUNCH  -ENOENT (not found), -EACCES or -ENOEXEC (not executable), or
 *           what failed; no command was left running.
 */
int fl_syscall_run(const struct fl_syscall_run_cfg *cfg, const struct fl_syscall_run_ops *ops,
		   void *ctx, struct fl_syscall_run_result *ret,
		   struct fl_syscall_run_error *err);

#endif /* FAULTLINE_SYSCALL_H */
