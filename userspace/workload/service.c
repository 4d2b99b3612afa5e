// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The service under test, as a process faultline started: a user command
 * (sh -c, exec'ed when it is one simple command, in its own process group
 * and its own cgroup so a fault reaches every process of it) or the
 * built-in writer of file: and sqlite: workloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultline/cgroup.h>
#include "core/child.h"
#include "core/clock.h"
#include "run_as.h"
#include "service.h"

#define HEALTH_PAUSE_MS 5
#define RELEASE_KILL_NS  (5000ull * 1000 * 1000)
#define RELEASE_RMDIR_MS 2000

static int write_pid(const char *procs, pid_t pid)
{
	char buf[32];
	int fd, n, err = 0;

	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write(fd, buf, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

bool fl_wl_shell_can_exec(const char *cmd)
{
	char word[256], path[4200];
	size_t n;

	if (!cmd)
		return false;
	cmd += strspn(cmd, " \t");
	/* Lists, pipelines, subshells, groups, substitutions: not one command. */
	if (!*cmd || strpbrk(cmd, ";&|\n(){}`") || strstr(cmd, "$("))
		return false;
	n = strcspn(cmd, " \t<>");
	if (n == 0 || n >= sizeof(word))
		return false;
	memcpy(word, cmd, n);
	word[n] = '\0';
	/* exec already, an assignment (A=1 cmd), a keyword or quoted/expanded name. */
	if (!strcmp(word, "exec") || strpbrk(word, "=\"'$\\*?[~!#"))
		return false;
	/* A path, or a program on $PATH: not a builtin or function of sh only. */
	return strchr(word, '/') ? access(word, X_OK) == 0 :
	       fl_child_which(word, path, sizeof(path)) == 0;
}

static void say(const char *s)
{
	(void)!write(STDERR_FILENO, s, strlen(s));
}

/*
 * The forked child: own process group, output to log, into the cgroups
 * (as root still), then the service's user, exec.
 */
static void __attribute__((noreturn)) exec_service(const char *cmd, const char *log,
						   const char *cgroup_procs, const char *own_procs,
						   const struct fl_wl_user *user)
{
	char *const argv[] = { "sh", "-c", (char *)cmd, NULL };
	extern char **environ;
	const char *step = "";
	int fd;

	setpgid(0, 0);
	if (cgroup_procs && write_pid(cgroup_procs, getpid()))
		_exit(126);
	if (own_procs && write_pid(own_procs, getpid()))
		_exit(126);
	fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, STDIN_FILENO);
	if (user && fl_wl_user_become(user, &step)) {
		say("faultline: cannot run the service as ");
		say(user->name);
		say(": ");
		say(step);
		say(" failed\n");
		_exit(126);
	}
	/* faultline blocks signals for its own loop; the service must not inherit that. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve("/bin/sh", argv, user ? user->envp : environ);
	_exit(127);
}

/* Read the pids of a cgroup; 0 when it is empty (or gone). */
static size_t cgroup_pids(const char *dir, pid_t *pids, size_t max)
{
	char path[4200];
	size_t n = 0;
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < max && fscanf(f, "%d", &pid) == 1)
		pids[n++] = pid;
	fclose(f);
	return n;
}

static bool cgroup_empty(const struct fl_wl_service *s)
{
	pid_t pid;

	return !s->cgroup[0] || cgroup_pids(s->cgroup, &pid, 1) == 0;
}

/* SIGKILL everything in the service's cgroup, setsid()ed daemons included. */
static void kill_cgroup(const struct fl_wl_service *s)
{
	char path[4200];
	pid_t pids[256];
	size_t n;
	int fd;

	if (!s->cgroup[0])
		return;
	snprintf(path, sizeof(path), "%s/cgroup.kill", s->cgroup);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t k = write(fd, "1", 1);

		close(fd);
		if (k == 1)
			return;
	}
	/* Before 5.14: one by one (a fork racing this is caught by the next call). */
	n = cgroup_pids(s->cgroup, pids, sizeof(pids) / sizeof(pids[0]));
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
}

