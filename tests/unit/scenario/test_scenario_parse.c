// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scenario files: each malformed input gives exactly the listed errors,
 * FILE:LINE:COL and message, in order (every error of a file, not only
 * the first); valid files fill the typed struct as documented; the six
 * example scenarios under examples/scenarios/ are valid. No privileges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/scenario.h>

#define MAX_EXPECTED 8

static const struct bad_case {
	const char *name;
	const char *yaml;
	const char *errors[MAX_EXPECTED];
} bad[] = {
	{ "bad duration",
		"name: x\n"
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"  - {at: 5 seconds, fault: crash, node: n2}\n"
		"",
		{ "t.yaml:5:10: steps[2].at: expected a duration like 5s or 250ms, got \"5 seconds\"", NULL } },
	{ "reading loads and disks",
		"name: x\n"
		"cluster: etcd\n"
		"faultfs: \"durability=data; rm\"\n"
		"workload: {register: maybe, bank: {accounts: 1, keys: 4}}\n"
		"objectives: {consistent: yes}\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:3:10: faultfs: expected options like durability=data,size=1G, got \"durability=data; rm\"",
		  "t.yaml:4:22: workload.register: expected on, off, or a mapping of clients, rate and keys, got \"maybe\"",
		  "t.yaml:4:46: workload.bank.accounts: expected a whole number from 2 to 100000, got \"1\"",
		  "t.yaml:4:55: workload.bank: bank has accounts:, not keys:",
		  "t.yaml:5:26: objectives.consistent: expected true or false, got \"yes\"", NULL } },
	{ "unknown top key close",
		"name: x\n"
		"clutser: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:2:1: scenario: unknown key \"clutser\"; did you mean \"cluster\"?", NULL } },
	{ "unknown key far",
		"name: x\n"
		"cluster: etcd\n"
		"zzzzzz: 1\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:3:1: scenario: unknown key \"zzzzzz\"; expected name, cluster, nodes, settings, workload, steps, nemesis, objectives, trials, seed, duration or faultfs", NULL } },
	{ "unknown step key",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fualt: crash, node: n1}\n"
		"",
		{ "t.yaml:3:14: steps[1]: unknown key \"fualt\"; did you mean \"fault\"?", NULL } },
	{ "disk rule column",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: \"disk=write:error=EIOX\", node: n1}\n"
		"",
		{ "t.yaml:3:39: steps[1].fault: disk rule \"write:error=EIOX\": unknown errno 'EIOX' at column 13", NULL } },
	{ "net rule plain column",
		"cluster: etcd\n"
		"steps:\n"
		"  - at: 1s\n"
		"    fault: net=tcp:dport=5432:drop:prob=300%\n"
		"    node: n1\n"
		"",
		{ "t.yaml:4:41: steps[1].fault: net rule \"tcp:dport=5432:drop:prob=300%\": invalid prob= '300%' at column 26: more than 100%", NULL } },
	{ "syscall rule domain",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: syscall=fsyncx:error=EIO, node: n1}\n"
		"",
		{ "t.yaml:3:29: steps[1].fault: syscall rule \"fsyncx:error=EIO\": unknown syscall 'fsyncx' at column 1 (did you mean 'fsync'?)", NULL } },
	{ "unknown node",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n4}\n"
		"",
		{ "t.yaml:3:34: steps[1].node: unknown node \"n4\"; this etcd cluster has n1 to n3", NULL } },
	{ "unknown node close",
		"cluster: postgres-replica\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: primray}\n"
		"",
		{ "t.yaml:3:34: steps[1].node: unknown node \"primray\"; did you mean \"primary\"?", NULL } },
	{ "two schedules",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, every: 2s, for: 10s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:3:21: steps[1]: expected one schedule, got at: every: ", NULL } },
	{ "no schedule",
		"cluster: etcd\n"
		"steps:\n"
		"  - {fault: crash, node: n1}\n"
		"",
		{ "t.yaml:3:5: steps[1]: expected a schedule: at: DUR, every: DUR with for: DUR, or after: CONDITION", NULL } },
	{ "every without for",
		"cluster: etcd\n"
		"steps:\n"
		"  - {every: 2s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:3:13: steps[1].every: every: needs for: DUR (how long it repeats)", NULL } },
	{ "fault and action",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, action: restart, node: n1}\n"
		"",
		{ "t.yaml:3:36: steps[1]: expected fault: or action:, not both", NULL } },
	{ "time order",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 5s, fault: crash, node: n1}\n"
		"  - {at: 2s, action: restart, node: n1}\n"
		"",
		{ "t.yaml:4:10: steps[2].at: 2s is before steps[1]'s 5s: list at: steps in time order", NULL } },
	{ "trials zero",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"trials: 0\n"
		"",
		{ "t.yaml:4:9: trials: expected a whole number from 1 to 1000, got \"0\"", NULL } },
	{ "objectives bad",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"objectives: {rpo: fast, rto: 10s, availability: 150%, mtr: 1s}\n"
		"",
		{ "t.yaml:4:19: objectives.rpo: expected a duration like 5s or 250ms, got \"fast\"",
		  "t.yaml:4:49: objectives.availability: expected a percentage like 99% or 99.9%, got \"150%\"",
		  "t.yaml:4:55: objectives: unknown key \"mtr\"; did you mean \"mttr\"?", NULL } },
	{ "objectives mttr mtbf bad",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"objectives: {mttr: soon, mtbf: 0s}\n"
		"",
		{ "t.yaml:4:20: objectives.mttr: expected a duration like 5s or 250ms, got \"soon\"",
		  "t.yaml:4:32: objectives.mtbf: expected more than 0s, got \"0s\"", NULL } },
	{ "unknown fault close",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: powercat, node: n1}\n"
		"",
		{ "t.yaml:3:21: steps[1].fault: expected a fault (powercut, crash, stop, pause, disk=RULE, syscall=RULE, net=RULE, partition, heal or restart), got \"powercat\"; did you mean \"powercut\"?", NULL } },
	{ "promote as fault",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: promote, node: n1}\n"
		"",
		{ "t.yaml:3:21: steps[1].fault: promote is an action: write action: promote", NULL } },
	{ "crash with rule",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash=now, node: n1}\n"
		"",
		{ "t.yaml:3:26: steps[1].fault: crash takes no rule, got \"=now\"", NULL } },
	{ "disk without rule",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: disk, node: n1}\n"
		"",
		{ "t.yaml:3:21: steps[1].fault: disk needs a rule: disk=RULE (e.g. disk=write:error=ENOSPC)", NULL } },
	{ "missing node",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash}\n"
		"",
		{ "t.yaml:3:5: steps[1]: crash needs node: or nodes:", NULL } },
	{ "after step forward",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"  - {after: {step: 3}, action: restart, node: n1}\n"
		"",
		{ "t.yaml:4:20: steps[2].after.step: expected the number of an earlier step (1 to 1), got \"3\"", NULL } },
	{ "after previous first",
		"cluster: etcd\n"
		"steps:\n"
		"  - {after: previous, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:3:13: steps[1].after: the first step has no previous step to wait for", NULL } },
	{ "after healthy bad",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"  - {after: {healthy: n9}, action: restart, node: n1}\n"
		"",
		{ "t.yaml:4:23: steps[2].after.healthy: unknown node \"n9\"; this etcd cluster has n1 to n3", NULL } },
	{ "after garbage",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"  - {after: soon, action: restart, node: n1}\n"
		"",
		{ "t.yaml:4:13: steps[2].after: expected previous, {healthy: NODE} or {step: N}, got \"soon\"", NULL } },
	{ "yaml syntax",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1\n"
		"",
		{ "t.yaml:4:1: YAML: did not find expected ',' or '}' while parsing a flow mapping", NULL } },
	{ "alias",
		"cluster: etcd\n"
		"steps:\n"
		"  - &s {at: 1s, fault: crash, node: n1}\n"
		"  - *s\n"
		"",
		{ "t.yaml:3:5: aliases (*NAME) are not supported in scenario files: write the value out", NULL } },
	{ "empty",
		"",
		{ "t.yaml:1:1: the file is empty: expected a mapping with steps:", NULL } },
	{ "not a mapping",
		"- a\n"
		"- b\n"
		"",
		{ "t.yaml:1:1: scenario: expected a mapping (key: value), got a list", NULL } },
	{ "cluster unknown",
		"cluster: etc\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:1:10: cluster: expected a cluster kind (etcd, postgres-replica, redis-replica or postgres-patroni), got \"etc\"; did you mean \"etcd\"?", NULL } },
	{ "count without cluster",
		"nodes: 3\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:1:8: nodes: a node count needs cluster: KIND; without it, expected a list of nodes (name, start, data_dir)", NULL } },
	{ "nodes list",
		"nodes:\n"
		"  - {name: a, start: \"redis-server\", data_dir: /tmp/a}\n"
		"  - {name: a, start: \"redis-server\"}\n"
		"  - {name: bad name, start: x, data_dir: /tmp/c, host: \"ftp://x\"}\n"
		"workload: {kind: redis, target: a}\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: a}\n"
		"",
		{ "t.yaml:3:5: nodes[2]: missing data_dir: (faultfs is mounted over it)",
		  "t.yaml:3:12: nodes[2].name: \"a\" is already nodes[1]'s name",
		  "t.yaml:4:12: nodes[3].name: expected a name of letters, digits, '-' and '_' (at most 31), got \"bad name\"",
		  "t.yaml:4:56: nodes[3].host: expected ssh://USER@HOST[:PORT], got \"ftp://x\"", NULL } },
	{ "workload mismatch",
		"cluster: etcd\n"
		"workload: {kind: postgres, clients: 0, payload: 1x}\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:2:18: workload.kind: cluster etcd serves the etcd workload, got \"postgres\"",
		  "t.yaml:2:37: workload.clients: expected a whole number from 1 to 256, got \"0\"",
		  "t.yaml:2:49: workload.payload: expected a size like 128, 4k or 1M, got \"1x\"", NULL } },
	{ "partition sides",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: partition, sides: [[n1], [n1, n2]]}\n"
		"  - {at: 2s, fault: partition}\n"
		"  - {at: 3s, fault: crash, node: n1, sides: [[n1], [n2]]}\n"
		"",
		{ "t.yaml:3:10: steps[1].sides: \"n1\" is on sides 1 and 2",
		  "t.yaml:4:5: steps[2]: partition needs sides: [[A], [B, C]] or node:/nodes: to cut from the rest",
		  "t.yaml:5:45: steps[3].sides: sides: is for partition only", NULL } },
	{ "nemesis bad",
		"cluster: etcd\n"
		"nemesis: {faults: [partition, powercutt, \"net=tcp:drop:bogus=1\"], interval: 0s, seed: -1}\n"
		"",
		{ "t.yaml:2:31: nemesis.faults[2]: expected a fault (powercut, crash, stop, pause, disk=RULE, syscall=RULE, net=RULE, partition, heal or restart), got \"powercutt\"; did you mean \"powercut\"?",
		  "t.yaml:2:56: nemesis.faults[3]: net rule \"tcp:drop:bogus=1\": unknown key 'bogus' at column 10",
		  "t.yaml:2:77: nemesis.interval: expected more than 0s, got \"0s\"",
		  "t.yaml:2:87: nemesis.seed: expected a whole number, got \"-1\"", NULL } },
	{ "no steps",
		"cluster: etcd\n"
		"",
		{ "t.yaml:1:1: expected steps: (a list of faults and actions) or nemesis:", NULL } },
	{ "duplicate key",
		"cluster: etcd\n"
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:2:1: scenario: \"cluster\" given twice (first on line 1)", NULL } },
	{ "step past duration",
		"cluster: etcd\n"
		"duration: 10s\n"
		"steps:\n"
		"  - {at: 10s, fault: crash, node: n1}\n"
		"",
		{ "t.yaml:4:10: steps[1].at: at or past the end of the trial (duration: 10s)", NULL } },
	{ "ssh host",
		"nodes:\n"
		"  - {name: a, start: s, data_dir: /d, host: \"ssh://root@10.1.2.3:2222\"}\n"
		"  - {name: b, start: s, data_dir: /d, host: \"ssh://root@[fd00::1]:22x\"}\n"
		"workload: {kind: redis}\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: a}\n"
		"",
		{ "t.yaml:3:45: nodes[2].host: expected ssh://USER@HOST[:PORT], got \"ssh://root@[fd00::1]:22x\"", NULL } },
	{ "promote all",
		"cluster: postgres-replica\n"
		"steps:\n"
		"  - {at: 1s, action: promote, node: all}\n"
		"",
		{ "t.yaml:3:10: steps[1]: promote takes one node", NULL } },
	{ "two documents",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, fault: crash, node: n1}\n"
		"---\n"
		"x: 1\n"
		"",
		{ "t.yaml:5:1: a second YAML document: a scenario file holds one", NULL } },
	{ "promote unknown node",
		"cluster: postgres-replica\n"
		"steps:\n"
		"  - {at: 7s, action: promote, node: replcia}\n"
		"",
		{ "t.yaml:3:37: steps[1].node: unknown node \"replcia\"; did you mean \"replica\"?", NULL } },
	{ "stray text at the end",
		"cluster: etcd\n"
		"steps:\n"
		"  - {every: 2s, for: 4s, fault: crash, node: n1}\n"
		"(",
		{ "t.yaml:4:2: YAML: could not find expected ':' while scanning a simple key", NULL } },
	{ "crlf",
		"cluster: etcd\r\n"
		"steps:\r\n"
		"  - {at: 1s, fault: crash, node: n1}\r\n"
		"  - {at: 2x, fault: crash, node: n1}\r\n"
		"",
		{ "t.yaml:4:10: steps[2].at: expected a duration like 5s or 250ms, got \"2x\"", NULL } },
	{ "block scalar rule",
		"cluster: etcd\n"
		"steps:\n"
		"  - at: 1s\n"
		"    node: n1\n"
		"    fault: >-\n"
		"      net=tcp:drop:prob=200%\n"
		"",
		{ "t.yaml:5:12: steps[1].fault: net rule \"tcp:drop:prob=200%\": invalid prob= '200%' at column 15: more than 100%", NULL } },
	{ "for shorter than every",
		"cluster: etcd\n"
		"steps:\n"
		"  - {every: 5s, for: 2s, fault: pause, node: n1, duration: 1s}\n"
		"",
		{ "t.yaml:3:22: steps[1].for: shorter than every: (5s), so the fault would never happen", NULL } },
	{ "duration on an action",
		"cluster: etcd\n"
		"steps:\n"
		"  - {at: 1s, action: restart, node: n1, duration: 2s}\n"
		"",
		{ "t.yaml:3:51: steps[1].duration: only a fault that lasts takes duration:", NULL } },
	{ "typos only",
		"clutser: etcd\n"
		"steps:\n"
		"  - {at: 1s, fualt: crash, node: n1}\n"
		"  - {af: 1s, fault: crash, node: n1}\n"
		"nemesis: {fautls: [crash], intervall: 1s}\n"
		"",
		{ "t.yaml:1:1: scenario: unknown key \"clutser\"; did you mean \"cluster\"?",
		  "t.yaml:3:14: steps[1]: unknown key \"fualt\"; did you mean \"fault\"?",
		  "t.yaml:4:6: steps[2]: unknown key \"af\"; did you mean \"at\"?",
		  "t.yaml:5:11: nemesis: unknown key \"fautls\"; did you mean \"faults\"?",
		  "t.yaml:5:28: nemesis: unknown key \"intervall\"; did you mean \"interval\"?", NULL } },
};

