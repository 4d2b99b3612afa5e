/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Run a function in a forked child, optionally inside a fresh network
 * namespace with loopback up. Whatever the child installs in that netns
 * (qdiscs, tc/XDP programs, iptables rules) dies with it, so probes and
 * tests need no cleanup path of their own.
 */
#ifndef FAULTLINE_CHILD_H
#define FAULTLINE_CHILD_H

#include <stddef.h>
#include <sys/types.h>

enum fl_child_flags {
	FL_CHILD_NEWNET = 1u << 0, /* unshare(CLONE_NEWNET) and bring lo up */
};

/*
 * fn runs in the child with a shared, zeroed buffer of shared_len bytes that
 * the parent reads back into ret_shared after the child exits. fn's return
 * value (0 or -errno) becomes ret_status. The child is SIGKILLed after
 * timeout_ms. Returns 0 when the child ran to completion, -ETIMEDOUT, or
 * another -errno if it could not be started.
 */
int fl_child_run(int (*fn)(void *shared, void *arg), void *arg, unsigned flags,
		 int timeout_ms, void *ret_shared, size_t shared_len, int *ret_status);

/*
 * Reap our child pid within timeout_ms, SIGKILLing it when the time is up
 * (then -ETIMEDOUT). ret_wstatus gets waitpid's status.
 */
int fl_child_wait(pid_t pid, int timeout_ms, int *ret_wstatus);

/*
 * The program a child would exec: the first name on $PATH (unset:
 * /usr/local/bin:/usr/bin:/bin) that may be executed, into buf. -ENOENT.
 */
int fl_child_which(const char *name, char *buf, size_t len);

/*
 * Wait up to timeout_ms for pid to exit: any process, not only our child
 * (a daemon that left us), through a pidfd. 0 when it is gone (or was),
 * -ETIMEDOUT.
 */
int fl_pid_wait_exit(pid_t pid, int timeout_ms);

/* Bring an interface up in the current netns. */
int fl_link_up(const char *ifname);

#endif
