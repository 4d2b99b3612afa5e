/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the runner does to nodes, whatever they are: a cluster on this
 * machine (run_nodes_local.c: netns, cgroup and faultfs through the
 * cluster room) or hosts driven over SSH (run_nodes_ssh.c). One table of
 * operations, chosen per run; every call returns 0 or a negative errno
 * and says why in errbuf.
 */
#ifndef FL_SCENARIO_RUN_NODES_H
#define FL_SCENARIO_RUN_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/cluster.h>
#include <faultline/scenario.h>

struct sc_run;

struct sc_nodes_ops {
	const char *name;
	/* What carries each process and partition fault here, for the result. */
	const char *mechanism[FL_SOP_PROMOTE + 1];
	/* Bring every node up and healthy (r->n set); down removes it all again. */
	int (*up)(struct sc_run *r, char *errbuf, size_t errlen);
	int (*down)(struct sc_run *r, char *errbuf, size_t errlen);
	/* The workload spec a client uses to reach node i. */
	int (*client_spec)(struct sc_run *r, unsigned i, char **ret);

	int (*start)(struct sc_run *r, unsigned i, char *errbuf, size_t errlen);
	int (*stop)(struct sc_run *r, unsigned i, int timeout_ms, char *errbuf, size_t errlen);
	int (*crash)(struct sc_run *r, unsigned i, char *errbuf, size_t errlen);
	int (*pause)(struct sc_run *r, unsigned i, char *errbuf, size_t errlen);
	int (*resume)(struct sc_run *r, unsigned i, char *errbuf, size_t errlen);
	/* SIGKILL of the service, then its disk cut: rep gets what was undone. */
	int (*powercut)(struct sc_run *r, unsigned i, struct fl_node_powercut_report *rep,
			char *errbuf, size_t errlen);
	/* 0 healthy, else a negative errno. */
	int (*health)(struct sc_run *r, unsigned i, int timeout_ms);
	bool (*running)(struct sc_run *r, unsigned i);
	int (*wait_healthy)(struct sc_run *r, int timeout_ms, char *errbuf, size_t errlen);

	/* Cut nodes a from nodes b, both ways, until heal(ret). */
	int (*partition)(struct sc_run *r, const unsigned *a, size_t na, const unsigned *b,
			 size_t nb, void **ret, char *errbuf, size_t errlen);
	int (*heal)(struct sc_run *r, void *partition, char *errbuf, size_t errlen);
	/*
	 * A disk=, syscall= or net= rule on node i, until fault_clear(ret);
	 * mech gets the mechanism that carries it.
	 */
	int (*fault_arm)(struct sc_run *r, unsigned i, enum fl_node_fault_kind kind,
			 const char *rule, void **ret, char *mech, size_t mech_len,
			 char *errbuf, size_t errlen);
	int (*fault_clear)(struct sc_run *r, void *fault, uint64_t *ret_matched,
			   uint64_t *ret_injected, char *errbuf, size_t errlen);

	/* The leader now; -EOPNOTSUPP for nodes without one. */
	int (*leader)(struct sc_run *r, int timeout_ms, unsigned *ret);
	int (*promote)(struct sc_run *r, unsigned i, int timeout_ms, char *errbuf, size_t errlen);
	/* The last lines of node i's service output, as progress lines. */
	void (*log_tail)(struct sc_run *r, unsigned i);
};

extern const struct sc_nodes_ops sc_nodes_local;
extern const struct sc_nodes_ops sc_nodes_ssh;

#endif /* FL_SCENARIO_RUN_NODES_H */
