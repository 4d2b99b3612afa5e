/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by seccomp_filter.c, seccomp_launch.c and seccomp_supervisor.c. */
#ifndef FL_SECCOMP_PRIV_H
#define FL_SECCOMP_PRIV_H

#include <sys/socket.h>
#include <faultline/seccomp.h>

/*
 * The launcher's child talks to the parent after its filter is installed
 * (listener out, go-ahead in). Those two calls must never be notified:
 * nobody holds the listener yet, or the call would be counted before the
 * command runs. The filter lets sendmsg/recvmsg through when the fd is the
 * handshake socket and the flags are exactly this combination, which no
 * real program passes on that fd number (MSG_CONFIRM is a no-op on AF_UNIX).
 */
#define FL_SC_HANDSHAKE_FLAGS (MSG_NOSIGNAL | MSG_CONFIRM | MSG_CMSG_CLOEXEC)

/*
 * What the filter answers for each syscall number the rules name:
 * SECCOMP_RET_USER_NOTIF (the supervisor decides), or SECCOMP_RET_ERRNO |
 * errno when the first rule on that number fails every call of it anyway
 * (seccomp_in_kernel.c says which rules those are).
 */
struct fl_sc_filter_spec {
	int nrs[FL_SECCOMP_MAX_NRS];
	uint32_t actions[FL_SECCOMP_MAX_NRS];
	size_t n;
};

/*
 * The spec for rules. in_kernel false: every number is notified. Else the
 * rules that need no decision are answered by the filter, and
 * rule_in_kernel[i] (n_rules entries, may be NULL) says which rules those
 * are. A filter that would not fit the 8-bit jumps falls back to notifying.
 */
int fl_sc_filter_spec(const struct fl_rule *rules, size_t n_rules, bool in_kernel,
		      struct fl_sc_filter_spec *ret, bool *rule_in_kernel);

/* The longest jump the filter for spec needs (it must fit 8 bits). */
size_t fl_sc_filter_longest_jump(const struct fl_sc_filter_spec *spec);

/* The filter for spec, plus the handshake exemption for fd (-1: none). */
int fl_sc_filter_build(const struct fl_sc_filter_spec *spec, int handshake_fd,
		       struct sock_fprog *ret);

/* The distinct syscall numbers rules name, in first-seen order. */
int fl_sc_rule_nrs(const struct fl_rule *rules, size_t n_rules, int *nrs, size_t max,
		   size_t *ret_n);

/* Launch the child; see fl_seccomp_sup_launch. */
struct fl_sc_launch {
	pid_t pid;
	int listener;
	pid_t watchdog;     /* kills -pid if we die */
	int watchdog_fd;    /* write end: a byte = clean exit, EOF = we died */
};

int fl_sc_launch(const struct fl_rule *rules, size_t n_rules, const struct fl_sc_filter_spec *spec,
		 char *const argv[], struct fl_sc_launch *ret);
/* Tell the watchdog we exit cleanly, reap it. */
void fl_sc_watchdog_release(struct fl_sc_launch *l);

#endif /* FL_SECCOMP_PRIV_H */
