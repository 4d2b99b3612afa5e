// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline net --log's per-injection lines. The rings (the datapath's
 * BPF ring, and one per delay line: <faultline/net_delay.h>) are drained
 * from the main loop (one epoll fd over all of them, polled beside the
 * signalfd) and once more after the disarm, so the log holds every event
 * the rings kept; the ones they could not keep are counted per rule
 * (events_lost in the counts lines).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <faultline/event.h>
#include <faultline/net.h>
#include <faultline/net_delay.h>
#include <faultline/net_events.h>

#include "cli/net_event_log.h"

struct net_event_log {
	struct fl_net_events *ring;      /* NULL: no datapath rules */
	struct fl_net_delay_ring *delay[FL_NET_MAX_RULES];
	unsigned delay_rule[FL_NET_MAX_RULES];
	size_t n_delay;
	int epfd;
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

static int on_delay_event(void *ctx, const struct fl_net_delay_event *ev)
{
	struct net_event_log *l = ctx;
	char line[FL_NET_EVENT_JSON_MAX + 1];
	int n;

	/* ev->pkt.rule is the command-line rule already (the line was given it). */
	n = fl_net_delay_event_to_json(ev, ev->pkt.rule, l->offset, line, sizeof(line));
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

static int watch(struct net_event_log *l, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
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
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		err = -errno;
		free(l);
		return err;
	}
	err = s ? fl_net_events_open(s, on_event, l, &l->ring) : 0;
	if (!err && l->ring)
		err = watch(l, fl_net_events_fd(l->ring));
	if (err) {
		net_event_log_close(l);
		return err;
	}
	*ret = l;
	return 0;
}

int net_event_log_add_delay(struct net_event_log *l, unsigned rule, struct fl_net_delay_ring *ring)
{
	int err;

	if (l->n_delay >= FL_NET_MAX_RULES)
		return -E2BIG;
	err = watch(l, fl_net_delay_ring_fd(ring));
	if (err)
		return err;
	l->delay[l->n_delay] = ring;
	l->delay_rule[l->n_delay++] = rule;
	return 0;
}

int net_event_log_fd(const struct net_event_log *l)
{
	return l->epfd;
}

int net_event_log_drain(struct net_event_log *l)
{
	int n = l->ring ? fl_net_events_consume(l->ring) : 0;

	if (n < 0 && !l->err)
		l->err = n;
	for (size_t i = 0; i < l->n_delay; i++)
		fl_net_delay_ring_consume(l->delay[i], on_delay_event, l);
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
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}
