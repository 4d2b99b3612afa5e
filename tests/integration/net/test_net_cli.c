// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline net` as a user runs it, on traffic between two fresh netns
 * joined by a veth pair (tests/helpers/netns_pair): --dev with prob=30%
 * on 10k UDP datagrams (and the same count with the same --seed), a
 * --netns partition healed by --for, a launched command whose traffic
 * alone is hit in a cgroup that is gone afterwards, SIGINT's summary,
 * SIGKILL then `faultline cleanup`, refused rules, the --json shape and
 * --log. Every run is bounded (deadlines of a few seconds, at most 10k
 * small datagrams) and its traffic never leaves the two namespaces. Root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <faultline/cgroup.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT     5101
#define CMD_PORT 5102
#define CMD_EXIT 3

static char bin_fl[PATH_MAX];

struct ctx {
	void *session;                 /* fl_cli_setup_session's state */
	struct fl_netns_pair pair;
	char ip1[INET_ADDRSTRLEN];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	*state = c;
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	if (fl_cli_setup_session(&c->session))
		return -1;
	if (geteuid() != 0)
		return 0;
	if (fl_netns_pair_create(&c->pair)) {
		print_message("cannot create the netns pair\n");
		return -1;
	}
	inet_ntop(AF_INET, &c->pair.ip4[1], c->ip1, sizeof(c->ip1));
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (!c)
		return 0;
	fl_cli_teardown_session(&c->session);
	if (c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	free(c);
	return 0;
}

#define REQUIRE()                                          \
	do {                                               \
		if (!fl_cli_require(bin_fl, bin_fl))       \
			skip();                            \
	} while (0)

static struct fl_cli *start(char *const argv[])
{
	struct fl_cli *fl = NULL;

	assert_int_equal(fl_cli_start(argv, &fl), 0);
	return fl;
}

static void finish(struct fl_cli *fl, int timeout_ms, struct fl_cli_result *r)
{
	assert_int_equal(fl_cli_wait(fl, timeout_ms, r), 0);
	fl_cli_free(fl);
	if (r->code)
		print_message("faultline: exit %d\nstderr: %s\n", r->code, r->err);
}

/* Anything of ours on ns[0]'s veth end? The clsact qdisc or a filter. */
static bool tc_left(struct ctx *c)
{
	char cmd[256], out[4096] = "";

	snprintf(cmd, sizeof(cmd),
		 "tc qdisc show dev %s; tc filter show dev %s ingress; tc filter show dev %s egress",
		 c->pair.dev[0], c->pair.dev[0], c->pair.dev[0]);
	fl_netns_pair_capture(&c->pair, 0, cmd, out, sizeof(out));
	return strstr(out, "clsact") || strstr(out, "bpf") || strstr(out, "fl_net");
}

static struct fl_udp_result udp(struct ctx *c, uint16_t port, unsigned n)
{
	struct fl_udp_result u;

	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET, 0, port, n, 32, 0, &u), 0);
	assert_int_equal(u.sent, n);
	return u;
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("JSON: '%s' is not an integer", key);
	return json_integer_value(v);
}

/* One --dev run of prob=30% on 10k datagrams; the JSON summary checked whole. */
static unsigned lossy_run(struct ctx *c, const char *seed)
{
	char rule[64], *argv[] = { bin_fl, "net", rule, "--dev", c->pair.dev[0], "--netns",
				   c->pair.ns[0], "--seed", (char *)seed, "--json", "-v", NULL };
	struct fl_cli_result r;
	struct fl_udp_result u;
	struct fl_cli *fl;
	json_t *s, *rules, *r0;
	unsigned lost;

	snprintf(rule, sizeof(rule), "udp:dport=%d:drop:prob=30%%", PORT);
	fl = start(argv);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	u = udp(c, PORT, 10000);
	assert_int_equal(fl_cli_signal(fl, SIGINT), 0);
	finish(fl, 5000, &r);
	assert_int_equal(r.code, 0);
	s = fl_cli_json_summary(r.out);
	assert_non_null(s);
	/* the --json shape */
	assert_true(json_is_string(json_object_get(s, "target")));
	assert_non_null(strstr(json_string_value(json_object_get(s, "target")), c->pair.dev[0]));
	assert_int_equal(jint(s, "seed"), strtoll(seed, NULL, 0));
	assert_true(json_is_real(json_object_get(s, "armed_s")));
	assert_string_equal(json_string_value(json_object_get(s, "stopped_by")), "signal");
	assert_true(json_is_null(json_object_get(s, "pid")));
	assert_true(json_is_null(json_object_get(s, "exit_status")));
	rules = json_object_get(s, "rules");
	assert_int_equal(json_array_size(rules), 1);
	r0 = json_array_get(rules, 0);
	assert_int_equal(jint(r0, "rule"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(r0, "text")), "prob=30%"));
	assert_string_equal(json_string_value(json_object_get(r0, "mechanism")), "tc");
	assert_int_equal(jint(r0, "kernel_rules"), 1);
	/* Every datagram the rule spared arrived: the losses are the rule's alone. */
	assert_int_equal(jint(r0, "matched"), 10000);
	lost = 10000 - u.received;
	assert_int_equal(jint(r0, "injected"), lost);
	assert_int_equal(u.received, u.distinct);
	json_decref(s);
	fl_cli_result_free(&r);
	assert_false(tc_left(c));
	return lost;
}

