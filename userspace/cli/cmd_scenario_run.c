// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline scenario run FILE [--trials N] [--seed N] [-o FILE] [--json]:
 * run a scenario file's trials and judge its objectives. Progress goes to
 * stderr one line per phase and event; the summary to stdout (or the
 * faultline-scenario/2 document with --json). Ctrl-C ends the trial,
 * recovers and tears the cluster down before exiting.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <faultline/recovery.h>
#include <faultline/scenario.h>
#include <faultline/scenario_run.h>

#include "cli/cli.h"
#include "cli/objectives_cli.h"
#include "core/parse_values.h"

#define EXIT_VIOLATED 1
#define EXIT_TRIAL    3
#define EXIT_INTERNAL 125

const struct option fl_scenario_run_opts[] = {
	{ "trials", required_argument, NULL, 't' },
	{ "seed", required_argument, NULL, 's' },
	{ "output", required_argument, NULL, 'o' },
	{ "subnet", required_argument, NULL, 'S' },
	{ "run-dir", required_argument, NULL, 'R' },
	{ "name", required_argument, NULL, 'N' },
	{ "ssh-identity", required_argument, NULL, 'I' },
	{ "ssh-known-hosts", required_argument, NULL, 'K' },
	{ "ssh-host-key-check", required_argument, NULL, 'C' },
	{ "ssh-faultline", required_argument, NULL, 'F' },
	FL_CLI_OBJ_OPTIONS,
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline scenario run FILE [OPTIONS]\n"
		"\n"
		"Run FILE's trials, each on a fresh cluster: bring it up, drive the workload at\n"
		"its target (a role follows failovers), run the steps and the nemesis, recover,\n"
		"read every acknowledged write back from the leader and from each node, measure,\n"
		"and tear the cluster down. Needs root.\n"
		"\n"
		"  -t, --trials N     trials (default: the file's trials:, else 1)\n"
		"  -s, --seed N       the first trial's seed (default: the file's, else random);\n"
		"                     trial i uses seed + i - 1\n"
		"  -o, --output FILE  write the faultline-scenario/2 result there\n"
		"      --subnet CIDR  the cluster's IPv4 /24 (default 10.231.7.0/24)\n"
		"      --name NAME    the cluster's name (default: sc and the pid)\n"
		"      --run-dir DIR  where the nodes' data dirs go (default\n"
		"                     /var/tmp/faultline/cluster)\n"
		"Nodes on other hosts (host: ssh://USER@HOST[:PORT] on every node):\n"
		"      --ssh-identity KEY     the private key ssh logs in with (-i)\n"
		"      --ssh-known-hosts FILE the hosts' keys (UserKnownHostsFile)\n"
		"      --ssh-host-key-check yes|accept-new|no\n"
		"                             StrictHostKeyChecking (default: ssh's own)\n"
		"      --ssh-faultline PATH   faultline on the hosts (default: faultline on\n"
		"                             their $PATH); their faultfs is the one beside it\n"
		"Objectives (override the file's objectives: mttr, availability, mtbf):\n");
	fputs(fl_cli_objectives_help, out);
	fprintf(out,
		"Output:\n"
		"  -j, --json         the result on stdout instead of the summary\n"
		"  -q, --quiet        no progress lines on stderr\n"
		"  -h, --help         this help\n"
		"\n"
		"Measured per trial: lost acknowledged writes (ids) and the RPO window, each\n"
		"node's own copy, the unavailability after each fault per client (RTO),\n"
		"availability, split-brain evidence, the fault events and each node's timeline.\n"
		"\n"
		"Exit status: 0 every objective met; 1 an objective violated; 2 bad usage or an\n"
		"invalid file; 3 a trial could not finish (the result says why) or the run was\n"
		"interrupted; 125 an internal error.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	fl_scenario_interrupt();
}

static void on_progress(void *arg, unsigned trial, const char *msg)
{
	(void)arg;
	fprintf(stderr, "faultline: scenario: trial %u: %s\n", trial, msg);
}

static void print_ms(FILE *out, const char *label, uint64_t ns)
{
	if (ns == UINT64_MAX)
		fprintf(out, "%s never", label);
	else
		fprintf(out, "%s %.0f ms", label, (double)ns / 1e6);
}

