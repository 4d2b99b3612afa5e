// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * errno and signal names, taken from glibc (strerrorname_np, sigabbrev_np)
 * so they always match the C library the target runs with.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <faultline/rule.h>
#include "errno_names.h"

#define ERRNO_MAX 4095 /* the kernel's MAX_ERRNO */
#define SIG_MAX   64   /* the kernel's _NSIG */
#define SIG_NAME_LEN 24

struct errno_entry {
	const char *name;
	int value;
};

static struct {
	struct errno_entry errnos[ERRNO_MAX];
	unsigned n_errnos;
	char sig_names[SIG_MAX + 1][SIG_NAME_LEN];
} tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/*
 * Second names glibc gives the same value; strerrorname_np() returns only
 * one name per value, yet users write these.
 */
static const struct errno_entry errno_aliases[] = {
	{ "EWOULDBLOCK", EAGAIN },
	{ "EDEADLOCK", EDEADLK },
	{ "ENOTSUP", EOPNOTSUPP },
};

static const struct errno_entry signal_aliases[] = {
	{ "IOT", SIGABRT },
	{ "IO", SIGIO },
	{ "CLD", SIGCHLD },
};

static void build_tables(void)
{
	int rtmin = SIGRTMIN, rtmax = SIGRTMAX;
	int i;

	for (i = 1; i <= ERRNO_MAX; i++) {
		const char *name = strerrorname_np(i);

		if (name)
			tables.errnos[tables.n_errnos++] =
				(struct errno_entry){ name, i };
	}

	for (i = 1; i <= SIG_MAX; i++) {
		const char *abbrev = sigabbrev_np(i);
		char *out = tables.sig_names[i];

		if (abbrev)
			snprintf(out, SIG_NAME_LEN, "SIG%s", abbrev);
		else if (i == rtmin)
			snprintf(out, SIG_NAME_LEN, "SIGRTMIN");
		else if (i == rtmax)
			snprintf(out, SIG_NAME_LEN, "SIGRTMAX");
		else if (i > rtmin && i < rtmax)
			snprintf(out, SIG_NAME_LEN, "SIGRTMIN+%d", i - rtmin);
		/* else: reserved by glibc (32, 33), numeric only */
	}
}

static void tables_init(void)
{
	pthread_once(&tables_once, build_tables);
}

const char *fl_errno_name(int err)
{
	if (err <= 0 || err > ERRNO_MAX)
		return NULL;
	return strerrorname_np(err);
}

int fl_errno_lookup(const char *name)
{
	unsigned i;

	tables_init();
	for (i = 0; i < tables.n_errnos; i++)
		if (!strcasecmp(name, tables.errnos[i].name))
			return tables.errnos[i].value;
	for (i = 0; i < sizeof(errno_aliases) / sizeof(errno_aliases[0]); i++)
		if (!strcasecmp(name, errno_aliases[i].name))
			return errno_aliases[i].value;
	return -ENOENT;
}

const char *fl_signal_name(int sig)
{
	if (sig <= 0 || sig > SIG_MAX)
		return NULL;
	tables_init();
	return tables.sig_names[sig][0] ? tables.sig_names[sig] : NULL;
}

int fl_signal_max(void)
{
	return SIGRTMAX;
}

/* "RTMIN+N" / "RTMAX-N" with the SIG prefix already removed. */
static int lookup_realtime(const char *name)
{
	int base, sign = 0;
	unsigned long n = 0;
	const char *p;

	if (!strncasecmp(name, "RTMIN", 5)) {
		base = SIGRTMIN;
	} else if (!strncasecmp(name, "RTMAX", 5)) {
		base = SIGRTMAX;
	} else {
		return -ENOENT;
	}
	p = name + 5;
	if (*p == '\0')
		return base;
	if (*p == '+')
		sign = 1;
	else if (*p == '-')
		sign = -1;
	else
		return -ENOENT;
	if (*++p == '\0')
		return -ENOENT;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -ENOENT;
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > SIG_MAX)
			return -ERANGE;
	}
	base += sign * (int)n;
	if (base < SIGRTMIN || base > SIGRTMAX)
		return -ERANGE;
	return base;
}

int fl_signal_lookup(const char *name)
{
	const char *bare = name;
	unsigned i;
	int sig;

	if (!strncasecmp(bare, "SIG", 3))
		bare += 3;
	if (*bare == '\0')
		return -ENOENT;

	sig = lookup_realtime(bare);
	if (sig != -ENOENT)
		return sig;

	tables_init();
	for (i = 1; i <= SIG_MAX; i++) {
		const char *known = tables.sig_names[i];

		if (!strncmp(known, "SIGRT", 5))
			continue;
		if (known[0] && !strcasecmp(bare, known + 3))
			return (int)i;
	}
	for (i = 0; i < sizeof(signal_aliases) / sizeof(signal_aliases[0]); i++)
		if (!strcasecmp(bare, signal_aliases[i].name))
			return signal_aliases[i].value;
	return -ENOENT;
}
