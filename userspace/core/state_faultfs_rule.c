// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A fault rule armed on a faultfs mount outlives the process that armed
 * it (it lives in the faultfs daemon), so it is recorded like a kernel
 * object: the undo asks that same daemon, over its control socket, to
 * clear that rule id. Core cannot call the fs client (it sits above), so
 * the one request is spoken here; the daemon is known by pid and
 * starttime, checked again on the socket (SO_PEERCRED), so a rule id of
 * another daemon later on the same mount is never cleared.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "state_priv.h"

#define CLEAR_TIMEOUT_MS 5000

int fl_state_record_faultfs_rule(struct fl_state *st, const char *socket_path, pid_t daemon,
				 unsigned rule_id, const char *mount, uint64_t *ret_id)
{
	uint64_t start;
	int err;

	if (!st || !socket_path || socket_path[0] != '/' ||
	    strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path) || daemon <= 0 ||
	    rule_id > INT32_MAX)
		return -EINVAL;
	err = fl_proc_starttime(daemon, &start);
	if (err)
		return err;
	return fl_state_write_record(st, "faultfs-rule",
		json_pack("{s:s, s:i, s:I, s:I, s:s}", "socket", socket_path, "pid", (int)daemon,
			  "starttime", (json_int_t)start, "rule", (json_int_t)rule_id,
			  "mount", mount ? mount : "?"),
		ret_id);
}

/* One line of reply, up to CLEAR_TIMEOUT_MS. */
static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, CLEAR_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -ECONNRESET;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 0;
}

int fl_undo_faultfs_rule(json_t *rec, char *what, size_t what_len, char *msg, size_t msg_len)
{
	const char *sock = json_string_value(json_object_get(rec, "socket"));
	const char *mount = json_string_value(json_object_get(rec, "mount"));
	json_t *jpid = json_object_get(rec, "pid"), *jstart = json_object_get(rec, "starttime");
	json_t *jid = json_object_get(rec, "rule"), *reply;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	char line[1024];
	uint64_t now;
	int fd, err, n;
	pid_t pid;

	if (!sock || sock[0] != '/' || strlen(sock) >= sizeof(sa.sun_path) ||
	    !json_is_integer(jpid) || !json_is_integer(jstart) || !json_is_integer(jid)) {
		snprintf(msg, msg_len, "record has no socket/pid/starttime/rule");
		return -EBADMSG;
	}
	pid = (pid_t)json_integer_value(jpid);
	snprintf(what, what_len, "faultfs rule %lld on %s", (long long)json_integer_value(jid),
		 mount ? mount : sock);
	/* The daemon is gone: its rules went with it. */
	if (fl_proc_starttime(pid, &now) || now != (uint64_t)json_integer_value(jstart))
		return 0;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, msg_len, "socket: %s", strerror(-err));
		return err;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno == ENOENT || errno == ECONNREFUSED ? 0 : -errno;
		if (err)
			snprintf(msg, msg_len, "connect %s: %s", sock, strerror(-err));
		goto out;
	}
	err = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) || cred.pid != pid)
		goto out; /* another daemon answers there now: not ours to touch */
	n = snprintf(line, sizeof(line), "{\"cmd\":\"clear\",\"id\":%lld}\n",
		     (long long)json_integer_value(jid));
	errno = 0;
	if (write(fd, line, (size_t)n) != n) {
		err = errno ? -errno : -EIO;
		snprintf(msg, msg_len, "write to %s: %s", sock, strerror(-err));
		goto out;
	}
	err = read_line(fd, line, sizeof(line));
	if (err) {
		snprintf(msg, msg_len, "no reply from %s: %s", sock, strerror(-err));
		goto out;
	}
	reply = json_loads(line, 0, NULL);
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *e = json_string_value(json_object_get(reply, "error"));

		/* Cleared already (by its owner, or by hand): gone. */
		if (!e || !strstr(e, "no rule with id")) {
			err = -EIO;
			snprintf(msg, msg_len, "faultfs refused: %s", e ? e : line);
		}
	}
	json_decref(reply);
out:
	close(fd);
	return err;
}
