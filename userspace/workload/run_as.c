// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A service that runs as its own user (PostgreSQL refuses to run as root;
 * redis is packaged to run as redis): its commands run with the user's
 * uid, gid and supplementary groups, and HOME, USER and LOGNAME set, as
 * `setpriv --init-groups` or `runuser -u` would run them, but without a
 * process in between, so the service is the process faultline signals.
 */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_as.h"

extern char **environ;

static int make_env(struct fl_wl_user *u)
{
	static const char *const ours[] = { "HOME=", "USER=", "LOGNAME=" };
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 4, sizeof(*env));
	if (!env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bool skip = false;

		for (size_t j = 0; j < 3; j++)
			skip |= !strncmp(environ[i], ours[j], strlen(ours[j]));
		if (!skip)
			env[k++] = environ[i];
	}
	/* Only these three are ours to free: the rest are environ's. */
	if (asprintf(&env[k], "HOME=%s", u->home) < 0)
		env[k] = NULL;
	else if (asprintf(&env[k + 1], "USER=%s", u->name) < 0)
		env[k + 1] = NULL;
	else if (asprintf(&env[k + 2], "LOGNAME=%s", u->name) < 0)
		env[k + 2] = NULL;
	if (!env[k] || !env[k + 1] || !env[k + 2]) {
		free(env[k]);
		free(env[k + 1]);
		free(env);
		return -ENOMEM;
	}
	u->envp = env;
	return 0;
}

int fl_wl_user_lookup(const char *name, struct fl_wl_user *ret, char *errbuf, size_t errlen)
{
	struct fl_wl_user u = { 0 };
	struct passwd pw, *res = NULL;
	char buf[16384], *end;
	unsigned long id;
	int n = FL_WL_USER_GROUPS, err;

	if (!name || !*name) {
		if (errbuf)
			snprintf(errbuf, errlen, "empty user name");
		return -EINVAL;
	}
	errno = 0;
	id = strtoul(name, &end, 10);
	if (!*end && !errno && id < (uid_t)-1)
		err = getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res);
	else
		err = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (err || !res) {
		if (errbuf)
			snprintf(errbuf, errlen, "no such user '%s'%s%s", name,
				 err ? ": " : "", err ? strerror(err) : "");
		return err ? -err : -ENOENT;
	}
	if (strlen(pw.pw_name) >= sizeof(u.name) || strlen(pw.pw_dir) >= sizeof(u.home)) {
		if (errbuf)
			snprintf(errbuf, errlen, "user '%s': name or home directory too long", name);
		return -ENAMETOOLONG;
	}
	snprintf(u.name, sizeof(u.name), "%s", pw.pw_name);
	snprintf(u.home, sizeof(u.home), "%s", pw.pw_dir[0] ? pw.pw_dir : "/");
	u.uid = pw.pw_uid;
	u.gid = pw.pw_gid;
	if (getgrouplist(u.name, u.gid, u.groups, &n) < 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "user '%s' is in more than %d groups", name,
				 FL_WL_USER_GROUPS);
		return -E2BIG;
	}
	u.n_groups = n;
	err = make_env(&u);
	if (err)
		return err;
	*ret = u;
	return 0;
}

void fl_wl_user_free(struct fl_wl_user *u)
{
	size_t n = 0;

	if (!u || !u->envp)
		return;
	while (u->envp[n])
		n++;
	/* The last three are HOME, USER and LOGNAME, made by make_env. */
	for (size_t i = n >= 3 ? n - 3 : 0; i < n; i++)
		free(u->envp[i]);
	free(u->envp);
	u->envp = NULL;
}

int fl_wl_user_become(const struct fl_wl_user *u, const char **ret_step)
{
	const char *step;

	step = "setgroups";
	if (setgroups((size_t)u->n_groups, u->groups))
		goto fail;
	step = "setgid";
	if (setgid(u->gid))
		goto fail;
	step = "setuid";
	if (setuid(u->uid))
		goto fail;
	/* A cwd under /root would stop PostgreSQL ("could not identify current directory"). */
	if (access(".", X_OK) && chdir(u->home) && chdir("/")) {
		step = "chdir";
		goto fail;
	}
	return 0;
fail:
	if (ret_step)
		*ret_step = step;
	return -errno;
}

int fl_wl_user_can_use_dir(const struct fl_wl_user *u, const char *dir)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (fl_wl_user_become(u, NULL))
			_exit(255);
		_exit(access(dir, R_OK | W_OK | X_OK) ? (errno & 0xff) : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 255)
		return -EPERM;
	return -WEXITSTATUS(status);
}
