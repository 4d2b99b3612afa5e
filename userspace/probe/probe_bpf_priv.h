/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers shared by the BPF probes in probe_bpf.c and probe_bpf_net.c. */
#ifndef FAULTLINE_PROBE_BPF_PRIV_H
#define FAULTLINE_PROBE_BPF_PRIV_H

#include <stdbool.h>
#include <bpf/libbpf.h>

#include "probe/probe_internal.h"

/* Generous: the slowest probe (vmlinux BTF parse + a 20 ms spin) takes ~100 ms. */
#define FL_PROBE_CHILD_TIMEOUT_MS 3000

/*
 * Run fn in a forked child (flags as for fl_child_run) with libbpf quiet,
 * and copy the result it fills back into r. Whatever fn loads or attaches
 * dies with the child. Returns 0, or -errno when the probe itself broke.
 */
int fl_probe_bpf_in_child(int (*fn)(struct fl_probe_result *r, void *arg), void *arg,
			  unsigned flags, struct fl_probe_result *r);

/* Explain a failed program load; the probes' CO-RE needs kernel BTF. */
void fl_probe_bpf_load_failure(struct fl_probe_result *r, int err, const char *what);

/* Silence libbpf; returns the previous printer for libbpf_set_print(). */
libbpf_print_fn_t fl_probe_bpf_quiet(void);

/* Load none of obj's programs unless re-enabled with bpf_program__set_autoload(). */
void fl_probe_bpf_autoload_none(struct bpf_object *obj);

/*
 * True when the verifier says prog_type (with expected attach type attach)
 * may not call helper: the kernel predates it or lacks its config option.
 */
bool fl_probe_bpf_helper_missing(enum bpf_prog_type prog_type, enum bpf_attach_type attach,
				 enum bpf_func_id helper);

#endif
