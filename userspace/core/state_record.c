// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The typed record functions: validate what the caller gives, capture
 * what the undo will need to verify identity (mount id, process
 * starttime), and write one JSON record.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "state_priv.h"

int fl_state_record_mount(struct fl_state *st, const char *path, uint64_t *ret_id)
{
	char real[PATH_MAX];
	struct statx stx;
	json_t *rec;

	if (!path || path[0] != '/')
		return -EINVAL;
	if (!realpath(path, real))
		return -errno;
	rec = json_pack("{s:s}", "path", real);
	/* Plain mount ids are recycled at once; prefer the unique ones (6.8+). */
	if (rec && statx(AT_FDCWD, real, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
			 STATX_MNT_ID_UNIQUE, &stx) == 0 &&
	    (stx.stx_mask & STATX_MNT_ID_UNIQUE))
		json_object_set_new(rec, "mnt_id_unique",
				    json_integer((json_int_t)stx.stx_mnt_id));
	else if (rec && statx(AT_FDCWD, real, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
			      STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID))
		json_object_set_new(rec, "mnt_id", json_integer((json_int_t)stx.stx_mnt_id));
	return fl_state_write_record(st, "mount", rec, ret_id);
}

/* A path with no "." or ".." component, so the undo cannot wander off. */
static bool plain_absolute(const char *path)
{
	const char *p = path;

	if (!path || path[0] != '/' || strlen(path) >= PATH_MAX)
		return false;
	while (*p) {
		const char *c;
		size_t n;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	return true;
}

static int record_cgroup(struct fl_state *st, const char *path, bool kill, uint64_t *ret_id)
{
	char parent[PATH_MAX], *slash;
	struct statfs sfs;
	json_t *rec;

	if (!plain_absolute(path))
		return -EINVAL;
	/* The group itself may not exist yet; its parent must be cgroup2. */
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	if (statfs(parent, &sfs) < 0)
		return -errno;
	/* v2, or a v1 hierarchy (the memory controller of a hybrid setup). */
	if (sfs.f_type != CGROUP2_SUPER_MAGIC && sfs.f_type != CGROUP_SUPER_MAGIC)
		return -EINVAL;
	rec = json_pack("{s:s}", "path", path);
	/* Only when set: older faultlines read the record as before. */
	if (rec && kill && json_object_set_new(rec, "kill", json_true()) < 0) {
		json_decref(rec);
		return -ENOMEM;
	}
	return fl_state_write_record(st, "cgroup", rec, ret_id);
}

int fl_state_record_cgroup(struct fl_state *st, const char *path, uint64_t *ret_id)
{
	return record_cgroup(st, path, false, ret_id);
}

int fl_state_record_service_cgroup(struct fl_state *st, const char *path, uint64_t *ret_id)
{
	return record_cgroup(st, path, true, ret_id);
}

int fl_state_record_file(struct fl_state *st, const char *path, uint64_t *ret_id)
{
	struct stat sb;

	if (!plain_absolute(path))
		return -EINVAL;
	if (lstat(path, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	return fl_state_write_record(st, "file",
		json_pack("{s:s, s:I, s:I}", "path", path, "ino", (json_int_t)sb.st_ino,
			  "dev", (json_int_t)sb.st_dev), ret_id);
}

static int optional_netns(const char *netns)
{
	return netns && *netns ? fl_netns_name_valid(netns) : 0;
}

int fl_state_record_netns(struct fl_state *st, const char *name, uint64_t *ret_id)
{
	if (fl_netns_name_valid(name))
		return -EINVAL;
	return fl_state_write_record(st, "netns", json_pack("{s:s}", "name", name),
				     ret_id);
}

static bool ifname_valid(const char *ifname)
{
	return ifname && *ifname && strlen(ifname) < IFNAMSIZ && !strchr(ifname, '/');
}

int fl_state_record_qdisc(struct fl_state *st, const struct fl_state_qdisc *q,
			  uint64_t *ret_id)
{
	char parent[32], handle[32];

	if (!q || optional_netns(q->netns) || !ifname_valid(q->ifname))
		return -EINVAL;
	fl_tc_handle_format(q->parent, parent, sizeof(parent));
	fl_tc_handle_format(q->handle, handle, sizeof(handle));
	return fl_state_write_record(st, "qdisc",
		json_pack("{s:s, s:s, s:s, s:s, s:s}",
			  "netns", q->netns ? q->netns : "", "ifname", q->ifname,
			  "parent", parent, "handle", handle,
			  "qdisc", q->kind ? q->kind : ""), ret_id);
}

int fl_state_record_tc_filter(struct fl_state *st, const struct fl_state_tc_filter *f,
			      uint64_t *ret_id)
{
	char parent[32], handle[32];
	bool by_name;

	if (!f || optional_netns(f->netns) || f->prio == 0)
		return -EINVAL;
	by_name = f->ifname && *f->ifname;
	if (by_name ? !ifname_valid(f->ifname) : f->ifindex <= 0)
		return -EINVAL;
	fl_tc_handle_format(f->parent, parent, sizeof(parent));
	snprintf(handle, sizeof(handle), "0x%x", f->handle);
	return fl_state_write_record(st, "tc-filter",
		json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:s, s:s}",
			  "netns", f->netns ? f->netns : "",
			  "ifname", by_name ? f->ifname : "",
			  "ifindex", by_name ? 0 : f->ifindex,
			  "parent", parent, "prio", (int)f->prio,
			  "protocol", (int)f->protocol, "handle", handle,
			  "filter", f->kind ? f->kind : ""), ret_id);
}

int fl_state_record_link(struct fl_state *st, const struct fl_state_link *l,
			 uint64_t *ret_id)
{
	if (!l || optional_netns(l->netns) || !ifname_valid(l->ifname) || !l->kind ||
	    !*l->kind || strlen(l->kind) > 15)
		return -EINVAL;
	return fl_state_write_record(st, "link",
		json_pack("{s:s, s:s, s:s}", "netns", l->netns ? l->netns : "",
			  "ifname", l->ifname, "link", l->kind), ret_id);
}

static bool iptables_binary_valid(const char *b)
{
	static const char *const ok[] = {
		"iptables", "ip6tables", "iptables-legacy", "ip6tables-legacy",
		"iptables-nft", "ip6tables-nft",
	};

	for (size_t i = 0; b && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(b, ok[i]) == 0)
			return true;
	return false;
}

int fl_state_record_iptables(struct fl_state *st, const char *netns,
			     const char *binary, const char *table,
			     const char *const *rule, uint64_t *ret_id)
{
	json_t *rec, *argv;

	if (optional_netns(netns) || !iptables_binary_valid(binary) ||
	    !table || !*table || table[0] == '-' || !rule || !rule[0] ||
	    rule[0][0] == '-')
		return -EINVAL;
	argv = json_array();
	if (!argv)
		return -ENOMEM;
	for (size_t i = 0; rule[i]; i++) {
		if (json_array_append_new(argv, json_string(rule[i])) < 0) {
			json_decref(argv);
			return -EINVAL; /* not UTF-8, or no memory */
		}
	}
	rec = json_pack("{s:s, s:s, s:s, s:o}", "netns", netns ? netns : "",
			"binary", binary, "table", table, "rule", argv);
	return fl_state_write_record(st, "iptables", rec, ret_id);
}

/* Both words go into an nft command: nothing there but what names a table. */
bool fl_nft_table_valid(const char *family, const char *name)
{
	static const char *const families[] = { "inet", "ip", "ip6", "netdev", "bridge", "arp" };
	bool fam = false;
	size_t n;

	for (size_t i = 0; family && i < sizeof(families) / sizeof(families[0]); i++)
		fam |= strcmp(family, families[i]) == 0;
	if (!fam || !name || !*name || (n = strlen(name)) > 63 || !isalpha((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return false;
	return true;
}

int fl_state_record_nft_table(struct fl_state *st, const char *netns,
			      const char *family, const char *name, uint64_t *ret_id)
{
	if (optional_netns(netns) || !fl_nft_table_valid(family, name))
		return -EINVAL;
	return fl_state_write_record(st, "nft-table",
		json_pack("{s:s, s:s, s:s}", "netns", netns ? netns : "",
			  "family", family, "table", name), ret_id);
}

int fl_state_record_sigcont(struct fl_state *st, pid_t pid, uint64_t *ret_id)
{
	uint64_t start;
	int err;

	if (pid <= 0)
		return -EINVAL;
	err = fl_proc_starttime(pid, &start);
	if (err)
		return err;
	return fl_state_write_record(st, "sigcont",
		json_pack("{s:i, s:I}", "pid", (int)pid, "starttime", (json_int_t)start),
		ret_id);
}

int fl_state_record_stopped_map(struct fl_state *st, const char *pin, uint64_t *ret_id)
{
	if (!pin || pin[0] != '/' || strlen(pin) >= PATH_MAX || strstr(pin, "/../") ||
	    strstr(pin, "/./"))
		return -EINVAL;
	return fl_state_write_record(st, "stopped-map", json_pack("{s:s}", "pin", pin), ret_id);
}
