// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline rpo --fault partition` and `--fault net=RULE` against a real
 * redis-server (the Debian package) that faultline starts with --start:
 * the service's cgroup is cut off from its clients over loopback for
 * --fault-for, then healed. Nothing acknowledged is lost, the server is
 * never restarted (its start command ran once), and RTO is the clients'
 * unavailability window: at least --fault-for, and not much more.
 * A rule the cgroup cannot do is refused at its column before anything
 * starts; a server outside the service's cgroup is not cut off, and the
 * trial says so instead of measuring nothing; Ctrl-C and SIGKILL leave
 * nothing armed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include <bpf/bpf.h>

#include "helpers/cli_run.h"
#include "helpers/fixtures.h"
#include "helpers/rpo_cli.h"
#include "helpers/services.h"

#define NS 1000000000ll
/*
 * How long after the heal the clients may take to be back: a SYN or a
 * segment dropped during the fault is sent again on TCP's backoff (1 s
 * for a SYN, 200 ms doubling for data), and a client whose request timed
 * out (2 s) reconnects.
 */
#define RECONNECT_BOUND_NS (1500ll * 1000 * 1000)

/* Lines in a file: how many times the start command ran. */
static int lines_in(const char *path)
{
	char line[64];
	int n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* The fixture's server behind a shell that counts its starts in root/starts. */
static void counting_start(const struct fl_service *s, char *buf, size_t len)
{
	snprintf(buf, len, "echo $$ >> %s/starts; %s", s->root, s->start_cmd);
}

static void make_redis(struct fl_service *s)
{
	char why[1024] = "";

	if (fl_service_create(s, FL_SVC_REDIS, FL_SVC_SAFEST, why, sizeof(why)))
		fail_msg("redis fixture: %s", why);
}

/* A network fault on a fresh redis; the run's result, exit 0 asserted, the rest to the caller. */
static json_t *run_fault(struct fl_service *s, const char *fault, const char *fault_for)
{
	char start[4200], slog[FL_SVC_PATH], starts[FL_SVC_PATH + 8];
	struct fl_rpo_cli_result res;
	json_t *result;

	counting_start(s, start, sizeof(start));
	snprintf(slog, sizeof(slog), "%s/service.log", s->root);
	fl_rpo_cli_run(s->root, FL_RPO_CLI_TIMEOUT_MS, &res, "-w", s->url, "--start", start,
		       "-d", s->data, "--service-log", slog, "--fault", fault,
		       "--fault-for", fault_for, "--fault-at", "1s", "--after", "1s", NULL);
	if (res.code != 0)
		print_message("%s: exit %d\nstderr: %s\nservice: %s\n", fault, res.code, res.err,
			      fl_service_log_tail(s));
	assert_int_equal(res.code, 0);
	assert_non_null(res.result);
	result = json_incref(res.result);
	fl_rpo_cli_result_free(&res);
	/* Started once, never again: a network fault does not restart the service. */
	snprintf(starts, sizeof(starts), "%s/starts", s->root);
	assert_int_equal(lines_in(starts), 1);
	return result;
}

static void print_window(const char *label, json_t *t)
{
	json_t *n = json_object_get(t, "network");

	print_message("%s: fault-for %.0f ms, armed %.1f ms, RTO (window) %.1f ms, back %.1f ms "
		      "after the heal, longest gap %.1f ms; %lld acknowledged, %lld acked while "
		      "armed, %lld failed, %lld unknown during; %lld packets matched, %lld hit\n",
		      label, fl_json_int(n, "fault_for_ns") / 1e6, fl_json_int(n, "armed_ns") / 1e6,
		      fl_json_int(t, "rto.ns") / 1e6, fl_json_int(n, "reconnect_ns") / 1e6,
		      fl_json_int(n, "longest_gap_ns") / 1e6,
		      (long long)fl_rpo_count(t, "acknowledged"),
		      (long long)fl_json_int(n, "acked_during"),
		      (long long)fl_json_int(n, "failed_during"),
		      (long long)fl_json_int(n, "unknown_during"),
		      (long long)fl_json_int(n, "matched"), (long long)fl_json_int(n, "injected"));
}

/* What every network trial must show: nothing lost, not restarted, a window past the fault. */
static void assert_network_trial(json_t *t, long long fault_for_ns)
{
	json_t *times = json_object_get(t, "times_ns"), *n = json_object_get(t, "network");

	fl_rpo_assert_no_error(t, NULL);
	assert_true(json_is_object(n));
	assert_true(fl_rpo_count(t, "acknowledged") > 0);
	assert_int_equal(fl_rpo_count(t, "lost"), 0);
	assert_int_equal(fl_rpo_count(t, "unexpected"), 0);
	assert_int_equal(fl_json_int(t, "rpo.ns"), 0);
	assert_true(json_is_null(json_object_get(times, "restarted")));
	assert_true(json_is_false(json_object_get(n, "restarted")));
	assert_int_equal(fl_json_int(n, "fault_for_ns"), fault_for_ns);
	/* Armed for the whole --fault-for, and the window reaches past the heal. */
	assert_true(fl_json_int(times, "healed") - fl_json_int(times, "fault") >= fault_for_ns);
	assert_int_equal(fl_json_int(n, "window_ns"), fl_json_int(t, "rto.ns"));
	assert_true(fl_json_int(times, "first_ok") >= fl_json_int(times, "healed"));
	assert_true(fl_json_int(n, "matched") > 0);
}

static void test_partition_of_redis_loses_nothing_and_rto_is_the_clients_window(void **state)
{
	struct fl_service s;
	json_t *result, *t, *n;
	long long rto;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	make_redis(&s);
	result = run_fault(&s, "partition", "1s");
	t = fl_rpo_trial(result, 0);
	n = json_object_get(t, "network");
	print_window("partition 1s", t);
	assert_network_trial(t, NS);
	assert_string_equal(fl_json_str(n, "rule"), "any:partition");
	assert_non_null(strstr(fl_json_str(t, "mechanism"), "cgroup BPF (cgroup_skb"));
	assert_non_null(strstr(fl_json_str(n, "target"), "faultline-rpo-svc-"));
	/* Nothing got through while it was on: every packet seen was dropped. */
	assert_int_equal(fl_json_int(n, "acked_during"), 0);
	assert_int_equal(fl_json_int(n, "injected"), fl_json_int(n, "matched"));
	rto = fl_json_int(t, "rto.ns");
	assert_true(rto >= NS);
	assert_true(rto <= NS + RECONNECT_BOUND_NS);
	assert_true(fl_json_int(n, "longest_gap_ns") >= NS);
	assert_true(json_is_integer(json_object_get(json_object_get(json_object_get(t, "rto"),
		"phases_ns"), "reconnect")));
	assert_string_equal(fl_json_str(result, "config.fault"), "partition");
	assert_int_equal(fl_json_int(result, "config.fault_for_ns"), NS);
	json_decref(result);
	fl_service_destroy(&s);
}

/*
 * Longer than the clients' 2 s request timeout: the writes in flight
 * time out (unknown) instead of hanging on the blackholed connection, the
 * clients reconnect through the partition's dropped SYNs, and all is
 * back soon after the heal.
 */
static void test_a_partition_longer_than_a_request_times_the_clients_out(void **state)
{
	struct fl_service s;
	json_t *result, *t;
	long long rto;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	make_redis(&s);
	result = run_fault(&s, "partition", "3s");
	t = fl_rpo_trial(result, 0);
	print_window("partition 3s", t);
	assert_network_trial(t, 3 * NS);
	assert_true(fl_json_int(t, "network.unknown_during") > 0);
	rto = fl_json_int(t, "rto.ns");
	assert_true(rto >= 3 * NS);
	assert_true(rto <= 3 * NS + RECONNECT_BOUND_NS);
	json_decref(result);
	fl_service_destroy(&s);
}

/* Half the packets to the server's port dropped: the clients slow down, and report it. */
static void test_net_rule_drops_some_packets_and_reports(void **state)
{
	char rule[96];
	struct fl_service s;
	json_t *result, *t, *n;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	make_redis(&s);
	snprintf(rule, sizeof(rule), "net=tcp:dport=%d:drop:prob=50%%", s.port);
	result = run_fault(&s, rule, "1s");
	t = fl_rpo_trial(result, 0);
	n = json_object_get(t, "network");
	print_window(rule, t);
	assert_network_trial(t, NS);
	assert_string_equal(fl_json_str(n, "rule"), rule + 4);
	assert_string_equal(fl_json_str(result, "config.net_rule"), rule + 4);
	assert_string_equal(fl_json_str(result, "config.fault"), "net");
	/* Some dropped, not all. */
	assert_true(fl_json_int(n, "injected") > 0);
	assert_true(fl_json_int(n, "injected") < fl_json_int(n, "matched"));
	assert_true(fl_json_int(t, "rto.ns") >= NS);
	json_decref(result);
	fl_service_destroy(&s);
}

/* Refused before anything starts (exit 2, no result), with the column of the rule. */
static void refused(const char *dir, const char *w, const char *fault, const char *extra,
		    const char *want1, const char *want2)
{
	struct fl_rpo_cli_result res;

	fl_rpo_cli_run(dir, 30000, &res, "-w", w, "--start", "exec sleep 30", "--fault", fault,
		       extra, extra ? "1s" : NULL, NULL);
	assert_int_equal(res.code, 2);
	assert_null(res.result);
	if (!strstr(res.err, want1) || (want2 && !strstr(res.err, want2)))
		fail_msg("--fault %s: expected '%s'%s%s in: %s", fault, want1, want2 ? " and " : "",
			 want2 ? want2 : "", res.err);
	fl_rpo_cli_result_free(&res);
}

static void test_a_rule_the_cgroup_cannot_do_is_refused_at_its_column(void **state)
{
	struct fl_fixture *fx = *state;
	char w[PATH_MAX + 32];

	if (!fl_rpo_cli_require())
		skip();
	refused(fx->path, "redis://127.0.0.1:1", "net=tcp:dprt=6379:drop", NULL,
		"unknown key 'dprt' at column 5", NULL);
	refused(fx->path, "redis://127.0.0.1:1", "net=tcp:corrupt", NULL,
		"not possible on a cgroup", "at column 5");
	refused(fx->path, "redis://127.0.0.1:1", "net=tcp:dport=1:delay=10ms", NULL,
		"delay needs the NFQUEUE delay line", "at column 13");
	refused(fx->path, "redis://127.0.0.1:1", "net", NULL, "--fault net needs a rule", NULL);
	refused(fx->path, "redis://127.0.0.1:1", "kill", "--fault-for",
		"--fault-for is how long a network fault lasts", NULL);
	/* The built-in writers are reached over a unix socket: no packet to cut. */
	snprintf(w, sizeof(w), "file:%s/log?fsync=always", fx->path);
	{
		struct fl_rpo_cli_result res;

		fl_rpo_cli_run(fx->path, 30000, &res, "-w", w, "--fault", "partition", NULL);
		assert_int_equal(res.code, 2);
		assert_non_null(strstr(res.err, "built-in workload"));
		fl_rpo_cli_result_free(&res);
	}
}

/*
 * A --start that only reaches a server started elsewhere: the service's
 * cgroup holds no socket of it, so a partition there would cut nobody
 * off. The trial says so (exit 3) and the outside server is untouched.
 */
static void test_a_partition_of_a_server_outside_the_cgroup_is_refused(void **state)
{
	char why[1024] = "";
	struct fl_service s;
	struct fl_rpo_cli_result res;
	json_t *e;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	make_redis(&s);
	if (fl_service_start(&s, 10000, why, sizeof(why)))
		fail_msg("redis: %s", why);
	fl_rpo_cli_run(s.root, FL_RPO_CLI_TIMEOUT_MS, &res, "-w", s.url, "--start", "exec sleep 60",
		       "--fault", "partition", "--fault-for", "500ms", "--fault-at", "500ms",
		       "--after", "300ms", NULL);
	assert_int_equal(res.code, 3);
	assert_non_null(res.result);
	e = json_object_get(fl_rpo_trial(res.result, 0), "error");
	assert_string_equal(fl_json_str(e, "phase"), "fault");
	assert_non_null(strstr(fl_json_str(e, "message"), "saw no packet"));
	assert_non_null(strstr(res.err, "not in the service's cgroup"));
	assert_true(fl_service_up(&s));
	fl_rpo_cli_result_free(&res);
	fl_service_destroy(&s);
}

/* The service cgroup of the controller's first start, if it exists. */
static bool service_cgroup(pid_t controller, char *buf, size_t len)
{
	char root[PATH_MAX - 64];

	if (fl_fixture_cgroup2_root(root, sizeof(root)))
		return false;
	snprintf(buf, len, "%s/faultline-rpo-svc-%d-0", root, (int)controller);
	return access(buf, F_OK) == 0;
}

/* Programs attached to a cgroup's ingress (the partition's cgroup_skb); -1: no cgroup. */
static int ingress_progs(const char *cgroup)
{
	__u32 cnt = 0;
	int fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (fd < 0)
		return -1;
	err = bpf_prog_query(fd, BPF_CGROUP_INET_INGRESS, 0, NULL, NULL, &cnt);
	close(fd);
	return err ? -1 : (int)cnt;
}

/* Start a 30 s partition and wait until it is armed; the path of the service's cgroup. */
static struct fl_cli *start_partitioned(struct fl_service *s, char *cg, size_t len)
{
	char *argv[] = { fl_rpo_cli_bin(), "rpo", "--quiet", "-o", "/dev/null", "-w", s->url,
			 "--start", s->start_cmd, "-d", s->data, "--fault", "partition",
			 "--fault-for", "30s", "--fault-at", "300ms", "--after", "300ms", NULL };
	struct fl_cli *c;
	int i;

	assert_int_equal(fl_cli_start(argv, &c), 0);
	for (i = 0; i < 200; i++) {
		if (service_cgroup(c->pid, cg, len) && ingress_progs(cg) > 0)
			break;
		usleep(50000);
	}
	if (i == 200)
		fail_msg("the partition was never armed on the service's cgroup");
	return c;
}

/*
 * Ctrl-C (SIGTERM the same) during a partition: healed at once, the trial
 * says it was interrupted (exit 3), long before --fault-for; SIGKILL: the
 * watchdog kills the service and removes its cgroup, with the programs.
 */
static void test_interrupted_or_killed_partitions_leave_nothing(void **state)
{
	struct fl_cli_result res;
	struct fl_service s;
	char cg[PATH_MAX];
	struct fl_cli *c;
	pid_t pid;
	bool left = true, up = true;

	(void)state;
	if (!fl_rpo_cli_require_service(FL_SVC_REDIS))
		skip();
	make_redis(&s);

	c = start_partitioned(&s, cg, sizeof(cg));
	pid = c->pid;
	assert_int_equal(fl_cli_signal(c, SIGINT), 0);
	fl_cli_wait(c, 20000, &res);
	fl_cli_free(c);
	print_message("SIGINT: exit %d after %llu ms: %s\n", res.code, (unsigned long long)res.ms,
		      res.err);
	assert_int_equal(res.code, 3);
	assert_non_null(strstr(res.err, "failed in fault: interrupted"));
	assert_true(res.ms < 15000);
	assert_false(service_cgroup(pid, cg, sizeof(cg)));
	assert_false(fl_cli_session_left(pid));
	fl_cli_result_free(&res);

	c = start_partitioned(&s, cg, sizeof(cg));
	pid = c->pid;
	assert_int_equal(fl_cli_signal(c, SIGKILL), 0);
	fl_cli_wait(c, 5000, &res);
	fl_cli_free(c);
	assert_int_equal(res.code, 128 + SIGKILL);
	for (int i = 0; i < 100 && (left || up); i++) {
		left = service_cgroup(pid, cg, sizeof(cg));
		/* Only once the cgroup is gone: a partitioned server would hold the ping. */
		up = left || fl_service_up(&s);
		usleep(50000);
	}
	print_message("SIGKILL: service cgroup %s, server %s\n", left ? "LEFT" : "gone",
		      up ? "RUNNING" : "gone");
	fl_cli_result_free(&res);
	fl_service_stop(&s);
	assert_false(left);
	assert_false(up);
	fl_service_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partition_of_redis_loses_nothing_and_rto_is_the_clients_window),
		cmocka_unit_test(test_a_partition_longer_than_a_request_times_the_clients_out),
		cmocka_unit_test(test_net_rule_drops_some_packets_and_reports),
		cmocka_unit_test_setup_teardown(test_a_rule_the_cgroup_cannot_do_is_refused_at_its_column,
						fl_cli_setup_session, fl_cli_teardown_session),
		cmocka_unit_test(test_a_partition_of_a_server_outside_the_cgroup_is_refused),
		cmocka_unit_test(test_interrupted_or_killed_partitions_leave_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
