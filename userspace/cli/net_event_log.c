// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline net --log's per-injection lines. The ring is drained from the
 * main loop (its fd polled beside the signalfd) and once more after the
 * disarm, so the log holds every event the ring kept; the ones it could
 * not keep are counted per rule (events_lost in the counts lines).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/event.h>
#include <faultline/net.h>
#include <faultline/net_events.h>

#include "cli/net_event_log.h"

struct net_event_log {
	struct fl_net_events *ring;
	FILE *log;
	size_t origin[FL_NET_MAX_RULES];
	size_t n;
	int64_t offset;
	uint64_t written;
	int err;
};

static int on_event(void *ctx, const struct fl_net_event *ev)
{
	struct net_event_log *l = ctx;
	char line[FL_NET_EVENT_JSON_MAX + 1];
	unsigned rule = ev->rule < l->n ? (unsigned)l->origin[ev->rule] : ev->rule;
	int n;

	n = fl_net_event_to_json(ev, rule, l->offset, line, sizeof(line));
	if (n < 0)
		return 0;
	if (fputs(line, l->log) == EOF || fputc('\n', l->log) == EOF) {
		if (!l->err)
			l->err = -EIO;
		return 0;
	}
	l->written++;
	return 0;
}

int net_event_log_open(struct fl_net_session *s, FILE *log, const size_t *origin, size_t n,
		       struct net_event_log **ret)
{
	struct net_event_log *l;
	int err;

	if (n > FL_NET_MAX_RULES)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->log = log;
	l->n = n;
	memcpy(l->origin, origin, n * sizeof(*origin));
	l->offset = fl_event_clock_offset();
	err = fl_net_events_open(s, on_event, l, &l->ring);
	if (err) {
		free(l);
		return err;
	}
	*ret = l;
	return 0;
}

int net_event_log_fd(const struct net_event_log *l)
{
	return fl_net_events_fd(l->ring);
}

int net_event_log_drain(struct net_event_log *l)
{
	int n = fl_net_events_consume(l->ring);

	if (n < 0 && !l->err)
		l->err = n;
	if (fflush(l->log) && !l->err)
		l->err = -errno;
	return l->err;
}

uint64_t net_event_log_written(const struct net_event_log *l)
{
	return l->written;
}

void net_event_log_close(struct net_event_log *l)
{
	if (!l)
		return;
	fl_net_events_free(l->ring);
	free(l);
}
