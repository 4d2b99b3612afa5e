/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: the BPF programs and links of ours that are loaded right now
 * (program names start with "fl_"), so a test can tell which ones a
 * faultline it started loaded, and prove they are gone after it died.
 */
#ifndef FL_TEST_BPF_PROGS_H
#define FL_TEST_BPF_PROGS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <sys/types.h>

#define FL_BPF_PROG_PREFIX "fl_"

/* IDs of loaded programs whose name starts with FL_BPF_PROG_PREFIX (at most max). */
size_t fl_bpf_our_prog_ids(__u32 *ids, size_t max);
/* IDs in now[] that were not in before[] (into ret, at most nn). */
size_t fl_bpf_new_ids(const __u32 *before, size_t nb, const __u32 *now, size_t nn, __u32 *ret);
/* Wait until at least want programs of ours appeared that were not in before[]. */
size_t fl_bpf_wait_new_progs(const __u32 *before, size_t nb, size_t want, int timeout_ms,
			     __u32 *ret, size_t max);
/*
 * IDs of the BPF programs process pid holds open, directly or through a
 * link (from /proc/PID/fdinfo), whatever their names: what dies with it.
 * Unlike a before/after diff, programs that other sessions load meanwhile
 * are not counted.
 */
size_t fl_bpf_prog_ids_of_pid(pid_t pid, __u32 *ids, size_t max);
/* Is any of ids still loaded? */
bool fl_bpf_any_loaded(const __u32 *ids, size_t n);
/* Links (bpftool link show) whose program is one of ids. */
size_t fl_bpf_links_of(const __u32 *ids, size_t n);
/* The same question asked through `bpftool -j prog show`: how many of ids it lists; -1 on error. */
int fl_bpftool_count_progs(const __u32 *ids, size_t n);

#endif /* FL_TEST_BPF_PROGS_H */