static void print_summary(FILE *out, const struct fl_scenario_result *r)
{
	const struct fl_scenario *s = r->s;

	fprintf(out, "scenario %s (%s, %u nodes), seed %llu\n", s->name ? s->name : r->file,
		s->cluster ? fl_scenario_kind_name(s->cluster) : "own", s->n_nodes,
		(unsigned long long)r->seed);
	for (size_t i = 0; i < r->n_trials; i++) {
		const struct fl_scenario_trial *t = &r->trials[i];

		fprintf(out, "trial %zu: ", i + 1);
		if (t->err) {
			fprintf(out, "could not finish (%s): %s\n", t->phase, t->error);
			continue;
		}
		fprintf(out, "%llu acknowledged, %llu lost", (unsigned long long)t->check.acknowledged,
			(unsigned long long)t->check.lost);
		if (t->check.lost) {
			fprintf(out, " (ids");
			for (size_t k = 0; k < t->check.n_lost_sample; k++)
				fprintf(out, " %llu", (unsigned long long)t->check.lost_sample[k]);
			fprintf(out, "%s)", t->check.n_lost_sample < t->check.lost ? " ..." : "");
		}
		print_ms(out, ", rpo", t->check.rpo_ns);
		if (t->n_unavail)
			print_ms(out, ", unavailable", t->rto_ns);
		fprintf(out, ", availability %.2f%%, %u leader change%s", t->availability_ppm / 1e4,
			t->leader_changes, t->leader_changes == 1 ? "" : "s");
		if (t->reg.checked)
			fprintf(out, ", register reads %s (%zu checked, %zu anomal%s)",
				t->reg.check.valid ? "valid" : "INVALID", t->reg.check.reads_checked,
				t->reg.check.n_anomalies, t->reg.check.n_anomalies == 1 ? "y" : "ies");
		if (t->bank.checked)
			fprintf(out, ", bank %s (%zu reads)", t->bank.check.valid ? "valid" : "INVALID",
				t->bank.check.bank_reads_checked);
		if (t->n_split)
			fprintf(out, ", SPLIT BRAIN (%zu pair%s)", t->n_split, t->n_split == 1 ? "" : "s");
		for (size_t k = 0; k < t->n_events; k++)
			if (t->events[k].err)
				fprintf(out, "; %s failed: %s", fl_scenario_op_name(t->events[k].op),
					t->events[k].error);
		fputc('\n', out);
	}
	if (!r->n_measured) {
		fprintf(out, "no trial measured: nothing judged\n");
		return;
	}
	fprintf(out, "over %zu trial%s: lost median %llu (max %llu)", r->n_measured,
		r->n_measured == 1 ? "" : "s", (unsigned long long)r->lost.median,
		(unsigned long long)r->lost.max);
	print_ms(out, ", rpo median", r->rpo.median);
	print_ms(out, ", unavailability median", r->rto.median);
	print_ms(out, ", mttr", r->mttr_ns);
	fprintf(out, ", availability median %.2f%%\n", r->availability_ppm.median / 1e4);
	fprintf(out, "cluster up median %.1f s, down median %.1f s\n", r->up.median / 1e9,
		r->down.median / 1e9);
	if (s->objectives.consistent)
		fprintf(out, "objective consistent reads: %s\n", r->consistent_met ? "met" : "VIOLATED");
	fl_cli_print_verdict(out, &r->verdict);
}

/* The command line's objectives over the file's: given is a bit per flag (0..3). */
static void override_objectives(struct fl_scenario *s, const struct fl_objectives *o,
				unsigned given)
{
	if (given & 1)
		s->objectives.mttr_ns = o->mttr_max_ns;
	if (given & 2) {
		s->objectives.availability_ppm = o->availability_min_ppm;
		s->objectives.availability_none = !o->availability_min_ppm;
	}
	if (given & 4)
		s->objectives.mtbf_ns = o->mtbf_min_ns;
	if (given & 8)
		s->objectives.assumed_mtbf_ns = o->assumed_mtbf_ns;
}

static int load(const char *file, struct fl_scenario **ret)
{
	struct fl_scenario_errors errs;
	int r = fl_scenario_load(file, ret, &errs);

	if (r == -EINVAL || r == -EFBIG) {
		for (unsigned i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.e[i].text);
		return FL_CLI_EXIT_USAGE;
	}
	if (r) {
		fl_cli_error("cannot read scenario %s: %s", file, strerror(-r));
		return FL_CLI_EXIT_USAGE;
	}
	return 0;
}

