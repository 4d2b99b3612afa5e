// SPDX-License-Identifier: GPL-2.0-only
/*
 * A real sshd in a netns of the test's own (sshd_netns.h), as the SSH
 * tests (remote, scenario) need it: the set-up they would each write.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shell.h"
#include "sshd_netns.h"

const char *fl_sshd_missing(void)
{
	if (access(FL_SSHD, X_OK))
		return FL_SSHD " is missing (Debian openssh-server; tools/install-deps.sh installs it)";
	if (fl_test_sh("command -v ssh >/dev/null && command -v ssh-keygen >/dev/null"))
		return "ssh or ssh-keygen is missing (Debian openssh-client)";
	return NULL;
}

/* The first two fields ("ssh-ed25519 AAAA...") of the .pub file of key. */
static int read_pub(const char *key, char *buf, size_t len)
{
	char path[PATH_MAX + 8], t[64], k[512];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s.pub", key);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fscanf(f, "%63s %511s", t, k);
	fclose(f);
	if (n != 2)
		return -1;
	snprintf(buf, len, "%s %s", t, k);
	return 0;
}

int fl_sshd_keys_make(const char *dir, bool other, struct fl_sshd_keys *ret)
{
	struct fl_sshd_keys k = { 0 };

	snprintf(k.host, sizeof(k.host), "%s/host_key", dir);
	snprintf(k.client, sizeof(k.client), "%s/client_key", dir);
	if (other)
		snprintf(k.other, sizeof(k.other), "%s/other_key", dir);
	if (fl_test_sh("ssh-keygen -q -t ed25519 -N '' -C fl-host -f %s && "
	       "ssh-keygen -q -t ed25519 -N '' -C fl-client -f %s && cp %s.pub %s/authorized_keys",
	       k.host, k.client, k.client, dir) ||
	    (other && fl_test_sh("ssh-keygen -q -t ed25519 -N '' -C fl-other -f %s", k.other)))
		return -1;
	if (read_pub(k.host, k.host_pub, sizeof(k.host_pub)) ||
	    (other && read_pub(k.other, k.other_pub, sizeof(k.other_pub))))
		return -1;
	*ret = k;
	return 0;
}

int fl_sshd_node_net(struct fl_sshd_node *n, const char *br, const char *host_ip, int prefix)
{
	if (fl_test_sh("ip netns add %s", n->ns))
		return -1;
	n->ns_made = true;
	if (fl_test_sh("ip link add %s type veth peer name %s netns %s", n->hdev, n->ndev, n->ns))
		return -1;
	if (br ? fl_test_sh("ip link set %s master %s up", n->hdev, br)
	       : fl_test_sh("ip addr add %s/%d dev %s && ip link set %s up", host_ip, prefix, n->hdev,
		    n->hdev))
		return -1;
	return fl_test_sh("ip -n %s addr add %s/%d dev %s && ip -n %s link set %s up && "
		  "ip -n %s link set lo up",
		  n->ns, n->ip, prefix, n->ndev, n->ns, n->ndev, n->ns) ? -1 : 0;
}

void fl_sshd_node_del(struct fl_sshd_node *n)
{
	if (n->ns_made)
		fl_test_sh("ip netns del %s", n->ns);
	n->ns_made = false;
}

int fl_sshd_privsep_dir(bool *ret_made)
{
	struct stat st;

	*ret_made = false;
	if (!stat("/run/sshd", &st))
		return 0;
	if (mkdir("/run/sshd", 0755))
		return -1;
	*ret_made = true;
	return 0;
}

void fl_sshd_privsep_release(bool made)
{
	if (made)
		rmdir("/run/sshd");
}

int fl_sshd_ns_socket(const char *ns, int type)
{
	char path[128];
	int self, fd_ns, fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd_ns = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || fd_ns < 0 || setns(fd_ns, CLONE_NEWNET)) {
		err = -errno;
		goto out;
	}
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err = -errno;
	if (setns(self, CLONE_NEWNET))
		abort(); /* the test would run on in the wrong netns */
	if (!err)
		err = fd;
out:
	if (self >= 0)
		close(self);
	if (fd_ns >= 0)
		close(fd_ns);
	return err;
}

