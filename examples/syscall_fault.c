// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * syscall_fault: make the 2nd fsync of a command fail with EIO through
 * libfaultline alone, as `faultline syscall 'fsync:error=EIO:when=2' -- CMD`
 * does. Run as root. The command is this program in "child" mode: it fsyncs
 * a temporary file three times and says how each went. Exit 0 when exactly
 * the 2nd fsync failed.
 *
 *   cc syscall_fault.c $(pkg-config --cflags --libs faultline) -o syscall_fault
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <faultline/rule.h>
#include <faultline/syscall.h>

/* The command under the rule; its exit status is the number of failed fsyncs. */
static int child(void)
{
	FILE *f = tmpfile();
	int failed = 0;

	for (int i = 1; f && i <= 3; i++) {
		int r = fsync(fileno(f));

		printf("child: fsync #%d: %s\n", i, r ? strerror(errno) : "ok");
		failed += r != 0;
	}
	return f ? failed : 100;
}

/* Each injection, as it happens (on seccomp, from the supervisor's thread). */
static int on_event(void *ctx, const struct fl_event *ev)
{
	int *injected = ctx;

	printf("faultline: %s returns %s in pid %u (matching call #%llu, %s)\n",
	       fl_syscall_name(ev->op), fl_errno_name((int)ev->value), ev->pid,
	       (unsigned long long)ev->seq, fl_mechanism_name(ev->mechanism));
	*injected += ev->result == FL_RESULT_INJECTED;
	return 0;
}

int main(int argc, char **argv)
{
	char *cmd[] = { "/proc/self/exe", "child", NULL };
	const struct fl_syscall_run_ops ops = { .on_event = on_event };
	struct fl_rule rule;
	/* No plan given: the library picks the mechanism (seccomp-notify here). */
	const struct fl_syscall_run_cfg cfg = { .rules = &rule, .n_rules = 1, .argv = cmd };
	struct fl_syscall_run_result res;
	struct fl_syscall_run_error why;
	struct fl_rule_error bad;
	int injected = 0, err;

	setvbuf(stdout, NULL, _IOLBF, 0); /* the child's lines and ours, in order */
	if (argc > 1 && !strcmp(argv[1], "child"))
		return child();

	if (fl_rule_parse("fsync:error=EIO:when=2", &rule, &bad)) {
		fprintf(stderr, "rule: %s\n", bad.message);
		return 2;
	}
	err = fl_syscall_run(&cfg, &ops, &injected, &res, &why);
	if (err) {
		fprintf(stderr, "fl_syscall_run failed at step %d: %s%s%s\n", (int)why.step,
			strerror(-err), why.plan.message[0] ? ": " : "", why.plan.message);
		return 2;
	}
	printf("rule 0 [%s]: matched %llu, injected %llu; child exit status %d\n",
	       fl_mechanism_name(res.plan.mech[0]), (unsigned long long)res.stats[0].matched,
	       (unsigned long long)res.stats[0].injected,
	       WIFEXITED(res.wstatus) ? WEXITSTATUS(res.wstatus) : -1);
	/* One fault injected, one fsync failed in the child. */
	return injected == 1 && res.exited && WIFEXITED(res.wstatus) &&
	       WEXITSTATUS(res.wstatus) == 1 ? 0 : 1;
}
