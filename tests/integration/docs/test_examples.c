// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every example command in README.md and the man pages runs here, in document
 * order, as a user would type it, and must do what the page says: exit 0,
 * or the status the table below gives, or print the error the page shows
 * after a "$ " prompt (exit 2).
 *
 * The commands are read from the pages themselves (```sh blocks, "$ "
 * lines of other blocks, .nf/.EX blocks of man pages): an example added to
 * a page runs without touching this file, and one that cannot run here must
 * be listed in not_run[] with the reason. `make` lines are the build and the
 * suite itself and are not run from inside it.
 *
 * The scene, so that the examples' placeholders mean something here:
 *   - cwd is a scratch directory; build/ there is the build directory, and
 *     PATH starts with a sudo that just runs its arguments (we are root;
 *     Debian's sudo would reset PATH) and the build directory;
 *   - a running process, fl-doc-target (tests/targets), writes, fsyncs,
 *     fdatasyncs and connects to a refused loopback port every 5 ms; it is
 *     "--pid 4242", "--comm postgres" (its name here is fl-doc-pg, so that
 *     a real postgres of another test is never hit) and, in a cgroup of its
 *     own, "/sys/fs/cgroup/db";
 *   - /var/lib/db, /var/lib/app, /var/tmp/db, /var/lib/redis-test and
 *     /backup/snap1 (not made: a snapshot makes it) are
 *     scratch directories, and redis.conf a loopback redis on port 6390;
 *   - "--netns blue" is the first of a netns pair the test creates
 *     (tests/helpers/netns_pair), "--dev veth0" its veth end there, and
 *     ./load-test a script that sends 50 UDP datagrams to the discard port
 *     on loopback; ./client a script that connects once to 127.0.0.1:5432
 *     and exits 1 when that fails;
 *   - "--for 1m" and "--for 30s" last 3 s; a command that watches running
 *     processes until Ctrl-C gets SIGINT after 4 s, and must then exit 0.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <faultline/cgroup.h>

#include "helpers/cli_run.h"
#include "helpers/faultfs_mount.h"
#include "helpers/fixtures.h"
#include "helpers/netns_pair.h"

#define MAX_EXAMPLES 128
#define CTRL_C_AFTER_MS 4000
#define DEADLINE_MS 120000

struct example {
	char where[96];      /* README.md:131 */
	char *cmd;           /* as on the page, continuations joined */
	char *want_err;      /* the error line the page shows, or NULL */
};

/* Examples whose documented outcome is not exit 0. */
static const struct {
	const char *has;
	int code;
} expect[] = {
	/* the writer is SIGKILLed at its 3rd fsync: a shell's 128+9 */
	{ "'fsync:signal=SIGKILL:when=3'", 137 },
	/* its 2nd fsync fails with EIO, and the writer exits 1 */
	{ "'fsync:error=EIO:when=2'", 1 },
	/* with --seed 7 the one open of db.wal draws the 50%: ENOSPC, and the writer exits 1 */
	{ "'openat:error=ENOSPC:path=*.wal:prob=50%' --seed 7", 1 },
	/* ./client's connect is refused by the rule: bash's /dev/tcp fails, exit 1 */
	{ "'connect:dport=5432:error=ECONNREFUSED' -- ./client", 1 },
};

static const struct {
	const char *has;
	const char *why;
} not_run[] = {
	{ "mount -t fuse.faultfs", "needs the installed mount.fuse.faultfs: tests/integration/pkg/test_deb mounts both documented ways with the package installed" },
	{ "/etc/fstab", "a line of fstab, not a command" },
	{ "faultline scenario run redis-hosts.yaml", "needs hosts reachable over SSH: tests/integration/scenario/test_scenario_ssh runs such a scenario against sshd in network namespaces" },
	{ "faultline backup run", "each runs a real backup tool for half a minute or more: tests/integration/backup/test_backup_examples runs them in short forms" },
	{ "faultline report", "reads results that earlier runs wrote: tests/integration/report/test_report_cli makes an rpo and a backup result and runs every form" },
	{ "faultline scenario run examples/", "five trials of a postgres cluster, minutes: tests/integration/scenario/test_scenario_run runs every example" },
};

static const struct {
	const char *from;
	const char *to;      /* %S scene dir, %P target pid, %C target cgroup name,
				%N the scene's netns, %D its veth end */
} scene_words[] = {
	{ "--netns blue", "--netns %N" },
	{ "--dev veth0", "--dev %D" },
	{ "--pid 4242", "--pid %P" },
	{ "--comm postgres", "--comm fl-doc-pg" },
	{ "/sys/fs/cgroup/db", "/sys/fs/cgroup/%C" },
	{ "/var/lib/redis-test", "%S/redis" },
	{ "/backup/snap1", "%S/snap1" },
	{ "/var/lib/db", "%S/db" },
	{ "/var/lib/app", "%S/app" },
	{ "/var/tmp/db", "%S/sqlite" },
	{ "--for 1m", "--for 3s" },
	{ "--for 30s", "--for 3s" },
};

static const char *const command_starts[] = {
	"sudo faultline ", "faultline ", "sudo faultfs ", "faultfs ", "sudo fusermount3 ",
	"sudo mount -t fuse.faultfs ", "/etc/fstab",
};

static struct example examples[MAX_EXAMPLES];
static size_t n_examples;

static struct scene {
	char dir[PATH_MAX];
	char cgroup[PATH_MAX];
	const char *cgroup_name;
	char cwd[PATH_MAX];
	pid_t target;
	struct fl_netns_pair pair;
	bool ready;
} scene;

/* ---- reading the pages ---------------------------------------------------- */

static bool starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool is_command(const char *line)
{
	for (size_t i = 0; i < sizeof(command_starts) / sizeof(command_starts[0]); i++)
		if (starts_with(line, command_starts[i]))
			return true;
	return false;
}

/* Drop a trailing "  # comment" outside quotes. */
static void strip_comment(char *s)
{
	char quote = 0;

	for (char *p = s; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '#' && p > s && p[-1] == ' ') {
			while (p > s && p[-1] == ' ')
				p--;
			*p = '\0';
			return;
		}
	}
}

/* groff escapes of the man pages: \- is -, \e is a backslash. */
static void unescape_roff(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] == '-') {
			*w++ = '-';
			r++;
		} else if (r[0] == '\\' && r[1] == 'e') {
			*w++ = '\\';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static void add_example(const char *file, int line, const char *cmd)
{
	struct example *e;

	if (n_examples == MAX_EXAMPLES)
		return;
	e = &examples[n_examples++];
	snprintf(e->where, sizeof(e->where), "%s:%d", file, line);
	e->cmd = strdup(cmd);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/*
 * One page. In a README ```sh block every command line is an example; in
 * other blocks only "$ " lines are, and "faultline: " lines right after one
 * are the error it must print. Man pages: .nf/.fi and .EX/.EE blocks.
 */
static void read_page(const char *path, bool roff)
{
	char line[4096], *cmd = NULL;
	bool in_block = false, shell_block = false;
	int n = 0, cmd_line = 0;
	struct example *last = NULL;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *text = line;
		bool prompt = false;

		n++;
		chomp(line);
		if (!roff && starts_with(line, "```")) {
			in_block = !in_block;
			shell_block = in_block && strcmp(line + 3, "sh") == 0;
			last = NULL;
			continue;
		}
		if (roff && (starts_with(line, ".nf") || starts_with(line, ".EX") ||
			     starts_with(line, ".fi") || starts_with(line, ".EE"))) {
			in_block = line[1] == 'n' || (line[1] == 'E' && line[2] == 'X');
			shell_block = in_block;
			continue;
		}
		if (!in_block)
			continue;
		if (roff)
			unescape_roff(line);
		if (cmd) {
			/* a continuation of the previous line */
			size_t len = strlen(cmd);

			cmd = realloc(cmd, len + strlen(text) + 2);
			strcat(cmd, text);
		} else {
			if (starts_with(text, "$ ")) {
				text += 2;
				prompt = true;
			}
			if (last && !prompt && starts_with(text, "faultline: ")) {
				last->want_err = strdup(text);
				last = NULL;
				continue;
			}
			last = NULL;
			if (!(shell_block || prompt) || !is_command(text))
				continue;
			cmd = strdup(text);
			cmd_line = n;
		}
		size_t len = strlen(cmd);

		if (len && cmd[len - 1] == '\\') {
			cmd[len - 1] = ' ';
			continue;
		}
		strip_comment(cmd);
		add_example(path, cmd_line, cmd);
		last = &examples[n_examples - 1];
		free(cmd);
		cmd = NULL;
	}
	fclose(f);
	free(cmd);
}

