// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trials on faultfs while other mount namespaces come and go, as `ip netns
 * exec` and `unshare -m` make them: a namespace made while a trial's
 * faultfs stood holds a copy of that mount, so unmounting it here left the
 * daemon serving on, the next trial's faultfs refused to start beside it
 * ("does not answer on its control socket"), and trials 2 and 3 measured
 * nothing. rpo now stops a daemon that outlives its unmount.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>

#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"

/*
 * Every 100 ms for bounded_ms, a `unshare -m sleep 15` in the background:
 * each copies the mounts of that moment (a trial's faultfs among them)
 * and keeps them for 15 s, longer than rpo waits for a faultfs to exit.
 */
static pid_t start_namespace_churn(int bounded_ms)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setpgid(0, 0);
	for (int t = 0; t < bounded_ms; t += 100) {
		if (fork() == 0) {
			execlp("unshare", "unshare", "-m", "--propagation", "unchanged",
			       "sleep", "15", (char *)NULL);
			_exit(127);
		}
		usleep(100 * 1000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	_exit(0);
}

static void test_trials_measure_while_other_namespaces_hold_the_mount(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 64];
	json_t *res, *trials, *t;
	pid_t churn;
	size_t i;
	int code;

	if (!fl_rpo_cli_require())
		skip();
	if (access("/usr/bin/unshare", X_OK)) {
		print_message("skip: needs unshare (util-linux)\n");
		skip();
	}
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	churn = start_namespace_churn(12000);
	assert_true(churn > 0);
	code = fl_rpo_cli(fx->path, &res, NULL, "-w", w, "-d", fx->path, "--faultfs",
			  "--fault", "powercut", "--trials", "3", "--fault-at", "700ms",
			  "--after", "300ms", NULL);
	kill(-churn, SIGKILL);
	waitpid(churn, NULL, 0);
	trials = json_object_get(res, "trials");
	json_array_foreach(trials, i, t)
		fl_rpo_assert_no_error(t, "trial on faultfs beside other mount namespaces");
	assert_int_equal(json_array_size(trials), 3);
	assert_int_equal(code, 0);
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trials_measure_while_other_namespaces_hold_the_mount,
						fl_setup_tmpdir, fl_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
