// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline net --log`: one JSON line per injected packet, from the
 * datapath's event ring, and exactly as many as the rule's counter says
 * (none lost on these bounded runs). The lines carry the common event
 * schema (README "Injection events": domain net, rule, action, mechanism,
 * seq) and the packet's own fields (dir, proto, addresses, ports). Traffic
 * between two fresh netns joined by a veth pair; at most 2,000 small
 * datagrams per run. Root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <faultline/net.h>
#include <faultline/net_events.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT_DROP 5131
#define PORT_DUP  5132
#define MAX_EV    4096

static char bin_fl[PATH_MAX];

struct ctx {
	void *session;
	struct fl_netns_pair pair;
	char dir[PATH_MAX];
	char ip[2][INET_ADDRSTRLEN];
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
	if (fl_fixture_tmpdir_create(c->dir, sizeof(c->dir)))
		return -1;
	if (fl_netns_pair_create(&c->pair)) {
		print_message("cannot create the netns pair\n");
		return -1;
	}
	inet_ntop(AF_INET, &c->pair.ip4[0], c->ip[0], sizeof(c->ip[0]));
	inet_ntop(AF_INET, &c->pair.ip4[1], c->ip[1], sizeof(c->ip[1]));
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
	if (c->dir[0])
		fl_fixture_tmpdir_destroy(c->dir);
	free(c);
	return 0;
}

#define REQUIRE()                                          \
	do {                                               \
		if (!fl_cli_require(bin_fl, bin_fl))       \
			skip();                            \
	} while (0)

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("JSON: '%s' is not an integer in %s", key, json_dumps(o, JSON_COMPACT));
	return json_integer_value(v);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("JSON: '%s' is not a string in %s", key, json_dumps(o, JSON_COMPACT));
	return json_string_value(v);
}

/* The log's lines, parsed: events (domain net) and final counts, by rule. */
struct parsed {
	json_t *ev[MAX_EV];
	size_t n_ev;
	json_t *final[4];
};

static void parse_log(const char *path, struct parsed *p)
{
	char line[2048];
	FILE *f = fopen(path, "re");

	memset(p, 0, sizeof(*p));
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		json_t *ev;

		assert_non_null(j);
		ev = json_object_get(j, "event");
		if (json_is_string(ev) && !strcmp(json_string_value(ev), "net_counts")) {
			if (json_is_true(json_object_get(j, "final")) && jint(j, "rule") < 4) {
				p->final[jint(j, "rule")] = j;
				continue;
			}
		} else if (json_is_string(json_object_get(j, "domain"))) {
			assert_string_equal(jstr(j, "domain"), "net");
			assert_true(p->n_ev < MAX_EV);
			p->ev[p->n_ev++] = j;
			continue;
		}
		json_decref(j);
	}
	fclose(f);
}

static void free_parsed(struct parsed *p)
{
	for (size_t i = 0; i < p->n_ev; i++)
		json_decref(p->ev[i]);
	for (size_t i = 0; i < 4; i++)
		json_decref(p->final[i]);
}

/* The events of rule: each checked against the fields given, seq 1..n each once. */
static size_t check_rule_events(struct parsed *p, int rule, const char *action, const char *mech,
				const char *dir, const char *src, const char *dst, int dport)
{
	static unsigned char seen[MAX_EV + 1];
	size_t n = 0;

	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < p->n_ev; i++) {
		json_t *e = p->ev[i];
		json_int_t seq;

		if (jint(e, "rule") != rule)
			continue;
		n++;
		assert_string_equal(jstr(e, "action"), action);
		assert_string_equal(jstr(e, "mechanism"), mech);
		assert_string_equal(jstr(e, "result"), "injected");
		assert_string_equal(jstr(e, "dir"), dir);
		assert_string_equal(jstr(e, "proto"), "udp");
		assert_string_equal(jstr(e, "src"), src);
		assert_string_equal(jstr(e, "dst"), dst);
		assert_int_equal(jint(e, "dport"), dport);
		assert_true(jint(e, "sport") > 0);
		assert_true(jint(e, "len") > 0);
		assert_true(jint(e, "ts_ns") > 0);
		assert_true(json_is_string(json_object_get(e, "time")));
		seq = jint(e, "seq");
		assert_in_range(seq, 1, MAX_EV);
		assert_int_equal(seen[seq], 0);
		seen[seq] = 1;
	}
	return n;
}

