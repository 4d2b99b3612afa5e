// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Qdisc probes: add the qdisc for real on lo inside a scratch network
 * namespace, read it back, delete it. The namespace dies with the child,
 * so a probe can never leave a qdisc on a host interface.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include "core/child.h"
#include "probe/probe_internal.h"
#include "probe/probe_nl.h"

#define QDISC_TIMEOUT_MS 2000
#define QDISC_NL_TIMEOUT_MS 1000
#define QDISC_HANDLE TC_HANDLE(1, 0)
#define QDISC_CLASS  TC_HANDLE(1, 0x10)

struct qdisc_spec {
	const char *kind;
	const char *module;
	const char *config;
	const char *what;  /* what the probe configured, for the detail */
	int (*configure)(struct rtnl_qdisc *q);
	bool with_class;   /* HTB is only useful with a class under it */
};

enum qdisc_stage {
	QD_OK = 0,
	QD_SOCKET,
	QD_CONFIGURE,
	QD_ADD,
	QD_CLASS,
	QD_READBACK,
	QD_DELETE,
};

static const char *const stage_names[] = {
	[QD_OK]        = "ok",
	[QD_SOCKET]    = "open a route netlink socket",
	[QD_CONFIGURE] = "build the qdisc",
	[QD_ADD]       = "add the qdisc on lo",
	[QD_CLASS]     = "add a class",
	[QD_READBACK]  = "read the qdisc back",
	[QD_DELETE]    = "delete the qdisc",
};

struct qdisc_shared {
	int stage;
	int err;
	char kmsg[128];
	char kind_seen[32];
};

static int netem_configure(struct rtnl_qdisc *q)
{
	rtnl_netem_set_delay(q, 10000); /* microseconds */
	return 0;
}

static int fq_configure(struct rtnl_qdisc *q)
{
	/* libnl has no fq module: the kind alone asks for the kernel's defaults. */
	return 0;
}

static int htb_configure(struct rtnl_qdisc *q)
{
	return rtnl_htb_set_defcls(q, QDISC_CLASS);
}

static int tbf_configure(struct rtnl_qdisc *q)
{
	rtnl_qdisc_tbf_set_limit(q, 10000);
	rtnl_qdisc_tbf_set_rate(q, 125000, 1600, 0); /* 1 Mbit/s, 1600-byte bucket */
	return 0;
}

static const struct qdisc_spec netem_spec = {
	"netem", "sch_netem", "CONFIG_NET_SCH_NETEM", "10 ms delay", netem_configure, false,
};
static const struct qdisc_spec fq_spec = {
	"fq", "sch_fq", "CONFIG_NET_SCH_FQ", "defaults", fq_configure, false,
};
static const struct qdisc_spec htb_spec = {
	"htb", "sch_htb", "CONFIG_NET_SCH_HTB", "a 1 Mbit/s class 1:10", htb_configure, true,
};
static const struct qdisc_spec tbf_spec = {
	"tbf", "sch_tbf", "CONFIG_NET_SCH_TBF", "1 Mbit/s", tbf_configure, false,
};

static int add_htb_class(struct nl_sock *sk, int ifindex, struct qdisc_shared *sh)
{
	struct rtnl_class *cls;
	struct nl_msg *msg;
	int err;

	cls = rtnl_class_alloc();
	if (!cls)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(cls), ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), QDISC_HANDLE);
	rtnl_tc_set_handle(TC_CAST(cls), QDISC_CLASS);
	err = rtnl_tc_set_kind(TC_CAST(cls), "htb");
	if (err == 0)
		err = rtnl_htb_set_rate(cls, 125000);
	if (err == 0)
		err = rtnl_htb_set_ceil(cls, 125000);
	if (err == 0)
		err = rtnl_class_build_add_request(cls, NLM_F_CREATE | NLM_F_EXCL, &msg);
	if (err < 0) {
		err = fl_nl_errno(err);
		goto out;
	}
	err = fl_nl_request(sk, msg, QDISC_NL_TIMEOUT_MS, sh->kmsg, sizeof(sh->kmsg));
out:
	rtnl_class_put(cls);
	return err;
}

static int read_back(struct nl_sock *sk, int ifindex, struct qdisc_shared *sh)
{
	struct nl_cache *cache = NULL;
	struct rtnl_qdisc *found;
	const char *kind;
	int err;

	err = rtnl_qdisc_alloc_cache(sk, &cache);
	if (err < 0)
		return fl_nl_errno(err);
	found = rtnl_qdisc_get(cache, ifindex, QDISC_HANDLE);
	if (!found) {
		err = -ENOENT;
		goto out;
	}
	kind = rtnl_tc_get_kind(TC_CAST(found));
	snprintf(sh->kind_seen, sizeof(sh->kind_seen), "%s", kind ? kind : "");
	rtnl_qdisc_put(found);
out:
	nl_cache_free(cache);
	return err;
}