static void test_bad_inputs(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fl_scenario_errors errs;
		struct fl_scenario *s = (struct fl_scenario *)(uintptr_t)1;
		unsigned n = 0;
		int r;

		r = fl_scenario_parse(bad[i].yaml, strlen(bad[i].yaml), "t.yaml", &s, &errs);
		while (bad[i].errors[n])
			n++;
		if (r != -EINVAL || errs.n != n || errs.total != n) {
			for (unsigned k = 0; k < errs.n; k++)
				print_message("  got: %s\n", errs.e[k].text);
			fail_msg("case '%s': r=%d, %u errors, expected %u", bad[i].name, r, errs.n, n);
		}
		assert_ptr_equal(s, (struct fl_scenario *)(uintptr_t)1); /* untouched */
		for (unsigned k = 0; k < n; k++) {
			if (strcmp(errs.e[k].text, bad[i].errors[k]))
				fail_msg("case '%s' error %u:\n  got      %s\n  expected %s",
					 bad[i].name, k, errs.e[k].text, bad[i].errors[k]);
			/* line, column and message agree with the text */
			char prefix[64];

			snprintf(prefix, sizeof(prefix), "t.yaml:%u:%u: ", errs.e[k].line,
				 errs.e[k].column);
			assert_int_equal(strncmp(errs.e[k].text, prefix, strlen(prefix)), 0);
			assert_int_equal(errs.e[k].msg_off, strlen(prefix));
		}
	}
}