static void run(char **argv, void (*traffic)(struct ctx *), struct ctx *c)
{
	struct fl_cli_result r;
	struct fl_cli *fl = NULL;

	assert_int_equal(fl_cli_start(argv, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	traffic(c);
	assert_int_equal(fl_cli_signal(fl, SIGINT), 0);
	assert_int_equal(fl_cli_wait(fl, 5000, &r), 0);
	fl_cli_free(fl);
	if (r.code)
		print_message("faultline: exit %d\nstderr: %s\n", r.code, r.err);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
}

static void send_2000(struct ctx *c)
{
	struct fl_udp_result u;

	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET, 0, PORT_DROP, 2000, 32, 0, &u), 0);
	assert_int_equal(u.sent, 2000);
}

static void test_dev_drop_logs_one_line_per_dropped_datagram(void **state)
{
	struct ctx *c = *state;
	char log[PATH_MAX + 16], rule[64];
	char *argv[] = { bin_fl, "net", rule, "--dev", c->pair.dev[0], "--netns", c->pair.ns[0],
			 "--seed", "42", "--log", log, "-v", NULL };
	struct parsed p;
	size_t n;

	REQUIRE();
	snprintf(log, sizeof(log), "%s/drop.log", c->dir);
	snprintf(rule, sizeof(rule), "udp:dport=%d:drop:prob=30%%", PORT_DROP);
	run(argv, send_2000, c);
	parse_log(log, &p);
	assert_non_null(p.final[0]);
	n = check_rule_events(&p, 0, "drop", "tc", "egress", c->ip[0], c->ip[1], PORT_DROP);
	print_message("prob=30%% on 2000 datagrams: %zu event lines, counter %lld, lost %lld\n", n,
		      (long long)jint(p.final[0], "injected"),
		      (long long)jint(p.final[0], "events_lost"));
	assert_in_range(n, 500, 700);
	assert_int_equal(jint(p.final[0], "events_lost"), 0);
	assert_int_equal((json_int_t)n, jint(p.final[0], "injected"));
	free_parsed(&p);
}

static void send_both(struct ctx *c)
{
	struct fl_udp_result u;

	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET, 0, PORT_DROP, 300, 32, 0, &u), 0);
	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET, 0, PORT_DUP, 300, 32, 0, &u), 0);
	/* 40 sent twice: 300 + 40 arrive */
	assert_int_equal(u.received, 340);
}

/* On the receiver's side: ingress drops, and duplicates with count=; two rules apart. */
static void test_ingress_and_duplicate_rules_each_log_their_own(void **state)
{
	struct ctx *c = *state;
	char log[PATH_MAX + 16], r0[64], r1[64];
	char *argv[] = { bin_fl, "net", r0, r1, "--dev", c->pair.dev[1], "--netns", c->pair.ns[1],
			 "--log", log, NULL };
	struct parsed p;
	size_t n0, n1;

	REQUIRE();
	snprintf(log, sizeof(log), "%s/two.log", c->dir);
	snprintf(r0, sizeof(r0), "udp:dport=%d:drop:dir=ingress:when=1..300+3", PORT_DROP);
	snprintf(r1, sizeof(r1), "udp:dport=%d:duplicate:dir=ingress:count=40", PORT_DUP);
	run(argv, send_both, c);
	parse_log(log, &p);
	assert_non_null(p.final[0]);
	assert_non_null(p.final[1]);
	n0 = check_rule_events(&p, 0, "drop", "tc", "ingress", c->ip[0], c->ip[1], PORT_DROP);
	n1 = check_rule_events(&p, 1, "duplicate", "tc", "ingress", c->ip[0], c->ip[1], PORT_DUP);
	print_message("when=1..300+3: %zu lines; count=40 duplicate: %zu lines\n", n0, n1);
	assert_int_equal(n0, 100);
	assert_int_equal((json_int_t)n0, jint(p.final[0], "injected"));
	assert_int_equal(n1, 40);
	assert_int_equal((json_int_t)n1, jint(p.final[1], "injected"));
	assert_int_equal(jint(p.final[0], "events_lost"), 0);
	assert_int_equal(jint(p.final[1], "events_lost"), 0);
	assert_int_equal(p.n_ev, 140);
	free_parsed(&p);
}

