// SPDX-License-Identifier: GPL-2.0-only
/*
 * A node on a real host, driven over plain SSH (<faultline/remote.h>): a
 * real sshd (Debian openssh-server) runs inside a fresh netns, joined to
 * the host by a veth with a /30 of 10.231.200.0/24 picked by the pid, and
 * the test drives faultline there through real ssh, as the scenario runner
 * will: `faultline probe` and its JSON read back; a net fault on the
 * netns's veth that drops the host's datagrams while it runs and not after
 * (its JSON says what was injected); the same command sent again while it
 * runs (exit 3: held); a heal by the remote pid before --for ends, plain
 * and under sudo -n; a faultfs mount's rules set by `fs clear` + `fs
 * fault` (resent: the same rules; `fs fault` alone: a duplicate);
 * `faultline cleanup` twice; a port where every packet is dropped (ssh's
 * ConnectTimeout, then our own deadline); a refused port; a key sshd does
 * not know; a host key that is not the known one; a plain command.
 * Keys are made with ssh-keygen in a mkdtemp directory; every packet stays
 * between the host and that netns. Root; skips when sshd is missing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <faultline/remote.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/shell.h"
#include "helpers/sshd_netns.h"

#define UDP_PORT    7101
#define CALL_MS     20000   /* one ssh call: generous for a loaded CI */

static char bin_fl[PATH_MAX];

struct ctx {
	bool ready;
	char why[PATH_MAX + 128];      /* why the tests skip, when !ready */
	char dir[64];                  /* mkdtemp: keys, config, run dir */
	struct fl_sshd_node node;      /* the netns, its veth end ndev, sshd */
	struct fl_sshd_keys keys;      /* client: authorized; other: unknown to sshd */
	bool run_sshd_made;
	char known[PATH_MAX], bad_known[PATH_MAX];
	char run_env[PATH_MAX + 32];
	struct fl_remote r;            /* the node, as the runner would make it */
	int rx;                        /* UDP receiver inside the netns */
	struct fl_faultfs_mount fsm;   /* unmounted by the teardown if a test failed */
};

static struct ctx *g;

static int bind_node(int fd, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, g->node.ip, &a.sin_addr);
	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

#define NOT_READY(...)                                                     \
	do {                                                               \
		snprintf(c->why, sizeof(c->why), __VA_ARGS__);             \
		return 0;                                                  \
	} while (0)

static int group_teardown(void **state);