int fl_scenario_run_cli(int argc, char **argv, const struct fl_cli *cli)
{
	struct fl_scenario_run_opts o = { .progress = on_progress };
	struct sigaction sa = { .sa_handler = on_signal };
	struct fl_recovery_result *rr = NULL;
	struct fl_scenario_result *r;
	struct fl_scenario *s = NULL;
	const char *output = NULL, *why;
	bool json = cli->json, quiet = false, trial_failed = false;
	char err_text[1024] = "";
	struct fl_objectives obj = { 0 };
	unsigned obj_given = 0;
	uint64_t v;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "t:s:o:jqh", fl_scenario_run_opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (fl_parse_u64_why(optarg, &v, &why) || !v || v > 1000) {
				fl_cli_error("scenario run: --trials: expected 1 to 1000, got '%s'", optarg);
				return FL_CLI_EXIT_USAGE;
			}
			o.trials = (unsigned)v;
			break;
		case 's':
			if (fl_parse_u64_why(optarg, &o.seed, &why)) {
				fl_cli_error("scenario run: --seed: %s: '%s'", why, optarg);
				return FL_CLI_EXIT_USAGE;
			}
			o.has_seed = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'S':
			o.subnet = optarg;
			break;
		case 'R':
			o.run_dir = optarg;
			break;
		case 'N':
			o.cluster_name = optarg;
			break;
		case 'I':
			o.ssh_identity = optarg;
			break;
		case 'K':
			o.ssh_known_hosts = optarg;
			break;
		case 'F':
			o.ssh_faultline = optarg;
			break;
		case 'C':
			if (!strcmp(optarg, "yes")) {
				o.ssh_hostkey = FL_REMOTE_HOSTKEY_STRICT;
			} else if (!strcmp(optarg, "accept-new")) {
				o.ssh_hostkey = FL_REMOTE_HOSTKEY_ACCEPT_NEW;
			} else if (!strcmp(optarg, "no")) {
				o.ssh_hostkey = FL_REMOTE_HOSTKEY_OFF;
			} else {
				fl_cli_error("scenario run: --ssh-host-key-check: expected yes, "
					     "accept-new or no, got '%s'", optarg);
				return FL_CLI_EXIT_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case FL_CLI_OBJ_OPT:
		case FL_CLI_OBJ_OPT + 1:
		case FL_CLI_OBJ_OPT + 2:
		case FL_CLI_OBJ_OPT + 3:
			if (fl_cli_objective_opt("scenario run", c, optarg, &obj))
				return FL_CLI_EXIT_USAGE;
			obj_given |= 1u << (c - FL_CLI_OBJ_OPT);
			break;
		default:
			return FL_CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fl_cli_error("scenario run: expected one FILE (see 'faultline scenario run --help')");
		return FL_CLI_EXIT_USAGE;
	}
	o.file = argv[optind];
	if (quiet)
		o.progress = NULL;
	ret = load(o.file, &s);
	if (ret)
		return ret;
	override_objectives(s, &obj, obj_given);
	if (geteuid() != 0) {
		fl_cli_error("scenario run: needs root (it makes network namespaces, cgroups and "
			     "FUSE mounts); 'faultline scenario check %s' needs none", o.file);
		fl_scenario_free(s);
		return FL_CLI_EXIT_USAGE;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = fl_test_recovery(&(struct fl_recovery_test){
		.kind = FL_RECOVERY_SCENARIO, .scenario = s, .scenario_opts = &o,
		.errbuf = err_text, .errlen = sizeof(err_text) }, &rr);
	if (ret) {
		fl_cli_error("scenario run: %s", err_text[0] ? err_text : strerror(-ret));
		fl_scenario_free(s);
		return ret == -EOPNOTSUPP ? FL_CLI_EXIT_USAGE : EXIT_INTERNAL;
	}
	r = rr->scenario;
	ret = EXIT_INTERNAL;
	if (fl_cli_write_result("scenario run", rr->json, output, json))
		goto out;
	if (!json)
		print_summary(stdout, r);
	for (size_t i = 0; i < r->n_trials; i++)
		trial_failed |= r->trials[i].err != 0;
	/* Interrupted: what was measured is reported, but nothing is judged (as rpo). */
	if (r->interrupted)
		ret = EXIT_TRIAL;
	else if (r->n_measured && !r->passed)
		ret = EXIT_VIOLATED;
	else if (trial_failed || !r->n_measured)
		ret = EXIT_TRIAL;
	else
		ret = 0;
out:
	fl_recovery_result_free(rr);
	fl_scenario_free(s);
	return ret;
}
