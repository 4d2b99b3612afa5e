// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The library API's four operations (<faultline/recovery.h>) in one
 * program, no CLI:
 *
 *   1. fl_simulate_failure: stop a process this program starts (SIGSTOP),
 *      see it stopped, and fl_failure_clear it (SIGCONT);
 *   2. fl_test_recovery: a short rpo run on the built-in file store, its
 *      writer SIGKILLed 300 ms into the load and restarted;
 *   3. fl_validate_objectives: the result against the brief's objectives;
 *   4. fl_generate_report: report.html, junit.xml and report.md.
 *
 *   cc recovery_api.c $(pkg-config --cflags --libs faultline) -o recovery_api
 *   sudo ./recovery_api [SCRATCH_DIR]
 *
 * Root: the rpo run records what it must undo under /run/faultline.
 * Exits 0 when the stop was seen and undone, the trial measured, and the
 * report written.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <faultline/faultline.h>

/* The state letter of /proc/PID/stat: 'T' stopped, 'S' sleeping, ... */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] && p[2] ? p[2] : '?';
}

static int wait_state(pid_t pid, char want)
{
	for (int i = 0; i < 200; i++) {
		if (proc_state(pid) == want)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* 1. A failure armed and cleared: a process of ours stopped, then continued. */
static int simulate(void)
{
	struct fl_failure f = { .domain = FL_FAILURE_PROCESS, .signal = SIGSTOP };
	struct fl_failure_handle *h;
	char why[256] = "";
	int err, ok;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	f.process = pid;
	err = fl_simulate_failure(&f, why, sizeof(why), &h);
	if (err) {
		fprintf(stderr, "simulate failure: %s\n", why);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	ok = wait_state(pid, 'T') == 0;
	printf("failure    process %d stopped: %s\n", (int)pid, ok ? "yes" : "no");
	err = fl_failure_clear(h, why, sizeof(why));
	ok = ok && !err && wait_state(pid, 'S') == 0;
	printf("cleared    process %d running again: %s\n", (int)pid, ok ? "yes" : "no");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/recovery-api-XXXXXX", spec[4200], html[4200], junit[4200], md[4200];
	const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
	struct fl_rpo_config cfg;
	struct fl_recovery_test t = { .kind = FL_RECOVERY_RPO, .rpo = &cfg };
	struct fl_recovery_result *res = NULL;
	struct fl_objectives obj;
	struct fl_verdict v;
	char why[512] = "", line[512];
	struct fl_report_opts ro = { .html = html, .junit = junit, .markdown = md,
				     .errbuf = why, .errlen = sizeof(why) };
	int err, status = 1;

	if (!dir) {
		perror("mkdtemp");
		return 1;
	}
	if (simulate())
		return 1;

	/* 2. A recovery procedure: one short rpo trial on the built-in file store. */
	snprintf(spec, sizeof(spec), "file:%s/log?fsync=interval=100ms", dir);
	fl_rpo_config_defaults(&cfg);
	cfg.workload = spec;
	cfg.fault = FL_RPO_FAULT_KILL;
	cfg.fault_at_ns = 1000ull * 1000000;
	cfg.after_ns = 1000ull * 1000000;
	cfg.load.clients = 2;
	cfg.load.rate = 2000;              /* writes per second: a small log */
	cfg.trials = 1;
	t.errbuf = why;
	t.errlen = sizeof(why);
	err = fl_test_recovery(&t, &res);
	if (err) {
		fprintf(stderr, "test recovery: %s\n", why[0] ? why : strerror(-err));
		return 1;
	}
	if (res->rpo->trials[0].err) {
		fprintf(stderr, "trial failed: %s\n", res->rpo->trials[0].error);
		goto out;
	}

	/* 3. The brief's objectives, with a tighter RTO of our own. */
	fl_objectives_defaults(&obj);
	obj.rto_max_ns = 30ull * 1000000000;
	err = fl_validate_objectives(res, &obj, &v);
	if (err) {
		fprintf(stderr, "validate objectives: %s\n", strerror(-err));
		goto out;
	}
	for (int k = 0; k < FL_OBJ_COUNT; k++) {
		fl_objective_text(&v.o[k], line, sizeof(line));
		printf("objective  %s\n", line);
	}
	printf("verdict    %s\n", v.pass ? "pass" : "fail");

	/* 4. The report: an HTML page, JUnit XML and Markdown. */
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(junit, sizeof(junit), "%s/junit.xml", dir);
	snprintf(md, sizeof(md), "%s/report.md", dir);
	const struct fl_recovery_result *list[] = { res };
	err = fl_generate_report(list, 1, &ro);
	if (err) {
		fprintf(stderr, "generate report: %s\n", why);
		goto out;
	}
	printf("report     %s, %s, %s\n", html, junit, md);
	/* Objectives that failed are in the report, not an error of this program. */
	status = v.o[FL_OBJ_RTO].judged ? 0 : 1;
out:
	fl_recovery_result_free(res);
	if (argc < 2) {
		const char *files[] = { "log", "report.html", "junit.xml", "report.md" };

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(line, sizeof(line), "%s/%s", dir, files[i]);
			unlink(line);
		}
		rmdir(dir);
	}
	return status;
}