static void read_pages(void)
{
	static const char *const pages[] = { "README.md" };
	char path[PATH_MAX];
	FILE *ls;

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		read_page(pages[i], false);
	ls = popen("ls man/*.[0-9] 2>/dev/null", "re");
	if (!ls)
		return;
	while (fgets(path, sizeof(path), ls)) {
		chomp(path);
		read_page(path, true);
	}
	pclose(ls);
}

/* ---- the scene ----------------------------------------------------------- */

static char *in_scene(const char *cmd)
{
	char *out = strdup(cmd), pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)scene.target);
	for (size_t i = 0; i < sizeof(scene_words) / sizeof(scene_words[0]); i++) {
		char to[PATH_MAX * 2], *at;
		size_t w = 0;

		for (const char *t = scene_words[i].to; *t && w < sizeof(to) - PATH_MAX; t++) {
			if (t[0] == '%' && t[1]) {
				const char *v = t[1] == 'S' ? scene.dir : t[1] == 'P' ? pid :
						t[1] == 'N' ? scene.pair.ns[0] :
						t[1] == 'D' ? scene.pair.dev[0] : scene.cgroup_name;

				w += snprintf(to + w, sizeof(to) - w, "%s", v);
				t++;
			} else {
				to[w++] = *t;
			}
		}
		to[w] = '\0';
		while ((at = strstr(out, scene_words[i].from))) {
			size_t flen = strlen(scene_words[i].from);
			char *next = malloc(strlen(out) - flen + w + 1);

			sprintf(next, "%.*s%s%s", (int)(at - out), out, to, at + flen);
			free(out);
			out = next;
		}
	}
	return out;
}

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode) < 0 ? -errno : 0;
}

