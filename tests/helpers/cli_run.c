// SPDX-License-Identifier: GPL-2.0-only
#include "cli_run.h"

#include "faultfs_mount.h"
#include "fixtures.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

uint64_t fl_cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* An unlinked file in /tmp: the child writes through one fd, we pread another. */
static int capture_pair(int *ret_write, int *ret_read)
{
	char tmpl[] = "/tmp/fl-cli-XXXXXX", proc[64];
	int w, r;

	w = mkostemp(tmpl, O_CLOEXEC);
	if (w < 0)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w);
	r = open(proc, O_RDONLY | O_CLOEXEC);
	unlink(tmpl);
	if (r < 0) {
		int err = -errno;

		close(w);
		return err;
	}
	*ret_write = w;
	*ret_read = r;
	return 0;
}

int fl_cli_start(char *const argv[], struct fl_cli **ret)
{
	int out_w = -1, out_r = -1, err_w = -1, err_r = -1, err;
	struct fl_cli *c;
	pid_t pid;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = capture_pair(&out_w, &out_r);
	if (!err)
		err = capture_pair(&err_w, &err_r);
	if (err)
		goto fail;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto fail;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
		    dup2(err_w, STDERR_FILENO) < 0)
			_exit(120);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out_w);
	close(err_w);
	c->pid = pid;
	c->out_fd = out_r;
	c->err_fd = err_r;
	c->start_ms = fl_cli_now_ms();
	*ret = c;
	return 0;
fail:
	if (out_w >= 0)
		close(out_w);
	if (out_r >= 0)
		close(out_r);
	if (err_w >= 0)
		close(err_w);
	if (err_r >= 0)
		close(err_r);
	free(c);
	return err;
}

