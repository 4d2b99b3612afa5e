// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A remote host from an ssh:// URL or from its parts, with the defaults
 * of <faultline/remote.h>.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/remote.h>

#include "core/errbuf.h"

#define DEFAULT_CONNECT_TIMEOUT_S 5

/* A name ssh would take as an option, or with a space in it, is refused. */
static bool plain(const char *s)
{
	if (!*s || *s == '-')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '\'' || *s == '"' || *s == '\\' ||
		    *s == '/' || *s == '@' || *s == 0x7f)
			return false;
	return true;
}

int fl_remote_init(struct fl_remote *ret, const char *user, const char *host, uint16_t port,
		   char *errbuf, size_t errlen)
{
	struct fl_remote r;

	memset(&r, 0, sizeof(r));
	if (!host || !plain(host) || strlen(host) >= sizeof(r.host)) {
		fl_errf(errbuf, errlen, "remote host: expected a host name or address, got \"%s\"",
			host ? host : "");
		return -EINVAL;
	}
	if (user && *user && (!plain(user) || strlen(user) >= sizeof(r.user))) {
		fl_errf(errbuf, errlen, "remote host: bad user name \"%s\"", user);
		return -EINVAL;
	}
	strcpy(r.host, host);
	if (user)
		strcpy(r.user, user);
	r.port = port ? port : 22;
	r.connect_timeout_s = DEFAULT_CONNECT_TIMEOUT_S;
	r.faultline = "faultline";
	r.ssh = "ssh";
	*ret = r;
	return 0;
}

int fl_remote_parse(const char *url, struct fl_remote *ret, char *errbuf, size_t errlen)
{
	char buf[512], *p, *at, *host, *port = NULL, *user = NULL;
	unsigned long n = 22;

	if (!url || strncmp(url, "ssh://", 6) || strlen(url + 6) >= sizeof(buf)) {
		fl_errf(errbuf, errlen, "remote host: expected ssh://[USER@]HOST[:PORT], got \"%s\"",
			url ? url : "");
		return -EINVAL;
	}
	strcpy(buf, url + 6);
	p = buf;
	/* A trailing slash is what people paste; a path is not ours to take. */
	if (*p && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	at = strrchr(p, '@');
	if (at) {
		*at = '\0';
		user = p;
		p = at + 1;
	}
	if (*p == '[') {
		char *close = strchr(p, ']');

		if (!close || (close[1] && close[1] != ':'))
			goto bad;
		*close = '\0';
		host = p + 1;
		if (close[1] == ':')
			port = close + 2;
	} else {
		host = p;
		port = strchr(p, ':');
		if (port)
			*port++ = '\0';
	}
	if (port) {
		char *end;

		errno = 0;
		n = strtoul(port, &end, 10);
		if (!*port || *end || errno || n == 0 || n > 65535)
			goto bad;
	}
	if (user && !*user)
		goto bad;
	return fl_remote_init(ret, user, host, (uint16_t)n, errbuf, errlen);
bad:
	fl_errf(errbuf, errlen, "remote host: expected ssh://[USER@]HOST[:PORT] (PORT 1-65535), got \"%s\"",
		url);
	return -EINVAL;
}
