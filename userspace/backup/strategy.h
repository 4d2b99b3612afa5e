/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A backup strategy: how one real backup tool is driven. The runner
 * (run*.c) owns the service, the load, the clock and the faults; a
 * strategy only configures the service for its tool, takes a backup of a
 * kind when told, checks its repository, and puts the data back into an
 * empty data directory. One file per strategy (strategy_*.c), listed in
 * strategies.c.
 *
 * Every hook returns 0 or a negative errno, prints nothing, and says why
 * in c->errbuf. Tools run through fl_bk_cmd(), bounded in time.
 */
#ifndef FL_BACKUP_STRATEGY_H
#define FL_BACKUP_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <faultline/backup.h>

/* The store being backed up, as a strategy sees it. */
struct fl_bk_store {
	const char *kind;        /* "postgres", "redis", "sqlite", "file" */
	const char *data_dir;    /* the service's data directory */
	const char *store_path;  /* sqlite, file: the database, the log; else NULL */
	const char *user;        /* the service's user: tools touching data_dir run as it; NULL: root */
	int port;                /* postgres, redis: on 127.0.0.1; else 0 */
	const char *socket_dir;  /* postgres: its unix socket directory; else NULL */
	const char *settings;    /* postgres:local?QUERY, redis:local?QUERY: the query as given, or "" */
	const char *spec;        /* the client's workload spec (postgres://..., redis://..., sqlite:PATH) */
	const char *bindir;      /* postgres: the server's bin directory (initdb, pg_ctl, ...); else NULL */
};

/* What the runner hands every hook. */
struct fl_bk_ctx {
	const struct fl_bk_store *store;
	const char *repo;        /* the strategy's own directory (empty at configure), kept across the trial */
	const char *work;        /* scratch directory, emptied by nobody: name files uniquely */
	const char *backup_cmd;  /* exec: --backup-cmd */
	const char *restore_cmd; /* exec: --restore-cmd */
	const char *verify_cmd;  /* exec: --verify-cmd, or NULL */
	void *priv;              /* the strategy's own state: set in configure, freed in release */
	char *errbuf;
	size_t errlen;
};

/* One backup taken. */
struct fl_bk_taken {
	uint64_t bytes;          /* what this backup added to the repository */
	char label[128];         /* the tool's name for it (pgBackRest label, restic id, file) */
};

/* What to restore. */
struct fl_bk_target {
	bool pitr;               /* false: the latest the repository can give */
	struct timespec wall;    /* pitr: CLOCK_REALTIME of the target */
	char text[64];           /* pitr: the target as the tool wants it: "2026-12-06 13:02:03.123456+00" */
};

/* The restore's own phases; the runner measures replay and the first write. */
struct fl_bk_phases {
	uint64_t fetch_ns;       /* reading the backup out of the repository (0: not separable) */
	uint64_t restore_ns;     /* writing it into the data directory */
};

/* The tool's verdict on its repository. */
enum fl_bk_verify {
	FL_BK_VERIFY_NONE = 0,   /* the tool has no such check */
	FL_BK_VERIFY_OK,
	FL_BK_VERIFY_FAILED,     /* it found damage: the reason in errbuf */
};

struct fl_backup_strategy {
	const char *name;        /* --strategy NAME */
	const char *tool;        /* "pgBackRest", for the report */
	unsigned kinds;          /* 1u << enum fl_backup_kind it can take */
	bool pitr;
	const char *stores;      /* the store kinds it works on, space-separated: "postgres" */
	const char *packages;    /* Debian packages it needs, for the error: "pgbackrest" */
	/* Its tools are installed: -ENOENT naming the package otherwise. */
	int (*available)(struct fl_bk_ctx *c);
	/*
	 * Before the service first starts (its data directory exists): the
	 * service's settings the tool needs (WAL archiving). May be NULL.
	 */
	int (*configure)(struct fl_bk_ctx *c);
	/* The service is up and empty of records: make the repository (stanza, init). May be NULL. */
	int (*prepare)(struct fl_bk_ctx *c);
	/* Take one backup of kind while the load writes. */
	int (*backup)(struct fl_bk_ctx *c, enum fl_backup_kind kind, struct fl_bk_taken *ret);
	/*
	 * After a fault that left the store running and its disk whole
	 * (drop-table, exec), before it is stopped: bring the repository up
	 * to now, as an operator would before restoring (archive the WAL
	 * that holds the mistake, so a point in time before it can be
	 * reached). May be NULL.
	 */
	int (*settle)(struct fl_bk_ctx *c);
	/* The tool's own check of its repository (pgbackrest verify, restic check). May be NULL. */
	int (*verify)(struct fl_bk_ctx *c, enum fl_bk_verify *ret);
	/*
	 * The service is stopped and its data directory exists, empty, owned
	 * by the store's user: put the data back (and, for a PITR, what makes
	 * the service replay up to the target and stop there). The service is
	 * then started by the runner with its usual command.
	 */
	int (*restore)(struct fl_bk_ctx *c, const struct fl_bk_target *t, struct fl_bk_phases *ret);
	/* Free c->priv. May be NULL. */
	void (*release)(struct fl_bk_ctx *c);
};

/* The table (strategies.c). */
const struct fl_backup_strategy *fl_backup_strategy_find(const char *name);
/* The i-th strategy of the table, NULL past the last. */
const struct fl_backup_strategy *fl_backup_strategy_at(size_t i);
/* The names, comma-separated, for help and errors. */
const char *fl_backup_strategy_names(void);
/* Does s work on the store kind? */
bool fl_backup_strategy_takes(const struct fl_backup_strategy *s, const char *store_kind);

/*
 * Run argv (argv[0] looked up on $PATH) as user (NULL: as the caller) in
 * dir (NULL: /), with env (NULL-terminated "K=V" added to the user's
 * environment, may be NULL), stdin from /dev/null, stdout and stderr
 * together into out (the last outlen - 1 bytes, NUL-terminated; out may
 * be NULL). Killed (its process group) after timeout_ms. 0 on exit 0;
 * -EIO on another exit (errbuf: "NAME exited N: LAST LINE"),
 * -ETIMEDOUT, -ENOENT (not installed), or another -errno.
 */
int fl_bk_cmd(struct fl_bk_ctx *c, const char *user, const char *dir, const char *const *env,
	      int timeout_ms, char *out, size_t outlen, const char *const *argv);
/* The same, with c's user (c->store->user). */
int fl_bk_cmd_as_store(struct fl_bk_ctx *c, int timeout_ms, char *out, size_t outlen,
		       const char *const *argv);
/* Bytes under path (a file or a tree, not following symlinks); 0 when absent. */
uint64_t fl_bk_du(const char *path);
/* Copy a file (mode and owner kept); the copy is fsynced. */
int fl_bk_copy_file(const char *from, const char *to);
/*
 * Remove what is below path, and path itself unless keep_top; not across
 * mounts, not following symlinks. 0 (also when path is absent) or -errno.
 */
int fl_bk_remove_tree(const char *path, bool keep_top);
/* chown -R path to the store's user (after a restore wrote files as root). */
int fl_bk_chown_store(struct fl_bk_ctx *c, const char *path);

/* Long enough for a backup of a few MB on a loaded 2-core host. */
#define FL_BK_TOOL_MS 120000

#endif /* FL_BACKUP_STRATEGY_H */
