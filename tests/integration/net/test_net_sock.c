// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline net` error= rules on socket calls (cgroup sock_addr
 * programs), as a user runs them: a launched command in ns[0] of a fresh
 * netns pair (tests/helpers/netns_pair) connects, sends and binds; the
 * listeners are this test's sockets in ns[1]. connect:dport=P refuses the
 * command's connect to P (which listens: the kernel alone would accept)
 * while this test, outside the command's cgroup, connects to P fine and
 * another port is untouched; IPv6 too; bind:sport=, sendmsg (UDP sendto),
 * prob= with a seed twice the same, count=, a --cgroup target with a
 * running process in it, and the refusal on a netns target. Bounded: a few connects per run, deadlines of seconds. Root;
 * bind and sendmsg need socat (skipped without it).
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

#define PORT_HIT   5201
#define PORT_OTHER 5202
#define PORT_UDP   5203
#define PORT_UDP2  5204
#define PORT_BIND  5205
#define PORT_BIND2 5206

static char bin_fl[PATH_MAX];

struct ctx {
	void *session;
	struct fl_netns_pair pair;
	char ip0[INET_ADDRSTRLEN], ip1[INET_ADDRSTRLEN];
	char ip6_1[INET6_ADDRSTRLEN];
	int lis[4];                    /* ns[1]: HIT and OTHER, IPv4 and IPv6 */
};

/*
 * try HOST PORT NAME: prints "NAME ok", "NAME refused" (ECONNREFUSED) or
 * "NAME other: why". bash's /dev/tcp is a plain connect().
 */
#define TRY_SH \
	"try() { out=$( (exec 3<>/dev/tcp/$1/$2) 2>&1 ) && echo \"$3 ok\" || " \
	"case \"$out\" in *'Connection refused'*) echo \"$3 refused\";; " \
	"*) echo \"$3 other: $out\";; esac; }; "

static int listener(struct ctx *c, int family, uint16_t port)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr = c->pair.ip4[1] };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = c->pair.ip6[1] };
	int fd = fl_netns_pair_socket(&c->pair, 1, family, SOCK_STREAM), one = 1;

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((family == AF_INET ? bind(fd, (struct sockaddr *)&a4, sizeof(a4)) :
				 bind(fd, (struct sockaddr *)&a6, sizeof(a6))) ||
	    listen(fd, 512)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	*state = c;
	for (int i = 0; i < 4; i++)
		c->lis[i] = -1;
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	if (fl_cli_setup_session(&c->session))
		return -1;
	if (geteuid() != 0)
		return 0;
	if (fl_netns_pair_create(&c->pair)) {
		print_message("cannot create the netns pair\n");
		return -1;
	}
	inet_ntop(AF_INET, &c->pair.ip4[0], c->ip0, sizeof(c->ip0));
	inet_ntop(AF_INET, &c->pair.ip4[1], c->ip1, sizeof(c->ip1));
	inet_ntop(AF_INET6, &c->pair.ip6[1], c->ip6_1, sizeof(c->ip6_1));
	c->lis[0] = listener(c, AF_INET, PORT_HIT);
	c->lis[1] = listener(c, AF_INET, PORT_OTHER);
	c->lis[2] = listener(c, AF_INET6, PORT_HIT);
	c->lis[3] = listener(c, AF_INET6, PORT_OTHER);
	for (int i = 0; i < 4; i++) {
		if (c->lis[i] < 0) {
			print_message("listener %d: %s\n", i, strerror(-c->lis[i]));
			return -1;
		}
	}
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (!c)
		return 0;
	for (int i = 0; i < 4; i++)
		if (c->lis[i] >= 0)
			close(c->lis[i]);
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

static void require_socat(void)
{
	if (system("command -v socat >/dev/null 2>&1") != 0) {
		print_message("socat is not installed: skipped (it does sendto and bind here)\n");
		skip();
	}
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("JSON: '%s' is not an integer", key);
	return json_integer_value(v);
}

/* Run `faultline net RULE... --json -- ip netns exec ns0 bash -c SCRIPT` to its end. */
static void run(struct ctx *c, const char *const *rules, size_t n, const char *script,
		struct fl_cli_result *r)
{
	char *argv[16];
	size_t a = 0;

	argv[a++] = bin_fl;
	argv[a++] = "net";
	for (size_t i = 0; i < n; i++)
		argv[a++] = (char *)rules[i];
	argv[a++] = "--json";
	argv[a++] = "--";
	argv[a++] = "ip";
	argv[a++] = "netns";
	argv[a++] = "exec";
	argv[a++] = c->pair.ns[0];
	argv[a++] = "bash";
	argv[a++] = "-c";
	argv[a++] = (char *)script;
	argv[a] = NULL;
	assert_int_equal(fl_cli_run(argv, 10000, r), 0);
	if (r->code)
		print_message("faultline: exit %d\nstdout: %s\nstderr: %s\n", r->code, r->out,
			      r->err);
	assert_false(r->timed_out);
}

/* Rule i of the --json summary: mechanism cgroup-sock, and its counts. */
static void expect_counts(const struct fl_cli_result *r, size_t i, json_int_t matched,
			  json_int_t injected)
{
	json_t *s = fl_cli_json_summary(r->out), *ri;

	assert_non_null(s);
	ri = json_array_get(json_object_get(s, "rules"), i);
	assert_non_null(ri);
	assert_string_equal(json_string_value(json_object_get(ri, "mechanism")), "cgroup-sock");
	assert_int_equal(jint(ri, "matched"), matched);
	assert_int_equal(jint(ri, "injected"), injected);
	json_decref(s);
}

/* A connect from this test's own process in ns[0]: outside the command's cgroup. */
static int outside_connect(struct ctx *c, uint16_t port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr = c->pair.ip4[1] };
	int fd = fl_netns_pair_socket(&c->pair, 0, AF_INET, SOCK_STREAM), e = 0;

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)))
		e = -errno;
	close(fd);
	return e;
}