static int setup_inner(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct fl_sshd_node *n;
	char host_ip[16];
	const char *missing;

	if (!c)
		return -1;
	g = c;
	*state = c;
	n = &c->node;
	c->rx = -1;
	fl_test_binary("faultline", bin_fl, sizeof(bin_fl));
	if (geteuid() != 0 || !fl_test_require_root())
		NOT_READY("needs root (a netns, sshd, BPF)");
	missing = fl_sshd_missing();
	if (missing)
		NOT_READY("%s", missing);
	if (access(bin_fl, X_OK))
		NOT_READY("%s is not built", bin_fl);
	/* The remote shell starts in root's home: the path must be absolute. */
	{
		char abs[PATH_MAX];

		if (!realpath(bin_fl, abs))
			return -1;
		strcpy(bin_fl, abs);
	}

	snprintf(c->dir, sizeof(c->dir), "/tmp/fl-ssh-XXXXXX");
	if (!mkdtemp(c->dir))
		return -1;
	snprintf(n->ns, sizeof(n->ns), "fl-ssh-%d", getpid());
	snprintf(n->hdev, sizeof(n->hdev), "flsh%d", getpid() % 100000);
	snprintf(n->ndev, sizeof(n->ndev), "flsn%d", getpid() % 100000);
	/* A /30 of 10.231.200.0/24 picked by the pid: two runs at once do not collide. */
	snprintf(host_ip, sizeof(host_ip), "10.231.200.%d", 4 * (getpid() % 64) + 1);
	snprintf(n->ip, sizeof(n->ip), "10.231.200.%d", 4 * (getpid() % 64) + 2);
	if (fl_sshd_node_net(n, NULL, host_ip, 30))
		return -1;

	/* Keys: the host's, the client's (authorized), and one sshd does not know. */
	if (fl_sshd_keys_make(c->dir, true, &c->keys))
		return -1;
	if (fl_sshd_privsep_dir(&c->run_sshd_made) ||
	    fl_sshd_node_start(n, c->dir, "", &c->keys, NULL))
		return -1;
	snprintf(c->known, sizeof(c->known), "%s/known_hosts", c->dir);
	snprintf(c->bad_known, sizeof(c->bad_known), "%s/bad_known_hosts", c->dir);
	if (fl_test_write_file(c->known, "[%s]:%u %s\n", n->ip, n->port, c->keys.host_pub) ||
	    fl_test_write_file(c->bad_known, "[%s]:%u %s\n", n->ip, n->port, c->keys.other_pub))
		return -1;

	/* The node as the runner makes it from `host: ssh://root@ADDR:PORT`. */
	{
		char url[128], err[256];

		snprintf(url, sizeof(url), "ssh://root@%s:%u", n->ip, n->port);
		if (fl_remote_parse(url, &c->r, err, sizeof(err))) {
			print_message("%s\n", err);
			return -1;
		}
	}
	c->r.identity = c->keys.client;
	c->r.known_hosts = c->known;
	c->r.hostkey = FL_REMOTE_HOSTKEY_STRICT;
	c->r.faultline = bin_fl;  /* the netns shares the filesystem */
	/* The remote faultline's state records stay in this test's directory. */
	snprintf(c->run_env, sizeof(c->run_env), "FAULTLINE_RUN_DIR=%s/run", c->dir);
	c->r.env[0] = c->run_env;

	c->rx = fl_sshd_ns_socket(n->ns, SOCK_DGRAM | SOCK_NONBLOCK);
	if (c->rx < 0 || bind_node(c->rx, UDP_PORT))
		return -1;
	c->ready = true;
	return 0;
}

static int group_teardown(void **state)
{
	struct ctx *c = *state;

	if (!c)
		return 0;
	if (c->rx >= 0)
		close(c->rx);
	fl_faultfs_unmount(&c->fsm);
	fl_sshd_stop(&c->node);
	if (c->node.ns_made && c->ready)
		fl_test_sh("%s cleanup --run-dir %s/run >/dev/null 2>&1", bin_fl, c->dir);
	fl_sshd_node_del(&c->node);
	fl_sshd_privsep_release(c->run_sshd_made);
	if (c->dir[0])
		fl_test_sh("rm -rf %s", c->dir);
	free(c);
	return 0;
}

#define REQUIRE(c)                                                 \
	do {                                                       \
		if (!(c)->ready) {                                 \
			print_message("skip: %s\n", (c)->why);     \
			skip();                                    \
		}                                                  \
	} while (0)

/*
 * Datagrams from the host to the node that arrive: all n, or what came
 * within wait_ms (a loaded machine may deliver late, never a drop late).
 */
static unsigned udp_wait(struct ctx *c, unsigned n, int wait_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	long long end;
	unsigned got = 0;
	char buf[64];

	inet_pton(AF_INET, c->node.ip, &a.sin_addr);
	while (recv(c->rx, buf, sizeof(buf), 0) > 0)
		;
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(sendto(fd, "fl", 2, 0, (struct sockaddr *)&a, sizeof(a)), 2);
	close(fd);
	end = fl_test_now_ms() + wait_ms;
	while (got < n && fl_test_now_ms() < end) {
		if (recv(c->rx, buf, sizeof(buf), 0) > 0)
			got++;
		else
			usleep(1000);
	}
	return got;
}

/* Expecting them lost: a short wait. */
static unsigned udp_through(struct ctx *c, unsigned n)
{
	return udp_wait(c, n, 100);
}

/* Expecting them through: up to 2 s for all. */
static unsigned udp_all(struct ctx *c, unsigned n)
{
	return udp_wait(c, n, 2000);
}