static void test_dev_drop_30pct_measures_30_within_2_and_repeats_with_seed(void **state)
{
	struct ctx *c = *state;
	unsigned a, b, other;

	REQUIRE();
	a = lossy_run(c, "42");
	b = lossy_run(c, "42");
	other = lossy_run(c, "43");
	print_message("faultline net prob=30%%: lost %u, %u (--seed 42), %u (--seed 43) of 10000\n",
		      a, b, other);
	assert_in_range(a, 2800, 3200);
	assert_in_range(other, 2800, 3200);
	assert_int_equal(a, b);
	assert_int_not_equal(a, other);
}

static void test_netns_partition_until_for_then_healed(void **state)
{
	struct ctx *c = *state;
	char *argv[] = { bin_fl, "net", "ip:partition", "--netns", c->pair.ns[0], "--for", "1500ms",
			 NULL };
	struct fl_cli_result r;
	struct fl_udp_result cut, healed;
	struct fl_cli *fl;
	uint64_t t0;

	REQUIRE();
	fl = start(argv);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	t0 = fl_cli_now_ms();
	cut = udp(c, PORT, 200);
	finish(fl, 6000, &r);
	print_message("--for 1500ms: faultline ran %llu ms after it armed\n",
		      (unsigned long long)(fl_cli_now_ms() - t0));
	assert_int_equal(r.code, 0);
	assert_int_equal(cut.received, 0);
	assert_non_null(strstr(r.err, "rule 0 ip:partition  [tc]  matched 200  injected 200"));
	assert_non_null(strstr(r.err, "disarmed on netns "));
	/* --for ended it, not the deadline: 1.5 s after arming, and its disarm */
	assert_true(fl_cli_now_ms() - t0 < 1500 + fl_cli_scaled_ms(3000));
	assert_false(tc_left(c));
	healed = udp(c, PORT, 200);
	assert_int_equal(healed.received, 200);
	fl_cli_result_free(&r);
}

/* A receiver in ns[1]: bound socket with a 1 s receive timeout. */
static int receiver(struct ctx *c, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr = c->pair.ip4[1] };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
	int fd = fl_netns_pair_socket(&c->pair, 1, AF_INET, SOCK_DGRAM), big = 1 << 20;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void test_command_in_a_fresh_cgroup_alone_is_hit_and_the_cgroup_goes(void **state)
{
	struct ctx *c = *state;
	char script[512], rule[64], log[PATH_MAX], cgroup[PATH_MAX] = "", buf[64];
	char *argv[] = { bin_fl, "net", rule, "--json", "-v", "--log", log, "--",
			 "ip", "netns", "exec", c->pair.ns[0], "bash", "-c", script, NULL };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(CMD_PORT),
				  .sin_addr = c->pair.ip4[1] };
	unsigned got_b = 0, got_c = 0;
	struct fl_cli_result r;
	struct fl_cli *fl;
	json_t *s, *r0;
	const char *target;
	struct stat sb;
	int rx, tx;
	ssize_t n;

	REQUIRE();
	snprintf(log, sizeof(log), "%s/net.jsonl", getenv("FAULTLINE_RUN_DIR"));
	snprintf(rule, sizeof(rule), "udp:dport=%d:drop", CMD_PORT);
	/* The command sends 100 datagrams "c", waits for the bystander's, exits 3. */
	snprintf(script, sizeof(script),
		 "for i in $(seq 100); do echo c > /dev/udp/%s/%d; done; sleep 0.7; exit %d",
		 c->ip1, CMD_PORT, CMD_EXIT);
	rx = receiver(c, CMD_PORT);
	tx = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_DGRAM);
	assert_true(tx >= 0);
	fl = start(argv);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	/* The bystander: this test's own socket in the same netns, same port. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(sendto(tx, "b\n", 2, 0, (struct sockaddr *)&to, sizeof(to)), 2);
	finish(fl, 8000, &r);
	assert_int_equal(r.code, CMD_EXIT);
	while ((n = recv(rx, buf, sizeof(buf), 0)) > 0) {
		got_b += buf[0] == 'b';
		got_c += buf[0] == 'c';
	}
	close(rx);
	close(tx);
	print_message("command's datagrams through: %u of 100, bystander's: %u of 100\n", got_c,
		      got_b);
	assert_int_equal(got_c, 0);
	assert_int_equal(got_b, 100);
	s = fl_cli_json_summary(r.out);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s, "stopped_by")), "exit");
	assert_int_equal(jint(s, "exit_status"), CMD_EXIT);
	assert_true(jint(s, "pid") > 0);
	r0 = json_array_get(json_object_get(s, "rules"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "mechanism")), "cgroup-skb");
	assert_int_equal(jint(r0, "matched"), 100);
	assert_int_equal(jint(r0, "injected"), 100);
	/* "cgroup /sys/fs/cgroup/faultline-net-PID (of the command)": gone now */
	target = json_string_value(json_object_get(s, "target"));
	assert_non_null(target);
	assert_int_equal(sscanf(target, "cgroup %4095s", cgroup), 1);
	assert_non_null(strstr(cgroup, "faultline-net-"));
	assert_int_equal(stat(cgroup, &sb), -1);
	assert_int_equal(errno, ENOENT);
	json_decref(s);
	/* --log: the final counts as a JSON line */
	{
		FILE *f = fopen(log, "r");
		char line[1024];
		bool final = false;

		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			final |= strstr(line, "\"event\":\"net_counts\"") &&
				 strstr(line, "\"injected\":100") && strstr(line, "\"final\":true");
		fclose(f);
		assert_true(final);
	}
	fl_cli_result_free(&r);
}

