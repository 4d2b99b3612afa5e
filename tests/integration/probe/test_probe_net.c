// SPDX-License-Identifier: GPL-2.0-only
/*
 * `faultline probe`'s packet rows must name what `faultline net` really
 * uses. The probe CLI's --json rows are read, then `faultline net` is run
 * with a rule of that row's kind on traffic between two fresh netns
 * (tests/helpers/netns_pair), and its own summary must name the same
 * mechanism, and have hit the packets.
 * Bounded: a few hundred small datagrams, runs of a few seconds. Root.
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

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define PORT 5141

static char bin_fl[PATH_MAX];

struct ctx {
	void *session;
	struct fl_netns_pair pair;
	char ip1[INET_ADDRSTRLEN];
	json_t *probe;              /* faultline probe --json */
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
	json_decref(c->probe);
	fl_cli_teardown_session(&c->session);
	if (c->pair.ns[0][0])
		fl_netns_pair_destroy(&c->pair);
	free(c);
	return 0;
}

static bool require(struct ctx *c)
{
	char *argv[] = { bin_fl, "probe", "--json", NULL };
	struct fl_cli_result r;

	if (!fl_cli_require(bin_fl, bin_fl))
		return false;
	if (c->probe)
		return true;
	assert_int_equal(fl_cli_run(argv, 30000, &r), 0);
	assert_int_equal(r.code, 0);
	c->probe = json_loads(r.out, 0, NULL);
	fl_cli_result_free(&r);
	assert_non_null(c->probe);
	return true;
}

/* The probe's row for fault: its mechanism (NULL: none) and why. */
static const char *row(struct ctx *c, const char *fault, const char **why)
{
	json_t *faults = json_object_get(c->probe, "faults"), *f;
	size_t i;

	json_array_foreach(faults, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "fault")), fault))
			continue;
		*why = json_string_value(json_object_get(f, "why"));
		print_message("probe: %s -> %s (%s)\n", fault,
			      json_is_string(json_object_get(f, "mechanism")) ?
			      json_string_value(json_object_get(f, "mechanism")) : "-", *why);
		return json_string_value(json_object_get(f, "mechanism"));
	}
	fail_msg("no row %s in faultline probe --json", fault);
	return NULL;
}

/* faultline net ARGV until traffic() is done and SIGINT; its JSON summary's rule 0. */
static json_t *net_run(char **argv, struct ctx *c, void (*traffic)(struct ctx *), int *code,
		       char **err)
{
	struct fl_cli_result r;
	struct fl_cli *fl = NULL;
	json_t *s, *r0 = NULL;

	assert_int_equal(fl_cli_start(argv, &fl), 0);
	if (traffic) {
		if (fl_cli_wait_stderr(fl, " armed on ", 5000) == 0) {
			traffic(c);
			fl_cli_signal(fl, SIGINT);
		}
	}
	assert_int_equal(fl_cli_wait(fl, 20000, &r), 0);
	fl_cli_free(fl);
	*code = r.code;
	if (err)
		*err = strdup(r.err);
	s = fl_cli_json_summary(r.out);
	if (s) {
		r0 = json_incref(json_array_get(json_object_get(s, "rules"), 0));
		json_decref(s);
	}
	if (r.code)
		print_message("faultline net: exit %d: %s", r.code, r.err);
	fl_cli_result_free(&r);
	return r0;
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("JSON: '%s' is not an integer", key);
	return json_integer_value(v);
}

static void send_50(struct ctx *c)
{
	struct fl_udp_result u;

	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET, 0, PORT, 50, 32, 0, &u), 0);
	assert_int_equal(u.sent, 50);
}

