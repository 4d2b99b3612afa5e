// SPDX-License-Identifier: GPL-2.0-only
#include "bpf_progs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <jansson.h>

#include "cli_run.h"

size_t fl_bpf_our_prog_ids(__u32 *ids, size_t max)
{
	__u32 id = 0;
	size_t n = 0;

	while (n < max && bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(info.name, FL_BPF_PROG_PREFIX, strlen(FL_BPF_PROG_PREFIX)) == 0)
			ids[n++] = id;
		close(fd);
	}
	return n;
}

static bool has(const __u32 *ids, size_t n, __u32 id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

size_t fl_bpf_new_ids(const __u32 *before, size_t nb, const __u32 *now, size_t nn, __u32 *ret)
{
	size_t n = 0;

	for (size_t i = 0; i < nn; i++)
		if (!has(before, nb, now[i]))
			ret[n++] = now[i];
	return n;
}

size_t fl_bpf_wait_new_progs(const __u32 *before, size_t nb, size_t want, int timeout_ms,
			     __u32 *ret, size_t max)
{
	uint64_t end = fl_cli_now_ms() + (uint64_t)timeout_ms;
	__u32 now[256];
	size_t got = 0;

	if (max > 256)
		max = 256;
	do {
		size_t nn = fl_bpf_our_prog_ids(now, max);

		got = fl_bpf_new_ids(before, nb, now, nn, ret);
		if (got >= want)
			break;
		usleep(5000);
	} while (fl_cli_now_ms() < end);
	return got;
}

size_t fl_bpf_prog_ids_of_pid(pid_t pid, __u32 *ids, size_t max)
{
	char dir[64], path[320], line[256];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned int id;

			if (sscanf(line, "prog_id: %u", &id) == 1 && !has(ids, n, id) && n < max)
				ids[n++] = id;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

bool fl_bpf_any_loaded(const __u32 *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0) {
			close(fd);
			return true;
		}
	}
	return false;
}

size_t fl_bpf_links_of(const __u32 *ids, size_t n)
{
	__u32 id = 0;
	size_t count = 0;

	while (bpf_link_get_next_id(id, &id) == 0) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && has(ids, n, info.prog_id))
			count++;
		close(fd);
	}
	return count;
}

int fl_bpftool_count_progs(const __u32 *ids, size_t n)
{
	char *argv[] = { "bpftool", "-j", "prog", "show", NULL };
	struct fl_cli_result r;
	json_t *root;
	size_t i;
	json_t *p;
	int count = 0;

	if (fl_cli_run(argv, 10000, &r) || r.code != 0) {
		fl_cli_result_free(&r);
		return -1;
	}
	root = json_loads(r.out, 0, NULL);
	fl_cli_result_free(&r);
	if (!json_is_array(root)) {
		json_decref(root);
		return -1;
	}
	json_array_foreach(root, i, p) {
		json_int_t id = json_integer_value(json_object_get(p, "id"));

		count += has(ids, n, (__u32)id);
	}
	json_decref(root);
	return count;
}
