/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test fixture: a real redis-server, PostgreSQL 15 or MariaDB from the Debian
 * packages (the library's managed services, fl_wl_managed_create), in a temporary directory, listening on 127.0.0.1 only, on a
 * free port, running as the package's own user (redis, postgres, mysql) when the
 * test is root. Nothing is installed, nothing of the system's is touched.
 *
 *   struct fl_service s;
 *   char why[256];
 *   if (!fl_service_available(FL_SVC_REDIS, why, sizeof(why))) { print why; skip(); }
 *   fl_service_create(&s, FL_SVC_REDIS, FL_SVC_SAFEST, why, sizeof(why));
 *   fl_service_start(&s, 10000, why, sizeof(why));   // background, waits until it answers
 *   ... s.url (the workload spec), s.start_cmd (for `faultline rpo --start`) ...
 *   fl_service_destroy(&s);                          // kill what runs from it, rm -r
 *
 * Every service not destroyed is also killed and removed at exit.
 */
#ifndef FL_TEST_SERVICES_H
#define FL_TEST_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum fl_svc_kind {
	FL_SVC_REDIS,
	FL_SVC_POSTGRES,
	FL_SVC_MYSQL,
};

/* How hard the server makes an acknowledged write durable. */
enum fl_svc_durability {
	/*
	 * redis: appendonly yes, appendfsync always; postgres: fsync on, synchronous_commit on;
	 * mysql: innodb_flush_log_at_trx_commit=1
	 */
	FL_SVC_SAFEST,
	/* redis: appendfsync everysec; postgres: synchronous_commit off; mysql: =2 */
	FL_SVC_RELAXED,
	/* redis: appendonly no, no snapshots (memory only); postgres: fsync off too; mysql: =0 */
	FL_SVC_NONE,
};

/* Room for the paths under a mkdtemp directory of /tmp. */
#define FL_SVC_PATH 128

struct fl_service {
	enum fl_svc_kind kind;
	enum fl_svc_durability durability;
	char root[64];               /* the temporary directory, removed by destroy */
	char data[FL_SVC_PATH];        /* the data directory (`faultline rpo -d`) */
	char log[FL_SVC_PATH];         /* the server's output, from fl_service_start */
	char pidfile[FL_SVC_PATH];     /* postgres: postmaster.pid */
	int port;
	char url[256];              /* the workload spec */
	char start_cmd[2048];       /* the server in the foreground (`--start`), for sh -c */
	char stop_cmd[2048];        /* stops the server however it was started, immediately */
	pid_t pid;                  /* fl_service_start: its process (group), else 0 */
	pid_t watcher;              /* kills it if the test dies without stopping it */
	int watch_fd;               /* the watcher's pipe; -1 */
	bool created;
	struct fl_wl_managed *managed; /* the library's server: config, port, start command */
};

const char *fl_service_name(enum fl_svc_kind kind);
/* Is the server installed? false, with what is missing in why. */
bool fl_service_available(enum fl_svc_kind kind, char *why, size_t len);
/* Temporary directory, config (postgres: initdb); nothing runs yet. 0 or -errno, why. */
int fl_service_create(struct fl_service *s, enum fl_svc_kind kind, enum fl_svc_durability d,
		      char *why, size_t len);
/* start_cmd in the background, output to log; waits until it answers. 0 or -errno, why. */
int fl_service_start(struct fl_service *s, int timeout_ms, char *why, size_t len);
/* Does it answer now (redis: PING; postgres: pg_isready)? */
bool fl_service_up(const struct fl_service *s);
/*
 * Stop it immediately (SIGKILL / pg_ctl stop -m immediate), however it was
 * started (fixture or `faultline rpo --start`), and every process left
 * whose working directory is the data directory. 0 when none is left.
 */
int fl_service_stop(struct fl_service *s);
/* Stop, then remove the temporary directory. */
void fl_service_destroy(struct fl_service *s);
/* The last lines of the server log, for failure messages (static buffer). */
const char *fl_service_log_tail(const struct fl_service *s);

#endif /* FL_TEST_SERVICES_H */
