/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * faultline net --log: one JSON line per injection, from the session's
 * event ring (<faultline/net_events.h>) and the delay lines' rings
 * (<faultline/net_delay.h>), numbered by command-line rule.
 */
#ifndef FL_CLI_NET_EVENT_LOG_H
#define FL_CLI_NET_EVENT_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fl_net_session;
struct fl_net_delay_ring;
struct net_event_log;

/*
 * origin[k]: the command-line rule of kernel rule k (n of them); copied.
 * s may be NULL (delay rules only: no datapath ring).
 */
int net_event_log_open(struct fl_net_session *s, FILE *log, const size_t *origin, size_t n,
		       struct net_event_log **ret);
/* A delay line's ring too (command-line rule rule): drained with the rest. */
int net_event_log_add_delay(struct net_event_log *l, unsigned rule, struct fl_net_delay_ring *ring);
/* Readable when events wait. */
int net_event_log_fd(const struct net_event_log *l);
/* Write every waiting event and flush: 0, or -errno of the first write error. */
int net_event_log_drain(struct net_event_log *l);
/* Events written so far. */
uint64_t net_event_log_written(const struct net_event_log *l);
void net_event_log_close(struct net_event_log *l);

#endif /* FL_CLI_NET_EVENT_LOG_H */