static int qdisc_child(void *shared, void *arg)
{
	const struct qdisc_spec *spec = arg;
	struct qdisc_shared *sh = shared;
	struct rtnl_qdisc *q = NULL;
	struct nl_sock *sk = NULL;
	struct nl_msg *msg;
	int ifindex, err;

	sh->stage = QD_SOCKET;
	ifindex = if_nametoindex("lo");
	if (!ifindex) {
		err = -errno;
		goto out;
	}
	err = fl_nl_open(NETLINK_ROUTE, &sk);
	if (err < 0)
		goto out;

	sh->stage = QD_CONFIGURE;
	q = rtnl_qdisc_alloc();
	if (!q) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), QDISC_HANDLE);
	err = rtnl_tc_set_kind(TC_CAST(q), spec->kind);
	if (err == 0)
		err = spec->configure(q);
	if (err == 0)
		err = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg);
	if (err < 0) {
		err = fl_nl_errno(err);
		goto out;
	}

	sh->stage = QD_ADD;
	err = fl_nl_request(sk, msg, QDISC_NL_TIMEOUT_MS, sh->kmsg, sizeof(sh->kmsg));
	if (err < 0)
		goto out;
	if (spec->with_class) {
		sh->stage = QD_CLASS;
		err = add_htb_class(sk, ifindex, sh);
		if (err < 0)
			goto out;
	}
	sh->stage = QD_READBACK;
	err = read_back(sk, ifindex, sh);
	if (err < 0)
		goto out;
	if (strcmp(sh->kind_seen, spec->kind) != 0) {
		err = -EPROTO;
		goto out;
	}
	sh->stage = QD_DELETE;
	err = rtnl_qdisc_build_delete_request(q, &msg);
	if (err < 0) {
		err = fl_nl_errno(err);
		goto out;
	}
	err = fl_nl_request(sk, msg, QDISC_NL_TIMEOUT_MS, sh->kmsg, sizeof(sh->kmsg));
	if (err < 0)
		goto out;
	sh->stage = QD_OK;
out:
	sh->err = -err;
	if (q)
		rtnl_qdisc_put(q);
	nl_socket_free(sk);
	return 0;
}

static int probe_qdisc(const struct qdisc_spec *spec, struct fl_probe_result *r)
{
	struct qdisc_shared sh = { 0 };
	char what[256];
	int err, status = 0;

	err = fl_child_run(qdisc_child, (void *)spec, FL_CHILD_NEWNET, QDISC_TIMEOUT_MS,
			   &sh, sizeof(sh), &status);
	if (err == -ETIMEDOUT) {
		fl_probe_set(r, FL_PROBE_REFUSED, ETIMEDOUT, "%s %s: no answer within %d ms",
			     stage_names[sh.stage], spec->kind, QDISC_TIMEOUT_MS);
		return 0;
	}
	if (err < 0)
		return err;
	if (status < 0) {
		fl_probe_set_failure(r, status, "create a scratch network namespace");
		return 0;
	}
	if (sh.err == 0) {
		fl_probe_set(r, FL_PROBE_WORKS, 0,
			     "added a %s root qdisc (%s) on lo in a scratch netns, read it back, deleted it",
			     spec->kind, spec->what);
		return 0;
	}
	if (sh.stage == QD_READBACK && sh.err == EPROTO) {
		fl_probe_set(r, FL_PROBE_REFUSED, EPROTO,
			     "added a %s qdisc but read back kind '%s'", spec->kind, sh.kind_seen);
		return 0;
	}
	/* The kernel answers ENOENT for a qdisc kind it has no code for. */
	if (sh.stage == QD_ADD && (sh.err == ENOENT || sh.err == EOPNOTSUPP)) {
		fl_probe_set(r, FL_PROBE_MISSING, sh.err, "%s not available (%s)%s%s", spec->module,
			     spec->config, sh.kmsg[0] ? ": kernel says: " : "", sh.kmsg);
		return 0;
	}
	snprintf(what, sizeof(what), "%s (%s)%s%s", stage_names[sh.stage], spec->kind,
		 sh.kmsg[0] ? ", kernel says: " : "", sh.kmsg);
	fl_probe_set_failure(r, sh.err, what);
	return 0;
}

int fl_probe_netem(struct fl_probe_result *r)
{
	return probe_qdisc(&netem_spec, r);
}

int fl_probe_fq(struct fl_probe_result *r)
{
	return probe_qdisc(&fq_spec, r);
}

int fl_probe_htb(struct fl_probe_result *r)
{
	return probe_qdisc(&htb_spec, r);
}

int fl_probe_tbf(struct fl_probe_result *r)
{
	return probe_qdisc(&tbf_spec, r);
}