/*
 * Wait until the node drops the host's datagrams (the fault is armed);
 * *ret_sent (may be NULL) gets when the first lost one was sent.
 */
static bool wait_dropping_at(struct ctx *c, int timeout_ms, long long *ret_sent)
{
	long long end = fl_test_now_ms() + timeout_ms;

	while (fl_test_now_ms() < end) {
		long long sent = fl_test_now_ms();

		if (udp_wait(c, 1, 200) == 0) {
			if (ret_sent)
				*ret_sent = sent;
			return true;
		}
	}
	return false;
}

static bool wait_dropping(struct ctx *c, int timeout_ms)
{
	return wait_dropping_at(c, timeout_ms, NULL);
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("JSON: '%s' is not an integer", key);
	return json_integer_value(v);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("JSON: '%s' is not a string", key);
	return json_string_value(v);
}

static void test_probe_over_ssh_reads_its_json_back(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = { "probe", NULL };
	char err[1024] = "";
	json_t *js = NULL, *mech;
	int status = -1;
	long long t0;

	REQUIRE(c);
	t0 = fl_test_now_ms();
	if (fl_remote_run(&c->r, argv, CALL_MS, &status, &js, err, sizeof(err)))
		fail_msg("probe over ssh: %s", err);
	print_message("faultline probe over ssh: %lld ms\n", fl_test_now_ms() - t0);
	assert_int_equal(status, 0);
	assert_true(json_is_object(js));
	assert_true(json_is_true(json_object_get(js, "root")));
	mech = json_object_get(js, "mechanisms");
	assert_true(json_is_array(mech));
	assert_true(json_array_size(mech) > 10);
	assert_string_equal(jstr(json_array_get(mech, 0), "mechanism"), "tracepoint");
	json_decref(js);
}

static void test_net_fault_over_ssh_drops_while_armed_and_not_after(void **state)
{
	struct ctx *c = *state;
	char rule[64], err[1024] = "", err2[1024] = "";
	/* 5 s: the resend below must find it still running on a loaded machine. */
	const char *argv[] = { "net", "--dev", c->node.ndev, rule, "--for", "5s", NULL };
	struct fl_remote_call *call = NULL;
	json_t *js = NULL, *again = NULL, *r0;
	int status = -1, status2 = -1, rc;
	long long t0, armed = 0;
	unsigned before, during, after;

	REQUIRE(c);
	snprintf(rule, sizeof(rule), "udp:dport=%u:drop", UDP_PORT);
	before = udp_all(c, 20);
	assert_int_equal(before, 20);

	t0 = fl_test_now_ms();
	assert_int_equal(fl_remote_start(&c->r, argv, &call, err, sizeof(err)), 0);
	assert_true(wait_dropping_at(c, 8000, &armed));
	armed -= t0;
	during = udp_through(c, 20);
	assert_int_equal(during, 0);

	/* Sent again, as after a lost acknowledgement: held by the first, not a failure. */
	rc = fl_remote_run(&c->r, argv, CALL_MS, &status2, &again, err2, sizeof(err2));
	print_message("the same net command sent again while armed: %s\n", err2);
	assert_int_equal(rc, -EREMOTEIO);
	assert_int_equal(status2, FL_REMOTE_EXIT_HELD);
	assert_non_null(strstr(err2, "exited 3"));
	assert_non_null(strstr(err2, "taken by another faultline session"));
	json_decref(again);
	assert_int_equal(udp_through(c, 5), 0);

	if (fl_remote_finish(call, CALL_MS, &status, &js, err, sizeof(err)))
		fail_msg("net over ssh: %s", err);
	print_message("net over ssh: dropping %lld ms after the call, summary back after %lld ms\n",
		      armed, fl_test_now_ms() - t0);
	assert_int_equal(status, 0);
	assert_string_equal(jstr(js, "stopped_by"), "for");
	assert_non_null(strstr(jstr(js, "target"), c->node.ndev));
	r0 = json_array_get(json_object_get(js, "rules"), 0);
	/* Its own canonical form: the action first ("udp:drop:dport=7101"). */
	assert_non_null(strstr(jstr(r0, "text"), "udp:drop"));
	assert_non_null(strstr(jstr(r0, "text"), "dport=7101"));
	/* Every datagram this test saw lost was counted by the rule. */
	assert_true(jint(r0, "injected") >= 25);
	assert_true(jint(r0, "matched") >= jint(r0, "injected"));
	print_message("the remote JSON: %lld matched, %lld injected\n",
		      (long long)jint(r0, "matched"), (long long)jint(r0, "injected"));
	json_decref(js);

	after = udp_all(c, 20);
	assert_int_equal(after, 20);

	/* After the first ended, the same command arms again (and ends by its --for). */
	argv[5] = "500ms";
	js = NULL;
	if (fl_remote_run(&c->r, argv, CALL_MS, &status, &js, err, sizeof(err)))
		fail_msg("net over ssh, again: %s", err);
	assert_string_equal(jstr(js, "stopped_by"), "for");
	json_decref(js);
	assert_int_equal(udp_all(c, 20), 20);
}