static void test_sigint_ends_it_with_the_summary(void **state)
{
	struct ctx *c = *state;
	char rule[64], *argv[] = { bin_fl, "net", rule, "--netns", c->pair.ns[0], NULL };
	struct fl_cli_result r;
	struct fl_cli *fl;
	char want[128];

	REQUIRE();
	snprintf(rule, sizeof(rule), "udp:dport=%d:drop:count=5", PORT);
	fl = start(argv);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	udp(c, PORT, 20);
	assert_int_equal(fl_cli_signal(fl, SIGINT), 0);
	finish(fl, 5000, &r);
	assert_int_equal(r.code, 0);
	snprintf(want, sizeof(want), "rule 0 udp:drop:count=5:dport=%d  [tc]  matched 20  injected 5",
		 PORT);
	if (!strstr(r.err, want))
		fail_msg("no '%s' in: %s", want, r.err);
	assert_false(tc_left(c));
	fl_cli_result_free(&r);
}

/* for= of a rule: hit from the start, clean once it ran out, while still armed. */
static void test_rule_for_ends_the_rule_while_armed(void **state)
{
	struct ctx *c = *state;
	char rule[64], *argv[] = { bin_fl, "net", rule, "--dev", c->pair.dev[0], "--netns",
				   c->pair.ns[0], NULL };
	struct fl_udp_result early, late;
	struct fl_cli_result r;
	struct fl_cli *fl;
	char want[128];

	REQUIRE();
	snprintf(rule, sizeof(rule), "udp:dport=%d:drop:for=700ms", PORT);
	fl = start(argv);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	early = udp(c, PORT, 100);
	usleep(900 * 1000);
	late = udp(c, PORT, 100);
	assert_int_equal(fl_cli_signal(fl, SIGINT), 0);
	finish(fl, 5000, &r);
	assert_int_equal(r.code, 0);
	print_message("for=700ms: %u of 100 through at once, %u of 100 after 900 ms\n",
		      early.received, late.received);
	assert_int_equal(early.received, 0);
	assert_int_equal(late.received, 100);
	snprintf(want, sizeof(want), "matched 200  injected 100");
	assert_non_null(strstr(r.err, want));
	fl_cli_result_free(&r);
}