static void test_drop_row_is_what_net_uses_on_a_device_and_a_cgroup(void **state)
{
	struct ctx *c = *state;
	char rule[64], script[256], *err = NULL;
	char *dev_argv[] = { bin_fl, "net", rule, "--dev", c->pair.dev[0], "--netns", c->pair.ns[0],
			     "--json", "-v", NULL };
	char *cmd_argv[] = { bin_fl, "net", rule, "--json", "--", "ip", "netns", "exec",
			     c->pair.ns[0], "bash", "-c", script, NULL };
	const char *mech, *why;
	json_t *r0;
	int code;

	if (!require(c))
		skip();
	mech = row(c, "packet-drop-corrupt-partition", &why);
	if (!mech) {
		print_message("skip: the probe says no mechanism drops packets here\n");
		skip();
	}
	snprintf(rule, sizeof(rule), "udp:dport=%d:drop", PORT);
	/* the row's first mechanism serves --dev/--netns (or says it cannot) */
	r0 = net_run(dev_argv, c, send_50, &code, &err);
	if (!strcmp(mech, "tc")) {
		assert_int_equal(code, 0);
		assert_non_null(r0);
		assert_string_equal(json_string_value(json_object_get(r0, "mechanism")), "tc");
		assert_int_equal(jint(r0, "injected"), 50);
	} else {
		assert_non_null(strstr(why, "--dev/--netns cannot be served"));
		assert_int_not_equal(code, 0);
	}
	json_decref(r0);
	free(err);
	/* and what it says of cgroup targets holds for a launched command */
	snprintf(script, sizeof(script),
		 "for i in $(seq 20); do echo x > /dev/udp/%s/%d; done", c->ip1, PORT);
	r0 = net_run(cmd_argv, c, NULL, &code, NULL);
	if (strstr(why, "cgroup_skb on --cgroup/--pid/-- CMD")) {
		assert_int_equal(code, 0);
		assert_non_null(r0);
		assert_string_equal(json_string_value(json_object_get(r0, "mechanism")), "cgroup-skb");
		assert_int_equal(jint(r0, "injected"), 20);
	} else {
		assert_non_null(strstr(why, "--cgroup/--pid/-- CMD cannot be served"));
		assert_int_not_equal(code, 0);
	}
	json_decref(r0);
}

static void send_20(struct ctx *c)
{
	struct fl_udp_result u;

	assert_int_equal(fl_netns_pair_udp(&c->pair, 0, AF_INET, 0, PORT, 20, 32, 300, &u), 0);
	assert_int_equal(u.received, 20);
}

static void test_delay_row_is_what_net_uses(void **state)
{
	struct ctx *c = *state;
	char rule[64];
	char *argv[] = { bin_fl, "net", rule, "--netns", c->pair.ns[0], "--json", "-v", NULL };
	const char *mech, *why;
	json_t *r0;
	int code;

	if (!require(c))
		skip();
	mech = row(c, "packet-delay-loss-reorder", &why);
	/* egress: the row's mechanism alone (ingress would add an IFB) */
	snprintf(rule, sizeof(rule), "udp:dport=%d:delay=20ms:dir=egress", PORT);
	r0 = net_run(argv, c, send_20, &code, NULL);
	if (!mech) {
		assert_int_not_equal(code, 0);
		json_decref(r0);
		return;
	}
	assert_int_equal(code, 0);
	assert_non_null(r0);
	assert_string_equal(json_string_value(json_object_get(r0, "mechanism")), mech);
	/* the delay line counts what it held; netem what its class took */
	assert_int_equal(jint(r0, strcmp(mech, "netem") ? "delayed" : "injected"), 20);
	json_decref(r0);
}

static void test_rate_row_is_what_net_uses(void **state)
{
	struct ctx *c = *state;
	char rule[64], *err = NULL;
	char *argv[] = { bin_fl, "net", rule, "--dev", c->pair.dev[0], "--netns", c->pair.ns[0],
			 "--json", "-v", NULL };
	const char *mech, *why;
	json_t *r0;
	int code;

	if (!require(c))
		skip();
	mech = row(c, "packet-rate", &why);
	snprintf(rule, sizeof(rule), "udp:dport=%d:rate=1mbit:dir=egress", PORT);
	r0 = net_run(argv, c, send_50, &code, &err);
	if (code)
		print_message("faultline net: %s", err ? err : "(no stderr)\n");
	free(err);
	assert_non_null(mech);
	assert_int_equal(code, 0);
	assert_non_null(r0);
	assert_string_equal(json_string_value(json_object_get(r0, "mechanism")), mech);
	json_decref(r0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_row_is_what_net_uses_on_a_device_and_a_cgroup),
		cmocka_unit_test(test_delay_row_is_what_net_uses),
		cmocka_unit_test(test_rate_row_is_what_net_uses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
