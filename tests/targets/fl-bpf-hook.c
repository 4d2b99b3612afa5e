// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fl-bpf-hook OBJECT PROGRAM: load a BPF object, attach one of its
 * programs, print "attached" and hold it until SIGTERM or SIGINT. The
 * bench uses it to measure what a hook costs bystanders with a program
 * that does nothing (bpf/bench_empty.bpf.c). The link lives in this
 * process's descriptors only: it goes when the process does.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *prog, *p;
	struct bpf_link *link = NULL;
	sigset_t set;
	int err = 1, sig;

	if (argc != 3) {
		fprintf(stderr, "usage: fl-bpf-hook OBJECT PROGRAM\n");
		return 2;
	}
	/* Blocked from the start: a signal before the wait is not lost. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	libbpf_set_print(NULL);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "fl-bpf-hook: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog) {
		fprintf(stderr, "fl-bpf-hook: %s has no program %s\n", argv[1], argv[2]);
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
		fprintf(stderr, "fl-bpf-hook: attach %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	printf("attached\n");
	fflush(stdout);
	sigwait(&set, &sig);
	err = 0;
out:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return err;
}
