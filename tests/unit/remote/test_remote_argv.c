// SPDX-License-Identifier: GPL-2.0-only
/*
 * What <faultline/remote.h> execs, without a network: ssh:// URLs (and
 * the ones refused, leaving the output untouched), the ssh argv (batch
 * mode, the timeout, the key, the host-key policy, `--` before the host),
 * and the quoting of each argument for the remote shell, checked by a
 * real /bin/sh: what it prints back is each argument as given, and
 * nothing in them ($(...), `...`, ;, *, quotes, newlines) runs or expands.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/remote.h>

static void test_url_with_user_host_and_port(void **state)
{
	struct fl_remote r;
	char err[256] = "";

	assert_int_equal(fl_remote_parse("ssh://root@10.1.2.3", &r, err, sizeof(err)), 0);
	assert_string_equal(r.user, "root");
	assert_string_equal(r.host, "10.1.2.3");
	assert_int_equal(r.port, 22);
	assert_int_equal(r.connect_timeout_s, 5);
	assert_string_equal(r.faultline, "faultline");
	assert_int_equal(r.hostkey, FL_REMOTE_HOSTKEY_DEFAULT);

	assert_int_equal(fl_remote_parse("ssh://ops@db-1.example:2222/", &r, err, sizeof(err)), 0);
	assert_string_equal(r.user, "ops");
	assert_string_equal(r.host, "db-1.example");
	assert_int_equal(r.port, 2222);

	assert_int_equal(fl_remote_parse("ssh://[fd00::1]:2200", &r, err, sizeof(err)), 0);
	assert_string_equal(r.user, "");
	assert_string_equal(r.host, "fd00::1");
	assert_int_equal(r.port, 2200);

	/* A scenario node's parts. */
	assert_int_equal(fl_remote_init(&r, "root", "10.0.0.9", 0, err, sizeof(err)), 0);
	assert_int_equal(r.port, 22);
}

static void test_bad_urls_are_refused_and_change_nothing(void **state)
{
	static const char *const bad[] = {
		"http://root@h", "ssh://", "ssh://root@", "ssh://@h", "ssh://h:0", "ssh://h:70000",
		"ssh://h:22x", "ssh://h:", "ssh://-oProxyCommand=sh", "ssh://root@h/x/y",
		"ssh://ro ot@h", "ssh://[fd00::1", "ssh://[fd00::1]x", "ssh://a'b",
	};
	struct fl_remote r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";

		memset(&r, 0xa5, sizeof(r));
		assert_int_equal(fl_remote_parse(bad[i], &r, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "remote host"));
		for (size_t k = 0; k < sizeof(r); k++)
			assert_int_equal(((unsigned char *)&r)[k], 0xa5);
	}
}

static size_t find(char *argv[], const char *s)
{
	for (size_t i = 0; argv[i]; i++)
		if (!strcmp(argv[i], s))
			return i;
	return (size_t)-1;
}

static void test_ssh_argv_batch_timeout_key_hostkey_and_host_after_dashes(void **state)
{
	char storage[4096], *argv[FL_REMOTE_MAX_ARGV], err[256];
	struct fl_remote r;
	size_t n, at;

	assert_int_equal(fl_remote_parse("ssh://root@10.1.2.3:2222", &r, err, sizeof(err)), 0);
	r.identity = "/k/id";
	r.known_hosts = "/k/known";
	r.hostkey = FL_REMOTE_HOSTKEY_STRICT;
	r.connect_timeout_s = 3;
	assert_int_equal(fl_remote_ssh_argv(&r, "faultline --json probe", storage, sizeof(storage),
					    argv), 0);
	for (n = 0; argv[n]; n++)
		;
	assert_string_equal(argv[0], "ssh");
	assert_true(find(argv, "BatchMode=yes") < n);
	assert_true(find(argv, "ConnectTimeout=3") < n);
	assert_true(find(argv, "StrictHostKeyChecking=yes") < n);
	assert_true(find(argv, "UserKnownHostsFile=/k/known") < n);
	assert_true(find(argv, "IdentitiesOnly=yes") < n);
	at = find(argv, "-i");
	assert_string_equal(argv[at + 1], "/k/id");
	at = find(argv, "-p");
	assert_string_equal(argv[at + 1], "2222");
	at = find(argv, "-l");
	assert_string_equal(argv[at + 1], "root");
	/* The host right after --, the command last, as one word. */
	assert_string_equal(argv[n - 3], "--");
	assert_string_equal(argv[n - 2], "10.1.2.3");
	assert_string_equal(argv[n - 1], "faultline --json probe");

	/* Defaults: no -i, no host-key option, ssh's own user when none is given. */
	assert_int_equal(fl_remote_parse("ssh://h", &r, err, sizeof(err)), 0);
	assert_int_equal(fl_remote_ssh_argv(&r, "true", storage, sizeof(storage), argv), 0);
	assert_true(find(argv, "-i") == (size_t)-1);
	assert_true(find(argv, "-l") == (size_t)-1);
	assert_true(find(argv, "ConnectTimeout=5") != (size_t)-1);
	for (n = 0; argv[n]; n++)
		assert_null(strstr(argv[n], "StrictHostKeyChecking"));

	assert_int_equal(fl_remote_ssh_argv(&r, "true", storage, 16, argv), -ENOSPC);
}

