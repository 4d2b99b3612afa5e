// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One RPO trial with libfaultline alone, no CLI: the built-in file
 * workload (an append-only log, fsynced every 100 ms) is written by two
 * clients, its writer process is SIGKILLed 300 ms in, restarted, loaded
 * for 300 ms more, and everything is read back and checked.
 *
 *   cc rpo_trial.c $(pkg-config --cflags --libs faultline) -o rpo_trial
 *   sudo ./rpo_trial [SCRATCH_DIR]
 *
 * Root: the run records what it must undo under /run/faultline. Prints
 * what was lost (RPO) and how long the store took to come back (RTO);
 * exits 0 when the trial finished and the fault struck.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <faultline/faultline.h>

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/rpo-trial-XXXXXX", spec[4200];
	const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
	struct fl_rpo_config cfg;
	struct fl_rpo_result *res;
	const struct fl_rpo_trial *t;
	int err;

	if (!dir) {
		perror("mkdtemp");
		return 1;
	}
	/* The workload spec names the store; the built-in writer is the "service". */
	snprintf(spec, sizeof(spec), "file:%s/log?fsync=interval=100ms", dir);

	/* Start from the documented defaults, then make the trial short. */
	fl_rpo_config_defaults(&cfg);
	cfg.workload = spec;
	cfg.fault = FL_RPO_FAULT_KILL;        /* SIGKILL the writer mid-load */
	cfg.fault_at_ns = 300ull * 1000000;   /* 300 ms after the load starts */
	cfg.after_ns = 300ull * 1000000;      /* load kept on once it is back */
	cfg.load.clients = 2;
	cfg.trials = 1;

	/* Starts the writer, drives it, breaks it, restarts it, reads back, measures. */
	err = fl_rpo_run(&cfg, NULL, NULL, &res);
	if (err) {
		fprintf(stderr, "rpo run: %s\n", strerror(-err));
		return 1;
	}
	t = &res->trials[0];
	if (t->err) {
		/* A trial that could not finish says where (phase) and why. */
		fprintf(stderr, "trial failed in %s: %s\n", t->phase, t->error);
		fl_rpo_result_free(res);
		return 1;
	}

	/* The history judged: acknowledged writes lost, and the recovery phases. */
	printf("workload   %s\n", spec);
	printf("fault      %s at +%.0f ms\n", fl_rpo_fault_name(cfg.fault),
	       (t->rto.fault_ns - t->start_ns) / 1e6);
	printf("writes     %llu acknowledged, %llu lost, %llu unknown\n",
	       (unsigned long long)t->check.acknowledged, (unsigned long long)t->check.lost,
	       (unsigned long long)t->check.unknown);
	printf("RPO        %.1f ms (%llu writes)\n", t->check.rpo_ns / 1e6,
	       (unsigned long long)t->check.rpo_writes);
	printf("RTO        %.1f ms (healthy after %.1f ms)\n", fl_rpo_rto_ns(&t->rto) / 1e6,
	       (t->rto.healthy_ns - t->rto.fault_ns) / 1e6);

	/* The fault must have struck, and writes must have come through after it. */
	err = t->rto.fault_ns && t->check.acknowledged && fl_rpo_rto_ns(&t->rto) != UINT64_MAX ? 0 : 1;
	fl_rpo_result_free(res);
	if (argc < 2) {
		/* Our own scratch directory goes; a given one is the caller's. */
		snprintf(spec, sizeof(spec), "%s/log", dir);
		unlink(spec);
		rmdir(dir);
	}
	return err;
}