static int make_cgroup(struct fl_wl_service *s, struct fl_state *st)
{
	static unsigned seq;
	char name[64], path[4096];
	int err;

	snprintf(name, sizeof(name), "faultline-rpo-svc-%d-%u", (int)getpid(), seq++);
	err = fl_cgroup2_root(path, sizeof(path));
	if (err)
		return err;
	if (st) {
		char full[4200];

		snprintf(full, sizeof(full), "%s/%s", path, name);
		/* The undo of a killed controller kills the service too: it is ours. */
		err = fl_state_record_service_cgroup(st, full, &s->cgroup_record);
		if (err && err != -EINVAL)
			return err;
	}
	err = fl_cgroup_create(name, s->cgroup, sizeof(s->cgroup));
	if (err) {
		s->cgroup[0] = '\0';
		if (st && s->cgroup_record)
			fl_state_forget(st, s->cgroup_record);
		s->cgroup_record = 0;
	}
	return err;
}

int fl_wl_service_start(struct fl_wl_service *s, struct fl_state *st, struct fl_workload *w,
			 const char *cmd, const char *log, const char *cgroup_procs,
			 char *errbuf, size_t errlen)
{
	return fl_wl_service_start_as(s, st, w, cmd, log, cgroup_procs, NULL, errbuf, errlen);
}

int fl_wl_service_start_as(struct fl_wl_service *s, struct fl_state *st, struct fl_workload *w,
			    const char *cmd, const char *log, const char *cgroup_procs,
			    const char *user, char *errbuf, size_t errlen)
{
	char own_procs[4200], *line = NULL;
	struct fl_wl_user u = { 0 };
	pid_t pid;
	int err;

	memset(s, 0, sizeof(*s));
	s->st = st;
	if (user && !cmd) {
		snprintf(errbuf, errlen, "the built-in writer runs as faultline: it takes no user");
		return -EINVAL;
	}
	if (user && (err = fl_wl_user_lookup(user, &u, errbuf, errlen)))
		return err;
	if (!cmd) {
		err = fl_workload_start(w, &pid, errbuf, errlen);
		if (err)
			return err;
		s->builtin = true;
		/* The writer has no children: moving it after the fork is enough. */
		if (cgroup_procs) {
			err = write_pid(cgroup_procs, pid);
			if (err) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				fl_workload_stopped(w);
				snprintf(errbuf, errlen, "cannot move the writer into %s: %s",
					 cgroup_procs, strerror(-err));
				return err;
			}
		}
		s->pid = pid;
		return 0;
	}
	/*
	 * A v2 process sits in one group only: the caller's group (rpo's OOM
	 * fault has one), when it is on v2, is the one to kill in. Without
	 * cgroup v2 the process group is all there is.
	 */
	if (cgroup_procs && fl_cgroup2_root(own_procs, sizeof(own_procs)) == 0 &&
	    !strncmp(cgroup_procs, own_procs, strlen(own_procs))) {
		char *slash;

		snprintf(s->cgroup, sizeof(s->cgroup), "%s", cgroup_procs);
		slash = strrchr(s->cgroup, '/');
		if (slash)
			*slash = '\0';
		s->cgroup_borrowed = true;
	} else if (make_cgroup(s, st) == 0) {
		snprintf(own_procs, sizeof(own_procs), "%s/cgroup.procs", s->cgroup);
	}
	/*
	 * One simple command is exec'ed, so the service is the started process
	 * and not a child of a shell. Built before the fork: the child of a
	 * threaded controller must not allocate.
	 */
	if (fl_wl_shell_can_exec(cmd) && asprintf(&line, "exec %s", cmd) < 0)
		line = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "fork: %s", strerror(errno));
		free(line);
		fl_wl_user_free(&u);
		fl_wl_service_release(s);
		return err;
	}
	if (pid == 0)
		exec_service(line ? line : cmd, log, cgroup_procs,
			     s->cgroup[0] && !s->cgroup_borrowed ? own_procs : NULL,
			     user ? &u : NULL);
	free(line);
	fl_wl_user_free(&u);
	setpgid(pid, pid); /* both sides: kill(-pid) works at once */
	s->pid = pid;
	return 0;
}