/* 22 bad steps: the first 20 errors are kept, the total says 22. */
static void test_error_cap(void **state)
{
	struct fl_scenario_errors errs;
	struct fl_scenario *s = NULL;
	char yaml[4096] = "cluster: etcd\nsteps:\n";
	size_t off = strlen(yaml);

	for (int i = 0; i < 22; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
					"  - {at: %c, fault: crash, node: n1}\n", 'a' + i);
	assert_int_equal(fl_scenario_parse(yaml, off, "cap.yaml", &s, &errs), -EINVAL);
	assert_int_equal(errs.n, FL_SCENARIO_MAX_ERRORS);
	assert_int_equal(errs.total, 22);
	assert_string_equal(errs.e[19].text, "cap.yaml:22:10: steps[20].at: expected a duration "
			    "like 5s or 250ms, got \"t\"");
	assert_null(s);
}

/* A lone "---": the empty root sits one line past the end; the error may not. */
static void test_lone_document_marker(void **state)
{
	struct fl_scenario_errors errs;
	struct fl_scenario *s = NULL;

	assert_int_equal(fl_scenario_parse("---", 3, "d.yaml", &s, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.e[0].text, "d.yaml:1:4: scenario: expected a mapping (key: "
			    "value), got nothing");
}

/* A mapping of 100000 keys is refused at once (duplicate checks are quadratic). */
static void test_many_keys(void **state)
{
	struct fl_scenario_errors errs;
	struct fl_scenario *s = NULL;
	size_t cap = 64 + 100000 * 8, off;
	char *yaml = malloc(cap);

	assert_non_null(yaml);
	off = (size_t)snprintf(yaml, cap, "cluster: etcd\nsteps: [{at: 1s, fault: crash, node: n1}]\n");
	for (int i = 0; i < 100000; i++)
		off += (size_t)snprintf(yaml + off, cap - off, "name: x\n");
	assert_int_equal(fl_scenario_parse(yaml, off, "k.yaml", &s, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.e[0].text, "k.yaml:1:1: scenario: more than 64 keys (100002)");
	free(yaml);
}

static void test_too_big(void **state)
{
	struct fl_scenario_errors errs;
	struct fl_scenario *s = NULL;
	size_t len = FL_SCENARIO_MAX_FILE + 1;
	char *big = malloc(len);

	assert_non_null(big);
	memset(big, '#', len);
	assert_int_equal(fl_scenario_parse(big, len, "big.yaml", &s, &errs), -EFBIG);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.e[0].text, "big.yaml:1:1: the file is larger than 1048576 bytes");
	free(big);
}

static struct fl_scenario *parse_ok(const char *yaml)
{
	struct fl_scenario_errors errs;
	struct fl_scenario *s = NULL;

	if (fl_scenario_parse(yaml, strlen(yaml), "ok.yaml", &s, &errs)) {
		for (unsigned k = 0; k < errs.n; k++)
			print_message("  %s\n", errs.e[k].text);
		fail_msg("valid scenario refused");
	}
	return s;
}

static void test_kind_scenario(void **state)
{
	struct fl_scenario *s = parse_ok(
		"name: pg-async-failover\n"
		"cluster: postgres-replica          # a comment\n"
		"nodes: 2\n"
		"settings: {synchronous_commit: on, synchronous_standby_names: \"\"}\n"
		"workload: {kind: postgres, target: primary, clients: 4, rate: 500}\n"
		"steps:\n"
		"  - {at: 5s, fault: powercut, node: primary}\n"
		"  - {at: 5s, action: promote, node: replica}\n"
		"  - {at: 20s, action: restart, node: old-primary}\n"
		"  - {every: 2s, for: 10s, fault: \"disk=write:error=ENOSPC\", node: n2, duration: 1s}\n"
		"  - {after: {healthy: n1}, fault: \"net=tcp:dport=5432:drop:prob=30%\", nodes: [n1, n2]}\n"
		"  - {after: {step: 2}, fault: syscall=fsync:error=EIO, node: n1}\n"
		"  - {after: previous, fault: partition, sides: [[n1], [n2]]}\n"
		"  - {at: 30s, action: heal}\n"
		"objectives: {rpo: 0s, rto: 30s, availability: 99%}\n"
		"trials: 5\n"
		"seed: 42\n");

	assert_string_equal(s->name, "pg-async-failover");
	assert_int_equal(s->cluster, FL_SCENARIO_POSTGRES_REPLICA);
	assert_int_equal(s->n_nodes, 2);
	assert_int_equal(s->n_settings, 2);
	assert_string_equal(s->settings[0].key, "synchronous_commit");
	assert_string_equal(s->settings[0].value, "on");
	assert_string_equal(s->settings[1].value, "");
	assert_string_equal(s->workload.kind, "postgres");
	assert_string_equal(s->workload.target, "primary");
	assert_int_equal(s->workload.clients, 4);
	assert_int_equal(s->workload.rate, 500);
	assert_int_equal(s->workload.payload, 128);
	assert_int_equal(s->n_steps, 8);
	assert_int_equal(s->steps[0].sched, FL_SCHED_AT);
	assert_int_equal(s->steps[0].at_ns, 5000000000ull);
	assert_false(s->steps[0].action);
	assert_int_equal(s->steps[0].what.op, FL_SOP_POWERCUT);
	assert_int_equal(s->steps[0].pos.line, 7);
	assert_int_equal(s->steps[0].pos.column, 10);
	assert_true(s->steps[1].action);
	assert_int_equal(s->steps[1].what.op, FL_SOP_PROMOTE);
	assert_string_equal(s->steps[1].nodes[0], "replica");
	assert_string_equal(s->steps[2].nodes[0], "old-primary");
	assert_int_equal(s->steps[3].sched, FL_SCHED_EVERY);
	assert_int_equal(s->steps[3].every_ns, 2000000000ull);
	assert_int_equal(s->steps[3].for_ns, 10000000000ull);
	assert_int_equal(s->steps[3].duration_ns, 1000000000ull);
	assert_int_equal(s->steps[3].what.op, FL_SOP_DISK);
	assert_string_equal(s->steps[3].what.rule_text, "write:error=ENOSPC");
	assert_int_equal(s->steps[3].what.rule.action, FL_ACTION_ERROR);
	assert_int_equal(s->steps[3].what.rule.arg.error, ENOSPC);
	assert_int_equal(s->steps[4].after, FL_AFTER_HEALTHY);
	assert_string_equal(s->steps[4].after_node, "n1");
	assert_int_equal(s->steps[4].what.op, FL_SOP_NET);
	assert_int_equal(s->steps[4].what.rule.dport, 5432);
	assert_int_equal(s->steps[4].n_nodes, 2);
	assert_int_equal(s->steps[5].after, FL_AFTER_STEP);
	assert_int_equal(s->steps[5].after_step, 2);
	assert_int_equal(s->steps[5].what.op, FL_SOP_SYSCALL);
	assert_int_equal(s->steps[6].after, FL_AFTER_PREVIOUS);
	assert_int_equal(s->steps[6].n_sides, 2);
	assert_string_equal(s->steps[6].sides[1].nodes[0], "n2");
	assert_int_equal(s->steps[7].what.op, FL_SOP_HEAL);
	assert_int_equal(s->steps[7].n_nodes, 0);
	assert_int_equal(s->objectives.rpo_ns, 0);
	assert_int_equal(s->objectives.rto_ns, 30000000000ull);
	assert_int_equal(s->objectives.availability_ppm, 990000);
	assert_int_equal(s->trials, 5);
	assert_true(s->has_seed);
	assert_int_equal(s->seed, 42);
	fl_scenario_free(s);
}

static void test_defaults_and_nodes(void **state)
{
	struct fl_scenario *s = parse_ok(
		"nodes:\n"
		"  - name: a\n"
		"    start: redis-server --port 7000\n"
		"    stop: redis-cli -p 7000 shutdown\n"
		"    health: redis-cli -p 7000 ping\n"
		"    data_dir: /var/tmp/a\n"
		"  - {name: b, start: s, data_dir: /d, host: \"ssh://root@10.1.2.3:2222\"}\n"
		"  - {name: c, start: s, data_dir: /d, host: \"ssh://me@[fd00::1]\"}\n"
		"workload: {kind: redis}\n"
		"nemesis: {faults: [partition, powercut, \"net=tcp:drop\"], interval: 10s, seed: 7}\n");

	assert_int_equal(s->cluster, FL_SCENARIO_KIND_NONE);
	assert_int_equal(s->n_nodes, 3);
	assert_string_equal(s->nodes[0].health, "redis-cli -p 7000 ping");
	assert_null(s->nodes[0].host);
	assert_string_equal(s->nodes[1].ssh_user, "root");
	assert_string_equal(s->nodes[1].ssh_host, "10.1.2.3");
	assert_int_equal(s->nodes[1].ssh_port, 2222);
	assert_string_equal(s->nodes[2].ssh_host, "fd00::1");
	assert_int_equal(s->nodes[2].ssh_port, 22);
	assert_string_equal(s->workload.target, "a"); /* the first node */
	assert_int_equal(s->workload.clients, 4);
	assert_int_equal(s->trials, 1);
	assert_false(s->has_seed);
	assert_int_equal(s->objectives.rpo_ns, UINT64_MAX);
	assert_int_equal(s->n_steps, 0);
	assert_true(s->nemesis.set);
	assert_int_equal(s->nemesis.n_faults, 3);
	assert_int_equal(s->nemesis.faults[2].op, FL_SOP_NET);
	assert_int_equal(s->nemesis.interval_ns, 10000000000ull);
	assert_int_equal(s->nemesis.seed, 7);
	fl_scenario_free(s);

	s = parse_ok("cluster: etcd\nsteps: [{at: 1s, fault: crash, node: leader}]\n");
	assert_int_equal(s->n_nodes, 3);
	assert_string_equal(s->workload.kind, "etcd");
	assert_string_equal(s->workload.target, "leader");
	fl_scenario_free(s);
}

/* The six examples, as shipped: all valid. Run from the source tree. */
static void test_examples(void **state)
{
	static const char *const want[] = {
		"cascade.yaml", "etcd-leader-partition.yaml", "etcd-powercut-all.yaml",
		"pg-async-failover.yaml", "pg-sync.yaml", "redis-sentinel-failover.yaml",
	};
	char path[256];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct fl_scenario_errors errs;
		struct fl_scenario *s = NULL;
		int r;

		snprintf(path, sizeof(path), "examples/scenarios/%s", want[i]);
		r = fl_scenario_load(path, &s, &errs);
		if (r == -ENOENT && i == 0) {
			print_message("skip: run from the source tree (examples/scenarios/)\n");
			skip();
		}
		for (unsigned k = 0; r && k < errs.n; k++)
			print_message("  %s\n", errs.e[k].text);
		assert_int_equal(r, 0);
		assert_non_null(s->name);
		assert_true(s->cluster != FL_SCENARIO_KIND_NONE);
		assert_true(s->n_steps > 0);
		assert_true(s->duration_ns > 0 && s->duration_ns <= 30000000000ull);
		fl_scenario_free(s);
	}
}

static void test_load_missing(void **state)
{
	struct fl_scenario *s = NULL;

	assert_int_equal(fl_scenario_load("/nonexistent/x.yaml", &s, NULL), -ENOENT);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_lone_document_marker),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_kind_scenario),
		cmocka_unit_test(test_defaults_and_nodes),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