static void stop_heals(struct ctx *c, const struct fl_remote *r)
{
	char rule[64], err[1024] = "";
	const char *argv[] = { "net", "--dev", c->node.ndev, rule, "--for", "60s", NULL };
	struct fl_remote_call *call = NULL;
	json_t *js = NULL;
	int status = -1;
	long long t0;

	snprintf(rule, sizeof(rule), "udp:dport=%u:drop", UDP_PORT);
	assert_int_equal(fl_remote_start(r, argv, &call, err, sizeof(err)), 0);
	assert_true(fl_remote_call_pid(call) > 0);
	assert_true(wait_dropping(c, 8000));
	t0 = fl_test_now_ms();
	if (fl_remote_stop(r, call, CALL_MS, err, sizeof(err))) {
		fl_remote_abort(call);
		fail_msg("stop over ssh: %s", err);
	}
	if (fl_remote_finish(call, CALL_MS + 60000, &status, &js, err, sizeof(err)))
		fail_msg("net over ssh, stopped: %s", err);
	print_message("heal over ssh: summary back %lld ms after the stop\n", fl_test_now_ms() - t0);
	assert_true(fl_test_now_ms() - t0 < 15000);
	assert_int_equal(status, 0);
	print_message("stopped_by: %s\n", jstr(js, "stopped_by"));
	assert_string_not_equal(jstr(js, "stopped_by"), "for");
	json_decref(js);
	assert_int_equal(udp_all(c, 20), 20);
}

static void test_stop_heals_a_net_fault_before_its_for(void **state)
{
	struct ctx *c = *state;

	REQUIRE(c);
	stop_heals(c, &c->r);
}

/* The same as a user who is not root would: faultline and the kill under sudo -n. */
static void test_sudo_form_runs_and_stops(void **state)
{
	struct ctx *c = *state;
	struct fl_remote r = c->r;

	REQUIRE(c);
	if (fl_test_sh("command -v sudo >/dev/null")) {
		print_message("skip: sudo is not installed\n");
		skip();
	}
	r.sudo = true;
	stop_heals(c, &r);
}

static size_t remote_rules(struct ctx *c, const char *mnt)
{
	const char *argv[] = { "fs", "status", mnt, NULL };
	char err[1024] = "";
	json_t *js = NULL;
	size_t n;

	if (fl_remote_run(&c->r, argv, CALL_MS, NULL, &js, err, sizeof(err)))
		fail_msg("fs status over ssh: %s", err);
	n = json_array_size(json_object_get(js, "rules"));
	json_decref(js);
	return n;
}

/*
 * A node's disk rules: `fs fault` alone adds a duplicate when resent;
 * `fs clear` then `fs fault` sets the same rules however often it is sent.
 */
