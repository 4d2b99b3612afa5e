// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What is exec'ed: ssh's own argv, and the one string that ssh hands to
 * the remote user's shell. ssh joins its command words with spaces and
 * the remote shell splits them again, so every argument is quoted here
 * for that shell: a rule like 'tcp:dport=5432:drop:prob=30%' or a path
 * with a space arrives as one word, and `;` or `$(...)` arrive as text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <faultline/remote.h>

#include "remote/remote_priv.h"

/* Characters no POSIX shell (nor csh) gives a meaning to inside a word. */
static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_./:=,@%+-", c)))
			return true;
	}
	return false;
}

struct out {
	char *buf;
	size_t len, at;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->at + n >= o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->at, s, n);
	o->at += n;
	o->buf[o->at] = '\0';
}

static void put_word(struct out *o, const char *s)
{
	if (o->at)
		put(o, " ", 1);
	if (!needs_quotes(s)) {
		put(o, s, strlen(s));
		return;
	}
	put(o, "'", 1);
	for (const char *q; (q = strchr(s, '\'')); s = q + 1) {
		put(o, s, (size_t)(q - s));
		put(o, "'\\''", 4);
	}
	put(o, s, strlen(s));
	put(o, "'", 1);
}

int fl_remote_quote_argv(const char *const argv[], char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; argv[i]; i++)
		put_word(&o, argv[i]);
	return o.full ? -ENOSPC : 0;
}

/* Copy s into storage and return the copy, or NULL when it is full. */
static char *keep(char *storage, size_t len, size_t *at, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (*at + n > len)
		return NULL;
	p = storage + *at;
	memcpy(p, s, n);
	*at += n;
	return p;
}

int fl_remote_ssh_argv(const struct fl_remote *r, const char *remote_cmd,
		       char *storage, size_t storage_len, char *ret_argv[FL_REMOTE_MAX_ARGV])
{
	static const char *const hostkey[] = {
		[FL_REMOTE_HOSTKEY_STRICT] = "StrictHostKeyChecking=yes",
		[FL_REMOTE_HOSTKEY_ACCEPT_NEW] = "StrictHostKeyChecking=accept-new",
		[FL_REMOTE_HOSTKEY_OFF] = "StrictHostKeyChecking=no",
	};
	char *argv[FL_REMOTE_MAX_ARGV], tmp[4200];
	size_t at = 0, n = 0;
	bool full = false;

#define ARG(s)                                                                   \
	do {                                                                     \
		char *a_ = keep(storage, storage_len, &at, (s));                 \
		if (!a_ || n + 1 >= FL_REMOTE_MAX_ARGV)                          \
			full = true;                                             \
		else                                                             \
			argv[n++] = a_;                                          \
	} while (0)

	if (!r || !r->host[0] || !remote_cmd)
		return -EINVAL;
	if ((unsigned)r->hostkey > FL_REMOTE_HOSTKEY_OFF)
		return -EINVAL;
	ARG(r->ssh ? r->ssh : "ssh");
	/* No password or passphrase prompt can hang us: keys or nothing. */
	ARG("-o");
	ARG("BatchMode=yes");
	ARG("-o");
	snprintf(tmp, sizeof(tmp), "ConnectTimeout=%u", r->connect_timeout_s ? r->connect_timeout_s : 5);
	ARG(tmp);
	/* Only the command's own stderr and ssh's errors, no banners. */
	ARG("-o");
	ARG("LogLevel=ERROR");
	ARG("-T");
	if (r->identity) {
		ARG("-i");
		ARG(r->identity);
		ARG("-o");
		ARG("IdentitiesOnly=yes");
	}
	if (r->known_hosts) {
		if (snprintf(tmp, sizeof(tmp), "UserKnownHostsFile=%s", r->known_hosts) >= (int)sizeof(tmp))
			return -ENOSPC;
		ARG("-o");
		ARG(tmp);
	}
	if (r->hostkey != FL_REMOTE_HOSTKEY_DEFAULT) {
		ARG("-o");
		ARG(hostkey[r->hostkey]);
	}
	snprintf(tmp, sizeof(tmp), "%u", r->port ? r->port : 22);
	ARG("-p");
	ARG(tmp);
	if (r->user[0]) {
		ARG("-l");
		ARG(r->user);
	}
	/* After --, a host that begins with '-' cannot be read as an option. */
	ARG("--");
	ARG(r->host);
	ARG(remote_cmd);
#undef ARG
	if (full)
		return -ENOSPC;
	argv[n] = NULL;
	memcpy(ret_argv, argv, (n + 1) * sizeof(argv[0]));
	return 0;
}

/* NAME=VALUE with a shell-style NAME: env(1) must not read it as an option. */
static bool env_entry(const char *e)
{
	const char *eq = strchr(e, '=');

	if (!eq || eq == e || (*e >= '0' && *e <= '9'))
		return false;
	for (const char *p = e; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

int fl_remote_faultline_cmd(const struct fl_remote *r, const char *const argv[], char *buf,
			    size_t len)
{
	const char *words[FL_REMOTE_MAX_ARGV + FL_REMOTE_MAX_ENV + 6];
	size_t n = 0, nenv = 0;
	int at;

	if (!r || !argv || !argv[0] || !len)
		return -EINVAL;
	for (size_t i = 0; i < FL_REMOTE_MAX_ENV && r->env[i]; i++) {
		if (!env_entry(r->env[i]))
			return -EINVAL;
		nenv++;
	}
	at = snprintf(buf, len, "echo \"" PID_MARK "$$\" >&2; exec ");
	if (at < 0 || (size_t)at >= len)
		return -ENOSPC;
	/* -n: fail at once where sudo would ask for a password. */
	if (r->sudo) {
		words[n++] = "sudo";
		words[n++] = "-n";
	}
	if (nenv)
		words[n++] = "env";
	for (size_t i = 0; i < nenv; i++)
		words[n++] = r->env[i];
	words[n++] = r->faultline ? r->faultline : "faultline";
	/* The global option: it must not land after a `--` that ends faultline's options. */
	words[n++] = "--json";
	for (size_t i = 0; argv[i]; i++) {
		if (n + 1 >= sizeof(words) / sizeof(words[0]))
			return -E2BIG;
		words[n++] = argv[i];
	}
	words[n] = NULL;
	return fl_remote_quote_argv(words, buf + at, len - (size_t)at);
}
