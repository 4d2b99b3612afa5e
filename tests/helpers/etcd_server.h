/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test fixture: one real etcd (Debian etcd-server) in a mkdtemp directory,
 * client and peer on free ports of 127.0.0.1, started in the background
 * as a child of the test (SIGKILLed if the test dies), stopped by its pid.
 *
 *   struct fl_etcd e;
 *   if (!fl_etcd_available(why, len)) skip;
 *   fl_etcd_create(&e, why, len);   fl_etcd_start(&e, 10000, why, len);
 *   ... e.url ("etcd://127.0.0.1:PORT"), e.start_cmd (for `faultline rpo --start`) ...
 *   fl_etcd_destroy(&e);            // kill it, rm -r
 */
#ifndef FL_TEST_ETCD_SERVER_H
#define FL_TEST_ETCD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fl_etcd {
	char root[64];               /* the temporary directory */
	char data[128];              /* etcd's --data-dir */
	char log[128];
	int port, peer_port;
	char url[64];                /* the workload spec */
	char start_cmd[1024];        /* etcd in the foreground, for sh -c */
	pid_t pid;                   /* while started here, else 0 */
	bool created;
};

bool fl_etcd_available(char *why, size_t len);
int fl_etcd_create(struct fl_etcd *e, char *why, size_t len);
/* Start in the background, wait until a linearizable read answers. */
int fl_etcd_start(struct fl_etcd *e, int timeout_ms, char *why, size_t len);
/* SIGKILL and reap what fl_etcd_start started (sig: SIGKILL, or SIGSTOP / SIGCONT). */
void fl_etcd_signal(struct fl_etcd *e, int sig);
void fl_etcd_stop(struct fl_etcd *e);
void fl_etcd_destroy(struct fl_etcd *e);

#endif
