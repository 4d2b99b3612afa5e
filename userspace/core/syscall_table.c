// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syscall names and numbers of the build architecture, generated from the
 * kernel headers by tools/gen-syscall-names.sh.
 */
#include <errno.h>
#include <string.h>

#include <faultline/rule.h>

struct syscall_entry {
	const char *name;
	int nr;
};

static const struct syscall_entry syscalls[] = {
#define FL_SYSCALL(name, nr) { #name, nr },
#include "syscall_names.h"
#undef FL_SYSCALL
};

/* By number, for O(1) lookups; numbers are unique on every arch. */
static const char *const names_by_nr[] = {
#define FL_SYSCALL(name, nr) [nr] = #name,
#include "syscall_names.h"
#undef FL_SYSCALL
};

#define N_SYSCALLS (sizeof(syscalls) / sizeof(syscalls[0]))
#define N_BY_NR (sizeof(names_by_nr) / sizeof(names_by_nr[0]))

int fl_syscall_nr(const char *name)
{
	size_t i;

	if (!name)
		return -ENOENT;
	for (i = 0; i < N_SYSCALLS; i++)
		if (!strcmp(name, syscalls[i].name))
			return syscalls[i].nr;
	return -ENOENT;
}

const char *fl_syscall_name(int nr)
{
	if (nr < 0 || (size_t)nr >= N_BY_NR)
		return NULL;
	return names_by_nr[nr];
}