/*
 * The running target, started again when an example crashed it (the
 * --comm example's crash point does): the next example needs it alive.
 */
static int ensure_target(void)
{
	if (scene.target > 0 && waitpid(scene.target, NULL, WNOHANG) == 0)
		return 0;
	scene.target = fork();
	if (scene.target < 0)
		return -errno;
	if (scene.target == 0) {
		char exe[PATH_MAX + 16];

		fl_cgroup_add_pid(scene.cgroup, getpid());
		snprintf(exe, sizeof(exe), "%s/fl-doc-pg", scene.dir);
		execl(exe, "fl-doc-pg", scene.dir, "300", (char *)NULL);
		_exit(127);
	}
	/* Running its loop, not still in exec, when an example looks for it. */
	usleep(100 * 1000);
	return 0;
}

static int make_scene(void)
{
	char path[PATH_MAX + 64], build[PATH_MAX], conf[PATH_MAX * 4], *env;
	static const char *const dirs[] = { "bin", "db", "app", "sqlite", "redis" };

	if (!getcwd(scene.cwd, sizeof(scene.cwd)))
		return -errno;
	if (!realpath(fl_test_build_dir(), build))
		return -errno;
	snprintf(scene.dir, sizeof(scene.dir), "/var/tmp/fl-doc.XXXXXX");
	if (!mkdtemp(scene.dir))
		return -errno;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", scene.dir, dirs[i]);
		if (mkdir(path, 0755) < 0)
			return -errno;
	}
	snprintf(path, sizeof(path), "%s/build", scene.dir);
	if (symlink(build, path) < 0)
		return -errno;
	if (write_file(scene.dir, "bin/sudo", "#!/bin/sh\nexec \"$@\"\n", 0755) < 0)
		return -EIO;
	snprintf(conf, sizeof(conf),
		 "bind 127.0.0.1\nport 6390\ndir %s/redis\nappendonly yes\n"
		 "appendfsync always\nsave \"\"\ndaemonize no\n", scene.dir);
	if (write_file(scene.dir, "redis.conf", conf, 0644) < 0)
		return -EIO;
	if (write_file(scene.dir, "load-test",
		       "#!/bin/bash\nfor i in $(seq 50); do echo x > /dev/udp/127.0.0.1/9; done\n",
		       0755) < 0)
		return -EIO;
	if (write_file(scene.dir, "client", "#!/bin/bash\nexec 3<>/dev/tcp/127.0.0.1/5432\n",
		       0755) < 0)
		return -EIO;
	if (fl_netns_pair_create(&scene.pair) < 0)
		return -EIO;
	snprintf(conf, sizeof(conf), "cp %s/targets/fl-doc-target %s/fl-doc-pg", build, scene.dir);
	if (system(conf) != 0)
		return -EIO;

	if (fl_fixture_cgroup_create(scene.cgroup, sizeof(scene.cgroup)) < 0)
		return -EIO;
	scene.cgroup_name = strrchr(scene.cgroup, '/') + 1;

	env = getenv("PATH");
	snprintf(conf, sizeof(conf), "%s/bin:%s:%s", scene.dir, build, env ? env : "/usr/bin:/bin");
	setenv("PATH", conf, 1);
	if (chdir(scene.dir) < 0)
		return -errno;
	scene.ready = true;
	return 0;
}

