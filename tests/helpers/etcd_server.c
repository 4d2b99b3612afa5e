// SPDX-License-Identifier: GPL-2.0-only
/* One etcd for a test: see etcd_server.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faultline/workload.h>
#include "etcd_server.h"
#include "fixtures.h"

bool fl_etcd_available(char *why, size_t len)
{
	if (!access("/usr/bin/etcd", X_OK))
		return true;
	snprintf(why, len, "needs /usr/bin/etcd (Debian package etcd-server)");
	return false;
}

/* A port nobody listens on now (the kernel's pick for port 0). */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

int fl_etcd_create(struct fl_etcd *e, char *why, size_t len)
{
	memset(e, 0, sizeof(*e));
	if (fl_fixture_tmpdir_create(e->root, sizeof(e->root))) {
		snprintf(why, len, "mkdtemp: %s", strerror(errno));
		return -EIO;
	}
	e->created = true;
	snprintf(e->data, sizeof(e->data), "%s/etcd", e->root);
	snprintf(e->log, sizeof(e->log), "%s/etcd.log", e->root);
	e->port = free_port();
	do
		e->peer_port = free_port();
	while (e->peer_port == e->port);
	if (e->port < 0 || e->peer_port < 0) {
		snprintf(why, len, "no free port on 127.0.0.1");
		return -EADDRNOTAVAIL;
	}
	snprintf(e->url, sizeof(e->url), "etcd://127.0.0.1:%d", e->port);
	snprintf(e->start_cmd, sizeof(e->start_cmd),
		 "exec etcd --name fl --data-dir %s"
		 " --listen-client-urls http://127.0.0.1:%d"
		 " --advertise-client-urls http://127.0.0.1:%d"
		 " --listen-peer-urls http://127.0.0.1:%d"
		 " --initial-advertise-peer-urls http://127.0.0.1:%d"
		 " --initial-cluster fl=http://127.0.0.1:%d"
		 " --heartbeat-interval 50 --election-timeout 500",
		 e->data, e->port, e->port, e->peer_port, e->peer_port, e->peer_port);
	return 0;
}

int fl_etcd_start(struct fl_etcd *e, int timeout_ms, char *why, size_t len)
{
	struct fl_workload *w = NULL;
	struct timespec t0, t;
	pid_t pid;
	int err;

	err = fl_workload_open(e->url, &w, why, len);
	if (err)
		return err;
	pid = fork();
	if (pid < 0) {
		fl_workload_close(w);
		return -errno;
	}
	if (pid == 0) {
		int fd = open(e->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/bin/sh", "sh", "-c", e->start_cmd, (char *)NULL);
		_exit(127);
	}
	e->pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int st;

		if (!fl_workload_ping(w, 500))
			break;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			e->pid = 0;
			snprintf(why, len, "etcd exited (status %#x): see %s", st, e->log);
			err = -ECHILD;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms) {
			snprintf(why, len, "etcd did not answer within %d ms: see %s", timeout_ms,
				 e->log);
			fl_etcd_stop(e);
			err = -ETIMEDOUT;
			break;
		}
		usleep(50000);
	}
	fl_workload_close(w);
	return err;
}

void fl_etcd_signal(struct fl_etcd *e, int sig)
{
	if (e->pid > 0)
		kill(e->pid, sig);
}

void fl_etcd_stop(struct fl_etcd *e)
{
	if (e->pid <= 0)
		return;
	kill(e->pid, SIGCONT);
	kill(e->pid, SIGKILL);
	waitpid(e->pid, NULL, 0);
	e->pid = 0;
}

void fl_etcd_destroy(struct fl_etcd *e)
{
	fl_etcd_stop(e);
	if (e->created)
		fl_fixture_tmpdir_destroy(e->root);
	e->created = false;
}
