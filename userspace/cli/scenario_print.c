// SPDX-License-Identifier: GPL-2.0-only
/*
 * What 'faultline scenario check' shows of a valid scenario: the nodes,
 * the steps as a timeline, the nemesis and the objectives, so that a user
 * reads what the file would do before running it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/scenario_print.h"

static const char *dur(uint64_t ns, char *buf, size_t len)
{
	if (!ns)
		snprintf(buf, len, "0s");
	else
		fl_scenario_format_duration(ns, buf, len);
	return buf;
}

static void schedule(const struct fl_scenario_step *st, char *buf, size_t len)
{
	char a[32], b[32];

	switch (st->sched) {
	case FL_SCHED_AT:
		snprintf(buf, len, "at %s", dur(st->at_ns, a, sizeof(a)));
		break;
	case FL_SCHED_EVERY:
		snprintf(buf, len, "every %s for %s", dur(st->every_ns, a, sizeof(a)),
			 dur(st->for_ns, b, sizeof(b)));
		break;
	case FL_SCHED_AFTER:
		if (st->after == FL_AFTER_HEALTHY)
			snprintf(buf, len, "when %s is healthy", st->after_node);
		else if (st->after == FL_AFTER_STEP)
			snprintf(buf, len, "after step %u is done", st->after_step);
		else
			snprintf(buf, len, "after the previous step's effect");
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static void names(FILE *out, const fl_scenario_name *n, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		fprintf(out, "%s%s", i ? ", " : "", n[i]);
}

static void what(FILE *out, const struct fl_scenario_fault *f)
{
	fputs(fl_scenario_op_name(f->op) ? fl_scenario_op_name(f->op) : "?", out);
	if (f->rule_text)
		fprintf(out, "=%s", f->rule_text);
}

static void print_step(FILE *out, unsigned i, const struct fl_scenario_step *st)
{
	char sched[96], d[32];

	schedule(st, sched, sizeof(sched));
	fprintf(out, "  %2u. %-34s %s ", i + 1, sched, st->action ? "action" : "fault ");
	what(out, &st->what);
	if (st->n_sides) {
		fputs(" between", out);
		for (unsigned k = 0; k < st->n_sides; k++) {
			fprintf(out, "%s[", k ? " | " : " ");
			names(out, st->sides[k].nodes, st->sides[k].n_nodes);
			fputc(']', out);
		}
	} else if (st->n_nodes) {
		fputs(st->what.op == FL_SOP_PARTITION ? " cutting " : " on ", out);
		names(out, st->nodes, st->n_nodes);
		if (st->n_nodes == 1 && !strcmp(st->nodes[0], "all"))
			fputs(" nodes", out);
		if (st->what.op == FL_SOP_PARTITION)
			fputs(" from the rest", out);
	} else if (st->what.op == FL_SOP_HEAL) {
		fputs(" everything", out);
	}
	if (st->duration_ns)
		fprintf(out, " for %s", dur(st->duration_ns, d, sizeof(d)));
	fputc('\n', out);
}

static void print_nodes(FILE *out, const struct fl_scenario *s)
{
	const char *const *al;

	if (s->cluster) {
		fprintf(out, "cluster:    %s, %u nodes: ", fl_scenario_kind_name(s->cluster), s->n_nodes);
		for (unsigned i = 0; i < s->n_nodes; i++)
			fprintf(out, "%sn%u", i ? ", " : "", i + 1);
		al = fl_scenario_kind_roles(s->cluster);
		fputs(" (roles ", out);
		for (size_t i = 0; al[i]; i++)
			fprintf(out, "%s%s", i ? ", " : "", al[i]);
		fputs(" are resolved at run time)\n", out);
		return;
	}
	fprintf(out, "nodes:      %u\n", s->n_nodes);
	for (unsigned i = 0; i < s->n_nodes; i++) {
		const struct fl_scenario_node *n = &s->nodes[i];

		fprintf(out, "  %-10s data %s, start: %s", n->name, n->data_dir, n->start);
		if (n->host)
			fprintf(out, ", over ssh to %s@%s port %u", n->ssh_user, n->ssh_host,
				n->ssh_port);
		fputc('\n', out);
	}
}

static void print_reads(FILE *out, const struct fl_scenario *s)
{
	const struct fl_scenario_reads *reg = &s->workload.reg, *bank = &s->workload.bank;

	if (reg->off && bank->off)
		return;
	fputs("reads:      ", out);
	if (!reg->off)
		fprintf(out, "register (%u clients, %" PRIu64 " ops/s, %" PRIu64 " keys)%s",
			reg->clients, reg->rate, reg->keys, bank->off ? "" : ", ");
	if (!bank->off)
		fprintf(out, "bank (%u clients, %" PRIu64 " ops/s, %" PRIu64 " accounts)",
			bank->clients, bank->rate, bank->keys);
	fputc('\n', out);
}

void fl_scenario_print_text(FILE *out, const char *file, const struct fl_scenario *s)
{
	char a[32], b[32];
	uint64_t end = 0;

	fprintf(out, "%s: scenario %s is valid\n", file, s->name ? s->name : "(unnamed)");
	print_nodes(out, s);
	if (s->n_settings) {
		fputs("settings:  ", out);
		for (unsigned i = 0; i < s->n_settings; i++)
			fprintf(out, " %s=\"%s\"", s->settings[i].key, s->settings[i].value);
		fputc('\n', out);
	}
	fprintf(out, "workload:   %s, %u clients to %s", s->workload.kind ? s->workload.kind : "?",
		s->workload.clients, s->workload.target);
	if (s->workload.rate)
		fprintf(out, ", %" PRIu64 " writes/s", s->workload.rate);
	else
		fputs(", as fast as acknowledged", out);
	fprintf(out, ", %" PRIu64 "-byte payload\n", s->workload.payload);
	print_reads(out, s);
	if (s->faultfs)
		fprintf(out, "disks:      faultfs -o %s\n", s->faultfs);
	if (s->n_steps)
		fputs("steps:\n", out);
	for (unsigned i = 0; i < s->n_steps; i++) {
		print_step(out, i, &s->steps[i]);
		if (s->steps[i].sched == FL_SCHED_AT && s->steps[i].at_ns > end)
			end = s->steps[i].at_ns;
		if (s->steps[i].sched == FL_SCHED_EVERY && s->steps[i].for_ns > end)
			end = s->steps[i].for_ns;
	}
	if (s->nemesis.set) {
		fputs("nemesis:    ", out);
		for (unsigned i = 0; i < s->nemesis.n_faults; i++) {
			fputs(i ? ", " : "", out);
			what(out, &s->nemesis.faults[i]);
		}
		fprintf(out, " on random nodes every %s", dur(s->nemesis.interval_ns, a, sizeof(a)));
		if (s->nemesis.has_seed)
			fprintf(out, ", seed %" PRIu64, s->nemesis.seed);
		fputc('\n', out);
	}
	fputs("objectives:", out);
	if (s->objectives.rpo_ns != UINT64_MAX)
		fprintf(out, " rpo <= %s", dur(s->objectives.rpo_ns, a, sizeof(a)));
	if (s->objectives.rto_ns != UINT64_MAX)
		fprintf(out, " rto <= %s", dur(s->objectives.rto_ns, a, sizeof(a)));
	if (s->objectives.availability_ppm)
		fprintf(out, " availability >= %g%%", s->objectives.availability_ppm / 10000.0);
	if (s->objectives.mttr_ns && s->objectives.mttr_ns != UINT64_MAX)
		fprintf(out, " mttr <= %s", dur(s->objectives.mttr_ns, a, sizeof(a)));
	if (s->objectives.mtbf_ns && s->objectives.mtbf_ns != UINT64_MAX)
		fprintf(out, " mtbf >= %s", dur(s->objectives.mtbf_ns, a, sizeof(a)));
	if (s->objectives.consistent)
		fputs(" reads consistent", out);
	/* Not named: MTTR, availability and MTBF keep the brief's defaults (README: Objectives). */
	if (s->objectives.rpo_ns == UINT64_MAX && s->objectives.rto_ns == UINT64_MAX &&
	    !s->objectives.availability_ppm && !s->objectives.consistent &&
	    !s->objectives.mttr_ns && !s->objectives.mtbf_ns)
		fputs(" the brief's defaults (mttr, availability, mtbf)", out);
	fputc('\n', out);
	fprintf(out, "trials:     %u", s->trials);
	if (s->has_seed)
		fprintf(out, ", seed %" PRIu64, s->seed);
	if (s->duration_ns)
		fprintf(out, ", %s each\n", dur(s->duration_ns, b, sizeof(b)));
	else
		fprintf(out, ", %s each (the last timed step + 10s)\n", dur(end + 10000000000ull, b,
									  sizeof(b)));
	fprintf(out, "run it:     sudo faultline scenario run %s\n", file);
}
