// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Client of the faultfs control socket: find it, talk to it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <faultline/fs.h>

#define MAX_LINE (64u << 20)   /* replies: a status of a huge tree stays below */
#define PEEK_CHUNK 65536

int fl_fs_socket_path_canonical(const char *abs_mountpoint, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	int n;

	if (!abs_mountpoint || abs_mountpoint[0] != '/')
		return -EINVAL;
	for (const unsigned char *p = (const unsigned char *)abs_mountpoint; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	n = snprintf(buf, len, "%s/%016llx.sock", FL_FS_SOCKET_DIR, (unsigned long long)h);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int fl_fs_socket_path(const char *mountpoint, char *buf, size_t len)
{
	char real[PATH_MAX];

	if (!mountpoint || !realpath(mountpoint, real))
		return mountpoint ? -errno : -EINVAL;
	return fl_fs_socket_path_canonical(real, buf, len);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

int fl_fs_check_mount(const char *mountpoint)
{
	char real[PATH_MAX], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;
	int err;

	if (!mountpoint)
		return -EINVAL;
	if (!realpath(mountpoint, real))
		return -errno;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok, *mnt = NULL, *sep;
		int field = 0;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SRC SUPER */
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			if (++field == 5)
				mnt = tok;
		if (!mnt)
			continue;
		tok = strtok_r(sep + 3, " \n", &save);
		unescape(mnt);
		/* The last mount on a path is the one visible there. */
		if (!strcmp(mnt, real))
			found = tok && !strcmp(tok, "fuse.faultfs");
	}
	err = ferror(f) ? -EIO : 0;
	free(line);
	fclose(f);
	if (err)
		return err;
	return found ? 0 : -EMEDIUMTYPE;
}

int fl_fs_connect(const char *mountpoint, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	err = fl_fs_check_mount(mountpoint);
	if (err)
		return err;
	err = fl_fs_socket_path(mountpoint, sa.sun_path, sizeof(sa.sun_path));
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

int fl_fs_send(int fd, json_t *req)
{
	char *s;
	size_t n, done = 0;
	int err = 0;

	if (!json_is_object(req))
		return -EINVAL;
	s = json_dumps(req, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	s[n] = '\n';   /* json_dumps leaves room for the NUL we overwrite */
	n++;
	while (done < n) {
		ssize_t k = send(fd, s + done, n - done, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = -errno;
			break;
		}
		done += (size_t)k;
	}
	free(s);
	return err;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int timeout = -1, r;

	if (deadline >= 0) {
		int64_t left = deadline - mono_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		timeout = left > INT_MAX ? INT_MAX : (int)left;
	}
	r = poll(&p, 1, timeout);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int fl_fs_read_line(int fd, int timeout_ms, char **ret_line)
{
	int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	char *line = NULL, *peek = malloc(PEEK_CHUNK);
	size_t len = 0;
	int err = 0;

	if (!peek)
		return -ENOMEM;
	for (;;) {
		ssize_t k;
		char *nl, *grown;
		size_t take;

		err = wait_readable(fd, deadline);
		if (err)
			break;
		/* Peek, then consume only up to the newline. */
		k = recv(fd, peek, PEEK_CHUNK, MSG_PEEK);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0) {
			err = -errno;
			break;
		}
		if (k == 0) {
			err = -ECONNRESET;
			break;
		}
		nl = memchr(peek, '\n', (size_t)k);
		take = nl ? (size_t)(nl - peek) + 1 : (size_t)k;
		if (len + take > MAX_LINE) {
			err = -EMSGSIZE;
			break;
		}
		grown = realloc(line, len + take + 1);
		if (!grown) {
			err = -ENOMEM;
			break;
		}
		line = grown;
		k = recv(fd, line + len, take, MSG_WAITALL);
		if (k != (ssize_t)take) {
			err = k < 0 ? -errno : -ECONNRESET;
			break;
		}
		len += take;
		if (nl) {
			line[len - 1] = '\0';
			break;
		}
	}
	free(peek);
	if (err) {
		free(line);
		return err;
	}
	*ret_line = line;
	return 0;
}

int fl_fs_read_json(int fd, int timeout_ms, json_t **ret)
{
	char *line = NULL;
	json_t *o;
	int err;

	err = fl_fs_read_line(fd, timeout_ms, &line);
	if (err)
		return err;
	o = json_loads(line, 0, NULL);
	free(line);
	if (!json_is_object(o)) {
		json_decref(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

int fl_fs_request(int fd, json_t *req, json_t **ret_reply, int timeout_ms)
{
	int err = fl_fs_send(fd, req);

	if (err)
		return err;
	return fl_fs_read_json(fd, timeout_ms, ret_reply);
}

const char *fl_fs_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case EMEDIUMTYPE:
		return "not a faultfs mount";
	case ECONNREFUSED:
		return "faultfs does not answer on its control socket (is it still running?)";
	case ENOENT:
		return "no such mount point, or faultfs has no control socket for it";
	case EACCES:
	case EPERM:
		return "permission denied: the control socket is root only";
	case ETIMEDOUT:
		return "faultfs did not answer in time";
	case ECONNRESET:
		return "faultfs closed the connection";
	case EBADMSG:
		return "faultfs sent a reply that is not a JSON object";
	case EMSGSIZE:
		return "reply too long";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

#define STALE_MIN_AGE_S 5

bool fl_fs_socket_abandoned(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool stale;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	stale = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == ECONNREFUSED;
	close(fd);
	return stale;
}

int fl_fs_remove_stale_sockets(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int removed = 0;
	time_t now = time(NULL);
	DIR *d;

	if (!dir)
		dir = FL_FS_SOCKET_DIR;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		if (now - st.st_mtime < STALE_MIN_AGE_S)
			continue;
		if (fl_fs_socket_abandoned(path) && unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