static char *slurp_fd(int fd)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return strdup("");
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	n = pread(fd, buf, (size_t)st.st_size, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

char *fl_cli_stdout(const struct fl_cli *c)
{
	return slurp_fd(c->out_fd);
}

char *fl_cli_stderr(const struct fl_cli *c)
{
	return slurp_fd(c->err_fd);
}

int fl_cli_exit_code(int status)
{
	if (status < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int fl_cli_signal(struct fl_cli *c, int sig)
{
	if (c->reaped)
		return -ESRCH;
	return kill(c->pid, sig) < 0 ? -errno : 0;
}

uint64_t fl_cli_scaled_ms(uint64_t ms)
{
	return getenv("FL_VMTEST") ? 10 * ms : ms;
}

/*
 * The deadlines here are hang guards, never measurements: under qemu TCG
 * (FL_VMTEST) loading a BPF program alone can take seconds, so they stretch.
 */
static uint64_t deadline_after(int timeout_ms)
{
	return fl_cli_now_ms() + fl_cli_scaled_ms((uint64_t)timeout_ms);
}

/* Reap within timeout_ms: 0, or -ETIMEDOUT. */
static int reap(struct fl_cli *c, int timeout_ms)
{
	uint64_t end = deadline_after(timeout_ms);

	while (!c->reaped) {
		pid_t r = waitpid(c->pid, &c->status, WNOHANG);

		if (r == c->pid) {
			c->reaped = true;
			break;
		}
		if (r < 0 && errno != EINTR) {
			c->reaped = true;
			c->status = -1;
			break;
		}
		if (fl_cli_now_ms() >= end)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return 0;
}

int fl_cli_wait(struct fl_cli *c, int timeout_ms, struct fl_cli_result *ret)
{
	int err = reap(c, timeout_ms);

	if (err) {
		kill(c->pid, SIGKILL);
		reap(c, 5000);
	}
	memset(ret, 0, sizeof(*ret));
	ret->status = c->reaped ? c->status : -1;
	ret->code = fl_cli_exit_code(ret->status);
	ret->timed_out = err != 0;
	ret->ms = fl_cli_now_ms() - c->start_ms;
	ret->out = fl_cli_stdout(c);
	ret->err = fl_cli_stderr(c);
	if (!ret->out)
		ret->out = strdup("");
	if (!ret->err)
		ret->err = strdup("");
	return err;
}

void fl_cli_free(struct fl_cli *c)
{
	if (!c)
		return;
	if (!c->reaped) {
		kill(c->pid, SIGKILL);
		reap(c, 5000);
	}
	close(c->out_fd);
	close(c->err_fd);
	free(c);
}

int fl_cli_run(char *const argv[], int timeout_ms, struct fl_cli_result *ret)
{
	struct fl_cli *c = NULL;
	int err = fl_cli_start(argv, &c);

	if (err) {
		memset(ret, 0, sizeof(*ret));
		ret->status = ret->code = -1;
		ret->out = strdup("");
		ret->err = strdup("");
		return err;
	}
	err = fl_cli_wait(c, timeout_ms, ret);
	fl_cli_free(c);
	return err;
}

void fl_cli_result_free(struct fl_cli_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char fl_proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: the state follows the last ')'. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static bool exe_is(pid_t pid, const char *exe)
{
	char path[64], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	return strcmp(base, exe) == 0;
}

pid_t fl_proc_find_child(pid_t parent, const char *exe, int timeout_ms)
{
	uint64_t end = deadline_after(timeout_ms);
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)parent);
	do {
		DIR *d = opendir(path);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char children[400];
			FILE *f;
			int pid;

			if (de->d_name[0] == '.')
				continue;
			snprintf(children, sizeof(children), "%s/%s/children", path, de->d_name);
			f = fopen(children, "re");
			while (f && fscanf(f, "%d", &pid) == 1) {
				if (exe_is(pid, exe)) {
					fclose(f);
					closedir(d);
					return pid;
				}
			}
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
		usleep(5000);
	} while (fl_cli_now_ms() < end);
	return 0;
}

bool fl_proc_wait_state(pid_t pid, const char *states, int timeout_ms)
{
	uint64_t end = deadline_after(timeout_ms);

	for (;;) {
		char s = fl_proc_state(pid);

		if (s ? strchr(states, s) != NULL : states[0] == '\0')
			return true;
		if (fl_cli_now_ms() >= end)
			return false;
		usleep(2000);
	}
}

size_t fl_count_lines(const char *text, const char *needle)
{
	size_t n = 0;

	while (text && *text) {
		const char *eol = strchr(text, '\n');
		size_t len = eol ? (size_t)(eol - text) : strlen(text);

		if (memmem(text, len, needle, strlen(needle)))
			n++;
		text += len + (eol ? 1 : 0);
	}
	return n;
}

json_t *fl_cli_json_summary(const char *out)
{
	json_t *found = NULL;

	for (const char *line = out; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (line[0] == '{') {
			json_t *j = json_loadb(line, len, 0, NULL);

			if (json_is_object(j)) {
				json_decref(found);
				found = j;
			} else {
				json_decref(j);
			}
		}
		line += len + (eol ? 1 : 0);
	}
	return found;
}

char *fl_cli_strip_json(const char *out)
{
	char *ret = malloc(strlen(out) + 1), *w = ret;

	if (!ret)
		return NULL;
	for (const char *line = out; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) + 1 : strlen(line);

		if (line[0] != '{') {
			memcpy(w, line, len);
			w += len;
		}
		line += len;
	}
	*w = '\0';
	return ret;
}

bool fl_cli_require(const char *faultline, const char *target)
{
	if (!fl_test_require_root())
		return false;
	if (access(faultline, X_OK) || access(target, X_OK)) {
		printf("skip: %s or %s is not built (run make)\n", faultline, target);
		fflush(stdout);
		return false;
	}
	return true;
}

int fl_cli_setup_session(void **state)
{
	struct fl_fixture *fx;
	const char *run;
	int err = fl_setup_tmpdir(state);

	fx = *state;
	if (err || !fx || !fx->created)
		return err;
	run = fl_test_path(fx->path, "run");
	if (mkdir(run, 0700) < 0 || setenv("FAULTLINE_RUN_DIR", run, 1) < 0)
		return -1;
	return 0;
}

int fl_cli_teardown_session(void **state)
{
	struct fl_fixture *fx = *state;
	char faultline[PATH_MAX], run[PATH_MAX];

	if (fx && fx->created && fl_test_binary("faultline", faultline, sizeof(faultline))) {
		struct fl_cli_result r;

		snprintf(run, sizeof(run), "%s", fl_test_path(fx->path, "run"));
		char *argv[] = { faultline, "cleanup", "--run-dir", run, NULL };

		fl_cli_run(argv, 10000, &r);
		fl_cli_result_free(&r);
	}
	unsetenv("FAULTLINE_RUN_DIR");
	return fl_teardown_tmpdir(state);
}

const char *fl_cli_run_dir(void)
{
	const char *dir = getenv("FAULTLINE_RUN_DIR");

	return dir && *dir ? dir : "/run/faultline";
}

bool fl_cli_session_left(pid_t controller)
{
	char prefix[32];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "%d-", (int)controller);
	d = opendir(fl_cli_run_dir());
	while (d && (de = readdir(d)))
		found |= strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return found;
}

int fl_cli_wait_stderr(struct fl_cli *c, const char *needle, int timeout_ms)
{
	uint64_t deadline = deadline_after(timeout_ms);

	for (;;) {
		char *err = fl_cli_stderr(c);
		char state = fl_proc_state(c->pid);
		bool found = err && strstr(err, needle);

		if (!found && (state == 0 || state == 'Z')) {
			fprintf(stderr, "faultline ended before printing '%s': %s\n", needle,
				err ? err : "");
			free(err);
			return -ECHILD;
		}
		if (!found && fl_cli_now_ms() > deadline) {
			fprintf(stderr, "faultline did not print '%s' in time: %s\n", needle,
				err ? err : "");
			free(err);
			return -ETIMEDOUT;
		}
		free(err);
		if (found)
			return 0;
		usleep(10000);
	}
}
