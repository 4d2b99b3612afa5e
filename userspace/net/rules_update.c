// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Replace a loaded session's rules in place: the CLI compiles them again
 * right before attaching, so that for= runs from the moment they are
 * armed rather than from before the programs were loaded.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "net/net_priv.h"
#include "net.skel.h"

int fl_net_session_set_rules(struct fl_net_session *s, const struct fl_net_rule *rules,
			     size_t n, char *errbuf, size_t errlen)
{
	int err;

	if (n != s->n_rules) {
		fl_errf(errbuf, errlen, "%zu rules given, the session has %zu", n, s->n_rules);
		return -EINVAL;
	}
	err = fl_net_rules_check(rules, n, s->kind, errbuf, errlen);
	if (err)
		return err;
	{
		uint8_t dirs, calls;

		/* The programs are attached for what the first rules asked. */
		fl_net_rules_needs(rules, n, &dirs, &calls);
		if ((dirs & ~s->dirs) || (calls & ~s->sock_calls)) {
			fl_errf(errbuf, errlen,
				   "the rules need a direction or socket call the session lacks");
			return -EINVAL;
		}
	}
	if (s->reset)
		fl_net_reset_set_rules(s->reset, rules, n);
	for (__u32 i = 0; i < n; i++) {
		if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.rules), &i, &rules[i], BPF_ANY)) {
			err = -errno;
			fl_errf(errbuf, errlen, "fill rule %u: %s", i + 1, strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * A disarm is off from its first moment: each rule is made inert (a
 * protocol no packet or call has) before the hooks go, since taking them
 * away can wait an RCU grace period per tcx link (milliseconds on a busy
 * machine, during which a drop rule kept dropping). The rules are put
 * back once the hooks are gone, so a later attach finds them as they were.
 */
void fl_net_rules_off(struct fl_net_session *s, struct fl_net_rule *saved, bool *ok)
{
	struct fl_net_rule off = { .proto = 0xff };
	int fd = bpf_map__fd(s->skel->maps.rules);

	for (__u32 i = 0; i < s->n_rules; i++)
		ok[i] = !bpf_map_lookup_elem(fd, &i, &saved[i]) &&
			!bpf_map_update_elem(fd, &i, &off, BPF_ANY);
}

void fl_net_rules_restore(struct fl_net_session *s, const struct fl_net_rule *saved,
			  const bool *ok)
{
	int fd = bpf_map__fd(s->skel->maps.rules);

	for (__u32 i = 0; i < s->n_rules; i++)
		if (ok[i])
			bpf_map_update_elem(fd, &i, &saved[i], BPF_ANY);
}
