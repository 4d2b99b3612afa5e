// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON-lines log of `net`/`syscall --log`: one injection a line,
 * {"ts_ns":..., "domain":..., "action":..., "mechanism":..., "op":...}.
 * No trials and no objectives: the injections over time, and which
 * mechanisms carried them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errbuf.h"
#include "report_priv.h"

/* Remember each distinct value once, as "a, b, c" in buf. */
static void add_unique(char *buf, size_t len, const char *v)
{
	size_t n = strlen(v), used = strlen(buf);

	for (const char *p = buf; (p = strstr(p, v)); p += n)
		if ((p == buf || p[-2] == ',') && (p[n] == ',' || !p[n]))
			return;
	if (used + n + 3 < len)
		snprintf(buf + used, len - used, "%s%s", used ? ", " : "", v);
}

int rp_load_events(const struct rp_ctx *c, const char *text, size_t len,
		   struct fl_report_result *r)
{
	char mech[200] = "", dom[100] = "", line_where[32];
	const char *p = text, *end = text + len;
	uint64_t first = 0;
	size_t cap = 0, line = 0;
	int err;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *domain, *action, *mechanism = NULL, *op = NULL;
		struct fl_rep_event *ev;
		json_error_t jerr;
		int64_t ts;
		json_t *o;

		line++;
		if (e == p || (e - p == 1 && *p == '\r')) {
			p = e + 1;
			continue;
		}
		o = json_loadb(p, (size_t)(e - p), 0, &jerr);
		if (!o) {
			fl_errf(c->err, c->errlen, "%s: line %zu: not valid JSON: %s", c->name, line,
				jerr.text);
			return -EINVAL;
		}
		snprintf(line_where, sizeof(line_where), "line %zu:", line);
		if ((err = rp_int(c, o, line_where, "ts_ns", true, &ts)) ||
		    (err = rp_str(c, o, line_where, "domain", true, &domain)) ||
		    (err = rp_str(c, o, line_where, "action", true, &action)) ||
		    (err = rp_str(c, o, line_where, "mechanism", false, &mechanism)) ||
		    (err = rp_str(c, o, line_where, "op", false, &op))) {
			json_decref(o);
			return err;
		}
		if (r->n_events == cap) {
			ev = realloc(r->events, (cap ? cap * 2 : 256) * sizeof(*ev));
			if (!ev) {
				json_decref(o);
				return -ENOMEM;
			}
			r->events = ev;
			cap = cap ? cap * 2 : 256;
		}
		if (!r->n_events)
			first = (uint64_t)ts;
		ev = &r->events[r->n_events++];
		ev->s = (double)((int64_t)((uint64_t)ts - first)) * 1e-9;
		snprintf(ev->what, sizeof(ev->what), "%s %s%s%s", domain, action, op ? " " : "",
			 op ? op : "");
		add_unique(dom, sizeof(dom), domain);
		if (mechanism)
			add_unique(mech, sizeof(mech), mechanism);
		json_decref(o);
		p = e + 1;
	}
	snprintf(r->title, sizeof(r->title), "event log: %zu injections (%s)", r->n_events, dom);
	snprintf(r->experiment, sizeof(r->experiment), "events %s", dom);
	if ((err = rp_env(r, "domains", "%s", dom)) ||
	    (err = rp_env(r, "mechanisms used", "%s", mech[0] ? mech : "not in this result")) ||
	    (err = rp_env(r, "injections", "%zu", r->n_events)))
		return err;
	return 0;
}