static void test_quoting_survives_a_real_shell_word_for_word(void **state)
{
	const char *const words[] = {
		"printf", "[%s]\\n", "plain", "tcp:dport=5432:drop:prob=30%", "a b", "it's",
		"$(touch /nonexistent/fl)", "`id`", "; echo injected", "*", "", "two\nlines",
		"'", "\"$HOME\"", "back\\slash", NULL,
	};
	char cmd[4096], out[4096] = "", want[4096] = "";
	size_t got;
	FILE *f;

	assert_int_equal(fl_remote_quote_argv(words, cmd, sizeof(cmd)), 0);
	/* Plain words stay readable: what an operator sees in a log. */
	assert_non_null(strstr(cmd, " plain tcp:dport=5432:drop:prob=30% 'a b' 'it'\\''s' "));
	for (size_t i = 2; words[i]; i++) {
		strcat(want, "[");
		strcat(want, words[i]);
		strcat(want, "]\n");
	}
	/* popen runs it through /bin/sh -c, as sshd runs it through the user's shell. */
	f = popen(cmd, "r");
	assert_non_null(f);
	got = fread(out, 1, sizeof(out) - 1, f);
	out[got] = '\0';
	assert_int_equal(pclose(f), 0);
	assert_string_equal(out, want);

	assert_int_equal(fl_remote_quote_argv(words, cmd, 8), -ENOSPC);
}

static void test_faultline_cmd_says_its_pid_then_execs_faultline_with_json(void **state)
{
	const char *argv[] = { "net", "--dev", "eth0", "tcp:dport=5432:drop:prob=30%", "--for", "10s",
			       NULL };
	char buf[1024], err[256];
	struct fl_remote r;

	assert_int_equal(fl_remote_parse("ssh://root@h", &r, err, sizeof(err)), 0);
	assert_int_equal(fl_remote_faultline_cmd(&r, argv, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "echo \"faultline-remote-pid $$\" >&2; exec faultline --json net "
				 "--dev eth0 tcp:dport=5432:drop:prob=30% --for 10s");

	r.sudo = true;
	r.faultline = "/opt/fault line/faultline";
	r.env[0] = "FAULTLINE_RUN_DIR=/run/x y";
	assert_int_equal(fl_remote_faultline_cmd(&r, argv, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "echo \"faultline-remote-pid $$\" >&2; exec sudo -n env "
				 "'FAULTLINE_RUN_DIR=/run/x y' '/opt/fault line/faultline' --json "
				 "net --dev eth0 tcp:dport=5432:drop:prob=30% --for 10s");

	/* env(1) would take these as options or as the command. */
	r.env[0] = "-i";
	assert_int_equal(fl_remote_faultline_cmd(&r, argv, buf, sizeof(buf)), -EINVAL);
	r.env[0] = "=x";
	assert_int_equal(fl_remote_faultline_cmd(&r, argv, buf, sizeof(buf)), -EINVAL);
	r.env[0] = "A-B=1";
	assert_int_equal(fl_remote_faultline_cmd(&r, argv, buf, sizeof(buf)), -EINVAL);
	r.env[0] = NULL;
	assert_int_equal(fl_remote_faultline_cmd(&r, argv, buf, 20), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_with_user_host_and_port),
		cmocka_unit_test(test_bad_urls_are_refused_and_change_nothing),
		cmocka_unit_test(test_ssh_argv_batch_timeout_key_hostkey_and_host_after_dashes),
		cmocka_unit_test(test_quoting_survives_a_real_shell_word_for_word),
		cmocka_unit_test(test_faultline_cmd_says_its_pid_then_execs_faultline_with_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