static void test_connect_refused_for_the_command_alone(void **state)
{
	struct ctx *c = *state;
	char script[PATH_MAX + 1024], flag[PATH_MAX], rule[64];
	char *argv[] = { bin_fl, "net", rule, "-v", "--json", "--", "ip", "netns", "exec",
			 c->pair.ns[0], "bash", "-c", script, NULL };
	struct fl_cli_result r;
	struct fl_cli *fl = NULL;

	REQUIRE();
	snprintf(flag, sizeof(flag), "%s/sock-go", getenv("FAULTLINE_RUN_DIR"));
	unlink(flag);
	snprintf(rule, sizeof(rule), "connect:dport=%d:error=ECONNREFUSED", PORT_HIT);
	/* The command waits until this test has connected from outside while armed. */
	snprintf(script, sizeof(script),
		 TRY_SH "for i in $(seq 100); do [ -e %s ] && break; sleep 0.05; done; "
		 "try %s %d hit4; try %s %d other4",
		 flag, c->ip1, PORT_HIT, c->ip1, PORT_OTHER);
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	/* Outside the cgroup: the same port connects. */
	assert_int_equal(outside_connect(c, PORT_HIT), 0);
	fclose(fopen(flag, "w"));
	assert_int_equal(fl_cli_wait(fl, 10000, &r), 0);
	fl_cli_free(fl);
	unlink(flag);
	print_message("command: %s", r.out);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "hit4 refused"));
	assert_non_null(strstr(r.out, "other4 ok"));
	expect_counts(&r, 0, 1, 1);
	fl_cli_result_free(&r);
	/* Disarmed: the command's own connect goes through again. */
	assert_int_equal(outside_connect(c, PORT_HIT), 0);
}