static void test_sigkill_then_cleanup_leaves_no_qdisc_or_filter(void **state)
{
	struct ctx *c = *state;
	char *argv[] = { bin_fl, "net", "udp:drop", "--dev", c->pair.dev[0], "--netns",
			 c->pair.ns[0], NULL };
	char *cleanup[] = { bin_fl, "cleanup", NULL };
	struct fl_cli_result r;
	struct fl_cli *fl;

	REQUIRE();
	fl = start(argv);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	/* armed: a filter on clsact, or tcx links (6.6+) that tc does not list; both drop */
	assert_int_equal(udp(c, PORT, 20).received, 0);
	assert_int_equal(fl_cli_signal(fl, SIGKILL), 0);
	fl_cli_wait(fl, 5000, &r);
	fl_cli_free(fl);
	assert_int_equal(r.code, 128 + SIGKILL);
	fl_cli_result_free(&r);
	assert_int_equal(fl_cli_run(cleanup, 10000, &r), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	assert_false(tc_left(c));
	assert_int_equal(udp(c, PORT, 100).received, 100);
}

/* SIGKILL while a command runs: after cleanup, neither the command nor its cgroup is left. */
static void test_sigkill_with_a_command_leaves_no_command_or_cgroup(void **state)
{
	char *argv[] = { bin_fl, "net", "udp:drop", "-v", "--", "sleep", "30", NULL };
	char *cleanup[] = { bin_fl, "cleanup", NULL };
	char cgroup[PATH_MAX] = "", *err, *at;
	struct fl_cli_result r;
	struct fl_cli *fl;
	struct stat sb;
	pid_t sleeper;

	REQUIRE();
	fl = start(argv);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	sleeper = fl_proc_find_child(fl->pid, "sleep", 3000);
	assert_true(sleeper > 0);
	err = fl_cli_stderr(fl);
	at = strstr(err, "armed on cgroup ");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "armed on cgroup %4095s", cgroup), 1);
	free(err);
	assert_int_equal(stat(cgroup, &sb), 0);
	assert_int_equal(fl_cli_signal(fl, SIGKILL), 0);
	fl_cli_wait(fl, 5000, &r);
	fl_cli_free(fl);
	fl_cli_result_free(&r);
	assert_int_equal(fl_cli_run(cleanup, 10000, &r), 0);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	assert_true(fl_proc_wait_state(sleeper, "", 3000));
	assert_int_equal(stat(cgroup, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_refused_rules_exit_2_naming_rule_and_column(void **state)
{
	static const struct {
		const char *rule, *says;
	} cases[] = {
		/* delay= on a device is built (netem, or the delay line with -o/-i DEV): its selectors are not */
		{ "udp:delay=50ms:prob=50%", "udp:delay=50ms:prob=50%: prob= on delay: shaping applies to every matching packet" },
		{ "tcp:dport=5432:reject", "tcp:dport=5432:reject: reject answers with a crafted TCP RST" },
		{ "udp:corrupt", "corrupt is not possible on a cgroup" },
		{ "udp:drop:prob=300%", "at column" },
	};
	struct ctx *c = *state;
	struct fl_cli_result r;

	REQUIRE();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { bin_fl, "net", (char *)cases[i].rule, "--dev", c->pair.dev[0],
				 "--netns", c->pair.ns[0], NULL };
		char *cmd_argv[] = { bin_fl, "net", (char *)cases[i].rule, "--", "true", NULL };

		/* reject and corrupt: refused on a cgroup (a launched command's) */
		assert_int_equal(fl_cli_run(i == 1 || i == 2 ? cmd_argv : argv, 5000, &r), 0);
		if (r.code != 2 || !strstr(r.err, cases[i].says) || !strstr(r.err, "at column"))
			fail_msg("%s: exit %d: %s", cases[i].rule, r.code, r.err);
		assert_int_equal(fl_count_lines(r.err, ""), 1);
		fl_cli_result_free(&r);
	}
	assert_false(tc_left(c));
}

/* --pid: the process's own sockets (test_net_pid proves it on traffic); said on stderr. */
static void test_pid_targets_its_own_sockets_and_says_so(void **state)
{
	char cg[PATH_MAX], pid[16];
	char *sleeper[] = { "sleep", "30", NULL };
	char *argv[] = { bin_fl, "net", "udp:drop", "--pid", pid, "--for", "200ms", NULL };
	struct fl_cli_result r;
	struct fl_cli *s;

	REQUIRE();
	assert_int_equal(fl_fixture_cgroup_create(cg, sizeof(cg)), 0);
	s = start(sleeper);
	assert_int_equal(fl_cgroup_add_pid(cg, s->pid), 0);
	snprintf(pid, sizeof(pid), "%d", (int)s->pid);
	assert_int_equal(fl_cli_run(argv, 5000, &r), 0);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.err, "only its own sockets' packets"));
	assert_non_null(strstr(r.err, "it is not moved"));
	assert_non_null(strstr(r.err, "[cgroup-skb]"));
	fl_cli_result_free(&r);
	fl_cli_free(s);
	fl_fixture_cgroup_destroy(cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_drop_30pct_measures_30_within_2_and_repeats_with_seed),
		cmocka_unit_test(test_netns_partition_until_for_then_healed),
		cmocka_unit_test(test_command_in_a_fresh_cgroup_alone_is_hit_and_the_cgroup_goes),
		cmocka_unit_test(test_sigint_ends_it_with_the_summary),
		cmocka_unit_test(test_rule_for_ends_the_rule_while_armed),
		cmocka_unit_test(test_sigkill_then_cleanup_leaves_no_qdisc_or_filter),
		cmocka_unit_test(test_sigkill_with_a_command_leaves_no_command_or_cgroup),
		cmocka_unit_test(test_refused_rules_exit_2_naming_rule_and_column),
		cmocka_unit_test(test_pid_targets_its_own_sockets_and_says_so),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
