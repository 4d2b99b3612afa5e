// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl-bpf-hook PROGRAM: load one program of bpf/bench_empty.bpf.c (programs
 * that do nothing, on the hooks a syscall rule could use; the object is
 * built in), attach it, print "attached" and hold it until SIGTERM or
 * SIGINT. The bench uses it to measure what a hook costs bystanders, here
 * and in the VM (make check-vm copies the targets, not the BPF objects).
 * The link lives in this process's descriptors only: it goes when the
 * process does.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "bench_empty.skel.h"

int main(int argc, char **argv)
{
	struct bench_empty_bpf *skel;
	struct bpf_object *obj;
	struct bpf_program *prog, *p;
	struct bpf_link *link = NULL;
	sigset_t set;
	int err = 1, sig;

	if (argc != 2) {
		fprintf(stderr, "usage: fl-bpf-hook PROGRAM\n");
		return 2;
	}
	/* Blocked from the start: a signal before the wait is not lost. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	libbpf_set_print(NULL);
	skel = bench_empty_bpf__open();
	if (!skel) {
		fprintf(stderr, "fl-bpf-hook: open: %s\n", strerror(errno));
		return 1;
	}
	obj = skel->obj;
	prog = bpf_object__find_program_by_name(obj, argv[1]);
	if (!prog) {
		fprintf(stderr, "fl-bpf-hook: bench_empty.bpf.c has no program %s\n", argv[1]);
		goto out;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "fl-bpf-hook: load %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		fprintf(stderr, "fl-bpf-hook: attach %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	printf("attached\n");
	fflush(stdout);
	sigwait(&set, &sig);
	err = 0;
out:
	bpf_link__destroy(link);
	bench_empty_bpf__destroy(skel);
	return err;
}