static void test_connect_ipv6_by_address_and_port(void **state)
{
	struct ctx *c = *state;
	char script[1024], rule[128];
	const char *rules[] = { rule };
	struct fl_cli_result r;

	REQUIRE();
	snprintf(rule, sizeof(rule), "connect:dst=[%s]:dport=%d:error=ECONNREFUSED", c->ip6_1,
		 PORT_HIT);
	snprintf(script, sizeof(script),
		 TRY_SH "try %s %d hit6; try %s %d other6; try %s %d hit4",
		 c->ip6_1, PORT_HIT, c->ip6_1, PORT_OTHER, c->ip1, PORT_HIT);
	run(c, rules, 1, script, &r);
	print_message("command: %s", r.out);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "hit6 refused"));
	assert_non_null(strstr(r.out, "other6 ok"));
	/* The IPv4 address is not the rule's: untouched. */
	assert_non_null(strstr(r.out, "hit4 ok"));
	expect_counts(&r, 0, 1, 1);
	fl_cli_result_free(&r);
}

static void test_bind_and_sendmsg(void **state)
{
	struct ctx *c = *state;
	char script[1024], bind_rule[64], send_rule[64];
	const char *rules[] = { bind_rule, send_rule };
	struct fl_cli_result r;

	REQUIRE();
	require_socat();
	snprintf(bind_rule, sizeof(bind_rule), "bind:sport=%d:error=EADDRINUSE", PORT_BIND);
	snprintf(send_rule, sizeof(send_rule), "sendmsg:dport=%d:error=EHOSTUNREACH", PORT_UDP);
	/* socat's UDP-SENDTO is sendto() with an address; bind= binds first. */
	snprintf(script, sizeof(script),
		 "s() { e=$(echo x | socat -u - UDP4-SENDTO:%s:$1$2 2>&1); r=$?; case \"$e\" in "
		 "*'Address already in use'*) echo \"$3 EADDRINUSE\";; "
		 "*'No route to host'*) echo \"$3 EHOSTUNREACH\";; *) echo \"$3 rc=$r\";; esac; }; "
		 "s %d '' send_hit; s %d '' send_other; "
		 "s %d ,bind=%s:%d bind_hit; s %d ,bind=%s:%d bind_other",
		 c->ip1, PORT_UDP, PORT_UDP2, PORT_UDP2, c->ip0, PORT_BIND, PORT_UDP2, c->ip0,
		 PORT_BIND2);
	run(c, rules, 2, script, &r);
	print_message("command: %s", r.out);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "send_hit EHOSTUNREACH"));
	assert_non_null(strstr(r.out, "send_other rc=0"));
	assert_non_null(strstr(r.out, "bind_hit EADDRINUSE"));
	assert_non_null(strstr(r.out, "bind_other rc=0"));
	expect_counts(&r, 0, 1, 1);
	expect_counts(&r, 1, 1, 1);
	fl_cli_result_free(&r);
}

/* 24 connects under RULE: their outcomes as a string of R (refused) and o (ok). */
static void pattern(struct ctx *c, const char *rule, char *buf, size_t len)
{
	char script[1024];
	const char *rules[] = { rule };
	struct fl_cli_result r;
	const char *p;

	snprintf(script, sizeof(script),
		 TRY_SH "s=; for i in $(seq 24); do case $(try %s %d x) in "
		 "'x refused') s=${s}R;; 'x ok') s=${s}o;; *) s=${s}?;; esac; done; "
		 "echo \"pattern=$s\"",
		 c->ip1, PORT_HIT);
	run(c, rules, 1, script, &r);
	assert_int_equal(r.code, 0);
	p = strstr(r.out, "pattern=");
	assert_non_null(p);
	snprintf(buf, len, "%.24s", p + 8);
	fl_cli_result_free(&r);
}