static void unmount_if_faultfs(const char *name)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/%s", scene.dir, name);
	for (int i = 0; i < 3 && fl_faultfs_is_mounted(path); i++) {
		char *argv[] = { "fusermount3", "-u", "-z", path, NULL };

		fl_fixture_cmd(argv);
	}
}

static int setup(void **state)
{
	if (!fl_test_require_root())
		return 0;
	if (make_scene() < 0)
		print_message("the scene could not be made: %s\n", strerror(errno));
	return 0;
}

static int teardown(void **state)
{
	if (scene.target > 0) {
		kill(scene.target, SIGKILL);
		waitpid(scene.target, NULL, 0);
	}
	if (scene.dir[0]) {
		unmount_if_faultfs("db");
		unmount_if_faultfs("app");
		if (chdir(scene.cwd) == 0)
			fl_fixture_tmpdir_destroy(scene.dir);
	}
	if (scene.pair.ns[0][0])
		fl_netns_pair_destroy(&scene.pair);
	if (scene.cgroup[0]) {
		/* Examples may have left children of the target in it. */
		fl_cgroup_kill(scene.cgroup, 2000000000ull, NULL);
		fl_cgroup_rmdir(scene.cgroup, 2000);
		fl_fixture_cgroup_destroy(scene.cgroup);
	}
	return 0;
}

/* ---- running one example -------------------------------------------------- */

static bool watches_until_ctrl_c(const char *cmd)
{
	return (strstr(cmd, "--pid") || strstr(cmd, "--comm") || strstr(cmd, "--cgroup") ||
		strstr(cmd, " log ")) && !strstr(cmd, "--for");
}

static void run_example(void **state)
{
	const struct example *e = *state;
	char *cmd, *argv[4] = { "bash", "-c", NULL, NULL };
	struct fl_cli_result r;
	struct fl_cli *c;
	int want = 0;

	for (size_t i = 0; i < sizeof(not_run) / sizeof(not_run[0]); i++) {
		if (strstr(e->cmd, not_run[i].has)) {
			print_message("skip: %s: not run here: %s\n", e->where, not_run[i].why);
			skip();
		}
	}
	if (!scene.ready)
		skip();
	assert_int_equal(ensure_target(), 0);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (strstr(e->cmd, expect[i].has))
			want = expect[i].code;
	if (e->want_err)
		want = 2;

	cmd = in_scene(e->cmd);
	print_message("%s: %s\n", e->where, cmd);
	argv[2] = cmd;
	assert_int_equal(fl_cli_start(argv, &c), 0);
	if (watches_until_ctrl_c(e->cmd)) {
		uint64_t start = fl_cli_now_ms();

		while (fl_cli_now_ms() - start < CTRL_C_AFTER_MS && !strchr("Z", fl_proc_state(c->pid)))
			usleep(20 * 1000);
		if (!strchr("Z", fl_proc_state(c->pid)))
			fl_cli_signal(c, SIGINT);   /* the user's Ctrl-C */
	}
	fl_cli_wait(c, DEADLINE_MS, &r);
	fl_cli_free(c);
	if (r.code != want || (e->want_err && !strstr(r.err, e->want_err)))
		print_message("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\n", r.code, want,
			      r.out, r.err);
	assert_int_equal(r.code, want);
	if (e->want_err)
		assert_non_null(strstr(r.err, e->want_err));
	fl_cli_result_free(&r);
	free(cmd);
}

int main(void)
{
	static struct CMUnitTest tests[MAX_EXAMPLES];
	static char names[MAX_EXAMPLES][256];

	/* The pages are read before the run, so that each example is a test of its own. */
	read_pages();
	for (size_t i = 0; i < n_examples; i++) {
		snprintf(names[i], sizeof(names[i]), "%.90s %.100s", examples[i].where, examples[i].cmd);
		tests[i] = (struct CMUnitTest){ .name = names[i], .test_func = run_example,
						 .initial_state = &examples[i] };
	}
	return _cmocka_run_group_tests("doc examples", tests, n_examples, setup, teardown);
}