static void test_disk_rules_over_ssh_clear_then_fault_is_idempotent(void **state)
{
	struct ctx *c = *state;
	struct fl_faultfs_mount *m = &c->fsm;
	char err[1024] = "";

	REQUIRE(c);
	if (!fl_faultfs_require())
		skip();
	assert_int_equal(fl_faultfs_mount(NULL, m), 0);
	{
		const char *fault[] = { "fs", "fault", m->mnt, "fsync:error=EIO:path=*.wal", NULL };
		const char *clear[] = { "fs", "clear", m->mnt, NULL };

		for (int i = 0; i < 2; i++)
			if (fl_remote_run(&c->r, fault, CALL_MS, NULL, NULL, err, sizeof(err)))
				fail_msg("fs fault over ssh: %s", err);
		assert_int_equal(remote_rules(c, m->mnt), 2);
		for (int i = 0; i < 3; i++) {
			if (fl_remote_run(&c->r, clear, CALL_MS, NULL, NULL, err, sizeof(err)) ||
			    fl_remote_run(&c->r, fault, CALL_MS, NULL, NULL, err, sizeof(err)))
				fail_msg("fs clear + fault over ssh: %s", err);
			assert_int_equal(remote_rules(c, m->mnt), 1);
		}
	}
	fl_faultfs_unmount(m);
}

static void test_cleanup_over_ssh_is_idempotent(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = { "cleanup", NULL };
	char err[1024] = "";

	REQUIRE(c);
	for (int i = 0; i < 2; i++) {
		json_t *js = NULL;
		int status = -1;

		if (fl_remote_run(&c->r, argv, CALL_MS, &status, &js, err, sizeof(err)))
			fail_msg("cleanup over ssh (#%d): %s", i + 1, err);
		assert_int_equal(status, 0);
		assert_int_equal(jint(js, "failed"), 0);
		if (i == 1)
			assert_int_equal(jint(js, "removed"), 0);
		json_decref(js);
	}
}

static void test_unreachable_host_fails_within_the_timeout(void **state)
{
	struct ctx *c = *state;
	char rule[64], err[1024] = "";
	char *drop[] = { "ip", "netns", "exec", c->node.ns, bin_fl, "net", "--dev", c->node.ndev, rule,
			 "--for", "20s", "-v", NULL };
	const char *argv[] = { "probe", NULL };
	struct fl_remote r = c->r;
	struct fl_cli_result res;
	struct fl_cli *fl = NULL;
	long long t0, ms;
	int rc, status = -1;

	REQUIRE(c);
	/* A refused port: ssh's own failure, told apart from faultline's. */
	r.port = (uint16_t)(c->node.port + 1);
	t0 = fl_test_now_ms();
	rc = fl_remote_run(&r, argv, CALL_MS, &status, NULL, err, sizeof(err));
	print_message("refused: %s\n", err);
	assert_int_equal(rc, -ECOMM);
	assert_non_null(strstr(err, "ssh exit 255"));
	assert_non_null(strstr(err, "refused"));

	/* Every packet to sshd's port dropped on the node: nothing answers. */
	snprintf(rule, sizeof(rule), "tcp:dport=%u:drop", c->node.port);
	assert_int_equal(fl_cli_start(drop, &fl), 0);
	assert_int_equal(fl_cli_wait_stderr(fl, " armed on ", 10000), 0);

	r = c->r;
	r.connect_timeout_s = 1;
	t0 = fl_test_now_ms();
	rc = fl_remote_run(&r, argv, 5000, &status, NULL, err, sizeof(err));
	ms = fl_test_now_ms() - t0;
	print_message("unreachable, ConnectTimeout=1: %lld ms: %s\n", ms, err);
	assert_int_equal(rc, -ECOMM);
	assert_non_null(strstr(err, "ssh exit 255"));
	assert_non_null(strstr(err, "timed out"));
	assert_true(ms < 5000);

	/* ssh would wait 30 s: our own deadline kills it. */
	r.connect_timeout_s = 30;
	t0 = fl_test_now_ms();
	rc = fl_remote_run(&r, argv, 1500, &status, NULL, err, sizeof(err));
	ms = fl_test_now_ms() - t0;
	print_message("unreachable, deadline 1500 ms: %lld ms: %s\n", ms, err);
	assert_int_equal(rc, -ETIMEDOUT);
	assert_non_null(strstr(err, "no answer within 1500 ms"));
	assert_true(ms >= 1500 && ms < 3000);

	assert_int_equal(fl_cli_signal(fl, SIGINT), 0);
	assert_int_equal(fl_cli_wait(fl, 10000, &res), 0);
	fl_cli_free(fl);
	fl_cli_result_free(&res);
	assert_true(fl_sshd_answers(&c->node, 5000));
}

