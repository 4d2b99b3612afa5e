// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline backup run|strategies: drive a real backup tool on a schedule
 * while a workload writes, destroy or corrupt the data, restore, measure.
 * Progress on stderr (one line per phase; a live line on a terminal), the
 * summary or the faultline-backup/1 document on stdout. Ctrl-C ends the
 * trial and cleans up before exiting.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <faultline/recovery.h>
#include <faultline/backup.h>

#include "backup/strategy.h"
#include "cli/cli.h"
#include "cli/objectives_cli.h"
#include "core/parse_values.h"

#define EXIT_INTERNAL 125

static volatile int interrupted;

const struct option fl_backup_run_opts[] = {
	{ "workload", required_argument, NULL, 'w' },
	{ "strategy", required_argument, NULL, 'S' },
	{ "schedule", required_argument, NULL, 's' },
	{ "fault", required_argument, NULL, 'f' },
	{ "fault-at", required_argument, NULL, 'a' },
	{ "after", required_argument, NULL, 'A' },
	{ "restore", required_argument, NULL, 'r' },
	{ "pitr-slack", required_argument, NULL, 'P' },
	{ "backup-cmd", required_argument, NULL, 'B' },
	{ "restore-cmd", required_argument, NULL, 'R' },
	{ "verify-cmd", required_argument, NULL, 'V' },
	{ "trials", required_argument, NULL, 't' },
	{ "rate", required_argument, NULL, 'x' },
	{ "clients", required_argument, NULL, 'c' },
	{ "rpo-max", required_argument, NULL, 'p' },
	{ "rto-max", required_argument, NULL, 'T' },
	FL_CLI_OBJ_OPTIONS,
	{ "health-timeout", required_argument, NULL, 'H' },
	{ "faultfs", no_argument, NULL, 'F' },
	{ "keep", no_argument, NULL, 'k' },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const struct option strategies_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

const char *fl_backup_verb(size_t i, const struct option **opts)
{
	static const char *const verbs[] = { "run", "strategies" };

	if (i >= sizeof(verbs) / sizeof(verbs[0]))
		return NULL;
	*opts = i == 0 ? fl_backup_run_opts : strategies_opts;
	return verbs[i];
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline backup run --strategy NAME [OPTIONS]\n"
		"       faultline backup strategies [--json]\n"
		"\n"
		"Drive a real backup tool on a schedule while a workload writes; at --fault-at\n"
		"break the store; wipe its data directory, restore from the backups, start it,\n"
		"write to it, read every record back and check it. Needs root.\n"
		"\n"
		"  -S, --strategy NAME    pgbackrest, pg_basebackup, tar, restic, sqlite,\n"
		"                         redis-rdb, fs-snapshot, exec ('backup strategies')\n"
		"  -w, --workload SPEC    postgres:local[?K=V..], redis:local[?K=V..], sqlite:PATH,\n"
		"                         file:PATH (a relative PATH lands in the run directory);\n"
		"                         default: the strategy's first store\n"
		"  -s, --schedule SCHED   KIND@DUR or KIND@every:DUR[+OFFSET], comma-separated;\n"
		"                         KIND full, diff, incr, snapshot (default: full@0s,\n"
		"                         incr@every:5s, or the strategy's only kind every 5 s)\n"
		"  -f, --fault FAULT      disk-loss (default), corrupt[=N] (N blocks, 4),\n"
		"                         powercut, drop-table, exec=CMD\n"
		"  -a, --fault-at DUR     when, after the load starts (default 30s)\n"
		"      --after DUR        corrupt: the load and the backups go on this long\n"
		"                         (default: until two more backups were due, >= 5s)\n"
		"  -r, --restore WHAT     latest (default), pitr=DUR (after the load started),\n"
		"                         pitr=-DUR (before the fault)\n"
		"      --pitr-slack DUR   the unsure band around a PITR target (default 1ms)\n"
		"      --backup-cmd CMD   exec: the backup command (sh -c; FAULTLINE_* in its env)\n"
		"      --restore-cmd CMD  exec: the restore command\n"
		"      --verify-cmd CMD   exec: the repository check (optional)\n"
		"  -t, --trials N         trials, each with a fresh store and repository (1)\n"
		"      --rate N           writes per second, all clients together (100)\n"
		"      --clients N        client threads (4)\n"
		"      --rpo-max DUR      objective on the RPO (default 1m; 'none')\n"
		"      --rto-max DUR      objective on the restore's RTO (default 5m; 'none')\n"
		"Objectives beside them (MTTR: the restores' mean RTO; availability and MTBF\n"
		"derived from it, a restore having no clients' view of its own):\n");
	fputs(fl_cli_objectives_help, out);
	fprintf(out,
		"More:\n"
		"      --health-timeout DUR  the restored service's start and replay (5m)\n"
		"      --faultfs          faultfs over the data directory even when not needed\n"
		"      --keep             keep the run directory (repository, data, logs)\n"
		"  -o, --output FILE      write the faultline-backup/1 result there\n"
		"  -j, --json             the result on stdout instead of the summary\n"
		"  -q, --quiet            no progress on stderr\n"
		"  -h, --help             this help\n"
		"\n"
		"Measured per trial: every backup (kind, times, bytes, the newest write it must\n"
		"hold); the acknowledged writes the restore lost (ids) and the RPO; for a PITR,\n"
		"the writes acknowledged before the target that are missing and those invoked\n"
		"after it that came back; the RTO as fetch + restore + replay + first write; the\n"
		"tool's own verify, the store's own check, and who caught a corruption.\n"
		"\n"
		"Exit status: 0 every objective met; 1 an objective missed (a restore that fails\n"
		"misses the RTO); 2 bad usage; 3 a trial could not run or the run was\n"
		"interrupted; 125 an internal error.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct progress {
	bool tty;
	char last[32];
};

static void on_progress(void *arg, unsigned trial, const char *phase, size_t backups,
			uint64_t acked, uint64_t elapsed_ns)
{
	struct progress *p = arg;
	bool same = !strcmp(p->last, phase);

	if (p->tty) {
		fprintf(stderr, "\r\033[Kfaultline: backup: trial %u: %s, %.1f s, %zu backup%s, "
			"%llu acknowledged", trial + 1, phase, elapsed_ns / 1e9, backups,
			backups == 1 ? "" : "s", (unsigned long long)acked);
	} else if (!same) {
		fprintf(stderr, "faultline: backup: trial %u: %s (%.1f s, %zu backups, "
			"%llu acknowledged)\n", trial + 1, phase, elapsed_ns / 1e9, backups,
			(unsigned long long)acked);
	}
	snprintf(p->last, sizeof(p->last), "%s", phase);
}

static void print_ms(FILE *out, const char *label, uint64_t ns)
{
	if (ns == UINT64_MAX)
		fprintf(out, "%s -", label);
	else
		fprintf(out, "%s %.0f ms", label, ns / 1e6);
}

static void print_ids(FILE *out, const char *what, const uint64_t *ids, size_t n)
{
	if (!n)
		return;
	fprintf(out, "  %s ids:", what);
	for (size_t i = 0; i < n && i < 16; i++)
		fprintf(out, " %llu", (unsigned long long)ids[i]);
	fprintf(out, "%s\n", n > 16 ? " ..." : "");
}

static void print_integrity(FILE *out, const struct fl_backup_result *r,
			    const struct fl_backup_trial *t)
{
	fprintf(out, "  integrity: tool verify %s%s%s, store check %s%s%s, %llu corrupt records\n",
		fl_backup_check_name(t->tool_verify), t->tool_verify_detail[0] ? ": " : "",
		t->tool_verify_detail, fl_backup_check_name(t->db_check),
		t->db_check_detail[0] ? ": " : "", t->db_check_detail,
		(unsigned long long)t->corrupt_records);
	if (r->cfg.fault == FL_BACKUP_FAULT_CORRUPT)
		fprintf(out, "  the corruption was caught by: %s\n", t->caught_by);
}

static void print_trial(FILE *out, const struct fl_backup_result *r, const struct fl_backup_trial *t)
{
	const struct fl_backup_pitr *v = &t->verdict;
	uint64_t per_kind[4] = { 0 }, bytes[4] = { 0 }, dur[4] = { 0 };

	fprintf(out, "trial %u: %llu writes acknowledged; fault at %.1f s", t->index + 1,
		(unsigned long long)t->acknowledged, t->fault_ns / 1e9);
	if (t->fault_error[0])
		fprintf(out, " (the fault failed: %s)", t->fault_error);
	fputc('\n', out);
	for (size_t i = 0; i < t->n_backups; i++) {
		const struct fl_backup_record *b = &t->backups[i];

		if (!b->ok) {
			fprintf(out, "  backup %s at %.1f s FAILED: %s\n", fl_backup_kind_name(b->kind),
				b->start_ns / 1e9, b->error);
			continue;
		}
		per_kind[b->kind]++;
		bytes[b->kind] += b->bytes;
		dur[b->kind] += b->end_ns - b->start_ns;
	}
	for (unsigned k = 0; k < 4; k++)
		if (per_kind[k])
			fprintf(out, "  %llu %s backup%s: mean %.1f KiB, %.0f ms\n",
				(unsigned long long)per_kind[k], fl_backup_kind_name(k),
				per_kind[k] == 1 ? "" : "s", bytes[k] / 1024.0 / per_kind[k],
				dur[k] / 1e6 / per_kind[k]);
	if (t->settle_error[0])
		fprintf(out, "  the repository did not catch up before the restore: %s\n",
			t->settle_error);
	if (!t->restored) {
		fprintf(out, "  restore FAILED: %s\n", t->restore_error);
		print_integrity(out, r, t);
		return;
	}
	fprintf(out, "  restored from %s: ", t->restored_from[0] ? t->restored_from : "-");
	print_ms(out, "rto", t->rto_ns);
	print_ms(out, " (fetch", t->fetch_ns);
	print_ms(out, ", restore", t->restore_ns);
	print_ms(out, ", replay", t->replay_ns);
	print_ms(out, ", first write", t->first_write_ns);
	fprintf(out, ")\n  %llu acknowledged writes lost", (unsigned long long)v->missing);
	print_ms(out, ", rpo", v->rpo_ns);
	print_ms(out, ", window", t->window_ns);
	fputc('\n', out);
	print_ids(out, "lost", v->missing_ids, v->n_missing_ids);
	if (r->cfg.pitr) {
		fprintf(out, "  pitr to %.3f s: %s (%llu missing, %llu from after the target; "
			"%llu in flight, %llu of them present)\n", t->target_ns / 1e9,
			fl_backup_pitr_exact(v) ? "exact" : "NOT EXACT", (unsigned long long)v->missing,
			(unsigned long long)v->future, (unsigned long long)v->in_flight,
			(unsigned long long)v->in_flight_present);
		print_ids(out, "future", v->future_ids, v->n_future_ids);
	}
	print_integrity(out, r, t);
}

static void print_summary(FILE *out, const struct fl_backup_result *r)
{
	const struct fl_backup_config *c = &r->cfg;
	struct fl_backup_summary sum;

	fprintf(out, "backup: %s (%s) of %s, schedule %s, fault %s at %.1f s, restore %s\n",
		r->strategy, r->tool, r->workload, c->schedule, fl_backup_fault_name(c->fault),
		c->fault_at_ns / 1e9, c->pitr ? "pitr" : "latest");
	for (size_t i = 0; i < r->n_trials; i++)
		print_trial(out, r, &r->trials[i]);
	/* The five objectives are judged over the trials below; exactness is a trial's own. */
	for (size_t i = 0; c->pitr && i < r->n_trials; i++)
		fprintf(out, "trial %zu: point-in-time restore exact: %s\n", i + 1,
			r->trials[i].pitr_met ? "met" : "MISSED");
	if (r->n_trials > 1 && !fl_backup_summarize(r, &sum)) {
		fprintf(out, "over %zu restored trial%s: lost median %llu (max %llu)", sum.restored,
			sum.restored == 1 ? "" : "s", (unsigned long long)sum.lost.median,
			(unsigned long long)sum.lost.max);
		print_ms(out, ", rpo median", sum.rpo_ns.median);
		print_ms(out, " (max", sum.rpo_ns.max);
		print_ms(out, "), rto median", sum.rto_ns.median);
		print_ms(out, " (max", sum.rto_ns.max);
		fputs(")\n", out);
	}
	fl_cli_print_verdict(out, &r->verdict);
	if (r->run_dir[0])
		fprintf(out, "kept: %s\n", r->run_dir);
}

static int bad_duration(const char *opt, const char *arg, const char *why)
{
	fl_cli_error("backup run: --%s: %s: '%s'", opt, why ? why : "expected a duration", arg);
	return FL_CLI_EXIT_USAGE;
}

static int parse_objective(const char *opt, const char *arg, uint64_t *ret)
{
	const char *why = NULL;

	if (!strcmp(arg, "none")) {
		*ret = UINT64_MAX;
		return 0;
	}
	return fl_parse_duration_why(arg, ret, &why) ? bad_duration(opt, arg, why) : 0;
}

static int run(int argc, char **argv, const struct fl_cli *cli)
{
	struct fl_backup_config cfg;
	struct sigaction sa = { .sa_handler = on_signal };
	struct progress prog = { .tty = isatty(STDERR_FILENO) };
	struct fl_recovery_result *rr = NULL;
	struct fl_backup_result *r;
	const char *output = NULL, *why = NULL;
	bool json = cli->json, quiet = false;
	char err_text[1024] = "";
	uint64_t v;
	int c, ret;

	fl_backup_config_defaults(&cfg);
	optind = 0;
	while ((c = getopt_long(argc, argv, "w:S:s:f:a:r:t:o:jqh", fl_backup_run_opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			cfg.workload = optarg;
			break;
		case 'S':
			cfg.strategy = optarg;
			break;
		case 's':
			cfg.schedule = optarg;
			break;
		case 'f':
		case 'r':
			if ((c == 'f' ? fl_backup_fault_parse : fl_backup_restore_parse)(
				    optarg, &cfg, err_text, sizeof(err_text))) {
				fl_cli_error("backup run: %s", err_text);
				return FL_CLI_EXIT_USAGE;
			}
			break;
		case 'a':
			if (fl_parse_duration_why(optarg, &cfg.fault_at_ns, &why) || !cfg.fault_at_ns)
				return bad_duration("fault-at", optarg, why);
			break;
		case 'A':
			if (fl_parse_duration_why(optarg, &cfg.after_ns, &why))
				return bad_duration("after", optarg, why);
			break;
		case 'P':
			if (fl_parse_duration_why(optarg, &cfg.pitr_slack_ns, &why))
				return bad_duration("pitr-slack", optarg, why);
			break;
		case 'H':
			if (fl_parse_duration_why(optarg, &cfg.health_timeout_ns, &why) ||
			    !cfg.health_timeout_ns)
				return bad_duration("health-timeout", optarg, why);
			break;
		case FL_CLI_OBJ_OPT:
		case FL_CLI_OBJ_OPT + 1:
		case FL_CLI_OBJ_OPT + 2:
		case FL_CLI_OBJ_OPT + 3:
			if (fl_cli_objective_opt("backup run", c, optarg, &cfg.objectives))
				return FL_CLI_EXIT_USAGE;
			break;
		case 'p':
		case 'T':
			if (parse_objective(c == 'p' ? "rpo-max" : "rto-max", optarg,
					    c == 'p' ? &cfg.rpo_max_ns : &cfg.rto_max_ns))
				return FL_CLI_EXIT_USAGE;
			break;
		case 'B':
			cfg.backup_cmd = optarg;
			break;
		case 'R':
			cfg.restore_cmd = optarg;
			break;
		case 'V':
			cfg.verify_cmd = optarg;
			break;
		case 't':
		case 'c':
			if (fl_parse_u64_why(optarg, &v, &why) || !v || v > 1000) {
				fl_cli_error("backup run: --%s: expected 1 to 1000, got '%s'",
					     c == 't' ? "trials" : "clients", optarg);
				return FL_CLI_EXIT_USAGE;
			}
			*(c == 't' ? &cfg.trials : &cfg.load.clients) = (unsigned)v;
			break;
		case 'x':
			if (fl_parse_u64_why(optarg, &v, &why) || v > 1000000) {
				fl_cli_error("backup run: --rate: expected writes per second "
					     "(0: as fast as it goes), got '%s'", optarg);
				return FL_CLI_EXIT_USAGE;
			}
			cfg.load.rate = (double)v;
			break;
		case 'F':
			cfg.faultfs = true;
			break;
		case 'k':
			cfg.keep = true;
			break;
		case 'o':
			output = optarg;
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
		default:
			return FL_CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fl_cli_error("backup run: unexpected argument '%s' (see 'faultline backup run --help')",
			     argv[optind]);
		return FL_CLI_EXIT_USAGE;
	}
	if (!cfg.strategy) {
		fl_cli_error("backup run: --strategy is required: one of %s",
			     fl_backup_strategy_names());
		return FL_CLI_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		fl_cli_error("backup run: needs root (services run as their own users, in cgroups, "
			     "some on faultfs)");
		return FL_CLI_EXIT_USAGE;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = fl_test_recovery(&(struct fl_recovery_test){
		.kind = FL_RECOVERY_BACKUP, .backup = &cfg,
		.backup_progress = quiet ? NULL : on_progress, .progress_ctx = &prog,
		.interrupted = &interrupted, .errbuf = err_text, .errlen = sizeof(err_text) }, &rr);
	if (prog.tty && !quiet)
		fputs("\r\033[K", stderr);
	if (ret) {
		fl_cli_error("backup run: %s", err_text[0] ? err_text : strerror(-ret));
		return ret == -EINVAL || ret == -ENOENT || ret == -ERANGE || ret == -E2BIG
		       ? FL_CLI_EXIT_USAGE : EXIT_INTERNAL;
	}
	r = rr->backup;
	ret = EXIT_INTERNAL;
	if (fl_cli_write_result("backup run", rr->json, output, json))
		goto out;
	if (!json)
		print_summary(stdout, r);
	ret = fl_backup_exit_status(r);
out:
	fl_recovery_result_free(rr);
	return ret;
}

static int strategies(const struct fl_cli *cli)
{
	const struct fl_backup_strategy *s;
	json_t *arr = json_array();

	if (!cli->json)
		printf("%-14s %-22s %-24s %-5s %s\n", "STRATEGY", "TOOL", "KINDS", "PITR", "STORES");
	for (size_t i = 0; (s = fl_backup_strategy_at(i)); i++) {
		char kinds[64] = "";

		for (unsigned k = 0; k < 4; k++)
			if (s->kinds & (1u << k))
				snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
					 kinds[0] ? "," : "", fl_backup_kind_name(k));
		if (cli->json)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b,s:s,s:s}", "name",
							     s->name, "tool", s->tool, "kinds", kinds,
							     "pitr", s->pitr, "stores", s->stores,
							     "packages", s->packages));
		else
			printf("%-14s %-22s %-24s %-5s %s\n", s->name, s->tool, kinds,
			       s->pitr ? "yes" : "no", s->stores);
	}
	if (cli->json) {
		json_dumpf(arr, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	}
	json_decref(arr);
	return 0;
}

int cmd_backup(int argc, char **argv, const struct fl_cli *cli)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? FL_CLI_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "run"))
		return run(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "strategies")) {
		struct fl_cli c = *cli;

		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
				c.json = true;
			} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
				printf("Usage: faultline backup strategies [--json]\n"
				       "\n"
				       "List the built-in backup strategies: the tool each drives, the\n"
				       "kinds of backup it takes, whether it restores to a point in time,\n"
				       "and the stores it works on.\n"
				       "\n"
				       "  -j, --json   one JSON array (name, tool, kinds, pitr, stores,\n"
				       "               packages)\n"
				       "  -h, --help   this help\n");
				return 0;
			} else {
				fl_cli_error("backup strategies: unexpected argument '%s'", argv[i]);
				return FL_CLI_EXIT_USAGE;
			}
		}
		return strategies(&c);
	}
	fl_cli_error("backup: unknown verb '%s': expected run or strategies", argv[1]);
	return FL_CLI_EXIT_USAGE;
}