bool fl_wl_service_gone(struct fl_wl_service *s)
{
	if (!s->pid)
		return true;
	if (!s->reaped && waitpid(s->pid, &s->wstatus, WNOHANG) == s->pid)
		s->reaped = true;
	/* Gone means every process of it: a daemon's children can outlive the leader. */
	if (s->reaped && !s->exited_ns && cgroup_empty(s))
		s->exited_ns = fl_now_ns();
	return s->exited_ns != 0;
}

void fl_wl_service_release(struct fl_wl_service *s)
{
	if (!s->cgroup[0])
		return;
	if (s->cgroup_borrowed) {
		kill_cgroup(s);
		s->cgroup[0] = '\0';
		return;
	}
	/*
	 * Killed and empty, then removed (a group whose last task just exited
	 * is still being released: rmdir is retried). One that still exists
	 * keeps its record, so fl_state_close or `faultline cleanup` finds it.
	 */
	if (fl_cgroup_kill(s->cgroup, RELEASE_KILL_NS, NULL) == 0 &&
	    fl_cgroup_rmdir(s->cgroup, RELEASE_RMDIR_MS) == 0 && s->st && s->cgroup_record)
		fl_state_forget(s->st, s->cgroup_record);
	s->cgroup[0] = '\0';
	s->cgroup_record = 0;
}

int fl_wl_service_signal(struct fl_wl_service *s, int sig)
{
	if (!s->pid)
		return -ESRCH;
	/* The whole group: a shell's children too. A reaped leader's group may live on. */
	if (kill(s->builtin ? s->pid : -s->pid, sig) < 0 && errno != ESRCH)
		return -errno;
	if (sig == SIGKILL)
		kill_cgroup(s);
	return 0;
}

int fl_wl_service_wait_gone(struct fl_wl_service *s, uint64_t timeout_ns)
{
	uint64_t deadline = fl_now_ns() + timeout_ns;

	while (!fl_wl_service_gone(s)) {
		if (fl_now_ns() >= deadline)
			return -ETIMEDOUT;
		fl_sleep_ms(1);
	}
	return 0;
}

void fl_wl_service_stop(struct fl_wl_service *s, uint64_t timeout_ns)
{
	if (!s->pid)
		return;
	if (!fl_wl_service_gone(s)) {
		fl_wl_service_signal(s, SIGTERM);
		if (fl_wl_service_wait_gone(s, timeout_ns)) {
			fl_wl_service_signal(s, SIGKILL);
			fl_wl_service_wait_gone(s, 5000000000ull);
		}
	}
	/* Whatever the shell left in its group or its cgroup goes too. */
	if (!s->builtin)
		kill(-s->pid, SIGKILL);
	fl_wl_service_release(s);
}

static int run_health(const char *cmd)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EAGAIN;
}

int fl_wl_service_wait_healthy(struct fl_wl_service *s, struct fl_workload *w,
				const char *health_cmd, uint64_t timeout_ns,
				volatile int *interrupted)
{
	return fl_wl_service_wait_healthy_why(s, w, health_cmd, FL_WL_PING_TIMEOUT_MS, timeout_ns,
					      interrupted, NULL, 0);
}

int fl_wl_service_wait_healthy_why(struct fl_wl_service *s, struct fl_workload *w,
				    const char *health_cmd, int ping_timeout_ms,
				    uint64_t timeout_ns, volatile int *interrupted,
				    char *errbuf, size_t errlen)
{
	uint64_t deadline = fl_now_ns() + timeout_ns;

	for (;;) {
		int err = health_cmd ? run_health(health_cmd) :
			  fl_workload_ping_why(w, ping_timeout_ms, errbuf, errlen);

		if (!err)
			return 0;
		/* A shell that exec'ed into a daemonizing server exits 0: not a death. */
		if (fl_wl_service_gone(s) && (s->builtin || !WIFEXITED(s->wstatus) ||
					       WEXITSTATUS(s->wstatus) != 0))
			return -ECHILD;
		if (interrupted && *interrupted)
			return -EINTR;
		if (fl_now_ns() >= deadline)
			return -ETIMEDOUT;
		fl_sleep_ms(HEALTH_PAUSE_MS);
	}
}