/* A free TCP port on n->ip, found inside the netns; 0 if none. */
static uint16_t free_port(const struct fl_sshd_node *n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = fl_sshd_ns_socket(n->ns, SOCK_STREAM);
	uint16_t port = 0;

	if (fd < 0)
		return 0;
	inet_pton(AF_INET, n->ip, &a.sin_addr);
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

bool fl_sshd_answers(struct fl_sshd_node *n, int timeout_ms)
{
	long long end = fl_test_now_ms() + timeout_ms;

	while (fl_test_now_ms() < end) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(n->port) };
		struct timeval tv = { .tv_sec = 1 };
		char banner[8] = "";
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool ok;

		inet_pton(AF_INET, n->ip, &a.sin_addr);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ok = !connect(fd, (struct sockaddr *)&a, sizeof(a)) &&
		     recv(fd, banner, sizeof(banner) - 1, MSG_WAITALL) == 7 &&
		     !strncmp(banner, "SSH-2.0", 7);
		close(fd);
		if (ok)
			return true;
		if (n->sshd > 0 && waitpid(n->sshd, NULL, WNOHANG) == n->sshd) {
			n->sshd = 0;
			return false;
		}
		usleep(100 * 1000);
	}
	return false;
}

static pid_t start_sshd(const char *ns, const char *config, const char *log)
{
	char path[128];
	pid_t pid;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	pid = fork();
	if (pid == 0) {
		int fd_ns = open(path, O_RDONLY | O_CLOEXEC);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (fd_ns < 0 || setns(fd_ns, CLONE_NEWNET) || out < 0 || dup2(out, 1) < 0 ||
		    dup2(out, 2) < 0)
			_exit(127);
		/* -D: stays our child; -e: its log to stderr, our file. */
		execl(FL_SSHD, FL_SSHD, "-D", "-e", "-f", config, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int fl_sshd_node_start(struct fl_sshd_node *n, const char *dir, const char *tag,
		       const struct fl_sshd_keys *keys, const char *extra_config)
{
	char cfg[PATH_MAX], log[PATH_MAX];

	if (!n->port)
		n->port = free_port(n);
	if (!n->port)
		return -1;
	snprintf(cfg, sizeof(cfg), "%s/sshd_config%s", dir, tag);
	if (fl_test_write_file(cfg,
		       "ListenAddress %s:%u\n"
		       "HostKey %s\n"
		       "PidFile %s/sshd%s.pid\n"
		       "AuthorizedKeysFile %s/authorized_keys\n"
		       "PermitRootLogin prohibit-password\n"
		       "PubkeyAuthentication yes\n"
		       "PasswordAuthentication no\n"
		       "KbdInteractiveAuthentication no\n"
		       "UsePAM no\n"
		       "StrictModes no\n"
		       "LogLevel INFO\n"
		       "%s",
		       n->ip, n->port, keys->host, dir, tag, dir, extra_config ? extra_config : ""))
		return -1;
	snprintf(log, sizeof(log), "%s/sshd%s.log", dir, tag);
	n->sshd = start_sshd(n->ns, cfg, log);
	if (n->sshd < 0 || !fl_sshd_answers(n, 10000)) {
		printf("sshd did not answer on %s:%u; its log:\n", n->ip, n->port);
		fflush(stdout);
		fl_test_sh("cat %s", log);
		return -1;
	}
	return 0;
}

/* The pids under pid (its sessions' sshd and what they run), deepest first. */
static size_t descendants(pid_t pid, pid_t *out, size_t max, size_t n)
{
	char path[64], buf[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "re");
	if (!f)
		return n;
	if (fgets(buf, sizeof(buf), f)) {
		char *save = NULL;

		for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
			pid_t c = (pid_t)atoi(t);

			n = descendants(c, out, max, n);
			if (c > 0 && n < max)
				out[n++] = c;
		}
	}
	fclose(f);
	return n;
}

void fl_sshd_stop(struct fl_sshd_node *n)
{
	pid_t kids[64];
	size_t k;

	if (n->sshd <= 0)
		return;
	k = descendants(n->sshd, kids, 64, 0);
	for (size_t i = 0; i < k; i++)
		kill(kids[i], SIGKILL);
	kill(n->sshd, SIGTERM);
	for (int i = 0; i < 50 && waitpid(n->sshd, NULL, WNOHANG) == 0; i++)
		usleep(20 * 1000);
	if (waitpid(n->sshd, NULL, WNOHANG) == 0) {
		kill(n->sshd, SIGKILL);
		waitpid(n->sshd, NULL, 0);
	}
	n->sshd = 0;
}
