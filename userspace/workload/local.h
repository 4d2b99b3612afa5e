/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Managed services (<faultline/workload.h>, fl_wl_managed_*): local.c
 * holds what every kind shares (the spec, the directories, a free port,
 * dropping to the package's user, leftovers); local_postgres.c,
 * local_redis.c and local_mysql.c each define one kind.
 */
#ifndef FL_WORKLOAD_LOCAL_H
#define FL_WORKLOAD_LOCAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <faultline/workload.h>

struct fl_wl_local;

struct fl_wl_local_kind {
	const char *name;            /* "postgres": the spec is "postgres:local?..." */
	const char *user;            /* the package's user */
	int stop_signal;
	/* Is the server installed? -ENOENT with the missing package in errbuf. */
	int (*available)(char *errbuf, size_t errlen);
	/* One setting of the query: a key the config file can take, a value that stays one line. */
	int (*check)(const char *key, const char *val, char *errbuf, size_t errlen);
	/* Config and data directory (as the user); fills spec and start_cmd. */
	int (*create)(struct fl_wl_local *l, char *errbuf, size_t errlen);
	/* What a killed server leaves outside its directories (may be NULL). */
	void (*discard)(struct fl_wl_local *l);
};

extern const struct fl_wl_local_kind fl_wl_local_postgres;
extern const struct fl_wl_local_kind fl_wl_local_redis;
extern const struct fl_wl_local_kind fl_wl_local_mysql;

struct fl_wl_local {
	struct fl_wl_managed pub;    /* first: the public view */
	const struct fl_wl_local_kind *k;
	char root[256];              /* ours: config, sockets, logs; removed */
	char data[PATH_MAX];
	char spec[512];
	char start_cmd[16384];
	char user[64];
	char socket_dir[PATH_MAX];   /* set by a kind that has one, else "" */
	char bindir[256];            /* set by a kind that has one, else "" */
	char as_user[192];           /* "setpriv ... -- " in front of a command, or "" */
	uid_t uid;
	gid_t gid;
	char *given;                 /* the spec */
	char *query;                 /* the settings as given: "k=v&k2=v2", or "" */
	bool own_data;               /* create made the data directory: removed, not emptied */
	bool discarded;
};

/* errbuf (may be NULL) gets the message; returns err. */
int fl_wl_local_err(char *errbuf, size_t errlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Each "key=value" of the query, in order; stops at the first non-zero return. */
int fl_wl_local_each(const struct fl_wl_local *l,
		     int (*fn)(void *ctx, const char *key, const char *val), void *ctx);
/* Run cmd with sh -c, its output appended to ROOT/setup.log; its exit status or -errno. */
int fl_wl_local_sh(struct fl_wl_local *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The last line(s) of ROOT/setup.log, for a reason (static buffer). */
const char *fl_wl_local_setup_log(const struct fl_wl_local *l);
int fl_wl_local_write(const char *path, const char *text, const char *mode);
/* mkdir (mode) owned by the service's user; an existing one is chowned. */
int fl_wl_local_mkdir(const struct fl_wl_local *l, const char *path, mode_t mode);
/* Settings checked alike by every kind: key [A-Za-z0-9_.-], value without newline or quote-breakers. */
int fl_wl_local_check_plain(const char *what, const char *key, const char *val, char *errbuf,
			    size_t errlen);

#endif /* FL_WORKLOAD_LOCAL_H */