static void test_prob_with_a_seed_repeats_and_count_limits(void **state)
{
	struct ctx *c = *state;
	char rule[128], a[32], b[32], cnt[32];

	REQUIRE();
	snprintf(rule, sizeof(rule), "connect:dport=%d:error=ECONNREFUSED:prob=50%%:seed=7",
		 PORT_HIT);
	pattern(c, rule, a, sizeof(a));
	pattern(c, rule, b, sizeof(b));
	snprintf(rule, sizeof(rule), "connect:dport=%d:error=ECONNREFUSED:count=3", PORT_HIT);
	pattern(c, rule, cnt, sizeof(cnt));
	print_message("prob=50%% seed=7: %s, %s; count=3: %s\n", a, b, cnt);
	assert_int_equal(strlen(a), 24);
	assert_null(strchr(a, '?'));
	assert_string_equal(a, b);
	assert_non_null(strchr(a, 'R'));
	assert_non_null(strchr(a, 'o'));
	assert_string_equal(cnt, "RRRooooooooooooooooooooo");
}

/* --cgroup DIR: a running process moved there is hit; SIGINT disarms. */
static void test_cgroup_target_hits_its_running_process(void **state)
{
	struct ctx *c = *state;
	char cg[PATH_MAX], flag[PATH_MAX], script[PATH_MAX + 1024], rule[64];
	char *victim[] = { "ip", "netns", "exec", c->pair.ns[0], "bash", "-c", script, NULL };
	char *argv[] = { bin_fl, "net", rule, "--cgroup", cg, "-v", "--json", NULL };
	struct fl_cli_result r, vr;
	struct fl_cli *fl = NULL, *v = NULL;

	REQUIRE();
	assert_int_equal(fl_fixture_cgroup_create(cg, sizeof(cg)), 0);
	snprintf(flag, sizeof(flag), "%s/sock-cg-go", getenv("FAULTLINE_RUN_DIR"));
	unlink(flag);
	snprintf(rule, sizeof(rule), "connect:dport=%d:error=ECONNREFUSED", PORT_HIT);
	snprintf(script, sizeof(script),
		 TRY_SH "for i in $(seq 100); do [ -e %s ] && break; sleep 0.05; done; "
		 "try %s %d hit4; try %s %d other4",
		 flag, c->ip1, PORT_HIT, c->ip1, PORT_OTHER);
	assert_int_equal(fl_cli_start(victim, &v), 0);
	assert_int_equal(fl_cgroup_add_pid(cg, v->pid), 0);
	assert_int_equal(fl_cli_start(argv, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 5000), 0);
	fclose(fopen(flag, "w"));
	assert_int_equal(fl_cli_wait(v, 10000, &vr), 0);
	fl_cli_free(v);
	assert_int_equal(fl_cli_signal(fl, SIGINT), 0);
	assert_int_equal(fl_cli_wait(fl, 10000, &r), 0);
	fl_cli_free(fl);
	unlink(flag);
	print_message("process in the cgroup: %s", vr.out);
	assert_non_null(strstr(vr.out, "hit4 refused"));
	assert_non_null(strstr(vr.out, "other4 ok"));
	assert_int_equal(r.code, 0);
	expect_counts(&r, 0, 1, 1);
	fl_cli_result_free(&vr);
	fl_cli_result_free(&r);
	fl_fixture_cgroup_destroy(cg);
}

static void test_refused_on_a_netns_target(void **state)
{
	struct ctx *c = *state;
	char *argv[] = { bin_fl, "net", "connect:dport=5432:error=ECONNREFUSED", "--netns",
			 c->pair.ns[0], "--for", "1s", NULL };
	struct fl_cli_result r;

	REQUIRE();
	assert_int_equal(fl_cli_run(argv, 5000, &r), 0);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "cgroup sock_addr hooks"));
	assert_non_null(strstr(r.err, "--cgroup"));
	fl_cli_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_refused_for_the_command_alone),
		cmocka_unit_test(test_connect_ipv6_by_address_and_port),
		cmocka_unit_test(test_bind_and_sendmsg),
		cmocka_unit_test(test_prob_with_a_seed_repeats_and_count_limits),
		cmocka_unit_test(test_cgroup_target_hits_its_running_process),
		cmocka_unit_test(test_refused_on_a_netns_target),
	};

	return cmocka_run_group_tests_name("net_sock", tests, setup, teardown);
}