static void test_unknown_key_gives_ssh_auth_error(void **state)
{
	struct ctx *c = *state;
	const char *argv[] = { "probe", NULL };
	struct fl_remote r = c->r;
	char err[1024] = "";
	int rc, status = -1;

	REQUIRE(c);
	r.identity = c->keys.other;
	rc = fl_remote_run(&r, argv, CALL_MS, &status, NULL, err, sizeof(err));
	print_message("unknown key: %s\n", err);
	assert_int_equal(rc, -ECOMM);
	assert_int_equal(status, -1);  /* no remote status: the command never ran */
	assert_non_null(strstr(err, "ssh exit 255"));
	assert_non_null(strstr(err, "Permission denied"));

	/* A host key that is not the known one is refused too (strict). */
	r = c->r;
	r.known_hosts = c->bad_known;
	rc = fl_remote_run(&r, argv, CALL_MS, &status, NULL, err, sizeof(err));
	print_message("wrong host key: %s\n", err);
	assert_int_equal(rc, -ECOMM);
	assert_non_null(strstr(err, "Host key verification failed"));
}

static void test_exec_runs_a_plain_command_and_faultline_status_is_its_own(void **state)
{
	struct ctx *c = *state;
	const char *bad[] = { "net", "nonsense:rule", "--dev", c->node.ndev, NULL };
	char err[1024] = "", *out = NULL;
	json_t *js = NULL;
	int rc, status = -1;

	REQUIRE(c);
	/* A node's health command: it runs in the node's netns, on its shell. */
	rc = fl_remote_exec(&c->r, "ip -4 -o addr show dev " "lo; echo \"$((6 * 7))\"", CALL_MS,
			    &status, &out, err, sizeof(err));
	if (rc)
		fail_msg("exec over ssh: %s", err);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "42\n"));
	free(out);
	out = NULL;

	rc = fl_remote_exec(&c->r, "echo broken >&2; exit 7", CALL_MS, &status, &out, err,
			    sizeof(err));
	assert_int_equal(rc, -EREMOTEIO);
	assert_int_equal(status, 7);
	assert_non_null(strstr(err, "exited 7: broken"));
	free(out);

	/* faultline's own refusal: its status and message, not ssh's. */
	rc = fl_remote_run(&c->r, bad, CALL_MS, &status, &js, err, sizeof(err));
	print_message("refused rule over ssh: %s\n", err);
	assert_int_equal(rc, -EREMOTEIO);
	assert_int_equal(status, 2);
	assert_non_null(strstr(err, "faultline on root@"));
	assert_non_null(strstr(err, c->node.ip));
	assert_null(strstr(err, "ssh exit 255"));
	json_decref(js);
}

/* A setup that fails half-way removes what it made, then fails the group. */
static int group_setup(void **state)
{
	if (!setup_inner(state))
		return 0;
	group_teardown(state);
	*state = NULL;
	return -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_over_ssh_reads_its_json_back),
		cmocka_unit_test(test_net_fault_over_ssh_drops_while_armed_and_not_after),
		cmocka_unit_test(test_stop_heals_a_net_fault_before_its_for),
		cmocka_unit_test(test_sudo_form_runs_and_stops),
		cmocka_unit_test(test_disk_rules_over_ssh_clear_then_fault_is_idempotent),
		cmocka_unit_test(test_cleanup_over_ssh_is_idempotent),
		cmocka_unit_test(test_unreachable_host_fails_within_the_timeout),
		cmocka_unit_test(test_unknown_key_gives_ssh_auth_error),
		cmocka_unit_test(test_exec_runs_a_plain_command_and_faultline_status_is_its_own),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