/* A socket call refused by error=: the caller's pid and comm, the address it asked for. */
static void test_refused_connects_log_the_caller(void **state)
{
	struct ctx *c = *state;
	char log[PATH_MAX + 16], rule[80], script[256];
	char *argv[] = { bin_fl, "net", rule, "--log", log, "--", "ip", "netns", "exec",
			 c->pair.ns[0], "bash", "-c", script, NULL };
	struct fl_cli_result r;
	struct parsed p;

	REQUIRE();
	snprintf(log, sizeof(log), "%s/sock.log", c->dir);
	snprintf(rule, sizeof(rule), "connect:dport=%d:error=ECONNREFUSED:count=3", PORT_DROP);
	/* nothing listens: the 2 connects past count= fail by themselves, and log nothing */
	snprintf(script, sizeof(script),
		 "for i in 1 2 3 4 5; do (exec 3<>/dev/tcp/%s/%d) 2>/dev/null; done; exit 0",
		 c->ip[1], PORT_DROP);
	assert_int_equal(fl_cli_run(argv, 20000, &r), 0);
	if (r.code)
		print_message("faultline: exit %d\nstderr: %s\n", r.code, r.err);
	assert_int_equal(r.code, 0);
	fl_cli_result_free(&r);
	parse_log(log, &p);
	assert_non_null(p.final[0]);
	assert_int_equal(p.n_ev, 3);
	for (size_t i = 0; i < p.n_ev; i++) {
		json_t *e = p.ev[i];

		assert_string_equal(jstr(e, "action"), "error");
		assert_string_equal(jstr(e, "mechanism"), "cgroup-sock");
		assert_string_equal(jstr(e, "value_name"), "ECONNREFUSED");
		assert_int_equal(jint(e, "value"), ECONNREFUSED);
		assert_string_equal(jstr(e, "proto"), "connect");
		assert_string_equal(jstr(e, "dst"), c->ip[1]);
		assert_true(json_is_null(json_object_get(e, "src")));
		assert_int_equal(jint(e, "dport"), PORT_DROP);
		assert_true(jint(e, "pid") > 0);
		assert_string_equal(jstr(e, "comm"), "bash");
		assert_int_equal(jint(e, "seq"), (json_int_t)i + 1);
	}
	assert_int_equal(jint(p.final[0], "injected"), 3);
	assert_int_equal(jint(p.final[0], "events_lost"), 0);
	free_parsed(&p);
}

static int count_event(void *ctx, const struct fl_net_event *ev)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

/*
 * Nobody reads the ring while 12,000 datagrams are dropped: it fills (1 MiB,
 * about 10,000 events), the rest are counted lost, every datagram is still
 * dropped, and what the ring kept plus what it lost is the counter.
 */
static void test_a_full_ring_counts_its_losses_and_never_holds_a_packet(void **state)
{
	struct ctx *c = *state;
	struct fl_net_rule r = {
		.proto = FL_NET_ABI_UDP, .dir = FL_NET_ABI_EGRESS, .action = FL_NET_ACT_DROP,
		.dport_lo = PORT_DUP, .dport_hi = PORT_DUP,
	};
	struct fl_net_target t = { .kind = FL_NET_TARGET_DEV, .netns = c->pair.ns[0],
				   .dev = c->pair.dev[0] };
	struct fl_net_session *s = NULL;
	struct fl_net_events *ev = NULL;
	struct fl_net_counters cnt;
	struct fl_udp_result u;
	uint64_t read = 0;
	char err[256] = "";

	REQUIRE();
	if (fl_net_session_open(&r, 1, &t, NULL, &s, err, sizeof(err)) ||
	    fl_net_session_attach(s, err, sizeof(err)))
		fail_msg("arm: %s", err);
	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET, 0, PORT_DUP, 12000, 16, 0, &u), 0);
	assert_int_equal(u.sent, 12000);
	assert_int_equal(u.received, 0);
	assert_int_equal(fl_net_events_open(s, count_event, &read, &ev), 0);
	while (fl_net_events_consume(ev) > 0)
		;
	assert_int_equal(fl_net_session_counters(s, 0, &cnt), 0);
	print_message("ring full: %llu events read, %llu lost, %llu injected\n",
		      (unsigned long long)read, (unsigned long long)cnt.events_lost,
		      (unsigned long long)cnt.injected);
	assert_int_equal(cnt.injected, 12000);
	assert_true(cnt.events_lost > 0);
	assert_int_equal(read + cnt.events_lost, cnt.injected);
	assert_int_equal(fl_net_events_malformed(ev), 0);
	fl_net_events_free(ev);
	fl_net_session_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_drop_logs_one_line_per_dropped_datagram),
		cmocka_unit_test(test_ingress_and_duplicate_rules_each_log_their_own),
		cmocka_unit_test(test_refused_connects_log_the_caller),
		cmocka_unit_test(test_a_full_ring_counts_its_losses_and_never_holds_a_packet),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
